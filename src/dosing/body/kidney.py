"""Kidney markers and creatinine clearance: creatinine and cystatin C units, Cockcroft–Gault.

Two kinds of number are kept apart by their units:

* an **absolute** clearance, mL/min (Cockcroft–Gault, a measured clearance, the GFR in Calvert);
* a clearance **normalised to 1.73 m²** of body-surface area, ``mL/min/standard_bsa`` (every
  eGFR equation, :mod:`dosing.body.egfr`), which pint refuses where an absolute clearance is
  needed. Multiply it by the patient's BSA to get mL/min: ``(egfr * bsa).to("mL/min")`` is
  egfr × BSA / 1.73.

Serum creatinine is accepted as a mass concentration (mg/dL, mg/L) or a substance concentration
(µmol/L); pint converts between them with creatinine's molar mass, stated once here
(:data:`CREATININE_MOLAR_MASS`, 113.12 g/mol: 1 mg/dL = 88.40 µmol/L). Cystatin C is accepted as
a mass concentration (mg/L); a substance concentration is refused, since it would need cystatin
C's molar mass, which no equation here was written with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from dosing._arrays import guard
from dosing._warn import recording, warn
from dosing.body._sex import is_male
from dosing.body.weight import IBW_FORMULAS, adjusted_kg, ideal_body_weight
from dosing.errors import (
    DomainError,
    Example,
    OutsidePopulationWarning,
    UnitsError,
    UnknownKeyError,
    safe_repr,
)
from dosing.plausibility import ADULT_AGE_YEARS, checked, strip
from dosing.references import check_references
from dosing.units import (
    CM,
    G_PER_MOL,
    KG,
    MG_PER_DL,
    MG_PER_L,
    ML_PER_MIN,
    Q_,
    UMOL_PER_L,
    YEAR,
    Magnitude,
    as_quantity,
    magnitude,
    read_unit_text,
    refuse_masked,
)

__all__ = [
    "CG_WEIGHTS",
    "CREATININE_MOLAR_MASS",
    "ClearanceEstimate",
    "cockcroft_gault",
    "cockcroft_gault_kernel",
    "convert_creatinine",
    "creatinine_clearance",
    "creatinine_mg_per_dl",
    "cystatin_c_mg_per_l",
]

#: Creatinine, C4H7N3O: 113.12 g/mol. The one number that converts µmol/L to mg/dL (88.40
#: µmol/L per mg/dL); pint does the conversion with it (its ``chemistry`` context).
CREATININE_MOLAR_MASS: Final = Q_(113.12, G_PER_MOL)
#: Where :data:`CREATININE_MOLAR_MASS` comes from.
CREATININE_MOLAR_MASS_REFERENCE: Final = check_references(
    ("creatinine-molar-mass",), "creatinine molar mass"
)[0]

#: The weights Cockcroft–Gault may use (:func:`cockcroft_gault`'s ``weight_used``).
CG_WEIGHTS: Final = ("actual", "ideal", "adjusted", "lesser")


def creatinine_quantity(value: object, name: str = "serum_creatinine") -> Any:
    """``value`` as a Quantity of mass or substance concentration (strings parsed once).

    A bare number is refused with the fix in mg/dL, the unit the documentation uses (never in
    µmol/L: 0.9 is plainly mg/dL, and 0.9 µmol/L is refused as implausible).

    Examples
    --------
    >>> creatinine_quantity(0.9)
    Traceback (most recent call last):
    ...
    dosing.errors.UnitsError: serum_creatinine=0.9 has no unit; write \
serum_creatinine=Q_(0.9, "mg/dL")
    """
    refuse_masked(value, name)  # (before the retries below, which would hide why)
    try:
        return as_quantity(value, MG_PER_DL, name)
    except UnitsError as by_mass:
        try:
            return as_quantity(value, UMOL_PER_L, name)
        except UnitsError:
            if not isinstance(value, str) and not hasattr(value, "dimensionality"):
                raise by_mass from None  # a bare number: the fix in mg/dL
            raise UnitsError(
                "needs units of mass or substance concentration",
                argument=name,
                value=value,
                shown=safe_repr(value),
                fix=Example({name: Q_(0.6, "mg/dL")}),
                message=f"{name}={value!r} needs units of mass or substance concentration; "
                f"write {name}=Q_(0.6, 'mg/dL') or Q_(53, 'umol/L')",
            ) from None


def convert_creatinine(value: object, unit: object) -> Any:
    """Serum creatinine in ``unit`` (mg/dL, mg/L, µmol/L, ...), converted by pint.

    Mass and substance concentrations are converted through creatinine's molar mass,
    :data:`CREATININE_MOLAR_MASS` (113.12 g/mol), so 1 mg/dL = 88.40 µmol/L. (Some software
    uses 88.4 or 88.42; the difference is 0.02%.)

    References
    ----------
    creatinine-molar-mass

    Examples
    --------
    >>> from dosing import Q_
    >>> convert_creatinine(Q_(1, "mg/dL"), "umol/L")  # 10 mg/L ÷ 113.12 g/mol
    <Quantity(88.4016973, 'micromole / liter')>
    >>> convert_creatinine("84 umol/L", "mg/dL")  # 84 µmol/L × 113.12 g/mol
    <Quantity(0.950208, 'milligram / deciliter')>
    """
    quantity = creatinine_quantity(value, "serum_creatinine")
    creatinine_mg_per_dl(quantity)  # real, positive and plausible (or refused by name)
    if not isinstance(unit, str) and not hasattr(unit, "dimensionality"):
        raise UnitsError(
            "must be a unit of concentration such as 'mg/dL' or 'umol/L'",
            argument="unit",
            value=unit,
            shown=safe_repr(unit),
        )
    target = read_unit_text(unit, "unit") if isinstance(unit, str) else unit
    if target.dimensionality not in (MG_PER_DL.dimensionality, UMOL_PER_L.dimensionality):
        raise UnitsError(
            "must be a unit of mass or substance concentration such as 'mg/dL' or 'umol/L'",
            argument="unit",
            value=unit,
            shown=safe_repr(unit),
        )
    return quantity.to(target, "chemistry", mw=CREATININE_MOLAR_MASS)


def creatinine_mg_per_dl(serum_creatinine: object, name: str = "serum_creatinine") -> Magnitude:
    """Serum creatinine as mg/dL, checked against its plausible range: the boundary for it.

    Examples
    --------
    >>> from dosing import Q_
    >>> round(creatinine_mg_per_dl(Q_(88.4016973125884, "umol/L")), 12)
    1.0
    """
    quantity = creatinine_quantity(serum_creatinine, name)
    if quantity.dimensionality == UMOL_PER_L.dimensionality:
        magnitude(quantity, UMOL_PER_L, name)  # a number beyond a float is refused by name
        quantity = quantity.to(MG_PER_DL, "chemistry", mw=CREATININE_MOLAR_MASS)
    value = magnitude(quantity, MG_PER_DL, name)
    return checked(name, value, MG_PER_DL, limit="serum_creatinine")


def cystatin_c_mg_per_l(cystatin_c: object, name: str = "cystatin_c") -> Magnitude:
    """Serum cystatin C as mg/L, checked against its plausible range.

    Only a mass concentration is accepted: every cystatin C equation here is written in mg/L,
    and converting nmol/L would need cystatin C's molar mass, which is not assumed.

    Examples
    --------
    >>> from dosing import Q_
    >>> cystatin_c_mg_per_l(Q_(0.08, "mg/dL"))
    0.8
    """
    try:
        quantity = as_quantity(cystatin_c, MG_PER_L, name)
    except UnitsError:
        if getattr(_parsed(cystatin_c), "dimensionality", None) == UMOL_PER_L.dimensionality:
            raise UnitsError(
                "is a substance concentration; cystatin C is taken in mg/L (its equations are "
                "written in mg/L, and converting would need its molar mass, which is not assumed)",
                argument=name,
                value=cystatin_c,
                shown=safe_repr(cystatin_c),
                fix=Example({name: Q_(0.8, "mg/L")}),
            ) from None
        raise
    value = magnitude(quantity, MG_PER_L, name)
    return checked(name, value, MG_PER_L, limit="cystatin_c")


def _parsed(value: object) -> object:
    if isinstance(value, str):
        try:
            return as_quantity(value, UMOL_PER_L, "cystatin_c")
        except UnitsError:
            return None
    return value


# ---------------------------------------------------------------------------------------------
# Cockcroft–Gault


def cockcroft_gault_kernel(age_years: Any, weight_kg: Any, creatinine_mg_dl: Any, male: Any) -> Any:
    """The Cockcroft–Gault kernel on checked magnitudes [mL/min]: no checks, no warnings.

    CrCl = (140 − age [y]) × W [kg] / (72 × SCr [mg/dL]), × 0.85 for women.
    """
    return (140.0 - age_years) * weight_kg / (72.0 * creatinine_mg_dl) * np.where(male, 1.0, 0.85)


@dataclass(frozen=True, slots=True)
class ClearanceEstimate:
    """A Cockcroft–Gault creatinine clearance with the weight it used, and words for both.

    A pint Quantity cannot carry a note, and which weight the equation used (actual, ideal,
    adjusted, or the lesser of ideal and actual) changes the number by tens of percent in an
    obese or a thin patient; so :func:`cockcroft_gault` returns this small record, and
    :func:`creatinine_clearance` its :attr:`clearance` alone.

    Attributes
    ----------
    clearance : pint.Quantity
        The creatinine clearance [mL/min] (absolute: not normalised to 1.73 m²).
    weight : pint.Quantity
        The weight [kg] the equation used, per patient.
    weight_used : str
        ``"actual"``, ``"ideal"``, ``"adjusted"`` or ``"lesser"``.
    description : str
        The estimate in words, e.g. ``"Cockcroft–Gault on the lesser of ideal body weight
        (Devine) and actual body weight"``.
    """

    clearance: Any
    weight: Any
    weight_used: str
    description: str

    def __str__(self) -> str:
        values = np.asarray(self.clearance.magnitude, dtype=float)
        shown = (
            f"{float(values):.4g} mL/min"
            if values.ndim == 0
            else f"{values.min():.4g}–{values.max():.4g} mL/min"
        )
        return f"{shown} ({self.description})"


def cg_weight_description(weight_used: str, ibw_method: str, factor: float | None) -> str:
    """Words for the weight Cockcroft–Gault used (shared with the renal policy's basis)."""
    ibw = f"ideal body weight ({IBW_FORMULAS[ibw_method].name})"
    if weight_used == "actual":
        return "actual body weight"
    if weight_used == "ideal":
        return ibw
    if weight_used == "lesser":
        return f"the lesser of {ibw} and actual body weight"
    return f"adjusted body weight (factor {factor:g}, {IBW_FORMULAS[ibw_method].name} IBW)"


def cockcroft_gault(
    *,
    age: object,
    weight: object,
    serum_creatinine: object,
    sex: object,
    weight_used: str = "actual",
    height: object = None,
    ibw_method: str = "devine",
    factor: float | None = None,
) -> ClearanceEstimate:
    """Cockcroft–Gault creatinine clearance [mL/min] with the weight it used, in words.

    CrCl = (140 − age [y]) × W [kg] / (72 × SCr [mg/dL]), × 0.85 for women.

    The original paper used actual body weight; which weight to use in obesity or thinness is
    a choice the sources disagree on, so it is an argument, recorded in the result:

    * ``"actual"`` (the default, as in the paper);
    * ``"ideal"``: ideal body weight by ``ibw_method`` (needs ``height``);
    * ``"adjusted"``: IBW + ``factor`` × (actual − IBW), ``factor`` required (0.4 in NCCN's
      carboplatin templates and clinPK; 0.3 in clinPK's documentation);
    * ``"lesser"``: the lesser of ideal and actual weight (a convention seen on calculator
      pages; no primary source found).

    Derived in adults: for a patient under 18 it warns (``OutsidePopulationWarning``); for
    children an eGFR equation (``dosing.egfr(method="schwartz_bedside")``) is the usual estimate.

    References
    ----------
    cockcroft1976, nccn-carboplatin, clinpk

    Examples
    --------
    >>> from dosing import Q_, cockcroft_gault
    >>> crcl = cockcroft_gault(age=Q_(40, "year"), weight=Q_(150, "kg"), height=Q_(180, "cm"),
    ...                        serum_creatinine=Q_(1, "mg/dL"), sex="male", weight_used="ideal")
    >>> crcl.clearance  # (140 − 40) × 74.99 / 72: Devine 50 + 2.3 × (70.87 − 60) = 74.99 kg
    <Quantity(104.155731, 'milliliter / minute')>
    >>> crcl.description
    'Cockcroft–Gault on ideal body weight (Devine)'
    """
    if weight_used not in CG_WEIGHTS:
        raise UnknownKeyError("weight_used", weight_used, CG_WEIGHTS)
    age_y = strip(age, "age", YEAR)
    actual_kg = strip(weight, "weight", KG)
    scr = creatinine_mg_per_dl(serum_creatinine)
    male = is_male(sex, "cockcroft_gault")
    if (factor is None) == (weight_used == "adjusted"):
        raise DomainError(
            "is needed for weight_used='adjusted' (e.g. factor=0.4), and belongs to it only",
            argument="factor",
            value=factor,
            shown=safe_repr(factor),
        )
    used_kg: Any = actual_kg
    if weight_used != "actual":
        if height is None:
            raise DomainError(
                f"is needed: Cockcroft–Gault on weight_used={weight_used!r} needs ideal body "
                f"weight, which needs height",
                argument="height",
                value=None,
                fix=Example({"height": Q_(170, "cm")}, verb="give"),
                message=f"cockcroft_gault(weight_used={weight_used!r}) needs ideal body weight, "
                f"which needs height: give height=Q_(170, 'cm')",
            )
        strip(height, "height", CM)
        ideal_kg = ideal_body_weight(height, sex=sex, method=ibw_method, age=age).m_as(KG)
        if weight_used == "ideal":
            used_kg = ideal_kg
        elif weight_used == "lesser":
            used_kg = np.minimum(ideal_kg, actual_kg)
        else:
            assert factor is not None
            if isinstance(factor, bool) or not (0.0 <= float(factor) <= 1.0):
                raise DomainError(
                    "must be a number from 0 to 1 (e.g. factor=0.4)",
                    argument="factor",
                    value=factor,
                    shown=safe_repr(factor),
                )
            used_kg = adjusted_kg(actual_kg, ideal_kg, float(factor))
        if np.ndim(used_kg) == 0:
            used_kg = float(used_kg)

    def check(block: Any) -> None:
        children = np.asarray(block) < ADULT_AGE_YEARS
        if np.any(children):
            warn(
                f"creatinine_clearance uses Cockcroft–Gault, derived in adults; for a patient "
                f"under {ADULT_AGE_YEARS:g} years use schwartz_bedside (or another eGFR "
                f"equation for children: dosing.egfr)",
                OutsidePopulationWarning,
                stacklevel=4,
                where=children,
            )

    crcl: Any = cockcroft_gault_kernel(age_y, used_kg, scr, male)
    crcl = float(crcl) if np.ndim(crcl) == 0 else crcl
    words = cg_weight_description(weight_used, ibw_method, factor)
    return ClearanceEstimate(
        clearance=Q_(guard(crcl, check, age_y), ML_PER_MIN),
        weight=Q_(used_kg, KG),
        weight_used=weight_used,
        description=f"Cockcroft–Gault on {words}",
    )


def creatinine_clearance(
    *,
    age: object,
    weight: object,
    serum_creatinine: object,
    sex: object,
    weight_used: str = "actual",
    height: object = None,
    ibw_method: str = "devine",
    factor: float | None = None,
) -> Any:
    """Cockcroft–Gault creatinine clearance [mL/min], an absolute clearance for adults.

    CrCl = (140 − age [y]) × W [kg] / (72 × SCr [mg/dL]), × 0.85 for women.

    Uses actual weight by default, as in the original paper; ``weight_used`` chooses another
    (see :func:`cockcroft_gault`, which returns the clearance with the weight it used and a
    description). Warns for age under 18: the equation was derived in adults, and for children
    bedside Schwartz is the usual estimate.

    References
    ----------
    cockcroft1976

    Examples
    --------
    >>> from dosing import Q_, creatinine_clearance
    >>> creatinine_clearance(age=Q_(40, "year"), weight=Q_(80, "kg"),
    ...                      serum_creatinine=Q_(1.0, "mg/dL"), sex="male")  # 100×80/72
    <Quantity(111.111111, 'milliliter / minute')>
    """
    with recording(frames=1):  # cockcroft_gault is one frame between the caller and a warning
        return cockcroft_gault(
            age=age,
            weight=weight,
            serum_creatinine=serum_creatinine,
            sex=sex,
            weight_used=weight_used,
            height=height,
            ibw_method=ibw_method,
            factor=factor,
        ).clearance
