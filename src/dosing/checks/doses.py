"""The checks of one schedule: each agent against its dose limits, and what the policy steps did.

For each agent of the schedule, every limit of the limits table that applies to its lines (its
product, its setting, the patient's age) is compared with the doses in the limit's own kind: per
m² of the BSA each dose used, per kg of the weight it used, flat, or Gy; per administration, per
day, or over the course. A hard limit exceeded is an error (``over_limit``); a dose outside a
usual range a warning (``outside_range``). An agent none of whose limits could be compared gets
a ``not_checked`` finding that says why, never silence.

What the policy steps recorded on each row is reported as well: a withheld dose (error), a cap
(info), a rounding that moved the dose by more than 5% (warning); and a dose that is not what its
template prescribes once those steps are accounted for (``not_as_prescribed``, warning).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing._text import given_text
from dosing.amounts import CANONICAL, KIND_WORDS
from dosing.checks.findings import Finding, Severity
from dosing.checks.rules import ROUNDING_WARNING
from dosing.dose_limits import DoseLimit, LimitTable
from dosing.exposure import CALVERT_GFR_CAP, CALVERT_NONRENAL, GFR_FORMULAS, TARGET_AUC_RANGES
from dosing.gfr import auc_dose
from dosing.plausibility import ADULT_AGE_YEARS
from dosing.policy.steps import STEPS
from dosing.regimens.lines import TargetAUC
from dosing.units import ML_PER_MIN
from dosing.vocabulary import AGENTS

if TYPE_CHECKING:
    from dosing.regimens.model import DoseLine
    from dosing.schedule import LineResult, Row, Schedule

__all__ = ["LIMIT_RTOL", "check_schedule", "compared", "in_kind"]

#: Relative tolerance of limit comparisons: a dose exactly at a limit passes despite floating
#: point (0.8 mg/m² × a BSA, divided back by it).
LIMIT_RTOL: Final = 1e-9
#: A dose further than this from what its recorded steps give is not as prescribed.
PRESCRIBED_RTOL: Final = 1e-9
#: The dose unit (mg, IU, Gy) of each canonical amount unit.
_DOSE_UNIT: Final = {str(amount): dose for amount, dose in CANONICAL.values()}


class _Context:
    """One schedule being checked: its patient's sizes and how findings say whom they concern."""

    def __init__(self, schedule: Schedule, error_above_usual: float = 2.0) -> None:
        self.schedule = schedule
        #: How many times a usual top is an error (the limit table's convention).
        self.error_above_usual = error_above_usual
        self.key = schedule.regimen.key
        self.shape = schedule.patient.shape
        self.cohort = schedule.patient.is_cohort
        self.findings: list[Finding] = []
        #: The limits each agent's doses were compared with.
        self.compared: dict[str, list[DoseLimit]] = {}
        values = schedule.patient.magnitudes
        self.weight = values.weight_kg
        self.age = values.age_years
        self.bsa = None if schedule.bsa is None else schedule.bsa.value

    def who(self, mask: Any) -> str:
        if not self.cohort:
            return ""
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), self.shape)
        return f" (patients: {int(np.count_nonzero(mask))} of {mask.size})"

    def add(
        self,
        severity: Severity,
        code: str,
        agent: str,
        day: int | None,
        message: str,
        references: Iterable[str] = (),
        mask: Any = None,
    ) -> None:
        patients = None
        if self.cohort and mask is not None:
            patients = np.broadcast_to(np.asarray(mask, dtype=bool), self.shape).copy()
            patients.flags.writeable = False
        self.findings.append(
            Finding(severity, agent, day, message, code, self.key, tuple(references), patients)
        )


def in_kind(row: Row, limit: DoseLimit, context: _Context, dose: Any = None) -> Any:
    """A row's dose (or ``dose``) in the limit's kind (per m² of the BSA used, per kg, flat, Gy),
    or None when it cannot be expressed so (no weight; mg against IU)."""
    if _DOSE_UNIT[str(limit.unit)] != row.unit:
        return None
    dose = np.asarray(row.dose_value if dose is None else dose, dtype=float)
    if limit.kind == "bsa":
        bsa = row.basis.value if row.basis.kind == "bsa" else context.bsa
        return None if bsa is None else dose / np.asarray(bsa, dtype=float)
    if limit.kind == "weight":
        weight = row.basis.value if row.basis.kind == "weight" else context.weight
        return None if weight is None else dose / np.asarray(weight, dtype=float)
    return dose


def _age_mask(limit: DoseLimit, ages: Any) -> Any:
    """Whom an age-specific limit applies to: True, False, a mask, or None (age unknown)."""
    if limit.age_from is None and limit.age_below is None:
        return True
    if ages is None:
        return None
    mask = np.ones(np.shape(ages), dtype=bool)
    if limit.age_from is not None:
        mask &= np.asarray(ages) >= limit.age_from
    if limit.age_below is not None:
        mask &= np.asarray(ages) < limit.age_below
    return bool(mask) if mask.ndim == 0 else mask


def _matches(line: DoseLine, limit: DoseLimit, table: LimitTable) -> bool:
    return line.agent == limit.agent and table.applies(limit, line.product, line.setting)


def _period(limit: DoseLimit, schedule: Schedule) -> str:
    if limit.per == "course":
        return "per-cycle" if schedule.regimen.frame == "cycle" else "per-course"
    return {"administration": "per-dose", "day": "per-day"}[limit.per]


def _bound_text(limit: DoseLimit, value: float | None) -> str:
    assert value is not None
    return given_text(value, limit.unit)


def _value_text(values: Any, limit: DoseLimit) -> str:
    worst = float(np.max(values)) if np.size(values) else 0.0
    return f"{_number(worst)} {_unit_text(limit)}"


def _unit_text(limit: DoseLimit) -> str:
    return given_text(1.0, limit.unit).split(" ", 1)[1]


def _compare(
    context: _Context,
    limit: DoseLimit,
    values: Any,
    applies: Any,
    day: int | None,
    what: str,
    after: str = "",
) -> bool:
    """Compare one amount with one limit; add a finding when it breaks it. Whether it did.

    The message reads ``{what} {amount}{after}, over ...``.
    """
    values = np.asarray(values, dtype=float)
    mask = np.broadcast_to(np.asarray(applies, dtype=bool), np.shape(values))
    agent, schedule = limit.agent, context.schedule
    if limit.tier == "hard":
        assert limit.high is not None
        over = (values > limit.high * (1.0 + LIMIT_RTOL)) & mask
        if over.any():
            shown = np.where(over, values, -np.inf)
            context.add(
                "error",
                "over_limit",
                agent,
                day,
                f"{what} {_value_text(shown, limit)}{after}, over the "
                f"{_period(limit, schedule)} limit of {_bound_text(limit, limit.high)} "
                f"{limit.sources}{context.who(over)}",
                limit.references,
                over,
            )
            return True
        return False
    low = (values < limit.low * (1.0 - LIMIT_RTOL)) & mask if limit.low is not None else None
    high = (values > limit.high * (1.0 + LIMIT_RTOL)) & mask if limit.high is not None else None
    far = None
    if limit.high is not None and high is not None:
        far = (values > limit.high * context.error_above_usual * (1.0 + LIMIT_RTOL)) & mask
        high = high & ~far
    for outside, side in ((low, "below"), (high, "above"), (far, "far above")):
        if outside is not None and outside.any():
            shown = np.where(outside, values, np.inf if side == "below" else -np.inf)
            worst = np.min(shown) if side == "below" else np.max(shown)
            severity: Severity = "warning"
            tail = ""
            if side == "far above":
                severity = "error"
                tail = (
                    f" (more than {context.error_above_usual:g} times its top: an error by "
                    f"convention)"
                )
            context.add(
                severity,
                "outside_range",
                agent,
                day,
                f"{what} {_number(float(worst))} {_unit_text(limit)}{after}, {side} the "
                f"{limit.describe()} {limit.sources}{tail}"
                f"{context.who(outside)}",
                limit.references,
                outside,
            )
    return False


#: The GFR a usual flat maximum of a line by target AUC is scaled with: NCCN's "Maximum
#: Carboplatin Dose (mg) = Target AUC (mg/mL/min) x (125 mL/min + 25)".
_AUC_MAX_CLEARANCE: Final = float((CALVERT_GFR_CAP + CALVERT_NONRENAL).m_as(ML_PER_MIN))


def auc_limit(limit: DoseLimit, line: DoseLine) -> DoseLimit:
    """The usual flat maximum per administration for a line by target AUC follows the line's
    own target: target AUC × (125 + 25) mL/min (NCCN), not the row's number (900 mg, the
    maximum at AUC 6), so that a capped dose at a label target (AUC 7: 1050 mg) is not warned.
    Every other limit, and every other line, is unchanged."""
    rule = line.rule
    if (
        not isinstance(rule, TargetAUC)
        or limit.tier != "usual"
        or limit.kind != "flat"
        or limit.high is None
    ):
        return limit
    high = rule.value * _AUC_MAX_CLEARANCE
    return replace(
        limit,
        high=high,
        low=None if limit.low is None else min(limit.low, high),
        note=f"the maximum for this line's target AUC {rule.value:g} mg·min/mL: "
        f"{rule.value:g} × (125 + 25) mL/min (NCCN); {limit.note}",
    )


def _number(value: float) -> str:
    """Four significant figures, never in exponent notation for a dose (70000, not 7e+04)."""
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def _check_limits(
    context: _Context, agent: str, lines: list[LineResult], table: LimitTable
) -> None:
    """Every applicable limit of ``agent`` against its rows; ``not_checked`` where it cannot."""
    schedule = context.schedule
    rows_of = {
        id(result): [row for row in schedule.rows if row.result is result] for result in lines
    }
    compared: set[int] = set()  # the lines at least one limit was compared with
    missing: dict[str, str] = {}  # a reason a limit could not be compared -> its text
    # each line's own reasons, by the limit's kind: its doses cannot be expressed in that kind
    # (a unit, no weight). A flat or per-m² line meets per-kg limits through the weight.
    unexpressed: dict[int, dict[str, str]] = {}
    hard_broken: set[tuple[str, int | None]] = set()
    limits = [limit for limit in table.for_agent(agent) if limit.per != "lifetime"]
    for tier in ("hard", "usual"):
        for limit in (item for item in limits if item.tier == tier):
            # Every kind of line is compared (a per-kg dose with a per-m² limit, through the BSA
            # it used), when the dose can be expressed in the limit's kind.
            matched = [result for result in lines if _matches(result.line, limit, table)]
            if not matched:
                continue
            applies = _age_mask(limit, context.age)
            if applies is None:
                missing["age"] = (
                    f"its {limit.describe()} {limit.sources} depends on age, which the patient "
                    f"does not have"
                )
                continue
            if applies is False:
                continue
            amounts: list[tuple[Row, Any]] = []
            for result in matched:
                # A usual range is about the dose the template prescribes, before the policy's
                # deliberate reductions (a renal factor, a dose factor, a cap, rounding).
                dose = _prescribed(result, context) if tier == "usual" else None
                for row in rows_of[id(result)]:
                    value = in_kind(row, limit, context, dose)
                    if value is None:
                        why = _why_not(limit, row, context)
                        missing[limit.kind] = why
                        unexpressed.setdefault(id(result), {}).setdefault(limit.kind, why)
                        break
                    amounts.append((row, value))
                else:
                    compared.add(id(result))
            if not amounts:
                continue
            context.compared.setdefault(agent, []).append(limit)
            if limit.per == "administration":
                for row, value in amounts:
                    if tier == "usual" and ("administration", row.day) in hard_broken:
                        continue
                    own = auc_limit(limit, row.result.line)
                    if _compare(context, own, value, applies, row.day, f"{agent} dose is"):
                        hard_broken.add(("administration", row.day))
            elif limit.per == "day":
                by_day: dict[int, Any] = {}
                for row, value in amounts:
                    by_day[row.day] = by_day.get(row.day, 0.0) + value
                for day, value in by_day.items():
                    if tier == "usual" and ("day", day) in hard_broken:
                        continue
                    what = f"{agent} gives on day {day}"
                    if _compare(context, limit, value, applies, day, what):
                        hard_broken.add(("day", day))
            else:
                total = sum((value for _, value in amounts), start=np.float64(0.0))
                if tier == "usual" and ("course", None) in hard_broken:
                    continue
                after = f" in {context.schedule.regimen.key}"
                if _compare(context, limit, total, applies, None, f"{agent} totals", after):
                    hard_broken.add(("course", None))
    # Lifetime limits are compared across the course (dosing.checks.course), with the prior
    # exposures; a line that can be expressed in one that applies to the patient is compared.
    for limit in table.for_agent(agent):
        if limit.per != "lifetime":
            continue
        applies = _age_mask(limit, context.age)
        if applies is None:  # dosing.checks.course compares the largest; the age decides
            missing.setdefault(
                "age",
                f"its {limit.describe()} {limit.sources} depends on age, which the patient does "
                f"not have",
            )
            continue
        if applies is False or not np.any(applies):
            continue
        for result in lines:
            rows = rows_of[id(result)]
            if _matches(result.line, limit, table) and all(
                in_kind(row, limit, context) is not None for row in rows
            ):
                compared.add(id(result))
                context.compared.setdefault(agent, []).append(limit)
    _not_checked(context, agent, lines, table, compared, missing, unexpressed)


def _why_not(limit: DoseLimit, row: Row, context: _Context) -> str:
    if _DOSE_UNIT[str(limit.unit)] != row.unit:
        return f"its limits are in {_unit_text(limit)}, its doses in {row.unit:~P}"
    if limit.kind == "weight":
        return f"its {limit.describe()} {limit.sources} needs the patient's weight"
    # Never reached: every patient has a BSA (given, or from the height and weight a
    # Patient needs without one), so a per-m² limit never lacks its basis
    return f"its {limit.describe()} {limit.sources} needs the patient's BSA"  # pragma: no cover


def _not_checked(
    context: _Context,
    agent: str,
    lines: list[LineResult],
    table: LimitTable,
    compared: set[int],
    missing: dict[str, str],
    unexpressed: dict[int, dict[str, str]],
) -> None:
    """Say what of ``agent`` was not compared with any limit, and why."""
    reasons: list[str] = []
    partial: list[str] = []
    for result in lines:
        line = result.line
        if id(result) not in compared:
            reasons.append(_reason(line, table, missing, unexpressed.get(id(result), {})))
            continue
        # compared with some limit, but its own kind or setting is recorded as not checked:
        # say so, since the limits it met are not the ones for it
        partial.extend(
            record.why
            for record in table.unchecked_for(agent)
            if table.applies(record, line.product, line.setting) and record.kind == line.kind
        )
    for reason in dict.fromkeys(reasons):
        context.add("info", "not_checked", agent, None, f"{agent} was not checked: {reason}")
    for reason in dict.fromkeys(partial):
        context.add(
            "info", "not_checked", agent, None, f"{agent} was checked only in part: {reason}"
        )
    settings = {
        limit.setting
        for limit in table.for_agent(agent)
        if limit.setting is not None and any(result.line.setting is None for result in lines)
    }
    if settings:
        context.add(
            "info",
            "not_checked",
            agent,
            None,
            f"{agent}: its limits for {', '.join(sorted(settings))} were not applied, because the "
            f'template does not say the line is for that setting (write setting = "..."); the '
            f"limits for every use were",
        )


def _reason(
    line: DoseLine, table: LimitTable, missing: dict[str, str], unexpressed: dict[str, str]
) -> str:
    agent = line.agent
    if not line.known:
        return "it is not in the vocabulary (data/agents.toml), so no limit is known"
    if agent in AGENTS and AGENTS[agent].needs_product and line.product is None:
        products = ", ".join(AGENTS[agent].product_names)
        return f"its products are dosed differently ({products}): name the product in the template"
    for record in table.unchecked_for(agent):
        if table.applies(record, line.product, line.setting) and (
            record.kind is None or record.kind == line.kind
        ):
            return record.why
    if line.kind in missing:
        return missing[line.kind]
    if "age" in missing:
        return missing["age"]
    if unexpressed:  # the line's own: a flat or per-m² dose against limits per kg, no weight
        return "; ".join(unexpressed.values())
    if not table.knows(agent):
        return "no limits are kept for it"
    # the kinds of the limits for this line's product and setting (another setting's limits,
    # in whatever kind, would not apply to it)
    kinds = sorted(
        {
            limit.kind
            for limit in table.for_agent(agent)
            if table.applies(limit, line.product, line.setting)
        }
    )
    if kinds and line.kind not in kinds:
        return (
            f"it is dosed {KIND_WORDS[line.kind]} here, and its limits are "
            f"{' or '.join(KIND_WORDS[kind] for kind in kinds)}"
        )
    where = f" for the setting {line.setting}" if line.setting else ""
    product = f" ({line.product})" if line.product else ""
    return f"no limit applies to it{product}{where}"


def _check_steps(context: _Context, result: LineResult, rows: list[Row]) -> None:
    """Report what the policy steps recorded: withheld, capped, rounded far."""
    agent = result.line.agent
    done = {adjustment.flag: adjustment for adjustment in result.adjustments}
    for row in rows:
        withheld = done.get("withheld")
        if withheld is not None:
            context.add(
                "error",
                "withheld",
                agent,
                row.day,
                f"{agent} is withheld (dose 0) by the renal policy{context.who(withheld.applies)}; "
                f"{withheld.reason.removeprefix('not to be given: ')}",
                mask=withheld.applies,
            )
        for flag, what in (
            ("dose_capped", "the template's cap"),
            ("bsa_capped", "the BSA cap"),
            ("gfr_capped", "the policy's Calvert GFR cap"),
            ("creatinine_floored", "the policy's serum creatinine floor"),
        ):
            capped = done.get(flag)
            if capped is not None:
                context.add(
                    "info",
                    "capped",
                    agent,
                    row.day,
                    f"{agent} dose was limited by {what}{context.who(capped.applies)}",
                    mask=capped.applies,
                )
        _check_banding(context, result, row, done)
        rounded = done.get("rounded")
        if rounded is not None:
            before = np.asarray(rounded.before, dtype=float)
            change = np.abs(np.asarray(rounded.after, dtype=float) - before) / np.where(
                before > 0, before, 1.0
            )
            moved = change > ROUNDING_WARNING
            if moved.any():
                context.add(
                    "warning",
                    "rounding",
                    agent,
                    row.day,
                    f"rounding moved the {agent} dose by {float(np.max(change)):.1%} (more than "
                    f"{ROUNDING_WARNING:.0%}){context.who(moved)}",
                    mask=moved,
                )


def _check_banding(context: _Context, result: LineResult, row: Row, done: dict[str, Any]) -> None:
    """A dose the band table left as calculated, or banded by an accepted or example table."""
    agent = result.line.agent
    left = done.get("not_banded")
    if left is not None:
        context.add(
            "warning",
            "not_banded",
            agent,
            row.day,
            f"{agent} dose was not banded{context.who(left.applies)}: {left.reason}",
            mask=left.applies,
        )
    banded = done.get("banded")
    if banded is None:
        return
    accepted = done.get("band_tolerance_accepted")
    if accepted is not None:
        context.add(
            "warning",
            "band_tolerance",
            agent,
            row.day,
            f"{agent} dose was banded{context.who(accepted.applies)}; {accepted.reason}",
            mask=accepted.applies,
        )
    table = context.schedule.policy.band_table_for(agent)
    if table is not None and table.example:
        context.add(
            "warning",
            "example_table",
            agent,
            row.day,
            f"{agent} dose was banded{context.who(banded.applies)} by {table.key}, an example "
            f"table no source gives: check it against your institution's table",
            mask=banded.applies,
        )


def _start(result: LineResult, context: _Context) -> Any:
    """The template's amount × the basis it starts on (the patient's BSA, actual weight, 1)."""
    line = result.line
    if isinstance(line.rule, TargetAUC):  # the target × the clearance of the GFR as obtained
        weight = None if context.weight is None else np.asarray(context.weight)
        return auc_dose(line.rule, np.asarray(result.basis.value), weight)
    if line.kind == "bsa":
        return None if context.bsa is None else line.amount_value * np.asarray(context.bsa)
    if line.kind == "weight":
        return None if context.weight is None else line.amount_value * np.asarray(context.weight)
    return np.asarray(line.amount_value)


def _prescribed(result: LineResult, context: _Context) -> Any:
    """The dose the template prescribes on the basis the policy chose: after the basis steps
    (dosing weight, infant rule, BSA cap), before the deliberate ones."""
    dose = _start(result, context)
    for adjustment in result.adjustments:
        if not STEPS[adjustment.step].basis:
            break
        dose = adjustment.after
    return result.dose if dose is None else dose


def _check_prescribed(context: _Context, result: LineResult) -> None:
    """The dose is the template's amount × its basis, changed only by the recorded steps."""
    line = result.line
    start = _start(result, context)
    if start is None:  # pragma: no cover  (expansion needs the basis it multiplies by)
        return
    expected: Any = start
    problems = []
    for adjustment in result.adjustments:
        if adjustment.flag in ("withheld", "band_tolerance_accepted"):
            continue  # recorded beside the step it belongs to
        if not _close(adjustment.before, expected):
            problems.append(f"before {adjustment.step}")
        expected = adjustment.after
    final = result.dose
    if not _close(final, expected):
        problems.append("the final dose")
    if not result.adjustments or any(STEPS[a.step].stage == "prepare" for a in result.adjustments):
        calculated_ok = True
    else:
        calculated_ok = _close(result.calculated, expected)
    if problems or not calculated_ok:
        context.add(
            "warning",
            "not_as_prescribed",
            line.agent,
            None,
            f"{line.agent}: the dose is not the template's {line.prescribed.magnitude:g} "
            f"{line.prescribed.units:~P} × its basis with the recorded policy steps "
            f"({', '.join(problems) or 'the calculated dose'}); the schedule may have been changed "
            f"after it was made",
        )


def _close(actual: Any, expected: Any) -> bool:
    return bool(
        np.all(
            np.isclose(
                np.asarray(actual, dtype=float),
                np.asarray(expected, dtype=float),
                rtol=PRESCRIBED_RTOL,
                atol=0.0,
            )
        )
    )


def _check_target(context: _Context, result: LineResult) -> None:
    """A line by target AUC: its target against the agent's usual target AUC, when one is kept
    (``data/exposure.toml``); its dose is compared with the dose limits like any other."""
    line = result.line
    if not isinstance(line.rule, TargetAUC):
        return
    usual = TARGET_AUC_RANGES.get(line.agent)
    target = line.rule.value
    if usual is None:
        context.add(
            "info",
            "not_checked",
            line.agent,
            None,
            f"{line.agent}: its target AUC ({target:g} mg·min/mL) was not checked: no usual "
            f"target is kept for it (data/exposure.toml); its doses are checked against the "
            f"dose limits",
        )
        return
    if not usual.low * (1 - LIMIT_RTOL) <= target <= usual.high * (1 + LIMIT_RTOL):
        side = "below" if target < usual.low else "above"
        context.add(
            "warning",
            "outside_range",
            line.agent,
            None,
            f"{line.agent} target AUC {target:g} mg·min/mL is {side} its {usual.describe()} "
            f"{usual.sources}",
            usual.references,
        )


_GROUP_WORDS: Final = {"adult": "adults (18 years and over)", "child": "children (under 18)"}


def _outside(context: _Context, population: str) -> Any:
    """Whom of the patients is outside ``population`` (a bool or a mask); None: age unknown."""
    if context.age is None:
        return None
    children = np.asarray(context.age) < ADULT_AGE_YEARS
    return children if population == "adult" else np.logical_not(children)


def _check_population(context: _Context) -> None:
    """The template's population (``population = "child"``) and each dose formula's (Newell:
    children; Calvert: adults) against the patient's age: a warning ``outside_population``,
    citing the source; ``not_checked`` when the age is unknown."""
    regimen = context.schedule.regimen
    items: list[tuple[str, str, str, tuple[str, ...]]] = []
    if regimen.population is not None:
        items.append(
            (
                regimen.agents[0],
                regimen.population,
                f"{regimen.key} is written for",
                regimen.references,
            )
        )
    seen: set[tuple[str, str]] = set()
    for result in context.schedule.lines:
        rule = result.line.rule
        if isinstance(rule, TargetAUC) and (result.line.agent, rule.formula) not in seen:
            seen.add((result.line.agent, rule.formula))
            entry = GFR_FORMULAS[rule.formula]
            items.append(
                (
                    result.line.agent,
                    entry.population,
                    f"{result.line.agent}: the {entry.name} formula was derived in",
                    entry.references,
                )
            )
    for agent, population, what, references in items:
        outside = _outside(context, population)
        if outside is None:
            context.add(
                "info",
                "not_checked",
                agent,
                None,
                f"{what} {_GROUP_WORDS[population]}; the patient's age is not known, so it was "
                f"not checked",
                references,
            )
        elif np.any(outside):
            context.add(
                "warning",
                "outside_population",
                agent,
                None,
                f"{what} {_GROUP_WORDS[population]} ({', '.join(references)}); the patient is "
                f"outside it{context.who(outside)}",
                references,
                outside,
            )


def _check_number(context: _Context, result: LineResult) -> None:
    """A dose that is NaN, infinite or negative is an error, never a silent pass: every other
    comparison is false for NaN (issue 16)."""
    for name, value in (("calculated", result.calculated), ("final", result.dose)):
        values = np.asarray(value, dtype=float)
        bad = ~(np.isfinite(values) & (values >= 0))
        if np.any(bad):
            line = result.line
            context.add(
                "error",
                "not_a_number",
                line.agent,
                line.days[0] if len(line.days) == 1 else None,
                f"the {name} dose is not a finite, non-negative number "
                f"({float(values.flat[int(np.argmax(bad))])!r} {line.dose_unit:~P})"
                f"{context.who(bad)}: it must not be given; check the inputs and the policy",
                mask=bad,
            )
            return


def check_schedule(schedule: Schedule, table: LimitTable) -> list[Finding]:
    """Every finding of one schedule (see the module)."""
    return _checked(schedule, table).findings


def compared(schedule: Schedule, table: LimitTable) -> dict[str, tuple[DoseLimit, ...]]:
    """The limits each agent of ``schedule`` was compared with (empty: none, and ``check()``
    says why in a ``not_checked`` finding)."""
    context = _checked(schedule, table)
    return {agent: tuple(context.compared.get(agent, ())) for agent in schedule.agents}


def _checked(schedule: Schedule, table: LimitTable) -> _Context:
    context = _Context(schedule, table.error_above_usual)
    by_agent: dict[str, list[LineResult]] = {}
    for result in schedule.lines:
        by_agent.setdefault(result.line.agent, []).append(result)
    rows_by_line = {
        id(result): [r for r in schedule.rows if r.result is result] for result in schedule.lines
    }
    _check_population(context)
    for agent, lines in by_agent.items():
        if not lines[0].line.known:
            context.add(
                "warning",
                "unknown_agent",
                agent,
                None,
                f"{agent!r} is not in the vocabulary (data/agents.toml): it is not matched to "
                f"any known agent, and its doses cannot be checked",
            )
        for result in lines:
            _check_number(context, result)
            _check_steps(context, result, rows_by_line[id(result)])
            _check_prescribed(context, result)
            _check_target(context, result)
        _check_limits(context, agent, lines, table)
    return context
