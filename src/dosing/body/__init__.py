"""Body size and organ function: BSA formulas, dosing weights and kidney function."""

from dosing.body.bsa import BSA_FORMULAS, BSAFormula, bsa
from dosing.body.kidney import creatinine_clearance, schwartz_bedside
from dosing.body.weight import (
    IBW_FORMULAS,
    LBW_FORMULAS,
    adjusted_body_weight,
    bmi,
    ideal_body_weight,
    lean_body_weight,
)

__all__ = [
    "BSA_FORMULAS",
    "IBW_FORMULAS",
    "LBW_FORMULAS",
    "BSAFormula",
    "adjusted_body_weight",
    "bmi",
    "bsa",
    "creatinine_clearance",
    "ideal_body_weight",
    "lean_body_weight",
    "schwartz_bedside",
]
