"""Dose checks a pharmacist runs before signing an order.

:func:`check` compares a schedule (or every schedule of a course) with a limits table shipped as
data (``dosing/data/dose_limits.toml``), each limit with its source, and reports findings:

* ``error``: a dose over a per-dose or per-cycle limit; a withheld dose; more inotuzumab
  ozogamicin cycles than the label allows (6);
* ``warning``: a rounding that moved a dose by more than 5%; more than 2 inotuzumab cycles before
  a transplant (the label recommends 2);
* ``info``: a dose that a template cap or a BSA cap changed.

Limits compare with a relative tolerance of 1e-9, so a dose exactly at a limit passes despite
floating point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np

from dosing._data import load_toml
from dosing.errors import DomainError
from dosing.references import check_references
from dosing.schedule import Row, Schedule
from dosing.units import KG, M2, is_per_bsa, is_per_weight, parse_quantity, short
from dosing.vocabulary import FLAGS, canonical_agent

__all__ = ["LIMITS_TABLE", "DoseLimit", "Finding", "check"]

Severity = Literal["error", "warning", "info"]

#: Relative tolerance of limit comparisons: a dose exactly at a limit passes.
LIMIT_RTOL: Final = 1e-9

#: The flags whose adjustments check() reports (each declared by its policy step).
_REPORTED: Final = ("withheld", "dose_capped", "bsa_capped", "rounded")
if not set(_REPORTED) <= set(FLAGS):  # pragma: no cover  (a renamed flag, caught on import)
    raise KeyError(f"check() reports flags {set(_REPORTED) - set(FLAGS)} no step sets")

_RULES: Final = load_toml("data/course_rules.toml")
#: A rounding that moved a dose by more than this fraction is a warning (convention, unsourced).
ROUNDING_WARNING: Final = float(_RULES["rounding"]["warn_above"])
#: Inotuzumab ozogamicin cycles (BESPONSA label): at most 6; 2 recommended before HSCT.
INO_AGENT: Final = "inotuzumab ozogamicin"
_INO: Final = _RULES["cycles"][INO_AGENT]
INO_REFERENCES: Final = check_references(_INO["references"], f"course rules of {INO_AGENT}")
INO_MAX_CYCLES: Final = int(_INO["max_cycles"])
INO_CYCLES_BEFORE_HSCT: Final = int(_INO["cycles_before_transplant"])


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of :func:`check`."""

    severity: Severity
    agent: str
    day: int | None
    message: str
    regimen: str = ""

    def __str__(self) -> str:
        where = f" day {self.day}" if self.day is not None else ""
        return f"{self.severity}: {self.agent}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class DoseLimit:
    """A dose limit for one agent, with its source."""

    agent: str
    per_dose: Any
    per_cycle: Any
    references: tuple[str, ...]
    note: str


def _load_limits() -> Mapping[str, DoseLimit]:
    limits: dict[str, DoseLimit] = {}
    for raw in load_toml("data/dose_limits.toml")["limit"]:
        agent = canonical_agent(raw["agent"])
        if not raw["references"]:  # pragma: no cover  (a packaging slip)
            raise ValueError(f"data/dose_limits.toml: the limit for {agent} has no source")
        limits[agent] = DoseLimit(
            agent=agent,
            per_dose=parse_quantity(raw["per_dose"]) if "per_dose" in raw else None,
            per_cycle=parse_quantity(raw["per_cycle"]) if "per_cycle" in raw else None,
            references=check_references(raw["references"], f"dose limit of {agent}"),
            note=raw.get("note", ""),
        )
    return MappingProxyType(limits)


#: Read-only: agent -> :class:`DoseLimit`.
LIMITS_TABLE: Mapping[str, DoseLimit] = _load_limits()


def _per_unit_amount(row: Row, limit_amount: Any, schedule: Schedule) -> tuple[Any, str]:
    """Express a row's dose in the limit's units: per m² of the BSA used, per kg, or flat."""
    dose = np.asarray(row.dose_value, dtype=float)
    units = limit_amount.units
    if is_per_bsa(units):
        bsa = _bsa_used(row, schedule)
        return dose / bsa, "m²"
    if is_per_weight(units):
        weight = schedule.patient.magnitudes.weight_kg
        if row.basis.kind == "weight" and row.basis.value is not None:
            weight = row.basis.value
        if weight is None:
            raise DomainError(
                f"is needed to check {row.agent} per kg",
                argument="weight",
                value=None,
                message=f"checking {row.agent} per kg needs the patient's weight",
            )
        return dose / np.asarray(weight), "kg"
    return dose, ""


def _bsa_used(row: Row, schedule: Schedule) -> Any:
    if row.basis.kind == "bsa" and row.basis.value is not None:
        return np.asarray(row.basis.value)
    assert schedule.bsa is not None
    return np.asarray(schedule.bsa.value)


def _limit_in_dose_units(limit_amount: Any, row: Row) -> float:
    """A limit of mg/m² as mg per m² (or mg/kg, or mg) in the row's dose unit."""
    if is_per_bsa(limit_amount.units):
        return float(limit_amount.m_as(row.unit / M2))
    if is_per_weight(limit_amount.units):
        return float(limit_amount.m_as(row.unit / KG))
    return float(limit_amount.m_as(row.unit))


def _over(value: Any, limit: float) -> Any:
    return np.asarray(value) > limit * (1.0 + LIMIT_RTOL)


def _worst(value: Any) -> float:
    return float(np.max(value))


def _check_schedule(schedule: Schedule) -> list[Finding]:
    findings: list[Finding] = []
    key = schedule.regimen.key
    cohort = schedule.patient.is_cohort

    def who(mask: Any) -> str:
        if not cohort:
            return ""
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), schedule.patient.shape)
        count = int(np.count_nonzero(mask))
        return f" (patients: {count} of {mask.size})"

    for row in schedule:
        # What the policy steps did to this dose, as they recorded it (never worked out again).
        done = {adjustment.flag: adjustment for adjustment in row.adjustments}
        withheld = done.get("withheld")
        if withheld is not None:
            findings.append(
                Finding(
                    "error",
                    row.agent,
                    row.day,
                    f"{row.agent} is withheld (dose 0) by the renal policy"
                    f"{who(withheld.applies)}; {withheld.reason}",
                    key,
                )
            )
        for flag, what in (("dose_capped", "the template's cap"), ("bsa_capped", "the BSA cap")):
            capped = done.get(flag)
            if capped is not None:
                findings.append(
                    Finding(
                        "info",
                        row.agent,
                        row.day,
                        f"{row.agent} dose was limited by {what}{who(capped.applies)}",
                        key,
                    )
                )
        rounded = done.get("rounded")
        if rounded is not None:
            calculated = np.asarray(rounded.before, dtype=float)
            change = np.abs(np.asarray(rounded.after, dtype=float) - calculated) / np.where(
                calculated > 0, calculated, 1.0
            )
            moved = change > ROUNDING_WARNING
            if moved.any():
                findings.append(
                    Finding(
                        "warning",
                        row.agent,
                        row.day,
                        f"rounding moved the {row.agent} dose by {_worst(change):.1%} (more than "
                        f"{ROUNDING_WARNING:.0%}){who(moved)}",
                        key,
                    )
                )
        limit = LIMITS_TABLE.get(row.agent)
        if limit is not None and limit.per_dose is not None:
            per_unit, denominator = _per_unit_amount(row, limit.per_dose, schedule)
            bound = _limit_in_dose_units(limit.per_dose, row)
            over = _over(per_unit, bound)
            if over.any():
                findings.append(
                    Finding(
                        "error",
                        row.agent,
                        row.day,
                        f"{row.agent} dose is {_worst(per_unit):.4g} {short(row.unit)}"
                        f"{'/' + denominator if denominator else ''}, over the per-dose limit of "
                        f"{_text(limit.per_dose)} [{', '.join(limit.references)}]{who(over)}",
                        key,
                    )
                )
    for agent, limit in LIMITS_TABLE.items():
        if limit.per_cycle is None or agent not in schedule.agents:
            continue
        rows = schedule.rows_for(agent)
        total: Any = np.zeros(schedule.patient.shape)
        for row in rows:
            per_unit, denominator = _per_unit_amount(row, limit.per_cycle, schedule)
            total = total + per_unit
        bound = _limit_in_dose_units(limit.per_cycle, rows[0])
        over = _over(total, bound)
        if over.any():
            unit = short(rows[0].unit) + (f"/{denominator}" if denominator else "")
            findings.append(
                Finding(
                    "error",
                    agent,
                    None,
                    f"{agent} totals {_worst(total):.4g} {unit} in {key}, over the per-cycle limit "
                    f"of {_text(limit.per_cycle)} [{', '.join(limit.references)}]{who(over)}",
                    key,
                )
            )
    return findings


def _text(quantity: Any) -> str:
    return f"{quantity.magnitude:g} {short(quantity.units).replace('**2', '²')}"


def _check_course(schedules: list[Schedule]) -> list[Finding]:
    """The inotuzumab ozogamicin cycle count against the label."""
    cycles = [s for s in schedules if INO_AGENT in s.agents]
    count = len(cycles)
    transplant = any(s.regimen.frame == "transplant" for s in schedules)
    findings = []
    if count > INO_MAX_CYCLES:
        findings.append(
            Finding(
                "error",
                INO_AGENT,
                None,
                f"{count} cycles of {INO_AGENT}; the label allows at most {INO_MAX_CYCLES} "
                f"[{', '.join(INO_REFERENCES)}]",
            )
        )
    elif transplant and count > INO_CYCLES_BEFORE_HSCT:
        findings.append(
            Finding(
                "warning",
                INO_AGENT,
                None,
                f"{count} cycles of {INO_AGENT} before a transplant; the label recommends "
                f"{INO_CYCLES_BEFORE_HSCT} (a third may be considered) because the risk of "
                f"VOD/SOS rises [{', '.join(INO_REFERENCES)}]",
            )
        )
    return findings


def check(*schedules: Schedule | Iterable[Schedule]) -> list[Finding]:
    """Check one schedule, or every schedule of a course, against the limits table.

    Parameters
    ----------
    *schedules : Schedule
        One schedule, several, or one iterable of them (a course: e.g. two inotuzumab cycles and
        the transplant). With more than one, the inotuzumab ozogamicin cycle count is checked too.

    Returns
    -------
    list of Finding
        Errors first, then warnings, then info; each names the agent.

    Examples
    --------
    >>> import dosing
    >>> from dosing import Q_
    >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    >>> dosing.check(dosing.get_regimen("inotuzumab-cycle-1").expand(child))
    []
    """
    flat: list[Schedule] = []
    for item in schedules:
        if isinstance(item, Schedule):
            flat.append(item)
        elif isinstance(item, list | tuple):
            flat.extend(item)
        else:
            raise _not_a_schedule(item)
    for item in flat:
        if not isinstance(item, Schedule):
            raise _not_a_schedule(item)
    if not flat:
        raise DomainError(
            "needs at least one schedule",
            argument="schedules",
            message="check() needs at least one schedule",
        )
    findings = [finding for schedule in flat for finding in _check_schedule(schedule)]
    if len(flat) > 1:
        findings.extend(_check_course(flat))
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: rank[f.severity])


def _not_a_schedule(item: object) -> DomainError:
    return DomainError(
        "is not a schedule",
        argument="schedules",
        value=item,
        shown=repr(item),
        message=f"check() takes schedules; got {item!r}",
    )
