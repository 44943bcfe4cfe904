"""Regimen expansion: a cohort against hand-written numpy, one patient against one pint call.

* ``flu-arac-mel-ric`` expanded for 10^6 patients vs hand-written numpy of the same arithmetic
  (Mosteller BSA, then 30 mg/m², 2 g/m² and 90 mg/m² per day): goal <= 1.5x. Measured on a
  Patient already made (its units checked and stripped once), and for information including
  the Patient's construction, which checks every element.
* one patient's ``flu-arac-mel-ric`` vs one pint multiply-and-convert of a dose
  (``(Q_(2, "g/m**2") * Q_(1.29, "m**2")).to("mg")``): goal <= 10x.
"""

from __future__ import annotations

import warnings

import numpy as np

import dosing
from benchmarks._common import best_of, report
from dosing import Q_
from dosing.units import KG_PER_M2, MG

#: 1 kg/cm² in kg/m², by pint.
KG_PER_CM2 = Q_(1.0, "kg/cm**2").m_as(KG_PER_M2)


def main() -> None:
    warnings.simplefilter("ignore", dosing.DosingWarning)
    rng = np.random.default_rng(2026)
    n = 1_000_000
    heights = rng.uniform(120.0, 190.0, n)
    weights = rng.uniform(25.0, 100.0, n)
    ric = dosing.get_regimen("flu-arac-mel-ric")
    patients = dosing.Patient(height=Q_(heights, "cm"), weight=Q_(weights, "kg"))

    def hand() -> object:
        bsa = np.sqrt(heights * weights / 3600.0)
        return 30.0 * bsa, 2000.0 * bsa, 90.0 * bsa

    def hand_checked() -> object:
        for values, low, high in ((heights, 20.0, 260.0), (weights, 0.3, 400.0)):
            if not (low <= values.min() and values.max() <= high):
                raise ValueError("implausible")
        bmi = weights / (heights * heights) * KG_PER_CM2
        bmi.min(), bmi.max()
        return hand()

    def expand_only() -> object:
        return ric.expand(patients)

    def with_patient() -> object:
        return ric.expand(dosing.Patient(height=Q_(heights, "cm"), weight=Q_(weights, "kg")))

    schedule = expand_only()
    flu, arac, mel = hand()
    np.testing.assert_allclose(schedule[0].dose_value, flu, rtol=1e-14)
    np.testing.assert_allclose(schedule[1].dose_value, arac, rtol=1e-14)
    np.testing.assert_allclose(schedule[-1].dose_value, mel, rtol=1e-14)
    baseline = best_of(hand, 5)
    report("flu-arac-mel-ric for 10^6 patients vs numpy", best_of(expand_only, 5), baseline, 1.5)
    report("the same, with Patient(...) construction", best_of(with_patient, 5), baseline, None)
    report(
        "the same, vs numpy with the same checks",
        best_of(with_patient, 5),
        best_of(hand_checked, 5),
        None,
    )

    height, weight = Q_(150.0, "cm"), Q_(40.0, "kg")
    child = dosing.Patient(height=height, weight=weight)
    amount, area = Q_(2.0, "g/m**2"), Q_(1.29, "m**2")

    def one_patient() -> object:
        return ric.expand(child)

    def one_pint_dose() -> object:
        return (amount * area).to(MG)  # a pre-parsed unit: pint's fastest conversion

    pint_dose = best_of(one_pint_dose, 2_000)
    report(
        "one patient's flu-arac-mel-ric vs one pint dose",
        best_of(one_patient, 2_000),
        pint_dose,
        10.0,
    )
    report(
        "the same, with Patient(...) construction",
        best_of(lambda: ric.expand(dosing.Patient(height=height, weight=weight)), 2_000),
        pint_dose,
        None,
    )


if __name__ == "__main__":
    main()
