"""Doses by target AUC and by weight band (issue 12), exposure units and adjustment to a target.

Golden values: ``tests/golden/exposure.csv`` (NCCN's maximum carboplatin doses, the Calvert and
Newell equations by hand, busulfan unit conversions by hand with the USP molar mass, a published
busulfan TDM case) and ``tests/golden/busulfan_bands.csv`` (the EU SmPC's paediatric bands, at and
around every edge). No worked example from the Calvert 1989 or Newell 1993 papers could be
reached (only their equations, through NCCN and the Newell abstract): the rows say so.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dosing
from dosing import Q_, DomainError, Patient, Policy, RegimenError, UnitsError, UnknownKeyError
from dosing.checks import compared
from dosing.regimens.lines import WeightBands
from dosing.regimens.loader import regimen_from_mapping
from tests.harness import assert_quantity_allclose, assert_row, cases

ADULT = {"height": Q_(170, "cm"), "weight": Q_(70, "kg"), "age": Q_(60, "year"), "sex": "male"}
BANDS = [
    {"below": "9 kg", "amount": "1.0 mg/kg"},
    {"from": "9 kg", "below": "16 kg", "amount": "1.2 mg/kg"},
    {"from": "16 kg", "to": "23 kg", "amount": "1.1 mg/kg"},
    {"above": "23 kg", "to": "34 kg", "amount": "0.95 mg/kg"},
    {"above": "34 kg", "amount": "0.8 mg/kg"},
]


def carbo(formula: str = "calvert", target: str = "5 mg*min/mL", **extra: Any) -> dosing.Regimen:
    line = {"agent": "carboplatin", "target_auc": target, "gfr_formula": formula, "days": [1]}
    data = {
        "key": "carbo",
        "name": "Carboplatin",
        "frame": "cycle",
        "cycle_length": "21 day",
        "references": ["calvert1989"],
        "dose": [{**line, **extra}],
    }
    return regimen_from_mapping(data, source="carbo.toml")


def bands(table: list[dict[str, str]] | None = None, **extra: Any) -> dosing.Regimen:
    line = {
        "agent": "busulfan",
        "weight_bands": BANDS if table is None else table,
        "per_day": 4,
        "days": "-7..-4",
        "route": "IV",
    }
    data = {
        "key": "bu",
        "name": "Busulfan",
        "frame": "transplant",
        "references": ["busulfex-eu-smpc"],
        "dose": [{**line, **extra}],
    }
    return regimen_from_mapping(data, source="bu.toml")


def quiet(**kwargs: Any) -> Patient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dosing.DosingWarning)
        return Patient(**kwargs)


# -- golden tables ---------------------------------------------------------------------------


@pytest.mark.parametrize("row", cases("exposure.csv"))
def test_exposure_golden(row: dict[str, str]) -> None:
    call = row["call"]
    if call in ("calvert-line", "newell-line"):
        formula = call.removesuffix("-line")
        weight = Q_(row["c"]) if row["c"] else Q_(70, "kg")
        patient = quiet(
            height=Q_(150, "cm"), weight=weight, glomerular_filtration_rate=Q_(row["b"])
        )
        result = carbo(formula, row["a"]).expand(patient)[0].dose
    elif call == "convert":
        result = dosing.convert_auc(
            Q_(row["a"]),
            row["b"],
            agent=row["agent"] or None,
            interval=Q_(row["interval"]) if row["interval"] else None,
        )
    else:
        result = dosing.adjust_to_target(
            Q_(row["a"]), Q_(row["b"]), Q_(row["c"]), agent=row["agent"] or None
        )
    assert_row(result, row)


@pytest.mark.parametrize("row", cases("busulfan_bands.csv"))
def test_busulfan_label_bands(row: dict[str, str]) -> None:
    weight = Q_(row["weight"])
    schedule = dosing.get_regimen("bu-cy4-paediatric-eu").expand(
        quiet(bsa=Q_(1, "m**2"), weight=weight)
    )
    busulfan = schedule.rows_for("busulfan")
    assert len(busulfan) == 16  # every 6 hours over 4 days
    for row_ in busulfan:
        assert_row(row_.prescribed, row)
        assert_quantity_allclose(row_.dose, Q_(float(row["expected"]) * weight.m_as("kg"), "mg"))
        assert "weight band" in str(row_.basis)


def test_the_function_and_the_template_line_agree_with_the_published_caps() -> None:
    # NCCN: maximum 900/750/600 mg at AUC 6/5/4 (GFR capped at 125 mL/min).
    for auc, most in ((6, 900), (5, 750), (4, 600)):
        assert dosing.carboplatin_calvert(Q_(auc, "mg*min/mL"), Q_(300, "mL/min")) == Q_(most, "mg")
    assert dosing.carboplatin_newell(Q_(5, "mg*min/mL"), Q_(60, "mL/min"), Q_(20, "kg")) == Q_(
        5 * (60 + 0.36 * 20), "mg"
    )
    with pytest.raises(UnitsError, match="normalised to 1.73"):
        dosing.carboplatin_newell(Q_(5, "mg*min/mL"), Q_(60, "mL/min/standard_bsa"), Q_(20, "kg"))


# -- the GFR: where it comes from, and how the row says so -------------------------------------


def test_a_measured_gfr_comes_first_then_a_clearance_then_an_estimate() -> None:
    regimen = carbo()
    both = Patient(
        **ADULT,
        glomerular_filtration_rate=Q_(80, "mL/min"),
        creatinine_clearance=Q_(100, "mL/min"),
        serum_creatinine=Q_(1.0, "mg/dL"),
    )
    row = regimen.expand(both)[0]
    assert row.dose == Q_(5 * (80 + 25), "mg")
    assert "measured GFR" in str(row.basis) and "Calvert" in str(row.basis)
    assert "target AUC 5" in str(row.basis)
    clearance = Patient(**ADULT, creatinine_clearance=Q_(100, "mL/min"))
    assert regimen.expand(clearance)[0].dose == Q_(5 * (100 + 25), "mg")
    # Cockcroft–Gault for an adult (NCCN): (140 − 60) × 70 / (72 × 1.0) = 77.78 mL/min.
    estimated = regimen.expand(Patient(**ADULT, serum_creatinine=Q_(1.0, "mg/dL")))[0]
    assert estimated.dose.m_as("mg") == pytest.approx(5 * ((140 - 60) * 70 / 72 + 25), rel=1e-12)
    assert "Cockcroft–Gault" in str(estimated.basis)
    assert estimated.basis.kind == "gfr"


def test_a_child_is_estimated_by_bedside_schwartz_converted_through_the_bsa() -> None:
    child = Patient(
        height=Q_(120, "cm"),
        weight=Q_(22, "kg"),
        age=Q_(7, "year"),
        serum_creatinine=Q_(0.4, "mg/dL"),
    )
    row = carbo("newell").expand(child)[0]
    bsa = math.sqrt(120 * 22 / 3600)
    gfr = 0.413 * 120 / 0.4 * bsa / 1.73  # Schwartz 2009, de-normalised with the BSA
    assert row.dose.m_as("mg") == pytest.approx(5 * (gfr + 0.36 * 22), rel=1e-12)
    assert "Schwartz" in str(row.basis) and "converted to mL/min" in str(row.basis)


def test_a_normalised_measured_gfr_is_converted_through_the_bsa_and_named() -> None:
    patient = Patient(
        height=Q_(120, "cm"),
        weight=Q_(22, "kg"),
        glomerular_filtration_rate=Q_(100, "mL/min/standard_bsa"),
    )
    row = carbo("newell").expand(patient)[0]
    bsa = math.sqrt(120 * 22 / 3600)
    assert row.dose.m_as("mg") == pytest.approx(5 * (100 * bsa / 1.73 + 0.36 * 22), rel=1e-12)
    assert "converted to mL/min with the patient's BSA" in str(row.basis)


def test_no_kidney_function_or_no_weight_for_newell_is_refused_never_defaulted() -> None:
    with pytest.raises(DomainError, match="glomerular_filtration_rate"):
        carbo().expand(Patient(height=Q_(170, "cm"), weight=Q_(70, "kg")))
    with pytest.raises(DomainError, match="weight"):
        carbo("newell").expand(
            Patient(bsa=Q_(1, "m**2"), glomerular_filtration_rate=Q_(60, "mL/min"))
        )


def test_the_cap_and_the_floor_are_flagged_only_when_they_change_the_dose() -> None:
    regimen = carbo()
    high = Patient(**ADULT, glomerular_filtration_rate=Q_(150, "mL/min"))
    row = regimen.expand(high)[0]
    assert row.flags == frozenset({"gfr_capped"}) and row.dose == Q_(750, "mg")
    assert "capped at 125 mL/min" in str(row.basis)
    assert regimen.expand(high, policy=Policy(gfr_cap=None))[0].dose == Q_(5 * 175, "mg")
    assert regimen.expand(high, policy=Policy(gfr_cap=Q_(200, "mL/min")))[0].flags == frozenset()
    # Newell lines are never capped by the Calvert cap.
    newell = carbo("newell").expand(quiet(**ADULT, glomerular_filtration_rate=Q_(150, "mL/min")))
    assert newell[0].flags == frozenset()
    low = Patient(**ADULT, serum_creatinine=Q_(0.5, "mg/dL"))
    floor = Policy(creatinine_floor=Q_(0.7, "mg/dL"), gfr_cap=None)
    floored = regimen.expand(low, policy=floor)[0]
    assert floored.flags == frozenset({"creatinine_floored"})
    assert floored.dose.m_as("mg") == pytest.approx(5 * (80 * 70 / (72 * 0.7) + 25), rel=1e-12)
    normal = Patient(**ADULT, serum_creatinine=Q_(1.0, "mg/dL"))
    assert regimen.expand(normal, policy=floor)[0].flags == frozenset()
    # A measured GFR is not floored (the floor is for an estimate from creatinine).
    measured = Patient(
        **ADULT, serum_creatinine=Q_(0.5, "mg/dL"), glomerular_filtration_rate=Q_(90, "mL/min")
    )
    assert regimen.expand(measured, policy=floor)[0].flags == frozenset()
    # Both: the floor first, then the cap on what the floor left.
    both = regimen.expand(
        Patient(**{**ADULT, "age": Q_(20, "year")}, serum_creatinine=Q_(0.4, "mg/dL")),
        policy=Policy(creatinine_floor=Q_(0.7, "mg/dL")),
    )[0]
    assert both.flags == frozenset(
        {"creatinine_floored", "gfr_capped"}
    )  # (120 × 70)/(72 × 0.7) = 166.7
    assert both.dose == Q_(750, "mg")
    assert [a.step for a in both.adjustments] == ["creatinine_floor", "gfr_cap"]
    findings = dosing.check(regimen.expand(high))
    assert [(f.code, f.severity) for f in findings] == [("capped", "info")]
    assert "GFR cap" in findings[0].message


def test_a_floor_under_an_estimator_without_creatinine_changes_nothing() -> None:
    # CKD-EPI cystatin C 2012 (the policy's adult estimator) reads no creatinine: raising a
    # creatinine of 0.5 to the 0.7 mg/dL floor leaves the GFR, so the dose is not floored.
    # 133 × (0.8 / 0.8)^-0.499 × 0.996^60 = 104.58 mL/min/1.73 m², × 1.8181 m² / 1.73 (BSA
    # sqrt(170 × 70 / 3600)) = 109.90 mL/min; Calvert: 5 × (109.90 + 25) = 674.49 mg
    patient = Patient(**ADULT, serum_creatinine=Q_(0.5, "mg/dL"), cystatin_c=Q_(0.8, "mg/L"))
    policy = Policy(
        creatinine_floor=Q_(0.7, "mg/dL"),
        renal_estimator=dosing.RenalEstimator(adult="ckd_epi_cystatin_2012"),
    )
    row = carbo().expand(patient, policy=policy)[0]
    gfr = 133 * 0.996**60 * math.sqrt(170 * 70 / 3600) / 1.73
    assert row.dose.m_as("mg") == pytest.approx(5 * (gfr + 25), rel=1e-12)
    assert row.flags == frozenset()


def test_policy_options_are_checked() -> None:
    with pytest.raises(UnitsError):
        Policy(gfr_cap=125)
    with pytest.raises(DomainError, match="plausible"):
        Policy(gfr_cap=Q_(125, "L/min"))
    with pytest.raises(DomainError, match="one value"):
        Policy(creatinine_floor=Q_([0.7, 0.8], "mg/dL"))
    assert "gfr_cap=None" in repr(Policy(gfr_cap=None))
    # one quantity floors adults only (issue 12 review): recorded as the adult floor
    assert Policy(creatinine_floor=Q_(0.7, "mg/dL")).describe()["creatinine_floor"] == {
        "adult": {"value": 0.7, "unit": "mg/dL"}
    }


# -- the safety net ----------------------------------------------------------------------------


def test_check_compares_the_dose_and_the_target_with_their_limits() -> None:
    patient = Patient(**ADULT, glomerular_filtration_rate=Q_(150, "mL/min"))
    uncapped = carbo("calvert", "7 mg*min/mL").expand(patient, policy=Policy(gfr_cap=None))
    findings = dosing.check(uncapped)
    # 7 × 175 = 1225 mg, above the usual 900 mg (NCCN's maximum at AUC 6); target 7 is usual.
    assert [f.code for f in findings] == ["outside_range"]
    assert "1225" in findings[0].message
    high_target = carbo("calvert", "10 mg*min/mL").expand(
        Patient(**ADULT, glomerular_filtration_rate=Q_(40, "mL/min"))
    )
    messages = [f.message for f in dosing.check(high_target)]
    assert any("target AUC 10 mg·min/mL is above its usual target AUC 4–8" in m for m in messages)
    assert compared(high_target)["carboplatin"]


def test_a_carboplatin_formula_for_another_agent_is_refused_where_it_is_written() -> None:
    # issue 12 review: a target_auc line for busulfan (Calvert) used to give busulfan 575 mg, and
    # cyclophosphamide with Newell 515 mg: a carboplatin clearance is no other drug's
    for agent, formula in (
        ("busulfan", "calvert"),
        ("cyclophosphamide", "newell"),
        ("foo", "calvert"),
    ):
        data = {
            "key": "x",
            "name": "x",
            "frame": "cycle",
            "cycle_length": "21 day",
            "references": ["calvert1989"],
            "dose": [
                {"agent": agent, "target_auc": "5 mg*min/mL", "gfr_formula": formula, "days": [1]}
            ],
        }
        with pytest.raises(RegimenError, match=r"dose\[0\]\.gfr_formula.*carboplatin") as caught:
            regimen_from_mapping(data)
        assert "amount = ..." in str(caught.value)  # the fix is named
    assert dosing.GFR_FORMULAS["calvert"].agents == ("carboplatin",)
    assert dosing.GFR_FORMULAS["newell"].agents == ("carboplatin",)


def test_a_target_auc_for_an_agent_without_a_usual_target_is_said_not_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # carboplatin is the only agent a formula allows, and it has a usual target: without it,
    # check() says the target was not checked (never a silent pass)
    from dosing.checks import doses

    monkeypatch.setattr(doses, "TARGET_AUC_RANGES", {})
    data = {
        "key": "x",
        "name": "x",
        "frame": "cycle",
        "cycle_length": "21 day",
        "references": ["calvert1989"],
        "dose": [
            {
                "agent": "carboplatin",
                "target_auc": "5 mg*min/mL",
                "gfr_formula": "calvert",
                "days": [1],
            }
        ],
    }
    schedule = regimen_from_mapping(data).expand(
        Patient(**ADULT, glomerular_filtration_rate=Q_(90, "mL/min"))
    )
    findings = dosing.check(schedule)
    assert any(f.code == "not_checked" and "target AUC" in f.message for f in findings)


def test_band_lines_are_checked_against_the_agents_limits_and_screened_per_band() -> None:
    schedule = dosing.get_regimen("bu-cy4-paediatric-eu").expand(
        quiet(bsa=Q_(0.7, "m**2"), weight=Q_(18, "kg"))
    )
    # no age: the template's population (children) is said not checked, nothing else is found
    assert [(f.code, f.agent) for f in dosing.check(schedule)] == [("not_checked", "busulfan")]
    assert compared(schedule)["busulfan"]
    slipped = [dict(band) for band in BANDS]
    slipped[2]["amount"] = "1.1 g/kg"  # a thousandfold slip in one band
    with pytest.raises(RegimenError, match=r"weight_bands\[2\]\.amount"):
        bands(slipped)
    slipped[2]["amount"] = "1.1 mg/m**2"  # a kind swap
    with pytest.raises(RegimenError, match=r"weight_bands\[2\]\.amount"):
        bands(slipped)
    slipped[2]["amount"] = "4000 mg/kg"  # past the screening bound
    with pytest.raises(RegimenError, match="screening bound"):
        bands(slipped, acknowledge="on purpose")


def test_an_acknowledged_band_line_loads_and_is_still_checked() -> None:
    # 3.3 mg/kg four times a day is 13.2 mg/kg a day, more than twice the 4.8 mg/kg top of the
    # usual range (busulfex-eu-smpc): refused as written, loaded when acknowledged, and an
    # error in check() for a 20 kg child (band 16 to 23 kg) on each of the 4 days
    slipped = [dict(band) for band in BANDS]
    slipped[2]["amount"] = "3.3 mg/kg"
    with pytest.raises(RegimenError, match=r"band 16 to 23 kg: busulfan 3\.3 mg/kg"):
        bands(slipped)
    regimen = bands(slipped, acknowledge="a trial dose")
    child = quiet(height=Q_(110, "cm"), weight=Q_(20, "kg"), age=Q_(6, "year"))
    errors = [f for f in dosing.check(regimen.expand(child)) if f.severity == "error"]
    assert [f.day for f in errors if f.day is not None] == [-7, -6, -5, -4]
    assert all("13.2 mg/kg" in f.message for f in errors if f.day is not None)


# -- the template format -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"gfr_formula": None}, "gfr_formula", "missing"),
        ({"gfr_formula": "chatelut"}, "gfr_formula", "'calvert', 'newell'"),
        ({"target_auc": "5 mg/mL"}, "target_auc", "not an AUC"),
        ({"target_auc": "5 mg*min/L"}, "target_auc", "plausible"),
        ({"target_auc": 5}, "target_auc", "string"),
        ({"amount": "300 mg"}, "amount", "one of amount, target_auc"),
        ({"duration": "30 mg"}, "duration", "time"),
        ({"duration": "25 hour"}, "duration", "fit"),
    ],
)
def test_bad_auc_lines_are_refused_naming_the_field(
    extra: dict[str, Any], field: str, message: str
) -> None:
    line: dict[str, Any] = {
        "agent": "carboplatin",
        "target_auc": "5 mg*min/mL",
        "gfr_formula": "calvert",
        "days": [1],
    }
    line.update(extra)
    line = {k: v for k, v in line.items() if v is not None}
    data = {
        "key": "c",
        "name": "c",
        "frame": "cycle",
        "cycle_length": "21 day",
        "references": ["calvert1989"],
        "dose": [line],
    }
    with pytest.raises(RegimenError, match=message) as info:
        regimen_from_mapping(data)
    assert field in str(info.value)


def test_gfr_formula_belongs_to_a_line_by_target_auc() -> None:
    data = {
        "key": "c",
        "name": "c",
        "frame": "cycle",
        "cycle_length": "21 day",
        "references": ["calvert1989"],
        "dose": [
            {"agent": "carboplatin", "amount": "300 mg", "gfr_formula": "calvert", "days": [1]}
        ],
    }
    with pytest.raises(RegimenError, match="gfr_formula"):
        regimen_from_mapping(data)
    data["dose"] = [{"agent": "carboplatin", "days": [1]}]
    with pytest.raises(RegimenError, match="missing"):
        regimen_from_mapping(data)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([BANDS[0]], "at least two"),
        ([BANDS[0], {"from": "10 kg", "amount": "1 mg/kg"}], "no gap or overlap"),
        ([BANDS[0], {"above": "9 kg", "amount": "1 mg/kg"}], "no gap or overlap"),
        (
            [{"below": "9 kg", "amount": "1 mg/kg"}, {"below": "12 kg", "amount": "1 mg/kg"}],
            "open below",
        ),
        (
            [{"above": "9 kg", "amount": "1 mg/kg"}, {"above": "12 kg", "amount": "1 mg/kg"}],
            "open above",
        ),
        ([BANDS[0], {"from": "9 kg", "above": "9 kg", "amount": "1 mg/kg"}], "not both"),
        ([BANDS[0], {"from": "9 kg", "amount": "1 mg/m**2"}], "per kg or flat"),
        ([BANDS[0], {"from": "9 kg", "amount": "10 mg"}], "one kind of amount"),
        ([BANDS[0], {"from": "9 kg", "amount": "-1 mg/kg"}], "positive"),
        ([BANDS[0], {"from": "9 kg"}], "missing"),
        ([BANDS[0], {"from": "9 cm", "amount": "1 mg/kg"}], "weight"),
        ([BANDS[0], {"from": "9 kg", "to": "8 kg", "amount": "1 mg/kg"}], "not below"),
        ([BANDS[0], {"from": "9 kg", "width": "8 kg", "amount": "1 mg/kg"}], "unknown field"),
        ([BANDS[0], "9 kg"], "table"),
        ("9 kg", "list"),
    ],
)
def test_bad_band_tables_are_refused(table: Any, message: str) -> None:
    with pytest.raises(RegimenError, match=message):
        bands(table)


def test_a_band_line_has_no_declared_total_and_shows_its_bands() -> None:
    with pytest.raises(RegimenError, match="depends on the patient's band"):
        bands(total="16 mg/kg")
    data = {
        "key": "bu",
        "name": "bu",
        "frame": "transplant",
        "references": ["busulfex-eu-smpc"],
        "totals": {"busulfan": "16 mg/kg"},
        "dose": [{"agent": "busulfan", "weight_bands": BANDS, "per_day": 4, "days": "-7..-4"}],
    }
    with pytest.raises(RegimenError, match="weight band"):
        regimen_from_mapping(data)
    regimen = bands()
    text = regimen.describe()
    assert "16 to 23 kg 1.1 mg/kg" in text and "over 23 to 34 kg 0.95 mg/kg" in text
    assert "by the patient's weight band" in text
    with pytest.raises(DomainError, match="weight band"):
        regimen.course_total("busulfan")


def test_band_edges_read_as_the_source_writes_them() -> None:
    table = bands().doses[0].rule
    assert isinstance(table, WeightBands)
    assert [band.describe() for band in table.bands] == [
        "under 9 kg",
        "9 to under 16 kg",
        "16 to 23 kg",
        "over 23 to 34 kg",
        "over 34 kg",
    ]
    other = (
        bands(
            [
                {"to": "9 kg", "amount": "0.8 mg/kg"},
                {"above": "9 kg", "below": "12 kg", "amount": "0.9 mg/kg"},
                {"from": "12 kg", "amount": "1 mg/kg"},
            ]
        )
        .doses[0]
        .rule
    )
    assert isinstance(other, WeightBands)
    assert [band.describe() for band in other.bands] == [
        "up to 9 kg",
        "over 9 to under 12 kg",
        "12 kg and over",
    ]
    assert list(other.index(np.array([9.0, 9.5, 12.0]))) == [0, 1, 2]


# -- cohorts and the band of each patient ------------------------------------------------------


def test_a_cohort_in_one_band_gives_the_single_patients_and_one_across_bands_is_refused() -> None:
    regimen = bands()
    weights = np.array([16.0, 20.0, 23.0])
    cohort = regimen.expand(quiet(bsa=Q_(np.full(3, 0.8), "m**2"), weight=Q_(weights, "kg")))
    np.testing.assert_allclose(cohort[0].dose.m_as("mg"), 1.1 * weights, rtol=1e-12)
    with pytest.raises(DomainError, match="several weight bands"):
        regimen.expand(
            quiet(bsa=Q_(np.full(2, 0.8), "m**2"), weight=Q_(np.array([8.0, 40.0]), "kg"))
        )
    with pytest.raises(DomainError, match="weight"):
        regimen.expand(Patient(bsa=Q_(0.8, "m**2")))
    bounded = bands(
        [
            {"from": "3 kg", "below": "9 kg", "amount": "1 mg/kg"},
            {"from": "9 kg", "amount": "2 mg/kg"},
        ]
    )
    with pytest.raises(DomainError, match="no weight band"):
        bounded.expand(quiet(bsa=Q_(0.2, "m**2"), weight=Q_(2.5, "kg")))


def test_a_lazy_cohort_with_band_lines_is_refused() -> None:
    da = pytest.importorskip("dask.array")
    weights = da.from_array(np.array([10.0, 12.0]), chunks=1)
    with pytest.raises(DomainError, match="lazy"):
        bands().expand(
            quiet(
                bsa=Q_(da.from_array(np.array([0.5, 0.6]), chunks=1), "m**2"),
                weight=Q_(weights, "kg"),
            )
        )


def test_a_cohort_by_target_auc_gives_the_single_patients() -> None:
    gfr = np.array([40.0, 90.0, 150.0])
    cohort = carbo().expand(
        Patient(
            height=Q_(np.full(3, 170.0), "cm"),
            weight=Q_(np.full(3, 70.0), "kg"),
            glomerular_filtration_rate=Q_(gfr, "mL/min"),
        )
    )
    singles = [
        carbo()
        .expand(
            Patient(
                height=Q_(170, "cm"),
                weight=Q_(70, "kg"),
                glomerular_filtration_rate=Q_(g, "mL/min"),
            )
        )[0]
        .dose.m_as("mg")
        for g in gfr
    ]
    np.testing.assert_array_equal(cohort[0].dose.m_as("mg"), singles)
    assert list(cohort[0].flags["gfr_capped"]) == [False, False, True]


# -- exposure units and adjustment -------------------------------------------------------------


def test_conversions_refuse_what_they_cannot_do() -> None:
    with pytest.raises(UnknownKeyError, match="busulfan"):
        dosing.convert_auc(Q_(90, "mg*h/L"), "umol*min/L", agent="carboplatin")
    with pytest.raises(DomainError, match="molar mass"):
        dosing.convert_auc(Q_(90, "mg*h/L"), "umol*min/L")
    with pytest.raises(DomainError, match="interval"):
        dosing.convert_auc(Q_(900, "ng/mL"), "mg*h/L")
    with pytest.raises(UnitsError, match="not an exposure"):
        dosing.convert_auc(Q_(90, "mg"), "mg*h/L")
    with pytest.raises(UnitsError, match="not an exposure"):
        dosing.convert_auc(Q_(90, "mg*h/L"), "kg")
    with pytest.raises(UnitsError, match="no unit"):
        dosing.convert_auc(90, "mg*h/L")
    # issue 12 review: a mass-to-mass conversion needs no molar mass, so any agent is taken
    # (90 mg·h/L = 90 mg × 60 min / 1000 mL = 5.4 mg·min/mL)
    assert_quantity_allclose(
        dosing.convert_auc(Q_(90, "mg*h/L"), "mg*min/mL", agent="carboplatin"),
        Q_(90 * 60 / 1000, "mg*min/mL"),
        rtol=1e-12,
    )
    # 5 mg·min/mL = 5 mg × (1/60 h) / (1/1000 L) = 83.333 mg·h/L
    assert_quantity_allclose(
        dosing.convert_auc(Q_(5, "mg*min/mL"), "mg*h/L", agent="carboplatin"),
        Q_(5 * 1000 / 60, "mg*h/L"),
        rtol=1e-12,
    )
    with pytest.raises(UnknownKeyError):  # moles involved: the molar mass is needed
        dosing.convert_auc(Q_(5, "mg*min/mL"), "umol*min/L", agent="carboplatin")
    for bad in (Q_(-90, "mg*h/L"), Q_(0, "mg*h/L"), Q_(float("nan"), "mg*h/L")):
        with pytest.raises(DomainError, match="quantity=.*must be positive"):
            dosing.convert_auc(bad, "umol*min/L", agent="busulfan")
    with pytest.raises(DomainError, match="positive"):
        dosing.convert_auc(Q_(900, "ng/mL"), "mg*h/L", interval=Q_(0, "h"))
    assert dosing.convert_auc("900 ng/mL", "mg*h/L", interval="6 h") == Q_(5.4, "mg*h/L")


def test_adjustment_refuses_zero_and_says_its_assumption() -> None:
    for bad in (Q_(0, "mg*h/L"), Q_(-1, "mg*h/L"), Q_(float("nan"), "mg*h/L")):
        with pytest.raises(DomainError, match="observed"):
            dosing.adjust_to_target(Q_(40, "mg"), bad, Q_(5, "mg*h/L"))
    with pytest.raises(DomainError, match="target"):
        dosing.adjust_to_target(Q_(40, "mg"), Q_(5, "mg*h/L"), Q_(0, "mg*h/L"))
    assert "linear pharmacokinetics" in dosing.exposure.LINEAR_PK
    # Per kg stays per kg; arrays work.
    adjusted = dosing.adjust_to_target(Q_(0.8, "mg/kg"), Q_([4.0, 6.0], "mg*h/L"), Q_(5, "mg*h/L"))
    assert str(adjusted.units) == "milligram / kilogram"
    np.testing.assert_allclose(adjusted.magnitude, [1.0, 0.8 * 5 / 6], rtol=1e-12)


def test_remaining_doses_refuse_inputs_that_make_no_sense() -> None:
    with pytest.raises(DomainError, match="already reached"):
        dosing.remaining_doses([Q_(40, "mg")], [Q_(95, "mg*h/L")], Q_(90, "mg*h/L"), 15)
    with pytest.raises(DomainError, match="already reached"):
        dosing.remaining_doses([Q_(40, "mg")], [Q_(90, "mg*h/L")], Q_(90, "mg*h/L"), 15)
    with pytest.raises(DomainError, match="exposures"):
        dosing.remaining_doses([Q_(40, "mg")], [Q_(0, "mg*h/L")], Q_(90, "mg*h/L"), 15)
    with pytest.raises(DomainError, match="one exposure per dose"):
        dosing.remaining_doses([Q_(40, "mg")], [], Q_(90, "mg*h/L"), 15)
    with pytest.raises(DomainError, match="remaining"):
        dosing.remaining_doses([Q_(40, "mg")], [Q_(5, "mg*h/L")], Q_(90, "mg*h/L"), 0)
    with pytest.raises(UnknownKeyError):
        dosing.remaining_doses(
            [Q_(40, "mg")], [Q_(5, "mg*h/L")], Q_(90, "mg*h/L"), 3, clearance="mean"
        )


def test_remaining_doses_by_hand() -> None:
    # 2 doses of 40 mg gave 5 and 6 mg·h/L; 90 remain to reach over 16 doses: 79 over 14.
    plan = dosing.remaining_doses(
        [Q_(40, "mg"), Q_(40, "mg")], [Q_(5, "mg*h/L"), Q_(6, "mg*h/L")], Q_(90, "mg*h/L"), 14
    )
    assert plan.dose.m_as("mg") == pytest.approx(79 / 14 * 40 / 6, rel=1e-12)  # latest clearance
    pooled = dosing.remaining_doses(
        [Q_(40, "mg"), Q_(40, "mg")],
        [Q_(5, "mg*h/L"), Q_(6, "mg*h/L")],
        Q_(90, "mg*h/L"),
        14,
        clearance="pooled",
    )
    assert pooled.dose.m_as("mg") == pytest.approx(79 / 14 * 80 / 11, rel=1e-12)
    assert "pooled" in pooled.assumption
    # exposures in µmol·min/L against a target in mg·h/L, through the molar mass
    mixed = dosing.remaining_doses(
        [Q_(40, "mg")],
        [Q_(1218.0267965895249, "umol*min/L")],
        Q_(90, "mg*h/L"),
        15,
        agent="busulfan",
    )
    assert mixed.dose.m_as("mg") == pytest.approx(
        85 / 15 * 40 / 5, rel=1e-9
    )  # 1218.03 µM·min = 5 mg·h/L


# -- hypothesis: what a clinician would state --------------------------------------------------

GFRS = st.floats(5, 300)
TARGETS = st.floats(1, 10)


@settings(max_examples=60, deadline=None)
@given(
    g1=GFRS,
    g2=GFRS,
    target=TARGETS,
    formula=st.sampled_from(["calvert", "newell"]),
    capped=st.booleans(),
)
def test_the_auc_dose_is_monotone_in_gfr(
    g1: float, g2: float, target: float, formula: str, capped: bool
) -> None:
    low, high = sorted((g1, g2))
    policy = Policy() if capped else Policy(gfr_cap=None)
    regimen = carbo(formula, f"{target!r} mg*min/mL")

    def dose(gfr: float) -> float:
        patient = Patient(
            height=Q_(150, "cm"), weight=Q_(40, "kg"), glomerular_filtration_rate=Q_(gfr, "mL/min")
        )
        return float(regimen.expand(patient, policy=policy)[0].dose.m_as("mg"))

    assert dose(low) <= dose(high)


@settings(max_examples=60, deadline=None)
@given(t1=TARGETS, t2=TARGETS, gfr=GFRS)
def test_the_auc_dose_is_monotone_in_the_target(t1: float, t2: float, gfr: float) -> None:
    low, high = sorted((t1, t2))
    patient = Patient(
        height=Q_(150, "cm"), weight=Q_(40, "kg"), glomerular_filtration_rate=Q_(gfr, "mL/min")
    )
    doses = [carbo("calvert", f"{t!r} mg*min/mL").expand(patient)[0].dose for t in (low, high)]
    assert doses[0] <= doses[1]


@settings(max_examples=60, deadline=None)
@given(
    gfr=GFRS,
    target=TARGETS,
    cap=st.floats(30, 300),
    creatinine=st.floats(0.2, 3),
    age=st.floats(18, 90),
)
def test_the_cap_and_the_floor_never_raise_a_dose(
    gfr: float, target: float, cap: float, creatinine: float, age: float
) -> None:
    regimen = carbo("calvert", f"{target!r} mg*min/mL")
    measured = Patient(
        height=Q_(170, "cm"), weight=Q_(70, "kg"), glomerular_filtration_rate=Q_(gfr, "mL/min")
    )
    free = regimen.expand(measured, policy=Policy(gfr_cap=None))[0].dose
    assert regimen.expand(measured, policy=Policy(gfr_cap=Q_(cap, "mL/min")))[0].dose <= free
    estimated = Patient(
        **{**ADULT, "age": Q_(age, "year")}, serum_creatinine=Q_(creatinine, "mg/dL")
    )
    plain = regimen.expand(estimated, policy=Policy(gfr_cap=None))[0].dose
    floored = regimen.expand(
        estimated, policy=Policy(gfr_cap=None, creatinine_floor=Q_(0.7, "mg/dL"))
    )[0]
    assert floored.dose <= plain
    assert ("creatinine_floored" in floored.flags) == (floored.dose < plain)


EXPOSURE_UNITS = ["mg*h/L", "umol*min/L", "mg*min/mL", "umol*h/L", "ug*h/mL", "ng/mL", "umol/L"]


@settings(max_examples=80, deadline=None)
@given(
    value=st.floats(1e-3, 1e5),
    source=st.sampled_from(EXPOSURE_UNITS),
    target=st.sampled_from(EXPOSURE_UNITS),
    hours=st.floats(0.5, 24),
)
def test_conversions_round_trip(value: float, source: str, target: str, hours: float) -> None:
    there = dosing.convert_auc(Q_(value, source), target, agent="busulfan", interval=Q_(hours, "h"))
    back = dosing.convert_auc(there, source, agent="busulfan", interval=Q_(hours, "h"))
    assert back.m_as(source) == pytest.approx(value, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    dose=st.floats(0.1, 500),
    observed=st.floats(0.1, 5000),
    unit=st.sampled_from(["mg", "mg/kg", "mg/m**2"]),
)
def test_adjusting_to_the_observed_exposure_returns_the_same_dose(
    dose: float, observed: float, unit: str
) -> None:
    exposure = Q_(observed, "umol*min/L")
    assert dosing.adjust_to_target(Q_(dose, unit), exposure, exposure) == Q_(dose, unit)


@settings(max_examples=80, deadline=None)
@given(
    clearance=st.floats(1, 50),
    first=st.lists(st.floats(5, 200), min_size=1, max_size=10),
    remaining=st.integers(1, 16),
    headroom=st.floats(1, 200),
    pooled=st.booleans(),
)
def test_the_remaining_doses_reach_the_cumulative_target_when_exposure_is_linear(
    clearance: float, first: list[float], remaining: int, headroom: float, pooled: bool
) -> None:
    # Linear pharmacokinetics with one clearance: each dose d gives exposure d / CL.
    exposures = [d / clearance for d in first]
    target = math.fsum(exposures) + headroom
    plan = dosing.remaining_doses(
        [Q_(d, "mg") for d in first],
        [Q_(e, "mg*h/L") for e in exposures],
        Q_(target, "mg*h/L"),
        remaining,
        clearance="pooled" if pooled else "latest",
    )
    assert len(plan.doses) == remaining
    reached = math.fsum(exposures) + math.fsum(d.m_as("mg") / clearance for d in plan.doses)
    assert reached == pytest.approx(target, rel=1e-12)


@settings(max_examples=80, deadline=None)
@given(weight=st.floats(0.5, 150))
def test_every_weight_is_in_exactly_one_label_band(weight: float) -> None:
    table = bands().doses[0].rule
    assert isinstance(table, WeightBands)
    assert sum(bool(band.contains(weight)) for band in table.bands) == 1
    dose = bands().expand(quiet(bsa=Q_(1, "m**2"), weight=Q_(weight, "kg")))[0].dose.m_as("mg")
    expected = (
        1.0
        if weight < 9
        else 1.2
        if weight < 16
        else 1.1
        if weight <= 23
        else 0.95
        if weight <= 34
        else 0.8
    )
    assert dose == pytest.approx(expected * weight, rel=1e-12)


# -- the event table ---------------------------------------------------------------------------


def test_the_event_table_of_a_childs_busulfan_course() -> None:
    child = Patient(height=Q_(110, "cm"), weight=Q_(18, "kg"), age=Q_(5, "year"), sex="female")
    events = dosing.get_regimen("bu-cy4-paediatric-eu").expand(child).to_events(agent="busulfan")
    assert list(events["TIME"]) == [6.0 * i for i in range(16)]  # every 6 h from the first dose
    # the whole schedule's first dose is busulfan's: with agent= the origin is still the schedule's
    assert set(events["AMT"]) == {1.1 * 18}
    assert set(events["DUR"]) == {2.0} and set(events["RATE"]) == {1.1 * 18 / 2}
    assert set(events["EVID"]) == {1} and set(events["ID"]) == {1}
    assert set(events["WT"]) == {18.0} and set(events["SEX"]) == {0.0}
    plan = dosing.get_regimen("bu-cy4-paediatric-eu").expand(child)
    with pytest.raises(DomainError, match="agent=None is needed.*busulfan, cyclophosphamide"):
        plan.to_events()  # two drugs in one compartment and one ID: refused
    cy = plan.to_events(agent="cyclophosphamide")
    # busulfan days -10..-7 (4 days × 24 h), cyclophosphamide from day -5: 5 days × 24 h = 120 h;
    # the 16th busulfan dose starts at 3 × 24 + 18 = 90 h, so cyclophosphamide starts 30 h later,
    # at least 24 h as the label says
    assert list(cy["TIME"]) == [120.0, 144.0, 168.0, 192.0]
    assert cy["TIME"].min() - events["TIME"].max() >= 24.0
    assert cy["DUR"].isna().all() and cy["RATE"].isna().all()  # unknown duration: NaN, not a bolus


def test_the_event_table_of_a_cohort_and_its_refusals() -> None:
    cohort = Patient(
        height=Q_(np.array([170.0, 160.0]), "cm"),
        weight=Q_(np.array([70.0, 60.0]), "kg"),
        glomerular_filtration_rate=Q_(np.array([90.0, 150.0]), "mL/min"),
    )
    events = dosing.get_regimen("gem-carbo-kdn5").expand(cohort).to_events(agent="carboplatin")
    assert list(events["ID"]) == [1, 2]
    assert list(events["AMT"]) == [5 * (90 + 25), 5 * (125 + 25)]
    assert list(events["GFR"]) == [90.0, 150.0]  # the GFR as obtained, before the cap
    with pytest.raises(DomainError, match="not given"):
        dosing.get_regimen("gem-carbo-kdn5").expand(cohort).to_events(agent="busulfan")
    tbi = dosing.get_regimen("mel-tbi-mac").expand(
        Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    )
    with pytest.raises(DomainError, match="not a mass"):
        tbi.to_events()
    assert len(tbi.to_events(agent="melphalan")) == 2


# -- the command line --------------------------------------------------------------------------


def test_the_command_line_plans_the_new_templates(capsys: pytest.CaptureFixture[str]) -> None:
    from dosing.cli import main

    assert (
        main(
            [
                "plan",
                "gem-carbo-kdn5",
                "--height",
                "170cm",
                "--weight",
                "70kg",
                "--gfr",
                "150mL/min",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "750.0 mg" in out and "gfr_capped" in out
    assert (
        main(
            [
                "plan",
                "gem-carbo-kdn5",
                "--height",
                "170cm",
                "--weight",
                "70kg",
                "--gfr",
                "150mL/min",
                "--gfr-cap",
                "none",
            ]
        )
        == 0
    )
    assert "875.0 mg" in capsys.readouterr().out
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
        "--creatinine-floor",
        "0.7mg/dL",
        "--gfr-cap",
        "none",
    ]
    assert main(args) == 0
    assert "creatinine_floored" in capsys.readouterr().out
    assert main(["plan", "gem-carbo-kdn5", "--height", "170cm", "--weight", "70kg"]) == 2
    assert "--gfr 90mL/min" in capsys.readouterr().err
    assert (
        main(["plan", "gem-carbo-kdn5", "--height", "170cm", "--weight", "70kg", "--gfr", "90"])
        == 2
    )
    assert (
        main(
            [
                "plan",
                "gem-carbo-kdn5",
                "--height",
                "170cm",
                "--weight",
                "70kg",
                "--gfr",
                "90mL/min",
                "--creatinine-floor",
                "7",
            ]
        )
        == 2
    )
    capsys.readouterr()
    assert main(["plan", "bu-cy4-paediatric-eu", "--height", "80cm", "--weight", "10kg"]) == 0
    assert "9 to under 16 kg" in capsys.readouterr().out


def test_the_floor_flags_only_a_changed_dose_and_json_names_the_gfr() -> None:
    # A cystatin C estimator does not read creatinine: the floor changes nothing, flags nothing.
    child = Patient(
        height=Q_(120, "cm"),
        weight=Q_(22, "kg"),
        age=Q_(7, "year"),
        sex="male",
        serum_creatinine=Q_(0.3, "mg/dL"),
        cystatin_c=Q_(0.8, "mg/L"),
    )
    policy = Policy(
        creatinine_floor=Q_(0.7, "mg/dL"), renal_estimator={"child": "ckid_u25_cystatin"}
    )
    plain = carbo("newell").expand(
        child, policy=Policy(renal_estimator={"child": "ckid_u25_cystatin"})
    )
    floored = carbo("newell").expand(child, policy=policy)
    assert floored[0].flags == frozenset()
    assert floored[0].dose == plain[0].dose
    document = dosing.formats.records.json_document(
        carbo().expand(Patient(**ADULT, glomerular_filtration_rate=Q_(90, "mL/min")))
    )
    assert document["patient"]["glomerular_filtration_rate"] == {"value": 90.0, "unit": "mL/min"}
