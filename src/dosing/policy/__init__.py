"""Policy: the institutional choices applied to a dose, and the ordered steps that apply them.

* :mod:`dosing.policy.policy`: :class:`~dosing.Policy` and its parts, every choice a named field;
* :mod:`dosing.policy.renal`: renal dose-adjustment tables, shipped as data with their sources;
* :mod:`dosing.policy.steps`: the pipeline, one small function per step, run in order on every
  dose line, each recording what it changed on the row (``row.adjustments``).
"""

from dosing.policy.policy import DosingWeight, InfantRule, Policy, RenalEstimator
from dosing.policy.renal import RENAL_TABLES, RenalBand, RenalTable

__all__ = [
    "RENAL_TABLES",
    "DosingWeight",
    "InfantRule",
    "Policy",
    "RenalBand",
    "RenalEstimator",
    "RenalTable",
]
