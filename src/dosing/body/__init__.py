"""Body size and organ function: BSA formulas, dosing weights and renal function."""

from dosing.body.bsa import BSA_FORMULAS, BSAFormula, bsa
from dosing.body.renal import (
    carboplatin_calvert,
    creatinine_clearance,
    schwartz_bedside,
)
from dosing.body.weight import adjusted_body_weight, bmi, ideal_body_weight, lean_body_weight

__all__ = [
    "BSA_FORMULAS",
    "BSAFormula",
    "adjusted_body_weight",
    "bmi",
    "bsa",
    "carboplatin_calvert",
    "creatinine_clearance",
    "ideal_body_weight",
    "lean_body_weight",
    "schwartz_bedside",
]
