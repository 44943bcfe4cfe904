"""Kidney function: Cockcroft–Gault creatinine clearance and bedside Schwartz eGFR.

Two kinds of number are kept apart by their units:

* an **absolute** clearance, mL/min (Cockcroft–Gault, a measured clearance, the GFR in Calvert);
* a clearance **normalised to 1.73 m²** of body-surface area, ``mL/min/standard_bsa``
  (bedside Schwartz), which pint refuses where an absolute clearance is needed. Multiply it by
  the patient's BSA to get mL/min: ``(egfr * bsa).to("mL/min")`` is egfr × BSA / 1.73.

Serum creatinine is accepted in mass (mg/dL) or substance (µmol/L) concentration; the two are
converted with 1 mg/dL = 88.42 µmol/L.
"""

from __future__ import annotations

import warnings
from typing import Any, Final

import numpy as np

from dosing._arrays import guard
from dosing.body._sex import is_male
from dosing.errors import OutsidePopulationWarning, UnitsError
from dosing.plausibility import ADULT_AGE_YEARS, checked, strip
from dosing.units import (
    CM,
    EGFR,
    KG,
    MG_PER_DL,
    ML_PER_MIN,
    Q_,
    UMOL_PER_L,
    YEAR,
    Magnitude,
    as_quantity,
    magnitude,
)

__all__ = [
    "CREATININE_MOLAR_CONVERSION",
    "cockcroft_gault",
    "creatinine_clearance",
    "creatinine_mg_per_dl",
    "schwartz_bedside",
    "schwartz_bedside_kernel",
]

#: Serum creatinine: 1 mg/dL = 88.42 µmol/L (molar mass of creatinine ≈ 113.1 g/mol).
CREATININE_MOLAR_CONVERSION: Final = Q_(88.42, UMOL_PER_L) / Q_(1.0, MG_PER_DL)

#: Schwartz bedside constant [mL/min/1.73 m² per (cm / (mg/dL))].
SCHWARTZ_BEDSIDE_K: Final = 0.413


def creatinine_mg_per_dl(serum_creatinine: object, name: str = "serum_creatinine") -> Magnitude:
    """Serum creatinine as mg/dL, from mg/dL (or any mass concentration) or µmol/L.

    Examples
    --------
    >>> from dosing import Q_
    >>> round(creatinine_mg_per_dl(Q_(88.42, "umol/L")), 12)
    1.0
    """
    if isinstance(serum_creatinine, str) or not hasattr(serum_creatinine, "dimensionality"):
        quantity = (
            as_quantity(serum_creatinine, MG_PER_DL, name)
            if not isinstance(serum_creatinine, str)
            else _either_concentration(serum_creatinine, name)
        )
    else:
        quantity = serum_creatinine
    if getattr(quantity, "dimensionality", None) == UMOL_PER_L.dimensionality:
        quantity = as_quantity(quantity, UMOL_PER_L, name) / CREATININE_MOLAR_CONVERSION
    value = magnitude(quantity, MG_PER_DL, name)
    return checked(name, value, MG_PER_DL, limit="serum_creatinine")


def _either_concentration(text: str, name: str) -> Any:
    try:
        return as_quantity(text, UMOL_PER_L, name)
    except UnitsError:
        return as_quantity(text, MG_PER_DL, name)


def cockcroft_gault(age_years: Any, weight_kg: Any, creatinine_mg_dl: Any, male: Any) -> Any:
    """The Cockcroft–Gault kernel on checked magnitudes [mL/min]: no checks, no warnings."""
    return (140.0 - age_years) * weight_kg / (72.0 * creatinine_mg_dl) * np.where(male, 1.0, 0.85)


def schwartz_bedside_kernel(height_cm: Any, creatinine_mg_dl: Any) -> Any:
    """The bedside Schwartz kernel on checked magnitudes [mL/min/1.73 m²]: 0.413 × H / SCr."""
    egfr = SCHWARTZ_BEDSIDE_K * height_cm / creatinine_mg_dl
    return float(egfr) if np.ndim(egfr) == 0 else egfr


def creatinine_clearance(
    *, age: object, weight: object, serum_creatinine: object, sex: object
) -> Any:
    """Cockcroft–Gault creatinine clearance [mL/min], an absolute clearance for adults.

    CrCl = (140 − age [y]) × W [kg] / (72 × SCr [mg/dL]), × 0.85 for women.

    Uses the weight it is given (actual weight, as in the original paper); which weight to use
    in obesity is a policy choice. Warns for age under 18: the equation was derived in adults,
    and for children bedside Schwartz is the usual estimate.

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
    age_y = strip(age, "age", YEAR)
    weight_kg = strip(weight, "weight", KG)
    scr = creatinine_mg_per_dl(serum_creatinine)
    male = is_male(sex, "creatinine_clearance (Cockcroft–Gault)")

    def check(block: Any) -> None:
        if np.any(np.asarray(block) < ADULT_AGE_YEARS):
            warnings.warn(
                f"creatinine_clearance uses Cockcroft–Gault, derived in adults; for a patient "
                f"under {ADULT_AGE_YEARS:g} years use schwartz_bedside",
                OutsidePopulationWarning,
                stacklevel=4,
            )

    crcl: Any = cockcroft_gault(age_y, weight_kg, scr, male)
    crcl = float(crcl) if np.ndim(crcl) == 0 else crcl
    return Q_(guard(crcl, check, age_y), ML_PER_MIN)


def schwartz_bedside(height: object, serum_creatinine: object, *, age: object = None) -> Any:
    """Bedside Schwartz eGFR, normalised to 1.73 m²: 0.413 × H [cm] / SCr [mg/dL].

    The result is in ``mL/min/standard_bsa`` (mL/min per 1.73 m²), so it cannot be passed where
    an absolute clearance is needed until multiplied by the patient's BSA. Not validated under
    one year of age: with ``age`` under 1 year it warns.

    References
    ----------
    schwartz2009

    Examples
    --------
    >>> from dosing import Q_, schwartz_bedside
    >>> egfr = schwartz_bedside(Q_(150, "cm"), Q_(0.5, "mg/dL"))  # 0.413 × 150 / 0.5
    >>> egfr
    <Quantity(123.9, 'milliliter / minute / standard_bsa')>
    >>> (egfr * Q_(1.29, "m**2")).to("mL/min")  # 123.9 × 1.29 / 1.73
    <Quantity(92.3878613, 'milliliter / minute')>
    """
    height_cm = strip(height, "height", CM)
    scr = creatinine_mg_per_dl(serum_creatinine)
    egfr = schwartz_bedside_kernel(height_cm, scr)
    if age is not None:

        def check(block: Any) -> None:
            if np.any(np.asarray(block) < 1.0):
                warnings.warn(
                    "bedside Schwartz is not validated under 1 year of age",
                    OutsidePopulationWarning,
                    stacklevel=4,
                )

        egfr = guard(egfr, check, strip(age, "age", YEAR))
    return Q_(egfr, EGFR)
