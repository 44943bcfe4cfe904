"""Plausibility limits applied to every clinical input, and the checks that enforce them.

One table, used by :class:`~dosing.Patient` and by every formula, so that a value refused in one
place is refused everywhere. The limits on height, weight, age and BSA are the ones the project
set for :class:`~dosing.Patient`; they exist to catch unit slips and typing errors (a weight in
pounds entered as kg, a creatinine in µmol/L entered as mg/dL), not to judge a real patient. The
limits on creatinine, clearance and AUC are the library's own screening convention: no source
sets them, so they are wide, documented here and in ``docs/safety.md``.

Checks are vectorised: an array is checked with two reductions (its minimum and maximum, which
also catch NaN), and only when one fails is the first offending element located for the message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from dosing._arrays import is_lazy
from dosing.errors import DomainError
from dosing.units import (
    AUC,
    CM,
    EGFR,
    KG,
    M2,
    MG_PER_DL,
    ML_PER_MIN,
    Q_,
    YEAR,
    Magnitude,
    magnitude,
    short,
)

__all__ = ["LIMITS", "Limit", "check_range", "checked", "same_shape", "strip"]


@dataclass(frozen=True, slots=True)
class Limit:
    """The plausible closed range ``[low, high]`` of one input, in ``unit``."""

    name: str
    low: float
    high: float
    unit: Any
    sourced: bool
    why: str

    @cache  # noqa: B019  (Limits are immortal module constants)
    def bounds_in(self, unit: Any) -> tuple[float, float]:
        """The bounds converted once into ``unit`` (cached per unit).

        Widened by a relative 1e-9 so that a value exactly at a limit, entered in other units
        (400 kg as 881.85 lb), is not refused for the rounding of the unit conversion.
        """
        low = float(Q_(self.low, self.unit).m_as(unit))
        high = float(Q_(self.high, self.unit).m_as(unit))
        return low * (1.0 - _SLACK), high * (1.0 + _SLACK)


_SLACK = 1e-9

_PATIENT = "Patient plausibility range set by the project (issue 2); catches unit slips"
_CONVENTION = "library screening convention, unsourced; wide on purpose to catch unit slips"

#: The limit on each input, by argument name.
LIMITS: Mapping[str, Limit] = MappingProxyType(
    {
        "height": Limit("height", 20.0, 260.0, CM, False, _PATIENT),
        "weight": Limit("weight", 0.3, 400.0, KG, False, _PATIENT),
        "age": Limit("age", 0.0, 120.0, YEAR, False, _PATIENT),
        "bsa": Limit("bsa", 0.05, 5.0, M2, False, _PATIENT),
        "serum_creatinine": Limit("serum_creatinine", 0.05, 40.0, MG_PER_DL, False, _CONVENTION),
        "creatinine_clearance": Limit(
            "creatinine_clearance", 0.1, 400.0, ML_PER_MIN, False, _CONVENTION
        ),
        "gfr": Limit("gfr", 0.1, 400.0, ML_PER_MIN, False, _CONVENTION),
        "egfr": Limit("egfr", 0.1, 400.0, EGFR, False, _CONVENTION),
        "target_auc": Limit("target_auc", 0.1, 40.0, AUC, False, _CONVENTION),
    }
)


#: (limit name, id of a pre-parsed unit) -> bounds in that unit; filled on first use.
_BOUNDS: dict[tuple[str, int], tuple[float, float]] = {}


def _describe(name: str, value: float, low: float, high: float, unit: Any) -> str:
    symbol = short(unit).replace("**2", "²")
    shown = f"{value:g} {symbol}"
    if math.isnan(value):
        return f"{name}={shown} is not a number (NaN); give a measured value"
    if math.isinf(value):
        return f"{name}={shown} is not finite; give a measured value"
    if value <= 0 and low > 0:
        return f"{name}={shown} must be positive"
    if value < 0:
        return f"{name}={shown} must not be negative"
    return (
        f"{name}={shown} is outside the plausible range {low:g}–{high:g} {symbol}; "
        f"check the value and its unit"
    )


def check_range(
    name: str,
    values: Magnitude,
    low: float,
    high: float,
    unit: Any,
    offset: tuple[int, ...] | None = None,
) -> None:
    """Raise :class:`DomainError` unless every element of ``values`` lies in ``[low, high]``.

    NaN and infinity are always refused. For an array the message names the first bad element
    (``height[3]=nan cm``); ``offset`` is where this block starts in a larger (lazy) array.

    Examples
    --------
    >>> check_range("weight", 40.0, 0.3, 400.0, KG)
    >>> check_range("weight", float("nan"), 0.3, 400.0, KG)
    Traceback (most recent call last):
    ...
    dosing.errors.DomainError: weight=nan kg is not a number (NaN); give a measured value
    """
    if isinstance(values, float):
        if not low <= values <= high:  # NaN fails every comparison
            raise DomainError(_describe(name, values, low, high, unit))
        return
    if values.size == 0:
        raise DomainError(f"{name} is an empty array; give at least one value")
    # min/max propagate NaN, so two reductions check finiteness and range together.
    if low <= values.min() and values.max() <= high:
        return
    bad = ~((values >= low) & (values <= high))
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), values.shape))
    position = index if offset is None else tuple(i + o for i, o in zip(index, offset, strict=True))
    where = position[0] if len(position) == 1 else position
    raise DomainError(_describe(f"{name}[{where}]", float(values[index]), low, high, unit))


def strip(value: object, name: str, unit: Any, limit: str | None = None) -> Magnitude:
    """The boundary in one call: ``value``'s magnitude in ``unit``, checked against its limit.

    Examples
    --------
    >>> strip(Q_(1.5, "m"), "height", CM)
    150.0
    >>> strip(Q_(15, "m"), "height", CM)
    Traceback (most recent call last):
    ...
    dosing.errors.DomainError: height=1500 cm is outside the plausible range 20–260 cm; \
check the value and its unit
    """
    return checked(name, magnitude(value, unit, name), unit, limit)


def same_shape(name: str, values: Any, other_name: str, other: Any) -> None:
    """Refuse two inputs whose shapes do not broadcast (a cohort of 2 heights and 3 weights)."""
    if isinstance(values, float) or isinstance(other, float):
        return  # a scalar broadcasts with anything
    try:
        np.broadcast_shapes(np.shape(values), np.shape(other))
    except ValueError:
        raise DomainError(
            f"{name} has shape {np.shape(values)} and {other_name} has shape {np.shape(other)}; "
            f"a cohort needs arrays of one shape"
        ) from None


def checked(name: str, values: Any, unit: Any, limit: str | None = None) -> Magnitude:
    """Check ``values`` (already in ``unit``) against ``LIMITS[limit or name]`` and return them."""
    key = (limit or name, id(unit))
    bounds = _BOUNDS.get(key)
    if bounds is None:  # once per (limit, unit): the units used are module constants
        bounds = _BOUNDS[key] = LIMITS[limit or name].bounds_in(unit)
    low, high = bounds
    if isinstance(values, float | np.ndarray):
        check_range(name, values, low, high, unit)
        return values
    if is_lazy(values):  # a dask array: checked blockwise when computed

        def check_block(block: Any, block_info: Any = None) -> Any:
            location = (block_info or {}).get(0, {}).get("array-location")
            offset = None if location is None else tuple(start for start, _ in location)
            check_range(name, np.asarray(block, dtype=np.float64), low, high, unit, offset)
            return block

        return values.map_blocks(check_block, dtype=values.dtype)  # type: ignore[no-any-return]
    raise DomainError(
        f"{name} has a magnitude of type {type(values).__name__}; use a float or numpy array"
    )
