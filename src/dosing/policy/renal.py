"""Renal dose-adjustment tables, shipped as data with their sources.

The tables live in ``dosing/data/renal.toml``. Each says whether its thresholds are an absolute
clearance (mL/min) or normalised to 1.73 m²; the patient's kidney function is converted with
their BSA to match (see :mod:`dosing.basis`, which obtains it).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from dosing._data import load_toml
from dosing.references import check_references
from dosing.registry import Registry
from dosing.units import EGFR, ML_PER_MIN, Magnitude, parse_quantity
from dosing.vocabulary import canonical_agent

__all__ = ["RENAL_TABLES", "Measure", "RenalBand", "RenalTable"]

#: Relative tolerance at band edges, so that floating point never moves a patient down a band.
BAND_RTOL: Final = 1e-9

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


def _table(key: str, raw: Mapping[str, Any]) -> RenalTable:
    measure = raw["measure"]
    unit = ML_PER_MIN if measure == "absolute" else EGFR
    bands = tuple(_band(item, unit) for item in raw["bands"])
    _check_bands(key, bands)
    return RenalTable(
        key=key,
        agent=canonical_agent(raw["agent"]),
        measure=measure,
        bands=bands,
        references=check_references(raw["references"], f"renal table {key!r}"),
        estimator=raw["estimator"],
        note=" ".join(raw["note"].split()),
    )


def _band(item: Mapping[str, Any], unit: Any) -> RenalBand:
    low = float(parse_quantity(item["from"]).m_as(unit)) if "from" in item else 0.0
    high = float(parse_quantity(item["to"]).m_as(unit)) if "to" in item else math.inf
    return RenalBand(low=low, high=high, factor=float(item["factor"]))


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
