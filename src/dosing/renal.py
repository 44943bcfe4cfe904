"""Renal dose-adjustment tables (shipped as data) and the patient's renal function.

The tables live in ``dosing/data/renal.toml`` with their sources. Each says whether its
thresholds are an absolute clearance (mL/min) or normalised to 1.73 m²; the patient's renal
function is converted with their BSA to match: absolute = normalised × BSA / 1.73 m².

Renal function comes from, in this order:

1. the patient's measured ``creatinine_clearance`` (absolute or normalised, by its units);
2. an estimate from ``serum_creatinine``: Cockcroft–Gault for adults (18 years and over; needs
   weight and sex), bedside Schwartz for children under 18 (needs height). Cockcroft–Gault is
   never used for a child. Age is needed to choose.

With neither, or without what the estimator needs, expansion raises: a missing creatinine is
never defaulted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from dosing._arrays import guard, is_lazy, may_any
from dosing._data import load_toml
from dosing.body._sex import is_male
from dosing.body.renal import SCHWARTZ_BEDSIDE_K, cockcroft_gault
from dosing.errors import DomainError
from dosing.references import REFERENCES
from dosing.regimens.model import canonical_agent
from dosing.units import EGFR, ML_PER_MIN, Q_, Magnitude, parse_quantity, short

if TYPE_CHECKING:
    from dosing.patient import Patient

__all__ = ["RENAL_TABLES", "RenalBand", "RenalFunction", "RenalTable", "renal_function"]

#: Relative tolerance at band edges, so that floating point never moves a patient down a band.
BAND_RTOL: Final = 1e-9

#: Age from which Cockcroft–Gault is used; below it, bedside Schwartz.
ADULT_AGE_YEARS: Final = 18.0

Measure = Literal["absolute", "normalised"]


@dataclass(frozen=True, slots=True)
class RenalBand:
    """A half-open band ``[low, high)`` of clearance and the fraction of the dose it allows."""

    low: float  # inclusive; 0 for the first band
    high: float  # exclusive; inf for the last band
    factor: float  # 0 = do not give

    def describe(self, unit: str) -> str:
        low = f"{self.low:g}" if self.low > 0 else "0"
        high = "∞" if math.isinf(self.high) else f"{self.high:g}"
        what = "do not give" if self.factor == 0 else f"{self.factor:.0%} of the dose"
        return f"[{low}, {high}) {unit}: {what}"


@dataclass(frozen=True, slots=True)
class RenalTable:
    """One renal adjustment table for one agent."""

    key: str
    agent: str
    measure: Measure
    bands: tuple[RenalBand, ...]
    references: tuple[str, ...]
    estimator: str
    note: str

    @property
    def unit(self) -> Any:
        """mL/min for absolute tables, mL/min/standard_bsa (per 1.73 m²) for normalised ones."""
        return ML_PER_MIN if self.measure == "absolute" else EGFR

    def factor(self, clearance: Magnitude) -> Magnitude:
        """The dose fraction for a clearance in :attr:`unit` (vectorised).

        Examples
        --------
        >>> table = RENAL_TABLES["fludarabine-fludara-label"]
        >>> [table.factor(c) for c in (29.9, 30.0, 49.9, 50.0, 79.9, 80.0)]
        [0.0, 0.6, 0.6, 0.8, 0.8, 1.0]
        """
        # Band by band with where(), so that numpy and lazy (dask) arrays take the same path. A
        # clearance within a relative 1e-9 of a band's lower edge is in that band: a
        # Cockcroft–Gault of exactly 50 mL/min computed as 49.99999999 is 50.
        out: Any = self.bands[0].factor
        for band in self.bands[1:]:
            out = np.where(clearance >= band.low * (1.0 - BAND_RTOL), band.factor, out)
        if np.ndim(out) == 0:
            return float(out)
        return out  # type: ignore[no-any-return]


def _load_tables() -> Mapping[str, RenalTable]:
    data = load_toml("data/renal.toml")
    tables: dict[str, RenalTable] = {}
    for key, raw in data.items():
        measure = raw["measure"]
        unit = ML_PER_MIN if measure == "absolute" else EGFR
        bands = tuple(_band(item, unit) for item in raw["bands"])
        _check_bands(key, bands)
        for ref in raw["references"]:
            assert ref in REFERENCES, f"renal table {key} cites unknown reference {ref}"
        tables[key] = RenalTable(
            key=key,
            agent=canonical_agent(raw["agent"]),
            measure=measure,
            bands=bands,
            references=tuple(raw["references"]),
            estimator=raw["estimator"],
            note=" ".join(raw["note"].split()),
        )
    return MappingProxyType(tables)


def _band(item: Mapping[str, Any], unit: Any) -> RenalBand:
    low = float(parse_quantity(item["from"]).m_as(unit)) if "from" in item else 0.0
    high = float(parse_quantity(item["to"]).m_as(unit)) if "to" in item else math.inf
    return RenalBand(low=low, high=high, factor=float(item["factor"]))


def _check_bands(key: str, bands: tuple[RenalBand, ...]) -> None:
    """Bands cover [0, inf) without gaps or overlaps, and never allow less for more clearance."""
    assert bands[0].low == 0.0, f"{key}: the first band must start at 0"
    assert math.isinf(bands[-1].high), f"{key}: the last band must have no upper end"
    for before, after in itertools.pairwise(bands):
        assert before.high == after.low, f"{key}: bands must meet ({before} / {after})"
        assert before.factor <= after.factor, f"{key}: factors must not fall as clearance rises"


#: Read-only: key -> :class:`RenalTable`.
RENAL_TABLES: Mapping[str, RenalTable] = _load_tables()


@dataclass(frozen=True, slots=True)
class RenalFunction:
    """A patient's renal function in the measure one table needs, and how it was obtained."""

    value: Magnitude
    unit: Any
    estimator: str

    @property
    def quantity(self) -> Any:
        return Q_(self.value, self.unit)

    def describe(self) -> str:
        if is_lazy(self.value):  # never computed just to be described
            shown = "(per patient, computed lazily)"
        else:
            values = np.atleast_1d(np.asarray(self.value))
            shown = (
                f"{values[0]:.4g}" if values.size == 1 else f"{values.min():.4g}–{values.max():.4g}"
            )
        unit = "mL/min" if self.unit == ML_PER_MIN else "mL/min/1.73 m²"
        return f"renal function {shown} {unit} ({self.estimator})"


_NEEDS_HEIGHT = (
    "bedside Schwartz (for a patient under 18) needs height; give Patient(height=Q_(150, 'cm'))"
)
_NEEDS_WEIGHT_AND_SEX = (
    "Cockcroft–Gault (for a patient of 18 or over) needs weight and sex; give "
    "Patient(weight=Q_(70, 'kg'), sex='female')"
)


def renal_function(patient: Patient, measure: Measure, bsa_m2: Magnitude) -> RenalFunction:
    """The patient's renal function in ``measure``, converted with ``bsa_m2`` where needed.

    Raises
    ------
    DomainError
        No measured clearance and no serum creatinine; or an estimate that lacks age, weight,
        sex or height.
    """
    standard = float(Q_(1.0, "standard_bsa").m_as("m**2"))
    if patient._crcl is not None:
        normalised = patient._crcl_normalised
        value = patient._crcl  # checked once, when the Patient was made
        estimator = f"measured creatinine clearance ({short(patient.creatinine_clearance.units)})"
    else:
        if patient._scr_mg_dl is None:
            raise DomainError(
                "the renal policy needs the patient's renal function: give "
                "Patient(creatinine_clearance=Q_(90, 'mL/min')) or "
                "Patient(serum_creatinine=Q_(0.6, 'mg/dL'), age=...) (never defaulted)"
            )
        if patient._age_years is None:
            raise DomainError(
                "the renal policy estimates renal function from serum_creatinine, and needs "
                "age to choose the estimator (Cockcroft–Gault from 18 years, bedside Schwartz "
                "below); give Patient(age=Q_(12, 'year'))"
            )
        value, normalised, estimator = _estimate(patient, bsa_m2, standard)
    wanted_normalised = measure == "normalised"
    if normalised and not wanted_normalised:
        value = value * bsa_m2 / standard
        estimator += ", converted to mL/min with the patient's BSA"
    elif wanted_normalised and not normalised:
        value = value * standard / bsa_m2
        estimator += ", normalised to 1.73 m² with the patient's BSA"
    return RenalFunction(
        value=value, unit=EGFR if wanted_normalised else ML_PER_MIN, estimator=estimator
    )


def _estimate(patient: Patient, bsa_m2: Magnitude, standard: float) -> tuple[Magnitude, bool, str]:
    """Schwartz (normalised) for children, Cockcroft–Gault (absolute) for adults; for a mixed
    cohort both, returned normalised. Kernels on the patient's checked magnitudes.

    For a lazy cohort, who is a child is known only when computed: an estimator whose inputs are
    missing raises then, for the block that needs it, with the same message.
    """
    ages: Any = patient._age_years
    children = ages < ADULT_AGE_YEARS
    lazy = is_lazy(children)
    any_child, any_adult = may_any(children), may_any(np.logical_not(children))
    has_height = patient._height_cm is not None
    has_weight_and_sex = patient._weight_kg is not None and patient.sex is not None
    if any_child and not has_height and not lazy:
        raise DomainError(_NEEDS_HEIGHT)
    if any_adult and not has_weight_and_sex and not lazy:
        raise DomainError(_NEEDS_WEIGHT_AND_SEX)
    if lazy and not (has_height or has_weight_and_sex):
        raise DomainError(f"{_NEEDS_HEIGHT}; {_NEEDS_WEIGHT_AND_SEX}")
    scr: Any = patient._scr_mg_dl
    height_cm: Any = patient._height_cm
    schwartz_value = cg_value = None
    if any_child and has_height:
        schwartz_value = SCHWARTZ_BEDSIDE_K * height_cm / scr
    if any_adult and has_weight_and_sex:
        # The kernel, not the public function: children in a mixed cohort get Schwartz and never
        # this value, so its adult-population warning does not apply to them.
        cg_value = cockcroft_gault(
            patient._age_years, patient._weight_kg, scr, is_male(patient.sex, "Cockcroft–Gault")
        )
    if schwartz_value is not None and cg_value is None:
        if lazy:  # no weight or sex: every patient must be a child
            schwartz_value = guard(
                schwartz_value, _refuse_if(False, _NEEDS_WEIGHT_AND_SEX), children
            )
        return schwartz_value, True, "bedside Schwartz eGFR from serum creatinine (age < 18)"
    if cg_value is not None and schwartz_value is None:
        if lazy:  # no height: every patient must be an adult
            cg_value = guard(cg_value, _refuse_if(True, _NEEDS_HEIGHT), children)
        return cg_value, False, "Cockcroft–Gault from serum creatinine (age ≥ 18)"
    assert cg_value is not None
    assert schwartz_value is not None
    mixed = np.where(children, schwartz_value, cg_value * standard / bsa_m2)
    return mixed, True, "bedside Schwartz (age < 18) or Cockcroft–Gault (age ≥ 18)"


def _refuse_if(child: bool, message: str) -> Any:
    """A blockwise check: raise ``message`` if any patient is (``child``) or is not a child."""

    def check(children_block: Any) -> None:
        mask = np.asarray(children_block, dtype=bool)
        if np.any(mask if child else ~mask):
            raise DomainError(message)

    return check
