"""dosing: chemotherapy and transplant-conditioning doses with units carried end to end.

Not a medical device: every dose must be verified by a qualified person before use.

``import dosing`` loads the units and the body-size formulas; regimens, policies, schedules,
checks and formats load when one of their names is first looked up (``dosing.get_regimen``).

The public API is what this module exports (see ``__all__``); everything else may change.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dosing._version import __version__
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
from dosing.patient import Patient
from dosing.references import REFERENCES, Reference
from dosing.units import Q_, ureg

if TYPE_CHECKING:
    from dosing import formats, frames
    from dosing.basis import Basis
    from dosing.checks import Finding, check
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
    from dosing.frames import plan_frame
    from dosing.history import Exposure
    from dosing.policy import DosingWeight, InfantRule, Policy, RenalEstimator
    from dosing.policy.bands import (
        BAND_TABLES,
        Band,
        BandTable,
        load_band_table,
        make_band_table,
    )
    from dosing.policy.steps import Adjustment
    from dosing.products import PRESENTATIONS, PRODUCTS, Presentation
    from dosing.regimens import (
        DoseLine,
        Regimen,
        combine,
        get_regimen,
        load_regimen,
        regimen_keys,
    )
    from dosing.schedule import Row, Schedule, reschedule

#: Names whose modules load on first use (PEP 562), so that ``import dosing`` for a formula costs
#: only the formulas: name -> module. Each is the same object as before, once looked up.
_LAZY: dict[str, str] = {
    "formats": "dosing.formats",
    "frames": "dosing.frames",
    "plan_frame": "dosing.frames",
    "Basis": "dosing.basis",
    "Finding": "dosing.checks",
    "check": "dosing.checks",
    "GFR_FORMULAS": "dosing.exposure",
    "MOLAR_MASSES": "dosing.exposure",
    "RemainingDoses": "dosing.exposure",
    "adjust_to_target": "dosing.exposure",
    "carboplatin_calvert": "dosing.exposure",
    "carboplatin_newell": "dosing.exposure",
    "convert_auc": "dosing.exposure",
    "remaining_doses": "dosing.exposure",
    "Exposure": "dosing.history",
    "DosingWeight": "dosing.policy",
    "InfantRule": "dosing.policy",
    "Policy": "dosing.policy",
    "RenalEstimator": "dosing.policy",
    "Adjustment": "dosing.policy.steps",
    "BAND_TABLES": "dosing.policy.bands",
    "Band": "dosing.policy.bands",
    "BandTable": "dosing.policy.bands",
    "load_band_table": "dosing.policy.bands",
    "make_band_table": "dosing.policy.bands",
    "PRESENTATIONS": "dosing.products",
    "PRODUCTS": "dosing.products",
    "Presentation": "dosing.products",
    "DoseLine": "dosing.regimens",
    "Regimen": "dosing.regimens",
    "combine": "dosing.regimens",
    "get_regimen": "dosing.regimens",
    "load_regimen": "dosing.regimens",
    "regimen_keys": "dosing.regimens",
    "Row": "dosing.schedule",
    "Schedule": "dosing.schedule",
    "reschedule": "dosing.schedule",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        if name.startswith("__"):
            raise AttributeError(f"module 'dosing' has no attribute {name!r}")
        module = f"dosing.{name}"  # a submodule not yet imported (dosing.regimens)
        try:
            imported = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise  # pragma: no cover  (a dependency missing inside the submodule)
            raise AttributeError(f"module 'dosing' has no attribute {name!r}") from None
    else:
        imported = importlib.import_module(module)
    value = imported if module == f"dosing.{name}" else getattr(imported, name)
    globals()[name] = value
    if name != "formats":
        # the whole pipeline, as a plain `import dosing` once loaded it: every step registered
        # (with its flags) and every output format, whichever name was looked up first
        importlib.import_module("dosing.expand")
        importlib.import_module("dosing.checks")
        importlib.import_module("dosing.formats")
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
    "frames",
    "get_regimen",
    "ideal_body_weight",
    "lean_body_weight",
    "load_band_table",
    "load_regimen",
    "make_band_table",
    "plan_frame",
    "regimen_keys",
    "remaining_doses",
    "reschedule",
    "schwartz_bedside",
    "ureg",
]
