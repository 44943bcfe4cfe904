"""Expansion: a regimen and a patient in, every administration out.

One code path serves one patient and a cohort: the patient's magnitudes were stripped of units
once, on construction; each dose line's amount was converted to a canonical unit once, when the
template was read; here every step is float or numpy arithmetic, computed once per dose line and
shared by the rows of its days. The policy steps, in order, are described in
:mod:`dosing.policies`; each flags the rows it changes.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing._arrays import guard, is_lazy, keep_checks, may_any
from dosing.body.bsa import BSA_FORMULAS, bsa_m2
from dosing.body.weight import adjusted_body_weight, ideal_body_weight
from dosing.errors import DomainError, DosingWarning, ImplausibleInputWarning
from dosing.patient import Patient
from dosing.policies import Policy
from dosing.regimens.days import calendar_date
from dosing.regimens.schedule import Basis, Row, Schedule
from dosing.units import KG, M2, Magnitude, short

if TYPE_CHECKING:
    from dosing.policies import DosingWeight
    from dosing.regimens.model import DoseLine, Regimen
    from dosing.renal import RenalFunction, RenalTable

__all__ = ["UnusedPolicyWarning", "expand", "round_half_up"]

#: Clean-up of floating-point noise in dose / increment before half-up rounding: a quotient
#: within 1e-9 of a half is a half (0.8 × 1.4375 / 0.1 must round like 11.5, not 11.4999...).
_QUOTIENT_DECIMALS: Final = 9


class UnusedPolicyWarning(DosingWarning):
    """A policy names an agent that the regimen does not give (a typo is never ignored)."""


def _anchor(regimen: Regimen, cycle_start: object, transplant_date: object) -> dt.date | None:
    if regimen.frame == "transplant" and cycle_start is not None:
        raise DomainError(
            f"cycle_start={cycle_start!r}: {regimen.key!r} counts transplant days (day 0 = graft "
            f"infusion); give transplant_date= instead"
        )
    if regimen.frame == "cycle" and transplant_date is not None:
        raise DomainError(
            f"transplant_date={transplant_date!r}: {regimen.key!r} counts cycle days (day 1 = "
            f"first day of the cycle); give cycle_start= instead"
        )
    name, value = (
        ("transplant_date", transplant_date)
        if regimen.frame == "transplant"
        else ("cycle_start", cycle_start)
    )
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise DomainError(f"{name}={value!r} must be a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise DomainError(f"{name}={value!r} must be a date, e.g. datetime.date(2026, 12, 10)")


def _policy(policy: Policy | None, bsa_method: str | None) -> Policy:
    if policy is None:
        return Policy() if bsa_method is None else Policy(bsa_method=bsa_method)
    if not isinstance(policy, Policy):
        raise DomainError(f"policy={policy!r} must be a dosing.Policy")
    if bsa_method is not None and bsa_method != policy.bsa_method:
        raise DomainError(
            f"bsa_method={bsa_method!r} disagrees with policy.bsa_method="
            f"{policy.bsa_method!r}; give one of them"
        )
    return policy


@dataclass
class _Context:
    """What is computed once per expansion: the BSA, weights, renal functions."""

    regimen: Regimen
    patient: Patient
    policy: Policy
    shape: tuple[int, ...]
    _bsa: Basis | None = None
    _weights: dict[Any, Basis] = field(default_factory=dict)
    _renal: dict[str, RenalFunction] = field(default_factory=dict)

    # -- bases ---------------------------------------------------------------------------------

    def patient_bsa(self) -> Basis:
        """The patient's BSA (given, else the policy's formula), before any cap."""
        if self._bsa is None:
            patient = self.patient
            if patient._bsa_m2 is not None:
                inputs: tuple[tuple[str, Any], ...] = (("bsa", patient.bsa),)
                self._bsa = Basis("bsa", patient._bsa_m2, M2, "given", inputs)
            else:
                method = self.policy.bsa_method
                assert patient._height_cm is not None
                assert patient._weight_kg is not None
                value = bsa_m2(
                    patient._height_cm,
                    patient._weight_kg,
                    method=method,
                    sex=patient.sex,
                    age=patient.age,
                )
                inputs = (("height", patient.height), ("weight", patient.weight))
                self._bsa = Basis("bsa", _frozen(value), M2, method, inputs)
        return self._bsa

    def dosing_bsa(self) -> tuple[Basis, Any]:
        """The BSA per-m² doses use, capped by policy, and the mask of who the cap changed."""
        basis = self.patient_bsa()
        cap = self.policy.bsa_cap
        if cap is None:
            return basis, np.False_
        cap_m2 = float(cap.m_as(M2))
        capped = basis.value > cap_m2
        if not may_any(capped):
            return basis, np.False_
        value = _as_magnitude(np.minimum(basis.value, cap_m2))
        note = f"capped at {cap_m2:g} m² by policy"
        return (
            Basis("bsa", _frozen(value), M2, basis.method, basis.inputs, (*basis.notes, note)),
            capped,
        )

    def weight(self, line: DoseLine) -> Basis:
        """The dosing weight of a per-kg line."""
        choice = self.policy.weight_for(line.agent)
        if choice not in self._weights:
            self._weights[choice] = self._weight_basis(choice, line)
        return self._weights[choice]

    def _weight_basis(self, choice: DosingWeight, line: DoseLine) -> Basis:
        patient = self.patient
        if patient._weight_kg is None:
            raise DomainError(
                f"{line.agent} in {line.regimen!r} is dosed per kg ({_amount(line)}) but the "
                f"patient has no weight; give Patient(weight=Q_(40, 'kg'), ...)"
            )
        inputs: tuple[tuple[str, Any], ...] = (("weight", patient.weight),)
        if choice.kind == "actual":
            return Basis("weight", patient._weight_kg, KG, choice.describe(), inputs)
        missing = [name for name in ("height", "sex") if getattr(patient, name) is None]
        if missing:
            raise DomainError(
                f"{line.agent}: the policy doses by {choice.describe()}, which needs the "
                f"patient's {' and '.join(missing)}; give "
                + ", ".join(f"{name}={_EXAMPLES[name]}" for name in missing)
            )
        ideal = ideal_body_weight(patient.height, sex=patient.sex, method=choice.ibw_method)
        inputs = (*inputs, ("height", patient.height), ("sex", patient.sex))
        if choice.kind == "ideal":
            agent = line.agent

            def check(ideal_block: Any, actual_block: Any) -> None:
                if np.any(np.asarray(ideal_block) > np.asarray(actual_block)):
                    warnings.warn(
                        f"{agent}: ideal body weight exceeds actual weight for some patients; "
                        f"the policy doses by ideal body weight as asked",
                        ImplausibleInputWarning,
                        stacklevel=6,
                    )

            value = guard(ideal.m_as(KG), check, ideal.m_as(KG), patient._weight_kg)
        else:
            assert choice.factor is not None
            value = adjusted_body_weight(patient.weight, ideal, factor=choice.factor).m_as(KG)
        return Basis("weight", _frozen(value), KG, choice.describe(), inputs)

    def renal(self, table: RenalTable) -> RenalFunction:
        from dosing.renal import renal_function

        if table.measure not in self._renal:
            self._renal[table.measure] = renal_function(
                self.patient, table.measure, self.patient_bsa().value
            )
        return self._renal[table.measure]

    # -- one dose line -------------------------------------------------------------------------

    def compute(self, line: DoseLine) -> tuple[Basis, Magnitude, Magnitude, Mapping[str, Any]]:
        """Basis, calculated (before rounding) and final dose, and flags, for one line."""
        flags: dict[str, Any] = {}
        policy = self.policy
        amount = line.amount_value
        if line.kind == "bsa":
            basis, capped = self.dosing_bsa()
            scaled = amount * basis.value
            infant = self._infant_mask(line)
            if infant is not None:
                basis, scaled = self._infant_rule(line, basis, scaled, infant)
                flags["infant_rule"] = _flag_value(infant)
                capped = np.logical_and(capped, np.logical_not(infant))
            if may_any(capped):
                flags["bsa_capped"] = _flag_value(capped)
        elif line.kind == "weight":
            basis = self.weight(line)
            scaled = amount * basis.value
        else:
            basis = _FLAT if line.kind == "flat" else _RADIATION
            scaled = self._constant(amount)
        factor = policy.factor_for(line.agent, line.kind)
        if factor != 1.0:
            scaled = scaled * factor
            flags["reduced"] = True
        scaled = self._renal_step(line, scaled, flags)
        if "renal_adjusted" in flags:
            basis = basis.with_note(self._renal_note(line))
        if line.cap_value is not None:
            over = scaled > line.cap_value
            if may_any(over):
                scaled = np.minimum(scaled, line.cap_value)
                flags["dose_capped"] = _flag_value(over)
        calculated = keep_checks(_as_magnitude(scaled), *self.patient.lazy_checks)
        dose = keep_checks(self._round(line, calculated, flags), *self.patient.lazy_checks)
        return basis, _frozen(calculated), _frozen(dose), flags

    def _constant(self, amount: float) -> Magnitude:
        """A dose that does not scale, for every patient: one read-only view for a numpy cohort
        (no memory per patient), a lazy array chunked like the patients for a lazy one."""
        if not self.shape:
            return amount
        lazy = self.patient.lazy_checks
        if lazy:
            import dask.array as da

            return da.full_like(lazy[0], amount, dtype=np.float64)  # type: ignore[no-untyped-call,no-any-return]
        return np.broadcast_to(amount, self.shape)

    def _infant_mask(self, line: DoseLine) -> Any:
        """Who the infant rule applies to (a boolean array), or None when it applies to no one."""
        rule = self.policy.infant_rule
        if rule is None:
            return None
        weight = self.patient._weight_kg
        if weight is None:
            raise DomainError(
                f"the infant rule needs the patient's weight to dose {line.agent}; give "
                f"Patient(weight=Q_(8, 'kg'), ...)"
            )
        below = weight < float(rule.below_weight.m_as(KG))
        return below if may_any(below) else None

    def _infant_rule(
        self, line: DoseLine, basis: Basis, scaled: Magnitude, below: Any
    ) -> tuple[Basis, Magnitude]:
        """amount [mg/m²] ÷ divisor per kg of actual weight, for the patients below threshold."""
        rule = self.policy.infant_rule
        assert rule is not None
        assert self.patient._weight_kg is not None
        weight = self.patient._weight_kg
        per_kg = line.amount_value / rule.divisor * weight
        note = (
            f"infant rule: under {rule.below_weight.m_as(KG):g} kg, the amount per m² ÷ "
            f"{rule.divisor:g} per kg of actual weight"
        )
        if not is_lazy(below) and np.all(below):
            inputs: tuple[tuple[str, Any], ...] = (("weight", self.patient.weight),)
            basis = Basis("weight", weight, KG, "actual body weight", inputs, (note,))
        else:
            basis = basis.with_note(note + " (patients under the threshold)")
        return basis, _as_magnitude(np.where(below, per_kg, scaled))

    def _renal_step(self, line: DoseLine, scaled: Magnitude, flags: dict[str, Any]) -> Magnitude:
        table = self._table_for(line.agent)
        if table is None:
            return scaled
        function = self.renal(table)
        factor = table.factor(function.value)
        changed = factor < 1.0
        if not may_any(changed):
            return scaled
        flags["renal_adjusted"] = _flag_value(changed)
        withheld = factor == 0.0
        if may_any(withheld):
            flags["withheld"] = _flag_value(withheld)
        return _as_magnitude(scaled * factor)

    def _renal_note(self, line: DoseLine) -> str:
        table = self._table_for(line.agent)
        assert table is not None
        return f"{self.renal(table).describe()}; table {table.key}"

    def _table_for(self, agent: str) -> RenalTable | None:
        from dosing.renal import RENAL_TABLES

        for key in self.policy.renal or ():
            if RENAL_TABLES[key].agent == agent:
                return RENAL_TABLES[key]
        return None

    def _round(self, line: DoseLine, calculated: Magnitude, flags: dict[str, Any]) -> Magnitude:
        increment = self.policy.increment_for(line.agent, line.dose_unit)
        if increment is None:
            return calculated
        if increment.dimensionality != line.dose_unit.dimensionality:
            raise DomainError(
                f"rounding for {line.agent} is {increment:~P}, but its doses are in "
                f"{short(line.dose_unit)}; give an increment in {short(line.dose_unit)}"
            )
        step = float(increment.m_as(line.dose_unit))
        rounded = round_half_up(calculated, step)
        if line.cap_value is not None:
            # A rounded dose never exceeds the cap: round down to the increment instead.
            above = rounded > line.cap_value * (1 + 1e-12)
            if may_any(above):
                down = _round_down(calculated, step)
                rounded = _as_magnitude(np.where(above, down, rounded))
        limit = self.policy.max_rounding_change
        agent, unit = line.agent, short(line.dose_unit)

        def check(calculated_block: Any, rounded_block: Any) -> None:
            values = np.asarray(calculated_block, dtype=float)
            result = np.asarray(rounded_block, dtype=float)
            change = np.zeros(np.broadcast_shapes(values.shape, result.shape))
            np.divide(np.abs(result - values), values, out=change, where=values > 0)
            if np.any(change > limit * (1 + 1e-12)):
                worst = int(np.argmax(change))
                raise DomainError(
                    f"rounding {agent} to {step:g} {unit} would move the dose by "
                    f"{change.flat[worst]:.1%} "
                    f"({np.broadcast_to(values, change.shape).flat[worst]:.6g} → "
                    f"{np.broadcast_to(result, change.shape).flat[worst]:.6g} {unit}), more than "
                    f"max_rounding_change={limit:g}; use a smaller increment"
                )

        rounded = guard(rounded, check, calculated, rounded)
        moved = np.logical_and(rounded != calculated, calculated > 0)
        if may_any(moved):
            flags["rounded"] = _flag_value(moved)
            return rounded  # type: ignore[no-any-return]
        return calculated


def round_half_up(value: Magnitude, increment: float) -> Magnitude:
    """Round to a multiple of ``increment``, halves away from zero (never half-even).

    Scalars use :class:`decimal.Decimal` on the shortest decimal form of each float; arrays use
    the same rule in numpy. The quotient is first cleared of floating-point noise below 1e-9, so a
    dose that is a half in decimal arithmetic (1.15 mg to 0.1 mg) rounds up.

    Examples
    --------
    >>> round_half_up(1.15, 0.1), round_half_up(1.25, 0.1), round_half_up(2.5, 1.0)
    (1.2, 1.3, 3.0)
    >>> round_half_up(np.array([1.15, 1.14, 0.05]), 0.1)
    array([1.2, 1.1, 0.1])
    """
    if isinstance(value, float):
        with localcontext() as context:
            context.prec = 80  # room for any quotient of two floats at 1e-9
            step = Decimal(repr(increment))
            quotient = (Decimal(repr(value)) / step).quantize(Decimal(10) ** -_QUOTIENT_DECIMALS)
            count = quotient.quantize(Decimal(1), rounding=ROUND_HALF_UP)
            return float(count * step)
    quotient_arr = np.round(value / increment, _QUOTIENT_DECIMALS)
    counts = np.floor(quotient_arr + 0.5)
    return np.round(counts * increment, _decimals(increment))


def _round_down(value: Magnitude, increment: float) -> Magnitude:
    quotient = np.round(value / increment, _QUOTIENT_DECIMALS)
    out = np.round(np.floor(quotient) * increment, _decimals(increment))
    return float(out) if np.ndim(out) == 0 else out


@cache
def _decimals(increment: float) -> int:
    """Decimal places of an increment's shortest form (0.1 -> 1, 0.25 -> 2, 5.0 -> 0)."""
    exponent = Decimal(repr(increment)).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _flag_value(mask: Any) -> Any:
    """A flag for one patient is True; for a cohort, the boolean array of who it applies to."""
    if is_lazy(mask):
        return mask
    array = np.asarray(mask, dtype=bool)
    if array.ndim == 0:
        return True
    array.flags.writeable = False
    return array


def _as_magnitude(value: Any) -> Magnitude:
    if is_lazy(value):
        return value  # type: ignore[no-any-return]
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array


def _frozen(value: Any) -> Any:
    """Arrays shared between rows are read-only, so that no row can change another."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


_EXAMPLES: Final = {"height": "Q_(150, 'cm')", "sex": "'male' or 'female'"}


def _amount(line: DoseLine) -> str:
    return f"{line.prescribed.magnitude:g} {short(line.prescribed.units)}"


_FLAT: Final = Basis("flat", None, None, "flat dose: does not scale with body size", ())
_RADIATION: Final = Basis(
    "radiation", None, None, "radiation dose: does not scale with body size", ()
)


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
    if not isinstance(patient, Patient):
        raise DomainError(
            f"patient={patient!r} must be a dosing.Patient, e.g. Patient(height=Q_(150, 'cm'), "
            f"weight=Q_(40, 'kg'))"
        )
    chosen = _policy(policy, bsa_method)
    if chosen.bsa_method not in BSA_FORMULAS:  # pragma: no cover  (Policy checks this)
        raise DomainError(f"unknown bsa_method {chosen.bsa_method!r}")
    named = chosen.named_agents()
    unused = sorted(agent for agent in named if agent not in regimen.agents)
    if unused:
        where = ", ".join(named[agent] for agent in unused)
        warnings.warn(
            f"the policy's {where} names {', '.join(map(repr, unused))}, which {regimen.key!r} "
            f"does not give (agents: {', '.join(regimen.agents)}); check the spelling",
            UnusedPolicyWarning,
            stacklevel=3,
        )
    anchor = _anchor(regimen, cycle_start, transplant_date)
    context = _Context(regimen, patient, chosen, patient.shape)
    rows: list[tuple[tuple[int, int, int], Row]] = []
    for line in regimen.doses:
        basis, calculated, dose, flags = context.compute(line)
        row_flags: Any = (
            frozenset(flags) if not patient.shape else _cohort_flags(flags, patient.shape)
        )
        for day in line.days:
            date = None if anchor is None else calendar_date(regimen.frame, day, anchor)
            for administration in range(1, line.per_day + 1):
                row = Row(
                    day=day,
                    date=date,
                    agent=line.agent,
                    dose_value=dose,
                    calculated_value=calculated,
                    unit=line.dose_unit,
                    prescribed=line.prescribed,
                    basis=basis,
                    flags=row_flags,
                    route=line.route,
                    administration=administration,
                    per_day=line.per_day,
                    regimen=line.regimen,
                    planned_day=day,
                    line=line.order,
                )
                rows.append(((day, line.order, administration), row))
    rows.sort(key=lambda item: item[0])
    bsa_basis = context.patient_bsa() if _has_size(patient) else None
    return Schedule(
        regimen=regimen,
        patient=patient,
        rows=tuple(row for _, row in rows),
        policy=chosen,
        anchor=anchor,
        bsa=bsa_basis,
    )


def _has_size(patient: Patient) -> bool:
    return patient._bsa_m2 is not None or (
        patient._height_cm is not None and patient._weight_kg is not None
    )


def _cohort_flags(flags: Mapping[str, Any], shape: tuple[int, ...]) -> Mapping[str, Any]:
    """Flag name -> read-only boolean array over patients, holding only flags true for some."""
    from types import MappingProxyType

    out = {}
    for name, value in flags.items():
        if is_lazy(value):  # a lazy cohort: the flag may apply; the mask says to whom
            out[name] = value
            continue
        mask = np.broadcast_to(np.asarray(value, dtype=bool), shape)
        if mask.any():
            out[name] = _flag_value(mask.copy())
    return MappingProxyType(out)
