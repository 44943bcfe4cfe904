"""Bases: what an amount is multiplied by, and how each number was obtained.

A per-m² amount is multiplied by a BSA; a per-kg amount by a dosing weight; a renal table reads
the patient's kidney function. Each is a :class:`Basis`: its value, unit, how it was obtained
(the formula, the weight chosen, the estimator) and from which of the patient's values.

:class:`Bases` computes them for one expansion, from the patient's magnitudes and the policy, each
once and only when a dose line needs it: the BSA (given, else the policy's formula, capped by
policy), the dosing weight of each choice, and the kidney function in the measure a table needs.

Kidney function comes from, in this order:

1. the patient's measured ``creatinine_clearance`` (absolute or normalised, by its units);
2. an estimate from ``serum_creatinine``: Cockcroft–Gault for adults (18 years and over; needs
   weight and sex), bedside Schwartz for children under 18 (needs height). Cockcroft–Gault is
   never used for a child. Age is needed to choose.

With neither, or without what the estimator needs, expansion raises: a missing creatinine is
never defaulted. A normalised value (per 1.73 m²) and an absolute one (mL/min) are converted
through the patient's BSA only, and the conversion is named.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing._arrays import guard, is_lazy, may_any
from dosing._text import given_text, value_text
from dosing.body._sex import is_male
from dosing.body.bsa import BSA_FORMULAS, bsa_m2
from dosing.body.egfr import schwartz_bedside_kernel
from dosing.body.kidney import cockcroft_gault_kernel as cockcroft_gault
from dosing.body.weight import adjusted_body_weight, ideal_body_weight
from dosing.errors import DomainError, Example, ImplausibleInputWarning
from dosing.plausibility import ADULT_AGE_YEARS
from dosing.policy.policy import DosingWeight
from dosing.units import EGFR, KG, M2, ML_PER_MIN, Q_, Magnitude, short

if TYPE_CHECKING:
    from dosing.patient import Patient
    from dosing.policy.policy import Policy
    from dosing.policy.renal import Measure

__all__ = ["FLAT", "RADIATION", "STANDARD_BSA_M2", "Bases", "Basis"]

#: The body-surface area that eGFR equations normalise to [m²] (1.73 m², from pint).
STANDARD_BSA_M2: Final = float(Q_(1.0, "standard_bsa").m_as(M2))


@dataclass(frozen=True, slots=True)
class Basis:
    """What an amount was multiplied by (or a table read), and how that number was obtained.

    Attributes
    ----------
    kind : {"bsa", "weight", "kidney", "flat", "radiation"}
        BSA [m²], a weight [kg], kidney function [mL/min or per 1.73 m²], or nothing (flat and
        radiation doses do not scale).
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
        self._weights: dict[DosingWeight, Basis] = {}
        self._kidney: dict[str, Basis] = {}

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
        """The dosing weight ``choice`` (actual, ideal or adjusted), for a per-kg ``agent``."""
        if choice not in self._weights:
            self._weights[choice] = self._weight(choice, agent, amount)
        return self._weights[choice]

    def _weight(self, choice: DosingWeight, agent: str, amount: str) -> Basis:
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
            return Basis("weight", values.weight_kg, KG, choice.describe(), inputs)
        missing = [name for name in ("height", "sex") if getattr(patient, name) is None]
        if missing:
            example = {name: _EXAMPLES[name] for name in missing}
            raise DomainError(
                f"is needed: {agent}: the policy doses by {choice.describe()}, which needs the "
                f"patient's {' and '.join(missing)}",
                argument=missing[0],
                value=None,
                fix=Example(example, call="Patient", verb="give"),
                message=f"{agent}: the policy doses by {choice.describe()}, which needs the "
                f"patient's {' and '.join(missing)}; give "
                + ", ".join(f"{name}={_SHOWN_EXAMPLES[name]}" for name in missing),
            )
        ideal = ideal_body_weight(patient.height, sex=patient.sex, method=choice.ibw_method)
        inputs = (*inputs, ("height", patient.height), ("sex", patient.sex))
        if choice.kind == "ideal":

            def check(ideal_block: Any, actual_block: Any) -> None:
                if np.any(np.asarray(ideal_block) > np.asarray(actual_block)):
                    warnings.warn(
                        f"{agent}: ideal body weight exceeds actual weight for some patients; "
                        f"the policy doses by ideal body weight as asked",
                        ImplausibleInputWarning,
                        stacklevel=7,
                    )

            value = guard(ideal.m_as(KG), check, ideal.m_as(KG), values.weight_kg)
        else:
            assert choice.factor is not None  # DosingWeight requires it for "adjusted"
            value = adjusted_body_weight(patient.weight, ideal, factor=choice.factor).m_as(KG)
        return Basis("weight", frozen(value), KG, choice.describe(), inputs)

    # -- kidney -----------------------------------------------------------------------------------

    def kidney(self, measure: Measure) -> Basis:
        """The patient's kidney function in ``measure`` (absolute or normalised)."""
        if measure not in self._kidney:
            self._kidney[measure] = self._kidney_function(measure)
        return self._kidney[measure]

    def _kidney_function(self, measure: Measure) -> Basis:
        patient, values = self.patient, self.patient.magnitudes
        if values.creatinine_clearance is not None:
            normalised = values.clearance_normalised
            value = values.creatinine_clearance  # checked once, when the Patient was made
            how = f"measured creatinine clearance ({short(patient.creatinine_clearance.units)})"
        else:
            if values.serum_creatinine_mg_dl is None:
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
            if values.age_years is None:
                raise DomainError(
                    "is needed to choose the kidney-function estimator",
                    argument="age",
                    value=None,
                    fix=Example({"age": Q_(12, "year")}, call="Patient", verb="give"),
                    message="the renal policy estimates renal function from serum_creatinine, "
                    "and needs age to choose the estimator (Cockcroft–Gault from "
                    f"{ADULT_AGE_YEARS:g} years, bedside Schwartz below); give "
                    "Patient(age=Q_(12, 'year'))",
                )
            value, normalised, how = self._estimate()
        wanted_normalised = measure == "normalised"
        if normalised and not wanted_normalised:
            value = value * self.patient_bsa().value / STANDARD_BSA_M2
            how += ", converted to mL/min with the patient's BSA"
        elif wanted_normalised and not normalised:
            value = value * STANDARD_BSA_M2 / self.patient_bsa().value
            how += ", normalised to 1.73 m² with the patient's BSA"
        return Basis("kidney", value, EGFR if wanted_normalised else ML_PER_MIN, how)

    def _estimate(self) -> tuple[Magnitude, bool, str]:
        """Schwartz (normalised) for children, Cockcroft–Gault (absolute) for adults; for a mixed
        cohort both, returned normalised. Kernels on the patient's checked magnitudes.

        For a lazy cohort, who is a child is known only when computed: an estimator whose inputs
        are missing raises then, for the block that needs it, with the same message.
        """
        patient, values = self.patient, self.patient.magnitudes
        ages: Any = values.age_years
        children = ages < ADULT_AGE_YEARS
        lazy = is_lazy(children)
        any_child, any_adult = may_any(children), may_any(np.logical_not(children))
        has_height = values.height_cm is not None
        has_weight_and_sex = values.weight_kg is not None and patient.sex is not None
        if any_child and not has_height and not lazy:
            raise _needs_height()
        if any_adult and not has_weight_and_sex and not lazy:
            raise _needs_weight_and_sex()
        if lazy and not (has_height or has_weight_and_sex):
            raise DomainError(
                "needs height (children) or weight and sex (adults)",
                argument="Patient",
                message=f"{_needs_height()}; {_needs_weight_and_sex()}",
            )
        scr: Any = values.serum_creatinine_mg_dl
        schwartz_value = cg_value = None
        if any_child and has_height:
            schwartz_value = schwartz_bedside_kernel(values.height_cm, scr)
        if any_adult and has_weight_and_sex:
            # The kernel, not the public function: children in a mixed cohort get Schwartz and
            # never this value, so its adult-population warning does not apply to them.
            cg_value = cockcroft_gault(
                values.age_years, values.weight_kg, scr, is_male(patient.sex, "Cockcroft–Gault")
            )
        adult = f"{ADULT_AGE_YEARS:g}"
        if schwartz_value is not None and cg_value is None:
            if lazy:  # no weight or sex: every patient must be a child
                schwartz_value = guard(schwartz_value, _refuse_if(False), children)
            return (
                schwartz_value,
                True,
                f"bedside Schwartz eGFR from serum creatinine (age < {adult})",
            )
        if cg_value is not None and schwartz_value is None:
            if lazy:  # no height: every patient must be an adult
                cg_value = guard(cg_value, _refuse_if(True), children)
            return cg_value, False, f"Cockcroft–Gault from serum creatinine (age ≥ {adult})"
        assert cg_value is not None
        assert schwartz_value is not None
        mixed = np.where(
            children, schwartz_value, cg_value * STANDARD_BSA_M2 / self.patient_bsa().value
        )
        return mixed, True, f"bedside Schwartz (age < {adult}) or Cockcroft–Gault (age ≥ {adult})"


_SHOWN_EXAMPLES: Final = {"height": "Q_(150, 'cm')", "sex": "'male' or 'female'"}


def _needs_height() -> DomainError:
    return DomainError(
        f"bedside Schwartz (for a patient under {ADULT_AGE_YEARS:g}) needs height",
        argument="height",
        value=None,
        fix=Example({"height": Q_(150, "cm")}, call="Patient", verb="give"),
        message=f"bedside Schwartz (for a patient under {ADULT_AGE_YEARS:g}) needs height; give "
        f"Patient(height=Q_(150, 'cm'))",
    )


def _needs_weight_and_sex() -> DomainError:
    return DomainError(
        f"Cockcroft–Gault (for a patient of {ADULT_AGE_YEARS:g} or over) needs weight and sex",
        argument="weight",
        value=None,
        fix=Example({"weight": Q_(70, "kg"), "sex": "female"}, call="Patient", verb="give"),
        message=f"Cockcroft–Gault (for a patient of {ADULT_AGE_YEARS:g} or over) needs weight "
        f"and sex; give Patient(weight=Q_(70, 'kg'), sex='female')",
    )


def _refuse_if(child: bool) -> Any:
    """A blockwise check: raise if any patient is (``child``) or is not a child."""

    def check(children_block: Any) -> None:
        mask = np.asarray(children_block, dtype=bool)
        if np.any(mask if child else ~mask):
            raise _needs_weight_and_sex() if child is False else _needs_height()

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
