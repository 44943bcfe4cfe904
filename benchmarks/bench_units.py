"""Units from strings: ``dosing.Q_(150.0, "cm")`` against a pre-parsed unit.

pint re-parses a unit string on every call; every example in the docs writes one. Goal: a unit
string costs at most 2x a pre-parsed unit, through ``dosing.Q_`` and wherever dosing itself reads
a unit from text (a quantity string such as ``"150 cm"`` given for a patient's height).
"""

from __future__ import annotations

import dosing
from benchmarks._common import interleaved, report
from dosing import Q_
from dosing.units import CM, ureg

GOAL = 2.0


def main(rounds: int) -> None:
    quantity = ureg.Quantity  # pint's own constructor

    def pre_parsed() -> object:
        return quantity(150.0, CM)

    report(
        'dosing.Q_(150.0, "cm") vs pint with a pre-parsed unit',
        interleaved(lambda: Q_(150.0, "cm"), pre_parsed, rounds=rounds),
        GOAL,
    )
    report(
        'dosing.Q_(2.0, "g/m**2") vs pint with a pre-parsed unit',
        interleaved(
            lambda: Q_(2.0, "g/m**2"), lambda: quantity(2.0, dosing.units.MG_PER_M2), rounds=rounds
        ),
        GOAL,
    )
    report(
        'for information: pint Quantity(150.0, "cm") vs pre-parsed',
        interleaved(lambda: quantity(150.0, "cm"), pre_parsed, rounds=rounds),
        None,
    )
    # Where dosing reads text itself: a quantity string at the boundary of every function.
    patient_text = lambda: dosing.Patient(height="150 cm", weight="40 kg")  # noqa: E731
    patient_units = lambda: dosing.Patient(height=Q_(150.0, CM), weight=Q_(40.0, dosing.units.KG))  # noqa: E731
    report(
        'Patient(height="150 cm", weight="40 kg") vs pre-parsed units',
        interleaved(patient_text, patient_units, rounds=rounds),
        GOAL,
    )
