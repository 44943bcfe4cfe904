"""The policy pipeline: every step that changes a dose, in order, one small function each.

A dose line starts as its amount times its basis (the patient's BSA for a per-m² amount, actual
body weight for a per-kg one, nothing for a flat or radiation dose). Then each step of the
pipeline runs, in the order of this file, and every step that changes the dose records an
:class:`Adjustment` on the line: its name, the dose before and after, whom it applied to (a
cohort's mask), its flag and the reason, in words a pharmacist can check. ``row.flags`` is the set
of those flags; ``row.adjustments`` the record itself.

=================  ==============================  =========  ============================
step               what it does                    flag       policy field
=================  ==============================  =========  ============================
``creatinine_      a dose by target AUC: serum     creatinine ``creatinine_floor``
floor``            creatinine raised to a floor    _floored
                   before the GFR estimate
``gfr_cap``        a Calvert dose by target AUC    gfr_       ``gfr_cap``
                   on min(GFR, cap)                capped
``dosing_weight``  per-kg dose on ideal/adjusted   dosing_    ``dosing_weight``
                   weight instead of actual (never weight
                   above actual unless asked)
``infant_rule``    per-m² amount ÷ divisor per kg  infant_    ``infant_rule``
                   below a weight                  rule
``bsa_cap``        per-m² dose on min(BSA, cap)    bsa_       ``bsa_cap``
                                                   capped
``dose_factor``    a fraction of the full dose     reduced    ``dose_factors``
``renal``          a renal table's factor (0 is    renal_     ``renal``,
                   "do not give"); a table         adjusted,  ``renal_estimator``,
                   outside its population only     withheld,  ``renal_outside_
                   when the policy accepts it      renal_out  population``
                   (Cockcroft–Gault weight never   side_pop.,
                   above actual unless asked)      renal_
                                                   weight
``dose_cap``       the template's cap per          dose_      (the template's ``cap``)
                   administration                  capped
``banding``        the band dose of the policy's   banded,    ``bands``
                   band table (outside every band: not_band
                   left as calculated)             ed, band_
                                                   tolerance_
                                                   accepted
``rounding``       half-up to an increment, or to  rounded    ``rounding``,
                   whole vials of the product                 ``products``
=================  ==============================  =========  ============================

Steps of the ``"calculate"`` stage make the *calculated* dose (``row.calculated``); steps of the
``"prepare"`` stage turn it into what is given (``row.dose``): banding and rounding.

Adding a step is one function here, decorated with :func:`pipeline_step` at its place in the
order, and its tests. It reads the line's state and the patient's bases, and calls
:meth:`LineState.adjust` when it changes the dose; it never reaches back to change what an
earlier step recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from dosing._arrays import Derived, derived_slot, guard, is_lazy, may_any
from dosing._text import value_text
from dosing._warn import warn
from dosing.basis import Bases, Basis, as_magnitude, flag_value
from dosing.errors import DomainError, Example, OutsidePopulationWarning, safe_repr
from dosing.gfr import auc_dose, floored_gfr, needs_weight
from dosing.policy.renal import RENAL_TABLES, RenalTable
from dosing.products import PRODUCTS
from dosing.regimens.lines import TargetAUC
from dosing.registry import Registry
from dosing.units import KG, ML_PER_MIN, Q_, Magnitude, short
from dosing.vocabulary import FLAGS

if TYPE_CHECKING:
    from dosing.policy.policy import Policy
    from dosing.regimens.model import DoseLine

__all__ = [
    "STEPS",
    "Adjustment",
    "LineState",
    "Step",
    "pipeline",
    "pipeline_step",
    "round_half_up",
]

Stage = Literal["calculate", "prepare"]


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What one policy step did to one dose line.

    Attributes
    ----------
    step : str
        The step's name (a key of :data:`STEPS`).
    flag : str
        The flag it sets (one of :data:`dosing.vocabulary.FLAGS`).
    before, after : float or ndarray
        The dose before and after the step, in the row's dose unit (arrays over a cohort; for a
        patient the step did not apply to, ``after`` equals ``before``).
    applies : bool or ndarray of bool
        True for one patient; for a cohort, the read-only mask of the patients it changed.
    reason : str
        Why, with the numbers it used (the cap, the factor, the kidney function and its table).
    detail : mapping or None
        What a step records beyond the dose (banding: the table, the band's range and the
        realised variance, arrays over a cohort); None for the others.
    """

    step: str
    flag: str
    before: Any
    after: Any
    applies: Any
    reason: str
    detail: Mapping[str, Any] | None = None


@dataclass(slots=True)
class LineState:
    """One dose line while the pipeline runs over it (internal to one expansion)."""

    line: DoseLine
    basis: Basis
    dose: Magnitude
    #: Whom the infant rule turned from per-m² to per-kg (False: no one).
    per_kg: Any = False
    #: A line by target AUC: the GFR in effect [mL/min], and whether it was estimated from
    #: serum creatinine (which a creatinine floor applies to).
    gfr: Any = None
    gfr_estimated: bool = False
    adjustments: list[Adjustment] = field(default_factory=list)

    def adjust(
        self,
        step: str,
        flag: str,
        after: Any,
        applies: Any,
        reason: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Record that ``step`` changed the dose to ``after`` for ``applies``, and why."""
        assert flag in FLAGS, flag  # declared by the step that sets it
        if after.__class__ is not Derived:
            after = as_magnitude(after)
        before = _STATE_DOSE.__get__(self, LineState)  # as held: a recipe stays one
        self.adjustments.append(Adjustment(step, flag, before, after, applies, reason, detail))
        self.dose = after

    @property
    def held_dose(self) -> Any:
        """The dose as held: an array, a float, or a :class:`~dosing._arrays.Derived` recipe
        (reading :attr:`dose` multiplies a recipe out, once)."""
        return _STATE_DOSE.__get__(self, LineState)


_STATE_DOSE: Final[Any] = LineState.__dict__["dose"]


def _read_dose(state: LineState) -> Any:
    value = _STATE_DOSE.__get__(state, LineState)
    if value.__class__ is Derived:  # a step needs the numbers: multiply out once, keep them
        value = value.value()
        _STATE_DOSE.__set__(state, value)
    return value


setattr(  # noqa: B010  (the slot's value may be a recipe: reading it multiplies it out)
    LineState,
    "dose",
    property(_read_dose, _STATE_DOSE.__set__, doc="The dose so far, in the line's dose unit."),
)
derived_slot(Adjustment, "before")
derived_slot(Adjustment, "after")


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the pipeline: its name, the flags it sets, its stage and its function.

    ``basis`` marks the steps that change what the amount is multiplied by (a dosing weight, the
    infant rule, a BSA cap), as opposed to those that change the dose itself (a reduction, a
    renal factor, a cap, rounding): a dose checked against the usual range of an agent is the
    dose after the basis steps, before the others, which are deliberate.
    """

    name: str
    flags: tuple[str, ...]
    stage: Stage
    run: Callable[[LineState, Bases, Policy], None]
    active: Callable[[Policy], bool]
    basis: bool = False

    @property
    def summary(self) -> str:
        """The first line of the step function's docstring."""
        return (self.run.__doc__ or "").strip().splitlines()[0]


#: The pipeline, in order: name -> :class:`Step`.
STEPS: Registry[Step] = Registry("step", name="STEPS")

Run = Callable[[LineState, Bases, "Policy"], None]


def pipeline_step(
    name: str,
    *,
    flags: Mapping[str, str],
    active: Callable[[Policy], bool],
    stage: Stage = "calculate",
    basis: bool = False,
) -> Callable[[Run], Run]:
    """Register the decorated function as the next step of the pipeline, with its flags.

    ``flags`` maps each flag the step sets to its meaning; they are declared into
    :data:`dosing.vocabulary.FLAGS`. ``active(policy)`` says whether the policy asks for the step
    at all; an inactive step is not run, so the default policy costs nothing.
    """

    def register(run: Run) -> Run:
        for flag, meaning in flags.items():
            FLAGS.register(flag, meaning)
        STEPS.register(name, Step(name, tuple(flags), stage, run, active, basis))
        return run

    return register


def pipeline(policy: Policy) -> tuple[Step, ...]:
    """The steps ``policy`` asks for, in order.

    A policy is frozen, so its steps are worked out once per policy (and again if a step is
    registered since); the policy is held by the cache, so its id is never reused.
    """
    known = _PIPELINES.get(id(policy))
    if known is not None and known[0] is policy and known[1] == len(STEPS):
        return known[2]
    steps = tuple(step for step in STEPS.values() if step.active(policy))
    if len(_PIPELINES) >= 256:
        _PIPELINES.clear()
    _PIPELINES[id(policy)] = (policy, len(STEPS), steps)
    return steps


_PIPELINES: dict[int, tuple[Policy, int, tuple[Step, ...]]] = {}


def _amount(line: DoseLine) -> str:
    return f"{line.prescribed.magnitude:g} {short(line.prescribed.units)}"


# ---------------------------------------------------------------------------------------------
# The steps, in order.


@pipeline_step(
    "creatinine_floor",
    flags={
        "creatinine_floored": "a dose by target AUC whose GFR was estimated from a serum "
        "creatinine raised to the policy's floor"
    },
    active=lambda policy: policy.creatinine_floor is not None,
    basis=True,
)
def creatinine_floor(state: LineState, bases: Bases, policy: Policy) -> None:
    """A GFR estimated from a serum creatinine under the policy's floor, re-estimated at it."""
    rule = state.line.rule
    if not isinstance(rule, TargetAUC) or not state.gfr_estimated:
        return
    floors = policy.creatinine_floor
    value, raised, _ = floored_gfr(bases, floors)
    if not may_any(raised):
        return
    weight = needs_weight(rule, bases, state.line.agent)
    floored = auc_dose(rule, value, weight)
    # Flagged only where the dose changes (an estimator without creatinine is not changed).
    changed = np.logical_and(raised, floored != state.dose)
    if not may_any(changed):
        return
    after = np.where(changed, floored, state.dose)
    state.gfr = np.where(changed, value, state.gfr)
    groups = " and ".join(
        f"{value_text(q.magnitude, q.units, given=True)} for "
        f"{'adults (18 years and over)' if group == 'adult' else 'children'}"
        for group, q in floors.items()
    )
    reason = (
        f"serum creatinine raised to the policy's floor ({groups}) before estimating GFR "
        f"(GFR then {value_text(as_magnitude(state.gfr), ML_PER_MIN)})"
    )
    state.basis = state.basis.with_note(reason)
    state.adjust("creatinine_floor", "creatinine_floored", after, flag_value(changed), reason)


@pipeline_step(
    "gfr_cap",
    flags={"gfr_capped": "a Calvert dose by target AUC computed on the policy's GFR cap"},
    active=lambda policy: policy.gfr_cap is not None,
    basis=True,
)
def gfr_cap(state: LineState, bases: Bases, policy: Policy) -> None:
    """A Calvert dose by target AUC on the policy's GFR cap, for a GFR above it."""
    rule = state.line.rule
    if not isinstance(rule, TargetAUC) or rule.formula != "calvert":
        return
    cap = float(policy.gfr_cap.m_as(ML_PER_MIN))
    over = state.gfr > cap
    if not may_any(over):
        return
    after = np.where(over, auc_dose(rule, cap, None), state.dose)
    reason = (
        f"GFR {value_text(as_magnitude(state.gfr), ML_PER_MIN)} capped at {cap:g} mL/min by "
        f"policy (Calvert)"
    )
    state.gfr = np.minimum(state.gfr, cap)
    state.basis = state.basis.with_note(reason)
    state.adjust("gfr_cap", "gfr_capped", after, flag_value(over), reason)


@pipeline_step(
    "dosing_weight",
    flags={
        "dosing_weight": "a per-kg dose computed on ideal or adjusted body weight, not actual, "
        "or whose ideal or adjusted weight was above actual weight (the lesser used unless the "
        "policy says otherwise)"
    },
    active=lambda policy: any(w.kind != "actual" for w in policy.dosing_weight.values()),
    basis=True,
)
def dosing_weight(state: LineState, bases: Bases, policy: Policy) -> None:
    """A per-kg dose on the policy's ideal or adjusted weight, by default never above actual."""
    line = state.line
    if line.kind != "weight":
        return
    choice = policy.weight_for(line.agent)
    if choice.kind == "actual":
        return
    basis = bases.weight(choice, line.agent, _amount(line))
    above = bases.weight_above_actual(choice)
    after = line.amount_value * basis.value
    changed = np.logical_or(after != state.dose, above)
    state.basis = replace(basis, notes=(*basis.notes, *state.basis.notes))
    if may_any(changed):
        reason = (
            f"dosed by {choice.describe()}, {value_text(basis.value, KG)}, instead of actual "
            f"body weight"
        )
        if basis.notes:
            reason += "; " + "; ".join(basis.notes)
        state.adjust("dosing_weight", "dosing_weight", after, flag_value(changed), reason)


@pipeline_step(
    "infant_rule",
    flags={"infant_rule": "a per-m² amount given per kg by the policy's infant rule"},
    active=lambda policy: policy.infant_rule is not None,
    basis=True,
)
def infant_rule(state: LineState, bases: Bases, policy: Policy) -> None:
    """A per-m² amount given per kg of actual weight (÷ divisor) below the rule's weight."""
    line, rule = state.line, policy.infant_rule
    if line.kind != "bsa" or rule is None:
        return
    patient = bases.patient
    weight = patient.magnitudes.weight_kg
    if weight is None:
        raise DomainError(
            f"is needed by the infant rule to dose {line.agent}",
            argument="weight",
            value=None,
            fix=Example({"weight": Q_(8, "kg")}, call="Patient", verb="give"),
            message=f"the infant rule needs the patient's weight to dose {line.agent}; give "
            f"Patient(weight=Q_(8, 'kg'), ...)",
        )
    threshold = float(rule.below_weight.m_as(KG))
    below = weight < threshold
    if not may_any(below):
        return
    per_kg = line.amount_value / rule.divisor * weight
    note = (
        f"infant rule: under {threshold:g} kg, the amount per m² ÷ {rule.divisor:g} per kg of "
        f"actual weight"
    )
    if not is_lazy(below) and np.all(below):
        inputs: tuple[tuple[str, Any], ...] = (("weight", patient.weight),)
        state.basis = Basis("weight", weight, KG, "actual body weight", inputs, (note,))
    else:
        state.basis = state.basis.with_note(note + " (patients under the threshold)")
    applies = flag_value(below)
    state.per_kg = applies
    state.adjust("infant_rule", "infant_rule", np.where(below, per_kg, state.dose), applies, note)


@pipeline_step(
    "bsa_cap",
    flags={"bsa_capped": "a per-m² dose computed on the policy's BSA cap, not the patient's BSA"},
    active=lambda policy: policy.bsa_cap is not None,
    basis=True,
)
def bsa_cap(state: LineState, bases: Bases, policy: Policy) -> None:
    """A per-m² dose on the policy's BSA cap for a patient whose BSA is above it."""
    line = state.line
    if line.kind != "bsa":
        return
    capped_basis, capped = bases.capped_bsa()
    if state.per_kg is not False:  # dosed per kg by the infant rule: no BSA to cap
        capped = np.logical_and(capped, np.logical_not(state.per_kg))
    if not may_any(capped):
        return
    uncapped = bases.patient_bsa()
    state.basis = replace(capped_basis, notes=(*capped_basis.notes, *state.basis.notes))
    held = state.held_dose
    if (
        held.__class__ is Derived
        and held.base is uncapped.value
        and capped_basis.value.__class__ is np.ndarray
    ):
        # amount × BSA for everyone so far: amount × min(BSA, cap) is the capped dose, exactly
        # (min picks one of the two), kept as its recipe over the shared capped BSA.
        after: Any = Derived(line.amount_value, capped_basis.value)
    else:
        after = np.where(capped, line.amount_value * capped_basis.value, state.dose)
    state.adjust(
        "bsa_cap",
        "bsa_capped",
        after,
        flag_value(capped),
        f"BSA {value_text(uncapped.value, uncapped.unit)} capped at "
        f"{value_text(policy.bsa_cap.magnitude, policy.bsa_cap.units, given=True)} by policy",
    )


@pipeline_step(
    "dose_factor",
    flags={"reduced": "a fraction of the full dose, by the policy's dose factor"},
    active=lambda policy: bool(policy.dose_factors),
)
def dose_factor(state: LineState, bases: Bases, policy: Policy) -> None:
    """A fraction of the full dose, by the policy's dose factor for the agent."""
    factor = policy.factor_for(state.line.agent, state.line.kind)
    if factor == 1.0:
        return
    state.adjust(
        "dose_factor", "reduced", state.dose * factor, True, f"{factor:.0%} of the full dose"
    )


@pipeline_step(
    "renal",
    flags={
        "renal_adjusted": "changed by a renal dose-adjustment table",
        "withheld": "not to be given (dose 0) by a renal dose-adjustment table",
        "renal_outside_population": "a renal table applied outside the population it was "
        "written for (an adult table and a child), because the policy accepts it",
        "renal_weight": "the renal policy's Cockcroft–Gault ideal or adjusted weight was above "
        "actual weight (the actual weight, the lesser, used unless the policy says otherwise)",
    },
    active=lambda policy: bool(policy.renal),
)
def renal(state: LineState, bases: Bases, policy: Policy) -> None:
    """The factor of the policy's renal table for the patient's kidney function (0: withheld)."""
    table = renal_table_for(policy, state.line.agent)
    if table is None:
        return
    kidney = bases.kidney(table)
    if may_any(kidney.outside):
        # Recorded on every affected row, whether or not the factor changes the dose.
        note = f"{kidney.reason}, accepted by the policy (renal_outside_population='accept')"
        # Words true of each patient it concerns: the kidney function's words would give the
        # cohort's BSA range and each age group's estimator (each row's basis keeps its own).
        warn(
            f"{state.line.agent}: {note}",
            OutsidePopulationWarning,
            stacklevel=5,
            where=kidney.outside,
        )
        state.adjustments.append(
            Adjustment(
                "renal",
                "renal_outside_population",
                state.dose,
                state.dose,
                flag_value(kidney.outside),
                note,
            )
        )
    if may_any(kidney.weight_above):
        # Recorded like the population: the weight is in the kidney function, not the dose.
        state.adjustments.append(
            Adjustment(
                "renal",
                "renal_weight",
                state.dose,
                state.dose,
                kidney.weight_above,
                kidney.weight_note,
            )
        )
    factor = table.factor(kidney.basis.value)
    changed = factor < 1.0
    # The kidney function and how it was obtained are recorded whether or not they change the
    # dose: a full dose by a renal table is a finding too.
    reason = f"{kidney.basis}; table {table.key}"
    state.basis = state.basis.with_note(reason)
    if not may_any(changed):
        return
    before = state.dose
    state.adjust("renal", "renal_adjusted", state.dose * factor, flag_value(changed), reason)
    withheld = factor == 0.0
    if may_any(withheld):
        state.adjustments.append(
            Adjustment(
                "renal",
                "withheld",
                before,
                state.dose,
                flag_value(withheld),
                f"not to be given: {reason}",
            )
        )


def renal_table_for(policy: Policy, agent: str) -> RenalTable | None:
    """The policy's renal table for ``agent``, or None."""
    for key in policy.renal or ():
        if RENAL_TABLES[key].agent == agent:
            return RENAL_TABLES[key]
    return None


@pipeline_step(
    "dose_cap",
    flags={"dose_capped": "limited by the template's cap per administration"},
    active=lambda policy: True,
)
def dose_cap(state: LineState, bases: Bases, policy: Policy) -> None:
    """The template's cap on one administration (e.g. vincristine 2 mg)."""
    cap = state.line.cap_value
    if cap is None:
        return
    held = state.held_dose
    dose = held.value() if held.__class__ is Derived else held  # a recipe stays one if no one
    over = dose > cap  # is over the cap
    if may_any(over):
        state.adjust(
            "dose_cap",
            "dose_capped",
            np.minimum(dose, cap),
            flag_value(over),
            f"capped at {value_text(cap, state.line.dose_unit, given=True)} per administration "
            f"by the template",
        )


@pipeline_step(
    "banding",
    flags={
        "banded": "given as the band dose of the policy's band table (the calculated dose, the "
        "band's range and the realised variance are recorded)",
        "not_banded": "left as calculated by the band table: outside every band, or its band "
        "dose above the template's cap (check() says why)",
        "band_tolerance_accepted": "banded by a table accepted although a band dose is outside "
        "the tolerance it declares",
    },
    active=lambda policy: bool(policy.bands),
    stage="prepare",
)
def banding(state: LineState, bases: Bases, policy: Policy) -> None:
    """The band dose of the policy's band table; a dose outside every band is left, flagged."""
    line = state.line
    table = policy.band_table_for(line.agent)
    if table is None:
        return
    if table.unit.dimensionality != line.dose_unit.dimensionality:
        raise DomainError(
            f"is in {short(table.unit)}, but the {line.agent} doses are in {short(line.dose_unit)}",
            argument=f"bands[{line.agent!r}]",
            value=table,
            shown=safe_repr(table),
            fix=f"give a table in {short(line.dose_unit)}",
        )
    factor = float(Q_(1.0, line.dose_unit).m_as(table.unit))  # dose unit -> table unit
    calculated = state.dose
    given = np.asarray(calculated) > 0  # a withheld dose (0) is not banded
    band, lower, upper, inside = table.lookup(np.asarray(calculated) * factor)
    band = np.asarray(band) / factor
    over_cap = False
    if line.cap_value is not None:
        over_cap = np.logical_and(inside, band > line.cap_value * (1 + 1e-12))
    banded = np.logical_and(np.logical_and(inside, np.logical_not(over_cap)), given)
    left = np.logical_and(np.logical_not(banded), given)
    unit = short(line.dose_unit)
    where = f"table {table.key}"
    if may_any(left):
        why = []
        if may_any(np.logical_and(np.logical_not(inside), given)):
            why.append(f"outside every band ({table.range_text()})")
        if may_any(np.logical_and(over_cap, given)):
            why.append(
                f"its band dose above the template's cap of "
                f"{value_text(line.cap_value, line.dose_unit, given=True)}"
            )
        state.adjustments.append(
            Adjustment(
                "banding",
                "not_banded",
                calculated,
                calculated,
                flag_value(left),
                f"not banded by {where}: {' and '.join(why)}; left as calculated",
            )
        )
    if not may_any(banded):
        return
    chosen = np.where(banded, band, calculated)
    after: Any = float(chosen) if np.ndim(chosen) == 0 else chosen
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.where(banded, (after - calculated) / np.asarray(calculated), np.nan)
    detail = {
        "table": table.key,
        "version": table.version,
        "boundary": table.boundary,
        "tolerance": table.tolerance,
        "lower": _frozen(np.where(banded, np.asarray(lower) / factor, np.nan)),
        "upper": _frozen(np.where(banded, np.asarray(upper) / factor, np.nan)),
        "variance": _frozen(variance),
        "unit": unit,
    }
    if np.ndim(calculated) == 0:
        band_range = f"{detail['lower']:g}–{detail['upper']:g} {unit}"
        reason = (
            f"banded to {float(after):g} {unit} by {where}: band {band_range}, variance "
            f"{float(variance):+.2%} (tolerance ±{table.tolerance:.0%})"
        )
    else:
        reason = (
            f"banded by {where}, tolerance ±{table.tolerance:.0%}; each patient's band and "
            f"variance are in the adjustment's detail"
        )
    state.adjust("banding", "banded", after, flag_value(banded), reason, detail)
    if table.accepted is not None:
        state.adjustments.append(
            Adjustment(
                "banding",
                "band_tolerance_accepted",
                after,
                after,
                flag_value(banded),
                f"table {table.key} was accepted although its worst variance is "
                f"{table.worst_variance:.2%}, over its tolerance of {table.tolerance:.0%}: "
                f"{table.accepted}",
            )
        )


def _frozen(value: Any) -> Any:
    if np.ndim(value) == 0:
        return float(value)
    array = np.array(value, dtype=float)
    array.flags.writeable = False
    return array


_ML: Final = Q_(1.0, "mL").units

#: Clean-up of floating-point noise in dose / increment before half-up rounding: a quotient
#: within 1e-9 of a half is a half (0.8 × 1.4375 / 0.1 must round like 11.5, not 11.4999...).
_QUOTIENT_DECIMALS: Final = 9


@pipeline_step(
    "rounding",
    flags={"rounded": "rounded half-up to the policy's increment, or to whole vials"},
    active=lambda policy: bool(policy.rounding),
    stage="prepare",
)
def rounding(state: LineState, bases: Bases, policy: Policy) -> None:
    """Half-up to the policy's increment, never above a cap, refused past the largest change."""
    line = state.line
    increment = policy.increment_for(line.agent, line.dose_unit)
    if increment is None:
        return
    what = None
    vial = isinstance(increment, str)
    volume = not vial and increment.dimensionality == _ML.dimensionality
    if isinstance(increment, str) or volume:  # whole vials, or a syringe graduation
        item = policy.presentation_for(line.agent, line.product)
        if item is None:
            known = PRODUCTS.get(line.agent, ())
            raise DomainError(
                f"rounds to {'whole vials' if not volume else 'a volume'}, but the policy names "
                f"no product for {line.agent}, and it has {len(known)} presentations",
                argument=f"rounding[{line.agent!r}]",
                value=increment,
                shown=safe_repr(increment) if not volume else f"{increment:~P}",
                fix=f"name one in products={{{line.agent!r}: ...}}: "
                + (", ".join(repr(p.key) for p in known) or "none known"),
            )
        if volume:
            what = (
                f"{increment.magnitude:g} {short(increment.units)} of {item.name} "
                f"({(increment * item.concentration).to(line.dose_unit):~P})"
            )
            increment = (increment * item.concentration).to(line.dose_unit)
            increment = Q_(float(f"{increment.magnitude:.12g}"), increment.units)
        else:
            increment = item.content
            what = (
                f"whole vials of {item.name} ({item.content.magnitude:g} "
                f"{short(item.content.units)})"
            )
    if increment.dimensionality != line.dose_unit.dimensionality:
        raise DomainError(
            f"is {increment:~P}, but its doses are in {short(line.dose_unit)}",
            argument=f"rounding[{line.agent!r}]",
            value=increment,
            fix=f"give an increment in {short(line.dose_unit)}",
            message=f"rounding for {line.agent} is {increment:~P}, but its doses are in "
            f"{short(line.dose_unit)}; give an increment in {short(line.dose_unit)}",
        )
    step = float(increment.m_as(line.dose_unit))
    limit = policy.max_rounding_change
    held = state.held_dose
    if held.__class__ is Derived and held.base.ndim == 1:
        rounded, moved = _round_by_blocks(held, step, line.cap_value, limit)
        if moved is not None:  # else a dose moved too far: the whole-array check below says
            if moved.any():
                state.adjust(
                    "rounding",
                    "rounded",
                    rounded,
                    flag_value(moved),
                    f"rounded half-up to {step:g} {short(line.dose_unit)}",
                )
            return
    calculated = state.dose
    rounded = round_half_up(calculated, step)
    if line.cap_value is not None:
        # A rounded dose never exceeds the cap: round down to the increment instead.
        above = rounded > line.cap_value * (1 + 1e-12)
        if may_any(above):
            rounded = as_magnitude(np.where(above, _round_down(calculated, step), rounded))
    agent, unit = line.agent, short(line.dose_unit)

    def check(calculated_block: Any, rounded_block: Any) -> None:
        values = np.asarray(calculated_block, dtype=float)
        result = np.asarray(rounded_block, dtype=float)
        change = np.zeros(np.broadcast_shapes(values.shape, result.shape))
        np.divide(np.abs(result - values), values, out=change, where=values > 0)
        # Written so that NaN fails it: a dose or change that is not a finite number is refused.
        ok = (change <= limit * (1 + 1e-12)) & np.isfinite(result) & np.isfinite(values)
        if not np.all(ok):
            worst = int(np.argmax(~ok))
            raise DomainError(
                f"would move the {agent} dose by {change.flat[worst]:.1%} "
                f"({np.broadcast_to(values, change.shape).flat[worst]:.6g} → "
                f"{np.broadcast_to(result, change.shape).flat[worst]:.6g} {unit}), more than "
                "{max_rounding_change}",
                argument=f"rounding[{agent!r}]",
                value=increment,
                shown=f"{step:g} {unit}",
                fix=(
                    "vials are whole, so no smaller increment exists: round to a syringe "
                    "graduation of the product (a volume such as Q_(0.1, 'mL')) instead of "
                    "whole vials, or leave the dose unrounded"
                    if vial
                    else "use a smaller increment"
                ),
                mentions={"max_rounding_change": limit},
            )

    rounded = guard(rounded, check, calculated, rounded)
    moved = np.logical_and(rounded != calculated, calculated > 0)
    if may_any(moved):
        state.adjust(
            "rounding",
            "rounded",
            rounded,
            flag_value(moved),
            f"rounded half-up to {what or f'{step:g} {unit}'}",
        )


#: Patients per block when a cohort's doses are rounded block by block (see _round_by_blocks).
_BLOCK: Final = 2**14


def _round_by_blocks(
    calculated: Derived, step: float, cap: float | None, limit: float
) -> tuple[Any, Any]:
    """Round a 1-D cohort's doses (held as a recipe) half-up, block by block.

    The same arithmetic as :func:`round_half_up` (and the cap's round-down), the same limit
    check and the same mask of whom rounding moved, computed on cache-sized blocks: the
    calculated doses and the check's temporaries exist one block at a time, so rounding a cohort
    costs the rounded array and its mask and no more. Returns the rounded doses and the mask, or
    ``(None, None)`` when a dose would move by more than ``limit`` (the caller then runs the
    whole-array check, which names the worst dose).
    """
    n = calculated.base.shape[0]
    rounded = np.empty(n)
    moved = np.empty(n, dtype=bool)
    decimals = _decimals(step)
    largest = limit * (1 + 1e-12)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        value = calculated.block(start, stop)
        out = rounded[start:stop]
        np.divide(value, step, out=out)
        np.round(out, _QUOTIENT_DECIMALS, out=out)
        out += 0.5
        np.floor(out, out=out)
        out *= step
        np.round(out, decimals, out=out)
        if cap is not None:
            above = out > cap * (1 + 1e-12)
            if above.any():
                out[above] = np.asarray(_round_down(value, step))[above]
        positive = value > 0
        change = np.subtract(out, value)
        np.abs(change, out=change)
        np.divide(change, value, out=change, where=positive)
        change[~positive] = 0.0
        if change.max() > largest:
            return None, None
        np.not_equal(out, value, out=moved[start:stop])
        moved[start:stop] &= positive
    rounded.flags.writeable = False
    return rounded, moved


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
            # float(): numpy 2 writes an np.float64 (a float subclass) as "np.float64(1.15)"
            step = Decimal(repr(float(increment)))
            quotient = (Decimal(repr(float(value))) / step).quantize(
                Decimal(10) ** -_QUOTIENT_DECIMALS
            )
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
