"""Day numbering and the day notation of templates.

Two frames, never mixed:

* **cycle** days start at day 1 (there is no day 0): inotuzumab ozogamicin on days 1, 8 and 15.
  With the date of cycle day 1 (``cycle_start``), day *d* falls on ``cycle_start + (d − 1)``.
* **transplant** days count from day 0, the graft infusion: conditioning on negative days, GVHD
  prophylaxis on positive ones. With the date of day 0 (``transplant_date``), day *d* falls on
  ``transplant_date + d``.

Templates write days as comma-separated integers and inclusive ranges, ``"-7..-5"`` or
``"1, 8, 15"`` or ``"-6..-4, -1"`` (a TOML array of integers is read the same way). The reader is
strict: a token it cannot read, a descending range, an empty list or a day listed twice raises,
and nothing is ever dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final, Literal

from dosing.errors import NO_VALUE, DosingError, show_value

__all__ = ["FRAMES", "Frame", "calendar_date", "format_days", "parse_days"]

Frame = Literal["cycle", "transplant"]
FRAMES: Final[tuple[Frame, ...]] = ("cycle", "transplant")

_INT = r"[+-]?[0-9]+"  # ASCII digits only: "١" is not a day
_SINGLE = re.compile(rf"^({_INT})$")
_RANGE = re.compile(rf"^({_INT})\s*\.\.\s*({_INT})$")
#: The largest |day| a template may use; a guard against typos such as "-700".
MAX_ABS_DAY: Final = 400
#: The longest day notation read (characters): every day from -400 to 400 written out one by
#: one takes about 4,000; a bound on work checked before any parsing (not a clinical fact).
MAX_NOTATION: Final = 10_000
#: The longest token read as one day or range ("-400..-399" has 10 characters).
_MAX_TOKEN: Final = 40


class DayNotationError(DosingError, ValueError):
    """The day notation could not be read; the loader re-raises it as a RegimenError.

    Its :attr:`argument` is ``"days"`` and its :attr:`value` the notation as written.
    """

    def __init__(self, message: str, notation: object = NO_VALUE) -> None:
        super().__init__(message, argument="days", value=notation, message=message)


def parse_days(notation: object) -> tuple[int, ...]:
    """Read day notation into a tuple of days, in the order written.

    Examples
    --------
    >>> parse_days("-7..-5")
    (-7, -6, -5)
    >>> parse_days("1, 8, 15")
    (1, 8, 15)
    >>> parse_days([1, 8, 15])
    (1, 8, 15)
    >>> parse_days("-5..-7")
    Traceback (most recent call last):
    ...
    dosing.regimens.days.DayNotationError: descending range '-5..-7'; write '-7..-5'
    """
    if isinstance(notation, list):
        return _from_list(notation)
    if not isinstance(notation, str):
        raise DayNotationError(
            f"days={notation!r} must be a string such as '-7..-5' or '1, 8, 15', or a list of "
            f"integers",
            notation,
        )
    if not notation.strip():
        raise DayNotationError("days is empty; write e.g. '1, 8, 15' or '-7..-5'", notation)
    if len(notation) > MAX_NOTATION:
        raise DayNotationError(
            f"days is {len(notation)} characters long, more than {MAX_NOTATION}; write ranges "
            f"a..b for runs of days",
            notation[:40] + "...",
        )
    days: list[int] = []
    for raw in notation.split(","):
        token = raw.strip()
        if not token:
            raise DayNotationError(
                f"empty item in {notation!r} (two commas, or a trailing one)", notation
            )
        if len(token) > _MAX_TOKEN:  # no int() of a 5,000-digit number
            raise DayNotationError(f"day {token[:20]!r}... is beyond ±{MAX_ABS_DAY}", notation)
        single = _SINGLE.match(token)
        ranged = _RANGE.match(token)
        if single:
            days.append(int(single.group(1)))
        elif ranged:
            first, last = int(ranged.group(1)), int(ranged.group(2))
            for day in (first, last):  # before the range is expanded: "1..100000000" is refused
                _within_bound(day, notation)
            if last < first:
                raise DayNotationError(
                    f"descending range {token!r}; write '{last}..{first}'", notation
                )
            days.extend(range(first, last + 1))
        else:
            where = "" if token == notation.strip() else f" in {notation!r}"
            raise DayNotationError(
                f"cannot read {token!r}{where}; write integers and inclusive ranges a..b "
                f"separated by commas, e.g. '-7..-5' or '1, 8, 15'",
                notation,
            )
    return _checked(days, notation)


def _from_list(values: list[object]) -> tuple[int, ...]:
    if not values:
        raise DayNotationError("days is an empty list; give at least one day", values)
    if len(values) > 2 * MAX_ABS_DAY + 1:  # more days than there are: a repeat, refused at once
        raise DayNotationError(
            f"days lists {len(values)} days; at most {2 * MAX_ABS_DAY + 1} distinct days "
            f"lie within ±{MAX_ABS_DAY}",
            f"a list of {len(values)} items",
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            shown = repr(value) if isinstance(value, int | float | str) else type(value).__name__
            raise DayNotationError(f"days list item {shown[:40]} is not an integer", values)
    return _checked([int(v) for v in values], values)  # type: ignore[call-overload]


def _within_bound(day: int, notation: object) -> None:
    if abs(day) > MAX_ABS_DAY:
        raise DayNotationError(
            f"day {show_value(day)} in {show_value(notation)} is beyond ±{MAX_ABS_DAY}", notation
        )


def _checked(days: list[int], notation: object) -> tuple[int, ...]:
    seen: set[int] = set()
    for day in days:
        _within_bound(day, notation)
        if day in seen:
            raise DayNotationError(
                f"day {day} is listed twice in {notation!r}; for several administrations on one "
                f"day use per_day",
                notation,
            )
        seen.add(day)
    return tuple(days)


def format_days(days: tuple[int, ...]) -> str:
    """Write days back in compact notation, merging consecutive runs.

    Examples
    --------
    >>> format_days((-7, -6, -5, -4))
    '-7..-4'
    >>> format_days((1, 8, 15))
    '1, 8, 15'
    """
    ordered = sorted(days)
    parts: list[str] = []
    start = previous = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == previous + 1:
            previous = day
            continue
        parts.append(str(start) if start == previous else f"{start}..{previous}")
        if day is not None:
            start = previous = day
    return ", ".join(parts)


def calendar_date(frame: Frame, day: int, anchor: dt.date) -> dt.date:
    """The calendar date of ``day`` given the frame's anchor date.

    Examples
    --------
    >>> calendar_date("transplant", -7, dt.date(2026, 12, 10))
    datetime.date(2026, 12, 3)
    >>> calendar_date("cycle", 8, dt.date(2026, 1, 5))
    datetime.date(2026, 1, 12)
    """
    offset = day if frame == "transplant" else day - 1
    return anchor + dt.timedelta(days=offset)
