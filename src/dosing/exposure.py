"""Doses by target exposure: carboplatin by the Calvert formula.

A dose by target exposure is not a body-size formula: it turns a target area under the
concentration-time curve (AUC) and the patient's drug clearance into an amount. The Calvert
formula does this for carboplatin, whose clearance is the glomerular filtration rate (GFR, an
absolute clearance in mL/min) plus a non-renal 25 mL/min.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from dosing.errors import UnitsError
from dosing.plausibility import strip
from dosing.units import AUC, EGFR, MG, ML_PER_MIN, Q_

__all__ = ["CALVERT_GFR_CAP", "CALVERT_NONRENAL", "carboplatin_calvert"]

#: Non-renal carboplatin clearance in the Calvert formula [mL/min].
CALVERT_NONRENAL: Final = Q_(25.0, ML_PER_MIN)

#: Default cap on GFR in the Calvert formula (FDA 2010, NCCN).
CALVERT_GFR_CAP: Final = Q_(125.0, ML_PER_MIN)


def carboplatin_calvert(
    target_auc: object, gfr: object, *, gfr_cap: object = CALVERT_GFR_CAP
) -> Any:
    """Calvert carboplatin dose [mg] = target AUC [mg·min/mL] × (GFR [mL/min] + 25 mL/min).

    GFR is an absolute clearance (mL/min); an eGFR per 1.73 m² is refused until multiplied by the
    patient's BSA. GFR is capped at ``gfr_cap`` (125 mL/min by default, per FDA/NCCN), so AUC
    6, 5 and 4 give at most 900, 750 and 600 mg; ``gfr_cap=None`` removes the cap.

    References
    ----------
    calvert1989, fda-carboplatin-gfr-cap

    Examples
    --------
    >>> from dosing import Q_, carboplatin_calvert
    >>> carboplatin_calvert(Q_(5, "mg*min/mL"), Q_(100, "mL/min"))  # 5 × (100 + 25)
    <Quantity(625.0, 'milligram')>
    >>> carboplatin_calvert(Q_(6, "mg*min/mL"), Q_(140, "mL/min"))  # capped: 6 × (125 + 25)
    <Quantity(900.0, 'milligram')>
    """
    if hasattr(gfr, "dimensionality") and gfr.dimensionality == EGFR.dimensionality:
        raise UnitsError(
            "is normalised to 1.73 m²; the Calvert formula needs an absolute clearance",
            argument="gfr",
            value=gfr,
            shown=repr(gfr),
            fix="pass (egfr * patient_bsa).to('mL/min')",
            message=f"gfr={gfr!r} is normalised to 1.73 m²; the Calvert formula needs an absolute "
            f"clearance: pass (egfr * patient_bsa).to('mL/min')",
        )
    auc = strip(target_auc, "target_auc", AUC)
    gfr_ml_min = strip(gfr, "gfr", ML_PER_MIN)
    if gfr_cap is not None:
        cap = strip(gfr_cap, "gfr_cap", ML_PER_MIN, limit="gfr")
        gfr_ml_min = np.minimum(gfr_ml_min, cap)
    dose = auc * (gfr_ml_min + CALVERT_NONRENAL.m_as(ML_PER_MIN))
    return Q_(float(dose) if np.ndim(dose) == 0 else dose, MG)
