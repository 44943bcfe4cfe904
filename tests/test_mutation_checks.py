"""Mutation testing of the checks (issue 16 item 4): ``dosing.checks.doses``, ``.course`` and
``.findings``.

The surviving mutants of these modules were in the words, the severities, the days, the regimens,
the references and the cohort masks of the findings, and at the edges of the limits and rules.
These tests pin each finding whole: its full text (``str(finding)``), its references, its
regimen and, for a cohort, whom it concerns, at a limit exactly and just past it. Every number is
the label's or the data file's, as quoted in ``dosing/data/dose_limits.toml`` and
``course_rules.toml``, or hand arithmetic shown beside it; the wording is the one documented in
``docs/safety.md`` and the module docstrings.
"""

from __future__ import annotations

import datetime as dt
import math
import pathlib
import warnings
from typing import Any

import numpy as np
import pytest

import dosing
from dosing import Q_, Exposure, Patient, Policy
from dosing.checks import Finding, compared
from dosing.dose_limits import DOSE_LIMITS, load_limits
from tests.test_banding import NHS, VINCRISTINE
from tests.test_checks import CHILD, INO_1, INO_CR, INO_NO_CR, ino_file, template
from tests.test_exposure_lines import carbo

ADULT = Patient(height=Q_(175, "cm"), weight=Q_(70, "kg"), age=Q_(40, "year"), sex="female")
INO_REFS = ("besponsa-label-2024", "besponsa-eu-leaflet")
INO_SOURCES = "[besponsa-label-2024, besponsa-eu-leaflet]"
FLU_REFS = "[fludara-label, trecondi-smpc, busulfex-eu-smpc]"
INTENSITY_SOURCES = "[giralt2009, bacigalupo2009]"
#: The not_checked finding of a fludarabine line without a setting (its conditioning limit).
FLU_SETTING = (
    "info [not_checked]: fludarabine: fludarabine: its limits for conditioning were not applied, "
    'because the template does not say the line is for that setting (write setting = "..."); '
    "the limits for every use were"
)


def texts(findings: list[Finding], code: str | None = None) -> list[str]:
    return [str(f) for f in findings if code is None or f.code == code]


def quiet(**fields: Any) -> Patient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Patient(**fields)


# -- findings.py -------------------------------------------------------------------------------


def test_a_finding_with_an_unknown_code_is_refused_naming_it() -> None:
    with pytest.raises(KeyError) as excinfo:
        Finding("warning", "melphalan", None, "x", "no_such_code")
    assert excinfo.value.args == ("finding code 'no_such_code' is not in dosing.checks.CODES",)
    # every documented code is accepted, and day 0 is a day (the day of the transplant)
    assert (
        str(Finding("info", "melphalan", 0, "m", "capped")) == "info [capped]: melphalan day 0: m"
    )


# -- hard limits -------------------------------------------------------------------------------


def test_over_the_per_dose_and_per_cycle_limits_reads_in_full(tmp_path: pathlib.Path) -> None:
    # BESPONSA: "Day 1 (0.8mg/m2)" per dose, 1.8 mg/m² per cycle; 0.9 + 0.5 + 0.5 = 1.9 mg/m²
    findings = dosing.check(ino_file(tmp_path, "0.9 mg/m**2").expand(CHILD))
    assert texts(findings) == [
        "error [over_limit]: inotuzumab ozogamicin day 1: inotuzumab ozogamicin dose is 0.9 "
        "mg/m², over the per-dose limit of 0.8 mg/m² [besponsa-label-2024]",
        "error [over_limit]: inotuzumab ozogamicin: inotuzumab ozogamicin totals 1.9 mg/m² in "
        "ino-test, over the per-cycle limit of 1.8 mg/m² [besponsa-label-2024]",
    ]
    assert [(f.regimen, f.references, f.patients) for f in findings] == [
        ("ino-test", ("besponsa-label-2024",), None)
    ] * 2
    # the day-1 dose over its hard limit is not also reported against the usual range 0.5–0.8
    assert "outside_range" not in [f.code for f in findings]


def test_over_the_per_day_limit_is_an_error_each_day_and_not_also_far_above_the_usual() -> None:
    # FLUDARA boxed warning: "96 mg/m2/day"; 100 mg/m² is also more than twice the usual top
    # (2 × 40 = 80 mg/m²), which is not reported a second time on a day already over the limit
    regimen = template(
        {"agent": "fludarabine", "amount": "100 mg/m**2", "days": "1..2", "acknowledge": "x"}
    )
    assert texts(dosing.check(regimen.expand(ADULT))) == [
        f"error [over_limit]: fludarabine day {day}: fludarabine gives on day {day} 100 mg/m², "
        f"over the per-day limit of 96 mg/m² [fludara-label]"
        for day in (1, 2)
    ] + [FLU_SETTING]
    # two administrations a day add up: 2 × 48 = 96 mg/m² exactly is at the limit
    at = template(
        {
            "agent": "fludarabine",
            "amount": "48 mg/m**2",
            "days": "1",
            "per_day": 2,
            "acknowledge": "x",
        }
    )
    found = dosing.check(at.expand(ADULT))
    assert "over_limit" not in [f.code for f in found]
    # 96 > 2 × 40 = 80: far above the usual range, an error by convention, but not over the limit
    assert texts(found, "outside_range") == [
        "error [outside_range]: fludarabine day 1: fludarabine gives on day 1 96 mg/m², far "
        f"above the usual range 25–40 mg/m² per day {FLU_REFS} (more than 2 times its top: an "
        "error by convention)"
    ]


def test_a_course_in_transplant_days_is_per_course_and_not_also_outside_its_usual_range() -> None:
    # TBI: 15.75 Gy per course (unsourced, the largest course reached); 8 × 2 = 16 Gy is over it
    # and over the usual 2–15 Gy, which is not reported a second time
    line = {"agent": "TBI", "amount": "2 Gy", "days": "-9..-2", "acknowledge": "x"}
    regimen = template(line, frame="transplant", cycle_length=None, setting="conditioning")
    findings = dosing.check(regimen.expand(ADULT))
    assert texts(findings) == [
        "error [over_limit]: total body irradiation: total body irradiation totals 16 Gy in "
        "test, over the per-course limit of 15.75 Gy [unsourced]"
    ]
    assert findings[0].references == () and findings[0].day is None


def test_a_cohort_over_a_flat_limit_says_whom_and_shows_the_largest_dose() -> None:
    # vincristine "Maximum Dose = 2 mg": 1.4 mg/m² × 1.8, 1.5, 1.2 m² = 2.52, 2.1, 1.68 mg
    cohort = Patient(
        bsa=Q_([1.8, 1.5, 1.2], "m**2"), weight=Q_([70.0] * 3, "kg"), age=Q_([40.0] * 3, "year")
    )
    regimen = template({"agent": "vincristine", "amount": "1.4 mg/m**2", "days": "1"})
    findings = dosing.check(regimen.expand(cohort))
    assert texts(findings) == [
        "error [over_limit]: vincristine day 1: vincristine dose is 2.52 mg, over the per-dose "
        "limit of 2 mg [drugscom-vincristine] (patients: 2 of 3)"
    ]
    assert findings[0].patients.tolist() == [True, True, False]
    assert not findings[0].patients.flags.writeable
    # one patient: the same words without the count, and no mask
    one = dosing.check(regimen.expand(Patient(bsa=Q_(1.8, "m**2"), weight=Q_(70, "kg"))))
    assert texts(one) == [
        "error [over_limit]: vincristine day 1: vincristine dose is 2.52 mg, over the per-dose "
        "limit of 2 mg [drugscom-vincristine]"
    ]
    assert one[0].patients is None


# -- usual ranges ------------------------------------------------------------------------------


def test_below_and_above_a_usual_range_read_in_full() -> None:
    # fludarabine 25–40 mg/m² a day (FLUDARA; busulfex EU SmPC "40 mg/m2 for 4 days")
    for amount, side in (("20", "below"), ("45", "above")):
        regimen = template({"agent": "fludarabine", "amount": f"{amount} mg/m**2", "days": "1"})
        assert texts(dosing.check(regimen.expand(ADULT))) == [
            f"warning [outside_range]: fludarabine day 1: fludarabine gives on day 1 {amount} "
            f"mg/m², {side} the usual range 25–40 mg/m² per day {FLU_REFS}",
            FLU_SETTING,
        ]
    # exactly at each end: quiet
    for amount in ("25", "40"):
        regimen = template({"agent": "fludarabine", "amount": f"{amount} mg/m**2", "days": "1"})
        assert texts(dosing.check(regimen.expand(ADULT))) == [FLU_SETTING]


def test_a_cohort_outside_a_usual_range_shows_its_worst_dose_on_each_side() -> None:
    # vincristine "at most 0.05 mg/kg": 1.4 mg/m² × 0.5 m² / 10 kg = 0.07, × 0.6 / 10 = 0.084,
    # × 1.0 / 40 = 0.035 mg/kg: above for two, the worst 0.084
    children = Patient(
        bsa=Q_([0.5, 0.6, 1.0], "m**2"),
        weight=Q_([10.0, 10.0, 40.0], "kg"),
        age=Q_([3.0] * 3, "year"),
    )
    regimen = template({"agent": "vincristine", "amount": "1.4 mg/m**2", "days": "1"})
    findings = dosing.check(regimen.expand(children))
    assert texts(findings) == [
        "warning [outside_range]: vincristine day 1: vincristine dose is 0.084 mg/kg, above the "
        "usual range at most 0.05 mg/kg per administration [vincristine-label] (patients: 2 of 3)"
    ]
    assert findings[0].patients.tolist() == [True, True, False]
    # cyclophosphamide 100–200 mg/kg a course: 1000 mg/m² × 1.0 m² / 50 kg = 20 and × 2.0 / 50
    # = 40 mg/kg, both below, the worst (the lower) 20
    two = Patient(
        bsa=Q_([1.0, 2.0], "m**2"), weight=Q_([50.0, 50.0], "kg"), age=Q_([40.0] * 2, "year")
    )
    cy = template({"agent": "cyclophosphamide", "amount": "1000 mg/m**2", "days": "1"})
    assert texts(dosing.check(cy.expand(two))) == [
        "warning [outside_range]: cyclophosphamide: cyclophosphamide totals 20 mg/kg in test, "
        "below the usual range 100–200 mg/kg per course [luznik2010, busulfex-us-label, "
        "deeg2006] (patients: 2 of 2)",
        "info [not_checked]: cyclophosphamide: cyclophosphamide was checked only in part: "
        "Cyclophosphamide is also dosed per m² outside transplantation; no source reached here "
        "sets its limits per m².",
    ]


def test_far_above_a_usual_range_follows_the_tables_factor(tmp_path: pathlib.Path) -> None:
    # busulfan 3.2–4.8 mg/kg a day, 6.4–19.2 a course. 3.2 mg/kg four times a day on 4 days:
    # 12.8 mg/kg a day (2.67 × 4.8) and 51.2 a course (2.67 × 19.2)
    bu = {"agent": "Bu", "amount": "3.2 mg/kg", "days": "1..4", "per_day": 4, "acknowledge": "x"}
    schedule = template(bu, setting="conditioning").expand(ADULT)
    day = (
        "busulfan gives on day {d} 12.8 mg/kg, {side} the usual range 3.2–4.8 mg/kg per day "
        "[busulfex-us-label, busulfex-eu-smpc]{tail}"
    )
    course = (
        "busulfan totals 51.2 mg/kg in test, {side} the usual range 6.4–19.2 mg/kg per course "
        "[busulfex-eu-smpc]{tail}"
    )
    tail = " (more than 2 times its top: an error by convention)"
    assert texts(dosing.check(schedule)) == [
        f"error [outside_range]: busulfan day {d}: " + day.format(d=d, side="far above", tail=tail)
        for d in (1, 2, 3, 4)
    ] + ["error [outside_range]: busulfan: " + course.format(side="far above", tail=tail)]
    # a table whose factor is 3: 2.67 times the top is above, a warning
    text = pathlib.Path(dosing.__file__).with_name("data").joinpath("dose_limits.toml")
    path = tmp_path / "limits.toml"
    path.write_text(
        text.read_text("utf-8").replace("error_above_usual = 2.0", "error_above_usual = 3.0"),
        encoding="utf-8",
    )
    three = load_limits(path)
    assert texts(dosing.check(schedule, limits=three)) == [
        f"warning [outside_range]: busulfan day {d}: " + day.format(d=d, side="above", tail="")
        for d in (1, 2, 3, 4)
    ] + ["warning [outside_range]: busulfan: " + course.format(side="above", tail="")]
    # and 4 mg/kg four times a day, 16 mg/kg a day, is 3.33 times the top: far above
    bu["amount"] = "4 mg/kg"
    bu["days"] = "1"
    far = dosing.check(template(bu, setting="conditioning").expand(ADULT), limits=three)
    assert texts(far, "outside_range")[0] == (
        "error [outside_range]: busulfan day 1: busulfan gives on day 1 16 mg/kg, far above the "
        "usual range 3.2–4.8 mg/kg per day [busulfex-us-label, busulfex-eu-smpc] (more than 3 "
        "times its top: an error by convention)"
    )


def test_a_dose_per_kg_or_flat_is_compared_per_m2_of_the_patients_bsa() -> None:
    # vincristine 0.4–2 mg/m² (label): 0.01 mg/kg × 70 kg = 0.7 mg, over BSA √(175 × 70 / 3600)
    # = 1.8447 m² is 0.3795 mg/m², below it; the same 0.7 mg written flat, the same
    per_m2 = 0.7 / math.sqrt(175 * 70 / 3600)
    assert f"{per_m2:.4g}" == "0.3795"
    below = (
        "warning [outside_range]: vincristine day 1: vincristine dose is 0.3795 mg/m², below the "
        "usual range 0.4–2 mg/m² per administration [vincristine-label]"
    )
    for amount in ("0.01 mg/kg", "0.7 mg"):
        line = {"agent": "vincristine", "amount": amount, "days": "1", "acknowledge": "x"}
        assert texts(dosing.check(template(line).expand(ADULT))) == [below]
    # a flat 4 mg for 70 kg is also 0.05714 mg/kg, over the usual 0.05 mg/kg, and 2.168 mg/m²,
    # over the usual 2 mg/m²: a dose over the 2 mg maximum is not reported against them again
    line = {"agent": "vincristine", "amount": "4 mg", "days": "1", "acknowledge": "x"}
    assert texts(dosing.check(template(line).expand(ADULT))) == [
        "error [over_limit]: vincristine day 1: vincristine dose is 4 mg, over the per-dose limit "
        "of 2 mg [drugscom-vincristine]",
    ]


def test_a_calvert_dose_is_compared_with_the_maximum_for_its_own_target() -> None:
    # NCCN: "Maximum Carboplatin Dose (mg) = Target AUC x (125 mL/min + 25)": 750 mg at AUC 5.
    # Without the GFR cap, 5 × (200 + 25) = 1125 mg is above it; with it, 5 × 150 = 750 is not
    patient = _adult_gfr(200.0)
    uncapped = carbo().expand(patient, policy=Policy(gfr_cap=None))
    assert texts(dosing.check(uncapped)) == [
        "warning [outside_range]: carboplatin day 1: carboplatin dose is 1125 mg, above the usual "
        "range at most 750 mg per administration [nccn-carboplatin]"
    ]
    assert codes_of(dosing.check(carbo().expand(patient))) == ["capped"]
    # AUC 7: 7 × 150 = 1050 mg is the maximum; 7 × (90 + 25) = 805 mg is under it
    assert dosing.check(carbo(target="7 mg*min/mL").expand(_adult_gfr(90.0))) == []


def codes_of(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_auc_lines_replace_only_the_usual_flat_maximum(tmp_path: pathlib.Path) -> None:
    # a table with three more carboplatin limits, for the test: a hard 2000 mg, a usual 500–900
    # mg and a usual at most 400 mg/m². For a line by target AUC 3, the usual flat range becomes
    # 3 × (125 + 25) = 450 mg at most, and at least min(500, 450) = 450; the others are unchanged
    extra = "".join(
        '\n[[limit]]\nagent = "carboplatin"\ntier = "{}"\nper = "administration"\n{}\n'
        'unsourced = "a test"\n'.format(*fields)
        for fields in (
            ("hard", 'amount = "2000 mg"'),
            ("usual", 'low = "500 mg"\nhigh = "900 mg"'),
            ("usual", 'high = "400 mg/m**2"'),
        )
    )
    table = _with(tmp_path, extra)
    target = (
        "warning [outside_range]: carboplatin: carboplatin target AUC 3 mg·min/mL is below its "
        "usual target AUC 4–8 mg·min/mL (globalrph-carboplatin, nccn-carboplatin)"
    )
    # GFR 125 mL/min: 3 × 150 = 450 mg, at the line's maximum and minimum; 450 / 1.9720 m²
    # (√(175 × 80 / 3600)) = 228.2 mg/m², under 400
    at = carbo(target="3 mg*min/mL").expand(_adult_gfr(125.0))
    assert texts(dosing.check(at, limits=table)) == [target]
    # GFR 90: 3 × 115 = 345 mg, below 450
    below = carbo(target="3 mg*min/mL").expand(_adult_gfr(90.0))
    assert texts(dosing.check(below, limits=table)) == [
        target,
        "warning [outside_range]: carboplatin day 1: carboplatin dose is 345 mg, below the usual "
        "range 450–450 mg per administration [unsourced]",
    ]
    # AUC 5 without the GFR cap, GFR 200: 5 × 225 = 1125 mg, under the hard 2000 mg, above the
    # line's usual 750 mg (at least min(500, 750) = 500); 1125 / 1.9720 = 570.5 mg/m², above 400
    assert f"{1125 / math.sqrt(175 * 80 / 3600):.4g}" == "570.5"
    uncapped = carbo().expand(_adult_gfr(200.0), policy=Policy(gfr_cap=None))
    assert texts(dosing.check(uncapped, limits=table)) == [
        "warning [outside_range]: carboplatin day 1: carboplatin dose is 1125 mg, above the usual "
        "range at most 750 mg per administration [nccn-carboplatin]",
        "warning [outside_range]: carboplatin day 1: carboplatin dose is 1125 mg, above the usual "
        "range 500–750 mg per administration [unsourced]",
        "warning [outside_range]: carboplatin day 1: carboplatin dose is 570.5 mg/m², above the "
        "usual range at most 400 mg/m² per administration [unsourced]",
    ]


def test_exactly_twice_a_usual_top_is_above_not_far_above() -> None:
    # fludarabine 25–40 mg/m² a day: 80 mg/m² is twice the top exactly, a warning; the error is
    # for more than twice (error_above_usual = 2.0)
    line = {"agent": "fludarabine", "amount": "80 mg/m**2", "days": "1", "acknowledge": "x"}
    assert texts(dosing.check(template(line).expand(ADULT))) == [
        "warning [outside_range]: fludarabine day 1: fludarabine gives on day 1 80 mg/m², above "
        f"the usual range 25–40 mg/m² per day {FLU_REFS}",
        FLU_SETTING,
    ]


def test_a_cohort_partly_below_a_usual_range_shows_the_lowest_of_those_below() -> None:
    # cyclophosphamide 100–200 mg/kg a course: 1000 mg/m² × 1.0 m² / 50 kg = 20 mg/kg (below),
    # × 2.0 m² / 12 kg = 166.7 mg/kg (inside)
    two = Patient(
        bsa=Q_([1.0, 2.0], "m**2"), weight=Q_([50.0, 12.0], "kg"), age=Q_([40.0] * 2, "year")
    )
    cy = template({"agent": "cyclophosphamide", "amount": "1000 mg/m**2", "days": "1"})
    found = [f for f in dosing.check(cy.expand(two)) if f.code == "outside_range"]
    assert [str(f) for f in found] == [
        "warning [outside_range]: cyclophosphamide: cyclophosphamide totals 20 mg/kg in test, "
        "below the usual range 100–200 mg/kg per course [luznik2010, busulfex-us-label, "
        "deeg2006] (patients: 1 of 2)"
    ]
    assert found[0].patients.tolist() == [True, False]


def test_a_childrens_template_for_an_adult_reads_in_full() -> None:
    adult = quiet(height=Q_(175, "cm"), weight=Q_(80, "kg"), age=Q_(18, "year"), sex="male")
    schedule = dosing.get_regimen("bu-cy4-paediatric-eu").expand(adult)
    found = [f for f in dosing.check(schedule) if f.code == "outside_population"]
    references = dosing.get_regimen("bu-cy4-paediatric-eu").references
    assert [str(f) for f in found] == [
        "warning [outside_population]: busulfan: bu-cy4-paediatric-eu is written for children "
        f"(under 18) ({', '.join(references)}); the patient is outside it"
    ]
    assert found[0].references == references
    child = quiet(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(17.9, "year"), sex="male")
    assert "outside_population" not in codes_of(
        dosing.check(dosing.get_regimen("bu-cy4-paediatric-eu").expand(child))
    )


def test_a_dose_per_kg_of_a_dosing_weight_is_compared_per_kg_of_that_weight() -> None:
    # busulfan 1 mg/kg four times a day of the ideal weight (Devine, female, 175 cm: 45.5 + 2.3 ×
    # (175 / 2.54 − 60) = 65.96 kg): 4 mg/kg a day of that weight, inside 3.2–4.8; per kg of the
    # actual 110 kg it would be 2.4, below the range
    ideal = 45.5 + 2.3 * (175 / 2.54 - 60)
    assert round(ideal, 2) == 65.96
    big = Patient(height=Q_(175, "cm"), weight=Q_(110, "kg"), age=Q_(40, "year"), sex="female")
    regimen = template(
        {"agent": "Bu", "amount": "1 mg/kg", "days": "1..4", "per_day": 4}, setting="conditioning"
    )
    schedule = regimen.expand(big, policy=Policy(dosing_weight={"busulfan": "ideal"}))
    assert schedule.rows[0].dose.m_as("mg") == pytest.approx(ideal, rel=1e-9)
    assert dosing.check(schedule) == []


def test_a_products_own_limits_are_compared() -> None:
    # Thymoglobulin for GVHD prophylaxis: at most 2.5 mg/kg a day (label)
    line = {"agent": "Thymoglobulin", "amount": "3 mg/kg", "days": "1..2", "acknowledge": "x"}
    found = dosing.check(template({**line, "setting": "gvhd-prophylaxis"}).expand(ADULT))
    assert texts(found) == [
        f"error [over_limit]: anti-thymocyte globulin (rabbit) day {day}: anti-thymocyte globulin "
        f"(rabbit) gives on day {day} 3 mg/kg, over the per-day limit of 2.5 mg/kg "
        "[thymoglobuline-sg-label]"
        for day in (1, 2)
    ]


def test_a_limit_per_kg_is_not_compared_without_a_weight() -> None:
    # vincristine's usual 0.05 mg/kg cannot be compared for a patient given by BSA alone
    regimen = template({"agent": "vincristine", "amount": "1.4 mg/m**2", "days": "1"})
    found = compared(regimen.expand(Patient(bsa=Q_(1.0, "m**2"))))
    assert [limit.describe() for limit in found["vincristine"]] == [
        "hard limit of 2 mg per administration",
        "usual range 0.4–2 mg/m² per administration",
    ]
    with_weight = compared(regimen.expand(Patient(bsa=Q_(1.0, "m**2"), weight=Q_(30, "kg"))))
    assert [limit.describe() for limit in with_weight["vincristine"]][2] == (
        "usual range at most 0.05 mg/kg per administration"
    )


def test_an_age_specific_limit_in_a_cohort_concerns_its_ages(tmp_path: pathlib.Path) -> None:
    # a table with an adults' limit for asparaginase (1 mg/kg, for the test): 80 mg for 70 kg is
    # 1.143 mg/kg, over it for the adult, not compared for the child
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "administration"\n'
        'amount = "1 mg/kg"\nage_from = "18 year"\nunsourced = "a test"\n',
    )
    cohort = Patient(
        height=Q_([175.0, 175.0], "cm"), weight=Q_([70.0, 70.0], "kg"), age=Q_([40.0, 12.0], "year")
    )
    flat = template({"agent": "asparaginase", "amount": "80 mg", "days": "1"})
    found = dosing.check(flat.expand(cohort), limits=table)
    assert texts(found) == [
        "error [over_limit]: asparaginase day 1: asparaginase dose is 1.143 mg/kg, over the "
        "per-dose limit of 1 mg/kg [unsourced] (patients: 1 of 2)"
    ]
    assert found[0].patients.tolist() == [True, False]


def test_the_usual_ranges_of_days_and_doses_not_over_a_hard_limit_are_still_compared(
    tmp_path: pathlib.Path,
) -> None:
    # inotuzumab: day 1 over the 0.8 mg/m² limit; days 8 and 15 at 0.4, below the usual 0.5
    found = dosing.check(ino_file(tmp_path, "0.9 mg/m**2", later="0.4 mg/m**2").expand(ADULT))
    assert texts(found)[1:] == [
        f"warning [outside_range]: inotuzumab ozogamicin day {day}: inotuzumab ozogamicin dose is "
        "0.4 mg/m², below the usual range 0.5–0.8 mg/m² per administration [besponsa-label-2024]"
        for day in (8, 15)
    ]
    # fludarabine: day 1 over the 96 mg/m² a day; days 2 and 3 at 20, below the usual 25
    regimen = template(
        {"agent": "fludarabine", "amount": "100 mg/m**2", "days": "1", "acknowledge": "x"},
        {"agent": "fludarabine", "amount": "20 mg/m**2", "days": "2..3"},
    )
    assert texts(dosing.check(regimen.expand(ADULT)))[1:3] == [
        f"warning [outside_range]: fludarabine day {day}: fludarabine gives on day {day} 20 mg/m², "
        f"below the usual range 25–40 mg/m² per day {FLU_REFS}"
        for day in (2, 3)
    ]
    # etoposide in conditioning: 2 × 35 = 70 mg/kg over the 65 mg/kg course limit; each day's
    # 35 mg/kg × 70 kg / 1.8447 m² = 1328 mg/m² is still compared with the usual 35–100 mg/m²
    assert f"{35 * 70 / math.sqrt(175 * 70 / 3600):.4g}" == "1328"
    line = {"agent": "etoposide", "amount": "35 mg/kg", "days": "1..2", "acknowledge": "x"}
    assert texts(dosing.check(template({**line, "setting": "conditioning"}).expand(ADULT))) == [
        "error [over_limit]: etoposide: etoposide totals 70 mg/kg in test, over the per-cycle "
        "limit of 65 mg/kg [osti-etoposide]",
    ] + [
        f"error [outside_range]: etoposide day {day}: etoposide gives on day {day} 1328 mg/m², far "
        "above the usual range 35–100 mg/m² per day [etoposide-label] (more than 2 times its "
        "top: an error by convention)"
        for day in (1, 2)
    ]


def test_an_intrathecal_line_meets_its_own_limit_after_the_systemic_ones() -> None:
    # cytarabine label: intrathecal "5 to 75 mg/m2"
    line = {"agent": "cytarabine", "amount": "100 mg/m**2", "days": "1", "acknowledge": "x"}
    assert texts(dosing.check(template({**line, "setting": "intrathecal"}).expand(ADULT))) == [
        "error [over_limit]: cytarabine day 1: cytarabine dose is 100 mg/m², over the per-dose "
        "limit of 75 mg/m² [cytarabine-label]"
    ]


def test_a_limit_for_another_age_does_not_stop_the_next_one(tmp_path: pathlib.Path) -> None:
    # two asparaginase limits, for the test: adults 1 mg/kg, then every age 100 mg flat
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "administration"\n'
        'amount = "1 mg/kg"\nage_from = "18 year"\nunsourced = "a test"\n'
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "administration"\n'
        'amount = "100 mg"\nunsourced = "a test"\n',
    )
    line = template({"agent": "asparaginase", "amount": "0.5 mg/kg", "days": "1"})
    for patient in (CHILD, Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))):
        schedule = line.expand(patient)
        assert dosing.check(schedule, limits=table) == []
        assert [limit.describe() for limit in compared(schedule, table)["asparaginase"]] == [
            "hard limit of 100 mg per administration"
        ]


def test_a_limit_in_another_unit_does_not_stop_the_next_one(tmp_path: pathlib.Path) -> None:
    # two asparaginase limits, for the test: 100 IU/m² (no mg dose can be compared with it),
    # then 100 mg flat; 50 mg/m² × 1.8447 m² = 92.2 mg is compared with the second
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "administration"\n'
        'amount = "100 IU/m**2"\nunsourced = "a test"\n'
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "administration"\n'
        'amount = "100 mg"\nunsourced = "a test"\n',
    )
    schedule = template({"agent": "asparaginase", "amount": "50 mg/m**2", "days": "1"}).expand(
        ADULT
    )
    assert dosing.check(schedule, limits=table) == []
    assert [limit.describe() for limit in compared(schedule, table)["asparaginase"]] == [
        "hard limit of 100 mg per administration"
    ]
    # a flat dose for a patient without a weight, with limits in IU/m² and per kg: neither can
    # be compared, and the message says why for each (the unit; the weight it would need)
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "administration"\n'
        'amount = "100 IU/m**2"\nunsourced = "a test"\n'
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "administration"\n'
        'amount = "1 mg/kg"\nunsourced = "a test"\n',
    )
    flat = template({"agent": "asparaginase", "amount": "50 mg", "days": "1"})
    assert texts(dosing.check(flat.expand(Patient(bsa=Q_(1.7, "m**2"))), limits=table)) == [
        "info [not_checked]: asparaginase: asparaginase was not checked: its limits are in IU/m², "
        "its doses in mg; its hard limit of 1 mg/kg per administration [unsourced] needs the "
        "patient's weight"
    ]


def test_a_lifetime_limit_does_not_apply_to_a_line_of_another_setting() -> None:
    line = {"agent": "doxorubicin", "amount": "10 mg/m**2", "days": "1", "acknowledge": "x"}
    regimen = template({**line, "setting": "intrathecal"})
    assert texts(dosing.check(regimen.expand(ADULT))) == [
        "info [not_checked]: doxorubicin: doxorubicin was not checked: no limit applies to it for "
        "the setting intrathecal"
    ]
    assert compared(regimen.expand(ADULT)) == {"doxorubicin": ()}


def test_a_dose_of_ten_thousand_is_written_in_full() -> None:
    line = {"agent": "carboplatin", "amount": "10000 mg", "days": "1", "acknowledge": "x"}
    assert texts(dosing.check(template(line).expand(ADULT)))[0].startswith(
        "error [outside_range]: carboplatin day 1: carboplatin dose is 10000 mg, far above"
    )


def test_a_large_flat_dose_is_written_without_an_exponent() -> None:
    # carboplatin: "usual range at most 900 mg" (NCCN); 12000 mg is shown as 12000, not 1.2e+04
    line = {"agent": "carboplatin", "amount": "950 mg", "days": "1"}
    assert texts(dosing.check(template(line).expand(ADULT))) == [
        "warning [outside_range]: carboplatin day 1: carboplatin dose is 950 mg, above the usual "
        "range at most 900 mg per administration [nccn-carboplatin]"
    ]
    line = {"agent": "carboplatin", "amount": "12000 mg", "days": "1", "acknowledge": "x"}
    assert texts(dosing.check(template(line).expand(ADULT)))[0] == (
        "error [outside_range]: carboplatin day 1: carboplatin dose is 12000 mg, far above the "
        "usual range at most 900 mg per administration [nccn-carboplatin] (more than 2 times its "
        "top: an error by convention)"
    )


# -- nothing passes silently -------------------------------------------------------------------


def test_every_reason_for_not_checking_reads_in_full() -> None:
    unknown = template({"agent": "Study Drug X", "amount": "5 mg/m**2", "days": "1"})
    assert texts(dosing.check(unknown.expand(ADULT))) == [
        "warning [unknown_agent]: study drug x: 'study drug x' is not in the vocabulary "
        "(data/agents.toml): it is not matched to any known agent, and its doses cannot be checked",
        "info [not_checked]: study drug x: study drug x was not checked: it is not in the "
        "vocabulary (data/agents.toml), so no limit is known",
    ]
    intrathecal = {"agent": "methotrexate", "amount": "12 mg/m**2", "days": "1"}
    intrathecal.update(setting="intrathecal", acknowledge="x")
    assert texts(dosing.check(template(intrathecal).expand(ADULT))) == [
        "info [not_checked]: methotrexate: methotrexate was not checked: no limit applies to it "
        "for the setting intrathecal"
    ]
    flat = {"agent": "methotrexate", "amount": "12 mg", "days": "1", "setting": "intrathecal"}
    assert texts(dosing.check(template(flat).expand(ADULT))) == [
        "info [not_checked]: methotrexate: methotrexate was not checked: Intrathecal doses are "
        "given by age in the current US label, whose table was not reached; no checked source "
        "gives the numbers."
    ]
    cytarabine = {"agent": "cytarabine", "amount": "30 mg", "days": "1", "setting": "intrathecal"}
    assert texts(dosing.check(template(cytarabine).expand(ADULT))) == [
        "info [not_checked]: cytarabine: cytarabine was checked only in part: Flat intrathecal "
        "doses by age band are in use in children; no source reached here sets their limits (the "
        "label's intrathecal range is per m²)."
    ]
    schedule = template(cytarabine).expand(ADULT)
    assert [limit.describe() for limit in compared(schedule)["cytarabine"]] == [
        "hard limit of 75 mg/m² per administration",
        "usual range 5–75 mg/m² per administration",
    ]


def _with(tmp_path: pathlib.Path, extra: str) -> dosing.dose_limits.LimitTable:
    """The packaged limits and one more (asparaginase has none packaged)."""
    text = pathlib.Path(dosing.__file__).with_name("data").joinpath("dose_limits.toml")
    path = tmp_path / "limits.toml"
    path.write_text(text.read_text("utf-8") + extra, encoding="utf-8")
    return load_limits(path)


def test_the_reason_an_agent_was_not_checked_reads_in_full(tmp_path: pathlib.Path) -> None:
    asparaginase = template({"agent": "asparaginase", "amount": "2500 IU/m**2", "days": "1"})
    assert texts(dosing.check(asparaginase.expand(ADULT))) == [
        "info [not_checked]: asparaginase: asparaginase was not checked: no limits are kept for it"
    ]
    limit = (
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "administration"\n'
        'amount = "{amount}"\nunsourced = "a test"\n{more}'
    )
    in_mg = _with(tmp_path, limit.format(amount="100 mg/m**2", more=""))
    assert texts(dosing.check(asparaginase.expand(ADULT), limits=in_mg)) == [
        "info [not_checked]: asparaginase: asparaginase was not checked: its limits are in mg/m², "
        "its doses in IU"
    ]
    assert compared(asparaginase.expand(ADULT), in_mg) == {"asparaginase": ()}
    adults = _with(tmp_path, limit.format(amount="1 mg/kg", more='age_from = "18 year"\n'))
    per_kg = template({"agent": "asparaginase", "amount": "0.5 mg/kg", "days": "1"})
    ageless = Patient(height=Q_(170, "cm"), weight=Q_(70, "kg"))
    assert texts(dosing.check(per_kg.expand(ageless), limits=adults)) == [
        "info [not_checked]: asparaginase: asparaginase was not checked: its hard limit of 1 mg/kg "
        "per administration [unsourced] depends on age, which the patient does not have"
    ]
    # a child: the adults' limit does not apply, and nothing else does
    assert texts(dosing.check(per_kg.expand(CHILD), limits=adults)) == [
        "info [not_checked]: asparaginase: asparaginase was not checked: no limit applies to it"
    ]
    # an adult: 0.5 mg/kg is compared, under the limit
    assert dosing.check(per_kg.expand(ADULT), limits=adults) == []
    # a flat dose is compared per kg of the weight: 50 / 70 = 0.714 mg/kg is under 1 mg/kg,
    # 80 / 70 = 1.143 over it
    flat = template({"agent": "asparaginase", "amount": "50 mg", "days": "1"})
    assert dosing.check(flat.expand(ADULT), limits=adults) == []
    flat = template({"agent": "asparaginase", "amount": "80 mg", "days": "1"})
    assert round(80 / 70, 3) == 1.143
    assert texts(dosing.check(flat.expand(ADULT), limits=adults)) == [
        "error [over_limit]: asparaginase day 1: asparaginase dose is 1.143 mg/kg, over the "
        "per-dose limit of 1 mg/kg [unsourced]"
    ]
    per_m2 = template({"agent": "asparaginase", "amount": "50 mg/m**2", "days": "1"})
    assert texts(dosing.check(per_m2.expand(Patient(bsa=Q_(1.7, "m**2"))), limits=adults)) == [
        "info [not_checked]: asparaginase: asparaginase was not checked: its hard limit of 1 mg/kg "
        "per administration [unsourced] depends on age, which the patient does not have"
    ]
    atg = {"agent": "Thymoglobulin", "amount": "2 mg/kg", "days": "1", "acknowledge": "x"}
    assert texts(dosing.check(template({**atg, "setting": "intrathecal"}).expand(ADULT))) == [
        "info [not_checked]: anti-thymocyte globulin (rabbit): anti-thymocyte globulin (rabbit) "
        "was not checked: no limit applies to it (Thymoglobulin) for the setting intrathecal"
    ]


def test_every_line_of_an_agent_is_said_unchecked_or_checked_in_part(
    tmp_path: pathlib.Path,
) -> None:
    # a table recording methotrexate's GVHD-prophylaxis doses per m² as checked only in part,
    # for the test: an intrathecal 12 mg/m² has no limit at all; the GVHD 10 mg/m² is compared,
    # in part
    table = _with(
        tmp_path,
        '\n[[unchecked]]\nagent = "methotrexate"\nsetting = "gvhd-prophylaxis"\nkind = "bsa"\n'
        'why = "GVHD doses per m², a test."\n',
    )
    regimen = template(
        {
            "agent": "MTX",
            "amount": "12 mg/m**2",
            "days": "1",
            "setting": "intrathecal",
            "acknowledge": "x",
        },
        {"agent": "MTX", "amount": "10 mg/m**2", "days": "3", "setting": "gvhd-prophylaxis"},
    )
    assert texts(dosing.check(regimen.expand(ADULT), limits=table)) == [
        "info [not_checked]: methotrexate: methotrexate was not checked: no limit applies to it "
        "for the setting intrathecal",
        "info [not_checked]: methotrexate: methotrexate was checked only in part: GVHD doses per "
        "m², a test.",
    ]


def test_the_settings_not_applied_are_all_named(tmp_path: pathlib.Path) -> None:
    # a table with a GVHD-prophylaxis limit for fludarabine too, for the test
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "fludarabine"\nsetting = "gvhd-prophylaxis"\ntier = "usual"\n'
        'per = "day"\nhigh = "30 mg/m**2"\nunsourced = "a test"\n',
    )
    regimen = template({"agent": "fludarabine", "amount": "30 mg/m**2", "days": "1"})
    assert texts(dosing.check(regimen.expand(ADULT), limits=table)) == [
        "info [not_checked]: fludarabine: fludarabine: its limits for conditioning, "
        "gvhd-prophylaxis were not applied, because the template does not say the line is for "
        'that setting (write setting = "..."); the limits for every use were'
    ]


def test_a_product_without_limits_says_why_in_full() -> None:
    line = {"agent": "Grafalon", "amount": "10 mg/kg", "days": "1..3"}
    regimen = template({**line, "setting": "gvhd-prophylaxis"})
    assert texts(dosing.check(regimen.expand(ADULT))) == [
        "info [not_checked]: anti-thymocyte globulin (rabbit): anti-thymocyte globulin (rabbit) "
        "was not checked: The Grafalon SmPC's dose for stem-cell transplantation was not reached "
        "(its organ-transplant doses, 2-5 mg/kg/day, differ from Thymoglobulin's); never check "
        "Grafalon against Thymoglobulin's limits."
    ]


def test_compared_lists_each_agents_limits_and_none_for_an_unchecked_one() -> None:
    regimen = template(
        {"agent": "fludarabine", "amount": "30 mg/m**2", "days": "1..4"},
        {"agent": "idarubicin", "amount": "12 mg/m**2", "days": "1..3"},
    )
    found = compared(regimen.expand(ADULT))
    assert list(found) == ["fludarabine", "idarubicin"]
    assert [limit.describe() for limit in found["fludarabine"]] == [
        "hard limit of 96 mg/m² per day",
        "usual range 25–40 mg/m² per day",
    ]
    assert found["idarubicin"] == ()
    assert dosing.checks.doses.compared(regimen.expand(ADULT), DOSE_LIMITS) == found


# -- what the policy steps recorded ------------------------------------------------------------


def test_a_withheld_dose_reads_in_full() -> None:
    # Cockcroft–Gault: (140 − 70) × 70 / (72 × 5) = 13.61 mL/min, under the FLUDARA label's 30
    poor = Patient(
        height=Q_(175, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(70, "year"),
        sex="male",
        serum_creatinine=Q_(5, "mg/dL"),
    )
    assert round((140 - 70) * 70 / (72 * 5), 2) == 13.61
    regimen = template({"agent": "fludarabine", "amount": "25 mg/m**2", "days": "1..2"})
    schedule = regimen.expand(poor, policy=Policy(renal="fludarabine-fludara-label"))
    assert texts(dosing.check(schedule)) == [
        f"error [withheld]: fludarabine day {day}: fludarabine is withheld (dose 0) by the renal "
        "policy; renal function 13.61 mL/min (Cockcroft–Gault from serum creatinine on actual body "
        "weight); table fludarabine-fludara-label"
        for day in (1, 2)
    ] + [FLU_SETTING]


def test_each_cap_is_named() -> None:
    big = Patient(height=Q_(190, "cm"), weight=Q_(110, "kg"), age=Q_(40, "year"))
    schedule = INO_1.expand(big, policy=Policy(bsa_cap=Q_(2, "m**2")))
    assert texts(dosing.check(schedule)) == [
        f"info [capped]: inotuzumab ozogamicin day {day}: inotuzumab ozogamicin dose was limited "
        "by the BSA cap"
        for day in (1, 8, 15)
    ]
    # vincristine 1.4 mg/m² × 1.8 m² = 2.52 mg, capped at the template's 2 mg
    capped = template({"agent": "vincristine", "amount": "1.4 mg/m**2", "cap": "2 mg", "days": "1"})
    adult = Patient(height=Q_(180, "cm"), weight=Q_(64.8, "kg"), age=Q_(40, "year"))
    assert texts(dosing.check(capped.expand(adult))) == [
        "info [capped]: vincristine day 1: vincristine dose was limited by the template's cap"
    ]
    # Calvert with a GFR of 200 mL/min over the 125 mL/min cap
    patient = quiet(
        height=Q_(175, "cm"),
        weight=Q_(80, "kg"),
        age=Q_(40, "year"),
        sex="male",
        glomerular_filtration_rate=Q_(200, "mL/min"),
    )
    assert texts(dosing.check(carbo().expand(patient))) == [
        "info [capped]: carboplatin day 1: carboplatin dose was limited by the policy's Calvert "
        "GFR cap"
    ]
    # Cockcroft–Gault from a creatinine of 0.5 mg/dL floored at 0.7 mg/dL
    floored = quiet(
        height=Q_(170, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(60, "year"),
        sex="male",
        serum_creatinine=Q_(0.5, "mg/dL"),
    )
    policy = Policy(creatinine_floor=Q_(0.7, "mg/dL"))
    assert texts(dosing.check(carbo().expand(floored, policy=policy))) == [
        "info [capped]: carboplatin day 1: carboplatin dose was limited by the policy's serum "
        "creatinine floor"
    ]


def test_a_cohort_cap_says_whom() -> None:
    cohort = Patient(
        height=Q_([150.0, 190.0], "cm"),
        weight=Q_([40.0, 110.0], "kg"),
        age=Q_([12.0, 40.0], "year"),
    )
    findings = dosing.check(INO_1.expand(cohort, policy=Policy(bsa_cap=Q_(2, "m**2"))))
    assert texts(findings)[0] == (
        "info [capped]: inotuzumab ozogamicin day 1: inotuzumab ozogamicin dose was limited by "
        "the BSA cap (patients: 1 of 2)"
    )
    assert [f.patients.tolist() for f in findings] == [[False, True]] * 3


def test_a_rounding_over_5_percent_reads_in_full_and_one_under_is_quiet() -> None:
    # 0.5 mg/m² × 1.29099 m² (√(150 × 40 / 3600)) = 0.6455 mg → 0.6 mg: −7.05%; 0.8 mg/m² ×
    # 1.29099 = 1.0328 mg → 1.0 mg: −3.2%, quiet
    bsa = math.sqrt(150 * 40 / 3600)
    assert round(abs(0.6 - 0.5 * bsa) / (0.5 * bsa), 3) == 0.070
    assert abs(1.0 - 0.8 * bsa) / (0.8 * bsa) < 0.05
    rounded = INO_1.expand(CHILD, policy=Policy(rounding={"*": Q_(0.1, "mg")}))
    assert texts(dosing.check(rounded)) == [
        f"warning [rounding]: inotuzumab ozogamicin day {day}: rounding moved the inotuzumab "
        "ozogamicin dose by 7.0% (more than 5%)"
        for day in (8, 15)
    ]
    # a cohort: 1 mg/m² of 1.3 and 1.45 m² is 1.3 and 1.45 mg, rounded to 0.5 mg: 1.5 mg,
    # +15.4% (0.2 / 1.3) and +3.4% (0.05 / 1.45): one patient's dose moved more than 5%
    cohort = Patient(bsa=Q_([1.3, 1.45], "m**2"), weight=Q_([50.0, 50.0], "kg"))
    regimen = template({"agent": "vincristine", "amount": "1 mg/m**2", "days": "1"})
    policy = Policy(rounding={"*": Q_(0.5, "mg")}, max_rounding_change=0.2)
    found = dosing.check(regimen.expand(cohort, policy=policy))
    assert f"{0.2 / 1.3:.1%}" == "15.4%"
    assert texts(found, "rounding") == [
        "warning [rounding]: vincristine day 1: rounding moved the vincristine dose by 15.4% "
        "(more than 5%) (patients: 1 of 2)"
    ]
    assert [f.patients.tolist() for f in found if f.code == "rounding"] == [[True, False]]


def test_banding_findings_read_in_full() -> None:
    # NHS vincristine table: 0.15 mg is below its first band (0.21 mg)
    low = VINCRISTINE.expand(
        Patient(bsa=Q_(0.1, "m**2")), policy=Policy(bands={"vincristine": NHS})
    )
    assert texts(dosing.check(low)) == [
        f"warning [not_banded]: vincristine day {day}: vincristine dose was not banded: not banded "
        "by table nhs-1mg-ml-vincristine: outside every band (0.21 mg to 16.97 mg, rule A); left "
        "as calculated"
        for day in (1, 8, 15, 22)
    ]
    banded = VINCRISTINE.expand(
        Patient(bsa=Q_(0.95, "m**2")), policy=Policy(bands={"vincristine": NHS})
    )
    found = texts(dosing.check(banded))
    assert len(found) == 4
    assert all(
        text.startswith(
            f"warning [band_tolerance]: vincristine day {day}: vincristine dose was banded; table "
            "nhs-1mg-ml-vincristine was accepted although its worst variance is 6.25%, over its "
            "tolerance of 6%"
        )
        for text, day in zip(found, (1, 8, 15, 22), strict=True)
    )
    table = dosing.policy.bands.BAND_TABLES["example-fludarabine-25mg-ml"]
    child = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    schedule = dosing.get_regimen("flu-arac-mel-ric").expand(
        child, policy=Policy(bands={"fludarabine": table})
    )
    example = [f for f in dosing.check(schedule) if f.code == "example_table"]
    assert [str(f) for f in example] == [
        f"warning [example_table]: fludarabine day {f.day}: fludarabine dose was banded by "
        "example-fludarabine-25mg-ml, an example table no source gives: check it against your "
        "institution's table"
        for f in example
    ]
    assert [f.day for f in example] == [row.day for row in schedule.rows_for("fludarabine")]


def test_a_cohorts_banding_findings_say_whom() -> None:
    # 1.5 mg/m² × 0.1 m² = 0.15 mg, below the table's first band; × 0.95 = 1.425 mg, banded
    cohort = Patient(bsa=Q_([0.1, 0.95], "m**2"))
    schedule = VINCRISTINE.expand(cohort, policy=Policy(bands={"vincristine": NHS}))
    found = [f for f in dosing.check(schedule) if f.day == 1]
    assert [(f.code, f.patients.tolist()) for f in found] == [
        ("not_banded", [True, False]),
        ("band_tolerance", [False, True]),
    ]
    assert all("(patients: 1 of 2)" in f.message for f in found)
    table = dosing.policy.bands.BAND_TABLES["example-fludarabine-25mg-ml"]
    two = Patient(height=Q_([150.0, 160.0], "cm"), weight=Q_([40.0, 50.0], "kg"))
    fludarabine = template({"agent": "fludarabine", "amount": "30 mg/m**2", "days": "1"})
    banded = fludarabine.expand(two, policy=Policy(bands={"fludarabine": table}))
    example = [f for f in dosing.check(banded) if f.code == "example_table"]
    assert [f.patients.tolist() for f in example] == [[True, True]]
    assert "banded (patients: 2 of 2) by example-fludarabine-25mg-ml" in example[0].message


def test_a_dose_changed_after_expansion_says_what_does_not_add_up() -> None:
    schedule = INO_1.expand(CHILD)
    result = schedule.lines[0]
    object.__setattr__(result, "dose", result.dose * 2)
    assert texts(dosing.check(schedule), "not_as_prescribed") == [
        "warning [not_as_prescribed]: inotuzumab ozogamicin: inotuzumab ozogamicin: the dose is "
        "not the template's 0.8 mg/m² × its basis with the recorded policy steps (the final "
        "dose); the schedule may have been changed after it was made"
    ]
    # a rounded line whose recorded step starts from another dose
    rounded = INO_1.expand(CHILD, policy=Policy(rounding={"*": Q_(0.1, "mg")}))
    result = rounded.lines[0]
    step = result.adjustments[0]
    object.__setattr__(step, "before", step.before * 1.5)
    assert texts(dosing.check(rounded), "not_as_prescribed") == [
        "warning [not_as_prescribed]: inotuzumab ozogamicin: inotuzumab ozogamicin: the dose is "
        "not the template's 0.8 mg/m² × its basis with the recorded policy steps (before "
        "rounding); the schedule may have been changed after it was made"
    ]
    # a calculated dose that is not what the steps give (a BSA cap, no preparation step)
    big = Patient(height=Q_(190, "cm"), weight=Q_(110, "kg"), age=Q_(40, "year"))
    capped = INO_1.expand(big, policy=Policy(bsa_cap=Q_(2, "m**2")))
    result = capped.lines[0]
    object.__setattr__(result, "calculated", result.calculated * 3)
    assert texts(dosing.check(capped), "not_as_prescribed") == [
        "warning [not_as_prescribed]: inotuzumab ozogamicin: inotuzumab ozogamicin: the dose is "
        "not the template's 0.8 mg/m² × its basis with the recorded policy steps (the "
        "calculated dose); the schedule may have been changed after it was made"
    ]


@pytest.mark.parametrize(
    ("value", "shown"), [(math.nan, "nan"), (-1.0, "-1.0"), (-math.inf, "-inf"), (math.inf, "inf")]
)
def test_a_dose_that_is_not_a_number_reads_in_full(value: float, shown: str) -> None:
    schedule = INO_1.expand(CHILD)
    result = schedule.lines[0]  # day 1 only
    object.__setattr__(result, "dose", Q_(value, "mg"))
    found = [f for f in dosing.check(schedule) if f.code == "not_a_number"]
    assert [str(f) for f in found] == [
        "error [not_a_number]: inotuzumab ozogamicin day 1: the final dose is not a finite, "
        f"non-negative number ({shown} mg): it must not be given; check the inputs and the policy"
    ]
    assert found[0].regimen == "inotuzumab-cycle-1"


def test_a_calculated_dose_that_is_not_a_number_is_named_and_said_once() -> None:
    regimen = template({"agent": "vincristine", "amount": "1 mg/m**2", "days": "1, 8"})
    schedule = regimen.expand(ADULT)
    result = schedule.lines[0]
    object.__setattr__(result, "calculated", Q_(math.nan, "mg"))
    object.__setattr__(result, "dose", Q_(math.nan, "mg"))
    found = [f for f in dosing.check(schedule) if f.code == "not_a_number"]
    # days 1 and 8: the line's finding has no one day; the calculated dose is named, once
    assert [str(f) for f in found] == [
        "error [not_a_number]: vincristine: the calculated dose is not a finite, non-negative "
        "number (nan mg): it must not be given; check the inputs and the policy"
    ]


def test_a_cohort_dose_that_is_not_a_number_shows_the_first_bad_one() -> None:
    cohort = Patient(bsa=Q_([1.0, 1.2, 1.4], "m**2"), weight=Q_([50.0] * 3, "kg"))
    regimen = template({"agent": "vincristine", "amount": "1 mg/m**2", "days": "1"})
    schedule = regimen.expand(cohort)
    result = schedule.lines[0]
    object.__setattr__(result, "dose", Q_(np.array([1.0, -2.0, math.nan]), "mg"))
    found = [f for f in dosing.check(schedule) if f.code == "not_a_number"]
    assert [str(f) for f in found] == [
        "error [not_a_number]: vincristine day 1: the final dose is not a finite, non-negative "
        "number (-2.0 mg) (patients: 2 of 3): it must not be given; check the inputs and the "
        "policy"
    ]
    assert found[0].patients.tolist() == [False, True, True]


# -- target AUC and populations ----------------------------------------------------------------


def _adult_gfr(gfr: float = 90.0, age: float = 40.0) -> Patient:
    return quiet(
        height=Q_(175, "cm"),
        weight=Q_(80, "kg"),
        age=Q_(age, "year"),
        sex="male",
        glomerular_filtration_rate=Q_(gfr, "mL/min"),
    )


@pytest.mark.parametrize(
    ("target", "side"), [("3.9", "below"), ("4", None), ("8", None), ("8.1", "above")]
)
def test_a_target_auc_outside_the_usual_4_to_8_warns(target: str, side: str | None) -> None:
    # carboplatin: usual target AUC 4–8 mg·min/mL (data/exposure.toml)
    found = texts(dosing.check(carbo(target=f"{target} mg*min/mL").expand(_adult_gfr())))
    if side is None:
        assert found == []
    else:
        assert found == [
            f"warning [outside_range]: carboplatin: carboplatin target AUC {target} mg·min/mL is "
            f"{side} its usual target AUC 4–8 mg·min/mL (globalrph-carboplatin, nccn-carboplatin)"
        ]


def test_a_formula_outside_its_population_reads_in_full() -> None:
    newell = dosing.check(carbo("newell").expand(_adult_gfr(age=18)))
    assert texts(newell) == [
        "warning [outside_population]: carboplatin: carboplatin: the Newell formula was derived "
        "in children (under 18) (newell1993); the patient is outside it"
    ]
    assert newell[0].references == ("newell1993",)
    assert texts(dosing.check(carbo().expand(_adult_gfr(age=18)))) == []
    young = dosing.check(carbo().expand(_adult_gfr(age=17.9)))
    assert texts(young) == [
        "warning [outside_population]: carboplatin: carboplatin: the Calvert formula was derived "
        "in adults (18 years and over) (calvert1989); the patient is outside it"
    ]
    assert texts(dosing.check(carbo("newell").expand(_adult_gfr(age=17.9)))) == []
    ageless = quiet(
        height=Q_(175, "cm"), weight=Q_(80, "kg"), glomerular_filtration_rate=Q_(90, "mL/min")
    )
    unknown = dosing.check(carbo().expand(ageless))
    assert texts(unknown) == [
        "info [not_checked]: carboplatin: carboplatin: the Calvert formula was derived in adults "
        "(18 years and over); the patient's age is not known, so it was not checked"
    ]
    assert unknown[0].references == ("calvert1989",)


def test_one_formula_is_reported_once_and_a_cohort_says_whom() -> None:
    two_lines = regimen_two_carboplatin_days()
    cohort = quiet(
        height=Q_([175.0, 175.0], "cm"),
        weight=Q_([80.0, 80.0], "kg"),
        age=Q_([40.0, 12.0], "year"),
        sex="male",
        glomerular_filtration_rate=Q_([90.0, 90.0], "mL/min"),
    )
    found = [f for f in dosing.check(two_lines.expand(cohort)) if f.code == "outside_population"]
    assert [str(f) for f in found] == [
        "warning [outside_population]: carboplatin: carboplatin: the Calvert formula was derived "
        "in adults (18 years and over) (calvert1989); the patient is outside it (patients: 1 of 2)"
    ]
    assert found[0].patients.tolist() == [False, True]


def regimen_two_carboplatin_days() -> dosing.Regimen:
    line = {"agent": "carboplatin", "target_auc": "5 mg*min/mL", "gfr_formula": "calvert"}
    data = {
        "key": "carbo2",
        "name": "Carboplatin twice",
        "frame": "cycle",
        "cycle_length": "28 day",
        "references": ["calvert1989"],
        "dose": [{**line, "days": [1]}, {**line, "days": [15]}],
    }
    return dosing.regimens.loader.regimen_from_mapping(data, source="carbo2.toml")


# -- course.py: cycles -------------------------------------------------------------------------


def test_the_cycle_counts_read_in_full_at_each_edge() -> None:
    cycle = INO_CR.expand(CHILD)
    transplant = dosing.get_regimen("flu-arac-mel-ric").expand(CHILD)

    def cycles(*schedules: Any, prior: list[Exposure] | None = None) -> list[str]:
        return texts(dosing.check(*schedules, prior=prior or []), "cycles")

    # "treat for 2 cycles; may consider 3rd cycle": 2 quiet, 3 a warning, 4 an error
    assert cycles(INO_1.expand(CHILD), cycle, transplant) == []
    assert cycles(INO_1.expand(CHILD), cycle, cycle, transplant) == [
        "warning [cycles]: inotuzumab ozogamicin: 3 cycles of inotuzumab ozogamicin before a "
        "transplant; the label recommends 2 (a third may be considered) because the risk of "
        f"VOD/SOS rises {INO_SOURCES}"
    ]
    assert cycles(INO_1.expand(CHILD), cycle, cycle, cycle, transplant) == [
        "error [cycles]: inotuzumab ozogamicin: 4 cycles of inotuzumab ozogamicin before a "
        f"transplant; the label recommends 2 and allows a third to be considered {INO_SOURCES}"
    ]
    for count in (2, 3):
        found = dosing.check(INO_1.expand(CHILD), *[cycle] * count, transplant)
        assert [f.references for f in found if f.code == "cycles"] == [INO_REFS]
    # "may treat up to max 6 cycles": without a transplant 4 is quiet, 7 an error
    assert cycles(INO_1.expand(CHILD), cycle, cycle, cycle) == []
    seven = [INO_1.expand(CHILD), *[cycle] * 6]
    assert cycles(*seven) == [
        "error [cycles]: inotuzumab ozogamicin: 7 cycles of inotuzumab ozogamicin; the label "
        f"allows at most 6 {INO_SOURCES}"
    ]
    found = [f for f in dosing.check(*seven) if f.code == "cycles"]
    assert found[0].references == INO_REFS and found[0].regimen == ""
    # prior cycles count: 5 before and 2 planned are 7; 4 before and 2 are 6
    five = [Exposure("Besponsa", Q_(7.5, "mg/m**2"), cycles=5)]
    assert cycles(INO_1.expand(CHILD), cycle, prior=five) == [
        "error [cycles]: inotuzumab ozogamicin: 7 cycles of inotuzumab ozogamicin; the label "
        f"allows at most 6 {INO_SOURCES}"
    ]
    four = [Exposure("Besponsa", Q_(6, "mg/m**2"), cycles=4)]
    assert cycles(INO_1.expand(CHILD), cycle, prior=four) == []
    # a prior exposure alone, without a planned cycle, is counted too: 1 before, 2 with a
    # transplant is quiet; 3 before and a transplant is a warning
    assert cycles(transplant, prior=[Exposure("InO", Q_(1, "mg/m**2"), cycles=2)]) == []
    assert len(cycles(transplant, prior=[Exposure("InO", Q_(1, "mg/m**2"), cycles=3)])) == 1


def test_prior_cycles_without_a_count_are_each_one_and_said_so() -> None:
    prior = [Exposure("Besponsa", Q_(1.8, "mg/m**2")), Exposure("InO", Q_(1.5, "mg/m**2"))]
    found = dosing.check(INO_CR.expand(CHILD), prior=prior)
    assert texts(found, "not_checked") == [
        "info [not_checked]: inotuzumab ozogamicin: 2 prior exposure(s) of inotuzumab ozogamicin "
        "without a cycle count were counted as one cycle each: give Exposure(..., cycles=N) (the "
        "amount alone does not say how many cycles it was) to check the label's cycle limits"
    ]
    # with a count, nothing is said
    counted = [Exposure("Besponsa", Q_(1.8, "mg/m**2"), cycles=1)]
    assert texts(dosing.check(INO_CR.expand(CHILD), prior=counted)) == []
    # one uncounted prior exposure and 5 planned cycles are 6: at the label's maximum, not over
    one = [Exposure("Besponsa", Q_(1.8, "mg/m**2"))]
    five = [INO_1.expand(CHILD), *[INO_CR.expand(CHILD)] * 4]
    assert "cycles" not in [f.code for f in dosing.check(*five, prior=one)]
    assert "cycles" in [f.code for f in dosing.check(*five, INO_CR.expand(CHILD), prior=one)]


def test_a_cycle_past_the_third_without_a_response_reads_in_full() -> None:
    # "Patients who do not achieve CR/CRi within 3 cycles should discontinue treatment."
    prior = [Exposure("Besponsa", Q_(5.1, "mg/m**2"), cycles=3)]
    found = dosing.check(INO_NO_CR.expand(CHILD), prior=prior)
    assert texts(found) == [
        "error [no_response]: inotuzumab ozogamicin: cycle 4 of inotuzumab ozogamicin "
        "(inotuzumab-cycle-no-cr) is for a patient not in CR/CRi after 3 cycles; the label says to "
        f"stop {INO_SOURCES}"
    ]
    assert (found[0].regimen, found[0].references) == ("inotuzumab-cycle-no-cr", INO_REFS)
    # the third cycle is still within the label's 3 cycles
    two = [Exposure("Besponsa", Q_(3.3, "mg/m**2"), cycles=2)]
    assert texts(dosing.check(INO_NO_CR.expand(CHILD), prior=two)) == []
    # a cycle past the third whose template does not say the response
    unsaid = dosing.check(INO_1.expand(CHILD), prior=prior)
    assert texts(unsaid) == [
        "info [not_checked]: inotuzumab ozogamicin: cycle 4 of inotuzumab ozogamicin "
        '(inotuzumab-cycle-1) does not say whether the patient is in CR/CRi (response = "cr" or '
        '"no-cr" in the template): the label\'s stop after 3 cycles without a response was not '
        "checked"
    ]
    assert unsaid[0].regimen == "inotuzumab-cycle-1"
    # a cycle in CR/CRi goes on
    assert texts(dosing.check(INO_CR.expand(CHILD), prior=prior)) == []
    # four planned cycles, the fourth not in CR/CRi: the first three are within the label's 3
    cr = INO_CR.expand(CHILD)
    four = dosing.check(INO_1.expand(CHILD), cr, cr, INO_NO_CR.expand(CHILD))
    assert [f.message[:46] for f in four if f.code == "no_response"] == [
        "cycle 4 of inotuzumab ozogamicin (inotuzumab-c"
    ]


def _ino_days(days: str) -> dosing.Regimen:
    line = {"agent": "inotuzumab ozogamicin", "amount": "0.5 mg/m**2", "days": days}
    return template(line, references=["besponsa-label-2024"], cycle_length="28 day")


def test_six_days_between_doses_within_a_cycle() -> None:
    # "maintain a minimum of 6 days between doses": days 1 and 7 are 6 apart, 1 and 6 only 5
    assert texts(dosing.check(_ino_days("1, 7").expand(CHILD))) == []
    found = dosing.check(_ino_days("1, 6, 12").expand(CHILD))
    assert texts(found, "dose_interval") == [
        "error [dose_interval]: inotuzumab ozogamicin day 6: inotuzumab ozogamicin on days 1 and "
        f"6 of test: 5 days apart; the label needs at least 6 {INO_SOURCES}"
    ]
    assert (found[0].regimen, found[0].references) == ("test", INO_REFS)


def test_six_days_between_doses_across_cycles_read_in_full() -> None:
    first = INO_1.expand(CHILD, cycle_start=dt.date(2026, 1, 5))  # day 15 is 19 January
    too_soon = INO_CR.expand(CHILD, cycle_start=dt.date(2026, 1, 24))
    found = dosing.check(first, too_soon)
    assert texts(found) == [
        "error [dose_interval]: inotuzumab ozogamicin: inotuzumab ozogamicin on 2026-01-19 "
        "(inotuzumab-cycle-1) and 2026-01-24 (inotuzumab-cycle-cr): 5 days apart across cycles; "
        f"the label needs at least 6 {INO_SOURCES}"
    ]
    assert (found[0].regimen, found[0].references) == ("", INO_REFS)
    assert texts(dosing.check(first, INO_CR.expand(CHILD, cycle_start=dt.date(2026, 1, 25)))) == []
    prior = [Exposure("InO", Q_(0.5, "mg/m**2"), date=dt.date(2026, 1, 2), cycles=1)]
    assert texts(dosing.check(first, prior=prior)) == [
        "error [dose_interval]: inotuzumab ozogamicin: inotuzumab ozogamicin on 2026-01-02 (a "
        "prior dose) and 2026-01-05 (inotuzumab-cycle-1): 3 days apart across cycles; the label "
        f"needs at least 6 {INO_SOURCES}"
    ]
    # a prior dose 6 days before: quiet; an undated cycle with a dated prior dose: unchecked
    prior = [Exposure("InO", Q_(0.5, "mg/m**2"), date=dt.date(2025, 12, 30), cycles=1)]
    assert texts(dosing.check(first, prior=prior)) == []
    undated = dosing.check(INO_CR.expand(CHILD), prior=prior)
    assert texts(undated) == [
        "info [not_checked]: inotuzumab ozogamicin: the days between doses of inotuzumab "
        "ozogamicin across cycles were not checked: give each cycle's date (cycle_start) to check "
        "the label's 6 days between doses"
    ]
    # one undated cycle alone: nothing to compare across
    assert texts(dosing.check(INO_CR.expand(CHILD))) == []


def test_only_the_agents_own_dates_count_across_cycles() -> None:
    # a prior dose on 8 January; a cycle from 10 January gives vincristine on day 1 (10 January)
    # and inotuzumab on day 8 (17 January): 9 days after the prior dose, whatever else is given
    regimen = template(
        {"agent": "inotuzumab ozogamicin", "amount": "0.5 mg/m**2", "days": "8"},
        {"agent": "vincristine", "amount": "1.4 mg/m**2", "cap": "2 mg", "days": "1"},
        references=["besponsa-label-2024"],
        cycle_length="28 day",
    )
    schedule = regimen.expand(CHILD, cycle_start=dt.date(2026, 1, 10))
    prior = [Exposure("InO", Q_(0.5, "mg/m**2"), date=dt.date(2026, 1, 8), cycles=1)]
    assert "dose_interval" not in [f.code for f in dosing.check(schedule, prior=prior)]
    prior = [Exposure("InO", Q_(0.5, "mg/m**2"), date=dt.date(2026, 1, 12), cycles=1)]
    assert [
        f.message[-52:] for f in dosing.check(schedule, prior=prior) if f.code == "dose_interval"
    ] == [
        "5 days apart across cycles; the label needs at least 6 [besponsa-label-2024, "
        "besponsa-eu-leaflet]"[-52:]
    ]


def test_the_youngest_age_reads_in_full() -> None:
    # "adult and pediatric patients 1 year and older"
    infant = Patient(height=Q_(65, "cm"), weight=Q_(7, "kg"), age=Q_(0.5, "year"))
    found = dosing.check(INO_1.expand(infant))
    assert texts(found) == [
        "error [min_age]: inotuzumab ozogamicin: inotuzumab ozogamicin is approved for patients "
        f"of 1 year and older; the patient is 0.5 year {INO_SOURCES}"
    ]
    assert (found[0].regimen, found[0].references, found[0].patients) == (
        "inotuzumab-cycle-1",
        INO_REFS,
        None,
    )
    cohort = Patient(
        height=Q_([150.0, 65.0, 70.0], "cm"),
        weight=Q_([40.0, 7.0, 8.0], "kg"),
        age=Q_([12.0, 0.5, 0.9], "year"),
    )
    found = [f for f in dosing.check(INO_1.expand(cohort)) if f.code == "min_age"]
    assert [str(f) for f in found] == [
        "error [min_age]: inotuzumab ozogamicin: inotuzumab ozogamicin is approved for patients "
        f"of 1 year and older; the patient is 0.5 year (patients: 2 of 3) {INO_SOURCES}"
    ]
    assert found[0].patients.tolist() == [False, True, True]
    assert not found[0].patients.flags.writeable
    ageless = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    found = dosing.check(INO_1.expand(ageless))
    assert texts(found) == [
        "info [not_checked]: inotuzumab ozogamicin: the patient's age is not given: the label's "
        "youngest age for inotuzumab ozogamicin (1 year) was not checked"
    ]
    assert found[0].regimen == "inotuzumab-cycle-1"
    # exactly 1 year: approved; each cycle is checked, the ageless one and the infant's
    one = Patient(height=Q_(75, "cm"), weight=Q_(9, "kg"), age=Q_(1, "year"))
    assert texts(dosing.check(INO_1.expand(one))) == []
    both = dosing.check(INO_1.expand(ageless), INO_CR.expand(infant))
    assert [(f.code, f.regimen) for f in both if f.code == "min_age" or "age is" in f.message] == [
        ("min_age", "inotuzumab-cycle-cr"),
        ("not_checked", "inotuzumab-cycle-1"),
    ]


# -- course.py: lifetime limits ----------------------------------------------------------------

DOX = template({"agent": "Adriamycin", "amount": "60 mg/m**2", "days": "1"})
DOX_LIMIT = "hard limit of 550 mg/m² lifetime [doxorubicin-label]"


@pytest.mark.parametrize(
    ("before", "total", "left", "over"),
    [
        # doxorubicin label: "Cumulative doses above 550 mg/m2"
        (450, 510, 40, None),  # 450 + 60 = 510: 40 would remain
        (490, 550, 0, None),  # exactly at the limit: not over
        (500, 560, 0, 50),  # 560 > 550: 550 − 500 = 50 remained before this plan
        (600, 660, 0, 0),  # already over before: nothing remained
    ],
)
def test_a_lifetime_limit_reads_in_full(
    before: int, total: int, left: int, over: int | None
) -> None:
    prior = [Exposure("doxorubicin", Q_(before, "mg/m**2"))]
    found = dosing.check(DOX.expand(ADULT), prior=prior)
    story = f"doxorubicin: {before} mg/m² before and 60 mg/m² planned make {total} mg/m² of its "
    expected = [
        f"info [prior_exposure]: doxorubicin: {story}{DOX_LIMIT}; {left} mg/m² of the allowance "
        "would remain"
    ]
    if over is not None:
        expected.insert(
            0,
            f"error [over_lifetime]: doxorubicin: {story}{DOX_LIMIT}; {over} mg/m² remained "
            "before this plan",
        )
    assert texts(found) == expected
    assert all(f.references == ("doxorubicin-label",) for f in found)


def test_every_prior_exposure_of_the_agent_adds_up() -> None:
    # 200 + 250 before and 60 planned: 510 of the doxorubicin label's 550
    prior = [
        Exposure("doxorubicin", Q_(200, "mg/m**2")),
        Exposure("Adriamycin", Q_(250, "mg/m**2")),
    ]
    assert texts(dosing.check(DOX.expand(ADULT), prior=prior)) == [
        "info [prior_exposure]: doxorubicin: doxorubicin: 450 mg/m² before and 60 mg/m² planned "
        f"make 510 mg/m² of its {DOX_LIMIT}; 40 mg/m² of the allowance would remain"
    ]


def test_a_usual_lifetime_range_is_a_warning_and_no_prior_is_no_story() -> None:
    # daunorubicin label, adults: 550 mg/m² (hard), "400 mg/m2" usual; 300 + 3 × 60 = 480
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1..3"})
    found = dosing.check(dnr.expand(ADULT), prior=[Exposure("daunorubicin", Q_(300, "mg/m**2"))])
    story = "daunorubicin: 300 mg/m² before and 180 mg/m² planned make 480 mg/m² of its "
    assert texts(found) == [
        f"warning [outside_range]: daunorubicin: {story}usual range at most 400 mg/m² lifetime "
        "[daunorubicin-label]; 100 mg/m² remained before this plan",
        f"info [prior_exposure]: daunorubicin: {story}hard limit of 550 mg/m² lifetime "
        "[daunorubicin-label]; 70 mg/m² of the allowance would remain",
        f"info [prior_exposure]: daunorubicin: {story}usual range at most 400 mg/m² lifetime "
        "[daunorubicin-label]; 0 mg/m² of the allowance would remain",
    ]
    # without a prior exposure, a plan under the limit says nothing
    assert texts(dosing.check(dnr.expand(ADULT))) == []
    # a prior exposure of an agent not planned: counted, with nothing planned
    found = dosing.check(DOX.expand(ADULT), prior=[Exposure("daunorubicin", Q_(100, "mg/m**2"))])
    assert (
        "info [prior_exposure]: daunorubicin: daunorubicin: 100 mg/m² before and 0 mg/m² planned "
        "make 100 mg/m² of its hard limit of 550 mg/m² lifetime [daunorubicin-label]; 450 mg/m² "
        "of the allowance would remain"
    ) in texts(found)


def test_a_childs_lifetime_limit_applies_by_age() -> None:
    # daunorubicin label: "300 mg/m2 in children over 2 years"; 100 + 3 × 60 = 280 ≤ 300 for a
    # child of 12, while an adult's 550 would leave 270
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1..3"})
    found = dosing.check(dnr.expand(CHILD), prior=[Exposure("daunorubicin", Q_(100, "mg/m**2"))])
    assert texts(found) == [
        "info [prior_exposure]: daunorubicin: daunorubicin: 100 mg/m² before and 180 mg/m² planned "
        "make 280 mg/m² of its hard limit of 300 mg/m² lifetime [daunorubicin-label]; 20 mg/m² of "
        "the allowance would remain"
    ]


def test_without_an_age_the_lifetime_limits_read_in_full() -> None:
    ageless = Patient(height=Q_(170, "cm"), weight=Q_(70, "kg"))
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1..3"})
    # 100 + 180 = 280: under the largest per-m² limit (adults' 550): the age decides
    found = dosing.check(dnr.expand(ageless), prior=[Exposure("daunorubicin", Q_(100, "mg/m**2"))])
    assert (
        "info [not_checked]: daunorubicin: the lifetime limits of daunorubicin "
        "[daunorubicin-label] depend on age, which the patient does not have (the total is under "
        "the largest of them, hard limit of 550 mg/m² lifetime)"
    ) in texts(found)
    assert (
        "info [not_checked]: daunorubicin: prior daunorubicin of 100 mg/m² cannot be compared "
        "with its hard limit of 10 mg/kg lifetime [daunorubicin-label]: give it in mg/kg (or the "
        "BSA or weight it was given at)"
    ) in texts(found)
    assert "over_lifetime" not in [f.code for f in found]
    # 500 + 180 = 680 > 550: over every age's limit
    over = dosing.check(dnr.expand(ageless), prior=[Exposure("daunorubicin", Q_(500, "mg/m**2"))])
    assert texts(over, "over_lifetime") == [
        "error [over_lifetime]: daunorubicin: daunorubicin: 500 mg/m² before and 180 mg/m² "
        "planned make 680 mg/m² of its hard limit of 550 mg/m² lifetime [daunorubicin-label]; 50 "
        "mg/m² remained before this plan"
    ]
    # exactly 550 (370 + 180): not over
    at = dosing.check(dnr.expand(ageless), prior=[Exposure("daunorubicin", Q_(370, "mg/m**2"))])
    assert "over_lifetime" not in [f.code for f in at]
    assert (
        "info [not_checked]: daunorubicin: the lifetime limits of daunorubicin "
        "[daunorubicin-label] depend on age, which the patient does not have (the total is under "
        "the largest of them, hard limit of 550 mg/m² lifetime)"
    ) in texts(at)
    assert "prior_exposure" not in [f.code for f in at]


def test_a_planned_amount_in_another_unit_than_the_lifetime_limit_is_said_unchecked(
    tmp_path: pathlib.Path,
) -> None:
    # a table whose doxorubicin lifetime limit is in IU/m² (as if a product were dosed so): the
    # planned mg cannot be expressed in it
    text = pathlib.Path(dosing.__file__).with_name("data").joinpath("dose_limits.toml")
    path = tmp_path / "limits.toml"
    source = text.read_text("utf-8")
    assert source.count('amount = "550 mg/m**2"') == 2  # doxorubicin and daunorubicin
    path.write_text(source.replace('amount = "550 mg/m**2"', 'amount = "550 IU/m**2"', 1))
    table = load_limits(path)
    found = dosing.check(DOX.expand(ADULT), limits=table)
    assert (
        "info [not_checked]: doxorubicin: the planned doxorubicin cannot be expressed in the unit "
        "of its hard limit of 550 IU/m² lifetime [doxorubicin-label]"
    ) in texts(found)
    # a second lifetime limit after it, in mg/m² (at most 50, for the test), is still compared:
    # 60 planned is over it
    path.write_text(
        path.read_text("utf-8")
        + '\n[[limit]]\nagent = "doxorubicin"\ntier = "usual"\nper = "lifetime"\n'
        'high = "50 mg/m**2"\nunsourced = "a test"\n',
        encoding="utf-8",
    )
    found = dosing.check(DOX.expand(ADULT), limits=load_limits(path))
    assert [
        limit.describe() for limit in compared(DOX.expand(ADULT), load_limits(path))["doxorubicin"]
    ] == [
        "usual range 40–75 mg/m² per administration",
        "usual range at most 50 mg/m² lifetime",
    ]
    assert texts(found) == [
        "warning [outside_range]: doxorubicin: doxorubicin: 0 mg/m² before and 60 mg/m² planned "
        "make 60 mg/m² of its usual range at most 50 mg/m² lifetime [unsourced]; 50 mg/m² "
        "remained before this plan",
        "info [not_checked]: doxorubicin: the planned doxorubicin cannot be expressed in the unit "
        "of its hard limit of 550 IU/m² lifetime [doxorubicin-label]",
    ]


def test_other_agents_prior_exposures_do_not_hide_this_ones() -> None:
    # daunorubicin given before doxorubicin's exposures are listed: 200 + 250 + 60 = 510 of 550
    prior = [
        Exposure("daunorubicin", Q_(100, "mg/m**2")),
        Exposure("doxorubicin", Q_(200, "mg/m**2")),
        Exposure("daunorubicin", Q_(50, "mg/m**2")),
        Exposure("doxorubicin", Q_(250, "mg/m**2")),
    ]
    found = dosing.check(DOX.expand(ADULT), prior=prior)
    assert (
        "info [prior_exposure]: doxorubicin: doxorubicin: 450 mg/m² before and 60 mg/m² planned "
        f"make 510 mg/m² of its {DOX_LIMIT}; 40 mg/m² of the allowance would remain"
    ) in texts(found)
    assert (
        "info [prior_exposure]: daunorubicin: daunorubicin: 150 mg/m² before and 0 mg/m² planned "
        "make 150 mg/m² of its hard limit of 550 mg/m² lifetime [daunorubicin-label]; 400 mg/m² "
        "of the allowance would remain"
    ) in texts(found)


def test_an_ageless_plan_under_every_lifetime_limit_says_the_age_decides() -> None:
    ageless = Patient(height=Q_(170, "cm"), weight=Q_(70, "kg"))
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1..3"})
    under = "which the patient does not have (the total is under the largest of them, {})"
    assert texts(dosing.check(dnr.expand(ageless))) == [
        "info [not_checked]: daunorubicin: daunorubicin was not checked: its hard limit of 550 "
        "mg/m² lifetime [daunorubicin-label] depends on age, which the patient does not have",
        "info [not_checked]: daunorubicin: the lifetime limits of daunorubicin "
        "[daunorubicin-label] depend on age, " + under.format("hard limit of 550 mg/m² lifetime"),
        "info [not_checked]: daunorubicin: the lifetime limits of daunorubicin "
        "[daunorubicin-label] depend on age, " + under.format("hard limit of 10 mg/kg lifetime"),
    ]
    assert compared(dnr.expand(ageless)) == {"daunorubicin": ()}


@pytest.mark.parametrize(
    ("age", "limit"),
    [
        # daunorubicin label: 550 mg/m² in adults, 300 mg/m² in children over 2 years, 10 mg/kg
        # in children under 2: 18 is an adult, 2 is over 2
        (18.0, "hard limit of 550 mg/m²"),
        (17.9, "hard limit of 300 mg/m²"),
        (2.0, "hard limit of 300 mg/m²"),
    ],
)
def test_the_age_groups_of_a_lifetime_limit_at_their_edges(age: float, limit: str) -> None:
    patient = Patient(height=Q_(170, "cm"), weight=Q_(70, "kg"), age=Q_(age, "year"))
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1"})
    found = dosing.check(dnr.expand(patient), prior=[Exposure("daunorubicin", Q_(100, "mg/m**2"))])
    assert [f.message.split(" of its ")[1].split(" lifetime")[0] for f in found][:1] == [limit]


def test_under_two_years_the_lifetime_limit_is_per_kg() -> None:
    # "10 mg/kg in children less than 2 years": 1.9 years, 9 kg; 200 mg/m² given at 0.43 m² and
    # 9 kg is 200 × 0.43 / 9 = 9.556 mg/kg; with 1 mg/kg planned, 10.56 mg/kg
    infant = Patient(height=Q_(75, "cm"), weight=Q_(9, "kg"), age=Q_(1.9, "year"))
    plan = template({"agent": "daunorubicin", "amount": "1 mg/kg", "days": "1"})
    prior = [Exposure("daunorubicin", Q_(200, "mg/m**2"), bsa=Q_(0.43, "m**2"), weight=Q_(9, "kg"))]
    assert f"{200 * 0.43 / 9:.4g} {200 * 0.43 / 9 + 1:.4g}" == "9.556 10.56"
    assert texts(dosing.check(plan.expand(infant), prior=prior)) == [
        "error [over_lifetime]: daunorubicin: daunorubicin: 9.556 mg/kg before and 1 mg/kg planned "
        "make 10.56 mg/kg of its hard limit of 10 mg/kg lifetime [daunorubicin-label]; 0.4444 "
        "mg/kg remained before this plan",
        "info [prior_exposure]: daunorubicin: daunorubicin: 9.556 mg/kg before and 1 mg/kg planned "
        "make 10.56 mg/kg of its hard limit of 10 mg/kg lifetime [daunorubicin-label]; 0 mg/kg of "
        "the allowance would remain",
    ]


def test_a_planned_dose_per_kg_counts_per_m2_of_the_patients_bsa() -> None:
    # daunorubicin 1 mg/kg on 3 days for 70 kg is 210 mg; BSA √(175 × 70 / 3600) = 1.8447 m²:
    # 113.8 mg/m², with 500 before 613.8 mg/m², over the adults' 550
    planned = 3 * 70 / math.sqrt(175 * 70 / 3600)
    assert f"{planned:.4g} {500 + planned:.4g}" == "113.8 613.8"
    dnr = template({"agent": "daunorubicin", "amount": "1 mg/kg", "days": "1..3"})
    found = dosing.check(dnr.expand(ADULT), prior=[Exposure("daunorubicin", Q_(500, "mg/m**2"))])
    assert texts(found, "over_lifetime") == [
        "error [over_lifetime]: daunorubicin: daunorubicin: 500 mg/m² before and 113.8 mg/m² "
        "planned make 613.8 mg/m² of its hard limit of 550 mg/m² lifetime [daunorubicin-label]; "
        "50 mg/m² remained before this plan"
    ]


def test_a_prior_amount_that_cannot_be_converted_is_said_for_every_limit() -> None:
    # 5 mg/kg without the BSA it was given at cannot be expressed per m²: neither the adults'
    # hard limit nor their usual range is checked, and each says so
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1"})
    found = dosing.check(dnr.expand(ADULT), prior=[Exposure("daunorubicin", Q_(5, "mg/kg"))])
    assert texts(found) == [
        "info [not_checked]: daunorubicin: prior daunorubicin of 5 mg/kg cannot be compared with "
        f"its {limit} lifetime [daunorubicin-label]: give it in mg/m² (or the BSA or weight it "
        "was given at)"
        for limit in ("hard limit of 550 mg/m²", "usual range at most 400 mg/m²")
    ]


def test_a_lifetime_limit_counts_its_agent_among_others() -> None:
    # vincristine first, then doxorubicin: 450 + 60 = 510 of 550
    regimen = template(
        {"agent": "vincristine", "amount": "1.4 mg/m**2", "cap": "2 mg", "days": "1"},
        {"agent": "Adriamycin", "amount": "60 mg/m**2", "days": "2"},
    )
    found = dosing.check(regimen.expand(ADULT), prior=[Exposure("doxorubicin", Q_(450, "mg/m**2"))])
    assert texts(found, "prior_exposure") == [
        f"info [prior_exposure]: doxorubicin: doxorubicin: 450 mg/m² before and 60 mg/m² planned "
        f"make 510 mg/m² of its {DOX_LIMIT}; 40 mg/m² of the allowance would remain"
    ]


def test_a_cohort_of_children_meets_only_the_childrens_lifetime_limit() -> None:
    # daunorubicin: 300 mg/m² "in children over 2 years"; the adults' limits concern neither
    kids = Patient(
        height=Q_([140.0, 150.0], "cm"), weight=Q_([35.0, 40.0], "kg"), age=Q_([10.0, 12.0], "year")
    )
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1..3"})
    found = dosing.check(dnr.expand(kids), prior=[Exposure("daunorubicin", Q_(100, "mg/m**2"))])
    assert [limit.describe() for limit in compared(dnr.expand(kids))["daunorubicin"]] == [
        "hard limit of 300 mg/m² lifetime"
    ]
    assert texts(found) == [
        "info [prior_exposure]: daunorubicin: daunorubicin: 100 mg/m² before and 180 mg/m² planned "
        "make 280 mg/m² of its hard limit of 300 mg/m² lifetime [daunorubicin-label]; 20 mg/m² of "
        "the allowance would remain"
    ]


def test_a_product_lifetime_limit_counts_only_that_products_doses(tmp_path: pathlib.Path) -> None:
    # a table with a lifetime limit for Thymoglobulin only (20 mg/kg, for the test): a plan of
    # Grafalon 10 mg/kg on day 1 and Thymoglobulin 2.5 mg/kg on days 2 and 3 counts 5 mg/kg
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "anti-thymocyte globulin (rabbit)"\nproduct = "Thymoglobulin"\n'
        'tier = "hard"\nper = "lifetime"\namount = "20 mg/kg"\nunsourced = "a test"\n',
    )
    regimen = template(
        {"agent": "Grafalon", "amount": "10 mg/kg", "days": "1", "setting": "gvhd-prophylaxis"},
        {"agent": "Thymoglobulin", "amount": "2.5 mg/kg", "days": "2..3"},
    )
    prior = [Exposure("Thymoglobulin", Q_(12, "mg/kg"))]
    found = dosing.check(regimen.expand(ADULT), prior=prior, limits=table)
    assert texts(found, "prior_exposure") == [
        "info [prior_exposure]: anti-thymocyte globulin (rabbit): anti-thymocyte globulin "
        "(rabbit): 12 mg/kg before and 5 mg/kg planned make 17 mg/kg of its hard limit of 20 mg/kg "
        "lifetime [unsourced]; 3 mg/kg of the allowance would remain"
    ]
    assert "over_lifetime" not in [f.code for f in found]


def test_a_cohort_lifetime_finding_says_whom() -> None:
    cohort = Patient(
        height=Q_([170.0, 170.0], "cm"), weight=Q_([70.0, 70.0], "kg"), age=Q_([40.0, 10.0], "year")
    )
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1"})
    # 250 + 60 = 310 mg/m²: over the children's 300 (the 10-year-old), under the adults' 550
    found = dosing.check(dnr.expand(cohort), prior=[Exposure("daunorubicin", Q_(250, "mg/m**2"))])
    assert texts(found, "over_lifetime") == [
        "error [over_lifetime]: daunorubicin: daunorubicin: 250 mg/m² before and 60 mg/m² planned "
        "make 310 mg/m² of its hard limit of 300 mg/m² lifetime [daunorubicin-label]; 50 mg/m² "
        "remained before this plan (patients: 1 of 2)"
    ]
    over = next(f for f in found if f.code == "over_lifetime")
    assert over.patients.tolist() == [False, True]
    assert not over.patients.flags.writeable


# -- course.py: one transplant in several schedules, and repeats ---------------------------------


def _mel(amount: str, key: str = "mel") -> dosing.Regimen:
    line = {"agent": "melphalan", "amount": amount, "days": "-2", "acknowledge": "x"}
    return template(line, key=key, frame="transplant", cycle_length=None, setting="conditioning")


def test_one_transplant_in_two_schedules_sums_its_course_limit_at_the_edge() -> None:
    # melphalan: "200 mg/m2" a course (Evomela, Alkeran IV labels); 100 + 100 = 200 is at it
    at = dosing.check(
        _mel("100 mg/m**2", "a").expand(ADULT), _mel("100 mg/m**2", "b").expand(ADULT)
    )
    assert "over_limit" not in [f.code for f in at]
    # 100 + 110 = 210 is over it
    found = dosing.check(
        _mel("100 mg/m**2", "a").expand(ADULT), _mel("110 mg/m**2", "b").expand(ADULT)
    )
    assert texts(found, "over_limit") == [
        "error [over_limit]: melphalan: melphalan totals 210 mg/m² over the schedules of one "
        "transplant (a, b), over its hard limit of 200 mg/m² per course [evomela-label, "
        "alkeran-iv-label]; if these are two transplants, give each its transplant date"
    ]
    assert texts(found, "over_limit") == texts(
        [f for f in found if f.references == ("evomela-label", "alkeran-iv-label")], "over_limit"
    )
    # a cohort: 100 + 110 for both
    cohort = Patient(
        height=Q_([175.0, 160.0], "cm"), weight=Q_([70.0, 50.0], "kg"), age=Q_([40.0, 30.0], "year")
    )
    found = dosing.check(
        _mel("100 mg/m**2", "a").expand(cohort), _mel("110 mg/m**2", "b").expand(cohort)
    )
    assert [
        t.endswith(
            "(patients: 2 of 2); if these are two transplants, give each its transplant date"
        )
        for t in texts(found, "over_limit")
    ] == [True]
    assert [f.patients.tolist() for f in found if f.code == "over_limit"] == [[True, True]]


def _tx(*lines: dict[str, Any], key: str, setting: str | None = "conditioning") -> dosing.Regimen:
    """A user's template in transplant days."""
    top: dict[str, Any] = {"key": key, "frame": "transplant", "cycle_length": None}
    if setting:
        top["setting"] = setting
    return template(*[{"acknowledge": "x", **line} for line in lines], **top)


def test_one_transplant_sums_each_agent_whatever_else_its_schedules_give() -> None:
    tbi = {"agent": "TBI", "amount": "2 Gy"}
    # TBI 4 × 2 = 8 Gy in each: 16 Gy over 15.75 per course; no fraction is over 10 Gy
    found = dosing.check(
        _tx({**tbi, "days": "-8..-5"}, key="a").expand(ADULT),
        _tx({**tbi, "days": "-4..-1"}, key="b").expand(ADULT),
    )
    assert texts(found, "over_limit") == [
        "error [over_limit]: total body irradiation: total body irradiation totals 16 Gy over the "
        "schedules of one transplant (a, b), over its hard limit of 15.75 Gy per course "
        "[unsourced]; if these are two transplants, give each its transplant date"
    ]
    # 3 × 2 = 6 Gy in each, 12 Gy: under every limit (and the 10 Gy is per fraction, not summed)
    found = dosing.check(
        _tx({**tbi, "days": "-6..-4"}, key="a").expand(ADULT),
        _tx({**tbi, "days": "-3..-1"}, key="b").expand(ADULT),
    )
    assert "over_limit" not in codes_of(found)
    # fludarabine first in one schedule, melphalan in both: 100 + 110 = 210 mg/m² over 200
    mel = {"agent": "melphalan", "days": "-2"}
    flu = {"agent": "fludarabine", "amount": "30 mg/m**2", "days": "-6..-3"}
    found = dosing.check(
        _tx(flu, {**mel, "amount": "100 mg/m**2"}, key="a").expand(ADULT),
        _tx({**mel, "amount": "110 mg/m**2"}, key="b").expand(ADULT),
    )
    assert [f.agent for f in found if f.code == "over_limit"] == ["melphalan"]
    # another agent's intrathecal line does not stop melphalan's sum
    it = {"agent": "cytarabine", "amount": "30 mg", "days": "-5", "setting": "intrathecal"}
    found = dosing.check(
        _tx({**mel, "amount": "100 mg/m**2"}, key="a").expand(ADULT),
        _tx(it, {**mel, "amount": "110 mg/m**2"}, key="b").expand(ADULT),
    )
    assert [f.agent for f in found if f.code == "over_limit"] == ["melphalan"]


def test_one_transplant_sums_a_products_course_limits() -> None:
    # Thymoglobulin for GVHD prophylaxis: "a total dose of 10 mg/kg" at most (hard, per course);
    # 2.5 mg/kg on 2 days in each of two schedules: 10 mg/kg, at it; on 3 days: 15, over it
    atg = {"agent": "Thymoglobulin", "amount": "2.5 mg/kg", "setting": "gvhd-prophylaxis"}
    at = dosing.check(
        _tx({**atg, "days": "-3..-2"}, key="a", setting=None).expand(ADULT),
        _tx({**atg, "days": "1..2"}, key="b", setting=None).expand(ADULT),
    )
    assert "over_limit" not in codes_of(at)
    over = dosing.check(
        _tx({**atg, "days": "-3..-1"}, key="a", setting=None).expand(ADULT),
        _tx({**atg, "days": "1..3"}, key="b", setting=None).expand(ADULT),
    )
    assert [f.message.split(", over its ")[1][:35] for f in over if f.code == "over_limit"] == [
        "hard limit of 10 mg/kg per course ["
    ]
    # without a setting, the limit for every use, 25 mg/kg a course: 2.5 × 6 × 2 = 30 is over it
    plain = {"agent": "Thymoglobulin", "amount": "2.5 mg/kg"}
    over = dosing.check(
        _tx({**plain, "days": "-7..-2"}, key="a", setting=None).expand(ADULT),
        _tx({**plain, "days": "1..6"}, key="b", setting=None).expand(ADULT),
    )
    assert [f.message.split(", over its ")[1][:35] for f in over if f.code == "over_limit"] == [
        "hard limit of 25 mg/kg per course ["
    ]


def test_one_transplants_cohort_shows_the_largest_total_and_whom(tmp_path: pathlib.Path) -> None:
    # cyclophosphamide "200 mg/kg" a course: 2000 mg/m² in each of two schedules is 4000 mg/m²,
    # × 2.0 m² / 30 kg = 266.7 mg/kg (over), × 1.0 m² / 50 kg = 80 mg/kg
    cohort = Patient(
        bsa=Q_([2.0, 1.0], "m**2"), weight=Q_([30.0, 50.0], "kg"), age=Q_([30.0] * 2, "year")
    )
    cy = {"agent": "cyclophosphamide", "amount": "2000 mg/m**2"}
    found = dosing.check(
        _tx({**cy, "days": "-6"}, key="a").expand(cohort),
        _tx({**cy, "days": "-3"}, key="b").expand(cohort),
    )
    assert f"{4000 * 2.0 / 30:.4g}" == "266.7"
    transplant = [f for f in found if "one transplant" in f.message]
    assert [f.message[:49] for f in transplant] == [
        "cyclophosphamide totals 266.7 mg/kg over the sche"
    ]
    assert "(patients: 1 of 2)" in transplant[0].message
    assert transplant[0].patients.tolist() == [True, False]


def test_one_transplants_age_specific_course_limit(tmp_path: pathlib.Path) -> None:
    # a table with a children's course limit for melphalan (150 mg/m², for the test)
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "melphalan"\ntier = "hard"\nper = "course"\n'
        'amount = "150 mg/m**2"\nage_below = "18 year"\nunsourced = "a test"\n',
    )
    mel = {"agent": "melphalan", "amount": "80 mg/m**2"}
    child = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"))
    schedules = [
        _tx({**mel, "days": "-3"}, key="a").expand(child),
        _tx({**mel, "days": "-2"}, key="b").expand(child),
    ]
    found = dosing.check(*schedules, limits=table)
    assert [f.message.split(", over its ")[1][:34] for f in found if f.code == "over_limit"] == [
        "hard limit of 150 mg/m² per course"
    ]
    # an adult: the limit is not theirs; without an age it cannot be applied
    for patient in (ADULT, Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))):
        schedules = [
            _tx({**mel, "days": "-3"}, key="a").expand(patient),
            _tx({**mel, "days": "-2"}, key="b").expand(patient),
        ]
        found = dosing.check(*schedules, limits=table)
        assert [f for f in found if "one transplant" in f.message] == []


def test_one_transplants_course_limits_are_each_compared(tmp_path: pathlib.Path) -> None:
    # a table with two melphalan course limits before the label's 200 mg/m²: one in IU/m² (no
    # planned mg can be compared with it) and one for children only (150 mg/m², for the test)
    text = pathlib.Path(dosing.__file__).with_name("data").joinpath("dose_limits.toml")
    source = text.read_text("utf-8")
    first = source.index('[[limit]]\nagent = "melphalan"')
    extra = (
        '[[limit]]\nagent = "melphalan"\ntier = "hard"\nper = "course"\namount = "150 IU/m**2"\n'
        'unsourced = "a test"\n\n[[limit]]\nagent = "melphalan"\ntier = "hard"\nper = "course"\n'
        'amount = "150 mg/m**2"\nage_below = "18 year"\nunsourced = "a test"\n\n'
    )
    path = tmp_path / "limits.toml"
    path.write_text(source[:first] + extra + source[first:], encoding="utf-8")
    table = load_limits(path)
    mel = {"agent": "melphalan", "days": "-2"}
    # an adult: 100 + 110 = 210 mg/m², over the label's 200
    found = dosing.check(
        _tx({**mel, "amount": "100 mg/m**2"}, key="a").expand(ADULT),
        _tx({**mel, "amount": "110 mg/m**2"}, key="b").expand(ADULT),
        limits=table,
    )
    assert [f.message.split(", over its ")[1][:34] for f in found if f.code == "over_limit"] == [
        "hard limit of 200 mg/m² per course"
    ]
    # the limit in IU/m² is said not compared, not skipped without a word
    assert [
        f.message for f in found if f.code == "not_checked" and "one transplant" in f.message
    ] == [
        "melphalan over the schedules of one transplant (a, b) was not compared with its hard "
        "limit of 150 IU/m² per course [unsourced]: a dose could not be expressed in IU/m²"
    ]
    # the children's limit is the first schedule's patient's (a child of 12): 80 + 80 = 160
    child = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"))
    found = dosing.check(
        _tx({**mel, "amount": "80 mg/m**2"}, key="a").expand(child),
        _tx({**mel, "amount": "80 mg/m**2"}, key="b").expand(ADULT),
        limits=table,
    )
    assert [f.message.split(", over its ")[1][:34] for f in found if f.code == "over_limit"] == [
        "hard limit of 150 mg/m² per course"
    ]


def test_repeats_across_transplants_are_told_in_date_order() -> None:
    mel = {"agent": "melphalan", "amount": "100 mg/m**2", "days": "-2"}
    early = _tx(mel, key="early").expand(ADULT, transplant_date=dt.date(2025, 1, 10))
    late = _tx(mel, key="late").expand(ADULT, transplant_date=dt.date(2026, 3, 2))
    repeat = (
        "warning [prior_exposure]: melphalan: a repeat course of melphalan (alkylating agent): "
        "planned in {} and again in {}"
    )
    assert texts(dosing.check(late, early), "prior_exposure") == [repeat.format("early", "late")]
    # an undated transplant comes after the dated ones
    undated = _tx(mel, key="undated").expand(ADULT)
    assert texts(dosing.check(undated, early), "prior_exposure") == [
        repeat.format("early", "undated")
    ]
    # an agent new in the later transplant, given first, does not hide a repeat after it
    flu = {"agent": "fludarabine", "amount": "30 mg/m**2", "days": "-6..-3"}
    later = _tx(flu, mel, key="later").expand(ADULT, transplant_date=dt.date(2026, 3, 2))
    assert texts(dosing.check(early, later), "prior_exposure") == [repeat.format("early", "later")]
    # a repeat of an agent of no warned class (fludarabine) is not a prior exposure finding
    first = _tx(flu, key="f1").expand(ADULT, transplant_date=dt.date(2025, 1, 10))
    second = _tx(flu, key="f2").expand(ADULT, transplant_date=dt.date(2026, 3, 2))
    assert "prior_exposure" not in codes_of(dosing.check(first, second))
    # nor of an unknown agent
    study = {"agent": "Study Drug X", "amount": "5 mg/m**2", "days": "-2"}
    first = _tx(study, key="s1").expand(ADULT, transplant_date=dt.date(2025, 1, 10))
    second = _tx(study, key="s2").expand(ADULT, transplant_date=dt.date(2026, 3, 2))
    assert "prior_exposure" not in codes_of(dosing.check(first, second))


def test_two_transplants_in_one_plan_read_in_full() -> None:
    first = dosing.get_regimen("mel-tbi-mac").expand(ADULT, transplant_date=dt.date(2025, 1, 10))
    second = dosing.get_regimen("mel-tbi-mac").expand(ADULT, transplant_date=dt.date(2026, 3, 2))
    story = "planned in mel-tbi-mac and again in mel-tbi-mac"
    melphalan = (
        f"warning [prior_exposure]: melphalan: a repeat course of melphalan (alkylating agent): "
        f"{story}"
    )
    assert texts(dosing.check(first, second), "prior_exposure") == [
        "error [prior_exposure]: total body irradiation: total body irradiation in two transplants "
        f"of one plan ({story}); a second course is an error unless it is intended: pass "
        "intended_repeats=['total body irradiation']",
        melphalan,
    ]
    assert texts(dosing.check(second, first, intended_repeats=["TBI"]), "prior_exposure") == [
        f"warning [prior_exposure]: total body irradiation: total body irradiation again, as "
        f"intended: {story}",
        melphalan,
    ]


def test_a_repeat_after_a_prior_exposure_reads_in_full() -> None:
    second = dosing.get_regimen("mel-tbi-mac").expand(CHILD)
    history = [Exposure("TBI", Q_(12, "Gy")), Exposure("Alkeran", Q_(180, "mg/m**2"))]
    tbi = (
        "total body irradiation again: the patient already had it (given before: 12 Gy; planned: "
        "12 Gy in mel-tbi-mac); a second course is an error unless it is intended: pass "
        "intended_repeats=['total body irradiation'] (the command line's --intended-repeat)"
    )
    melphalan = (
        "warning [prior_exposure]: melphalan: a repeat course of melphalan (alkylating agent): "
        "given before: 180 mg/m²; planned: 180 mg/m² in mel-tbi-mac"
    )
    assert texts(dosing.check(second, prior=history), "prior_exposure") == [
        f"error [prior_exposure]: total body irradiation: {tbi}",
        melphalan,
    ]
    intended = dosing.check(second, prior=history, intended_repeats="TBI")
    assert texts(intended, "prior_exposure") == [
        melphalan,
        "warning [prior_exposure]: total body irradiation: total body irradiation again, as "
        "intended: given before: 12 Gy; planned: 12 Gy in mel-tbi-mac",
    ]


def test_anthracyclines_after_another_read_in_full() -> None:
    mixing = (
        "warning [prior_exposure]: {agent}: {agent} after {before} (anthracyclines add up to one "
        "lifetime exposure; their equivalence is not computed here, since published ratios "
        "disagree): count the cumulative dose by hand"
    )
    # doxorubicin after daunorubicin
    found = dosing.check(DOX.expand(ADULT), prior=[Exposure("daunorubicin", Q_(100, "mg/m**2"))])
    assert texts(found, "prior_exposure")[0] == mixing.format(
        agent="doxorubicin", before="daunorubicin"
    )
    # doxorubicin after doxorubicin alone: the lifetime limit counts it, no mixing warning
    same = dosing.check(DOX.expand(ADULT), prior=[Exposure("doxorubicin", Q_(100, "mg/m**2"))])
    assert [f.severity for f in same if f.code == "prior_exposure"] == ["info"]
    # doxorubicin after doxorubicin and daunorubicin: mixed
    both = [
        Exposure("doxorubicin", Q_(100, "mg/m**2")),
        Exposure("daunorubicin", Q_(50, "mg/m**2")),
    ]
    found = dosing.check(DOX.expand(ADULT), prior=both)
    assert texts(found, "prior_exposure")[0] == mixing.format(
        agent="doxorubicin", before="daunorubicin, doxorubicin"
    )


def test_the_cumulative_story_lists_every_prior_and_planned_amount() -> None:
    # melphalan 70 mg/m² on days −3 and −2 in two lines: 140 mg/m² planned in each schedule
    def two_lines(key: str) -> dosing.Regimen:
        return template(
            {"agent": "melphalan", "amount": "70 mg/m**2", "days": "-3"},
            {"agent": "melphalan", "amount": "70 mg/m**2", "days": "-2"},
            key=key,
            frame="transplant",
            cycle_length=None,
            setting="conditioning",
        )

    prior = [Exposure("melphalan", Q_(100, "mg/m**2")), Exposure("Alkeran", Q_(80, "mg/m**2"))]
    found = dosing.check(two_lines("first").expand(ADULT), prior=prior)
    assert texts(found, "prior_exposure") == [
        "warning [prior_exposure]: melphalan: a repeat course of melphalan (alkylating agent): "
        "given before: 100 mg/m², 80 mg/m²; planned: 140 mg/m² in first"
    ]
    first = two_lines("first").expand(ADULT, transplant_date=dt.date(2026, 1, 10))
    second = two_lines("second").expand(ADULT, transplant_date=dt.date(2026, 6, 10))
    found = dosing.check(first, second, prior=prior[:1])
    assert texts(found, "prior_exposure")[-1] == (
        "warning [prior_exposure]: melphalan: a repeat course of melphalan (alkylating agent): "
        "given before: 100 mg/m²; planned: 140 mg/m² in first, 140 mg/m² in second"
    )


def test_an_unknown_agent_planned_and_given_before_is_reported_not_matched() -> None:
    plan = template({"agent": "Study Drug X", "amount": "5 mg/m**2", "days": "1"})
    found = dosing.check(plan.expand(ADULT), prior=[Exposure("Study Drug X", Q_(5, "mg/m**2"))])
    assert sorted(codes_of(found)) == [
        "not_checked",
        "not_checked",
        "unknown_agent",
        "unknown_agent",
    ]


def test_a_small_prior_amount_is_still_counted_and_said() -> None:
    # 0.5 mg/m² before and 60 planned: 60.5 of 550, 489.5 would remain
    found = dosing.check(DOX.expand(ADULT), prior=[Exposure("doxorubicin", Q_(0.5, "mg/m**2"))])
    assert texts(found) == [
        "info [prior_exposure]: doxorubicin: doxorubicin: 0.5 mg/m² before and 60 mg/m² planned "
        f"make 60.5 mg/m² of its {DOX_LIMIT}; 489.5 mg/m² of the allowance would remain"
    ]


def test_an_unknown_prior_agent_reads_in_full() -> None:
    found = dosing.check(INO_1.expand(CHILD), prior=[Exposure("melfalan", Q_(180, "mg/m**2"))])
    assert texts(found) == [
        "warning [unknown_agent]: melfalan: the prior exposure 'melfalan' is not in the "
        "vocabulary (data/agents.toml): it is matched to no planned agent, and no limit counts it",
        "info [not_checked]: melfalan: the prior exposure 'melfalan' was not checked: check its "
        "spelling",
    ]


# -- course.py: conditioning intensity ---------------------------------------------------------


def _declared(intensity: str, *lines: dict[str, Any]) -> list[str]:
    regimen = template(*lines, intensity=intensity, setting="conditioning")
    return texts(dosing.check(regimen.expand(ADULT)), None)


def test_the_intensity_findings_read_in_full() -> None:
    ric = _declared("RIC", {"agent": "TBI", "amount": "2 Gy", "days": "1..6"})
    assert ric == [
        "warning [intensity]: total body irradiation: test declares RIC, but TBI 12 Gy "
        "fractionated (at least 8 Gy fractionated is myeloablative) is past the reduced-intensity "
        f"thresholds of the working definitions {INTENSITY_SOURCES}; check the source"
    ]
    mac = _declared("MAC", {"agent": "TBI", "amount": "2 Gy", "days": "1..3"})
    assert mac == [
        "warning [intensity]: total body irradiation: test declares MAC, but none of the "
        "myeloablative working definitions is met by its total body irradiation "
        f"{INTENSITY_SOURCES}"
    ]
    none = _declared("MAC", {"agent": "fludarabine", "amount": "30 mg/m**2", "days": "1..4"})
    assert none == [
        "info [not_checked]: fludarabine: test declares MAC: none of its agents is in the working "
        f"definitions this library knows {INTENSITY_SOURCES}, so its intensity was not checked"
    ]
    # melphalan 2 × 70.5 = 141 mg/m²: over 140
    mel = _declared("NMA", {"agent": "melphalan", "amount": "70.5 mg/m**2", "days": "1..2"})
    assert mel == [
        "warning [intensity]: melphalan: test declares NMA, but melphalan 141 mg/m² (over 140 "
        "mg/m² is myeloablative) is past the reduced-intensity thresholds of the working "
        f"definitions {INTENSITY_SOURCES}; check the source"
    ]
    # TBI 5 Gy once: at the single-fraction threshold, TBI 5 Gy single
    single = _declared("RIC", {"agent": "TBI", "amount": "5 Gy", "days": "1", "acknowledge": "x"})
    assert next(t for t in single if "[intensity]" in t).startswith(
        "warning [intensity]: total body irradiation: test declares RIC, but TBI 5 Gy single (at "
        "least 5 Gy single is myeloablative) is past"
    )
    # a declared MAC that is met says nothing; RIC that is not met says nothing
    assert _declared("MAC", {"agent": "TBI", "amount": "2 Gy", "days": "1..4"}) == []
    assert _declared("RIC", {"agent": "TBI", "amount": "2 Gy", "days": "1..3"}) == []


def test_every_criterion_and_every_declaring_schedule_is_checked() -> None:
    # TBI 6 × 2 = 12 Gy fractionated and melphalan 141 mg/m², declared RIC: both are named
    both = _declared(
        "RIC",
        {"agent": "TBI", "amount": "2 Gy", "days": "1..6"},
        {"agent": "melphalan", "amount": "141 mg/m**2", "days": "7", "acknowledge": "x"},
    )
    assert [t for t in both if "[intensity]" in t] == [
        "warning [intensity]: melphalan, total body irradiation: test declares RIC, but TBI 12 Gy "
        "fractionated (at least 8 Gy fractionated is myeloablative); melphalan 141 mg/m² (over "
        "140 mg/m² is myeloablative) is past the reduced-intensity thresholds of the working "
        f"definitions {INTENSITY_SOURCES}; check the source"
    ]
    # a schedule that declares nothing, then one that does: the second is checked
    plain = template({"agent": "fludarabine", "amount": "30 mg/m**2", "days": "1"}, key="plain")
    ric = template(
        {"agent": "TBI", "amount": "2 Gy", "days": "1..6"},
        key="ric",
        intensity="RIC",
        setting="conditioning",
    )
    found = [
        f for f in dosing.check(plain.expand(ADULT), ric.expand(ADULT)) if f.code == "intensity"
    ]
    assert [(f.regimen, f.references) for f in found] == [("ric", ("giralt2009", "bacigalupo2009"))]
    mac = template(
        {"agent": "TBI", "amount": "2 Gy", "days": "1..3"},
        key="mac",
        intensity="MAC",
        setting="conditioning",
    )
    found = [f for f in dosing.check(mac.expand(ADULT)) if f.code == "intensity"]
    assert [(f.regimen, f.references) for f in found] == [("mac", ("giralt2009", "bacigalupo2009"))]
    unknown = template(
        {"agent": "fludarabine", "amount": "30 mg/m**2", "days": "1..4"},
        key="flu",
        intensity="NMA",
        setting="conditioning",
    )
    found = [f for f in dosing.check(unknown.expand(ADULT)) if "intensity" in f.message]
    assert [(f.code, f.regimen, f.references) for f in found] == [("not_checked", "flu", ())]
    two = template(
        {"agent": "fludarabine", "amount": "30 mg/m**2", "days": "1..4"},
        {"agent": "cytarabine", "amount": "1 g/m**2", "days": "1..4"},
        key="flu-arac",
        intensity="RIC",
        setting="conditioning",
    )
    found = [f for f in dosing.check(two.expand(ADULT)) if "intensity" in f.message]
    assert [f.agent for f in found] == ["fludarabine, cytarabine"]


def test_the_intensity_finding_names_every_agent_of_the_definitions() -> None:
    # Flu/Mel 140 with thiotepa 5 mg/kg declared MAC: neither meets its threshold
    found = _declared(
        "MAC",
        {"agent": "thiotepa", "amount": "5 mg/kg", "days": "1"},
        {"agent": "melphalan", "amount": "140 mg/m**2", "days": "2"},
    )
    assert [t for t in found if "[intensity]" in t] == [
        "warning [intensity]: melphalan, thiotepa: test declares MAC, but none of the "
        "myeloablative working definitions is met by its melphalan, thiotepa "
        f"{INTENSITY_SOURCES}"
    ]
    # both met while declared RIC: both named, in the definitions' order
    found = _declared(
        "RIC",
        {"agent": "thiotepa", "amount": "5 mg/kg", "days": "1..2"},
        {"agent": "melphalan", "amount": "141 mg/m**2", "days": "3"},
    )
    assert [t for t in found if "[intensity]" in t] == [
        "warning [intensity]: melphalan, thiotepa: test declares RIC, but melphalan 141 mg/m² "
        "(over 140 mg/m² is myeloablative); thiotepa 10 mg/kg (at least 10 mg/kg is "
        "myeloablative) is past the reduced-intensity thresholds of the working definitions "
        f"{INTENSITY_SOURCES}; check the source"
    ]


@pytest.mark.parametrize(
    ("route", "met"),
    [
        # busulfan 3 × 2.4 = 7.2 mg/kg: the intravenous threshold (0.8 × 9), not the oral one
        ("IV", True),
        ("i.v.", True),
        ("Intravenous", True),
        (" intravenously ", True),
        ("PO", False),
        ("p.o.", False),
        ("oral", False),
        ("orally", False),
        ("by mouth", False),
    ],
)
def test_busulfans_route_chooses_its_threshold(route: str, met: bool) -> None:
    line = {"agent": "Bu", "amount": "2.4 mg/kg", "days": "1..3", "route": route}
    found = [t for t in _declared("RIC", line) if "[intensity]" in t]
    if met:
        assert found == [
            "warning [intensity]: busulfan: test declares RIC, but busulfan 7.2 mg/kg (at least "
            "7.2 mg/kg is myeloablative) is past the reduced-intensity thresholds of the working "
            f"definitions {INTENSITY_SOURCES}; check the source"
        ]
    else:
        assert found == []
    # 3 × 3 = 9 mg/kg by mouth meets the oral threshold
    line = {"agent": "Bu", "amount": "3 mg/kg", "days": "1..3", "route": route}
    found = [t for t in _declared("RIC", line) if "[intensity]" in t]
    words = "7.2 mg/kg" if met else "9 mg/kg"
    assert found == [
        f"warning [intensity]: busulfan: test declares RIC, but busulfan 9 mg/kg (at least {words} "
        "is myeloablative) is past the reduced-intensity thresholds of the working definitions "
        f"{INTENSITY_SOURCES}; check the source"
    ]


def test_busulfan_without_a_route_is_not_compared_and_says_so() -> None:
    # The working definitions give busulfan's thresholds per route (oral or intravenous mg/kg):
    # a line without a route cannot be compared, and check() says so whatever is declared.
    line = {"agent": "Bu", "amount": "4 mg/kg", "days": "1..4"}
    for declared in ("RIC", "MAC"):
        assert _declared(declared, line) == [
            f"info [not_checked]: busulfan: test declares {declared}, but its busulfan could not "
            f"be compared with the working definitions {INTENSITY_SOURCES}, whose thresholds are "
            "for busulfan: oral doses in mg/kg or intravenous doses in mg/kg: its intensity was "
            "not checked"
        ]


def test_the_cycle_rules_are_read_field_by_field_from_the_table() -> None:
    # Values written here from the Besponsa label as quoted in data/course_rules.toml: 2 cycles
    # before a transplant (a 3rd at most), 6 in all, stop without response after 3, at least 6
    # days between doses, from 1 year of age. A table built here, so each field is distinct.
    from dosing.checks.course import CYCLE_RULES, _cycle_rules

    (ino,) = [rule for rule in CYCLE_RULES if rule.agent == "inotuzumab ozogamicin"]
    assert (ino.max_cycles, ino.before_transplant, ino.max_before_transplant) == (6, 2, 3)
    assert (ino.stop_without_response_after, ino.min_days, ino.min_age_years) == (3, 6, 1.0)
    assert ino.references == ("besponsa-label-2024", "besponsa-eu-leaflet")
    (rule,) = _cycle_rules(
        {
            "Besponsa": {
                "max_cycles": "7",
                "cycles_before_transplant": 1,
                "max_cycles_before_transplant": 4,
                "stop_without_response_after": 5,
                "min_days_between_doses": 8,
                "min_age": "18 month",
                "references": ["besponsa-label-2024"],
            }
        }
    )
    assert rule.agent == "inotuzumab ozogamicin"  # the brand read as its agent
    assert (rule.max_cycles, rule.before_transplant, rule.max_before_transplant) == (7, 1, 4)
    assert (rule.stop_without_response_after, rule.min_days) == (5, 8)
    assert rule.min_age_years == pytest.approx(1.5)  # 18 months, converted by pint
    assert rule.references == ("besponsa-label-2024",)
    with pytest.raises(dosing.DosingError, match="cycle rules of Besponsa"):
        _cycle_rules(
            {
                "Besponsa": {
                    **dict.fromkeys(
                        (
                            "max_cycles",
                            "cycles_before_transplant",
                            "max_cycles_before_transplant",
                            "stop_without_response_after",
                            "min_days_between_doses",
                        ),
                        1,
                    ),
                    "min_age": "1 year",
                    "references": ["no-such-source"],
                }
            }
        )


# -- course.py: the survivors of the full-suite mutmut run (commit 715efdc) ----------------------


def test_a_cycle_rule_for_an_agent_not_planned_does_not_stop_the_next_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # course_rules.toml may hold several [cycles] tables: a rule whose agent is neither planned
    # nor given before is skipped, and the rules after it are still applied. Here a rule for
    # busulfan (not in the plan) comes before the label's inotuzumab rule: 5 prior cycles and 2
    # planned are 7, over the label's 6.
    from dosing.checks import course

    other = course._cycle_rules(
        {
            "busulfan": {
                "max_cycles": 1,
                "cycles_before_transplant": 1,
                "max_cycles_before_transplant": 1,
                "stop_without_response_after": 1,
                "min_days_between_doses": 1,
                "min_age": "1 year",
                "references": ["busulfex-eu-smpc"],
            }
        }
    )
    monkeypatch.setattr(course, "CYCLE_RULES", (*other, *course.CYCLE_RULES))
    five = [Exposure("Besponsa", Q_(7.5, "mg/m**2"), cycles=5)]
    found = dosing.check(INO_1.expand(CHILD), INO_CR.expand(CHILD), prior=five)
    assert texts(found, "cycles") == [
        "error [cycles]: inotuzumab ozogamicin: 7 cycles of inotuzumab ozogamicin; the label "
        f"allows at most 6 {INO_SOURCES}"
    ]


def test_without_an_age_each_lifetime_limit_is_weighed_against_its_own_unit(
    tmp_path: pathlib.Path,
) -> None:
    # A table with one more adults' lifetime limit of daunorubicin, in IU/m² (100, for the test).
    # Without an age, a limit is compared with the largest limit of the same kind AND unit: the
    # IU/m² limit is the largest (the only one) in IU/m², so it is taken up (and the planned mg
    # cannot be expressed in it); the adults' 550 mg/m² is the largest in mg/m². Were every
    # per-m² limit weighed together, 100 IU/m² would be dropped as under 550 without a word.
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "daunorubicin"\ntier = "hard"\nper = "lifetime"\n'
        'amount = "100 IU/m**2"\nage_from = "18 year"\nunsourced = "a test"\n',
    )
    ageless = Patient(height=Q_(170, "cm"), weight=Q_(70, "kg"))
    dnr = template({"agent": "daunorubicin", "amount": "60 mg/m**2", "days": "1..3"})
    found = dosing.check(dnr.expand(ageless), limits=table)
    under = (
        "info [not_checked]: daunorubicin: the lifetime limits of daunorubicin "
        "[daunorubicin-label] depend on age, which the patient does not have (the total is under "
        "the largest of them, hard limit of {})"
    )
    assert [t for t in texts(found) if "lifetime limits of" in t or "planned" in t] == [
        under.format("550 mg/m² lifetime"),
        under.format("10 mg/kg lifetime"),
        "info [not_checked]: daunorubicin: the planned daunorubicin cannot be expressed in the "
        "unit of its hard limit of 100 IU/m² lifetime [unsourced]",
    ]


def test_a_products_lifetime_limit_skips_another_products_prior_exposure_only(
    tmp_path: pathlib.Path,
) -> None:
    # A lifetime limit for Thymoglobulin only (20 mg/kg, for the test). Prior: Grafalon 5 mg/kg
    # (another product of the agent: not counted), then Thymoglobulin 12 mg/kg (counted). Planned
    # Thymoglobulin 2.5 mg/kg on days 1 and 2: 12 + 5 = 17 of 20, 3 would remain.
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "anti-thymocyte globulin (rabbit)"\nproduct = "Thymoglobulin"\n'
        'tier = "hard"\nper = "lifetime"\namount = "20 mg/kg"\nunsourced = "a test"\n',
    )
    plan = template({"agent": "Thymoglobulin", "amount": "2.5 mg/kg", "days": "1..2"})
    prior = [Exposure("Grafalon", Q_(5, "mg/kg")), Exposure("Thymoglobulin", Q_(12, "mg/kg"))]
    found = dosing.check(plan.expand(ADULT), prior=prior, limits=table)
    assert texts(found, "prior_exposure") == [
        "info [prior_exposure]: anti-thymocyte globulin (rabbit): anti-thymocyte globulin "
        "(rabbit): 12 mg/kg before and 5 mg/kg planned make 17 mg/kg of its hard limit of 20 mg/kg "
        "lifetime [unsourced]; 3 mg/kg of the allowance would remain"
    ]


def test_every_agent_the_definitions_could_not_compare_is_named() -> None:
    # Busulfan without a route (its thresholds are per route) and thiotepa in mg/m² (its
    # threshold is 10 mg/kg): neither can be compared, and nothing else is met; the finding names
    # both agents, in alphabetical order, with the doses each threshold is for, for this regimen.
    regimen = template(
        {"agent": "Bu", "amount": "3.2 mg/kg", "days": "1..4"},
        {"agent": "thiotepa", "amount": "250 mg/m**2", "days": "5..6"},
        intensity="RIC",
        setting="conditioning",
    )
    found = [f for f in dosing.check(regimen.expand(ADULT)) if "intensity" in f.message]
    assert [(f.code, f.agent, f.regimen, f.references) for f in found] == [
        ("not_checked", "busulfan, thiotepa", "test", ())
    ]
    assert found[0].message == (
        "test declares RIC, but its busulfan, thiotepa could not be compared with the working "
        f"definitions {INTENSITY_SOURCES}, whose thresholds are for busulfan: oral doses in mg/kg "
        "or intravenous doses in mg/kg; thiotepa: doses in mg/kg: its intensity was not checked"
    )


def test_a_criterion_without_a_dose_in_its_unit_does_not_stop_the_next() -> None:
    # Busulfan 130 mg/m² IV on 4 days (a per-m² busulfan schedule) cannot be compared with the
    # intravenous threshold of 7.2 mg/kg; melphalan 141 mg/m², after it in the definitions, is
    # still compared: over 140 mg/m², past the reduced-intensity thresholds.
    found = _declared(
        "RIC",
        {
            "agent": "Bu",
            "amount": "130 mg/m**2",
            "days": "1..4",
            "route": "IV",
            "acknowledge": "a per-m² busulfan schedule",
        },
        {"agent": "melphalan", "amount": "141 mg/m**2", "days": "5", "acknowledge": "x"},
    )
    assert [t for t in found if "intensity" in t] == [
        "warning [intensity]: busulfan, melphalan: test declares RIC, but melphalan 141 mg/m² "
        "(over 140 mg/m² is myeloablative) is past the reduced-intensity thresholds of the "
        f"working definitions {INTENSITY_SOURCES}; check the source"
    ]


def test_a_dose_in_another_unit_of_the_same_kind_is_not_compared_with_a_threshold() -> None:
    # Melphalan written as 141 IU/m² is per m² like the 140 mg/m² threshold, but not in mg: it is
    # not compared (141 IU is not 141 mg), and the finding says so.
    found = _declared(
        "RIC", {"agent": "melphalan", "amount": "141 IU/m**2", "days": "1", "acknowledge": "x"}
    )
    assert [t for t in found if "intensity" in t] == [
        "info [not_checked]: melphalan: test declares RIC, but its melphalan could not be "
        f"compared with the working definitions {INTENSITY_SOURCES}, whose thresholds are for "
        "melphalan: doses in mg/m²: its intensity was not checked"
    ]


def test_thresholds_not_verified_against_their_paper_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # course_rules.toml marks the intensity thresholds verified = true; were they not, each
    # intensity warning would carry the caveat.
    from dosing.checks import course

    monkeypatch.setattr(course, "_INTENSITY", {**course._INTENSITY, "verified": False})
    caveat = " (thresholds as commonly quoted; not verified against the paper)"
    # TBI 6 × 2 = 12 Gy fractionated, declared RIC; 3 × 2 = 6 Gy declared MAC
    ric = _declared("RIC", {"agent": "TBI", "amount": "2 Gy", "days": "1..6"})
    assert ric == [
        "warning [intensity]: total body irradiation: test declares RIC, but TBI 12 Gy "
        "fractionated (at least 8 Gy fractionated is myeloablative) is past the reduced-intensity "
        f"thresholds of the working definitions {INTENSITY_SOURCES}{caveat}; check the source"
    ]
    mac = _declared("MAC", {"agent": "TBI", "amount": "2 Gy", "days": "1..3"})
    assert mac == [
        "warning [intensity]: total body irradiation: test declares MAC, but none of the "
        "myeloablative working definitions is met by its total body irradiation "
        f"{INTENSITY_SOURCES}{caveat}"
    ]


#: The relative tolerance of every comparison with a limit or threshold (dosing.checks.doses):
#: a value within one part in 10⁹ of it counts as at it.
RTOL = 1e-9


def test_a_lifetime_total_at_the_limits_tolerance_is_not_over() -> None:
    # daunorubicin given before, exactly 550 × (1 + 10⁻⁹) mg/m², nothing planned of it: at the
    # adults' hard limit of 550 mg/m² within the tolerance, so not over it (the usual 400 is)
    edge = 550 * (1 + RTOL)
    found = dosing.check(DOX.expand(ADULT), prior=[Exposure("daunorubicin", Q_(edge, "mg/m**2"))])
    assert "over_lifetime" not in codes_of(found)
    assert [f.severity for f in found if f.agent == "daunorubicin"] == ["warning", "info", "info"]
    # without an age: at the largest limit within the tolerance, so the age decides and it says so
    ageless = Patient(height=Q_(175, "cm"), weight=Q_(70, "kg"))
    found = dosing.check(DOX.expand(ageless), prior=[Exposure("daunorubicin", Q_(edge, "mg/m**2"))])
    assert "over_lifetime" not in codes_of(found)
    assert (
        "info [not_checked]: daunorubicin: the lifetime limits of daunorubicin "
        "[daunorubicin-label] depend on age, which the patient does not have (the total is under "
        "the largest of them, hard limit of 550 mg/m² lifetime)"
    ) in texts(found)


def test_one_transplants_total_at_the_course_limits_tolerance_is_not_over() -> None:
    # TBI in one fraction in each of two schedules of one transplant: 2 × 7.875 × (1 + 10⁻⁹) Gy is
    # 15.75 × (1 + 10⁻⁹) exactly (doubling is exact in binary): at the 15.75 Gy a course within
    # the tolerance, not over it
    fraction = 7.875 * (1 + RTOL)
    assert fraction + fraction == 15.75 * (1 + RTOL)
    tbi = {"agent": "TBI", "amount": f"{fraction!r} Gy", "acknowledge": "x"}
    found = dosing.check(
        _tx({**tbi, "days": "-3"}, key="a").expand(ADULT),
        _tx({**tbi, "days": "-1"}, key="b").expand(ADULT),
    )
    assert [f for f in found if "one transplant" in f.message] == []
    # three parts in 10⁹ over: over it
    over = 7.875 * (1 + 3 * RTOL)
    found = dosing.check(
        _tx({**tbi, "amount": f"{over!r} Gy", "days": "-3"}, key="a").expand(ADULT),
        _tx({**tbi, "amount": f"{over!r} Gy", "days": "-1"}, key="b").expand(ADULT),
    )
    assert [f.code for f in found if "one transplant" in f.message] == ["over_limit"]


@pytest.mark.parametrize(
    ("line", "met"),
    [
        # "at least": a total within the tolerance under the threshold meets it
        ({"agent": "TBI", "amount": f"{5 * (1 - RTOL)!r} Gy", "days": "1"}, True),
        ({"agent": "thiotepa", "amount": f"{10 * (1 - RTOL)!r} mg/kg", "days": "1"}, True),
        # "over": a total within the tolerance over the threshold does not
        ({"agent": "melphalan", "amount": f"{140 * (1 + RTOL)!r} mg/m**2", "days": "1"}, False),
    ],
)
def test_an_intensity_threshold_at_its_tolerance(line: dict[str, str], met: bool) -> None:
    found = _declared("RIC", {**line, "acknowledge": "x"})
    assert [t.startswith("warning [intensity]") for t in found if "declares RIC" in t] == (
        [True] if met else []
    )


def test_a_total_is_written_in_whole_numbers_from_where_it_rounds_to_10000() -> None:
    # Four significant digits below 10,000; whole numbers from 10,000 (54000, not 5.4e+04),
    # and from 9999.5, which rounds to 10000 at four digits (not 1e+04).
    from dosing.checks.course import _total_text

    assert [_total_text(v) for v in (266.66, 9999.4, 9999.5, 10000.0, 54000.0)] == [
        "266.7",
        "9999",
        "10000",
        "10000",
        "54000",
    ]


def test_one_transplants_course_limit_not_compared_names_its_agent_and_sources(
    tmp_path: pathlib.Path,
) -> None:
    # A sourced melphalan course limit in IU/m² (for the test: no planned mg can be expressed in
    # it): the finding that says so is melphalan's, and carries the limit's references.
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "melphalan"\ntier = "hard"\nper = "course"\n'
        'amount = "150 IU/m**2"\nreferences = ["evomela-label"]\nquote = "a test"\n',
    )
    mel = {"agent": "melphalan", "amount": "80 mg/m**2"}
    found = dosing.check(
        _tx({**mel, "days": "-3"}, key="a").expand(ADULT),
        _tx({**mel, "days": "-2"}, key="b").expand(ADULT),
        limits=table,
    )
    unchecked = [f for f in found if f.code == "not_checked" and "one transplant" in f.message]
    assert [(f.agent, f.references, f.message) for f in unchecked] == [
        (
            "melphalan",
            ("evomela-label",),
            "melphalan over the schedules of one transplant (a, b) was not compared with its hard "
            "limit of 150 IU/m² per course [evomela-label]: a dose could not be expressed in IU/m²",
        )
    ]


@pytest.mark.parametrize(
    ("item", "shown"),
    [(42, "42"), ("flu", "'flu'"), (10**5000, "<a int too large or deep to show>")],
    ids=["int", "text", "int of 5,001 digits"],
)
def test_check_refuses_what_is_not_a_schedule_naming_it(item: object, shown: str) -> None:
    with pytest.raises(dosing.DomainError) as info:
        dosing.check([item])  # type: ignore[list-item]
    error = info.value
    assert (error.reason, error.argument, error.shown) == ("is not a schedule", "schedules", shown)
    assert error.value is item
    assert str(error) == f"check() takes schedules; got {shown}"


def test_combine_refuses_what_is_not_a_regimen_naming_it() -> None:
    with pytest.raises(dosing.RegimenError) as info:
        dosing.combine(dosing.get_regimen("rabbit-atg"), 10**5000)  # type: ignore[arg-type]
    assert str(info.value) == (
        "<combine>: regimens[1]: <a int too large or deep to show> is not a dosing.Regimen"
    )
