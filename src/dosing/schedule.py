"""The Schedule: every administration of an expanded regimen, each row explaining itself.

A schedule is data. Each dose line of the regimen is computed once (:class:`LineResult`: its
basis, its calculated and final dose, the adjustments the policy steps made) and shared by the
rows of its days; a :class:`Row` is one administration of one line on one day. For a cohort,
every dose is an array over patients and ``row.flags`` maps each flag to the boolean array of the
patients it applies to.

Turning a schedule into text, CSV, JSON records or a table is the job of :mod:`dosing.formats`;
the methods here (:meth:`Schedule.to_records`, :meth:`Schedule.to_csv`, ...) are shorthand for
it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from dosing._arrays import derived_slot, is_lazy, keep_checks
from dosing._text import given_text, value_text
from dosing.basis import Basis
from dosing.errors import DomainError, UnknownKeyError
from dosing.policy.steps import Adjustment
from dosing.products import Presentation
from dosing.regimens.days import calendar_date, format_days
from dosing.units import MG, Q_, Magnitude
from dosing.vocabulary import canonical_agent

if TYPE_CHECKING:
    from dosing.patient import Patient
    from dosing.policy.policy import Policy
    from dosing.regimens.model import DoseLine, Regimen

__all__ = ["LineResult", "Row", "Schedule", "VialUse", "flags_of", "reschedule"]


@dataclass(frozen=True, slots=True, eq=False)
class VialUse:
    """The vials of one product one agent needs on one day (:meth:`Schedule.vials`).

    Attributes
    ----------
    day : int
        The day.
    agent : str
        The canonical agent.
    presentation : Presentation
        The product drawn from.
    dose_mg : float or ndarray
        The day's total dose [mg] (an array over a cohort).
    vials : float or ndarray
        Whole vials needed.
    waste : float or ndarray
        What is left in them [mg].
    """

    day: int
    agent: str
    presentation: Presentation
    dose_mg: Any
    vials: Any
    waste: Any


@dataclass(frozen=True, slots=True, eq=False)
class LineResult:
    """One dose line computed for the patient (or cohort): shared by the rows of its days.

    Attributes
    ----------
    line : DoseLine
        The template's line.
    basis : Basis
        What the amount was multiplied by.
    calculated, dose : float or ndarray
        The dose before the preparing steps (rounding) and the final dose, in ``line.dose_unit``.
    adjustments : tuple of Adjustment
        What each policy step changed, in order.
    flags : frozenset of str, or mapping of str to boolean array (a cohort)
        The flags of :attr:`adjustments`.
    presentation : Presentation or None
        The product the dose is prepared from (``Policy(products=...)``), when known.
    """

    line: DoseLine
    basis: Basis
    calculated: Magnitude
    dose: Magnitude
    adjustments: tuple[Adjustment, ...]
    flags: Any
    presentation: Presentation | None = None


derived_slot(LineResult, "calculated")


@dataclass(frozen=True, slots=True, eq=False)
class Row:
    """One administration: a dose of one agent on one day.

    Attributes
    ----------
    day : int
        Day in the regimen's frame (cycle day from 1; transplant day from 0).
    date : datetime.date or None
        Calendar date, when the expansion had an anchor date.
    administration : int
        This is administration ``administration`` of :attr:`per_day` on its day.
    planned_day : int
        The day the template planned; differs from :attr:`day` after a reschedule.
    result : LineResult
        The computed dose line this administration belongs to.
    """

    day: int
    date: dt.date | None
    administration: int
    planned_day: int
    result: LineResult

    @property
    def agent(self) -> str:
        """Canonical (lower-case) agent name."""
        return self.result.line.agent

    @property
    def dose_value(self) -> Magnitude:
        """The final dose's magnitude in :attr:`unit`."""
        return self.result.dose

    @property
    def calculated_value(self) -> Magnitude:
        """The calculated dose's magnitude in :attr:`unit`."""
        return self.result.calculated

    @property
    def unit(self) -> Any:
        """The dose's unit (mg, IU or Gy)."""
        return self.result.line.dose_unit

    @property
    def dose(self) -> Any:
        """The final dose (mg, IU or Gy) after every policy step."""
        return Q_(self.result.dose, self.result.line.dose_unit)

    @property
    def calculated(self) -> Any:
        """The dose before rounding (equal to :attr:`dose` without a rounding policy)."""
        return Q_(self.result.calculated, self.result.line.dose_unit)

    @property
    def presentation(self) -> Presentation | None:
        """The product the dose is prepared from, or None when the policy names none."""
        return self.result.presentation

    @property
    def volume(self) -> Any:
        """The volume of :attr:`presentation` to draw up for :attr:`dose` (mL), or None.

        Dose ÷ the product's concentration (as supplied, or after the reconstitution its label
        states), so that volume × concentration = dose. None when no product is known for the
        agent (name one with ``Policy(products={agent: key})``).

        Examples
        --------
        >>> import dosing
        >>> from dosing import Q_
        >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
        >>> policy = dosing.Policy(products={"fludarabine": "fludarabine-25mg-ml-2ml"})
        >>> ric = dosing.get_regimen("flu-arac-mel-ric").expand(child, policy=policy)
        >>> row = ric.rows_for("fludarabine")[0]
        >>> row.dose, row.volume  # 30 mg/m² × 1.29099 m², ÷ 25 mg/mL
        (<Quantity(38.7298335, 'milligram')>, <Quantity(1.54919334, 'milliliter')>)
        """
        item = self.result.presentation
        if item is None:
            return None
        return item.volume_of(self.dose)

    @property
    def prescribed(self) -> Any:
        """The template's amount per administration (e.g. 2 g/m²)."""
        return self.result.line.prescribed

    @property
    def basis(self) -> Basis:
        """What the amount was multiplied by."""
        return self.result.basis

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        """The policy steps that changed this dose, in order (empty with the default policy)."""
        return self.result.adjustments

    @property
    def flags(self) -> Any:
        """The flags of :attr:`adjustments`: a frozenset, or for a cohort flag -> mask."""
        return self.result.flags

    @property
    def route(self) -> str | None:
        """Route of administration from the template."""
        return self.result.line.route

    @property
    def per_day(self) -> int:
        """Administrations of this line per day."""
        return self.result.line.per_day

    @property
    def regimen(self) -> str:
        """The key of the regimen this row came from (kept through :func:`~dosing.combine`)."""
        return self.result.line.regimen

    @property
    def line(self) -> int:
        """The position of this row's dose line in the regimen."""
        return self.result.line.order

    def __repr__(self) -> str:
        flags = f", flags={sorted(self.flags)}" if self.flags else ""
        dose = value_text(self.dose_value, self.unit)
        prescribed = given_text(self.prescribed.magnitude, self.prescribed.units)
        return (
            f"Row(day={self.day}, agent={self.agent!r}, dose={dose}, prescribed={prescribed}"
            f"{flags})"
        )

    def to_record(self, index: int | None = None) -> dict[str, Any]:
        """A JSON-safe dict; shorthand for :func:`dosing.formats.records.row_record`."""
        from dosing.formats.records import row_record  # facade: output lives in dosing.formats

        return row_record(self, index)


class Schedule:
    """Every administration of a regimen for a patient (or a cohort), sorted by day.

    Iterate it for :class:`Row` objects (sorted by day, then by the order of the template's
    lines, then by administration within the day).

    Attributes
    ----------
    regimen : Regimen
        What was expanded: the regimen given, unchanged, or, for a regimen with a line dosed by
        weight band, the patient's copy of it with that line replaced by the per-kg or flat
        line of the patient's band.
    patient : Patient
        For whom.
    rows : tuple of Row
        Every administration.
    lines : tuple of LineResult
        Each dose line as computed, in the template's order.
    policy : Policy
        The policy applied (the default changes nothing).
    anchor : datetime.date or None
        The date of cycle day 1 or of transplant day 0, when given.
    bsa : Basis or None
        The patient's BSA and how it was obtained.
    warnings : tuple of Warning
        The warnings raised while validating the patient and computing this schedule, and no
        other: in any number of threads, each schedule carries its own (they are also emitted
        through :mod:`warnings`).
    """

    __slots__ = ("anchor", "bsa", "lines", "patient", "policy", "regimen", "rows", "warnings")

    def __init__(
        self,
        *,
        regimen: Regimen,
        patient: Patient,
        rows: tuple[Row, ...],
        lines: tuple[LineResult, ...],
        policy: Policy,
        anchor: dt.date | None,
        bsa: Basis | None,
        warnings: tuple[Warning, ...] = (),
    ) -> None:
        self.warnings = warnings
        self.regimen = regimen
        self.patient = patient
        self.rows = rows
        self.lines = lines
        self.policy = policy
        self.anchor = anchor
        self.bsa = bsa

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Row:
        return self.rows[index]

    @property
    def agents(self) -> tuple[str, ...]:
        """Agents in order of first administration."""
        return tuple(dict.fromkeys(row.agent for row in self.rows))

    @property
    def days(self) -> tuple[int, ...]:
        """The days with at least one administration, ascending."""
        return tuple(sorted({row.day for row in self.rows}))

    def rows_for(self, agent: str) -> tuple[Row, ...]:
        """The rows of ``agent`` (matched case-insensitively); an unknown agent raises."""
        wanted = canonical_agent(agent)
        rows = tuple(row for row in self.rows if row.agent == wanted)
        if not rows:
            raise UnknownKeyError("agent", agent, self.agents)
        return rows

    def total(self, agent: str) -> Any:
        """The total dose of ``agent`` over the schedule (an array over patients for a cohort).

        Examples
        --------
        >>> import dosing
        >>> from dosing import Q_
        >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
        >>> ric = dosing.get_regimen("flu-arac-mel-ric").expand(child)
        >>> ric.total("Melphalan")  # 180 mg/m² × 1.29099 m²
        <Quantity(232.379001, 'milligram')>
        """
        rows = self.rows_for(agent)
        # The rows of one dose line share one dose: count them, then add each line's dose times
        # its count (one multiply instead of an addition per row; for a lazy cohort, one task).
        counts: dict[int, list[Any]] = {}
        for row in rows:
            entry = counts.get(id(row.result))
            if entry is None:
                counts[id(row.result)] = [row.result, 1]
            else:
                entry[1] += 1
        total: Any = None
        for result, count in counts.values():
            dose = _line_total(result, count, self.patient)
            total = dose if total is None else total + dose
        return Q_(total, rows[0].unit)

    def by_day(self) -> dict[int, tuple[Row, ...]]:
        """Rows grouped by day, days ascending, rows in schedule order."""
        grouped: dict[int, list[Row]] = {}
        for row in self.rows:
            grouped.setdefault(row.day, []).append(row)
        return {day: tuple(rows) for day, rows in grouped.items()}

    def totals(self) -> dict[str, Any]:
        """Every agent's total, in order of first administration."""
        return {agent: self.total(agent) for agent in self.agents}

    def bases(self) -> dict[str, tuple[str, ...]]:
        """Each distinct basis the doses used, as text, with the agents that used it, in order.

        A pharmacist checking by hand needs every number the doses were multiplied by (and every
        kidney function a table read), once each, and which agents used it.
        """
        used: dict[str, list[str]] = {}
        for result in self.lines:
            if result.basis.value is None:
                continue
            agents = used.setdefault(str(result.basis), [])
            if result.line.agent not in agents:
                agents.append(result.line.agent)
        return {text: tuple(agents) for text, agents in used.items()}

    def vials(self) -> tuple[VialUse, ...]:
        """The vials each agent needs on each day, and the waste, for the agents with a product.

        A **single-dose** vial (``Presentation.single_dose``) serves one administration: each
        dose is drawn from fresh vials, vials = ⌈dose ÷ content⌉, summed over the day's doses,
        and waste = vials × content − day's total (two 45 mg doses from 100 mg single-dose vials
        12 hours apart need 2 vials, 110 mg waste). A **multiple-dose** vial's rest may be kept
        for a later dose of the same day (an assumption: its label says how long the rest keeps,
        which is not checked here), so the day's doses are pooled: vials = ⌈day's total ÷
        content⌉, and the waste is then what is left at the end of the day, at most. Fresh
        vials each day either way. Agents without a product are left out (name one with
        ``Policy(products={agent: key})``).

        Examples
        --------
        >>> import dosing
        >>> from dosing import Q_
        >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
        >>> policy = dosing.Policy(products={"fludarabine": "fludarabine-25mg-ml-2ml"})
        >>> ric = dosing.get_regimen("flu-arac-mel-ric").expand(child, policy=policy)
        >>> use = ric.vials()[0]
        >>> use.day, use.agent, use.vials, round(use.waste, 4)  # 50 mg − 38.7298 mg
        (-7, 'fludarabine', 1.0, 11.2702)
        """
        totals: dict[tuple[int, str], tuple[Any, Any, Presentation]] = {}
        for row in self.rows:
            item = row.presentation
            if item is None:
                continue
            dose_mg = np.asarray(row.dose.m_as(MG), dtype=float)
            # A single-dose vial serves this administration only: its vials are counted now.
            own = item.vials(dose_mg)[0] if item.single_dose else 0.0
            key = (row.day, row.agent)
            previous = totals.get(key)
            if previous is None:
                totals[key] = (dose_mg, own, item)
            else:
                totals[key] = (previous[0] + dose_mg, previous[1] + own, item)
        out = []
        for (day, agent), (total, counted, item) in totals.items():
            total_value = float(total) if np.ndim(total) == 0 else total
            count: Any
            waste: Any
            if item.single_dose:
                count = float(counted) if np.ndim(counted) == 0 else counted
                left = np.round(count * item.content_mg - np.asarray(total, dtype=float), 9)
                waste = float(left) if np.ndim(left) == 0 else left
            else:
                count, waste = item.vials(total_value)
            out.append(VialUse(day, agent, item, total_value, count, waste))
        return tuple(out)

    def date_of(self, day: int) -> dt.date | None:
        """The calendar date of ``day`` (None without an anchor date)."""
        if self.anchor is None:
            return None
        return calendar_date(self.regimen.frame, day, self.anchor)

    def with_rows(self, rows: tuple[Row, ...]) -> Schedule:
        """A copy with other rows (sorted), for rescheduling."""
        ordered = tuple(sorted(rows, key=lambda r: (r.day, r.line, r.administration)))
        return Schedule(
            regimen=self.regimen,
            patient=self.patient,
            rows=ordered,
            lines=self.lines,
            policy=self.policy,
            anchor=self.anchor,
            bsa=self.bsa,
            warnings=self.warnings,
        )

    # -- output: shorthand for dosing.formats ----------------------------------------------------

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-safe dicts, one per administration (per patient for a cohort, with ``patient``).

        Quantities are ``{"value": float, "unit": UCUM code}``; dates are ISO strings. Shorthand
        for ``dosing.formats.write(schedule, "records")``.
        """
        return self._write("records")  # type: ignore[no-any-return]

    def to_csv(self) -> str:
        """CSV text with a header; shorthand for ``dosing.formats.write(schedule, "csv")``."""
        return self._write("csv")  # type: ignore[no-any-return]

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per administration (per patient for a cohort).

        Shorthand for ``dosing.formats.write(schedule, "pandas")``; see
        :func:`dosing.formats.pandas.to_frame`. Requires the ``pandas`` extra.

        Examples
        --------
        >>> import dosing
        >>> from dosing import Q_
        >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
        >>> frame = dosing.get_regimen("gvhd-mtx-10-7-7").expand(child).to_frame()
        >>> print(frame[["day", "agent", "dose", "unit"]].round(3).to_string(index=False))
         day        agent   dose unit
           1 methotrexate 12.910   mg
           3 methotrexate  9.037   mg
           6 methotrexate  9.037   mg
        """
        return self._write("pandas")

    def to_events(self, agent: str | None = None) -> Any:
        """A NONMEM/rxode2-style event table (pandas DataFrame): ID, TIME [h from the first
        dose], AMT [mg], DUR, RATE, EVID, CMT, and the covariates the patient has.

        Shorthand for ``dosing.formats.write(schedule, "events", agent=agent)``; see
        :mod:`dosing.formats.events`. Requires the ``pandas`` extra.
        """
        from dosing.formats import write  # facade: output lives in dosing.formats

        return write(self, "events", agent=agent)

    def to_fhir(self) -> dict[str, Any]:
        """A FHIR R4 ``Bundle`` (a JSON-ready dict): a ``RequestGroup`` of ``MedicationRequest``s
        (and ``ServiceRequest``s for radiation) with the patient's ``Observation``s; see
        :mod:`dosing.formats.fhir`. One patient only."""
        from dosing.formats.fhir import schedule_bundle  # facade: output lives in dosing.formats

        return schedule_bundle(self)

    def header(self) -> list[str]:
        """The lines above the text table: regimen, patient, every basis, frame, policy."""
        from dosing.formats.text import header  # facade: output lives in dosing.formats

        return header(self)

    def __str__(self) -> str:
        return self._write("table")  # type: ignore[no-any-return]

    def _write(self, key: str) -> Any:
        from dosing.formats import write  # facade: output lives in dosing.formats

        return write(self, key)

    def __repr__(self) -> str:
        days = format_days(self.days) if self.rows else "none"
        who = (
            f"{int(np.prod(self.patient.shape))} patients"
            if self.patient.is_cohort
            else "1 patient"
        )
        bsa = ""
        if self.bsa is not None and not self.patient.is_cohort:
            bsa = f", BSA {value_text(self.bsa.value, self.bsa.unit)}"
        return (
            f"<Schedule {self.regimen.key}: {len(self.rows)} administrations on days {days}, "
            f"{who}{bsa}>"
        )


def reschedule(
    schedule: Schedule, agent: str, *, day: int, to: int, administration: int = 1
) -> Schedule:
    """Move one administration of ``agent`` from ``day`` to ``to``, within its window.

    A template line's ``window`` (days either way) and ``min_interval`` (fewest days between two
    administrations of the agent) set what is allowed: inotuzumab ozogamicin days 8 and 15 may
    move ±2 days keeping at least 6 days between doses. Anything else raises.

    Returns a new schedule; the moved row keeps its ``planned_day`` and gets its new date.

    Examples
    --------
    >>> import dosing
    >>> from dosing import Q_
    >>> child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    >>> cycle = dosing.get_regimen("inotuzumab-cycle-1").expand(child)
    >>> [r.day for r in dosing.reschedule(cycle, "inotuzumab ozogamicin", day=15, to=17)]
    [1, 8, 17]
    """
    wanted = canonical_agent(agent)
    rows = schedule.rows_for(agent)
    matches = [r for r in rows if r.day == day and r.administration == administration]
    if not matches:
        raise UnknownKeyError("day", day, [str(d) for d in dict.fromkeys(r.day for r in rows)])
    row = matches[0]
    line: DoseLine = row.result.line
    if isinstance(to, bool) or not isinstance(to, int):
        raise DomainError("must be a day number (an integer)", argument="to", value=to)
    if abs(to - row.planned_day) > line.window:
        allowed = "it may not move" if line.window == 0 else f"it may move ±{line.window} days"
        raise DomainError(
            f"cannot take {wanted} planned on day {row.planned_day}: {allowed} in "
            f"{schedule.regimen.key!r}",
            argument="to",
            value=to,
            message=f"{wanted} planned on day {row.planned_day} cannot move to day {to}: "
            f"{allowed} in {schedule.regimen.key!r}",
        )
    regimen = schedule.regimen
    if regimen.frame == "cycle":
        assert regimen.cycle_length is not None
        if not 1 <= to <= regimen.cycle_length:
            raise DomainError(
                f"is outside the {regimen.cycle_length}-day cycle of {regimen.key!r}",
                argument="to",
                value=to,
                message=f"day {to} is outside the {regimen.cycle_length}-day cycle of "
                f"{regimen.key!r}",
            )
    others = [r.day for r in rows if r is not row]
    if to in others and line.per_day == 1:
        raise DomainError(
            f"is a day {wanted} is already given on",
            argument="to",
            value=to,
            message=f"{wanted} is already given on day {to}",
        )
    interval = line.min_interval
    if interval is not None:
        for other in others:
            if 0 < abs(other - to) < interval or (other == to):
                raise DomainError(
                    f"leaves {abs(other - to)} days to the dose on day {other}",
                    argument="to",
                    value=to,
                    fix=f"at least {interval} days are needed",
                    message=f"moving {wanted} to day {to} leaves {abs(other - to)} days to the "
                    f"dose on day {other}; at least {interval} days are needed",
                )
    moved = replace(row, day=to, date=schedule.date_of(to))
    return schedule.with_rows(tuple(moved if r is row else r for r in schedule.rows))


def _line_total(result: LineResult, count: int, patient: Patient) -> Any:
    """The total of ``count`` rows of one line, for each patient.

    A patient no policy step changed has dose = amount × basis, so their rows total the amount
    over them times the basis (as the template's course total reads: 120 mg/m² × BSA), one
    multiply. A patient a step changed (rounded, capped, ...) totals their dose times ``count``.
    Which applies depends on the patient alone, so a patient's total is the same in any cohort.
    """
    line, adjustments = result.line, result.adjustments
    repeated = result.dose if count == 1 else count * result.dose
    if line.kind not in ("bsa", "weight") or result.basis.value is None:
        return repeated
    changed: Any = False
    for adjustment in adjustments:
        changed = np.logical_or(changed, adjustment.applies)
    if changed is True or (not is_lazy(changed) and np.all(changed)):
        return repeated
    recipe = keep_checks((count * line.amount_value) * result.basis.value, *patient.lazy_checks)
    return recipe if changed is False else np.where(changed, repeated, recipe)


def flags_of(adjustments: tuple[Adjustment, ...], shape: tuple[int, ...]) -> Any:
    """The flags of a line's adjustments: a frozenset, or for a cohort flag -> read-only mask.

    A cohort's mapping holds only the flags true for some patient; a lazy (dask) mask is kept
    as it is (the flag may apply; the mask says to whom).
    """
    if not shape:
        return frozenset(adjustment.flag for adjustment in adjustments)
    out: dict[str, Any] = {}
    for adjustment in adjustments:
        flag, mask = adjustment.flag, adjustment.applies
        if is_lazy(mask):
            out[flag] = np.logical_or(out[flag], mask) if flag in out else mask
            continue
        if (
            mask.__class__ is np.ndarray
            and mask.dtype == bool
            and mask.shape == shape
            and not mask.flags.writeable
            and flag not in out
        ):  # a step's read-only mask of the whole cohort: shared, not copied
            if mask.any():
                out[flag] = mask
            continue
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), shape)
        if flag in out:
            mask = np.logical_or(out[flag], mask)
        if mask.any():
            array = mask.copy()
            array.flags.writeable = False
            out[flag] = array
    return MappingProxyType(out)
