"""The regimen model: frozen value objects that a template file is read into.

A :class:`Regimen` is a protocol written down once: its frame (cycle or transplant days), its
sources, and one :class:`DoseLine` per ``[[dose]]`` entry of the template. Expanding it for a
patient (:meth:`Regimen.expand`, shorthand for :func:`dosing.expand.expand`) gives a
:class:`~dosing.Schedule`; expanding never changes the regimen.

Amounts are kept twice: as written (``prescribed``, e.g. 2 g/m²) and as one float in a canonical
unit (``amount_value`` in mg/m², mg/kg, mg, IU/m², IU/kg, IU or Gy), so that expansion does no
unit conversion at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dosing._readonly import ReadOnlyMapping
from dosing.amounts import CANONICAL, Kind
from dosing.errors import DomainError, UnknownKeyError, safe_repr
from dosing.regimens.days import Frame, format_days
from dosing.regimens.lines import TargetAUC, WeightBand, WeightBands
from dosing.units import frozen_quantity, short
from dosing.vocabulary import canonical_agent

if TYPE_CHECKING:
    from dosing.patient import Patient
    from dosing.policy.policy import Policy
    from dosing.schedule import Schedule

__all__ = ["CANONICAL", "DoseLine", "Kind", "Regimen", "sum_course_totals"]


@dataclass(frozen=True, slots=True)
class DoseLine:
    """One ``[[dose]]`` entry: an agent, an amount per administration, and its days.

    Attributes
    ----------
    agent : str
        Canonical (lower-case) agent name.
    prescribed : pint.Quantity
        The amount per administration as written (``2 g/m**2``).
    kind : {"bsa", "weight", "flat", "radiation"}
        How the amount scales with the patient.
    amount_value : float
        The amount in the canonical unit :attr:`amount_unit`.
    amount_unit, dose_unit : pint.Unit
        Canonical units of the amount (mg/m², mg/kg, mg, IU/m², IU/kg, IU, Gy) and of the dose
        (mg, IU, Gy).
    days : tuple of int
        Days in the regimen's frame, as written.
    per_day : int
        Administrations per day (2 for every 12 hours).
    total : pint.Quantity or None
        The declared course total of this line, checked by the loader.
    route, note : str or None
        Free text carried to the schedule.
    cap : pint.Quantity or None
        Maximum dose per administration (flat, in the dose's dimension).
    cap_value : float or None
        The cap in :attr:`dose_unit`.
    unsourced : tuple of str
        Details of this line that no cited source settles (shown by ``dosing show``).
    window : int
        Days an administration may move either way when rescheduled (0: fixed).
    min_interval : int or None
        Fewest days between two administrations of this agent when rescheduled.
    regimen : str
        Key of the regimen this line came from (kept through :func:`~dosing.combine`).
    order : int
        Position in the file, used to sort rows within a day.
    product : str or None
        The product (brand) given, where the agent's products are dosed differently (rabbit
        ATG: Thymoglobulin or Grafalon).
    setting : str or None
        The use the line is for (``"conditioning"``, ``"gvhd-prophylaxis"``, ...): the dose limits
        of that setting apply to it, besides those of every use.
    acknowledge : str or None
        Why an amount the loader would refuse as a likely slip (over a hard limit, far outside the
        usual range, in a kind of amount the agent's limits do not use) is written on purpose.
        The line loads; ``dosing.check()`` still reports every limit it breaks.
    known : bool
        Whether the agent is in the vocabulary (``data/agents.toml``).
    rule : TargetAUC or WeightBands or WeightBand or None
        How a line by target AUC (kind ``"auc"``) or by weight band (kind ``"band"``; once
        expanded, the per-kg or flat line of the patient's band, whose rule is that band) is
        dosed (:mod:`dosing.regimens.lines`).
    duration : pint.Quantity or None
        The infusion duration, where the template gives it (for event tables).
    start : pint.Quantity or None
        When the day's first administration starts after the day's clock origin, where the
        template gives it (event tables: a drug given after another's infusion).
    """

    agent: str
    prescribed: Any
    kind: Kind
    amount_value: float
    amount_unit: Any
    dose_unit: Any
    days: tuple[int, ...]
    per_day: int = 1
    total: Any = None
    route: str | None = None
    note: str | None = None
    cap: Any = None
    cap_value: float | None = None
    unsourced: tuple[str, ...] = ()
    window: int = 0
    min_interval: int | None = None
    regimen: str = ""
    order: int = 0
    product: str | None = None
    setting: str | None = None
    acknowledge: str | None = None
    known: bool = True
    rule: TargetAUC | WeightBands | WeightBand | None = None
    duration: Any = None
    start: Any = None

    def __post_init__(self) -> None:
        # Deeply immutable: the quantities cannot be changed in place (FrozenQuantity).
        for name in ("prescribed", "total", "cap"):
            object.__setattr__(self, name, frozen_quantity(getattr(self, name)))
        object.__setattr__(self, "days", tuple(self.days))
        object.__setattr__(self, "unsourced", tuple(self.unsourced))

    @property
    def administrations(self) -> int:
        """Number of administrations of this line over the course."""
        return len(self.days) * self.per_day

    def describe(self) -> str:
        """One line for ``dosing show``: agent, amount, days, route, cap, total."""
        per_day = f" × {self.per_day} per day" if self.per_day != 1 else ""
        if isinstance(self.rule, WeightBands) and self.kind == "band":
            amount = f"by actual-weight band ({self.rule.describe()})"
        elif isinstance(self.rule, TargetAUC):
            amount = self.rule.describe()
        else:
            amount = _amount_text(self.prescribed)
        text = (
            f"{self.agent}: {amount}{per_day} on "
            f"{'day' if len(self.days) == 1 else 'days'} {format_days(self.days)}"
        )
        if self.product:
            text += f" ({self.product})"
        if self.route:
            text += f", {self.route}"
        if self.setting:
            text += f", {self.setting}"
        if self.cap is not None:
            text += f", capped at {_amount_text(self.cap)} per administration"
        if self.kind == "band":
            text += " (total: by the patient's band)"
        else:
            text += f" (total {_amount_text(self.course_total)})"
        if self.acknowledge:
            text += f"; acknowledged: {self.acknowledge}"
        return text

    @property
    def course_total(self) -> Any:
        """Amount × administrations, in the units the amount was written in (for a line by
        target AUC, the cumulative target; a line by weight band raises: its total depends on
        the patient's band)."""
        if self.kind == "band":
            raise DomainError(
                "depends on the patient's weight band",
                argument="course_total",
                value=self.agent,
                shown=safe_repr(self.agent),
                fix="expand the regimen for the patient; schedule.total(agent) gives it",
            )
        return self.prescribed * self.administrations


def sum_course_totals(lines: Sequence[DoseLine]) -> Any:
    """The course total of several lines of one agent, in the first line's units (pint converts)."""
    unit = lines[0].prescribed.units
    return sum((line.course_total.to(unit) for line in lines[1:]), lines[0].course_total)


def _amount_text(quantity: Any) -> str:
    unit = short(quantity.units).replace("**2", "²")
    return f"{quantity.magnitude:g} {unit}"


@dataclass(frozen=True, slots=True)
class Regimen:
    """A protocol as data: expand it for a patient to get every dose on every day.

    Build one with :func:`dosing.get_regimen`, :func:`dosing.load_regimen` or
    :func:`dosing.combine`; the constructor is for those functions.

    Attributes
    ----------
    key, name : str
        Identifier and human-readable name.
    frame : {"cycle", "transplant"}
        Day numbering (see :mod:`dosing.regimens.days`).
    cycle_length : int or None
        Days in one cycle (cycle frame only).
    references : tuple of str
        Keys of :data:`dosing.references.REFERENCES`.
    doses : tuple of DoseLine
        The ``[[dose]]`` entries, in file order.
    note : str or None
        Free text about the whole regimen, including what no source settles.
    totals : mapping of str to pint.Quantity
        Declared course totals per agent, checked by the loader.
    source : str
        Where it was read from (a path, or ``<catalogue:KEY>``).
    intensity : {"MAC", "RIC", "NMA"} or None
        The conditioning intensity the protocol declares (myeloablative, reduced-intensity,
        non-myeloablative); ``dosing.check()`` compares it with the working definitions.
    response : {"cr", "no-cr"} or None
        For a later cycle of a course whose label depends on response: the cycle is for a patient
        in complete remission (CR/CRi) or not (inotuzumab ozogamicin).
    population : {"adult", "child"} or None
        Whom the template's source writes it for (adults: 18 years and over); ``dosing.check()``
        warns ``outside_population`` for a patient of the other group.
    """

    key: str
    name: str
    frame: Frame
    doses: tuple[DoseLine, ...]
    references: tuple[str, ...] = ()
    cycle_length: int | None = None
    note: str | None = None
    totals: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<mapping>"
    intensity: str | None = None
    response: str | None = None
    population: str | None = None

    def __post_init__(self) -> None:
        # Deeply immutable: a built-in regimen is cached and shared by every caller, so its
        # totals are a read-only mapping of frozen quantities and its sequences are tuples.
        put = object.__setattr__
        put(self, "doses", tuple(self.doses))
        put(self, "references", tuple(self.references))
        put(
            self,
            "totals",
            ReadOnlyMapping({agent: frozen_quantity(q) for agent, q in self.totals.items()}),
        )

    @property
    def agents(self) -> tuple[str, ...]:
        """Agents in order of first appearance."""
        return tuple(dict.fromkeys(line.agent for line in self.doses))

    @property
    def unsourced(self) -> tuple[str, ...]:
        """One sentence per detail that no cited source settles."""
        return tuple(f"{line.agent}: {detail}" for line in self.doses for detail in line.unsourced)

    def expand(
        self,
        patient: Patient,
        *,
        bsa_method: str | None = None,
        policy: Policy | None = None,
        cycle_start: dt.date | str | None = None,
        transplant_date: dt.date | str | None = None,
    ) -> Schedule:
        """Every administration of this regimen for ``patient``: a :class:`Schedule`.

        Parameters
        ----------
        patient : Patient
            One patient, or a cohort (array fields).
        bsa_method : str, optional
            A :data:`~dosing.BSA_FORMULAS` key; shorthand for ``policy.bsa_method`` (Mosteller
            by default). Giving both with different values raises.
        policy : Policy, optional
            Rounding, caps, dose factors, infant and renal rules (none by default).
        cycle_start : datetime.date or ISO string, optional
            Date of cycle day 1 (cycle frame only).
        transplant_date : datetime.date or ISO string, optional
            Date of day 0 (transplant frame only).

        Examples
        --------
        >>> import dosing
        >>> from dosing import Q_
        >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
        >>> schedule = dosing.get_regimen("inotuzumab-cycle-1").expand(child)
        >>> [(row.day, round(row.dose.m_as("mg"), 4)) for row in schedule]
        [(1, 1.0328), (8, 0.645), (15, 0.645)]
        """
        return _engine()(
            self,
            patient,
            bsa_method=bsa_method,
            policy=policy,
            cycle_start=cycle_start,
            transplant_date=transplant_date,
        )

    def describe(self) -> str:
        """The definition as text, wrapped at 80 columns: what ``dosing show`` prints.

        Shorthand for :func:`dosing.formats.text.describe_regimen`.
        """
        from dosing.formats.text import describe_regimen  # facade: output lives in formats

        return describe_regimen(self)

    def to_fhir(self) -> dict[str, Any]:
        """A FHIR R4 ``PlanDefinition`` (a JSON-ready dict) with one contained
        ``ActivityDefinition`` per dose line; see :mod:`dosing.formats.fhir`."""
        from dosing.formats.fhir import regimen_resource  # facade: output lives in formats

        return regimen_resource(self)

    def course_total(self, agent: str) -> Any:
        """The per-course amount of ``agent`` as prescribed (e.g. 180 mg/m²), in its first
        line's units; lines in other units are converted by pint."""
        wanted = canonical_agent(agent)
        lines = [line for line in self.doses if line.agent == wanted]
        if not lines:
            raise UnknownKeyError("agent", agent, self.agents)
        return sum_course_totals(lines)


def _engine() -> Callable[..., Schedule]:
    """:func:`dosing.expand.expand`, imported on the first expansion and then kept: an import
    statement run on every call cost a third of one patient's expansion."""
    global _EXPAND
    if _EXPAND is None:
        from dosing.expand import expand  # facade: the engine sits above the data it expands

        _EXPAND = expand
    return _EXPAND


_EXPAND: Callable[..., Schedule] | None = None
