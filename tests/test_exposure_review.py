"""Issue 12 review: each defect fixed, with expected values from the sources or hand arithmetic."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dosing
from dosing import Q_, DomainError, Patient, Policy, UnitsError
from dosing.errors import ImplausibleExposureWarning
from tests.test_exposure_lines import carbo

CHILD = {"height": Q_(110, "cm"), "weight": Q_(18, "kg"), "age": Q_(5, "year")}
ADULT = {"height": Q_(175, "cm"), "weight": Q_(80, "kg"), "age": Q_(40, "year"), "sex": "male"}


def quiet(**fields: object) -> Patient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Patient(**fields)


# -- 2. the creatinine floor is an adult convention ---------------------------------------------

# Bedside Schwartz (Schwartz 2009): 0.413 × 110 / 0.3 = 151.43 mL/min/1.73 m²; Mosteller BSA
# √(110 × 18 / 3600) = 0.74162 m²; absolute 151.43 × 0.74162 / 1.73 = 64.92 mL/min; Newell AUC 5:
# 5 × (64.92 + 0.36 × 18) = 357.0 mg. Floored at 0.7: 0.413 × 110 / 0.7 × 0.74162 / 1.73 = 27.82,
# 5 × (27.82 + 6.48) = 171.5 mg.
SCHWARTZ = 0.413 * 110 / 0.3 * math.sqrt(110 * 18 / 3600) / 1.73
FLOORED = 0.413 * 110 / 0.7 * math.sqrt(110 * 18 / 3600) / 1.73


def test_the_creatinine_floor_applies_to_adults_only_unless_the_policy_names_children() -> None:
    child = quiet(**CHILD, serum_creatinine=Q_(0.3, "mg/dL"))
    plain = carbo("newell").expand(child)[0].dose
    assert plain.m_as("mg") == pytest.approx(5 * (SCHWARTZ + 0.36 * 18), rel=1e-9)
    assert round(plain.m_as("mg"), 1) == 357.0
    adult_only = carbo("newell").expand(child, policy=Policy(creatinine_floor=Q_(0.7, "mg/dL")))
    assert adult_only[0].dose == plain and "creatinine_floored" not in adult_only[0].flags
    named = Policy(creatinine_floor={"child": Q_(0.7, "mg/dL")})
    floored = carbo("newell").expand(child, policy=named)[0]
    assert floored.dose.m_as("mg") == pytest.approx(5 * (FLOORED + 0.36 * 18), rel=1e-9)
    assert round(floored.dose.m_as("mg"), 1) == 171.5
    assert "creatinine_floored" in floored.flags
    # an adult is floored by the single quantity: Cockcroft–Gault (140 − 60) × 70 / (72 × 0.7)
    # = 111.1 mL/min; Calvert 5 × (111.1 + 25) = 680.6 mg
    adult = quiet(
        height=Q_(170, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(60, "year"),
        sex="male",
        serum_creatinine=Q_(0.5, "mg/dL"),
    )
    row = carbo().expand(adult, policy=Policy(creatinine_floor=Q_(0.7, "mg/dL")))[0]
    assert row.dose.m_as("mg") == pytest.approx(5 * ((140 - 60) * 70 / (72 * 0.7) + 25), rel=1e-9)
    with pytest.raises(DomainError, match="teen"):
        Policy(creatinine_floor={"teen": Q_(0.7, "mg/dL")})


def test_a_creatinine_floor_in_umol_per_litre_is_converted_like_a_patients() -> None:
    # 61.88 µmol/L ÷ 88.4 µmol/L per mg/dL (creatinine 113.12 g/mol) = 0.7 mg/dL
    adult = quiet(
        height=Q_(170, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(60, "year"),
        sex="male",
        serum_creatinine=Q_(0.5, "mg/dL"),
    )
    molar = Policy(creatinine_floor=Q_(0.7 * 88.4016973125884, "umol/L"))
    mass = Policy(creatinine_floor=Q_(0.7, "mg/dL"))
    assert carbo().expand(adult, policy=molar)[0].dose.m_as("mg") == pytest.approx(
        carbo().expand(adult, policy=mass)[0].dose.m_as("mg"), rel=1e-9
    )
    with pytest.raises(UnitsError, match="creatinine_floor"):
        Policy(creatinine_floor=Q_(0.7, "mL/min"))


def test_the_command_line_names_its_own_syntax_for_a_creatinine_floor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dosing.cli import main

    args = [
        "plan",
        "gem-carbo-kdn5",
        "--height",
        "170cm",
        "--weight",
        "70kg",
        "--age",
        "60y",
        "--sex",
        "male",
        "--serum-creatinine",
        "0.5mg/dL",
    ]
    assert main([*args, "--creatinine-floor", "62umol/L"]) == 0
    capsys.readouterr()
    assert main([*args, "--creatinine-floor", "5mL/min"]) != 0
    err = capsys.readouterr().err
    assert "--creatinine-floor 0.7mg/dL" in err and "Q_(" not in err


# -- 3. the carboplatin maximum follows the line's target ---------------------------------------


def test_a_capped_dose_at_a_label_target_is_not_warned_and_an_uncapped_one_is() -> None:
    # NCCN: "Maximum Carboplatin Dose (mg) = Target AUC (mg/mL/min) x (125 mL/min + 25)":
    # AUC 7 → 7 × 150 = 1050 mg; GFR 125: 7 × (125 + 25) = 1050 mg, at the maximum
    at_cap = carbo("calvert", "7 mg*min/mL").expand(
        quiet(**ADULT, glomerular_filtration_rate=Q_(125, "mL/min"))
    )
    assert at_cap[0].dose == Q_(1050, "mg")
    assert [f for f in dosing.check(at_cap) if f.code == "outside_range"] == []
    # uncapped GFR 200: 7 × 225 = 1575 mg, over 1050
    over = carbo("calvert", "7 mg*min/mL").expand(
        quiet(**ADULT, glomerular_filtration_rate=Q_(200, "mL/min")), policy=Policy(gfr_cap=None)
    )
    messages = [f.message for f in dosing.check(over) if f.code == "outside_range"]
    assert len(messages) == 1 and "1575" in messages[0] and "1050" in messages[0]


# -- 6. implausible adjustments warn -----------------------------------------------------------


def test_an_implausible_adjustment_warns_and_the_bounds_are_an_argument() -> None:
    with pytest.warns(ImplausibleExposureWarning, match="18"):  # 90 / 5 = 18
        dose = dosing.adjust_to_target(Q_(40, "mg"), Q_(5, "mg*h/L"), Q_(90, "mg*h/L"))
    assert dose == Q_(40 * 90 / 5, "mg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dosing.adjust_to_target(
            Q_(40, "mg"), Q_(5, "mg*h/L"), Q_(90, "mg*h/L"), plausible_ratio=(0.05, 20)
        )
        dosing.adjust_to_target(Q_(51, "mg"), Q_(642, "umol*min/L"), Q_(950, "umol*min/L"))
    with pytest.warns(ImplausibleExposureWarning):
        # 90 − 89.9999 = 1e-4 mg·h/L left for 15 doses: 6.7e-6 each, 1.3e-6 of one dose's 89.9999
        plan = dosing.remaining_doses([Q_(40, "mg")], [Q_(89.9999, "mg*h/L")], Q_(90, "mg*h/L"), 15)
    assert plan.dose.m_as("mg") == pytest.approx(40 / 89.9999 * (1e-4 / 15), rel=1e-6)
    with pytest.raises(DomainError, match="plausible_ratio"):
        dosing.adjust_to_target(
            Q_(40, "mg"), Q_(5, "mg*h/L"), Q_(6, "mg*h/L"), plausible_ratio=(2, 3)
        )


# -- 8. a weight band and another dosing weight --------------------------------------------------


def test_a_band_line_is_dosed_on_the_weight_that_chose_its_band() -> None:
    child = quiet(**CHILD, sex="female")
    regimen = dosing.get_regimen("bu-cy4-paediatric-eu")
    # actual weight: band 16 to 23 kg, 1.1 mg/kg × 18 kg = 19.8 mg
    assert regimen.expand(child, policy=Policy(dosing_weight={"busulfan": "actual"}))[0].dose == Q_(
        1.1 * 18, "mg"
    )
    for policy in (Policy(dosing_weight={"busulfan": "ideal"}), Policy(dosing_weight="ideal")):
        with pytest.raises(DomainError, match=r"dosing_weight\['busulfan'\].*actual-weight band"):
            regimen.expand(child, policy=policy)


# -- 9. population ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "patient", "agent"),
    [
        ("bu-cy4-paediatric-eu", {**ADULT}, "busulfan"),  # SmPC: paediatric population 0 to 17
        (
            "flu-bu2-eu",
            {**CHILD, "sex": "male"},
            "fludarabine",
        ),  # SmPC: FB in children not established
        (
            "gem-carbo-kdn5",
            {**CHILD, "glomerular_filtration_rate": Q_(60, "mL/min")},
            "carboplatin",
        ),
    ],
)
def test_a_template_or_formula_outside_its_population_is_a_finding(
    key: str, patient: dict[str, object], agent: str
) -> None:
    findings = dosing.check(dosing.get_regimen(key).expand(quiet(**patient)))
    assert [(f.agent, f.severity) for f in findings if f.code == "outside_population"] == [
        (agent, "warning")
    ]


def test_newell_for_an_adult_is_a_finding() -> None:
    schedule = carbo("newell").expand(quiet(**ADULT, glomerular_filtration_rate=Q_(90, "mL/min")))
    found = [f for f in dosing.check(schedule) if f.code == "outside_population"]
    assert len(found) == 1 and "newell1993" in found[0].references


# -- 10. the busulfan TDM timeline --------------------------------------------------------------


def test_doses_given_before_the_first_result_are_predicted_from_its_clearance() -> None:
    # dose 1 (40 mg) gave 5 mg·h/L: CL = 8 mg per mg·h/L; doses 2-4 (40 mg each) predicted 5 each;
    # so far 20; 70 left for 12 doses: 5.8333 each × 8 = 46.667 mg
    plan = dosing.remaining_doses(
        [Q_(40, "mg")] * 4, [Q_(5, "mg*h/L"), None, None, None], Q_(90, "mg*h/L"), np.int64(12)
    )
    assert plan.given_exposure == Q_(20, "mg*h/L")
    assert plan.dose.m_as("mg") == pytest.approx(70 / 12 * 8, rel=1e-12)
    assert plan.predicted == (1, 2, 3) and "predicted" in plan.assumption
    with pytest.raises(DomainError, match="no measured exposure"):
        dosing.remaining_doses([Q_(40, "mg")], [None], Q_(90, "mg*h/L"), 15)
    with pytest.raises(DomainError, match="array"):
        dosing.remaining_doses(
            [Q_(40, "mg")], [Q_(np.array([5.0, 6.0]), "mg*h/L")], Q_(90, "mg*h/L"), 15
        )
    with pytest.raises(UnitsError, match=r"given\[1\]"):
        dosing.remaining_doses(
            [Q_(40, "mg"), Q_(1.1, "mg/kg")], [Q_(5, "mg*h/L")] * 2, Q_(90, "mg*h/L"), 14
        )


# -- 13. hints ----------------------------------------------------------------------------------


def test_a_dose_without_a_unit_is_told_a_dose_unit() -> None:
    with pytest.raises(UnitsError, match=r'dose=Q_\(40, "mg"\)'):
        dosing.adjust_to_target(40, Q_(5, "mg*h/L"), Q_(6, "mg*h/L"))


# -- 15. properties -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    dose=st.floats(1, 500),
    observed=st.floats(1, 200),
    middle=st.floats(1, 200),
    target=st.floats(1, 200),
)
def test_adjusting_twice_is_adjusting_once(
    dose: float, observed: float, middle: float, target: float
) -> None:
    # linear PK: d × m / o gives m; then × t / m gives d × t / o
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleExposureWarning)
        first = dosing.adjust_to_target(
            Q_(dose, "mg"), Q_(observed, "mg*h/L"), Q_(middle, "mg*h/L")
        )
        twice = dosing.adjust_to_target(first, Q_(middle, "mg*h/L"), Q_(target, "mg*h/L"))
        once = dosing.adjust_to_target(Q_(dose, "mg"), Q_(observed, "mg*h/L"), Q_(target, "mg*h/L"))
    assert twice.m_as("mg") == pytest.approx(once.m_as("mg"), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(dose=st.floats(1, 500), observed=st.floats(1, 200))
def test_an_observed_equal_to_the_target_in_another_unit_keeps_the_dose(
    dose: float, observed: float
) -> None:
    # observed in mg·h/L, the same exposure as target in mg·min/mL (× 60 / 1000)
    kept = dosing.adjust_to_target(
        Q_(dose, "mg"), Q_(observed, "mg*h/L"), Q_(observed * 60 / 1000, "mg*min/mL")
    )
    assert kept.m_as("mg") == pytest.approx(dose, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(1, 8), step=st.floats(0.01, 4), gfr=st.floats(10, 150), weight=st.floats(3, 60)
)
def test_a_newell_dose_is_monotone_in_its_target(
    low: float, step: float, gfr: float, weight: float
) -> None:
    patient = quiet(
        height=Q_(120, "cm"),
        weight=Q_(weight, "kg"),
        age=Q_(8, "year"),
        glomerular_filtration_rate=Q_(gfr, "mL/min"),
    )
    doses = [
        carbo("newell", f"{t!r} mg*min/mL").expand(patient)[0].dose.m_as("mg")
        for t in (low, low + step)
    ]
    assert doses[0] < doses[1]
    assert doses[0] == pytest.approx(low * (gfr + 0.36 * weight), rel=1e-9)


# -- 11. GFR 0: the Calvert convention in haemodialysis -----------------------------------------


def test_gfr_zero_is_the_calvert_haemodialysis_convention_and_nothing_else() -> None:
    # PubMed 20563583: "Glomerular filtration rate was considered to be 0, and the target area
    # under the plasma concentration versus time curve (AUC) was 4 (carboplatin dose, 100 mg) for
    # patient 1 and 5 (125 mg) for patient 2": 4 × (0 + 25) = 100, 5 × (0 + 25) = 125
    patient = quiet(**ADULT, glomerular_filtration_rate=Q_(0, "mL/min"))
    for target, published in ((4, 100), (5, 125)):
        row = carbo("calvert", f"{target} mg*min/mL").expand(patient)[0]
        assert row.dose == Q_(published, "mg")
        assert "haemodialysis" in str(row.basis)
    with pytest.raises(DomainError, match="Calvert formula only"):
        carbo("newell").expand(patient)
    with pytest.raises(DomainError, match="positive"):
        quiet(**ADULT, creatinine_clearance=Q_(0, "mL/min"))
    with pytest.raises(DomainError):
        quiet(**ADULT, glomerular_filtration_rate=Q_(-1, "mL/min"))


# -- refusals of the new arguments ----------------------------------------------------------------


def test_the_new_arguments_refuse_what_makes_no_sense() -> None:
    from dosing.regimens.loader import regimen_from_mapping

    line = {"agent": "melphalan", "amount": "140 mg/m**2", "days": [1], "duration": "30 min"}
    base = {
        "key": "x",
        "name": "x",
        "frame": "cycle",
        "cycle_length": "21 day",
        "references": ["pbc28980"],
    }
    for start, match in (("2 kg", "must be a time"), ("25 hour", "before the day's next")):
        with pytest.raises(dosing.RegimenError, match=rf"dose\[0\]\.start.*{match}"):
            regimen_from_mapping({**base, "dose": [{**line, "start": start}]})
    ok = regimen_from_mapping({**base, "dose": [{**line, "start": "1 hour"}]})
    assert ok.doses[0].start == Q_(1, "hour")
    with pytest.raises(dosing.RegimenError, match="population"):
        regimen_from_mapping({**base, "population": "elderly", "dose": [line]})
    for remaining in (1.5, "15", 0, True):
        with pytest.raises(DomainError, match="remaining"):
            dosing.remaining_doses([Q_(40, "mg")], [Q_(5, "mg*h/L")], Q_(90, "mg*h/L"), remaining)  # type: ignore[arg-type]
    for ratio in ("wide", (0, 2), (2, 3), (1, float("inf"))):
        with pytest.raises(DomainError, match="plausible_ratio"):
            dosing.adjust_to_target(
                Q_(40, "mg"), Q_(5, "mg*h/L"), Q_(6, "mg*h/L"), plausible_ratio=ratio
            )  # type: ignore[arg-type]
    for floor in ({}, {"adult": None}, {"adult": Q_([0.7, 0.8], "mg/dL")}):
        with pytest.raises(DomainError, match="creatinine_floor"):
            Policy(creatinine_floor=floor)
