"""Mutation testing of ``dosing.checks.doses`` on the full suite (issue 16 item 4).

mutmut measured the module at commit 715efdc: 1,230 mutants killed, 59 survived. These tests
kill the survivors that a caller could observe:

- the limits' tolerance (``LIMIT_RTOL`` = 1e-9) at its exact edge, on each side of a hard limit,
  a usual range and its "far above" threshold, and of the usual target AUC: a dose of exactly
  limit × (1 ± 1e-9) passes, the next float past it does not;
- a cohort's withheld dose (whom the finding concerns, its mask) beside a rounding of the other
  patients' doses, which is as prescribed and divides by no zero dose;
- a rounding by exactly 5% (quiet) and by 5.26% (warned);
- the dose a usual range is compared with: the template's, after the basis steps and before a
  deliberate reduction, for a per-kg line too;
- a dose changed after expansion, by more than the 1e-9 tolerance of ``PRESCRIBED_RTOL`` and
  on more than one count;
- a lifetime limit for every age after one that depends on the (unknown) age;
- the target AUC findings' references and agent.

Every number is the label's or the data file's, as quoted in ``dosing/data/dose_limits.toml``
and ``exposure.toml``, or hand arithmetic shown beside it. The survivors that change nothing
observable are listed, with the reason, in docs/testing.md.
"""

from __future__ import annotations

import math
import pathlib
import warnings

import pytest

import dosing
from dosing import Q_, Patient, Policy
from dosing.checks import compared
from tests.test_checks import CHILD, INO_1, template
from tests.test_exposure_lines import carbo
from tests.test_mutation_checks import ADULT, FLU_REFS, FLU_SETTING, _adult_gfr, _with, texts

#: A patient of exactly 1 m² and 70 kg: a dose per m² is its own number of mg, with no rounding
#: by a BSA formula in between.
ONE_M2 = Patient(bsa=Q_(1.0, "m**2"), weight=Q_(70, "kg"), age=Q_(40, "year"))


def _flat(agent: str, amount: float, unit: str) -> list[str]:
    line = {"agent": agent, "amount": f"{amount!r} {unit}", "days": "1", "acknowledge": "x"}
    schedule = template(line).expand(ONE_M2)
    assert schedule.rows[0].dose_value == amount  # read back exactly, no step changed it
    return texts(dosing.check(schedule))


# -- the tolerance of the limits, at its edge ---------------------------------------------------


def test_a_hard_limit_passes_at_the_edge_of_its_tolerance_and_not_one_step_past() -> None:
    # vincristine "Maximum Dose = 2 mg": 2 × (1 + 1e-9) = 2.000000002 mg is within the tolerance
    edge = 2.000000002
    assert edge == 2.0 * (1.0 + 1e-9)
    assert _flat("vincristine", edge, "mg") == []
    assert _flat("vincristine", math.nextafter(edge, 3.0), "mg") == [
        "error [over_limit]: vincristine day 1: vincristine dose is 2 mg, over the per-dose limit "
        "of 2 mg [drugscom-vincristine]"
    ]


def test_a_usual_range_passes_at_the_edges_of_its_tolerance_and_not_one_step_past() -> None:
    # fludarabine 25–40 mg/m² a day, an error above 2 × 40 = 80: the edges 25 × (1 − 1e-9),
    # 40 × (1 + 1e-9) and 80 × (1 + 1e-9) mg/m² are inside, the next floats outside
    low, high, far = 24.999999975, 40.00000004, 80.00000008
    assert (low, high, far) == (25 * (1 - 1e-9), 40 * (1 + 1e-9), 40 * 2.0 * (1 + 1e-9))
    said = "warning [outside_range]: fludarabine day 1: fludarabine gives on day 1 {} mg/m², {} "
    said += f"the usual range 25–40 mg/m² per day {FLU_REFS}"
    assert _flat("fludarabine", low, "mg/m**2") == [FLU_SETTING]
    assert _flat("fludarabine", math.nextafter(low, 0.0), "mg/m**2") == [
        said.format(25, "below"),
        FLU_SETTING,
    ]
    assert _flat("fludarabine", high, "mg/m**2") == [FLU_SETTING]
    assert _flat("fludarabine", math.nextafter(high, 100.0), "mg/m**2") == [
        said.format(40, "above"),
        FLU_SETTING,
    ]
    # at 80 × (1 + 1e-9) above (a warning), not far above (an error by convention)
    assert _flat("fludarabine", far, "mg/m**2") == [said.format(80, "above"), FLU_SETTING]
    assert _flat("fludarabine", math.nextafter(far, 100.0), "mg/m**2") == [
        "error"
        + said.format(80, "far above")[len("warning") :]
        + " (more than 2 times its top: an error by convention)",
        FLU_SETTING,
    ]


def test_the_usual_target_auc_passes_at_the_edges_of_its_tolerance() -> None:
    # carboplatin: usual target AUC 4–8 mg·min/mL (data/exposure.toml); 4 × (1 − 1e-9) and
    # 8 × (1 + 1e-9) are inside, the next floats outside
    low, high = 3.999999996, 8.000000008
    assert (low, high) == (4 * (1 - 1e-9), 8 * (1 + 1e-9))
    for target in (low, high):
        assert texts(dosing.check(carbo(target=f"{target!r} mg*min/mL").expand(_adult_gfr()))) == []
    for target, side in ((math.nextafter(low, 0.0), "below"), (math.nextafter(high, 9.0), "above")):
        found = dosing.check(carbo(target=f"{target!r} mg*min/mL").expand(_adult_gfr()))
        assert [(f.code, f.severity, f.agent) for f in found] == [
            ("outside_range", "warning", "carboplatin")
        ]
        assert f" is {side} its usual target AUC 4–8 mg·min/mL" in found[0].message
        # the finding cites the range's sources, as its text does
        assert found[0].references == ("globalrph-carboplatin", "nccn-carboplatin")


def test_a_target_auc_without_a_usual_target_is_said_not_checked_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # carboplatin is the only agent a formula allows, and it has a usual target: without it
    from dosing.checks import doses

    monkeypatch.setattr(doses, "TARGET_AUC_RANGES", {})
    found = dosing.check(carbo().expand(_adult_gfr()))
    assert texts(found) == [
        "info [not_checked]: carboplatin: carboplatin: its target AUC (5 mg·min/mL) was not "
        "checked: no usual target is kept for it (data/exposure.toml); its doses are checked "
        "against the dose limits"
    ]
    assert (found[0].agent, found[0].day, found[0].references) == ("carboplatin", None, ())


# -- what the policy steps recorded -------------------------------------------------------------


def test_a_cohorts_withheld_dose_says_whom_beside_the_others_rounded_dose() -> None:
    # Cockcroft–Gault: (140 − 70) × 70 / (72 × 5) = 13.61 mL/min, under the FLUDARA label's 30
    # (withheld); (140 − 40) × 70 / (72 × 1) = 97.22 mL/min, a full dose: 25 mg/m² × 1.8447 m²
    # (√(175 × 70 / 3600)) = 46.12 mg, rounded to 46 mg (−0.25%)
    assert (round(70 * 70 / 360, 2), round(100 * 70 / 72, 2)) == (13.61, 97.22)
    assert round(25 * math.sqrt(175 * 70 / 3600), 2) == 46.12
    cohort = Patient(
        height=Q_([175.0, 175.0], "cm"),
        weight=Q_([70.0, 70.0], "kg"),
        age=Q_([70.0, 40.0], "year"),
        sex="male",
        serum_creatinine=Q_([5.0, 1.0], "mg/dL"),
    )
    regimen = template({"agent": "fludarabine", "amount": "25 mg/m**2", "days": "1"})
    policy = Policy(renal="fludarabine-fludara-label", rounding={"*": Q_(1, "mg")})
    schedule = regimen.expand(cohort, policy=policy)
    assert schedule.rows[0].dose_value.tolist() == [0.0, 46.0]
    with warnings.catch_warnings():
        # the rounding of a withheld 0 mg divides by nothing: no numpy warning
        warnings.simplefilter("error")
        found = dosing.check(schedule)
    # the withheld dose concerns the first patient only; the second's rounded dose is as
    # prescribed (the steps after the withheld record are still followed)
    assert texts(found) == [
        "error [withheld]: fludarabine day 1: fludarabine is withheld (dose 0) by the renal policy "
        "(patients: 1 of 2); renal function 13.61–97.22 mL/min (Cockcroft–Gault from serum "
        "creatinine on actual body weight); table fludarabine-fludara-label",
        FLU_SETTING,
    ]
    assert found[0].patients.tolist() == [True, False]
    assert not found[0].patients.flags.writeable


def test_a_rounding_by_exactly_5_percent_is_quiet_and_by_more_is_warned() -> None:
    # to 3 mg: 20 mg → 21 mg is +1/20 = 5% exactly, not more than 5%; 19 mg → 18 mg is
    # −1/19 = 5.26%, more
    assert (1 / 20, f"{1 / 19:.1%}") == (0.05, "5.3%")
    found = {}
    for amount in (20, 19):
        regimen = template({"agent": "idarubicin", "amount": f"{amount} mg/m**2", "days": "1"})
        schedule = regimen.expand(ONE_M2, policy=Policy(rounding={"*": Q_(3, "mg")}))
        found[amount] = texts(dosing.check(schedule), "rounding")
    assert found == {
        20: [],
        19: [
            "warning [rounding]: idarubicin day 1: rounding moved the idarubicin dose by 5.3% "
            "(more than 5%)"
        ],
    }


# -- the dose a usual range is compared with ----------------------------------------------------

BU = {"agent": "Bu", "amount": "1 mg/kg", "days": "1..4", "per_day": 4}


def test_a_deliberate_reduction_of_a_per_kg_dose_is_not_compared_with_the_usual_range() -> None:
    # busulfan 1 mg/kg four times a day = 4 mg/kg a day, inside the usual 3.2–4.8; a dose factor
    # of 0.5 gives 2 mg/kg a day, deliberately: the usual range is about the template's dose
    regimen = template(BU, setting="conditioning")
    halved = regimen.expand(ADULT, policy=Policy(dose_factors={"busulfan": 0.5}))
    assert halved.rows[0].dose_value == pytest.approx(0.5 * 70)  # 0.5 × 1 mg/kg × 70 kg
    assert dosing.check(halved) == []
    # and after a basis step: 1 mg/kg of the ideal weight (Devine, female, 175 cm: 45.5 + 2.3 ×
    # (175 / 2.54 − 60) = 65.96 kg), then halved: still 4 mg/kg a day as prescribed
    big = Patient(height=Q_(175, "cm"), weight=Q_(110, "kg"), age=Q_(40, "year"), sex="female")
    policy = Policy(dosing_weight={"busulfan": "ideal"}, dose_factors={"busulfan": 0.5})
    ideal = regimen.expand(big, policy=policy)
    assert ideal.rows[0].dose_value == pytest.approx(0.5 * (45.5 + 2.3 * (175 / 2.54 - 60)))
    assert dosing.check(ideal) == []


def test_a_per_kg_dose_changed_after_expansion_is_said_not_as_prescribed() -> None:
    # busulfan 1 mg/kg × 70 kg = 70 mg, made 140 mg after expansion
    schedule = template(BU, setting="conditioning").expand(ADULT)
    result = schedule.lines[0]
    assert result.dose == pytest.approx(70.0)
    object.__setattr__(result, "dose", result.dose * 2)
    assert texts(dosing.check(schedule), "not_as_prescribed") == [
        "warning [not_as_prescribed]: busulfan: busulfan: the dose is not the template's 1 mg/kg "
        "× its basis with the recorded policy steps (the final dose); the schedule may have been "
        "changed after it was made"
    ]


# -- a dose changed after expansion -------------------------------------------------------------


def _not_as_prescribed(what: str) -> list[str]:
    return [
        "warning [not_as_prescribed]: inotuzumab ozogamicin: inotuzumab ozogamicin: the dose is "
        f"not the template's 0.8 mg/m² × its basis with the recorded policy steps ({what}); the "
        "schedule may have been changed after it was made"
    ]


def test_a_dose_changed_by_more_than_one_part_in_a_billion_is_said_not_as_prescribed() -> None:
    # 0.8 mg/m² × 1.29099 m² = 1.0328 mg: changed by 5e-9 of itself (5.2e-9 mg, more than
    # PRESCRIBED_RTOL = 1e-9 of it and less than numpy's default tolerances 1e-5 and 1e-8 mg),
    # said; changed by 5e-10 of itself, within the tolerance, not said
    for change, said in ((5e-9, _not_as_prescribed("the final dose")), (5e-10, [])):
        schedule = INO_1.expand(CHILD)
        result = schedule.lines[0]
        assert result.dose == pytest.approx(0.8 * math.sqrt(150 * 40 / 3600), rel=1e-12)
        object.__setattr__(result, "dose", result.dose * (1 + change))
        assert texts(dosing.check(schedule), "not_as_prescribed") == said


def test_a_dose_changed_on_two_counts_names_both() -> None:
    # a rounded line whose recorded step starts from another dose, and whose final dose is not
    # the step's either
    rounded = INO_1.expand(CHILD, policy=Policy(rounding={"*": Q_(0.1, "mg")}))
    result = rounded.lines[0]
    step = result.adjustments[0]
    object.__setattr__(step, "before", step.before * 1.5)
    object.__setattr__(result, "dose", result.dose * 2)
    assert texts(dosing.check(rounded), "not_as_prescribed") == _not_as_prescribed(
        "before rounding, the final dose"
    )


# -- lifetime limits ----------------------------------------------------------------------------


def test_a_lifetime_limit_for_every_age_is_compared_after_one_that_depends_on_age(
    tmp_path: pathlib.Path,
) -> None:
    # two lifetime limits for asparaginase, for the test: adults 1000 mg/m², every age 2000
    # mg/m². Without an age, the first cannot be applied; the second still is
    table = _with(
        tmp_path,
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "lifetime"\n'
        'amount = "1000 mg/m**2"\nage_from = "18 year"\nunsourced = "a test"\n'
        '\n[[limit]]\nagent = "asparaginase"\ntier = "hard"\nper = "lifetime"\n'
        'amount = "2000 mg/m**2"\nunsourced = "a test"\n',
    )
    regimen = template({"agent": "asparaginase", "amount": "50 mg/m**2", "days": "1"})
    schedule = regimen.expand(Patient(bsa=Q_(1.7, "m**2")))
    assert [limit.describe() for limit in compared(schedule, table)["asparaginase"]] == [
        "hard limit of 2000 mg/m² lifetime"
    ]
    assert "not_checked" not in [f.code for f in dosing.check(schedule, limits=table)]


# -- why an agent was not checked ---------------------------------------------------------------


def test_a_flat_dose_against_limits_per_kg_without_a_weight_says_the_weight_is_needed() -> None:
    # Thymoglobulin for GVHD prophylaxis: at most 2.5 mg/kg a day (label). A flat 150 mg is
    # compared per kg of the weight; given by BSA alone it cannot be, and the reason says what
    # is missing (it said "it is dosed flat here, and its limits are per kg", as if a flat dose
    # could never be compared)
    line = {"agent": "Thymoglobulin", "amount": "150 mg", "days": "1"}
    regimen = template({**line, "setting": "gvhd-prophylaxis", "acknowledge": "x"})
    assert texts(dosing.check(regimen.expand(Patient(bsa=Q_(1.8, "m**2"))))) == [
        "info [not_checked]: anti-thymocyte globulin (rabbit): anti-thymocyte globulin (rabbit) "
        "was not checked: its hard limit of 2.5 mg/kg per day [thymoglobuline-sg-label] needs "
        "the patient's weight"
    ]
    # with the weight it is compared: 150 mg / 50 kg = 3 mg/kg, over 2.5
    weighed = regimen.expand(Patient(bsa=Q_(1.8, "m**2"), weight=Q_(50, "kg")))
    assert texts(dosing.check(weighed)) == [
        "error [over_limit]: anti-thymocyte globulin (rabbit) day 1: anti-thymocyte globulin "
        "(rabbit) gives on day 1 3 mg/kg, over the per-day limit of 2.5 mg/kg "
        "[thymoglobuline-sg-label]"
    ]


def test_a_line_of_a_kind_no_applicable_limit_has_is_said_so_and_another_settings_is_not() -> None:
    # Daunorubicin's limits are per m² and per kg (data/dose_limits.toml); a user's template that
    # writes it in Gy cannot be compared with any of them, whatever the patient gives.
    line = {"agent": "daunorubicin", "amount": "2 Gy", "days": "1", "acknowledge": "any"}
    assert texts(dosing.check(template(line).expand(CHILD)), "not_checked") == [
        "info [not_checked]: daunorubicin: daunorubicin was not checked: it is dosed in Gy here, "
        "and its limits are per m² or per kg",
        "info [not_checked]: daunorubicin: the planned daunorubicin cannot be expressed in the "
        "unit of its hard limit of 300 mg/m² lifetime [daunorubicin-label]",
    ]
    # Campath's limits are flat and for systemic use: for an intrathecal line none applies, so
    # its kind is not the reason (it said "dosed per m² here, and its limits are flat").
    intrathecal = {
        "agent": "alemtuzumab",
        "product": "Campath",
        "amount": "1 mg/m**2",
        "days": "1",
        "acknowledge": "any",
        "setting": "intrathecal",
    }
    assert texts(dosing.check(template(intrathecal).expand(CHILD))) == [
        "info [not_checked]: alemtuzumab: alemtuzumab was not checked: no limit applies to it "
        "(Campath) for the setting intrathecal"
    ]
