"""A finding of :func:`dosing.check`, and the stable codes software acts on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

__all__ = ["CODES", "SEVERITIES", "Finding", "Severity"]

Severity = Literal["error", "warning", "info"]
#: Severities, most serious first.
SEVERITIES: Final[tuple[Severity, ...]] = ("error", "warning", "info")

#: Every code a finding may carry, and what it means. Stable: software acts on the code, never on
#: the message.
CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "over_limit": "error: a dose over a hard limit per administration, per day or per course",
        "over_lifetime": "error: prior and planned amounts together over a lifetime limit",
        "withheld": "error: a dose not to be given (0) by a renal table",
        "not_a_number": "error: a dose that is not a finite, non-negative number (NaN, infinite "
        "or negative): never given, whatever produced it",
        "cycles": "error or warning: more cycles than the label allows (or recommends before "
        "a transplant)",
        "no_response": "error: a cycle given after the label's cycles without a response",
        "dose_interval": "error: fewer days between two doses than the label allows, across "
        "cycles too",
        "min_age": "error: a patient younger than the label's youngest age",
        "prior_exposure": "error, warning or info: a planned agent the patient already had "
        "(a second TBI; a repeat alkylator; a lifetime allowance)",
        "outside_population": "warning: a template or a dose formula used for a patient outside "
        "the population its source gives (an adult on a paediatric template; Newell for an "
        "adult, Calvert for a child)",
        "outside_range": "warning: a dose outside the usual range of the agent (an error when "
        "more than twice its top, a convention of this library)",
        "not_as_prescribed": "warning: a dose that is not what its template prescribes once the "
        "policy steps it records are accounted for",
        "intensity": "warning: a declared conditioning intensity that the working definitions "
        "contradict",
        "rounding": "warning: a rounding that moved a dose by more than 5%",
        "unknown_agent": "warning: an agent the vocabulary does not know (never matched by guess)",
        "not_banded": "warning: a dose the policy's band table did not band (outside every band, "
        "or its band dose above the template's cap): left as calculated",
        "band_tolerance": "warning: a dose banded by a table accepted although a band dose is "
        "outside the tolerance the table declares",
        "example_table": "warning: a dose banded by an example band table, which no source gives",
        "capped": "info: a dose limited by the template's cap or the policy's BSA cap",
        "not_checked": "info: a check that could not be made, and why: never a pass",
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of :func:`dosing.check`.

    Attributes
    ----------
    severity : {"error", "warning", "info"}
        An error must be resolved before the order is signed; a warning needs a look; info says
        what was changed or not checked.
    agent : str
        The agent it is about (canonical name).
    day : int or None
        The day it is about, or None for a whole schedule or course.
    message : str
        What was found, in words, with the numbers and the sources.
    code : str
        A key of :data:`CODES`.
    regimen : str
        The key of the schedule's regimen ("" for a whole course).
    references : tuple of str
        The citation keys of the limit or rule it applies.
    patients : ndarray of bool or None
        For a cohort, whom it concerns: a read-only mask of the cohort's shape (None: every
        patient, or one patient). Not compared: two findings alike in words are equal.
    """

    severity: Severity
    agent: str
    day: int | None
    message: str
    code: str
    regimen: str = ""
    references: tuple[str, ...] = ()
    patients: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a library slip, caught by the tests
            raise KeyError(f"finding code {self.code!r} is not in dosing.checks.CODES")

    def __str__(self) -> str:
        where = f" day {self.day}" if self.day is not None else ""
        return f"{self.severity} [{self.code}]: {self.agent}{where}: {self.message}"
