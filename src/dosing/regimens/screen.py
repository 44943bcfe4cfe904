"""Slips refused where they are written: a template's amounts against its agents' dose limits.

When a template is read, each dose line of an agent the limits table knows is compared with the
agent's limits (:mod:`dosing.dose_limits`), in the line's own kind of amount:

* an amount in a kind none of the agent's limits uses (``"90 mg"`` of melphalan, which is dosed
  per m²: a forgotten ``/m**2``; methotrexate per kg instead of per m²) is refused;
* an amount over a hard limit, per administration, per day (``amount × per_day``), per course
  (the agent's lines together) or over a lifetime (one course alone), is refused;
* an amount outside a usual range that one slip away (µg↔mg↔g, cGy↔Gy, per kg↔per m²↔flat)
  would be inside it is refused as that slip: ``"2 mg/m**2"`` of cytarabine in a conditioning
  line whose usual range starts at 100 mg/m² is refused with "did you mean 2 g/m²?". So a
  1000-fold slip of any amount inside a usual range is always refused;
* an amount more than :data:`SLIP_FACTOR` times below the bottom of a usual range, or more than
  the table's ``error_above_usual`` (2) times its top, is refused whatever it may have meant.
  Both factors are this library's conventions, not clinical facts.

Each refusal names the file, the field, the limit and its source, and suggests what was likely
meant (``did you mean 30 mg/m**2?``) when one reading of the number fits the limits. A line that
says why its amount is written on purpose (``acknowledge = "..."``) is not screened; its limits
are still checked by ``dosing.check()``. An agent the vocabulary or the limits table does not know
keeps the generic screen of the loader and is reported as not checked by ``dosing.check()``.

A line by weight band is screened band by band, each as an ordinary line of its amount
(:func:`dosing.regimens.read_lines.screen_bands`). A line by target AUC has no amount to screen
here (its dose depends on the patient's GFR): its target is screened against the plausibility
range ``target_auc`` when it is read, and ``dosing.check()`` compares its dose with the limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from dosing._text import given_text
from dosing.amounts import CANONICAL, KIND_WORDS, classify
from dosing.dose_limits import DoseLimit, LimitTable
from dosing.errors import RegimenError
from dosing.units import Q_, short

if TYPE_CHECKING:
    from dosing.regimens.model import DoseLine

__all__ = ["SLIP_FACTOR", "screen_course", "screen_line"]

#: An amount more than this many times outside a usual range is refused as a likely slip.
#: Library screening convention (unsourced): a unit slip is a factor of 1000.
SLIP_FACTOR: Final = 100.0

Fail = Callable[[str | None, str], RegimenError]

#: The mass units an amount may be written in, smallest first: a slip moves it one step.
_MASS_STEPS: Final = ("ng", "ug", "mg", "g")
_DENOMINATORS: Final = {"bsa": "/m**2", "weight": "/kg", "flat": ""}


def _applicable(line: DoseLine, table: LimitTable, kind: str | None = None) -> list[DoseLimit]:
    """The limits of a line's agent for its product and setting (every age), in ``kind``."""
    return [
        limit
        for limit in table.for_agent(line.agent)
        if table.applies(limit, line.product, line.setting)
        and limit.kind == (kind or line.kind)
        and limit.unit == line.amount_unit
    ]


def _period_amount(line: DoseLine, per: str, value: float) -> float:
    if per == "administration":
        return value
    if per == "day":
        return value * line.per_day
    return value * line.administrations  # course and lifetime: this line's course


def _over_hard(line: DoseLine, limits: Iterable[DoseLimit], value: float) -> DoseLimit | None:
    for limit in limits:
        if limit.tier == "hard" and limit.per in ("administration", "day"):
            assert limit.high is not None
            amount = _period_amount(line, limit.per, value)
            # An age-specific limit only refuses when every age variant of it would.
            if (
                amount > limit.high * (1 + 1e-9)
                and limit.age_from is None
                and limit.age_below is None
            ):
                return limit
    return None


def _far_outside(
    line: DoseLine, limits: Iterable[DoseLimit], value: float, above: float
) -> DoseLimit | None:
    """A usual range the amount is far outside: :data:`SLIP_FACTOR` times below its bottom, or
    ``above`` times over its top (the limit table's ``error_above_usual``)."""
    for limit in limits:
        if limit.tier != "usual" or limit.per not in ("administration", "day"):
            continue  # a line is a part of a course: its total is screened across lines
        amount = _period_amount(line, limit.per, value)
        if limit.low is not None and amount * SLIP_FACTOR < limit.low:
            return limit
        if limit.high is not None and amount > limit.high * above * (1 + 1e-9):
            return limit
    return None


def _outside_usual(line: DoseLine, limits: Iterable[DoseLimit], value: float) -> DoseLimit | None:
    """The first usual range (per administration or per day) the line's amount is outside."""
    for limit in limits:
        if limit.tier != "usual" or limit.per not in ("administration", "day"):
            continue
        amount = _period_amount(line, limit.per, value)
        if limit.low is not None and amount < limit.low * (1 - 1e-9):
            return limit
        if limit.high is not None and amount > limit.high * (1 + 1e-9):
            return limit
    return None


def _fitting_reading(line: DoseLine, table: LimitTable) -> str | None:
    """The first reading of the written number one slip away that is a usual dose, as text."""
    for reading in _readings(line):
        if _fits(line, table, reading):
            return f"{reading.magnitude:g} {short(reading.units)}"
    return None


def _fits(line: DoseLine, table: LimitTable, quantity: Any) -> bool:
    """Whether ``quantity`` (a reading of the written amount) is a usual dose of the agent: inside
    a usual range of its kind (under the top of a course range) and under every hard limit."""
    kind, measure = classify(quantity)  # every reading of _readings is in a clinical dose unit
    unit = CANONICAL[(kind, measure)][0]
    value = float(quantity.m_as(unit))
    limits = [
        limit
        for limit in table.for_agent(line.agent)
        if table.applies(limit, line.product, line.setting)
        and limit.kind == kind
        and limit.unit == unit
        and limit.per in ("administration", "day", "course")
    ]
    # A reading is suggested only when it lands inside a usual range with both ends (a range
    # open at one end cannot say that a number is a usual dose: it would suggest 60 µg/kg of
    # cyclophosphamide), and inside every other range and under every hard limit. A course
    # range is compared with this line's own total: a line that is only part of its course may
    # then get no suggestion, never a wrong one.
    if not any(
        limit.tier == "usual" and limit.low is not None and limit.high is not None
        for limit in limits
    ):
        return False
    for limit in limits:
        amount = _period_amount(line, limit.per, value)
        if limit.high is not None and amount > limit.high * (1 + 1e-9):
            return False
        if limit.low is not None and amount < limit.low * (1 - 1e-9):
            return False
    return True


def _readings(line: DoseLine) -> list[Any]:
    """Other readings of the written number, one slip away: the next mass unit, another kind,
    cGy for Gy."""
    written = line.prescribed
    number = written.magnitude
    units = written.units
    numerator = next((name for name, power in units._units.items() if power > 0), None)
    symbol = {"nanogram": "ng", "microgram": "ug", "milligram": "mg", "gram": "g"}.get(
        numerator or ""
    )
    readings = []
    denominator = _DENOMINATORS.get(line.kind)
    if symbol is not None and denominator is not None:
        step = _MASS_STEPS.index(symbol)
        for other in (step - 1, step + 1):
            if 0 <= other < len(_MASS_STEPS):
                readings.append(f"{number:g} {_MASS_STEPS[other]}{denominator}")
        for kind, other_denominator in _DENOMINATORS.items():
            if kind != line.kind:
                readings.append(f"{number:g} {symbol}{other_denominator}")
    radiation = {"gray": "cGy", "centigray": "Gy"}.get(numerator or "")
    if radiation is not None:  # a dose in cGy written as Gy, or the other way
        readings.append(f"{number:g} {radiation}")
    out = []
    for text in readings:
        try:
            out.append(Q_(text))
        except Exception:  # pragma: no cover  (every reading above is a valid unit)
            continue
    return out


def _suggestion(line: DoseLine, table: LimitTable) -> str:
    reading = _fitting_reading(line, table)
    if reading is not None:
        return f"; did you mean {reading}?"
    return "; check the number and its unit"


def _written(line: DoseLine) -> str:
    return f"{line.prescribed.magnitude:g} {short(line.prescribed.units)}"


def screen_line(line: DoseLine, table: LimitTable, where: str, fail: Fail) -> None:
    """Refuse a dose line whose amount is a likely slip for its agent (see the module)."""
    why = table.requires_setting.get(line.agent)
    if why is not None and line.setting is None:
        raise fail(
            f"{where}.setting",
            f"missing: {line.agent} {why}; write setting = one of "
            f"{', '.join(map(repr, sorted(table.settings)))} (in the line or at the top of the "
            f"template)",
        )
    if line.acknowledge or not line.known or not table.knows(line.agent):
        return
    label = f"{where}.amount"
    kinds = table.kinds(line.agent, line.product, line.setting)
    if line.kind not in kinds:
        wanted = " or ".join(KIND_WORDS[kind] for kind in sorted(kinds))
        raise fail(
            label,
            f"{line.agent} {_written(line)} is {KIND_WORDS[line.kind]}, but {line.agent} is "
            f"dosed {wanted} (its limits are){_suggestion(line, table)}; if it is written on "
            f'purpose, say why with acknowledge = "..."',
        )
    limits = _applicable(line, table)
    over = _over_hard(line, limits, line.amount_value)
    if over is not None:
        hint = _suggestion(line, table)
        per_day_slip = (
            over.per == "day"
            and line.per_day > 1
            and over.high is not None
            and line.amount_value <= over.high * (1 + 1e-9)
        )
        if per_day_slip:
            hint = (
                f"; per_day = {line.per_day} gives it {line.per_day} times a day: is "
                f"{_written(line)} the amount per day? Then write amount = "
                f'"{line.prescribed.magnitude / line.per_day:g} '
                f'{short(line.prescribed.units)}" or per_day = 1'
            )
        raise fail(
            label,
            f"{line.agent} {_written(line)} ({_per_text(line, over)}) is over its "
            f"{over.describe()} {over.sources}{hint}",
        )
    outside = _outside_usual(line, limits, line.amount_value)
    if outside is not None:
        reading = _fitting_reading(line, table)
        if reading is not None:
            raise fail(
                label,
                f"{line.agent} {_written(line)} ({_per_text(line, outside)}) is outside its "
                f"{outside.describe()} {outside.sources}, and {reading} is inside it: a likely "
                f"unit slip; did you mean {reading}? If {_written(line)} is meant, say why with "
                f'acknowledge = "..."',
            )
    far = _far_outside(line, limits, line.amount_value, table.error_above_usual)
    if far is not None:
        above = (
            far.high is not None
            and line.amount_value > 0
            and _period_amount(line, far.per, line.amount_value) > far.high
        )
        factor = table.error_above_usual if above else SLIP_FACTOR
        raise fail(
            label,
            f"{line.agent} {_written(line)} ({_per_text(line, far)}) is more than "
            f"{factor:g} times {'over' if above else 'outside'} its {far.describe()} "
            f"{far.sources}{_suggestion(line, table)}; if it is meant, say why with "
            f'acknowledge = "..."',
        )


def _per_text(line: DoseLine, limit: DoseLimit) -> str:
    amount = _period_amount(line, limit.per, line.amount_value)
    period = "lifetime" if limit.per == "lifetime" else f"per {limit.per}"
    return f"{given_text(amount, line.amount_unit)} {period}"


def screen_course(doses: Iterable[DoseLine], table: LimitTable, fail: Fail) -> None:
    """Refuse an agent whose lines together are over a hard per-course or lifetime limit, or far
    outside a usual per-course range."""
    by_agent: dict[tuple[str, Any, Any], list[tuple[int, DoseLine]]] = {}
    for index, line in enumerate(doses):
        if line.acknowledge or not line.known or not table.knows(line.agent):
            continue
        by_agent.setdefault((line.agent, line.kind, line.amount_unit), []).append((index, line))
    for (agent, kind, unit), group in by_agent.items():
        for limit in _course_limits(agent, table, kind, unit):
            assert limit.high is not None or limit.low is not None
            # the lines this limit is for: a product's limit adds that product's lines only
            lines = [
                (i, line) for i, line in group if table.applies(limit, line.product, line.setting)
            ]
            if not lines:
                continue
            index, first = lines[0]
            total = sum(line.amount_value * line.administrations for _, line in lines)
            period = "lifetime" if limit.per == "lifetime" else "per course"
            shown = f"{given_text(total, unit)} {period}"
            over = limit.high is not None and total > limit.high * (1 + 1e-9)
            any_age = limit.age_from is None and limit.age_below is None
            if limit.tier == "hard" and over and any_age:
                raise fail(
                    f"dose[{index}].amount",
                    f"{first.agent} totals {shown} in this template, over its "
                    f"{limit.describe()} {limit.sources}; check the amounts and days",
                )
            if (
                limit.tier == "usual"
                and limit.per == "course"
                and (
                    (limit.low is not None and total * SLIP_FACTOR < limit.low)
                    or (
                        limit.high is not None
                        and total > limit.high * table.error_above_usual * (1 + 1e-9)
                    )
                )
            ):
                raise fail(
                    f"dose[{index}].amount",
                    f"{first.agent} totals {shown} in this template, far outside its "
                    f"{limit.describe()} {limit.sources} (more than {table.error_above_usual:g} "
                    f"times its top, or {SLIP_FACTOR:g} times below its bottom); check the "
                    f"amounts and their units",
                )


def _course_limits(agent: str, table: LimitTable, kind: str, unit: Any) -> list[DoseLimit]:
    return [
        limit
        for limit in table.for_agent(agent)
        if limit.per in ("course", "lifetime") and limit.kind == kind and limit.unit == unit
    ]
