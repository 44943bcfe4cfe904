"""Renal dose-adjustment tables, shipped as data with their sources and whom they are for.

The tables live in ``dosing/data/renal.toml``. Each declares:

* ``measure``: whether its thresholds are an absolute clearance (mL/min) or normalised to
  1.73 m²; the patient's kidney function is converted with their BSA to match (see
  :mod:`dosing.basis`, which obtains it);
* ``estimator``: the kidney-function estimate its source wrote the thresholds for (a key of
  :data:`dosing.EGFR_FORMULAS`, ``"cockcroft_gault"``, ``"measured"`` for a measured clearance,
  or ``"unspecified"`` where the source names none);
* ``population``: ``"adult"``, ``"paediatric"`` or ``"any"`` (``"any"`` only for normalised
  thresholds: an absolute clearance scales with body size, so an absolute table is for adults or,
  with a source, for children). Applying a table to a patient
  outside its population raises, unless the policy accepts it explicitly
  (``Policy(renal_outside_population="accept")``), which is then recorded on every affected row;
* ``interpretation``: every reading of the source that the source leaves open (a band edge, a
  threshold between integer bands), said plainly.

Bands are intervals of clearance; by default ``[from, to)`` (``from`` inclusive). A band may
close the other side (``to_inclusive = true``: ``(from, to]`` for the next band) where the source
says so ("greater than 60", "30 to 70").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, Literal, cast

import numpy as np
from pint import DimensionalityError

from dosing._limits import MAX_FILE_BYTES, Fail, check_size, parse_toml
from dosing.body.egfr import EGFR_FORMULAS
from dosing.errors import DomainError, DosingError, show_value
from dosing.references import check_references
from dosing.registry import Registry
from dosing.units import EGFR, ML_PER_MIN, Magnitude, parse_quantity
from dosing.vocabulary import canonical_agent

__all__ = [
    "ESTIMATORS",
    "POPULATIONS",
    "RENAL_TABLES",
    "Measure",
    "Population",
    "RenalBand",
    "RenalTable",
]

#: Relative tolerance at band edges, so that floating point never moves a patient across a
#: band edge: a clearance within 1e-9 of an edge counts as equal to it.
BAND_RTOL: Final = 1e-9

Measure = Literal["absolute", "normalised"]
Population = Literal["adult", "paediatric", "any"]
#: Whom a table may be for.
POPULATIONS: Final = ("adult", "paediatric", "any")
#: What a table's thresholds may be written for, besides the eGFR equations' keys.
ESTIMATORS: Final = ("cockcroft_gault", "measured", "unspecified")


@dataclass(frozen=True, slots=True)
class RenalBand:
    """A band of clearance and the fraction of the dose it allows.

    ``[low, high)`` by default; ``high_inclusive`` makes it ``[low, high]`` and
    ``low_inclusive=False`` makes it ``(low, ...``.
    """

    low: float  # 0 for the first band
    high: float  # inf for the last band
    factor: float  # 0 = do not give
    low_inclusive: bool = True
    high_inclusive: bool = False

    def describe(self, unit: str) -> str:
        low = f"{self.low:g}" if self.low > 0 else "0"
        high = "∞" if math.isinf(self.high) else f"{self.high:g}"
        what = "do not give" if self.factor == 0 else f"{self.factor:.0%} of the dose"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"{left}{low}, {high}{right} {unit}: {what}"


@dataclass(frozen=True, slots=True)
class RenalTable:
    """One renal adjustment table for one agent, and whom and what it was written for."""

    key: str
    agent: str
    measure: Measure
    bands: tuple[RenalBand, ...]
    references: tuple[str, ...]
    estimator: str
    population: Population
    note: str
    interpretation: tuple[str, ...] = ()

    @property
    def unit(self) -> Any:
        """mL/min for absolute tables, mL/min/standard_bsa (per 1.73 m²) for normalised ones."""
        return ML_PER_MIN if self.measure == "absolute" else EGFR

    @property
    def unit_text(self) -> str:
        """The thresholds' unit as printed."""
        return "mL/min" if self.measure == "absolute" else "mL/min/1.73 m²"

    def estimator_text(self) -> str:
        """The estimator in words: ``Cockcroft–Gault``, ``a measured clearance``, ..."""
        if self.estimator in EGFR_FORMULAS:
            return EGFR_FORMULAS[self.estimator].name
        return {
            "cockcroft_gault": "Cockcroft–Gault",
            "measured": "a measured creatinine clearance",
            "unspecified": "not named by the source",
        }[self.estimator]

    def population_text(self) -> str:
        """Whom the table is for, in words."""
        return {
            "adult": "adults (18 years and over)",
            "paediatric": "children (under 18 years)",
            "any": "patients of any age",
        }[self.population]

    def factor(self, clearance: Magnitude) -> Magnitude:
        """The dose fraction for a clearance in :attr:`unit` (vectorised).

        Examples
        --------
        >>> table = RENAL_TABLES["fludarabine-fludara-label"]
        >>> [table.factor(c) for c in (29.9, 30.0, 49.9, 50.0, 79.9, 80.0)]
        [0.0, 0.6, 0.6, 0.8, 0.8, 1.0]
        >>> gate = RENAL_TABLES["methotrexate-high-dose-label"]  # "greater than 60 mL/min"
        >>> [gate.factor(c) for c in (59.9, 60.0, 60.1)]
        [0.0, 0.0, 1.0]
        """
        # Band by band with where(), so that numpy and lazy (dask) arrays take the same path. A
        # clearance within a relative 1e-9 of a band's edge counts as on the edge: a
        # Cockcroft–Gault of exactly 50 mL/min computed as 49.99999999 is 50.
        out: Any = np.zeros_like(clearance) + self.bands[0].factor  # the input's shape
        for band in self.bands[1:]:
            if band.low_inclusive:
                inside = clearance >= band.low * (1.0 - BAND_RTOL)
            else:
                inside = clearance > band.low * (1.0 + BAND_RTOL)
            out = np.where(inside, band.factor, out)
        if np.ndim(out) == 0:
            return float(out)
        return out  # type: ignore[no-any-return]


#: Every field a renal table may have; the others are refused (a misspelt field is never
#: ignored).
_TABLE_FIELDS: Final = frozenset(
    {
        "agent",
        "measure",
        "estimator",
        "population",
        "references",
        "note",
        "interpretation",
        "bands",
    }
)
_REQUIRED: Final = ("agent", "measure", "estimator", "population", "references", "note", "bands")
#: Every field a band may have.
_BAND_FIELDS: Final = frozenset({"from", "to", "to_inclusive", "factor"})
#: The file the packaged tables are read from, as messages name it.
_PACKAGED: Final = "data/renal.toml"


def _refusal(source: str) -> Fail:
    """``fail(field, message)`` for a renal-tables file: a DomainError naming it and the field."""

    def fail(field: str | None, message: str) -> DomainError:
        where = f"{source}: {field}: " if field else f"{source}: "
        return DomainError(
            message,
            argument=field or "renal tables",
            value=source,
            message=f"{where}{message}",
        )

    return fail


def _read_renal(text: str, source: str) -> dict[str, RenalTable]:
    """Every table of a renal-tables file's ``text`` (the format of ``data/renal.toml``).

    The packaged tables are read by it, on import. ``source`` names the file in messages.

    Raises
    ------
    DomainError
        Naming ``source`` and the field (``key.bands[1].factor``): not TOML, nested too
        deeply, too large, a field missing, unknown or of the wrong kind, bands that leave a gap,
        overlap or fall, an unknown agent, estimator, population or reference.
    """
    fail = _refusal(source)
    if len(text) > MAX_FILE_BYTES:
        raise fail(None, f"{len(text)} characters, more than the {MAX_FILE_BYTES} allowed")
    data = parse_toml(text, fail)
    check_size(data, fail)
    tables: dict[str, RenalTable] = {}
    for key, raw in data.items():
        if not isinstance(raw, Mapping):
            raise fail(
                key,
                f"must be a table ([{key}] and its fields {sorted(_TABLE_FIELDS)}), not "
                f"{show_value(raw)}",
            )
        tables[key] = _table(key, raw, source)
    return tables


def _table(key: str, raw: Mapping[str, Any], source: str = _PACKAGED) -> RenalTable:
    fail = _refusal(source)
    unknown = sorted(set(raw) - _TABLE_FIELDS)
    if unknown:
        raise fail(key, f"unknown field(s) {unknown}; a table has {sorted(_TABLE_FIELDS)}")
    missing = [name for name in _REQUIRED if name not in raw]
    if missing:
        raise fail(key, f"lacks the field(s) {missing}")
    measure = raw["measure"]
    if measure not in ("absolute", "normalised"):
        raise fail(
            f"{key}.measure",
            f"must be 'absolute' (mL/min) or 'normalised' (mL/min/1.73 m²), not "
            f"{show_value(measure)}",
        )
    unit = ML_PER_MIN if measure == "absolute" else EGFR
    bands = _bands(raw["bands"], unit, f"{key}.bands", source)
    _check_bands(key, bands, source)
    estimator, population = raw["estimator"], raw["population"]
    if not isinstance(estimator, str) or (
        estimator not in EGFR_FORMULAS and estimator not in ESTIMATORS
    ):
        raise fail(
            f"{key}.estimator",
            f"unknown estimator {show_value(estimator)}; use a key of dosing.EGFR_FORMULAS or "
            f"one of {ESTIMATORS}",
        )
    if not isinstance(population, str) or population not in POPULATIONS:
        raise fail(
            f"{key}.population",
            f"population must be one of {POPULATIONS}, not {show_value(population)}",
        )
    if measure == "absolute" and population == "any":
        # An absolute clearance scales with body size: a threshold in mL/min written for adults
        # withholds or cuts a small child's dose with normal kidneys. It is for adults (the child
        # then refused unless the policy accepts it) or, with a source, for children.
        raise fail(
            f"{key}.population",
            "absolute thresholds (mL/min) cannot be for patients of any age; declare "
            "population 'adult' (or 'paediatric' with a source for children)",
        )
    agent = raw["agent"]
    if not isinstance(agent, str) or not agent.strip():
        raise fail(f"{key}.agent", f"must be the agent's name, not {show_value(agent)}")
    references = raw["references"]
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise fail(
            f"{key}.references",
            f"must be a list of reference keys, not {show_value(references)}",
        )
    note, interpretation = raw["note"], raw.get("interpretation", [])
    if not isinstance(note, str):
        raise fail(f"{key}.note", f"must be text, not {show_value(note)}")
    if not isinstance(interpretation, list) or not all(
        isinstance(text, str) for text in interpretation
    ):
        raise fail(
            f"{key}.interpretation",
            f"must be a list of texts, not {show_value(interpretation)}",
        )
    try:
        canonical = canonical_agent(agent)
    except DosingError as exc:  # an ambiguous name ("ATG")
        raise fail(f"{key}.agent", str(exc)) from None
    try:
        cited = check_references(references, f"renal table {key!r}")
    except DosingError as exc:
        raise fail(f"{key}.references", str(exc)) from None
    return RenalTable(
        key=key,
        agent=canonical,
        measure=measure,
        bands=bands,
        references=cited,
        estimator=estimator,
        population=cast(Population, population),
        note=" ".join(note.split()),
        interpretation=tuple(" ".join(text.split()) for text in interpretation),
    )


def _bands(
    items: object, unit: Any, where: str = "bands", source: str = _PACKAGED
) -> tuple[RenalBand, ...]:
    fail = _refusal(source)
    if not isinstance(items, list) or not items:
        raise fail(
            where,
            f"must be a list of bands ({{ from = ..., to = ..., factor = ... }}), not "
            f"{show_value(items)}",
        )
    bands = []
    closed_above = False  # whether the previous band took its upper edge
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            raise fail(here, f"must be a band {{ from, to, factor }}, not {show_value(item)}")
        unknown = sorted(set(item) - _BAND_FIELDS)
        if unknown:
            raise fail(here, f"unknown field(s) {unknown}; a band has {sorted(_BAND_FIELDS)}")
        low = _edge(item, "from", unit, here, fail) if "from" in item else 0.0
        high = _edge(item, "to", unit, here, fail) if "to" in item else math.inf
        if "factor" not in item:
            raise fail(here, "lacks its factor (0 = do not give, 1 = the full dose)")
        factor = item["factor"]
        if (
            isinstance(factor, bool)
            or not isinstance(factor, int | float)
            or not 0.0 <= factor <= 1.0
        ):
            raise fail(
                f"{here}.factor",
                f"must be a fraction from 0 (do not give) to 1 (the full dose), not "
                f"{show_value(factor)}",
            )
        inclusive = item.get("to_inclusive", False)
        if not isinstance(inclusive, bool):
            raise fail(
                f"{here}.to_inclusive", f"must be true or false, not {show_value(inclusive)}"
            )
        if not low < high:
            raise fail(here, f"is empty or reversed (from {low:g} to {high:g})")
        bands.append(
            RenalBand(
                low=low,
                high=high,
                factor=float(factor),
                low_inclusive=not closed_above,
                high_inclusive=inclusive,
            )
        )
        closed_above = inclusive
    return tuple(bands)


def _edge(item: Mapping[str, Any], name: str, unit: Any, where: str, fail: Fail) -> float:
    """A band edge in ``unit``: a clearance written with its unit, finite and not negative."""
    text = item[name]
    measure = "mL/min" if unit == ML_PER_MIN else "mL/min/standard_bsa"
    try:
        value = float(parse_quantity(text).m_as(unit))
    except DosingError as exc:
        raise fail(f"{where}.{name}", f"{exc}; write e.g. '30 {measure}'") from None
    except DimensionalityError:
        raise fail(
            f"{where}.{name}",
            f"{show_value(text)} is not in the table's measure; write e.g. '30 {measure}'",
        ) from None
    if not (math.isfinite(value) and value >= 0):
        raise fail(f"{where}.{name}", f"must be a finite clearance, not below 0: {text!r}")
    return value


def _check_bands(key: str, bands: tuple[RenalBand, ...], source: str = _PACKAGED) -> None:
    """Bands cover [0, inf) without gaps or overlaps, and never allow less for more clearance.

    A packaged table that breaks this is a packaging slip: it fails on import, never silently.
    """
    problems = []
    if bands[0].low != 0.0:
        problems.append("the first band must start at 0")
    if not math.isinf(bands[-1].high):
        problems.append("the last band must have no upper end")
    for before, after in itertools.pairwise(bands):
        if before.high != after.low:
            problems.append(f"bands must meet ({before} / {after})")
        if before.factor > after.factor:
            problems.append("factors must not fall as clearance rises")
    if problems:
        raise _refusal(source)(f"{key}.bands", "; ".join(problems))


#: Read-only: key -> :class:`RenalTable`.
RENAL_TABLES: Registry[RenalTable] = Registry("renal", name="RENAL_TABLES")
for _key, _entry in _read_renal(
    resources.files("dosing").joinpath(_PACKAGED).read_text(encoding="utf-8"), _PACKAGED
).items():
    RENAL_TABLES.register(_key, _entry)
