"""The checks across a course: cycles, lifetime limits with the patient's history, repeats,
conditioning intensity.

These rules are data (``dosing/data/course_rules.toml``), each with its source:

* **cycles** of an agent whose label limits them (inotuzumab ozogamicin): at most 6; 2 before a
  transplant (a 3rd may be considered; more is an error); no cycle after 3 without a response;
  at least 6 days between doses, across cycles too; no patient under the label's youngest age;
* **lifetime** limits (anthracyclines, carmustine): prior exposures and planned courses added up,
  with the allowance that remains in the message;
* **repeats**: a second course of total body irradiation is an error unless it is said to be
  intended; a repeat course of an alkylating agent a warning with the cumulative amount; another
  anthracycline than one given before a warning (their equivalence is not computed);
* **intensity**: a template's declared intensity (MAC, RIC, NMA) against the working definitions
  (the CIBMTR operational definition of reduced intensity, Giralt et al. 2009).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing._text import given_text
from dosing.amounts import classify
from dosing.checks.doses import LIMIT_RTOL, _age_mask, _Context, in_kind
from dosing.checks.findings import Finding, Severity
from dosing.checks.rules import RULES
from dosing.dose_limits import DoseLimit, LimitTable
from dosing.references import check_references
from dosing.units import GY, MG_PER_KG, MG_PER_M2, YEAR, parse_quantity
from dosing.vocabulary import AGENTS, canonical_agent

if TYPE_CHECKING:
    from dosing.history import Exposure
    from dosing.schedule import Schedule

__all__ = ["CYCLE_RULES", "check_course"]


@dataclass(frozen=True, slots=True)
class _CycleRule:
    agent: str
    max_cycles: int
    before_transplant: int
    max_before_transplant: int
    stop_without_response_after: int
    min_days: int
    min_age_years: float
    references: tuple[str, ...]


def _cycle_rules(table: Mapping[str, Any]) -> tuple[_CycleRule, ...]:
    """The ``[cycles]`` table of the course rules as rules (a function, so tests can call it)."""
    rules = []
    for agent, raw in table.items():
        rules.append(
            _CycleRule(
                agent=canonical_agent(agent),
                max_cycles=int(raw["max_cycles"]),
                before_transplant=int(raw["cycles_before_transplant"]),
                max_before_transplant=int(raw["max_cycles_before_transplant"]),
                stop_without_response_after=int(raw["stop_without_response_after"]),
                min_days=int(raw["min_days_between_doses"]),
                min_age_years=float(parse_quantity(raw["min_age"]).m_as(YEAR)),
                references=check_references(raw["references"], f"cycle rules of {agent}"),
            )
        )
    return tuple(rules)


CYCLE_RULES: Final = _cycle_rules(RULES["cycles"])
_REPEATS: Final = RULES["repeats"]
_INTENSITY: Final = RULES["intensity"]
INTENSITY_REFERENCES: Final = check_references(_INTENSITY["references"], "intensity")


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(
        self,
        severity: Severity,
        code: str,
        agent: str,
        message: str,
        references: Iterable[str] = (),
        day: int | None = None,
        regimen: str = "",
        patients: Any = None,
    ) -> None:
        self.items.append(
            Finding(severity, agent, day, message, code, regimen, tuple(references), patients)
        )


def _sources(keys: Sequence[str]) -> str:
    return f"[{', '.join(keys)}]"


# -- cycles -------------------------------------------------------------------------------------


def _check_cycles(schedules: Sequence[Schedule], prior: Sequence[Exposure], out: _Findings) -> None:
    transplant = any(s.regimen.frame == "transplant" for s in schedules)
    for rule in CYCLE_RULES:
        cycles = [s for s in schedules if rule.agent in s.agents]
        before = sum(e.cycles or 1 for e in prior if e.agent == rule.agent)
        if not cycles and not before:
            continue
        uncounted = [e for e in prior if e.agent == rule.agent and e.cycles is None]
        if uncounted:
            out.add(
                "info",
                "not_checked",
                rule.agent,
                f"{len(uncounted)} prior exposure(s) of {rule.agent} without a cycle count were "
                f"counted as one cycle each: give Exposure(..., cycles=N) (the amount alone does "
                f"not say how many cycles it was) to check the label's cycle limits",
            )
        count = before + len(cycles)
        refs = rule.references
        agent = rule.agent
        if count > rule.max_cycles:
            out.add(
                "error",
                "cycles",
                agent,
                f"{count} cycles of {agent}; the label allows at most {rule.max_cycles} "
                f"{_sources(refs)}",
                refs,
            )
        elif transplant and count > rule.max_before_transplant:
            out.add(
                "error",
                "cycles",
                agent,
                f"{count} cycles of {agent} before a transplant; the label recommends "
                f"{rule.before_transplant} and allows a third to be considered {_sources(refs)}",
                refs,
            )
        elif transplant and count > rule.before_transplant:
            out.add(
                "warning",
                "cycles",
                agent,
                f"{count} cycles of {agent} before a transplant; the label recommends "
                f"{rule.before_transplant} (a third may be considered) because the risk of "
                f"VOD/SOS rises {_sources(refs)}",
                refs,
            )
        _check_response(rule, cycles, before, out)
        _check_intervals(rule, cycles, prior, out)
        _check_age(rule, cycles, out)


def _check_response(
    rule: _CycleRule, cycles: Sequence[Schedule], before: int, out: _Findings
) -> None:
    limit = rule.stop_without_response_after
    for index, schedule in enumerate(cycles, start=before + 1):
        if index <= limit:
            continue
        response = schedule.regimen.response
        if response == "no-cr":
            out.add(
                "error",
                "no_response",
                rule.agent,
                f"cycle {index} of {rule.agent} ({schedule.regimen.key}) is for a patient not in "
                f"CR/CRi after {limit} cycles; the label says to stop {_sources(rule.references)}",
                rule.references,
                regimen=schedule.regimen.key,
            )
        elif response is None:
            out.add(
                "info",
                "not_checked",
                rule.agent,
                f"cycle {index} of {rule.agent} ({schedule.regimen.key}) does not say whether the "
                f'patient is in CR/CRi (response = "cr" or "no-cr" in the template): the '
                f"label's stop after {limit} cycles without a response was not checked",
                regimen=schedule.regimen.key,
            )


def _check_intervals(
    rule: _CycleRule, cycles: Sequence[Schedule], prior: Sequence[Exposure], out: _Findings
) -> None:
    agent, refs = rule.agent, rule.references
    for schedule in cycles:  # within a cycle, by its day numbers
        day_numbers = sorted({row.day for row in schedule.rows if row.agent == agent})
        for first, second in pairwise(day_numbers):
            if second - first < rule.min_days:
                out.add(
                    "error",
                    "dose_interval",
                    agent,
                    f"{agent} on days {first} and {second} of {schedule.regimen.key}: "
                    f"{second - first} days apart; the label needs at least {rule.min_days} "
                    f"{_sources(refs)}",
                    refs,
                    day=second,
                    regimen=schedule.regimen.key,
                )
    dated = [e.date for e in prior if e.agent == agent and e.date is not None]
    if len(cycles) + len(dated) < 2:
        return
    if any(schedule.anchor is None for schedule in cycles):
        out.add(
            "info",
            "not_checked",
            agent,
            f"the days between doses of {agent} across cycles were not checked: give each cycle's "
            f"date (cycle_start) to check the label's {rule.min_days} days between doses",
        )
        return
    dates: list[tuple[dt.date, str]] = [(date, "a prior dose") for date in dated]
    for schedule in cycles:
        dates.extend(
            (row.date, schedule.regimen.key)
            for row in schedule.rows
            if row.agent == agent and row.date is not None
        )
    dates.sort()
    for (earlier, where_first), (later, where_second) in pairwise(dates):
        gap = (later - earlier).days
        if where_first != where_second and gap < rule.min_days:
            out.add(
                "error",
                "dose_interval",
                agent,
                f"{agent} on {earlier.isoformat()} ({where_first}) and {later.isoformat()} "
                f"({where_second}): {gap} days apart across cycles; the label needs at least "
                f"{rule.min_days} {_sources(refs)}",
                refs,
            )


def _check_age(rule: _CycleRule, cycles: Sequence[Schedule], out: _Findings) -> None:
    for schedule in cycles:
        ages = schedule.patient.magnitudes.age_years
        key = schedule.regimen.key
        if ages is None:
            out.add(
                "info",
                "not_checked",
                rule.agent,
                f"the patient's age is not given: the label's youngest age for {rule.agent} "
                f"({rule.min_age_years:g} year) was not checked",
                regimen=key,
            )
            continue
        young = np.asarray(ages) < rule.min_age_years
        if young.any():
            who = _who(schedule, young)
            out.add(
                "error",
                "min_age",
                rule.agent,
                f"{rule.agent} is approved for patients of {rule.min_age_years:g} year and older; "
                f"the patient is {float(np.min(ages)):.2g} year{who} "
                f"{_sources(rule.references)}",
                rule.references,
                regimen=key,
                patients=_mask(schedule, young),
            )


def _mask(schedule: Schedule, mask: Any) -> Any:
    """A read-only copy of a cohort's mask for :attr:`Finding.patients` (None for one patient)."""
    if not schedule.patient.is_cohort:
        return None
    out = np.broadcast_to(np.asarray(mask, dtype=bool), schedule.patient.shape).copy()
    out.flags.writeable = False
    return out


def _who(schedule: Schedule, mask: Any) -> str:
    if not schedule.patient.is_cohort:
        return ""
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), schedule.patient.shape)
    return f" (patients: {int(np.count_nonzero(mask))} of {mask.size})"


# -- lifetime limits and repeats ----------------------------------------------------------------


def _planned(
    schedules: Sequence[Schedule], limit: DoseLimit, table: LimitTable | None = None
) -> Any:
    """The planned amount of the limit's agent over every schedule, in the limit's kind.

    With ``table``, only the lines the limit is for (their product and setting) are added: an
    intrathecal line is not part of a systemic course.
    """
    total: Any = 0.0
    for schedule in schedules:
        context = _Context(schedule)
        for row in schedule.rows:
            if row.agent != limit.agent:
                continue
            line = row.result.line
            if table is not None and not table.applies(limit, line.product, line.setting):
                continue
            if limit.product is not None and line.product != limit.product:
                continue
            value = in_kind(row, limit, context)
            if value is None:
                return None
            total = total + value
    return total


def _check_lifetime(
    schedules: Sequence[Schedule],
    prior: Sequence[Exposure],
    table: LimitTable,
    out: _Findings,
) -> None:
    agents = dict.fromkeys(
        [agent for schedule in schedules for agent in schedule.agents]
        + [exposure.agent for exposure in prior]
    )
    ages = schedules[0].patient.magnitudes.age_years if schedules else None
    for agent in agents:
        lifetime = [limit for limit in table.for_agent(agent) if limit.per == "lifetime"]
        if not lifetime:
            continue
        planned_any = any(agent in schedule.agents for schedule in schedules)
        for limit in lifetime:
            applies = _age_mask(limit, ages)
            unknown_age = applies is None
            if unknown_age:
                # compared with the largest limit of any age in its kind: over that, it is over
                # every age's limit; under it, the age decides, so it is said to be unchecked
                same_kind = [
                    other.high
                    for other in lifetime
                    if other.kind == limit.kind and other.unit == limit.unit and other.high
                ]
                if limit.high is None or limit.high < max(same_kind):
                    continue
                applies = True
            elif applies is False or not np.any(applies):
                continue
            before, unconverted = 0.0, []
            for exposure in prior:
                if exposure.agent != agent:
                    continue
                if limit.product is not None and exposure.product != limit.product:
                    continue  # a product's limit counts that product only, as it does planned
                value = exposure.in_kind(limit.kind, limit.unit)
                if value is None:
                    unconverted.append(exposure)
                else:
                    before += value
            if unconverted:
                out.add(
                    "info",
                    "not_checked",
                    agent,
                    f"prior {agent} of {unconverted[0].amount:~P} cannot be compared with its "
                    f"{limit.describe()} {limit.sources}: give it in "
                    f"{given_text(1.0, limit.unit).split(' ', 1)[1]} (or the BSA or weight it was "
                    f"given at)",
                )
                continue
            planned = _planned(schedules, limit) if planned_any else 0.0
            if planned is None:
                out.add(
                    "info",
                    "not_checked",
                    agent,
                    f"the planned {agent} cannot be expressed in the unit of its "
                    f"{limit.describe()} {limit.sources}",
                )
                continue
            if unknown_age:
                total = before + np.asarray(planned, dtype=float)
                if not np.any(total > (limit.high or np.inf) * (1 + LIMIT_RTOL)):
                    out.add(
                        "info",
                        "not_checked",
                        agent,
                        f"the lifetime limits of {agent} {limit.sources} depend on age, which the "
                        f"patient does not have (the total is under the largest of them, "
                        f"{limit.describe()})",
                    )
                    continue
            _lifetime_finding(agent, limit, before, planned, applies, out, schedules)


def _lifetime_finding(
    agent: str,
    limit: DoseLimit,
    before: float,
    planned: Any,
    applies: Any,
    out: _Findings,
    schedules: Sequence[Schedule] = (),
) -> None:
    assert limit.high is not None
    total = np.asarray(before + np.asarray(planned, dtype=float))
    unit = given_text(1.0, limit.unit).split(" ", 1)[1]
    worst = float(np.max(np.where(np.asarray(applies), total, -np.inf)))
    over = (total > limit.high * (1 + LIMIT_RTOL)) & np.asarray(applies)
    planned_worst = float(np.max(np.asarray(planned, dtype=float)))
    remain = limit.high - before
    story = (
        f"{before:.4g} {unit} before and {planned_worst:.4g} {unit} planned make {worst:.4g} "
        f"{unit} of its {limit.describe()} {limit.sources}"
    )
    if before > 0:
        left = max(limit.high - worst, 0.0)
        out.add(
            "info",
            "prior_exposure",
            agent,
            f"{agent}: {story}; {left:.4g} {unit} of the allowance would remain",
            limit.references,
        )
    if np.any(over):
        severity: Severity = "error" if limit.tier == "hard" else "warning"
        code = "over_lifetime" if limit.tier == "hard" else "outside_range"
        out.add(
            severity,
            code,
            agent,
            f"{agent}: {story}; {max(remain, 0.0):.4g} {unit} remained before this plan"
            f"{_who(schedules[0], over) if schedules else ''}",
            limit.references,
            patients=_mask(schedules[0], over) if schedules else None,
        )


def _cumulative_text(agent: str, prior: Sequence[Exposure], schedules: Sequence[Schedule]) -> str:
    """Prior amounts and the planned total of an agent, in words."""
    before = [f"{e.amount:~P}" for e in prior if e.agent == agent]
    planned = []
    for schedule in schedules:
        if agent in schedule.agents:
            amounts = [line.course_total for line in schedule.regimen.doses if line.agent == agent]
            total = amounts[0]
            for amount in amounts[1:]:
                total = total + amount.to(total.units)
            planned.append(f"{total:~P} in {schedule.regimen.key}")
    return f"given before: {', '.join(before)}; planned: {', '.join(planned)}"


def _check_repeats(
    schedules: Sequence[Schedule],
    prior: Sequence[Exposure],
    intended: frozenset[str],
    out: _Findings,
) -> None:
    planned = {agent for schedule in schedules for agent in schedule.agents}
    before = {exposure.agent for exposure in prior}
    refuse = {canonical_agent(name) for name in _REPEATS["refuse"]}
    warn_classes = set(_REPEATS["warn_classes"])
    for agent in sorted(planned & before):
        classes = AGENTS[agent].classes if agent in AGENTS else frozenset()
        story = _cumulative_text(agent, prior, schedules)
        if agent in refuse and agent not in intended:
            out.add(
                "error",
                "prior_exposure",
                agent,
                f"{agent} again: the patient already had it ({story}); a second course is an "
                f"error unless it is intended: pass intended_repeats=[{agent!r}] (the command "
                f"line's --intended-repeat)",
            )
        elif agent in refuse:
            out.add(
                "warning",
                "prior_exposure",
                agent,
                f"{agent} again, as intended: {story}",
            )
        elif classes & warn_classes:
            out.add(
                "warning",
                "prior_exposure",
                agent,
                f"a repeat course of {agent} ({', '.join(sorted(classes & warn_classes))}): "
                f"{story}",
            )
    for name in _REPEATS["sum_classes"]:
        members_before = {a for a in before if a in AGENTS and name in AGENTS[a].classes}
        members_planned = {a for a in planned if a in AGENTS and name in AGENTS[a].classes}
        others = members_planned - members_before
        if members_before and members_planned and (others or len(members_before) > 1):
            for agent in sorted(members_planned):
                out.add(
                    "warning",
                    "prior_exposure",
                    agent,
                    f"{agent} after {', '.join(sorted(members_before))} ({name}s add up to one "
                    f"lifetime exposure; their equivalence is not computed here, since published "
                    f"ratios disagree): count the cumulative dose by hand",
                )


# -- intensity ----------------------------------------------------------------------------------


def _met_criteria(schedule: Schedule) -> tuple[list[str], set[str], dict[str, list[str]]]:
    """The myeloablative criteria a schedule meets (as text), the agents the criteria know, and
    those of them no criterion could be compared with, with the doses the criteria are for."""
    met: list[str] = []
    known: set[str] = set()
    compared: set[str] = set()
    wanted: dict[str, list[str]] = {}
    regimen = schedule.regimen
    for raw in _INTENSITY["myeloablative"]:
        agent = canonical_agent(raw["agent"])
        lines = [line for line in regimen.doses if line.agent == agent]
        if not lines:
            continue
        known.add(agent)
        if agent == "total body irradiation":
            fractions = sum(line.administrations for line in lines)
            shape = "single" if fractions == 1 else "fractionated"
            if raw["fractions"] != shape:
                continue
            compared.add(agent)
            total = sum(line.amount_value * line.administrations for line in lines)
            threshold = float(parse_quantity(raw["at_least"]).m_as(GY))
            if total >= threshold * (1 - LIMIT_RTOL):
                met.append(
                    f"TBI {total:g} Gy {shape} (at least {threshold:g} Gy {shape} is myeloablative)"
                )
            continue
        route = raw.get("route")
        inclusive = "at_least" in raw  # "at_least": the threshold itself meets it; "over": not
        threshold_q = parse_quantity(raw["at_least" if inclusive else "over"])
        kind, _ = classify(threshold_q)
        unit = MG_PER_M2 if kind == "bsa" else MG_PER_KG
        unit_text = given_text(1.0, unit).split(" ", 1)[1]
        wanted.setdefault(agent, []).append(f"{route + ' ' if route else ''}doses in {unit_text}")
        if route is not None:
            written = {_route(line.route) for line in lines}
            if route not in written:
                continue
        same = [line for line in lines if line.kind == kind and line.amount_unit == unit]
        if not same:
            continue
        compared.add(agent)
        total = sum(line.amount_value * line.administrations for line in same)
        threshold = float(threshold_q.m_as(unit))
        meets = (
            total >= threshold * (1 - LIMIT_RTOL)
            if inclusive
            else total > threshold * (1 + LIMIT_RTOL)
        )
        if meets:
            words = "at least" if inclusive else "over"
            met.append(
                f"{agent} {given_text(total, unit)} ({words} {given_text(threshold, unit)} is "
                f"myeloablative)"
            )
    unchecked = {agent: wanted[agent] for agent in sorted(known - compared)}
    return met, known, unchecked


def _route(route: str | None) -> str | None:
    if route is None:
        return None
    text = route.strip().lower()
    if text in {"iv", "i.v.", "intravenous", "intravenously"}:
        return "intravenous"
    if text in {"po", "p.o.", "oral", "orally", "by mouth"}:
        return "oral"
    return text


def _check_intensity(schedules: Sequence[Schedule], out: _Findings) -> None:
    refs = INTENSITY_REFERENCES
    caveat = (
        ""
        if _INTENSITY.get("verified")
        else " (thresholds as commonly quoted; not verified against the paper)"
    )
    for schedule in schedules:
        declared = schedule.regimen.intensity
        if declared is None:
            continue
        met, known, unchecked = _met_criteria(schedule)
        key = schedule.regimen.key
        if not met and unchecked:
            needs = "; ".join(f"{agent}: {' or '.join(w)}" for agent, w in unchecked.items())
            out.add(
                "info",
                "not_checked",
                ", ".join(unchecked),
                f"{key} declares {declared}, but its {', '.join(unchecked)} could not be compared "
                f"with the working definitions {_sources(refs)}, whose thresholds are for {needs}:"
                f" its intensity was not checked",
                regimen=key,
            )
        elif met and declared != "MAC":
            out.add(
                "warning",
                "intensity",
                ", ".join(sorted(known)),
                f"{key} declares {declared}, but {'; '.join(met)} is past the reduced-intensity "
                f"thresholds of the working definitions {_sources(refs)}{caveat}; check the "
                f"source",
                refs,
                regimen=key,
            )
        elif not met and declared == "MAC" and known:
            out.add(
                "warning",
                "intensity",
                ", ".join(sorted(known)),
                f"{key} declares MAC, but none of the myeloablative working definitions is met by "
                f"its {', '.join(sorted(known))} {_sources(refs)}{caveat}",
                refs,
                regimen=key,
            )
        elif not met and not known:
            out.add(
                "info",
                "not_checked",
                ", ".join(schedule.agents),
                f"{key} declares {declared}: none of its agents is in the working definitions "
                f"this library knows {_sources(refs)}, so its intensity was not checked",
                regimen=key,
            )


def _transplants(schedules: Sequence[Schedule]) -> list[list[Schedule]]:
    """The transplant-frame schedules grouped by their day 0 (one group per transplant; the
    undated ones are one group: give dates to tell two transplants apart)."""
    groups: dict[Any, list[Schedule]] = {}
    for schedule in schedules:
        if schedule.regimen.frame == "transplant":
            groups.setdefault(schedule.anchor, []).append(schedule)
    return list(groups.values())


def _check_one_course(group: Sequence[Schedule], table: LimitTable, out: _Findings) -> None:
    """Per-course hard limits over every schedule of one transplant (checked one by one too)."""
    if len(group) < 2:
        return
    agents = dict.fromkeys(agent for schedule in group for agent in schedule.agents)
    keys = ", ".join(dict.fromkeys(schedule.regimen.key for schedule in group))
    for agent in agents:
        if sum(agent in schedule.agents for schedule in group) < 2:
            continue
        for limit in table.for_agent(agent):
            if limit.tier != "hard" or limit.per != "course" or limit.high is None:
                continue
            # Only the lines the limit is for add up (an intrathecal line beside systemic ones
            # is left out, not a reason to skip the sum); within one schedule the limit is
            # checked schedule by schedule.
            sharing = sum(
                any(
                    table.applies(limit, r.line.product, r.line.setting)
                    for r in schedule.lines
                    if r.line.agent == agent
                )
                for schedule in group
            )
            if sharing < 2:
                continue
            applies = _age_mask(limit, group[0].patient.magnitudes.age_years)
            if applies is None or applies is False:
                continue
            total = _planned(group, limit, table)
            if total is None:
                out.add(
                    "info",
                    "not_checked",
                    agent,
                    f"{agent} over the schedules of one transplant ({keys}) was not compared "
                    f"with its {limit.describe()} {limit.sources}: a dose could not be expressed "
                    f"in {given_text(1.0, limit.unit).split(' ', 1)[1]}",
                    limit.references,
                )
                continue
            over = (np.asarray(total, dtype=float) > limit.high * (1 + LIMIT_RTOL)) & applies
            if np.any(over):
                worst = float(np.max(np.where(over, total, -np.inf)))
                unit = given_text(1.0, limit.unit).split(" ", 1)[1]
                out.add(
                    "error",
                    "over_limit",
                    agent,
                    f"{agent} totals {_total_text(worst)} {unit} over the schedules of one "
                    f"transplant ({keys}), over its {limit.describe()} {limit.sources}"
                    f"{_who(group[0], over)}; if these are two transplants, give each its "
                    f"transplant date",
                    limit.references,
                    patients=_mask(group[0], over),
                )


def _total_text(value: float) -> str:
    """A total for a message: four significant digits, whole numbers from 10,000 (54000 mg/m²,
    not 5.4e+04) and from 9999.5, which four digits round to 10000 (not 1e+04)."""
    return f"{value:.4g}" if abs(value) < 9999.5 else f"{value:.0f}"


def _check_planned_repeats(
    schedules: Sequence[Schedule], intended: frozenset[str], out: _Findings
) -> None:
    """An agent to be repeated in a later transplant of the same plan: as a prior exposure."""
    groups = _transplants(schedules)
    if len(groups) < 2:
        return
    refuse = {canonical_agent(name) for name in _REPEATS["refuse"]}
    warn_classes = set(_REPEATS["warn_classes"])
    seen: dict[str, str] = {}
    for group in sorted(groups, key=lambda g: (g[0].anchor is None, g[0].anchor or dt.date.min)):
        here = {agent: group[0].regimen.key for s in group for agent in s.agents}
        for agent, key in here.items():
            if agent not in seen:
                continue
            classes = AGENTS[agent].classes if agent in AGENTS else frozenset()
            story = f"planned in {seen[agent]} and again in {key}"
            if agent in refuse and agent not in intended:
                out.add(
                    "error",
                    "prior_exposure",
                    agent,
                    f"{agent} in two transplants of one plan ({story}); a second course is an "
                    f"error unless it is intended: pass intended_repeats=[{agent!r}]",
                )
            elif agent in refuse:
                out.add("warning", "prior_exposure", agent, f"{agent} again, as intended: {story}")
            elif classes & warn_classes:
                out.add(
                    "warning",
                    "prior_exposure",
                    agent,
                    f"a repeat course of {agent} ({', '.join(sorted(classes & warn_classes))}): "
                    f"{story}",
                )
        for agent, key in here.items():
            seen.setdefault(agent, key)


def _check_prior_names(prior: Sequence[Exposure], out: _Findings) -> None:
    for exposure in prior:
        if not exposure.known:
            out.add(
                "warning",
                "unknown_agent",
                exposure.agent,
                f"the prior exposure {exposure.agent!r} is not in the vocabulary "
                f"(data/agents.toml): it is matched to no planned agent, and no limit counts it",
            )
            out.add(
                "info",
                "not_checked",
                exposure.agent,
                f"the prior exposure {exposure.agent!r} was not checked: check its spelling",
            )


def check_course(
    schedules: Sequence[Schedule],
    prior: Sequence[Exposure],
    intended: frozenset[str],
    table: LimitTable,
) -> list[Finding]:
    """Every finding across the course (see the module)."""
    out = _Findings()
    _check_prior_names(prior, out)
    for group in _transplants(schedules):
        _check_one_course(group, table, out)
    _check_planned_repeats(schedules, intended, out)
    _check_cycles(schedules, prior, out)
    _check_lifetime(schedules, prior, table, out)
    _check_repeats(schedules, prior, intended, out)
    _check_intensity(schedules, out)
    return out.items
