"""Bases: what an amount is multiplied by, and how each number was obtained.

A per-m² amount is multiplied by a BSA; a per-kg amount by a dosing weight; a renal table reads
the patient's kidney function. Each is a :class:`Basis`: its value, unit, how it was obtained
(the formula, the weight chosen, the estimator) and from which of the patient's values.

:class:`Bases` computes them for one expansion, from the patient's magnitudes and the policy, each
once and only when a dose line needs it: the BSA (given, else the policy's formula, capped by
policy), the dosing weight of each choice, and the kidney function in the measure a table needs.

Kidney function, for a renal table, comes from, in this order:

1. the patient's measured ``creatinine_clearance`` (absolute or normalised, by its units);
2. an estimate from ``serum_creatinine`` (and ``cystatin_c``) by the estimator the policy's
   :class:`~dosing.RenalEstimator` gives each patient by age: by default, for adults (18 years
   and over) the estimator the table's source names (FLUDARA: Cockcroft–Gault) or CKD-EPI 2021
   where it names none; for children bedside Schwartz. Cockcroft–Gault is never used for a
   child unless the policy names it. Age is needed to choose.

The table's population is checked first: a child and an adult table (or any patient outside a
table's population) raise, unless the policy accepts it (``renal_outside_population="accept"``),
which the rows then record. With no kidney function, or without what the estimator needs,
expansion raises: a missing creatinine is never defaulted. A normalised value (per 1.73 m²) and
an absolute one (mL/min) are converted through the patient's BSA only, and the conversion is
named with the BSA used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing._arrays import guard, is_lazy, may_any
from dosing._text import given_text, value_text
from dosing._warn import recording, warn
from dosing.body._sex import is_male
from dosing.body.bsa import BSA_FORMULAS, bsa_m2
from dosing.body.egfr import EGFR_FORMULAS, egfr_magnitude
from dosing.body.kidney import cockcroft_gault_kernel
from dosing.body.weight import adjusted_kg, ideal_body_weight
from dosing.errors import (
    DomainError,
    Example,
    ImplausibleInputWarning,
    OutsidePopulationWarning,
    safe_repr,
)
from dosing.plausibility import ADULT_AGE_YEARS
from dosing.policy.policy import CG, DosingWeight
from dosing.policy.renal import RENAL_TABLES, Measure, RenalTable
from dosing.units import EGFR, KG, M2, ML_PER_MIN, Q_, Magnitude, short

if TYPE_CHECKING:
    from dosing.patient import Patient
    from dosing.policy.policy import Policy

__all__ = ["FLAT", "RADIATION", "STANDARD_BSA_M2", "Bases", "Basis", "KidneyFunction"]

#: The body-surface area that eGFR equations normalise to [m²] (1.73 m², from pint).
STANDARD_BSA_M2: Final = float(Q_(1.0, "standard_bsa").m_as(M2))


#: An ideal or adjusted weight is above actual weight only beyond floating-point noise, a
#: relative 10^-9 (50 µg in 50 kg; a library convention): Devine's ideal weight at exactly 60
#: inches (152.4 cm) comes out of the unit conversion as 50.000000000000014 kg, and a man of
#: 50 kg was flagged and warned "ideal body weight exceeds actual weight" with no change to his
#: dose. Within the noise the lesser weight is still the one used.
_ABOVE_ACTUAL: Final = 1.0 + 1e-9


@dataclass(frozen=True, slots=True)
class Basis:
    """What an amount was multiplied by (or a table read), and how that number was obtained.

    Attributes
    ----------
    kind : {"bsa", "weight", "kidney", "gfr", "flat", "radiation"}
        BSA [m²], a weight [kg], kidney function [mL/min or per 1.73 m²], the absolute GFR a dose
        by target AUC is computed from [mL/min], or nothing (flat and radiation doses do not
        scale).
    value : float or ndarray or None
        The number's magnitude in :attr:`unit`.
    unit : pint.Unit or None
        m², kg, mL/min or mL/min/standard_bsa.
    method : str
        A BSA formula key or ``"given"``; which weight (``actual body weight``, ...); or how the
        kidney function was obtained.
    inputs : tuple of (str, Quantity)
        The patient values it came from (height and weight, a given BSA, ...).
    notes : tuple of str
        What else changed the dose: a BSA cap, the infant rule, the renal function used.
    """

    kind: str
    value: Any
    unit: Any
    method: str
    inputs: tuple[tuple[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def quantity(self) -> Any:
        """The number as a Quantity (None for flat and radiation doses)."""
        return None if self.value is None else Q_(self.value, self.unit)

    def with_note(self, note: str) -> Basis:
        """A copy with one more note."""
        return replace(self, notes=(*self.notes, note))

    def __str__(self) -> str:
        if self.value is None:
            return self.method
        if self.kind == "kidney":
            text = f"renal function {value_text(self.value, self.unit)} ({self.method})"
        elif self.kind == "gfr":
            text = f"GFR {value_text(self.value, self.unit)} ({self.method})"
        else:
            shown = value_text(
                self.value, self.unit, given=self.method in ("given", "actual body weight")
            )
            if self.kind == "bsa" and self.method == "given":
                text = f"BSA {shown} (given)"
            elif self.kind == "bsa":
                formula = BSA_FORMULAS[self.method].name
                inputs = " and ".join(
                    f"{name} {given_text(q.magnitude, q.units)}" for name, q in self.inputs
                )
                text = f"BSA {shown} ({formula}, from {inputs})"
            else:
                text = f"weight {shown} ({self.method})"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text


#: The basis of a flat dose: nothing scales it.
FLAT: Final = Basis("flat", None, None, "flat dose: does not scale with body size", ())
#: The basis of a radiation dose: nothing scales it.
RADIATION: Final = Basis(
    "radiation", None, None, "radiation dose: does not scale with body size", ()
)

_EXAMPLES: Final = {"height": Q_(150, "cm"), "sex": "female", "weight": Q_(70, "kg")}
_ACTUAL_WEIGHT: Final = DosingWeight("actual")


class Bases:
    """The bases of one expansion, each computed once, when a dose line first needs it."""

    __slots__ = ("_bsa", "_capped", "_kidney", "_weights", "patient", "policy")

    def __init__(self, patient: Patient, policy: Policy) -> None:
        self.patient = patient
        self.policy = policy
        self._bsa: Basis | None = None
        self._capped: tuple[Basis, Any] | None = None
        self._weights: dict[DosingWeight, tuple[Basis, Any]] = {}
        self._kidney: dict[str, KidneyFunction] = {}

    # -- BSA --------------------------------------------------------------------------------------

    def has_size(self) -> bool:
        """Whether the patient has a BSA (given, or height and weight to compute one)."""
        values = self.patient.magnitudes
        return values.bsa_m2 is not None or (
            values.height_cm is not None and values.weight_kg is not None
        )

    def patient_bsa(self) -> Basis:
        """The patient's BSA (given, else the policy's formula), before any cap."""
        if self._bsa is None:
            patient, values = self.patient, self.patient.magnitudes
            if values.bsa_m2 is not None:
                inputs: tuple[tuple[str, Any], ...] = (("bsa", patient.bsa),)
                self._bsa = Basis("bsa", values.bsa_m2, M2, "given", inputs)
            else:
                assert values.height_cm is not None  # Patient needs height and weight, or bsa
                assert values.weight_kg is not None
                value = bsa_m2(
                    values.height_cm,
                    values.weight_kg,
                    method=self.policy.bsa_method,
                    sex=patient.sex,
                    age=patient.age,
                )
                inputs = (("height", patient.height), ("weight", patient.weight))
                self._bsa = Basis("bsa", frozen(value), M2, self.policy.bsa_method, inputs)
        return self._bsa

    def capped_bsa(self) -> tuple[Basis, Any]:
        """The BSA per-m² doses use, capped by policy, and the mask of whom the cap changed.

        Without a cap, or when it changes no one, the patient's BSA and ``False``.
        """
        if self._capped is None:
            basis = self.patient_bsa()
            cap = self.policy.bsa_cap
            self._capped = (basis, np.False_)
            if cap is not None:
                cap_m2 = float(cap.m_as(M2))
                capped = basis.value > cap_m2
                if may_any(capped):
                    value = as_magnitude(np.minimum(basis.value, cap_m2))
                    note = f"capped at {cap_m2:g} m² by policy"
                    self._capped = (
                        Basis("bsa", frozen(value), M2, basis.method, basis.inputs, (note,)),
                        flag_value(capped),
                    )
        return self._capped

    # -- weight -----------------------------------------------------------------------------------

    def actual_weight(self, agent: str, amount: str) -> Basis:
        """The patient's actual body weight, for a per-kg line of ``agent``."""
        return self.weight(_ACTUAL_WEIGHT, agent, amount)

    def weight(self, choice: DosingWeight, agent: str, amount: str) -> Basis:
        """The dosing weight ``choice`` (actual, ideal or adjusted), for a per-kg ``agent``.

        An ideal or adjusted weight above the actual weight is replaced by the actual weight
        (the lesser) unless ``choice.cap_at_actual`` is false; :meth:`weight_above_actual` says
        for whom the choice's weight was above actual, either way.
        """
        if choice not in self._weights:
            self._weights[choice] = self._weight(choice, agent, amount)
        return self._weights[choice][0]

    def weight_above_actual(self, choice: DosingWeight) -> Any:
        """Whom ``choice``'s ideal or adjusted weight was above their actual weight (False: no
        one; a mask for a cohort). Call :meth:`weight` first."""
        return self._weights[choice][1]

    def _weight(self, choice: DosingWeight, agent: str, amount: str) -> tuple[Basis, Any]:
        patient, values = self.patient, self.patient.magnitudes
        if values.weight_kg is None:
            raise DomainError(
                f"is needed: {agent} is dosed per kg ({amount}) but the patient has no weight",
                argument="weight",
                value=None,
                fix=Example({"weight": Q_(40, "kg")}, call="Patient", verb="give"),
                message=f"{agent} is dosed per kg ({amount}) but the patient has no weight; "
                f"give Patient(weight=Q_(40, 'kg'), ...)",
            )
        inputs: tuple[tuple[str, Any], ...] = (("weight", patient.weight),)
        if choice.kind == "actual":
            return Basis("weight", values.weight_kg, KG, choice.describe(), inputs), False
        value, above, note = self._ideal_or_adjusted(
            choice, agent, f"the policy doses by {choice.describe()}"
        )
        inputs = (*inputs, ("height", patient.height), ("sex", patient.sex))
        notes = (note,) if note else ()
        basis = Basis("weight", frozen(as_magnitude(value)), KG, choice.describe(), inputs, notes)
        return basis, flag_value(above) if may_any(above) else False

    def _ideal_or_adjusted(
        self,
        choice: DosingWeight,
        who: str,
        why: str,
        setting: str = "the policy's ",
        flag: str = "dosing_weight",
        only: Any = None,
    ) -> tuple[Any, Any, str]:
        """The ideal or adjusted weight [kg] of ``choice``, capped at actual weight unless the
        choice says otherwise; the mask of whom it was above actual; a note for the basis.

        The one implementation of the lesser-weight rule, for the dosing weight and for the
        Cockcroft–Gault weight of the renal policy alike; ``setting`` names, in the note and the
        warning, the policy field whose ``cap_at_actual`` decided it."""
        patient, values = self.patient, self.patient.magnitudes
        missing = [name for name in ("height", "sex") if getattr(patient, name) is None]
        if missing:
            example = {name: _EXAMPLES[name] for name in missing}
            raise DomainError(
                f"is needed: {who}: {why}, which needs the patient's {' and '.join(missing)}",
                argument=missing[0],
                value=None,
                fix=Example(example, call="Patient", verb="give"),
                message=f"{who}: {why}, which needs the patient's {' and '.join(missing)}; give "
                + ", ".join(f"{name}={_SHOWN_EXAMPLES[name]}" for name in missing),
            )
        height, sex, age = (
            _only(value, only) for value in (patient.height, patient.sex, patient.age)
        )
        with recording(only=only):  # its warnings: about the patients ``only`` holds (None: all)
            ideal = ideal_body_weight(height, sex=sex, method=choice.ibw_method, age=age).m_as(KG)
        actual = values.weight_kg
        assert actual is not None  # checked by the caller
        if choice.kind == "ideal":
            weight: Any = ideal
        else:
            assert choice.factor is not None  # DosingWeight requires it for "adjusted"
            weight = adjusted_kg(actual, ideal, choice.factor)
        above = weight > actual * _ABOVE_ACTUAL
        what = "ideal" if choice.kind == "ideal" else "adjusted"
        if choice.cap_at_actual:
            used = np.minimum(weight, actual)
            outcome = f"actual weight used (the lesser; {setting}cap_at_actual=True)"
        else:
            used = weight
            outcome = f"the {what} weight used as the policy asks ({setting}cap_at_actual=False)"

        def check(above_block: Any) -> None:
            if np.any(above_block):
                warn(
                    f"{who}: {what} body weight exceeds actual weight (the patients flagged "
                    f"{flag}); {outcome}",
                    ImplausibleInputWarning,
                    stacklevel=8,
                    where=above_block,
                )

        with recording(only=only):
            used = guard(used, check, above)
        if self.patient.is_cohort or is_lazy(weight):
            note = f"{what} body weight above actual for some patients: {outcome}"
        else:
            note = (
                f"{what} body weight {value_text(weight, KG)} above actual weight "
                f"{value_text(actual, KG, given=True)}: {outcome}"
            )
        return used, above, note if may_any(above) else ""

    # -- kidney -----------------------------------------------------------------------------------

    def kidney(self, table: RenalTable) -> KidneyFunction:
        """The patient's kidney function as ``table`` reads it: in its measure, by the estimator
        the policy chooses for each patient, checked against the table's population.

        A patient outside the table's population (a child and an adult table) raises, unless
        the policy accepts it; then :attr:`KidneyFunction.outside` says whom it concerns.
        """
        if table.key not in self._kidney:
            self._kidney[table.key] = self._kidney_for(table)
        return self._kidney[table.key]

    def kidney_function(
        self, measure: Measure, estimator: str | None = None, *, adult_default: str | None = None
    ) -> Basis:
        """The patient's kidney function in ``measure``, with no table's population to check.

        Measured clearance when the patient has one; else ``estimator`` for every patient (a
        key of :data:`dosing.EGFR_FORMULAS` or ``"cockcroft_gault"``), or, without one, the
        policy's :class:`~dosing.RenalEstimator` by age. For a dose by kidney function itself,
        e.g. carboplatin by Calvert (GFR in mL/min, Cockcroft–Gault in NCCN's templates):
        ``bases.kidney_function("absolute", "cockcroft_gault")``. ``adult_default`` replaces
        the documented adult default (CKD-EPI 2021) when neither ``estimator`` nor the policy
        names one.
        """
        self._require_renal_input()
        value, how, _ = self._kidney_value(measure, None, estimator, adult_default)
        return Basis("kidney", value, EGFR if measure == "normalised" else ML_PER_MIN, how)

    def _kidney_for(self, table: RenalTable) -> KidneyFunction:
        self._require_renal_input()
        outside, reason = self._outside_population(table)
        value, how, (above, note) = self._kidney_value(table.measure, table, None)
        if outside is not False and self.policy.renal_outside_population == "refuse":
            value = guard(value, _refuse_outside(table, reason), outside)
        basis = Basis("kidney", value, table.unit, how)
        weight = {"weight_above": above, "weight_note": note}
        if outside is False or self.policy.renal_outside_population == "refuse":
            return KidneyFunction(basis, False, "", **weight)
        return KidneyFunction(basis, outside, reason, **weight)

    def _require_renal_input(self) -> None:
        values = self.patient.magnitudes
        if (
            values.creatinine_clearance is None
            and values.serum_creatinine_mg_dl is None
            and values.cystatin_c_mg_l is None
        ):
            raise DomainError(
                "or a measured creatinine clearance is needed by the renal policy (never "
                "defaulted)",
                argument="serum_creatinine",
                value=None,
                fix=Example(
                    {"creatinine_clearance": Q_(90, "mL/min")}, call="Patient", verb="give"
                ),
                message="the renal policy needs the patient's renal function: give "
                "Patient(creatinine_clearance=Q_(90, 'mL/min')) or "
                "Patient(serum_creatinine=Q_(0.6, 'mg/dL'), age=...) (never defaulted)",
            )

    def _outside_population(self, table: RenalTable) -> tuple[Any, str]:
        """Whom the table's population excludes (False: no one), and why in words.

        Without an age the population cannot be checked: refused, unless the policy accepts a
        table outside its population, which then applies to everyone (recorded).
        """
        if table.population == "any":
            return False, ""
        ages = self.patient.magnitudes.age_years
        who = table.population_text()
        if ages is None:
            if self.policy.renal_outside_population == "accept":
                return True, f"renal table {table.key} is for {who}; no age given to check it"
            raise DomainError(
                f"is needed to check that renal table {table.key!r} applies: it is for {who}",
                argument="age",
                value=None,
                fix=Example({"age": Q_(40, "year")}, call="Patient", verb="give"),
                message=f"renal table {table.key!r} is for {who}, so it needs age to check the "
                f"patient is one: give Patient(age=Q_(40, 'year')) (or accept the table for "
                f"anyone with Policy(renal_outside_population='accept'))",
            )
        adult = f"{ADULT_AGE_YEARS:g}"
        if table.population == "adult":
            outside = ages < ADULT_AGE_YEARS
            reason = f"renal table {table.key} is for {who}, applied to a patient under {adult}"
        else:
            outside = ages >= ADULT_AGE_YEARS
            reason = (
                f"renal table {table.key} is for {who}, applied to a patient of {adult} or over"
            )
        if not may_any(outside):
            return False, ""
        if self.policy.renal_outside_population == "refuse" and not is_lazy(outside):
            raise _refusal(table, reason, ages, np.asarray(outside))
        return (outside if is_lazy(outside) else flag_value(outside)), reason

    def _kidney_value(
        self,
        measure: Measure,
        table: RenalTable | None,
        estimator: str | None,
        adult_default: str | None = None,
    ) -> tuple[Magnitude, str, tuple[Any, str]]:
        """Measured clearance, or an estimate by each patient's estimator, in ``measure``; and
        whom a Cockcroft–Gault ideal or adjusted weight was above actual weight, with a note."""
        values = self.patient.magnitudes
        if values.creatinine_clearance is not None:
            clearance = self.patient.creatinine_clearance
            how = f"measured creatinine clearance ({short(clearance.units)})"
            measured = self._in_measure(
                values.creatinine_clearance, values.clearance_normalised, measure, how
            )
            return (*measured, (False, ""))
        if values.age_years is None:
            raise DomainError(
                "is needed to choose the kidney-function estimator",
                argument="age",
                value=None,
                fix=Example({"age": Q_(12, "year")}, call="Patient", verb="give"),
                message="the renal policy estimates renal function from serum_creatinine, "
                "and needs age to choose the estimator (by default Cockcroft–Gault from "
                f"{ADULT_AGE_YEARS:g} years for a table written for it, bedside Schwartz "
                "below); give Patient(age=Q_(12, 'year'))",
            )
        children = values.age_years < ADULT_AGE_YEARS
        lazy = is_lazy(children)
        present = [
            (group, mask, self._estimator_for(group, table, estimator, adult_default))
            for group, mask in (("child", children), ("adult", np.logical_not(children)))
            if may_any(mask)
        ]
        missing = {g: self._missing_inputs(key) for g, _, key in present}
        if lazy and all(missing[g] for g, _, _ in present):
            raise _needs(present[0][2], missing[present[0][0]], present[0][0])
        results: list[tuple[Any, Any, str]] = []  # (mask, value or None, how) per group
        weights: list[tuple[Any, str]] = []  # whom a Cockcroft–Gault weight was above actual
        for group, mask, key in present:
            if missing[group]:
                if not lazy:
                    raise _needs(key, missing[group], group)
                # lazy: who is in this group is known only when computed; refuse it then
                results.append((mask, _refuse_group(key, missing[group], group), ""))
                continue
            value, how, weight = self._estimate(key, mask, measure, table)
            results.append((mask, value, how))
            weights.append(weight)
        above = next((w for w in weights if w[1]), (False, ""))  # Cockcroft–Gault: one group
        if len(results) == 1:  # numpy: everyone is a child, or everyone an adult
            return results[0][1], results[0][2], above
        (child_mask, child_value, child_how), (adult_mask, adult_value, adult_how) = results
        if callable(child_value):
            return guard(adult_value, child_value, child_mask), adult_how, above
        if callable(adult_value):
            return guard(child_value, adult_value, adult_mask), child_how, above
        adult = f"{ADULT_AGE_YEARS:g}"
        mixed = np.where(child_mask, child_value, adult_value)
        return mixed, f"{child_how} (age < {adult}); {adult_how} (age ≥ {adult})", above

    def _estimator_for(
        self,
        group: str,
        table: RenalTable | None,
        estimator: str | None,
        adult_default: str | None = None,
    ) -> str:
        """The estimator for ``group`` ("adult" or "child"): the caller's, else the policy's,
        else the table's where it fits the group, else the documented default."""
        if estimator is not None:
            return estimator
        chosen = getattr(self.policy.renal_estimator, group)
        if chosen is not None:
            return str(chosen)
        named = None if table is None else table.estimator
        if group == "adult":
            if named == "measured" and table is not None:
                raise _needs_measured(table)
            if named in (CG, *EGFR_FORMULAS):
                return str(named)
            if adult_default is not None:
                return adult_default
            return (
                "ckd_epi_2021"
                if self.patient.magnitudes.cystatin_c_mg_l is None
                else ("ckd_epi_cr_cys_2021")
            )
        if named == "measured" and table is not None:
            raise _needs_measured(table)
        if table is not None and table.population != "adult" and named in EGFR_FORMULAS:
            return str(named)
        return "schwartz_bedside"

    def _missing_inputs(self, key: str) -> list[str]:
        """The patient's fields ``key`` needs and the patient does not have."""
        patient = self.patient
        if key == CG:
            needed = ["serum_creatinine", "weight", "sex"]
            if self.policy.renal_estimator.cg_weight.kind != "actual":
                needed.append("height")
        else:
            needed = [_PATIENT_FIELD.get(name, name) for name in EGFR_FORMULAS[key].needs]
        return [name for name in needed if getattr(patient, name) is None]

    def _estimate(
        self, key: str, mask: Any, measure: Measure, table: RenalTable | None
    ) -> tuple[Magnitude, str, tuple[Any, str]]:
        """``key``'s estimate for the patients in ``mask``, in ``measure``, and how in words;
        for Cockcroft–Gault, whom (in ``mask``) its ideal or adjusted weight was above actual,
        and the note that says what was used (the lesser, unless the policy says otherwise)."""
        patient, values = self.patient, self.patient.magnitudes
        needs_sex = key == CG or "sex" in EGFR_FORMULAS[key].needs
        male = is_male(patient.sex, _estimator_name(key)) if needs_sex else None
        above: tuple[Any, str] = (False, "")
        if key == CG:
            choice = self.policy.renal_estimator.cg_weight
            weight: Any = values.weight_kg
            if choice.kind != "actual":
                weight, heavier, note = self._ideal_or_adjusted(
                    choice,
                    "Cockcroft–Gault",
                    f"the renal policy weighs by {choice.describe()}",
                    setting="the renal_estimator's cockcroft_gault_weight ",
                    flag="renal_weight",
                    only=mask,  # the patients this estimator is for
                )
                heavier = np.logical_and(heavier, mask)
                if may_any(heavier):
                    above = (flag_value(heavier), f"Cockcroft–Gault weight: {note}")
            value = cockcroft_gault_kernel(
                values.age_years, weight, values.serum_creatinine_mg_dl, male
            )
            value = guard(value, _warn_cg_for_children, values.age_years, mask)
            weight_text = self.policy.renal_estimator.cg_weight_text()
            how = f"Cockcroft–Gault from serum creatinine on {weight_text}"
            normalised = False
        else:
            formula = EGFR_FORMULAS[key]
            inputs = {
                "creatinine": values.serum_creatinine_mg_dl,
                "cystatin": values.cystatin_c_mg_l,
                "age": values.age_years,
                "height": values.height_cm,
                "male": male,
            }
            value = egfr_magnitude(key, {k: v for k, v in inputs.items() if v is not None}, mask)
            how = f"{formula.name} eGFR"
            normalised = True
        if table is not None and table.estimator not in (key, "unspecified"):
            how += f" (the table is written for {table.estimator_text()})"
        return (*self._in_measure(value, normalised, measure, how), above)

    def _in_measure(
        self, value: Any, normalised: bool, measure: Measure, how: str
    ) -> tuple[Magnitude, str]:
        """``value`` in ``measure``, converted through the patient's BSA, the conversion named."""
        wanted_normalised = measure == "normalised"
        if normalised and not wanted_normalised:
            bsa = self.patient_bsa()
            value = value * bsa.value / STANDARD_BSA_M2
            how += f", converted to mL/min with the patient's BSA ({_bsa_text(bsa)})"
        elif wanted_normalised and not normalised:
            bsa = self.patient_bsa()
            value = value * STANDARD_BSA_M2 / bsa.value
            how += f", normalised to 1.73 m² with the patient's BSA ({_bsa_text(bsa)})"
        return value, how


@dataclass(frozen=True, slots=True)
class KidneyFunction:
    """The patient's kidney function as one renal table reads it.

    Attributes
    ----------
    basis : Basis
        The kidney function in the table's measure, and how it was obtained.
    outside : bool or ndarray of bool
        Whom the table's population excludes and the policy accepted anyway (False: no one).
    reason : str
        Why they are outside, in words (empty when no one is).
    weight_above : bool or ndarray of bool
        Whom the policy's Cockcroft–Gault ideal or adjusted weight was above their actual weight
        (False: no one); the actual weight, the lesser, was used unless the policy says
        ``cap_at_actual=False``.
    weight_note : str
        What that weight was and what was used, in words (empty when no one is concerned).
    """

    basis: Basis
    outside: Any
    reason: str
    weight_above: Any = False
    weight_note: str = ""


#: The Patient field each eGFR input comes from.
_PATIENT_FIELD: Final = {"sex": "sex", "black": "black"}
_SHOWN_EXAMPLES: Final = {"height": "Q_(150, 'cm')", "sex": "'male' or 'female'"}
_FIELD_EXAMPLES: Final[dict[str, Any]] = {
    "height": Q_(150, "cm"),
    "weight": Q_(70, "kg"),
    "sex": "female",
    "serum_creatinine": Q_(0.6, "mg/dL"),
    "cystatin_c": Q_(0.9, "mg/L"),
}


def _bsa_text(bsa: Basis) -> str:
    return f"{value_text(bsa.value, M2, given=bsa.method == 'given')}"


def _estimator_name(key: str) -> str:
    return "Cockcroft–Gault" if key == CG else EGFR_FORMULAS[key].name


def _needs(key: str, missing: list[str], group: str) -> DomainError:
    who = (
        f"a patient under {ADULT_AGE_YEARS:g}"
        if group == "child"
        else f"a patient of {ADULT_AGE_YEARS:g} or over"
    )
    name = _estimator_name(key)
    body = _BODY_INPUTS.get(key, [])
    needed = body if set(missing) <= set(body) else missing
    example = {field: _FIELD_EXAMPLES.get(field, "...") for field in missing}
    return DomainError(
        f"{name} (for {who}) needs {' and '.join(needed)}",
        argument=missing[0],
        value=None,
        fix=Example(example, call="Patient", verb="give"),
        message=f"{name} (for {who}) needs {' and '.join(needed)}; give Patient("
        + ", ".join(f"{field}={_python(value)}" for field, value in example.items())
        + ")",
    )


#: What the common estimators need besides serum creatinine, as their messages name it.
_BODY_INPUTS: Final = {CG: ["weight", "sex"], "schwartz_bedside": ["height"]}


def _python(value: Any) -> str:
    if hasattr(value, "units"):
        return f"Q_({value.magnitude!r}, '{short(value.units)}')"
    return repr(value)


def _needs_measured(table: RenalTable) -> DomainError:
    return DomainError(
        f"is needed: renal table {table.key!r} is written for a measured creatinine clearance",
        argument="creatinine_clearance",
        value=None,
        fix=Example({"creatinine_clearance": Q_(90, "mL/min")}, call="Patient", verb="give"),
        message=f"renal table {table.key!r} is written for a measured creatinine clearance: give "
        f"Patient(creatinine_clearance=Q_(90, 'mL/min')), or choose an estimator explicitly with "
        f"Policy(renal_estimator=RenalEstimator(adult=..., child=...))",
    )


def _refuse_group(key: str, missing: list[str], group: str) -> Callable[[Any], None]:
    """A blockwise check: raise if any patient of the masked group is present."""

    def check(mask_block: Any) -> None:
        if np.any(np.asarray(mask_block, dtype=bool)):
            raise _needs(key, missing, group)

    return check


def _only(value: Any, only: Any) -> Any:
    """``value`` for the patients of ``only``, each other patient's replaced by the first of
    theirs: a value computed from it for the others is never used, so it must not refuse them
    either (Devine's ideal weight of a 100 cm child whom Cockcroft–Gault does not estimate)."""
    if value is None or only is None or is_lazy(only) or np.ndim(only) == 0 or np.all(only):
        return value
    raw = value.magnitude if hasattr(value, "magnitude") else value
    if is_lazy(raw) or np.ndim(raw) == 0:
        return value
    mask = np.asarray(only, dtype=bool)
    array = np.broadcast_to(np.asarray(raw), mask.shape)
    kept = np.where(mask, array, array.flat[int(np.flatnonzero(mask)[0])])
    return Q_(kept, value.units) if hasattr(value, "magnitude") else kept


def _warn_cg_for_children(age_block: Any, mask_block: Any) -> None:
    children = (np.asarray(age_block) < ADULT_AGE_YEARS) & np.asarray(mask_block, dtype=bool)
    if np.any(children):
        warn(
            f"Cockcroft–Gault, derived in adults, is applied by the renal policy to a patient "
            f"under {ADULT_AGE_YEARS:g}",
            OutsidePopulationWarning,
            stacklevel=8,
            where=children,
        )


def _refusal(table: RenalTable, reason: str, ages: Any, outside: Any) -> DomainError:
    first = float(np.broadcast_to(np.asarray(ages), np.shape(outside))[outside].flat[0])
    group = "children" if table.population == "adult" else "adults"
    others = [
        key
        for key, other in RENAL_TABLES.items()
        if other.agent == table.agent
        and other.key != table.key
        and other.population in ("any", "paediatric" if group == "children" else "adult")
    ]
    way = (
        f"use a table for {group} ({', '.join(repr(key) for key in others)})"
        if others
        else f"use a table for {group} (none is shipped for {table.agent}: see the policies "
        f"documentation)"
    )
    accept = (
        "or accept the table outside its population explicitly with {renal_outside_population} "
        "(the kidney function is then converted to the table's measure with the patient's BSA, "
        "and every affected row says so)"
    )
    return DomainError(
        f"is for {table.population_text()}; the patient is {first:g} years old",
        argument="renal",
        value=table.key,
        shown=safe_repr(table.key),
        fix=f"{way}, {accept}",
        mentions={"renal_outside_population": "accept"},
        message=f"renal table {table.key!r} is for {table.population_text()}; the patient is "
        f"{first:g} years old. {way[0].upper()}{way[1:]}, "
        + accept.replace("{renal_outside_population}", "Policy(renal_outside_population='accept')"),
    )


def _refuse_outside(table: RenalTable, reason: str) -> Any:
    """A blockwise check for a lazy cohort: raise if any patient is outside the population."""

    def check(outside_block: Any) -> None:
        outside = np.asarray(outside_block, dtype=bool)
        if np.any(outside):
            raise DomainError(
                f"is for {table.population_text()} ({reason})",
                argument="renal",
                value=table.key,
                shown=safe_repr(table.key),
                fix="accept it explicitly with {renal_outside_population}",
                mentions={"renal_outside_population": "accept"},
            )

    return check


# -- small array helpers shared by the bases and the policy steps ----------------------------


def as_magnitude(value: Any) -> Magnitude:
    """A float for one patient, a float64 array for a cohort; a lazy array stays lazy."""
    if is_lazy(value):
        return value  # type: ignore[no-any-return]
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array


def frozen(value: Any) -> Any:
    """Arrays shared between rows are read-only, so that no row can change another."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


def flag_value(mask: Any) -> Any:
    """A flag for one patient is True; for a cohort, the read-only boolean array of whom."""
    if is_lazy(mask):
        return mask
    array = np.asarray(mask, dtype=bool)
    if array.ndim == 0:
        return True
    array.flags.writeable = False
    return array
