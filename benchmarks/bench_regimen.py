"""Regimen expansion: one patient as people call it, and a cohort with and without a policy.

* One patient's ``flu-arac-mel-ric`` (``regimen.expand(patient)``, the Patient made once) against
  plain Python building the same 9 rows (day, agent, dose) from the same floats: goal <= 15x;
  and against one pint multiply-and-convert of one dose with a pre-parsed unit: goal <= 2x.
* ``flu-arac-mel-ric`` for 10^6 patients with ``Policy(rounding={"*": 0.1 mg}, bsa_cap=2 m²)``
  against hand-written numpy giving the same doses and flags (the capped BSA, the calculated and
  the rounded dose of each line, who was capped and whose dose rounding moved, half-up with the
  same clean-up of floating-point noise, and the 10% rounding check): goal <= 1.2x, and a peak
  of at most 48 bytes per patient above the Patient (traced by tracemalloc).
* For information: the cohort without a policy, 10^3 to 10^7 patients, against hand numpy.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import dosing
from benchmarks._common import interleaved, peak_bytes, report, report_value
from dosing import Q_
from dosing.units import CM, KG, M2, MG

SWEEP = (10**3, 10**4, 10**5, 10**6, 10**7)


def main(rounds: int, sizes: tuple[int, ...] = SWEEP) -> None:
    warnings.simplefilter("ignore", dosing.DosingWarning)
    _one_patient(rounds)
    _with_policy(rounds)
    _sweep(rounds, sizes)


def _one_patient(rounds: int) -> None:
    ric = dosing.get_regimen("flu-arac-mel-ric")
    child = dosing.Patient(height=Q_(150.0, CM), weight=Q_(40.0, KG))
    lines = [(line.agent, line.amount_value, line.days) for line in ric.doses]

    def ours() -> object:
        return ric.expand(child)

    def plain_python() -> object:
        bsa = math.sqrt(150.0 * 40.0 / 3600.0)
        rows = [(day, agent, amount * bsa) for agent, amount, days in lines for day in days]
        rows.sort(key=lambda row: row[0])
        return rows

    expected = plain_python()
    got = [(row.day, row.agent, row.dose_value) for row in ours()]
    assert got == expected, (got, expected)
    amount, area = Q_(2.0, "g/m**2"), Q_(1.29, "m**2")

    def one_pint_dose() -> object:
        return (amount * area).to(MG)  # a pre-parsed unit: pint's fastest conversion

    report(
        "one patient's flu-arac-mel-ric vs plain Python, 9 rows",
        interleaved(ours, plain_python, rounds=rounds),
        15.0,
    )
    report(
        "one patient's flu-arac-mel-ric vs one pint dose",
        interleaved(ours, one_pint_dose, rounds=rounds),
        2.0,
    )
    report(
        "  for information: with Patient(...) made in the call",
        interleaved(
            lambda: ric.expand(dosing.Patient(height=Q_(150.0, CM), weight=Q_(40.0, KG))),
            one_pint_dose,
            rounds=rounds,
        ),
        None,
    )
    policy = dosing.Policy(rounding={"*": Q_(0.1, MG)}, bsa_cap=Q_(2.0, M2))
    report(
        "  for information: with a policy (rounding, BSA cap)",
        interleaved(lambda: ric.expand(child, policy=policy), one_pint_dose, rounds=rounds),
        None,
    )


#: Half-up rounding as the policy step does it: the quotient cleared of noise below 1e-9.
_NOISE_DECIMALS = 9


def _hand_policy(heights: np.ndarray, weights: np.ndarray) -> tuple[object, ...]:
    """The capped, rounded flu-arac-mel-ric by hand: the same doses, flags and check."""
    bsa = heights * weights
    bsa /= 3600.0
    np.sqrt(bsa, out=bsa)
    capped = bsa > 2.0
    capped_bsa = np.minimum(bsa, 2.0)
    lines = []
    for amount in (30.0, 2000.0, 90.0):
        calculated = amount * capped_bsa
        rounded = calculated / 0.1
        np.round(rounded, _NOISE_DECIMALS, out=rounded)
        rounded += 0.5
        np.floor(rounded, out=rounded)
        rounded *= 0.1
        np.round(rounded, 1, out=rounded)
        change = np.abs(rounded - calculated)
        change /= calculated
        if change.max() > 0.1:
            raise ValueError("rounding moves a dose by more than 10%")
        lines.append((calculated, rounded, rounded != calculated))
    return bsa, capped, capped_bsa, lines


def _with_policy(rounds: int) -> None:
    n = 10**6
    rng = np.random.default_rng(2026)
    heights = rng.uniform(120.0, 190.0, n)
    weights = rng.uniform(25.0, 100.0, n)
    ric = dosing.get_regimen("flu-arac-mel-ric")
    patients = dosing.Patient(height=Q_(heights, CM), weight=Q_(weights, KG))
    policy = dosing.Policy(rounding={"*": Q_(0.1, MG)}, bsa_cap=Q_(2.0, M2))

    def ours() -> object:
        return ric.expand(patients, policy=policy)

    def hand() -> object:
        return _hand_policy(heights, weights)

    schedule = ours()
    _, capped, _, lines = hand()
    for result, (calculated, rounded, moved) in zip(schedule.lines, lines, strict=True):
        np.testing.assert_array_equal(result.dose, rounded)
        np.testing.assert_allclose(result.calculated, calculated, rtol=1e-15)
        np.testing.assert_array_equal(result.flags["rounded"], moved)
        np.testing.assert_array_equal(result.flags["bsa_capped"], capped)
    del schedule
    report(
        "flu-arac-mel-ric with Policy(rounding, bsa_cap) vs hand numpy",
        interleaved(ours, hand, rounds=max(5, rounds // 2)),
        1.2,
        size="1e6",
    )
    peak, kept = peak_bytes(ours)
    report_value("  its peak memory above the Patient", peak / n, "B/patient", 48.0, size="1e6")
    del kept
    peak, kept = peak_bytes(hand)
    report_value("  for information: hand numpy's peak", peak / n, "B/patient", None, size="1e6")
    del kept
    peak, _kept = peak_bytes(lambda: ric.expand(patients))
    report_value("  for information: without a policy", peak / n, "B/patient", None, size="1e6")


def _sweep(rounds: int, sizes: tuple[int, ...]) -> None:
    ric = dosing.get_regimen("flu-arac-mel-ric")
    for n in sizes:
        _size(ric, n, rounds)


def _size(ric: dosing.Regimen, n: int, rounds: int) -> None:
    rng = np.random.default_rng(2026)
    heights = rng.uniform(120.0, 190.0, n)
    weights = rng.uniform(25.0, 100.0, n)
    patients = dosing.Patient(height=Q_(heights, CM), weight=Q_(weights, KG))

    def ours() -> object:
        return ric.expand(patients)

    def hand() -> object:
        bsa = heights * weights
        bsa /= 3600.0
        np.sqrt(bsa, out=bsa)
        return 30.0 * bsa, 2000.0 * bsa, 90.0 * bsa

    report(
        "  for information: flu-arac-mel-ric, no policy, vs hand numpy",
        interleaved(ours, hand, rounds=rounds if n <= 10**6 else max(5, rounds // 3)),
        None,
        size=f"1e{len(str(n)) - 1}",
    )
