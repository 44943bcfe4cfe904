"""dosing: chemotherapy and transplant-conditioning doses with units carried end to end.

Not a medical device: every dose must be verified by a qualified person before use.

The public API is what this module exports (see ``__all__``); everything else may change.
"""

from dosing import formats
from dosing._version import __version__
from dosing.basis import Basis
from dosing.body import (
    BSA_FORMULAS,
    EGFR_FORMULAS,
    BSAFormula,
    ClearanceEstimate,
    EGFRFormula,
    adjusted_body_weight,
    bmi,
    bsa,
    cockcroft_gault,
    convert_creatinine,
    creatinine_clearance,
    egfr,
    ideal_body_weight,
    lean_body_weight,
    schwartz_bedside,
)
from dosing.checks import Finding, check
from dosing.errors import (
    DomainError,
    DosingError,
    DosingWarning,
    ImplausibleExposureWarning,
    ImplausibleInputWarning,
    OutsidePopulationWarning,
    RegimenError,
    UnitsError,
    UnknownKeyError,
    UnknownMethodError,
    UnsourcedDefaultWarning,
    UnusedPolicyWarning,
)
from dosing.exposure import (
    GFR_FORMULAS,
    MOLAR_MASSES,
    RemainingDoses,
    adjust_to_target,
    carboplatin_calvert,
    carboplatin_newell,
    convert_auc,
    remaining_doses,
)
from dosing.history import Exposure
from dosing.patient import Patient
from dosing.policy import DosingWeight, InfantRule, Policy, RenalEstimator
from dosing.policy.bands import BAND_TABLES, Band, BandTable, load_band_table, make_band_table
from dosing.policy.steps import Adjustment
from dosing.products import PRESENTATIONS, PRODUCTS, Presentation
from dosing.references import REFERENCES, Reference
from dosing.regimens import DoseLine, Regimen, combine, get_regimen, load_regimen, regimen_keys
from dosing.schedule import Row, Schedule, reschedule
from dosing.units import Q_, ureg

__all__ = [
    "BAND_TABLES",
    "BSA_FORMULAS",
    "EGFR_FORMULAS",
    "GFR_FORMULAS",
    "MOLAR_MASSES",
    "PRESENTATIONS",
    "PRODUCTS",
    "Q_",
    "REFERENCES",
    "Adjustment",
    "BSAFormula",
    "Band",
    "BandTable",
    "Basis",
    "ClearanceEstimate",
    "DomainError",
    "DoseLine",
    "DosingError",
    "DosingWarning",
    "DosingWeight",
    "EGFRFormula",
    "Exposure",
    "Finding",
    "ImplausibleExposureWarning",
    "ImplausibleInputWarning",
    "InfantRule",
    "OutsidePopulationWarning",
    "Patient",
    "Policy",
    "Presentation",
    "Reference",
    "Regimen",
    "RegimenError",
    "RemainingDoses",
    "RenalEstimator",
    "Row",
    "Schedule",
    "UnitsError",
    "UnknownKeyError",
    "UnknownMethodError",
    "UnsourcedDefaultWarning",
    "UnusedPolicyWarning",
    "__version__",
    "adjust_to_target",
    "adjusted_body_weight",
    "bmi",
    "bsa",
    "carboplatin_calvert",
    "carboplatin_newell",
    "check",
    "cockcroft_gault",
    "combine",
    "convert_auc",
    "convert_creatinine",
    "creatinine_clearance",
    "egfr",
    "formats",
    "get_regimen",
    "ideal_body_weight",
    "lean_body_weight",
    "load_band_table",
    "load_regimen",
    "make_band_table",
    "regimen_keys",
    "remaining_doses",
    "reschedule",
    "schwartz_bedside",
    "ureg",
]
