"""Dose lines that are not an amount × body size: by target AUC, and by weight band.

A template's ``[[dose]]`` usually gives an ``amount`` (per m², per kg, flat or Gy). Two other ways
a pharmacist doses are written here:

* **By target AUC** (``target_auc = "5 mg*min/mL"`` with ``gfr_formula = "calvert"`` or
  ``"newell"``): the dose is the target times the carboplatin clearance the formula gives from
  the patient's GFR (:data:`dosing.exposure.GFR_FORMULAS`). The line's kind is ``"auc"``.
* **By weight band** (``weight_bands = [...]``): a table of actual-weight bands, each with its
  amount per kg (or flat), e.g. the busulfan IV label's paediatric bands. Each band's edges are
  written as the source gives them, inclusive or not::

      weight_bands = [
        { below = "9 kg", amount = "1.0 mg/kg" },                  # w < 9
        { from = "9 kg", below = "16 kg", amount = "1.2 mg/kg" },  # 9 ≤ w < 16
        { from = "16 kg", to = "23 kg", amount = "1.1 mg/kg" },    # 16 ≤ w ≤ 23
        { above = "23 kg", to = "34 kg", amount = "0.95 mg/kg" },  # 23 < w ≤ 34
        { above = "34 kg", amount = "0.8 mg/kg" },                 # w > 34
      ]

  ``from`` (≥) or ``above`` (>) for the lower edge, ``below`` (<) or ``to`` (≤) for the upper.
  The bands must meet with no gap and no overlap (each lower edge is the previous upper edge,
  the other side of it). The line's kind is ``"band"``; when it is expanded the patient's band
  is chosen and the line becomes an ordinary per-kg (or flat) line whose basis names the band.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TargetAUC", "WeightBand", "WeightBands"]


@dataclass(frozen=True, slots=True)
class TargetAUC:
    """A dose line by target exposure.

    Attributes
    ----------
    target : pint.Quantity
        The target AUC as written (``5 mg*min/mL``).
    value : float
        The target in mg·min/mL.
    formula : str
        A key of :data:`dosing.exposure.GFR_FORMULAS` (``"calvert"``, ``"newell"``).
    """

    target: Any
    value: float
    formula: str

    def describe(self) -> str:
        """``target AUC 5 mg·min/mL (Calvert)``."""
        return f"target AUC {self.value:g} mg·min/mL ({self.formula.capitalize()})"


@dataclass(frozen=True, slots=True)
class WeightBand:
    """One band of a :class:`WeightBands` table: actual weight [kg] within its edges.

    ``low``/``high`` are None for an open end; ``low_inclusive``/``high_inclusive`` say whether
    the edge itself belongs to the band, as the source writes it.
    """

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool
    amount: Any
    amount_value: float

    def contains(self, weight_kg: Any) -> Any:
        """Whether each weight [kg] falls in the band (a boolean or a boolean array)."""
        inside = np.ones(np.shape(weight_kg), dtype=bool)
        if self.low is not None:
            inside &= (weight_kg >= self.low) if self.low_inclusive else (weight_kg > self.low)
        if self.high is not None:
            inside &= (weight_kg <= self.high) if self.high_inclusive else (weight_kg < self.high)
        return inside

    def describe(self) -> str:
        """The band's edges in words: ``under 9 kg``, ``16 to 23 kg``, ``over 23 to 34 kg``."""
        low, high = self.low, self.high
        if low is None:
            assert high is not None
            return f"{'up to' if self.high_inclusive else 'under'} {high:g} kg"
        if high is None:
            return f"{low:g} kg and over" if self.low_inclusive else f"over {low:g} kg"
        start = f"{low:g}" if self.low_inclusive else f"over {low:g}"
        end = f"{high:g}" if self.high_inclusive else f"under {high:g}"
        return f"{start} to {end} kg"


@dataclass(frozen=True, slots=True)
class WeightBands:
    """A table of actual-weight bands, each with an amount per administration.

    Attributes
    ----------
    bands : tuple of WeightBand
        In order of weight, contiguous (checked by the loader).
    """

    bands: tuple[WeightBand, ...]

    def index(self, weight_kg: Any) -> Any:
        """The band of each weight (an int or an int array), -1 where no band has it."""
        out = np.full(np.shape(weight_kg), -1, dtype=int)
        for position, band in enumerate(self.bands):
            out = np.where(band.contains(weight_kg) & (out < 0), position, out)
        return int(out) if out.ndim == 0 else out

    def describe(self) -> str:
        """``under 9 kg 1 mg/kg; 9 to under 16 kg 1.2 mg/kg; ...``."""
        return "; ".join(
            f"{band.describe()} {band.amount.magnitude:g} {band.amount.units:~P}"
            for band in self.bands
        )
