"""Expansion: a regimen and a patient in, every administration out.

The way through, for each dose line of the regimen::

    patient ──► basis (BSA, weight) ──► amount × basis ──► policy steps, in order ──► rows
                dosing.basis                               dosing.policy.steps       one per day
                                                                                     and per_day

One code path serves one patient and a cohort: the patient's magnitudes were stripped of units
once, on construction (:attr:`dosing.Patient.magnitudes`); each dose line's amount was converted
to a canonical unit once, when the template was read; here every step is float or numpy
arithmetic, computed once per dose line and shared by the rows of its days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing._arrays import Derived, keep_checks
from dosing._warn import recording, warn
from dosing.basis import FLAT, RADIATION, Bases, as_magnitude, frozen
from dosing.errors import (
    NO_VALUE,
    DomainError,
    Example,
    RegimenError,
    UnusedPolicyWarning,
    show_value,
)
from dosing.gfr import auc_basis, auc_dose, formula_note, needs_weight
from dosing.patient import Patient
from dosing.policy.policy import Policy
from dosing.policy.steps import LineState, pipeline
from dosing.regimens.days import calendar_date
from dosing.regimens.lines import TargetAUC, WeightBand
from dosing.schedule import LineResult, Row, Schedule, flags_of
from dosing.units import Q_, Magnitude
from dosing.weight_bands import band_note, resolve_band

if TYPE_CHECKING:
    from dosing.regimens.model import DoseLine, Regimen

__all__ = ["expand"]

#: The policy that changes nothing, made once.
_DEFAULT_POLICY: Final = Policy()


def expand(
    regimen: Regimen,
    patient: Patient,
    *,
    bsa_method: str | None = None,
    policy: Policy | None = None,
    cycle_start: object = None,
    transplant_date: object = None,
) -> Schedule:
    """Expand ``regimen`` for ``patient``: see :meth:`dosing.Regimen.expand`."""
    with recording(frames=1) as caught:  # _expand is one frame between the caller and a warning
        schedule = _expand(regimen, patient, bsa_method, policy, cycle_start, transplant_date)
    schedule.warnings = (*patient.warnings, *caught)
    return schedule


def _expand(
    regimen: Regimen,
    patient: Patient,
    bsa_method: str | None,
    policy: Policy | None,
    cycle_start: object,
    transplant_date: object,
) -> Schedule:
    if not isinstance(patient, Patient):
        raise DomainError(  # show_value, not repr: cut at 200 characters, and never raises
            "must be a dosing.Patient",
            argument="patient",
            value=patient,
            shown=show_value(patient),
            fix=Example({"height": Q_(150, "cm"), "weight": Q_(40, "kg")}, call="Patient"),
            message=f"patient={show_value(patient)} must be a dosing.Patient, e.g. Patient("
            f"height=Q_(150, 'cm'), weight=Q_(40, 'kg'))",
        )
    chosen = _policy(policy, bsa_method)
    if chosen is not _DEFAULT_POLICY:
        _warn_unused(chosen, regimen)
    anchor = _anchor(regimen, cycle_start, transplant_date)
    bases = Bases(patient, chosen)
    steps = pipeline(chosen)
    shape = patient.shape
    order = None
    if _has_bands(regimen):
        # Each line by weight band becomes the per-kg (or flat) line of the patient's band.
        regimen = replace(
            regimen, doses=tuple(resolve_band(line, patient, chosen) for line in regimen.doses)
        )
        order = _sorted_rows(regimen)  # this patient's regimen: not kept
    lines = tuple([_compute(line, bases, chosen, steps, shape) for line in regimen.doses])
    if order is None:
        order = _row_order(regimen)
    made = []
    new, set_day, set_date = _new_row, _set_day, _set_date
    set_administration, set_planned, set_result = _set_administration, _set_planned, _set_result
    frame = regimen.frame
    for index, day, administration in order:
        # a Row, made without the dataclass __init__'s per-field look-ups (the same object)
        row = new(Row)
        set_day(row, day)
        set_date(row, None if anchor is None else calendar_date(frame, day, anchor))
        set_administration(row, administration)
        set_planned(row, day)
        set_result(row, lines[index])
        made.append(row)
    rows = tuple(made)
    return Schedule(
        regimen=regimen,
        patient=patient,
        rows=rows,
        lines=lines,
        policy=chosen,
        anchor=anchor,
        bsa=bases.patient_bsa() if bases.has_size() else None,
    )


#: Each regimen's rows in schedule order, as (line index, day, administration): sorted by day,
#: then the template's line order, then administration. It depends only on the regimen (frozen),
#: so it is worked out once per regimen; the regimen is held, so its id is never reused.
_ROW_ORDER: dict[int, tuple[Regimen, tuple[tuple[int, int, int], ...], bool]] = {}


def _row_order(regimen: Regimen) -> tuple[tuple[int, int, int], ...]:
    known = _ROW_ORDER.get(id(regimen))
    if known is not None and known[0] is regimen:
        return known[1]
    order = _sorted_rows(regimen)
    if len(_ROW_ORDER) >= 256:
        _ROW_ORDER.clear()
    _ROW_ORDER[id(regimen)] = (regimen, order, any(line.kind == "band" for line in regimen.doses))
    return order


def _has_bands(regimen: Regimen) -> bool:
    """Whether a line of ``regimen`` is dosed by weight band (kept with its row order)."""
    known = _ROW_ORDER.get(id(regimen))
    if known is not None and known[0] is regimen:
        return known[2]
    return any(line.kind == "band" for line in regimen.doses)


def _sorted_rows(regimen: Regimen) -> tuple[tuple[int, int, int], ...]:
    keyed = sorted(
        ((day, line.order, administration), (index, day, administration))
        for index, line in enumerate(regimen.doses)
        for day in line.days
        for administration in range(1, line.per_day + 1)
    )
    return tuple(item for _, item in keyed)


_new_row: Final = object.__new__
_ROW_SLOTS: Final[dict[str, Any]] = dict(vars(Row))
_set_day: Final = _ROW_SLOTS["day"].__set__
_set_date: Final = _ROW_SLOTS["date"].__set__
_set_administration: Final = _ROW_SLOTS["administration"].__set__
_set_planned: Final = _ROW_SLOTS["planned_day"].__set__
_set_result: Final = _ROW_SLOTS["result"].__set__
_NO_FLAGS: Final = frozenset[str]()


def _compute(
    line: DoseLine, bases: Bases, policy: Policy, steps: tuple[Any, ...], shape: tuple[int, ...]
) -> LineResult:
    """One dose line through the pipeline: basis, amount × basis, then each step in order."""
    kind, rule = line.kind, line.rule
    dose: Any
    if kind == "bsa" or kind == "weight":
        if kind == "bsa":
            basis = bases.patient_bsa()
        else:
            basis = bases.actual_weight(line.agent, _amount(line))
        value = basis.value
        if value.__class__ is float:
            dose = line.amount_value * value
        elif value.__class__ is np.ndarray:
            dose = Derived(line.amount_value, value)  # multiplied when a step or a reader needs it
        else:
            dose = as_magnitude(line.amount_value * value)
    elif rule is not None and isinstance(rule, TargetAUC):
        gfr_basis, estimated = auc_basis(bases)
        dose = auc_dose(rule, gfr_basis.value, needs_weight(rule, bases, line.agent))
        basis = gfr_basis.with_note(formula_note(rule))
        dose = dose if dose.__class__ is float else as_magnitude(dose)
    elif kind == "flat" or kind == "radiation":
        basis = FLAT if kind == "flat" else RADIATION
        dose = as_magnitude(_constant(line.amount_value, bases.patient, shape))
    else:  # pragma: no cover - a band line is resolved to per-kg or flat before this point
        raise RegimenError(
            line.regimen, "kind", f"{line.agent}: kind={kind!r} is not computed here"
        )
    if rule is not None and isinstance(rule, WeightBand):
        basis = basis.with_note(band_note(line))
    state = LineState(line, basis, dose)
    if rule is not None and isinstance(rule, TargetAUC):
        state.gfr, state.gfr_estimated = gfr_basis.value, estimated
    calculated = None
    for step in steps:
        if calculated is None and step.stage == "prepare":
            calculated = state.held_dose
        step.run(state, bases, policy)
    final = state.held_dose
    if final.__class__ is Derived:
        final = final.value()
    if final.__class__ is not float:
        lazy = bases.patient.lazy_checks
        final = frozen(keep_checks(as_magnitude(final), *lazy))
        if calculated is not None and calculated.__class__ is not Derived:
            calculated = frozen(keep_checks(calculated, *lazy))
    if calculated is None:
        calculated = final
    adjustments = tuple(state.adjustments)
    flags = _NO_FLAGS if not adjustments and not shape else flags_of(adjustments, shape)
    presentation = (
        policy.presentation_for(line.agent, line.product)
        if policy.products or policy.bands
        else None
    )
    return LineResult(line, state.basis, calculated, final, adjustments, flags, presentation)


def _constant(amount: float, patient: Patient, shape: tuple[int, ...]) -> Magnitude:
    """A dose that does not scale, for every patient: one read-only view for a numpy cohort (no
    memory per patient), a lazy array chunked like the patients for a lazy one."""
    if not shape:
        return amount
    lazy = patient.lazy_checks
    if lazy:
        import dask.array as da  # only reached with a lazy cohort, so dask is installed

        return da.full_like(lazy[0], amount, dtype=np.float64)  # type: ignore[no-untyped-call,no-any-return]
    return np.broadcast_to(amount, shape)


def _amount(line: DoseLine) -> str:
    return f"{line.prescribed.magnitude:g} {line.prescribed.units:~C}"


def _policy(policy: Policy | None, bsa_method: str | None) -> Policy:
    if policy is None:
        return _DEFAULT_POLICY if bsa_method is None else Policy(bsa_method=bsa_method)
    if not isinstance(policy, Policy):
        raise DomainError(
            "must be a dosing.Policy", argument="policy", value=policy, shown=show_value(policy)
        )
    if bsa_method is not None and bsa_method != policy.bsa_method:
        raise DomainError(
            f"disagrees with policy.bsa_method={policy.bsa_method!r}",
            argument="bsa_method",
            value=bsa_method,
            shown=show_value(bsa_method),
            fix="give one of them",
        )
    return policy


def _warn_unused(policy: Policy, regimen: Regimen) -> None:
    named = policy.named_agents()
    unused = sorted(agent for agent in named if agent not in regimen.agents)
    if unused:
        warn(
            UnusedPolicyWarning(
                ((*named[agent], agent) for agent in unused), regimen.key, regimen.agents
            ),
            stacklevel=4,
        )


def _anchor(regimen: Regimen, cycle_start: object, transplant_date: object) -> dt.date | None:
    if regimen.frame == "transplant" and cycle_start is not None:
        raise DomainError(
            f": {regimen.key!r} counts transplant days (day 0 = graft infusion)",
            argument="cycle_start",
            value=cycle_start,
            shown=show_value(cycle_start),
            fix="give {transplant_date} instead",
            mentions={"transplant_date": NO_VALUE},
        )
    if regimen.frame == "cycle" and transplant_date is not None:
        raise DomainError(
            f": {regimen.key!r} counts cycle days (day 1 = first day of the cycle)",
            argument="transplant_date",
            value=transplant_date,
            shown=show_value(transplant_date),
            fix="give {cycle_start} instead",
            mentions={"cycle_start": NO_VALUE},
        )
    name, value = (
        ("transplant_date", transplant_date)
        if regimen.frame == "transplant"
        else ("cycle_start", cycle_start)
    )
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise DomainError(
            "must be a date, not a date and time",
            argument=name,
            value=value,
            shown=show_value(value),
        )
    anchor: dt.date | None = None
    if isinstance(value, dt.date):
        anchor = value
    elif isinstance(value, str):
        try:
            anchor = dt.date.fromisoformat(value)
        except ValueError:
            anchor = None
    if anchor is None:
        raise DomainError(
            "must be a date, e.g. datetime.date(2026, 12, 10)",
            argument=name,
            value=value,
            shown=show_value(value),
        )
    _check_calendar(regimen, name, anchor)
    return anchor


def _check_calendar(regimen: Regimen, name: str, anchor: dt.date) -> None:
    """Every day of the regimen must fall on a calendar date (years 1 to 9999)."""
    for line in regimen.doses:
        for day in (min(line.days), max(line.days)):
            try:
                calendar_date(regimen.frame, day, anchor)
            except OverflowError:
                raise DomainError(
                    f"puts day {day} of {regimen.key!r} outside the calendar (years 1 to 9999)",
                    argument=name,
                    value=anchor,
                    shown=anchor.isoformat(),
                    fix="give the date the regimen starts from",
                ) from None
