"""The GFR a dose by target AUC is computed from, and how it was obtained.

For a template line by target AUC (``target_auc`` with ``gfr_formula``), the patient's absolute
GFR [mL/min] comes from, in this order:

1. a measured GFR, ``Patient(glomerular_filtration_rate=...)``;
2. a measured creatinine clearance, ``Patient(creatinine_clearance=...)``;
3. an estimate from serum creatinine by the policy's :class:`~dosing.RenalEstimator` for the
   patient's age group; where the policy names none, **Cockcroft–Gault** for adults (18 and
   over: NCCN Appendix B estimates the Calvert GFR by Cockcroft–Gault creatinine clearance) and
   **bedside Schwartz** for children (the library's estimator for children, Schwartz 2009; a
   convention for carboplatin, whose paediatric formula (Newell 1993) was derived on measured
   ⁵¹Cr-EDTA GFR).

A value normalised to 1.73 m² is converted to mL/min through the patient's BSA, and the
conversion is named. Then two policy steps may change the dose, each flagged when it does
(:mod:`dosing.policy.steps`): a serum creatinine floor (``Policy(creatinine_floor=...)``, off by
default; estimates only; adults (18 and over) only unless the policy names a floor for
children) and the Calvert GFR cap (``Policy(gfr_cap=...)``, 125 mL/min by default; Calvert lines
only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

import numpy as np

from dosing._text import value_text
from dosing.basis import STANDARD_BSA_M2, Bases, Basis
from dosing.errors import DomainError, Example
from dosing.exposure import GFR_FORMULAS, carboplatin_clearance
from dosing.plausibility import ADULT_AGE_YEARS
from dosing.policy.policy import CG, floor_mg_dl
from dosing.regimens.lines import TargetAUC
from dosing.units import M2, MG_PER_DL, ML_PER_MIN, Q_, Magnitude

__all__ = [
    "ANURIC_NOTE",
    "auc_basis",
    "auc_dose",
    "floored_gfr",
    "formula_note",
    "measured_gfr",
    "needs_weight",
]


def measured_gfr(bases: Bases) -> Basis | None:
    """The patient's measured GFR or creatinine clearance in mL/min, or None."""
    patient, values = bases.patient, bases.patient.magnitudes
    for value, normalised, what, quantity in (
        (values.gfr, values.gfr_normalised, "measured GFR", patient.glomerular_filtration_rate),
        (
            values.creatinine_clearance,
            values.clearance_normalised,
            "measured creatinine clearance",
            patient.creatinine_clearance,
        ),
    ):
        if value is None:
            continue
        how = what
        if normalised:
            bsa = bases.patient_bsa()
            value = value * bsa.value / STANDARD_BSA_M2
            how += (
                f" ({value_text(quantity.magnitude, quantity.units, given=True)}), converted to "
                f"mL/min with the patient's BSA ({value_text(bsa.value, M2)})"
            )
        if what == "measured GFR" and np.ndim(value) == 0 and float(value) == 0.0:
            how = ANURIC_NOTE
        return Basis("gfr", value, ML_PER_MIN, how, ((_field(what), quantity),))
    return None


def _field(what: str) -> str:
    return "glomerular_filtration_rate" if what == "measured GFR" else "creatinine_clearance"


def _estimate(bases: Bases) -> Basis:
    values = bases.patient.magnitudes
    if values.serum_creatinine_mg_dl is None and values.cystatin_c_mg_l is None:
        raise DomainError(
            "is needed to dose by target AUC: give a measured GFR or creatinine clearance, or "
            "serum creatinine (and age) to estimate it (never defaulted)",
            argument="glomerular_filtration_rate",
            value=None,
            fix=Example(
                {"glomerular_filtration_rate": Q_(90, "mL/min")}, call="Patient", verb="give"
            ),
        )
    kidney = bases.kidney_function("absolute", adult_default=CG)
    patient = bases.patient
    inputs = tuple(
        (name, getattr(patient, name))
        for name in ("serum_creatinine", "cystatin_c", "age", "weight", "height", "sex")
        if getattr(patient, name) is not None
    )
    return Basis("gfr", kidney.value, ML_PER_MIN, f"estimated: {kidney.method}", inputs)


def auc_basis(bases: Bases) -> tuple[Basis, bool]:
    """The patient's GFR [mL/min] as obtained (measured, else estimated), and whether it is an
    estimate from serum creatinine (which a creatinine floor applies to)."""
    measured = measured_gfr(bases)
    if measured is not None:
        return measured, False
    return _estimate(bases), bases.patient.magnitudes.serum_creatinine_mg_dl is not None


def floored_gfr(bases: Bases, floors: Mapping[str, Any]) -> tuple[Magnitude, Any, Any]:
    """The estimated GFR [mL/min] with serum creatinine raised to each patient's floor, whom
    the floor raised (a bool or a mask), and each patient's floor [mg/dL] (0: none).

    ``floors`` maps ``"adult"`` (18 years and over) and ``"child"`` to a floor: a group the
    policy names no floor for is never floored (NCCN's 0.7 mg/dL is an adult convention)."""
    patient = bases.patient
    values = patient.magnitudes
    creatinine = values.serum_creatinine_mg_dl
    assert creatinine is not None  # only called for an estimate from creatinine
    assert values.age_years is not None  # an estimate from creatinine needs age
    adult = floor_mg_dl(floors["adult"]) if "adult" in floors else 0.0
    child = floor_mg_dl(floors["child"]) if "child" in floors else 0.0
    chosen = np.where(np.asarray(values.age_years) >= ADULT_AGE_YEARS, adult, child)
    floor: Any = chosen if np.ndim(chosen) else float(chosen)
    raised = creatinine < floor
    floored = replace(patient, serum_creatinine=Q_(np.maximum(creatinine, floor), MG_PER_DL))
    value = Bases(floored, bases.policy).kidney_function("absolute", adult_default=CG).value
    return value, raised, floor


#: What a GFR of 0 means, and its sources: the Calvert formula in haemodialysis.
ANURIC_NOTE: Final = (
    "measured GFR given as 0 (anuric / on haemodialysis): the Calvert formula with GFR taken as 0, "
    "dose = target AUC × 25 (guddati2014: applicable when haemodialysis follows within 12–18 h "
    "of the infusion; carboplatin-hemodialysis-2010 measured AUCs about 20% over target); "
    "plan the dialysis with the nephrology team"
)


def auc_dose(rule: TargetAUC, gfr_ml_min: Any, weight_kg: Any) -> Any:
    """Target AUC [mg·min/mL] × the formula's carboplatin clearance [mL/min] = dose [mg].

    A GFR of 0 (anuric, on haemodialysis) is taken by the Calvert formula only (its published
    convention, :data:`ANURIC_NOTE`); any other formula refuses it."""
    if rule.formula != "calvert" and np.any(np.asarray(gfr_ml_min) == 0):
        raise DomainError(
            f"is 0 mL/min: GFR 0 (haemodialysis) is a convention of the Calvert formula only "
            f"(guddati2014); no source reached gives it for the {GFR_FORMULAS[rule.formula].name} "
            f"formula",
            argument="glomerular_filtration_rate",
            value=0.0,
            shown="0 mL/min",
            fix="dose this patient with the nephrology team, outside the formula",
        )
    return rule.value * carboplatin_clearance(rule.formula, gfr_ml_min, weight_kg)


def formula_note(rule: TargetAUC) -> str:
    """``Calvert: dose [mg] = target AUC [mg·min/mL] × (GFR [mL/min] + 25), target AUC 5``."""
    entry = GFR_FORMULAS[rule.formula]
    return f"{entry.name}: {entry.equation}, target AUC {rule.value:g} mg·min/mL"


def needs_weight(rule: TargetAUC, bases: Bases, agent: str) -> Any:
    """The actual weight [kg] the formula needs (Newell), or None."""
    if not GFR_FORMULAS[rule.formula].needs_weight:
        return None
    weight = bases.patient.magnitudes.weight_kg
    if weight is None:
        raise DomainError(
            f"is needed: {agent} is dosed by the {GFR_FORMULAS[rule.formula].name} formula, "
            f"whose non-renal clearance is 0.36 mL/min per kg",
            argument="weight",
            value=None,
            fix=Example({"weight": Q_(20, "kg")}, call="Patient", verb="give"),
        )
    return weight
