"""Input plausibility: the range every clinical input must lie in, and the checks that enforce it.

One table (``dosing/data/plausibility.toml``), used by :class:`~dosing.Patient` and by every
formula, so that a value refused in one place is refused everywhere. The ranges exist to catch
unit slips and typing errors (a weight in pounds entered as kg, a creatinine in µmol/L entered
as mg/dL), not to judge a real patient; no source sets them, so each says why it is what it is.
(Dose limits, the most an agent may be given, are another matter: see :mod:`dosing.checks`.)

Checks are vectorised: an array is checked with two reductions (its minimum and maximum, which
also catch NaN), and only when one fails is the first offending element located for the message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from dosing._arrays import is_lazy
from dosing._data import load_toml
from dosing.errors import DomainError
from dosing.units import (
    AUC,
    CM,
    EGFR,
    KG,
    KG_PER_M2,
    M2,
    MG_PER_DL,
    MG_PER_L,
    ML_PER_MIN,
    Q_,
    YEAR,
    Magnitude,
    magnitude,
    parse_quantity,
    short,
)

__all__ = [
    "ADULT_AGE_YEARS",
    "BMI_HIGH",
    "BMI_LOW",
    "CHILD_HEIGHT_CM",
    "CHILD_WEIGHT_KG",
    "GIVEN_BSA_TOLERANCE",
    "MAX_INFANT_WEIGHT_KG",
    "MAX_ROUNDING_CHANGE",
    "MIN_DOSE_FACTOR",
    "RANGES",
    "PlausibleRange",
    "bounds",
    "check_range",
    "checked",
    "same_shape",
    "strip",
]

#: Widening of every range, relative: a value exactly at a limit entered in other units (400 kg
#: as 881.85 lb) is not refused for the rounding of the unit conversion.
_SLACK: Final = 1e-9


@dataclass(frozen=True, slots=True)
class PlausibleRange:
    """The plausible closed range ``[low, high]`` of one input, in ``unit``."""

    name: str
    low: float
    high: float
    unit: Any
    sourced: bool
    why: str

    def bounds_in(self, unit: Any) -> tuple[float, float]:
        """The bounds converted into ``unit``, widened by a relative 1e-9 (see ``_SLACK``)."""
        low = float(Q_(self.low, self.unit).m_as(unit))
        high = float(Q_(self.high, self.unit).m_as(unit))
        return low * (1.0 - _SLACK), high * (1.0 + _SLACK)


#: The unit each range is kept in (the units the formulas compute in).
_UNITS: Final = {
    "height": CM,
    "weight": KG,
    "age": YEAR,
    "bsa": M2,
    "serum_creatinine": MG_PER_DL,
    "cystatin_c": MG_PER_L,
    "creatinine_clearance": ML_PER_MIN,
    "gfr": ML_PER_MIN,
    "egfr": EGFR,
    "target_auc": AUC,
}


def _in(text: str, unit: Any) -> float:
    return float(parse_quantity(text).m_as(unit))


def _load() -> tuple[
    Mapping[str, PlausibleRange], Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]
]:
    data = load_toml("data/plausibility.toml")
    ranges = {}
    for name, raw in data["range"].items():
        unit = _UNITS[name]
        ranges[name] = PlausibleRange(
            name, _in(raw["low"], unit), _in(raw["high"], unit), unit, raw["sourced"], raw["why"]
        )
    if set(ranges) != set(_UNITS):  # pragma: no cover  (a packaging slip)
        raise ValueError(f"data/plausibility.toml: ranges {sorted(ranges)} != {sorted(_UNITS)}")
    return MappingProxyType(ranges), data["screen"], data["population"], data["policy"]


_RANGES, _SCREEN, _POPULATION, _POLICY = _load()

#: Read-only: input name -> :class:`PlausibleRange`.
RANGES: Mapping[str, PlausibleRange] = _RANGES
#: Body-mass index outside [BMI_LOW, BMI_HIGH] kg/m² warns (library convention, unsourced).
BMI_LOW: Final = _in(_SCREEN["bmi_low"], KG_PER_M2)
BMI_HIGH: Final = _in(_SCREEN["bmi_high"], KG_PER_M2)
#: A given BSA further than this fraction from the Mosteller BSA warns (convention, unsourced).
GIVEN_BSA_TOLERANCE: Final = float(_SCREEN["given_bsa_tolerance"])
#: From this age a patient is an adult (library convention, unsourced; see the data file).
ADULT_AGE_YEARS: Final = _in(_POPULATION["adult_age"], YEAR)
#: Without an age, a height or weight below these may be a child's (screening convention).
CHILD_HEIGHT_CM: Final = _in(_POPULATION["child_height"], CM)
CHILD_WEIGHT_KG: Final = _in(_POPULATION["child_weight"], KG)
#: The smallest factor Policy(dose_factors=...) accepts (library convention, unsourced).
MIN_DOSE_FACTOR: Final = float(_POLICY["min_dose_factor"])
#: The largest Policy(max_rounding_change=...) (library convention, unsourced).
MAX_ROUNDING_CHANGE: Final = float(_POLICY["max_rounding_change"])
#: The heaviest InfantRule(below_weight=...) [kg] (library convention, unsourced).
MAX_INFANT_WEIGHT_KG: Final = _in(_POLICY["max_infant_weight"], KG)

_minimum: Final = np.minimum.reduce
_maximum: Final = np.maximum.reduce

#: (range name, id of a pre-parsed unit) -> bounds in that unit; filled on first use.
_BOUNDS: dict[tuple[str, int], tuple[float, float]] = {}


def _refusal(name: str, value: float, low: float, high: float, unit: Any) -> DomainError:
    symbol = short(unit).replace("**2", "²")
    shown = f"{value:g} {symbol}"
    if math.isnan(value):
        reason, fix = "is not a number (NaN)", "give a measured value"
    elif math.isinf(value):
        reason, fix = "is not finite", "give a measured value"
    elif value <= 0 and low > 0:
        reason, fix = "must be positive", None
    elif value < 0:
        reason, fix = "must not be negative", None
    else:
        reason = f"is outside the plausible range {low:g}–{high:g} {symbol}"
        fix = "check the value and its unit"
    return DomainError(reason, argument=name, value=Q_(value, unit), shown=shown, fix=fix)


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
            raise _refusal(name, values, low, high, unit)
        return
    if values.size == 0:
        raise DomainError("is an empty array", argument=name, fix="give at least one value")
    # min/max propagate NaN, so two reductions check finiteness and range together.
    if low <= _minimum(values, None) and _maximum(values, None) <= high:
        return
    bad = ~((values >= low) & (values <= high))
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), values.shape))
    position = index if offset is None else tuple(i + o for i, o in zip(index, offset, strict=True))
    where = position[0] if len(position) == 1 else position
    raise _refusal(f"{name}[{where}]", float(values[index]), low, high, unit)


def strip(value: object, name: str, unit: Any, limit: str | None = None) -> Magnitude:
    """The boundary in one call: ``value``'s magnitude in ``unit``, checked against its range.

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
    if getattr(values, "shape", None) == getattr(other, "shape", False):
        return  # one shape: nothing to broadcast
    try:
        np.broadcast_shapes(np.shape(values), np.shape(other))
    except ValueError:
        raise DomainError(
            f"has shape {np.shape(values)} and {other_name} has shape {np.shape(other)}",
            argument=name,
            fix="a cohort needs arrays of one shape",
        ) from None


def bounds(name: str, unit: Any) -> tuple[float, float]:
    """``RANGES[name]`` in ``unit`` (a module constant), widened by the slack."""
    key = (name, id(unit))
    found = _BOUNDS.get(key)
    if found is None:  # once per (range, unit): the units used are module constants
        found = _BOUNDS[key] = RANGES[name].bounds_in(unit)
    return found


def checked(name: str, values: Any, unit: Any, limit: str | None = None) -> Magnitude:
    """Check ``values`` (already in ``unit``) against ``RANGES[limit or name]`` and return them."""
    low, high = bounds(limit or name, unit)
    if values.__class__ is float:
        if not low <= values <= high:  # NaN fails every comparison
            raise _refusal(name, values, low, high, unit)
        return values  # type: ignore[no-any-return,unused-ignore]
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
        f"has a magnitude of type {type(values).__name__}",
        argument=name,
        fix="use a float or numpy array",
    )
