"""The checks a pharmacist runs before signing an order: nothing passes silently.

:func:`check` compares one schedule, or every schedule of a course, with

* the **dose limits** of each agent (``dosing/data/dose_limits.toml``, each number with its
  source): a hard limit exceeded is an error, a dose outside the usual range a warning, and an
  agent that could not be compared with any limit gets a ``not_checked`` finding saying why;
* what the **policy steps** recorded: a withheld dose, a cap, a large rounding, and a dose that is
  not what its template prescribes once those steps are accounted for;
* the **course rules** (``dosing/data/course_rules.toml``): cycle counts, the days between doses
  across cycles, the youngest age, lifetime limits with the patient's prior exposures, repeat
  courses, and the declared conditioning intensity.

Every :class:`Finding` has a stable ``code`` (:data:`CODES`), so that software can act on it
without reading its message. ``docs/safety.md`` lists every limit with its source, and what is and
is not checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dosing.checks.course import check_course
from dosing.checks.doses import LIMIT_RTOL, check_schedule
from dosing.checks.doses import compared as _compared
from dosing.checks.findings import CODES, SEVERITIES, Finding
from dosing.checks.rules import ROUNDING_WARNING
from dosing.dose_limits import DOSE_LIMITS, LimitTable
from dosing.errors import DomainError, safe_repr, show_value
from dosing.history import Exposure
from dosing.schedule import Schedule
from dosing.vocabulary import canonical_agent, identify

__all__ = [
    "CODES",
    "LIMIT_RTOL",
    "ROUNDING_WARNING",
    "Exposure",
    "Finding",
    "check",
    "compared",
]


def check(
    *schedules: Schedule | Iterable[Schedule],
    prior: Iterable[Exposure] = (),
    intended_repeats: Iterable[str] = (),
    limits: LimitTable | None = None,
) -> list[Finding]:
    """Check one schedule, or every schedule of a course, against limits and course rules.

    Parameters
    ----------
    *schedules : Schedule
        One schedule, several, or one iterable of them: a course, in order (e.g. two inotuzumab
        cycles and the transplant).
    prior : iterable of Exposure
        What the patient was already given (:class:`dosing.Exposure`), for lifetime limits and
        repeat courses.
    intended_repeats : iterable of str
        Agents whose repeat course is intended (a second total body irradiation): reported as a
        warning instead of an error.
    limits : LimitTable, optional
        Other limits than the packaged ones (:func:`dosing.dose_limits.load_limits`).

    Returns
    -------
    list of Finding
        Errors first, then warnings, then info; each with its code, agent and day.

    Examples
    --------
    >>> import dosing
    >>> from dosing import Q_
    >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"))
    >>> dosing.check(dosing.get_regimen("inotuzumab-cycle-1").expand(child))
    []
    >>> [f.code for f in dosing.check(dosing.get_regimen("mel-tbi-mac").expand(child),
    ...                               prior=[dosing.Exposure("TBI", Q_(12, "Gy"))])]
    ['prior_exposure']
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
    exposures = tuple(prior)
    for exposure in exposures:
        if not isinstance(exposure, Exposure):
            raise DomainError(
                "must be a dosing.Exposure, e.g. Exposure('melphalan', Q_(180, 'mg/m**2'))",
                argument="prior",
                value=exposure,
                shown=safe_repr(exposure),
            )
    if isinstance(intended_repeats, str):
        intended_repeats = [intended_repeats]
    intended_names = list(intended_repeats)
    for name in intended_names:
        if not identify(name).known:
            raise DomainError(
                "is not an agent the vocabulary knows (data/agents.toml); a repeat can only be "
                "intended for a known agent, e.g. intended_repeats=['total body irradiation']",
                argument="intended_repeats",
                value=name,
                shown=safe_repr(name),
            )
    intended = frozenset(canonical_agent(name) for name in intended_names)
    table = DOSE_LIMITS if limits is None else limits
    if not isinstance(table, LimitTable):
        raise DomainError(
            "must be a LimitTable (dosing.dose_limits.load_limits)",
            argument="limits",
            value=limits,
            shown=safe_repr(limits),
        )
    findings = [finding for schedule in flat for finding in check_schedule(schedule, table)]
    findings.extend(check_course(flat, exposures, intended, table))
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: rank[f.severity])


def _not_a_schedule(item: object) -> DomainError:
    return DomainError(
        "is not a schedule",
        argument="schedules",
        value=item,
        shown=safe_repr(item),
        message=f"check() takes schedules; got {show_value(item)}",
    )


def compared(schedule: Schedule, limits: LimitTable | None = None) -> dict[str, tuple[Any, ...]]:
    """The dose limits each agent of ``schedule`` was compared with by :func:`check`.

    An agent with none gets a ``not_checked`` finding from :func:`check` saying why: a limit is
    never passed silently.

    Examples
    --------
    >>> import dosing
    >>> from dosing import Q_
    >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    >>> schedule = dosing.get_regimen("inotuzumab-cycle-1").expand(child)
    >>> [limit.describe() for limit in compared(schedule)["inotuzumab ozogamicin"]]
    ['hard limit of 0.8 mg/m² per administration', 'hard limit of 1.8 mg/m² per course', \
'usual range 0.5–0.8 mg/m² per administration']
    """
    return _compared(schedule, DOSE_LIMITS if limits is None else limits)
