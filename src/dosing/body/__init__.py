"""Body size and organ function: BSA formulas, dosing weights and kidney function."""

from dosing.body.bsa import BSA_FORMULAS, BSAFormula, bsa
from dosing.body.egfr import EGFR_FORMULAS, EGFRFormula, egfr, schwartz_bedside
from dosing.body.kidney import (
    ClearanceEstimate,
    cockcroft_gault,
    convert_creatinine,
    creatinine_clearance,
)
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
    "EGFR_FORMULAS",
    "IBW_FORMULAS",
    "LBW_FORMULAS",
    "BSAFormula",
    "ClearanceEstimate",
    "EGFRFormula",
    "adjusted_body_weight",
    "bmi",
    "bsa",
    "cockcroft_gault",
    "convert_creatinine",
    "creatinine_clearance",
    "egfr",
    "ideal_body_weight",
    "lean_body_weight",
    "schwartz_bedside",
]
