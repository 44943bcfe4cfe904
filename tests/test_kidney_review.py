"""The kidney work's review (issue 11): the fix a unit error shows, and the command line's.

Each message is checked by following its own advice: the fix it shows must work.
"""

from __future__ import annotations

import io

import pytest

import dosing
from dosing import Q_, Patient, UnitsError
from dosing.cli import main

ADULT = {"age": Q_(40, "year"), "sex": "male"}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: dosing.egfr(serum_creatinine=c, method="ckd_epi_2021", **ADULT),
        lambda c: dosing.creatinine_clearance(serum_creatinine=c, weight=Q_(70, "kg"), **ADULT),
        lambda c: Patient(bsa=Q_(1.8, "m**2"), serum_creatinine=c),
        lambda c: dosing.convert_creatinine(c, "umol/L"),
    ],
    ids=["egfr", "creatinine_clearance", "Patient", "convert_creatinine"],
)
def test_a_bare_creatinine_is_refused_with_the_fix_in_mg_per_dl(call: object) -> None:
    with pytest.raises(UnitsError) as info:
        call(0.9)  # type: ignore[operator]
    message = str(info.value)
    assert message == 'serum_creatinine=0.9 has no unit; write serum_creatinine=Q_(0.9, "mg/dL")'
    assert "mole" not in message
    call(Q_(0.9, "mg/dL"))  # type: ignore[operator]  # the fix works


def test_ckd_epi_2021_on_the_fix_matches_the_equation() -> None:
    # CKD-EPI 2021, man of 40, 0.9 mg/dL: 142 × (0.9/0.9)^−1.200 × 0.9938^40 = 110.73
    value = dosing.egfr(serum_creatinine=Q_(0.9, "mg/dL"), method="ckd_epi_2021", **ADULT)
    assert value.m_as("mL/min/standard_bsa") == pytest.approx(142 * 0.9938**40, rel=1e-12)


def test_a_creatinine_in_the_wrong_dimension_still_names_both_units() -> None:
    with pytest.raises(UnitsError, match=r"Q_\(0.6, 'mg/dL'\) or Q_\(53, 'umol/L'\)"):
        dosing.egfr(serum_creatinine=Q_(0.9, "kg"), method="ckd_epi_2021", **ADULT)
    with pytest.raises(UnitsError, match="needs units of mass or substance concentration"):
        Patient(bsa=Q_(1.8, "m**2"), serum_creatinine="0.9")


def test_a_bare_cystatin_c_is_refused_with_the_fix_in_mg_per_l() -> None:
    with pytest.raises(UnitsError, match=r'write cystatin_c=Q_\(0.8, "mg/L"\)'):
        dosing.egfr(
            serum_creatinine=Q_(0.9, "mg/dL"),
            cystatin_c=0.8,
            method="ckd_epi_cr_cys_2021",
            **ADULT,
        )


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, err.getvalue()


BASE = ("plan", "flu-arac-mel-ric", "--height", "150cm", "--weight", "40kg")


def test_a_wrong_prior_date_shows_the_prior_option_as_it_is_written() -> None:
    status, err = run(*BASE, "--prior", "Mel=180mg/m2@2021-13-01")
    assert status == 2
    assert (
        "--prior 'Mel=180mg/m2@2021-13-01': the date '2021-13-01' is not a date; write e.g. "
        "--prior 'melphalan=180mg/m2@2026-12-10' (AGENT=AMOUNT@DATE)"
    ) in err
    assert "--prior 2026-12-10" not in err
    # the fix works
    status, err = run(*BASE, "--age", "40y", "--prior", "melphalan=180mg/m2@2026-12-10")
    assert status != 2 and "dosing: error" not in err  # findings may follow, not a usage error
    # other dates keep their own example
    status, err = run(*BASE, "--transplant-date", "2021-13-01")
    assert "write e.g. --transplant-date 2026-12-10" in err
