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
from typing import Any, Final, Literal

import numpy as np

from dosing._data import load_toml
from dosing.body.egfr import EGFR_FORMULAS
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


def _table(key: str, raw: Mapping[str, Any]) -> RenalTable:
    measure = raw["measure"]
    unit = ML_PER_MIN if measure == "absolute" else EGFR
    bands = _bands(raw["bands"], unit)
    _check_bands(key, bands)
    estimator, population = raw["estimator"], raw["population"]
    if estimator not in EGFR_FORMULAS and estimator not in ESTIMATORS:
        raise ValueError(f"data/renal.toml [{key}]: unknown estimator {estimator!r}")
    if population not in POPULATIONS:
        raise ValueError(f"data/renal.toml [{key}]: population must be one of {POPULATIONS}")
    if measure == "absolute" and population == "any":
        # An absolute clearance scales with body size: a threshold in mL/min written for adults
        # withholds or cuts a small child's dose with normal kidneys. It is for adults (the child
        # then refused unless the policy accepts it) or, with a source, for children.
        raise ValueError(
            f"data/renal.toml [{key}]: absolute thresholds (mL/min) cannot be for patients of "
            f"any age; declare population 'adult' (or 'paediatric' with a source for children)"
        )
    return RenalTable(
        key=key,
        agent=canonical_agent(raw["agent"]),
        measure=measure,
        bands=bands,
        references=check_references(raw["references"], f"renal table {key!r}"),
        estimator=estimator,
        population=population,
        note=" ".join(raw["note"].split()),
        interpretation=tuple(" ".join(text.split()) for text in raw.get("interpretation", ())),
    )


def _bands(items: list[Mapping[str, Any]], unit: Any) -> tuple[RenalBand, ...]:
    bands = []
    closed_above = False  # whether the previous band took its upper edge
    for item in items:
        low = float(parse_quantity(item["from"]).m_as(unit)) if "from" in item else 0.0
        high = float(parse_quantity(item["to"]).m_as(unit)) if "to" in item else math.inf
        bands.append(
            RenalBand(
                low=low,
                high=high,
                factor=float(item["factor"]),
                low_inclusive=not closed_above,
                high_inclusive=bool(item.get("to_inclusive", False)),
            )
        )
        closed_above = bool(item.get("to_inclusive", False))
    return tuple(bands)


def _check_bands(key: str, bands: tuple[RenalBand, ...]) -> None:
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
        raise ValueError(f"data/renal.toml [{key}]: {'; '.join(problems)}")


#: Read-only: key -> :class:`RenalTable`.
RENAL_TABLES: Registry[RenalTable] = Registry("renal", name="RENAL_TABLES")
for _key, _raw in load_toml("data/renal.toml").items():
    RENAL_TABLES.register(_key, _table(_key, _raw))
