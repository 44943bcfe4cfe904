"""Policies: every adjustment explicit, flagged exactly when it changes a dose, property-tested.

Expected values are hand arithmetic shown inline.
"""

from __future__ import annotations

import copy
import math
import pathlib
import warnings
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import dosing
from dosing import (
    Q_,
    DomainError,
    DosingWeight,
    ImplausibleInputWarning,
    InfantRule,
    Patient,
    Policy,
    UnitsError,
    UnknownMethodError,
    UnusedPolicyWarning,
)
from dosing.policy.renal import RENAL_TABLES
from dosing.policy.steps import round_half_up
from dosing.vocabulary import FLAGS
from tests import strategies as hs

CHILD = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"), sex="male")
BSA_CHILD = math.sqrt(150 * 40 / 3600)
RIC = dosing.get_regimen("flu-arac-mel-ric")
INO = dosing.get_regimen("inotuzumab-cycle-1")


def quiet(**kwargs: object) -> Patient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleInputWarning)
        return Patient(**kwargs)  # type: ignore[arg-type]


def capped_regimen(tmp_path: pathlib.Path, cap: str = "2 mg") -> dosing.Regimen:
    path = tmp_path / "vcr.toml"
    path.write_text(
        'key = "vcr"\nname = "Vincristine"\nframe = "cycle"\ncycle_length = "7 day"\n'
        'references = ["pbc28980"]\n[[dose]]\nagent = "vincristine"\namount = "1.5 mg/m**2"\n'
        f'days = "1"\ncap = "{cap}"\n',
        encoding="utf-8",
    )
    return dosing.load_regimen(path)


# -- construction -------------------------------------------------------------------------------


def test_default_policy_changes_nothing_and_has_a_readable_repr() -> None:
    assert repr(Policy()) == "Policy()"
    plain = RIC.expand(CHILD)
    with_default = RIC.expand(CHILD, policy=Policy())
    assert [r.dose for r in plain] == [r.dose for r in with_default]
    assert all(r.flags == frozenset() for r in with_default)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"bsa_method": "nope"}, UnknownMethodError, "method='nope'"),
        ({"bsa_cap": 2.0}, UnitsError, "bsa_cap=2.0 has no unit"),
        ({"bsa_cap": Q_(2, "kg")}, UnitsError, "bsa_cap="),
        ({"bsa_cap": Q_(0, "m**2")}, DomainError, "bsa_cap="),
        ({"bsa_cap": Q_([2, 3], "m**2")}, DomainError, "one area"),
        ({"dose_factors": {"fludarabine": 1.2}}, DomainError, "above 1 is refused"),
        ({"dose_factors": {"fludarabine": 0}}, DomainError, r"in \[0\.1, 1\]"),
        ({"dose_factors": {"fludarabine": "80%"}}, DomainError, "fraction"),
        ({"dose_factors": [0.8]}, DomainError, "mapping"),
        ({"dose_factors": {"": 0.8}}, DomainError, "keys are agent names"),
        ({"dose_factors": {"Melphalan": 0.5, "melphalan": 0.8}}, DomainError, "twice"),
        ({"rounding": {"*": 0.1}}, UnitsError, "no unit"),
        ({"rounding": {"*": Q_(0.1, "mL")}}, UnitsError, "increment of dose"),
        ({"rounding": {"*": Q_(0, "mg")}}, DomainError, "positive increment"),
        ({"max_rounding_change": 0}, DomainError, "max_rounding_change"),
        ({"max_rounding_change": 1.5}, DomainError, "max_rounding_change"),
        ({"infant_rule": {"below_weight": 10}}, DomainError, "must be an InfantRule"),
        ({"renal": "fludarabine"}, UnknownMethodError, "renal='fludarabine'"),
        (
            {"renal": ["fludarabine-fludara-label", "fludarabine-generic-label"]},
            DomainError,
            "both adjust fludarabine",
        ),
        ({"renal": []}, DomainError, "table key"),
        ({"dosing_weight": "lean"}, UnknownMethodError, "dosing_weight='lean'"),
        ({"dosing_weight": "adjusted"}, DomainError, "needs its factor"),
        ({"dosing_weight": 3}, DomainError, "'actual', 'ideal' or a DosingWeight"),
    ],
)
def test_policy_refuses_bad_fields(kwargs: dict[str, object], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        Policy(**kwargs)  # type: ignore[arg-type]


def test_infant_rule_and_dosing_weight_validation() -> None:
    assert repr(InfantRule(below_weight=Q_(10, "kg"), divisor=30)) == (
        "InfantRule(below_weight=Q_(10, 'kg'), divisor=30.0)"
    )
    assert InfantRule(below_weight="22 lb", divisor=Q_(30, "kg/m**2")).divisor == 30.0
    with pytest.raises(UnitsError, match="below_weight=10 has no unit"):
        InfantRule(below_weight=10, divisor=30)
    with pytest.raises(DomainError, match="divisor="):
        InfantRule(below_weight=Q_(10, "kg"), divisor=0)
    with pytest.raises(DomainError, match="below_weight="):
        InfantRule(below_weight=Q_(1000, "kg"), divisor=30)
    with pytest.raises(DomainError, match="factor must be a number from 0 to 1"):
        DosingWeight("adjusted", factor=1.5)
    with pytest.raises(DomainError, match="belongs to 'adjusted' only"):
        DosingWeight("ideal", factor=0.4)
    with pytest.raises(UnknownMethodError, match="ibw_method"):
        DosingWeight("ideal", ibw_method="broca")
    assert DosingWeight("adjusted", factor=0.25).describe() == (
        "adjusted body weight (factor 0.25, Devine IBW)"
    )


def test_bsa_method_shorthand_and_conflict() -> None:
    by_keyword = RIC.expand(CHILD, bsa_method="haycock")
    by_policy = RIC.expand(CHILD, policy=Policy(bsa_method="haycock"))
    assert [r.dose for r in by_keyword] == [r.dose for r in by_policy]
    haycock = 0.024265 * 40**0.5378 * 150**0.3964
    assert by_keyword[0].dose.m_as("mg") == pytest.approx(30 * haycock, rel=1e-12)
    RIC.expand(CHILD, bsa_method="haycock", policy=Policy(bsa_method="haycock"))
    with pytest.raises(DomainError, match="disagrees with policy.bsa_method"):
        RIC.expand(CHILD, bsa_method="dubois", policy=Policy(bsa_method="haycock"))


def test_policy_naming_an_agent_the_regimen_does_not_give_warns() -> None:
    with pytest.warns(UnusedPolicyWarning, match="'fludarbine'"):
        RIC.expand(CHILD, policy=Policy(dose_factors={"fludarbine": 0.8}))


# -- BSA cap ------------------------------------------------------------------------------------


def test_bsa_cap_example() -> None:
    adult = Patient(height=Q_(190, "cm"), weight=Q_(110, "kg"))  # Mosteller 2.4094 m²
    schedule = RIC.expand(adult, policy=Policy(bsa_cap=Q_(2.0, "m**2")))
    assert schedule[0].dose.m_as("mg") == pytest.approx(30 * 2.0)
    assert schedule[0].flags == frozenset({"bsa_capped"})
    assert "capped at 2 m² by policy" in str(schedule[0].basis)
    under = RIC.expand(CHILD, policy=Policy(bsa_cap=Q_(2.0, "m**2")))
    assert all(r.flags == frozenset() for r in under)
    at_cap = quiet(bsa=Q_(2.0, "m**2"))
    assert all(r.flags == frozenset() for r in RIC.expand(at_cap, policy=Policy(bsa_cap="2 m2")))


@given(kwargs=hs.patients_kwargs(), cap=st.floats(min_value=0.5, max_value=2.5))
def test_bsa_cap_never_raises_a_dose_and_flags_exactly_when_it_binds(
    kwargs: dict[str, object], cap: float
) -> None:
    patient = quiet(**kwargs)
    plain = RIC.expand(patient)
    capped = RIC.expand(patient, policy=Policy(bsa_cap=Q_(cap, "m**2")))
    bsa = plain.bsa.value  # type: ignore[union-attr]
    for before, after in zip(plain, capped, strict=True):
        assert after.dose <= before.dose
        assert ("bsa_capped" in after.flags) == (bsa > cap)
        assert ("bsa_capped" in after.flags) == (after.dose != before.dose)


# -- dose factors -------------------------------------------------------------------------------


@given(kwargs=hs.patients_kwargs(), factor=st.floats(min_value=0.1, max_value=1.0))
def test_a_dose_factor_scales_exactly_that_agent(kwargs: dict[str, object], factor: float) -> None:
    patient = quiet(**kwargs)
    plain = RIC.expand(patient)
    reduced = RIC.expand(patient, policy=Policy(dose_factors={"Fludarabine": factor}))
    for before, after in zip(plain, reduced, strict=True):
        if before.agent == "fludarabine":
            assert after.dose.magnitude == pytest.approx(factor * before.dose.magnitude, rel=1e-15)
            assert ("reduced" in after.flags) == (factor != 1.0)
        else:
            assert after.dose == before.dose
            assert after.flags == frozenset()


def test_star_dose_factor_applies_to_every_agent() -> None:
    schedule = RIC.expand(CHILD, policy=Policy(dose_factors={"*": 0.5}))
    assert schedule.total("melphalan").m_as("mg") == pytest.approx(0.5 * 180 * BSA_CHILD)
    assert all("reduced" in r.flags for r in schedule)


# -- rounding -----------------------------------------------------------------------------------


def test_rounding_half_up_at_exactly_half_an_increment() -> None:
    # A given BSA of 1.4375 m² × 0.8 mg/m² = 1.15 mg: exactly halfway between 1.1 and 1.2.
    patient = Patient(bsa=Q_(1.4375, "m**2"))
    policy = Policy(rounding={"inotuzumab ozogamicin": Q_(0.1, "mg")})
    row = INO.expand(patient, policy=policy)[0]
    assert row.calculated.m_as("mg") == pytest.approx(1.15)
    assert row.dose.m_as("mg") == 1.2  # half-up; half-even would give 1.2 too, so also:
    # 0.5 mg/m² × 1.45 m² = 0.725 mg to 0.05 mg: half-up 0.75 (half-even would give 0.7)
    row = INO.expand(Patient(bsa=Q_(1.45, "m**2")), policy=Policy(rounding={"*": Q_(0.05, "mg")}))[
        1
    ]
    assert row.calculated.m_as("mg") == pytest.approx(0.725)
    assert row.dose.m_as("mg") == 0.75
    assert row.flags == frozenset({"rounded"})


def test_round_half_up_function_matches_decimal() -> None:
    assert round_half_up(2.5, 1.0) == 3.0
    assert round_half_up(0.125, 0.25) == 0.25
    assert round_half_up(1.0 * 0.7 / 0.1 * 0.1, 0.1) == 0.7
    np.testing.assert_array_equal(
        round_half_up(np.array([2.5, 3.5, 0.725]), 0.05), [2.5, 3.5, 0.75]
    )


@given(
    value=st.floats(min_value=0.01, max_value=10_000),
    increment=st.sampled_from([0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 50.0, 100.0]),
)
def test_scalar_and_array_rounding_agree_and_stay_within_half_an_increment(
    value: float, increment: float
) -> None:
    scalar = round_half_up(value, increment)
    array = round_half_up(np.array([value]), increment)[0]
    assert scalar == array
    assert abs(scalar - value) <= increment / 2 * (1 + 1e-9)
    exact = (Decimal(repr(value)) / Decimal(repr(increment))).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    ) * Decimal(repr(increment))
    assert scalar == pytest.approx(float(exact), rel=1e-12, abs=1e-12)


@given(kwargs=hs.patients_kwargs(), increment=st.sampled_from([0.1, 0.5, 1.0, 5.0]))
def test_rounding_property(kwargs: dict[str, object], increment: float) -> None:
    patient = quiet(**kwargs)
    try:
        schedule = RIC.expand(
            patient, policy=Policy(rounding={"*": Q_(increment, "mg")}, max_rounding_change=0.25)
        )
    except DomainError:
        assume(False)
    for row in schedule:
        calculated, dose = row.calculated.m_as("mg"), row.dose.m_as("mg")
        assert abs(dose - calculated) <= increment / 2 * (1 + 1e-9)
        assert ("rounded" in row.flags) == (dose != calculated)
        assert math.isclose(dose / increment, round(dose / increment), abs_tol=1e-9)


def test_rounding_beyond_the_allowed_change_raises() -> None:
    # InO 0.5 mg/m² × 1.291 m² = 0.6455 mg; to 0.5 mg: 0.5 (−22.5%) → refused at 10%
    with pytest.raises(DomainError, match=r"inotuzumab ozogamicin.*by 22\.5%.*max_rounding_change"):
        INO.expand(CHILD, policy=Policy(rounding={"*": Q_(0.5, "mg")}))


def test_agent_rounding_wins_over_star_and_star_skips_other_dimensions() -> None:
    policy = Policy(rounding={"*": Q_(1, "mg"), "melphalan": Q_(5, "mg")}, max_rounding_change=0.25)
    schedule = dosing.get_regimen("mel-tbi-mac").expand(CHILD, policy=policy)
    mel = schedule.rows_for("melphalan")[0]
    assert mel.dose.m_as("mg") == 115.0  # 90 × 1.29099 = 116.19 → nearest 5 mg
    tbi = schedule.rows_for("total body irradiation")[0]
    assert tbi.dose.m_as("Gy") == 2.0
    assert tbi.flags == frozenset()
    with pytest.raises(DomainError, match="give an increment in Gy"):
        dosing.get_regimen("mel-tbi-mac").expand(
            CHILD, policy=Policy(rounding={"total body irradiation": Q_(1, "mg")})
        )


def test_cap_applies_before_rounding_and_rounding_never_exceeds_it(tmp_path: pathlib.Path) -> None:
    vcr = capped_regimen(tmp_path)
    adult = Patient(height=Q_(180, "cm"), weight=Q_(80, "kg"))  # BSA 2.0: 3 mg → capped 2 mg
    row = vcr.expand(adult)[0]
    assert row.dose.m_as("mg") == 2.0
    assert row.flags == frozenset({"dose_capped"})
    # 1.5 mg/m² × 1.29099 = 1.9365 mg, under the 1.95 mg cap; to 0.1 mg half-up gives 1.9 mg
    # (.9365 -> .9), under the cap: the ordinary half-up branch.
    row = capped_regimen(tmp_path, "1.95 mg").expand(
        CHILD, policy=Policy(rounding={"*": Q_(0.1, "mg")})
    )[0]
    assert row.calculated.m_as("mg") == pytest.approx(1.5 * BSA_CHILD)
    assert row.dose.m_as("mg") == 1.9
    assert row.flags == frozenset({"rounded"})
    # 1.5 mg/m² × 1.3 m² = 1.95 mg, under the 1.98 mg cap; half-up to 0.1 mg would be 2.0 mg,
    # above the cap, so it rounds down to 1.9 mg (issue 16: the branch the comment above once
    # claimed to reach).
    row = capped_regimen(tmp_path, "1.98 mg").expand(
        Patient(bsa=Q_(1.3, "m**2")), policy=Policy(rounding={"*": Q_(0.1, "mg")})
    )[0]
    assert row.calculated.m_as("mg") == pytest.approx(1.95)
    assert row.dose.m_as("mg") == 1.9
    assert row.flags == frozenset({"rounded"})


@given(kwargs=hs.patients_kwargs(), increment=st.sampled_from([0.1, 0.25, 0.5]))
def test_a_rounded_dose_never_exceeds_a_cap(kwargs: dict[str, object], increment: float) -> None:
    import tempfile

    vcr = capped_regimen(pathlib.Path(tempfile.mkdtemp()), "1.95 mg")
    try:
        row = vcr.expand(
            quiet(**kwargs),
            policy=Policy(rounding={"*": Q_(increment, "mg")}, max_rounding_change=0.25),
        )[0]
    except DomainError:
        assume(False)
    assert row.dose.m_as("mg") <= 1.95
    assert ("dose_capped" in row.flags) == (row.calculated.m_as("mg") < 1.5 * row.basis.value)


# -- infant rule ---------------------------------------------------------------------------

RULE = InfantRule(below_weight=Q_(10, "kg"), divisor=30)


def test_infant_rule_threshold_edges() -> None:
    below = quiet(height=Q_(70, "cm"), weight=Q_(9.99, "kg"))
    at = quiet(height=Q_(70, "cm"), weight=Q_(10, "kg"))
    row = RIC.expand(below, policy=Policy(infant_rule=RULE))[0]
    assert row.dose.m_as("mg") == pytest.approx(30 / 30 * 9.99, rel=1e-15)  # 30 mg/m² ÷ 30 /kg
    assert row.flags == frozenset({"infant_rule"})
    assert row.basis.kind == "weight"
    assert "infant rule" in str(row.basis)
    row = RIC.expand(at, policy=Policy(infant_rule=RULE))[0]
    assert row.dose.m_as("mg") == pytest.approx(30 * math.sqrt(70 * 10 / 3600))
    assert row.flags == frozenset()


def test_infant_rule_is_off_unless_asked_and_leaves_per_kg_and_flat_alone() -> None:
    infant = quiet(height=Q_(65, "cm"), weight=Q_(7, "kg"))
    row = RIC.expand(infant)[0]
    assert row.dose.m_as("mg") == pytest.approx(30 * math.sqrt(65 * 7 / 3600))
    atg = dosing.get_regimen("rabbit-atg").expand(infant, policy=Policy(infant_rule=RULE))[0]
    assert atg.dose.m_as("mg") == pytest.approx(1.25 * 7)
    assert atg.flags == frozenset()
    tbi = dosing.get_regimen("mel-tbi-mac").expand(infant, policy=Policy(infant_rule=RULE))[0]
    assert tbi.flags == frozenset()


@given(kwargs=hs.patients_kwargs())
def test_infant_rule_only_touches_patients_under_its_threshold(kwargs: dict[str, object]) -> None:
    patient = quiet(**kwargs)
    plain = RIC.expand(patient)
    ruled = RIC.expand(patient, policy=Policy(infant_rule=RULE))
    weight = kwargs["weight"].m_as("kg")  # type: ignore[attr-defined]
    for before, after in zip(plain, ruled, strict=True):
        if weight < 10:
            assert after.flags == frozenset({"infant_rule"})
            assert after.dose.m_as("mg") == pytest.approx(
                before.prescribed.m_as("mg/m**2") / 30 * weight, rel=1e-12
            )
        else:
            assert after.dose == before.dose
            assert after.flags == frozenset()


def test_infant_rule_in_a_cohort_flags_only_the_infants() -> None:
    cohort = quiet(height=Q_(np.array([70.0, 150.0]), "cm"), weight=Q_(np.array([8.0, 40.0]), "kg"))
    row = RIC.expand(cohort, policy=Policy(infant_rule=RULE, bsa_cap=Q_(1.0, "m**2")))[0]
    assert set(row.flags) == {"infant_rule", "bsa_capped"}
    np.testing.assert_array_equal(row.flags["infant_rule"], [True, False])
    np.testing.assert_array_equal(row.flags["bsa_capped"], [False, True])
    np.testing.assert_allclose(row.dose.m_as("mg"), [8.0, 30.0])
    with pytest.raises(ValueError, match="read-only"):
        row.flags["infant_rule"][0] = False


# -- renal --------------------------------------------------------------------------------------


def adult(crcl: float) -> Patient:
    return Patient(
        height=Q_(170, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(50, "year"),
        sex="male",
        creatinine_clearance=Q_(crcl, "mL/min"),
    )


@pytest.mark.parametrize(
    ("crcl", "factor", "flags"),
    [
        (29.999, 0.0, {"renal_adjusted", "withheld"}),
        (30.0, 0.6, {"renal_adjusted"}),
        (49.999, 0.6, {"renal_adjusted"}),
        (50.0, 0.8, {"renal_adjusted"}),
        (79.999, 0.8, {"renal_adjusted"}),
        (80.0, 1.0, set()),
        (140.0, 1.0, set()),
    ],
)
def test_fludara_table_edges(crcl: float, factor: float, flags: set[str]) -> None:
    patient = adult(crcl)
    schedule = RIC.expand(patient, policy=Policy(renal="fludarabine-fludara-label"))
    bsa = math.sqrt(170 * 70 / 3600)
    flu = schedule.rows_for("fludarabine")[0]
    assert flu.dose.m_as("mg") == pytest.approx(30 * bsa * factor, rel=1e-15)
    assert flu.flags == frozenset(flags)
    for row in schedule.rows_for("cytarabine"):
        assert row.flags == frozenset()
    if flags:
        assert "measured creatinine clearance" in str(flu.basis)


def test_withheld_dose_stays_in_the_schedule_and_check_reports_it() -> None:
    schedule = RIC.expand(adult(20), policy=Policy(renal="fludarabine-fludara-label"))
    assert len(schedule.rows_for("fludarabine")) == 4
    assert schedule.total("fludarabine").m_as("mg") == 0
    errors = [f for f in dosing.check(schedule) if f.severity == "error"]
    assert len(errors) == 4
    assert all("fludarabine is withheld" in f.message for f in errors)


def test_generic_table_is_normalised_and_converted_with_bsa() -> None:
    # The tables are for adults: since issue 11 the patient's age is needed to apply them.
    # 60 mL/min absolute for a BSA of 2.0 m²: 60 × 1.73 / 2.0 = 51.9 mL/min/1.73 m² → [30, 70]
    patient = Patient(
        bsa=Q_(2.0, "m**2"), age=Q_(50, "year"), creatinine_clearance=Q_(60, "mL/min")
    )
    row = RIC.expand(patient, policy=Policy(renal="fludarabine-generic-label"))[0]
    assert row.dose.m_as("mg") == pytest.approx(30 * 2.0 * 0.8)
    assert "normalised to 1.73 m²" in str(row.basis)
    # 75 mL/min for a BSA of 1.5 m²: 75 × 1.73 / 1.5 = 86.5 → full dose
    patient = Patient(
        bsa=Q_(1.5, "m**2"), age=Q_(50, "year"), creatinine_clearance=Q_(75, "mL/min")
    )
    assert RIC.expand(patient, policy=Policy(renal="fludarabine-generic-label"))[0].flags == (
        frozenset()
    )
    # measured normalised clearance used directly
    patient = Patient(
        bsa=Q_(1.5, "m**2"),
        age=Q_(50, "year"),
        creatinine_clearance=Q_(69.9, "mL/min/standard_bsa"),
    )
    assert (
        "renal_adjusted"
        in RIC.expand(patient, policy=Policy(renal="fludarabine-generic-label"))[0].flags
    )
    # and converted to absolute for the absolute table: 69.9 × 1.5 / 1.73 = 60.6 → 80%
    row = RIC.expand(patient, policy=Policy(renal="fludarabine-fludara-label"))[0]
    assert row.dose.m_as("mg") == pytest.approx(30 * 1.5 * 0.8)
    assert "converted to mL/min" in str(row.basis)


def test_children_get_schwartz_and_adults_cockcroft_gault() -> None:
    # Since issue 11 an adult table is never applied to a child silently: it raises, naming the
    # way out, and applies only when the policy accepts it, flagged and warned.
    child = Patient(
        height=Q_(150, "cm"),
        weight=Q_(40, "kg"),
        age=Q_(12, "year"),
        sex="male",
        serum_creatinine=Q_(1.5, "mg/dL"),
    )
    with pytest.raises(DomainError, match="renal_outside_population='accept'") as info:
        RIC.expand(child, policy=Policy(renal="fludarabine-fludara-label"))
    assert info.value.argument == "renal"
    assert "is for adults" in str(info.value)
    assert "12 years old" in str(info.value)
    # Child, accepted: Schwartz 0.413 × 150 / 1.5 = 41.3 mL/min/1.73 m²; absolute 41.3 ×
    # 1.29099 / 1.73 = 30.82 mL/min → [30, 50) → 60%
    accept = Policy(renal="fludarabine-fludara-label", renal_outside_population="accept")
    with pytest.warns(dosing.OutsidePopulationWarning, match="is for adults"):
        row = RIC.expand(child, policy=accept)[0]
    assert row.dose.m_as("mg") == pytest.approx(30 * BSA_CHILD * 0.6)
    assert "Schwartz bedside" in str(row.basis)
    assert "Cockcroft–Gault from" not in str(row.basis)  # never computed for a child
    assert "(the table is written for Cockcroft–Gault)" in str(row.basis)
    assert "converted to mL/min with the patient's BSA (1.291 m²)" in str(row.basis)
    assert row.flags == frozenset({"renal_adjusted", "renal_outside_population"})
    assert [a.flag for a in row.adjustments] == ["renal_outside_population", "renal_adjusted"]
    # Adult: CG (140 − 50) × 70 / (72 × 1.5) = 58.33 mL/min → 80%
    grown = Patient(
        height=Q_(170, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(50, "year"),
        sex="male",
        serum_creatinine=Q_(1.5, "mg/dL"),
    )
    row = RIC.expand(grown, policy=Policy(renal="fludarabine-fludara-label"))[0]
    assert row.dose.m_as("mg") == pytest.approx(30 * math.sqrt(170 * 70 / 3600) * 0.8)
    assert "Cockcroft–Gault" in str(row.basis)


def test_renal_policy_never_defaults_a_missing_input() -> None:
    policy = Policy(renal="fludarabine-fludara-label")
    with pytest.raises(DomainError, match="never defaulted"):
        RIC.expand(CHILD, policy=policy)
    no_age = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), serum_creatinine=Q_(1, "mg/dL"))
    with pytest.raises(DomainError, match="needs age"):
        RIC.expand(no_age, policy=policy)
    no_sex = Patient(
        height=Q_(170, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(40, "year"),
        serum_creatinine=Q_(1, "mg/dL"),
    )
    with pytest.raises(DomainError, match="needs weight and sex"):
        RIC.expand(no_sex, policy=policy)
    child_no_height = Patient(
        bsa=Q_(1.2, "m**2"), age=Q_(10, "year"), serum_creatinine=Q_(0.5, "mg/dL")
    )
    # an adult table refuses the child first (issue 11); accepted, Schwartz needs height
    with pytest.raises(DomainError, match="is for adults"):
        RIC.expand(child_no_height, policy=policy)
    with pytest.raises(DomainError, match="needs height"):
        RIC.expand(
            child_no_height, policy=Policy(renal=policy.renal, renal_outside_population="accept")
        )


def test_mixed_cohort_uses_each_patients_estimator() -> None:
    cohort = Patient(
        height=Q_(np.array([150.0, 170.0]), "cm"),
        weight=Q_(np.array([40.0, 70.0]), "kg"),
        age=Q_(np.array([12.0, 50.0]), "year"),
        sex=np.array(["male", "male"]),
        serum_creatinine=Q_(1.5, "mg/dL"),
    )
    # the child needs the policy's acceptance of the adult table (issue 11), recorded for him
    with pytest.raises(DomainError, match="is for adults"):
        RIC.expand(cohort, policy=Policy(renal="fludarabine-fludara-label"))
    accept = Policy(renal="fludarabine-fludara-label", renal_outside_population="accept")
    with pytest.warns(dosing.OutsidePopulationWarning):
        row = RIC.expand(cohort, policy=accept)[0]
    np.testing.assert_allclose(
        row.dose.m_as("mg"),
        [30 * BSA_CHILD * 0.6, 30 * math.sqrt(170 * 70 / 3600) * 0.8],
        rtol=1e-12,
    )
    np.testing.assert_array_equal(row.flags["renal_outside_population"], [True, False])


@given(
    low=st.floats(min_value=0.1, max_value=399),
    delta=st.floats(min_value=0, max_value=200),
    key=st.sampled_from(sorted(RENAL_TABLES)),
)
def test_renal_tables_are_monotone_in_clearance(low: float, delta: float, key: str) -> None:
    table = RENAL_TABLES[key]
    assert table.factor(low) <= table.factor(low + delta)
    assert 0.0 <= table.factor(low) <= 1.0


def test_renal_tables_cite_sources_and_describe_bands() -> None:
    for table in RENAL_TABLES.values():
        assert table.references
        assert table.note
        assert table.bands[0].describe("mL/min").startswith("[0, ")
        assert table.bands[-1].describe("mL/min").endswith("100% of the dose")


# -- dosing weight -------------------------------------------------------------------------


def test_dosing_weight_options_are_recorded_in_the_basis() -> None:
    obese = Patient(height=Q_(170, "cm"), weight=Q_(120, "kg"), sex="male")
    atg = dosing.get_regimen("rabbit-atg")
    ibw = 50 + 2.3 * (170 / 2.54 - 60)  # Devine male: 65.43 kg
    ideal = atg.expand(obese, policy=Policy(dosing_weight="ideal"))[0]
    assert ideal.dose.m_as("mg") == pytest.approx(1.25 * ibw, rel=1e-12)
    assert "ideal body weight (Devine)" in str(ideal.basis)
    adjusted = atg.expand(
        obese,
        policy=Policy(
            dosing_weight={
                "anti-thymocyte globulin (rabbit)": DosingWeight("adjusted", factor=0.25)
            }
        ),
    )
    assert adjusted[0].dose.m_as("mg") == pytest.approx(1.25 * (ibw + 0.25 * (120 - ibw)))
    assert "adjusted body weight (factor 0.25" in str(adjusted[0].basis)
    # Dosing by adjusted weight changes the dose, so it is flagged (a defect of 0.1, issue 9).
    assert adjusted[0].flags == frozenset({"dosing_weight"})
    with pytest.raises(DomainError, match="needs the patient.s sex"):
        atg.expand(
            Patient(height=Q_(170, "cm"), weight=Q_(120, "kg")),
            policy=Policy(dosing_weight="ideal"),
        )
    thin = Patient(height=Q_(180, "cm"), weight=Q_(55, "kg"), sex="male")
    with pytest.warns(ImplausibleInputWarning, match="exceeds actual"):
        atg.expand(thin, policy=Policy(dosing_weight="ideal"))


def test_an_adjusted_weight_of_factor_1_is_the_actual_weight_and_not_flagged() -> None:
    # adjusted = IBW + 1 × (actual − IBW) = actual: 1.25 mg/kg × 90 kg = 112.5 mg, unchanged,
    # so no dosing_weight flag; the basis still says how the weight was chosen
    patient = Patient(height=Q_(170, "cm"), weight=Q_(90, "kg"), sex="male")
    policy = Policy(dosing_weight=DosingWeight("adjusted", factor=1.0))
    row = dosing.get_regimen("rabbit-atg").expand(patient, policy=policy)[0]
    assert row.dose.m_as("mg") == pytest.approx(112.5, rel=1e-12)
    assert row.flags == frozenset()
    assert "adjusted body weight (factor 1, Devine IBW)" in str(row.basis)


def test_a_gfr_cap_is_one_value() -> None:
    with pytest.raises(DomainError, match="must be one value, not an array") as info:
        Policy(gfr_cap=Q_(np.array([125.0, 125.0]), "mL/min"))
    assert info.value.argument == "gfr_cap"


# -- invariants ---------------------------------------------------------------------------------


@given(
    kwargs=hs.patients_kwargs(),
    factor=st.floats(min_value=0.5, max_value=1.0),
    cap=st.floats(min_value=0.5, max_value=2.5),
)
def test_a_policy_never_changes_the_regimen_and_flags_are_known(
    kwargs: dict[str, object], factor: float, cap: float
) -> None:
    before = copy.deepcopy(RIC)
    policy = Policy(
        bsa_cap=Q_(cap, "m**2"),
        dose_factors={"melphalan": factor},
        rounding={"*": Q_(1, "mg")},
        max_rounding_change=0.25,
        infant_rule=RULE,
    )
    try:
        schedule = RIC.expand(quiet(**kwargs), policy=policy)
    except DomainError:
        assume(False)
    assert before == RIC
    for row in schedule:
        assert set(row.flags) <= set(FLAGS)


def test_policy_is_recorded_on_the_schedule() -> None:
    policy = Policy(
        bsa_cap=Q_(2, "m**2"),
        renal="fludarabine-fludara-label",
        infant_rule=RULE,
        dosing_weight="ideal",
        rounding={"*": Q_(1, "mg")},
    )
    described = policy.describe()
    assert described["bsa_cap"] == {"value": 2.0, "unit": "m2"}
    assert described["renal"] == ["fludarabine-fludara-label"]
    assert described["infant_rule"]["divisor"] == 30.0
    assert described["dosing_weight"] == {"*": "ideal body weight (Devine)"}
    assert "Policy(bsa_cap=Q_(2, 'm**2')" in repr(policy)
    assert "dosing_weight=" in repr(policy)


def test_band_edges_survive_floating_point() -> None:
    # Cockcroft–Gault for a man of 23 y, 40 kg, SCr 1.3 mg/dL: 117 × 40 / (72 × 1.3) = 50 exactly
    # in decimal arithmetic, 49.999999999999993 in floating point: still the [50, 80) band.
    patient = Patient(
        height=Q_(160, "cm"),
        weight=Q_(40, "kg"),
        age=Q_(23, "year"),
        sex="male",
        serum_creatinine=Q_(1.3, "mg/dL"),
    )
    bsa = math.sqrt(160 * 40 / 3600)
    row = RIC.expand(patient, policy=Policy(renal="fludarabine-fludara-label"))[0]
    assert row.dose.m_as("mg") == pytest.approx(30 * bsa * 0.8)
    # 115.2 L/day is 80 mL/min: the full dose
    measured = Patient(
        bsa=Q_(1.5, "m**2"), age=Q_(40, "year"), creatinine_clearance=Q_(115.2, "L/day")
    )
    assert RIC.expand(measured, policy=Policy(renal="fludarabine-fludara-label"))[0].flags == (
        frozenset()
    )


def test_star_dose_factor_leaves_radiation_alone() -> None:
    schedule = dosing.get_regimen("mel-tbi-mac").expand(
        CHILD, policy=Policy(dose_factors={"*": 0.9})
    )
    assert schedule.total("total body irradiation").m_as("Gy") == 12.0
    assert schedule.total("melphalan").m_as("mg") == pytest.approx(0.9 * 180 * BSA_CHILD)
    named = dosing.get_regimen("mel-tbi-mac").expand(
        CHILD, policy=Policy(dose_factors={"total body irradiation": 0.9})
    )
    assert named.total("total body irradiation").m_as("Gy") == pytest.approx(10.8)


def test_rounding_increments_are_single_values_within_their_bounds() -> None:
    with pytest.raises(DomainError, match="one increment"):
        Policy(rounding={"*": Q_([0.1, 0.2], "mg")})
    # Issue 16: 1e-310 mg gave NaN doses flagged "rounded"; below 1 µg is refused, by name.
    for tiny in (1e-25, 1e-310, 0.00099):
        with pytest.raises(DomainError, match=r"rounding\['\*'\].*from 0.001 to 10000 mg"):
            Policy(rounding={"*": Q_(tiny, "mg")})
    with pytest.raises(DomainError, match=r"rounding\['\*'\]"):
        Policy(rounding={"*": Q_(10.001, "g")})
    with pytest.raises(DomainError, match=r"rounding\['\*'\]"):
        Policy(rounding={"*": Q_(10**400, "mg")})
    # The smallest increment works: 0.8 mg/m² × 1.290994 m² = 1.0327956 mg -> 1.033 mg.
    row = INO.expand(CHILD, policy=Policy(rounding={"*": Q_(1, "ug")}))[0]
    assert row.dose.m_as("mg") == pytest.approx(1.033, abs=1e-12)
    assert Policy(rounding={"*": Q_(10, "g")}).rounding["*"] == Q_(10, "g")
