"""Tests that kill the surviving mutants of ``dosing.body`` (weight, kidney, egfr, growth).

Mutation testing of main at 768f5c9 (issue 16 item 4) left survivors in these modules: the
boundaries of each check on both sides, every field of each refusal (reason, argument, value,
fix, message), the type of a scalar result, and the adult ideal-weight lines, which are declared
at import (mutmut activates a mutant per call, after the import, so the declaration is tested by
calling it again here). Expected values are from the formulas' publications (docs/formulas.md)
or hand arithmetic shown beside them, never from the library.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pint
import pytest

import dosing
from dosing import (
    Q_,
    DomainError,
    ImplausibleInputWarning,
    OutsidePopulationWarning,
    UnknownKeyError,
)
from dosing.body import weight
from dosing.errors import Example
from dosing.registry import Registry

#: mutmut's trampolines add frames between the caller and the library, so a test of where a
#: warning points cannot hold under mutation testing (as in tests/test_robustness.py).
_UNDER_MUTMUT = bool(os.environ.get("DOSING_MUTATION"))


@contextmanager
def _strict() -> Iterator[None]:
    """Any warning inside fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- body/weight.py: the adult ideal-weight lines, declared at import ----------------------------


def test_an_adult_ideal_weight_line_is_declared_exactly_as_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh: Registry[weight.WeightFormula] = Registry("method", name="IBW_FORMULAS")
    monkeypatch.setattr(weight, "IBW_FORMULAS", fresh)
    # Robinson 1983: male 52 + 1.9 (h − 60), female 49 + 1.7 (h − 60), h in inches
    weight._linear_ibw("robinson", "Robinson", "robinson1983", (52.0, 1.9), (49.0, 1.7))
    formula = fresh["robinson"]
    assert (formula.key, formula.name, formula.reference) == (
        "robinson",
        "Robinson",
        "robinson1983",
    )
    assert formula.equation == (
        "male 52 + 1.9 (h − 60); female 49 + 1.7 (h − 60), h = height in inches"
    )
    assert formula.population == "adults, from 60 in (152.4 cm); extrapolated below with a warning"
    assert formula.height_unit == dosing.units.INCH
    assert formula.adults_only is True
    assert formula.needs_age is False
    assert formula.ages is None
    # 70 in: male 52 + 1.9 × 10 = 71 kg, female 49 + 1.7 × 10 = 66 kg; a scalar gives a float
    male = formula.kernel(70.0, True)
    female = formula.kernel(70.0, False)
    assert type(male) is float and type(female) is float
    assert male == pytest.approx(71.0)
    assert female == pytest.approx(66.0)
    # 50 in (below the line's start): male 52 − 19 = 33 kg, female 49 − 17 = 32 kg
    assert formula.kernel(50.0, True) == pytest.approx(33.0)
    assert formula.kernel(50.0, False) == pytest.approx(32.0)
    # arrays: 60 in male = the intercept 52 kg; 70 in female 66 kg
    got = formula.kernel(np.array([60.0, 70.0]), np.array([True, False]))
    assert isinstance(got, np.ndarray)
    assert got == pytest.approx([52.0, 66.0])


def test_an_adult_ideal_weight_line_with_an_unknown_reference_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh: Registry[weight.WeightFormula] = Registry("method", name="IBW_FORMULAS")
    monkeypatch.setattr(weight, "IBW_FORMULAS", fresh)
    with pytest.raises(UnknownKeyError) as info:
        weight._linear_ibw("broca", "Broca", "broca1871", (50.0, 2.3), (45.5, 2.3))
    assert info.value.argument == "ideal body weight 'broca' reference"
    assert str(info.value).startswith(
        "ideal body weight 'broca' reference='broca1871' is not known"
    )
    assert "broca" not in fresh


# --- body/weight.py: ideal_body_weight -----------------------------------------------------------


def test_a_scalar_paediatric_ideal_weight_is_a_float() -> None:
    got = dosing.ideal_body_weight(
        Q_(150, "cm"), sex="male", method="bmi_for_age", age=Q_(12, "year")
    )
    assert type(got.m) is float


def test_ideal_weight_refuses_an_implausible_height_naming_height() -> None:
    with pytest.raises(DomainError) as info:
        dosing.ideal_body_weight(Q_(300, "cm"), sex="male")
    assert info.value.argument == "height"
    assert str(info.value).startswith("height=")


@pytest.mark.parametrize(
    ("call", "needed_by"),
    [
        (
            lambda: dosing.ideal_body_weight(Q_(170, "cm"), sex=None),
            "ideal_body_weight(method='devine')",
        ),
        (
            lambda: dosing.lean_body_weight(Q_(170, "cm"), Q_(70, "kg"), sex=None),
            "lean_body_weight(method='james')",
        ),
    ],
)
def test_a_missing_sex_names_the_weight_formula_that_needs_it(
    call: Callable[[], object], needed_by: str
) -> None:
    with pytest.raises(DomainError) as info:
        call()
    assert str(info.value) == f"{needed_by} needs sex; pass sex='male' or sex='female'"
    assert info.value.argument == "sex"


@pytest.mark.parametrize(
    ("call", "needed_by"),
    [
        (
            lambda: dosing.ideal_body_weight(Q_(150, "cm"), sex="male", method="bmi_for_age"),
            "ideal_body_weight(method='bmi_for_age')",
        ),
        (
            lambda: dosing.lean_body_weight(
                Q_(150, "cm"), Q_(40, "kg"), sex="male", method="al_sallami"
            ),
            "lean_body_weight(method='al_sallami')",
        ),
    ],
)
def test_a_missing_age_is_refused_with_every_part_of_the_error(
    call: Callable[[], object], needed_by: str
) -> None:
    with pytest.raises(DomainError) as info:
        call()
    error = info.value
    assert str(error) == f"{needed_by} needs age: give age=Q_(12, 'year')"
    assert (error.argument, error.value, error.reason) == (
        "age",
        None,
        f"is needed by {needed_by}",
    )
    assert error.fix == Example({"age": Q_(12, "year")}, verb="give")
    assert isinstance(error.fix, Example)
    assert list(error.fix.arguments) == ["age"]
    age = error.fix.arguments["age"]
    assert (age.m, age.units) == (12, Q_(1, "year").units)  # type: ignore[attr-defined]
    assert error.fix.verb == "give"


def test_an_adult_ideal_weight_refusal_names_the_first_bad_height_and_every_part() -> None:
    # 90 cm = 35.433 in: Devine male 50 + 2.3 × (35.433 − 60) = −6.504 kg, a BMI of
    # −6.504 / 0.9² = −8.03 kg/m². 170 cm comes first and is fine, so the refusal names 90 cm.
    with pytest.raises(DomainError) as info:
        dosing.ideal_body_weight(Q_([170.0, 90.0], "cm"), sex="male")
    error = info.value
    said = "is not meaningful for height=90.0 cm: the adult formula gives -6.5 kg, a BMI of -8.03"
    assert error.reason == f"{said} kg/m² at that height"
    assert error.argument == "height"
    assert isinstance(error.value, pint.Quantity)
    assert error.value.m_as("cm") == pytest.approx(90.0)
    assert error.fix == "Use actual body weight, or the paediatric method='bmi_for_age'"
    assert str(error) == (
        f"ideal_body_weight(method='devine') {said} kg/m² at that height. Use actual body "
        "weight, or the paediatric method='bmi_for_age'"
    )


def test_an_adult_ideal_weight_at_exactly_the_screening_bmi_floor_is_accepted() -> None:
    # Robinson female at h = 36.1306237687991 in: 49 + 1.7 × (h − 60) = 8.4221 kg, and
    # (h × 0.0254 m)² = 0.84222 m², a BMI of 10.000 kg/m² (in double arithmetic exactly 10.0,
    # the library's BMI_LOW): the band is inclusive, so it is extrapolated with a warning.
    h = 36.1306237687991
    assert (49.0 + 1.7 * (h - 60.0)) / (h * 0.0254) ** 2 == 10.0
    with pytest.warns(OutsidePopulationWarning, match="extrapolated"):
        got = dosing.ideal_body_weight(Q_(h, "inch"), sex="female", method="robinson")
    assert got.m_as("kg") == pytest.approx(8.4221, abs=1e-4)
    with pytest.raises(
        DomainError, match="BMI of 9.81"
    ):  # 36 in: 49 − 40.8 = 8.2 kg, / 0.9144² = 9.81
        dosing.ideal_body_weight(Q_(36.0, "inch"), sex="female", method="robinson")


def test_an_adult_ideal_weight_at_60_inches_does_not_warn() -> None:
    # 60 in is where the lines start: Devine male 50 kg, female 45.5 kg, no extrapolation
    with _strict():
        male = dosing.ideal_body_weight(Q_(60, "inch"), sex="male")
        female = dosing.ideal_body_weight(Q_(60, "inch"), sex="female")
    assert (male.m_as("kg"), female.m_as("kg")) == (50.0, 45.5)


def test_an_adult_ideal_weight_warns_under_18_years_only() -> None:
    with _strict():
        adult = dosing.ideal_body_weight(Q_(170, "cm"), sex="male", age=Q_(18, "year"))
    # 170 cm = 66.929 in: 50 + 2.3 × 6.929 = 65.94 kg
    assert adult.m_as("kg") == pytest.approx(50 + 2.3 * (170 / 2.54 - 60))
    with pytest.warns(OutsidePopulationWarning) as record:
        dosing.ideal_body_weight(Q_(170, "cm"), sex="male", age=Q_(17.9, "year"))
    assert [str(w.message) for w in record] == [
        "ideal_body_weight(method='devine') is an adult formula, applied here to a patient "
        "under 18 years; for a child use method='bmi_for_age' (CDC 2000 BMI-for-age, 2 to 20 "
        "years)"
    ]


@pytest.mark.skipif(_UNDER_MUTMUT, reason="mutmut's trampolines add frames")
def test_weight_warnings_point_at_the_callers_line() -> None:
    with pytest.warns(OutsidePopulationWarning) as record:
        dosing.ideal_body_weight(Q_(150, "cm"), sex="male")
    assert record[0].filename == __file__
    with pytest.warns(OutsidePopulationWarning) as record:
        dosing.ideal_body_weight(Q_(170, "cm"), sex="male", age=Q_(12, "year"))
    assert record[0].filename == __file__
    with pytest.warns(ImplausibleInputWarning) as record:
        dosing.adjusted_body_weight(Q_(60, "kg"), Q_(70, "kg"))
    assert record[0].filename == __file__
    with pytest.warns(OutsidePopulationWarning) as record:
        dosing.lean_body_weight(
            Q_(170, "cm"), Q_(70, "kg"), sex="male", method="al_sallami", age=Q_(40, "year")
        )
    assert record[0].filename == __file__


# --- body/weight.py: the paediatric (BMI-for-age) ideal weight's ages -----------------------------


def test_the_paediatric_ideal_weight_accepts_ages_to_the_tables_ends_and_its_tolerance() -> None:
    # The CDC 2000 BMI-for-age table runs from 24 to 240.5 months: 2 to 20.0417 years, with a
    # relative tolerance of 1e-12 for the round-off of a unit conversion.
    low, high = 24.0 / 12.0, 240.5 / 12.0
    for age in (low * (1 - 1e-12), low, high, high * (1 + 1e-12)):
        got = dosing.ideal_body_weight(
            Q_(150, "cm"), sex="female", method="bmi_for_age", age=Q_(age, "year")
        )
        assert 0.0 < got.m_as("kg") < 100.0


def test_the_paediatric_ideal_weight_refuses_the_first_age_outside_the_table() -> None:
    with pytest.raises(DomainError) as info:
        dosing.ideal_body_weight(
            Q_(150, "cm"),
            sex="female",
            method="bmi_for_age",
            age=Q_([5.0, 1.5, 25.0], "year"),
        )
    error = info.value
    assert error.argument == "age"
    assert error.value == Q_(1.5, "year")
    assert error.reason == (
        "is outside the CDC 2000 BMI-for-age table (2 to 20.04 years), which "
        "method='bmi_for_age' reads"
    )
    assert error.fix == (
        "under 2 years use actual body weight; from 20 years an adult formula (method='devine')"
    )
    assert str(error) == (
        f"age={dosing.errors.show_value(Q_(1.5, 'year'))} is outside the CDC 2000 BMI-for-age "
        "table (2 to 20.04 years), which method='bmi_for_age' reads; under 2 years use actual "
        "body weight; from 20 years an adult formula (method='devine')"
    )
    with pytest.raises(DomainError, match="outside the CDC 2000"):
        dosing.ideal_body_weight(
            Q_(150, "cm"), sex="male", method="bmi_for_age", age=Q_(20.05, "year")
        )


# --- body/weight.py: adjusted_body_weight ---------------------------------------------------------


def test_an_adjusted_weight_factor_of_1_is_the_actual_weight() -> None:
    # 70 + 1.0 × (120 − 70) = 120 kg; 70 + 0 × 50 = 70 kg
    got = dosing.adjusted_body_weight(Q_(120, "kg"), Q_(70, "kg"), factor=1.0)
    assert got.m_as("kg") == 120.0
    assert dosing.adjusted_body_weight(Q_(120, "kg"), Q_(70, "kg"), factor=0.0).m_as("kg") == 70.0


@pytest.mark.parametrize(
    ("factor", "shown"),
    [(1.5, "1.5"), (Q_(0.4, ""), "<Quantity(0.4, 'dimensionless')>"), (True, "True")],
)
def test_a_bad_adjusted_weight_factor_is_refused_with_every_part(
    factor: object, shown: str
) -> None:
    with pytest.raises(DomainError) as info:
        dosing.adjusted_body_weight(Q_(120, "kg"), Q_(70, "kg"), factor=factor)  # type: ignore[arg-type]
    error = info.value
    reason = (
        "must be a number from 0 to 1 (e.g. factor=0.4); it is the fraction of the excess over "
        "ideal body weight that is added back"
    )
    assert str(error) == f"factor={shown} {reason}"
    assert (error.argument, error.reason, error.shown) == ("factor", reason, shown)
    assert error.value is factor


def test_an_actual_weight_equal_to_ideal_does_not_warn() -> None:
    with _strict():
        got = dosing.adjusted_body_weight(Q_(70, "kg"), Q_(70, "kg"))
    assert got.m_as("kg") == 70.0


# --- body/weight.py: lean_body_weight -------------------------------------------------------------


def test_al_sallami_at_age_0_gives_the_limit_of_its_maturation_factor_silently() -> None:
    # (0/13.4)^−12.7 is infinite, so the male factor is 0.88 + 0.12 / (1 + ∞) = 0.88, and the
    # female factor 1.11. A newborn boy of 50 cm, 3.5 kg: BMI 3.5 / 0.5² = 14 kg/m²,
    # 9270 × 3.5 / (6680 + 216 × 14) = 32445 / 9704 = 3.34347 kg, × 0.88 = 2.94225 kg; a girl:
    # 32445 / (8780 + 244 × 14) = 32445 / 12196 = 2.66030 kg, × 1.11 = 2.95293 kg. Age 0 is
    # outside the derivation (3 to 29 years), which warns; numpy's divide-by-zero does not.
    for sex, expected in (("male", 2.94225), ("female", 2.95293)):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            got = dosing.lean_body_weight(
                Q_(50, "cm"), Q_(3.5, "kg"), sex=sex, method="al_sallami", age=Q_(0, "year")
            )
        assert [w.category for w in record] == [OutsidePopulationWarning]
        assert got.m_as("kg") == pytest.approx(expected, abs=1e-5)


def test_al_sallami_warns_outside_3_to_29_years_and_not_at_either_end() -> None:
    with _strict():
        for age in (3.0, 29.0):
            dosing.lean_body_weight(
                Q_(150, "cm"), Q_(45, "kg"), sex="female", method="al_sallami", age=Q_(age, "year")
            )
    for age in (2.9, 29.1):
        with pytest.warns(OutsidePopulationWarning) as record:
            dosing.lean_body_weight(
                Q_(150, "cm"), Q_(45, "kg"), sex="female", method="al_sallami", age=Q_(age, "year")
            )
        assert [str(w.message) for w in record] == [
            "method='al_sallami' (Al-Sallami (fat-free mass in children)) was derived from 3 to "
            "29 years; it is applied here outside that age"
        ]


def test_an_age_given_to_a_formula_that_needs_none_is_ignored() -> None:
    # James male 180 cm, 80 kg: 1.1 × 80 − 128 × (80/180)² = 88 − 25.284 = 62.716 kg
    with _strict():
        got = dosing.lean_body_weight(Q_(180, "cm"), Q_(80, "kg"), sex="male", age=Q_(40, "year"))
    assert got.m_as("kg") == pytest.approx(62.716, abs=1e-3)


def test_james_is_refused_from_exactly_its_peak_with_every_part() -> None:
    # Male peak W/H² = 1.1/256 (H in cm): at 160 cm, W = 1.1 × 25600 / 256 = 110 kg exactly
    # (110/25600 and 1.1/256 are the same double); the peak itself is refused.
    height, mass = Q_(160, "cm"), Q_(110, "kg")
    with pytest.raises(DomainError) as info:
        dosing.lean_body_weight(height, mass, sex="male")
    error = info.value
    assert (error.argument, error.value, error.reason, error.fix) == (
        "method",
        "james",
        "is past the peak of the James formula",
        "use method='janmahasatian'",
    )
    assert str(error) == (
        f"lean_body_weight(method='james') is not meaningful for height={height!r}, "
        f"weight={mass!r}: the James formula falls as weight rises beyond a BMI of about 43 "
        "kg/m² (men) or 36 kg/m² (women); use method='janmahasatian'"
    )


@pytest.mark.parametrize(
    ("sex", "below", "above"),
    [
        # male peak at 180 cm: 1.1 × 32400 / 256 = 139.22 kg (1.1/257 would put it at 138.68)
        ("male", 139.0, 139.5),
        # female peak at 160 cm: 1.07 × 25600 / 296 = 92.54 kg (1.07/297 would give 92.23)
        ("female", 92.3, 92.7),
    ],
)
def test_james_peaks_where_published_for_each_sex(sex: str, below: float, above: float) -> None:
    height = 180 if sex == "male" else 160
    a, b = (1.1, 128.0) if sex == "male" else (1.07, 148.0)
    got = dosing.lean_body_weight(Q_(height, "cm"), Q_(below, "kg"), sex=sex)
    assert got.m_as("kg") == pytest.approx(a * below - b * (below / height) ** 2)
    with pytest.raises(DomainError, match="falls as weight rises"):
        dosing.lean_body_weight(Q_(height, "cm"), Q_(above, "kg"), sex=sex)


def test_a_lean_weight_of_exactly_zero_is_refused_with_every_part() -> None:
    # Boer male: 0.407 × 18.9 + 0.267 × 43.1 − 19.2 = 7.6923 + 11.5077 − 19.2 = 0 (exactly
    # 0.0 in double arithmetic too): not positive, refused.
    height, mass = Q_(43.1, "cm"), Q_(18.9, "kg")
    assert 0.407 * 18.9 + 0.267 * 43.1 - 19.2 == 0.0
    with pytest.raises(DomainError) as info:
        dosing.lean_body_weight(height, mass, sex="male", method="boer")
    error = info.value
    reason = (
        f"gives a lean body weight that is not positive for height={height!r}, weight={mass!r} "
        "(a formula derived in adults, applied to a small body)"
    )
    fix = "use actual body weight, or method='al_sallami' for a child from 3 years"
    assert (error.argument, error.value, error.reason, error.fix) == ("method", "boer", reason, fix)
    assert str(error) == f"method='boer' {reason}; {fix}"
    # Boer female: 0.252 × 34 + 0.473 × 84 − 48.3 = 8.568 + 39.732 − 48.3 = 0
    with pytest.raises(DomainError, match="not positive"):
        dosing.lean_body_weight(Q_(84, "cm"), Q_(34, "kg"), sex="female", method="boer")


def test_a_small_positive_lean_weight_is_returned() -> None:
    # Boer male: 0.407 × 15.6 + 0.267 × 50 − 19.2 = 6.3492 + 13.35 − 19.2 = 0.4992 kg
    got = dosing.lean_body_weight(Q_(50, "cm"), Q_(15.6, "kg"), sex="male", method="boer")
    assert got.m_as("kg") == pytest.approx(0.4992)


# --- body/kidney.py: creatinine and cystatin C units ----------------------------------------------


@pytest.mark.parametrize("value", [Q_(5, "kg"), "5 kg"])
def test_a_creatinine_of_another_dimension_is_refused_with_every_part(value: object) -> None:
    with pytest.raises(dosing.UnitsError) as info:
        dosing.convert_creatinine(value, "mg/dL")
    error = info.value
    assert str(error) == (
        f"serum_creatinine={value!r} needs units of mass or substance concentration; write "
        "serum_creatinine=Q_(0.6, 'mg/dL') or Q_(53, 'umol/L')"
    )
    assert (error.argument, error.reason, error.shown) == (
        "serum_creatinine",
        "needs units of mass or substance concentration",
        repr(value),
    )
    assert error.value is value
    assert error.fix == Example({"serum_creatinine": Q_(0.6, "mg/dL")})


def test_a_creatinine_refusal_names_the_argument_it_was_given_as() -> None:
    from dosing.body.kidney import creatinine_mg_per_dl

    with pytest.raises(dosing.UnitsError) as info:
        creatinine_mg_per_dl(0.9, "creatinine_floor")
    assert info.value.argument == "creatinine_floor"


def test_creatinine_converts_to_a_unit_given_as_a_pint_unit() -> None:
    # 1 mg/dL = 10 mg/L = 0.010 g/L ÷ 113.12 g/mol = 88.4017 µmol/L
    got = dosing.convert_creatinine(Q_(1, "mg/dL"), dosing.units.UMOL_PER_L)
    assert got.m_as("umol/L") == pytest.approx(10 / 113.12 * 1000)


@pytest.mark.parametrize(
    ("unit", "reason"),
    [
        (5, "must be a unit of concentration such as 'mg/dL' or 'umol/L'"),
        ("kg", "must be a unit of mass or substance concentration such as 'mg/dL' or 'umol/L'"),
        (
            dosing.units.KG,
            "must be a unit of mass or substance concentration such as 'mg/dL' or 'umol/L'",
        ),
    ],
)
def test_a_creatinine_target_unit_that_is_not_a_concentration_is_refused(
    unit: object, reason: str
) -> None:
    with pytest.raises(dosing.UnitsError) as info:
        dosing.convert_creatinine(Q_(1, "mg/dL"), unit)
    error = info.value
    assert (error.argument, error.reason, error.shown) == ("unit", reason, repr(unit))
    assert error.value is unit
    assert str(error) == f"unit={unit!r} {reason}"


@pytest.mark.parametrize("value", [Q_(60, "nmol/L"), "60 nmol/L"])
def test_a_cystatin_c_in_substance_units_is_refused_with_every_part(value: object) -> None:
    from dosing.body.kidney import cystatin_c_mg_per_l

    with pytest.raises(dosing.UnitsError) as info:
        cystatin_c_mg_per_l(value)
    error = info.value
    reason = (
        "is a substance concentration; cystatin C is taken in mg/L (its equations are written in "
        "mg/L, and converting would need its molar mass, which is not assumed)"
    )
    assert (error.argument, error.reason, error.shown) == ("cystatin_c", reason, repr(value))
    assert error.value is value
    assert error.fix == Example({"cystatin_c": Q_(0.8, "mg/L")})
    # pint writes litre's symbol as l
    assert str(error) == f'cystatin_c={value!r} {reason}; write cystatin_c=Q_(0.8, "mg/l")'


def test_cystatin_c_given_under_another_name_is_checked_against_its_own_range() -> None:
    from dosing.body.kidney import cystatin_c_mg_per_l

    assert cystatin_c_mg_per_l(Q_(0.08, "mg/dL"), "cystatin") == pytest.approx(0.8)


# --- body/kidney.py: Cockcroft–Gault ------------------------------------------------------------

_CG = {"age": Q_(40, "year"), "serum_creatinine": Q_(1, "mg/dL"), "sex": "male"}
#: 180 cm = 70.866 in: Devine 50 + 2.3 × 10.866 = 74.992 kg, Robinson 52 + 1.9 × 10.866 = 72.646
_DEVINE_180 = 50 + 2.3 * (180 / 2.54 - 60)
_ROBINSON_180 = 52 + 1.9 * (180 / 2.54 - 60)


def test_cockcroft_gault_uses_the_ideal_weight_method_it_is_given() -> None:
    # (140 − 40) × 72.646 / (72 × 1) = 100.897 mL/min
    kwargs = {**_CG, "weight": Q_(150, "kg"), "height": Q_(180, "cm"), "weight_used": "ideal"}
    estimate = dosing.cockcroft_gault(**kwargs, ibw_method="robinson")
    assert estimate.weight.m_as("kg") == pytest.approx(_ROBINSON_180)
    assert estimate.weight_used == "ideal"
    assert estimate.clearance.m_as("mL/min") == pytest.approx(100 * _ROBINSON_180 / 72)
    got = dosing.creatinine_clearance(**kwargs, ibw_method="robinson")
    assert got.m_as("mL/min") == pytest.approx(100 * _ROBINSON_180 / 72)


@pytest.mark.parametrize(
    ("factor", "used"),
    [
        (0.0, _DEVINE_180),  # the ideal weight: 74.992 kg
        (0.4, _DEVINE_180 + 0.4 * (150 - _DEVINE_180)),  # 74.992 + 0.4 × 75.008 = 104.995 kg
        (1.0, 150.0),  # the actual weight
    ],
)
def test_cockcroft_gault_on_adjusted_weight_takes_factors_from_0_to_1(
    factor: float, used: float
) -> None:
    kwargs = {**_CG, "weight": Q_(150, "kg"), "height": Q_(180, "cm"), "weight_used": "adjusted"}
    estimate = dosing.cockcroft_gault(**kwargs, factor=factor)
    assert estimate.weight.m_as("kg") == pytest.approx(used)
    assert estimate.weight_used == "adjusted"
    got = dosing.creatinine_clearance(**kwargs, factor=factor)
    assert got.m_as("mL/min") == pytest.approx(100 * used / 72)


def test_a_scalar_cockcroft_gault_clearance_is_a_float() -> None:
    # (140 − 40) × 80 / 72 = 111.11 mL/min
    got = dosing.creatinine_clearance(**_CG, weight=Q_(80, "kg"))
    assert type(got.m) is float
    assert got.m == pytest.approx(8000 / 72)


def test_cockcroft_gault_warns_under_18_years_only_and_passes_age_to_the_ideal_weight() -> None:
    with _strict():
        # (140 − 18) × 70 / 72 = 118.61 mL/min, and no warning at exactly 18 years
        got = dosing.creatinine_clearance(**{**_CG, "age": Q_(18, "year"), "weight": Q_(70, "kg")})
    assert got.m_as("mL/min") == pytest.approx(122 * 70 / 72)
    with pytest.warns(OutsidePopulationWarning) as record:
        dosing.cockcroft_gault(
            **{**_CG, "age": Q_(16, "year")},
            weight=Q_(60, "kg"),
            height=Q_(180, "cm"),
            weight_used="ideal",
        )
    said = sorted(str(w.message).split(",")[0] for w in record)
    assert said == [
        "creatinine_clearance uses Cockcroft–Gault",
        "ideal_body_weight(method='devine') is an adult formula",
    ]


def test_cockcroft_gault_without_sex_names_itself() -> None:
    with pytest.raises(DomainError) as info:
        dosing.cockcroft_gault(**{**_CG, "sex": None}, weight=Q_(70, "kg"))
    assert str(info.value) == "cockcroft_gault needs sex; pass sex='male' or sex='female'"


@pytest.mark.parametrize(
    ("weight_used", "factor", "shown"), [("actual", 0.4, "0.4"), ("adjusted", None, "None")]
)
def test_a_factor_belongs_to_adjusted_weight_only_with_every_part(
    weight_used: str, factor: float | None, shown: str
) -> None:
    reason = "is needed for weight_used='adjusted' (e.g. factor=0.4), and belongs to it only"
    with pytest.raises(DomainError) as info:
        dosing.cockcroft_gault(
            **_CG,
            weight=Q_(70, "kg"),
            height=Q_(180, "cm"),
            weight_used=weight_used,
            factor=factor,
        )
    error = info.value
    assert (error.argument, error.value, error.shown, error.reason) == (
        "factor",
        factor,
        shown,
        reason,
    )
    assert str(error) == f"factor={shown} {reason}"


def test_an_adjusted_weight_factor_above_1_is_refused_with_every_part() -> None:
    with pytest.raises(DomainError) as info:
        dosing.cockcroft_gault(
            **_CG,
            weight=Q_(150, "kg"),
            height=Q_(180, "cm"),
            weight_used="adjusted",
            factor=1.5,
        )
    error = info.value
    reason = "must be a number from 0 to 1 (e.g. factor=0.4)"
    assert (error.argument, error.value, error.shown, error.reason) == (
        "factor",
        1.5,
        "1.5",
        reason,
    )
    assert str(error) == f"factor=1.5 {reason}"


def test_cockcroft_gault_on_an_ideal_weight_without_height_is_refused_with_every_part() -> None:
    with pytest.raises(DomainError) as info:
        dosing.cockcroft_gault(**_CG, weight=Q_(70, "kg"), weight_used="lesser")
    error = info.value
    assert str(error) == (
        "cockcroft_gault(weight_used='lesser') needs ideal body weight, which needs height: "
        "give height=Q_(170, 'cm')"
    )
    assert (error.argument, error.value, error.reason) == (
        "height",
        None,
        "is needed: Cockcroft–Gault on weight_used='lesser' needs ideal body weight, which "
        "needs height",
    )
    assert error.fix == Example({"height": Q_(170, "cm")}, verb="give")


@pytest.mark.skipif(_UNDER_MUTMUT, reason="mutmut's trampolines add frames")
def test_cockcroft_gault_warnings_point_at_the_callers_line() -> None:
    child = {**_CG, "age": Q_(16, "year"), "weight": Q_(60, "kg")}
    with pytest.warns(OutsidePopulationWarning) as record:
        dosing.cockcroft_gault(**child)
    assert record[0].filename == __file__
    with pytest.warns(OutsidePopulationWarning) as record:
        dosing.creatinine_clearance(**child)
    assert record[0].filename == __file__


# --- body/egfr.py: the declaration of an equation (at import) ------------------------------------


def test_an_egfr_equation_is_declared_with_its_inputs_and_docstring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = importlib.import_module("dosing.body.egfr")  # dosing.body.egfr is also a function

    fresh: Registry[Any] = Registry("method", name="EGFR_FORMULAS")
    monkeypatch.setattr(module, "EGFR_FORMULAS", fresh)

    def kernel(creatinine: float, age: float, male: bool) -> float:
        """Examples
        --------
        >>> 1 + 1
        2
        """
        return creatinine

    adults = module.ValidRange("age", 18.0, np.inf, "years", "adults")
    assay = module.ValidRange("serum_creatinine", 0.1, 10.0, "mg/dL", "code", high_inclusive=True)
    declared = module._equation(
        "toy",
        "Toy",
        "eGFR = SCr",
        "levey2009",
        "nobody",
        ranges=(adults, assay),
        references=("kidney-org-ckd-epi",),
        note="A note.",
    )(kernel)
    assert declared is kernel
    formula = fresh["toy"]
    assert (formula.key, formula.name, formula.equation, formula.reference, formula.population) == (
        "toy",
        "Toy",
        "eGFR = SCr",
        "levey2009",
        "nobody",
    )
    assert formula.kernel is kernel
    assert formula.needs == ("serum_creatinine", "age", "sex")
    assert formula.ranges == (adults, assay)
    assert formula.references == ("kidney-org-ckd-epi",)
    assert formula.note == "A note."
    assert kernel.__doc__ == (
        "Toy: eGFR = SCr [mL/min/1.73 m²].\n\nDerived in: nobody\n\n"
        "Validated range (outside it, egfr() warns): age from 18 years (adults); "
        "serum_creatinine 0.1 to 10 mg/dL (code).\n\nA note.\n\n"
        "References\n----------\nlevey2009, kidney-org-ckd-epi\n\n"
        "Examples\n--------\n>>> 1 + 1\n2\n"
    )

    def bare(height: float, cystatin: float, black: bool) -> float:
        return height

    module._equation("bare", "Bare", "E", "levey2009", "P")(bare)
    assert fresh["bare"].needs == ("cystatin_c", "height", "black")
    assert (fresh["bare"].ranges, fresh["bare"].references, fresh["bare"].note) == ((), (), "")
    assert bare.__doc__ == (
        "Bare: E [mL/min/1.73 m²].\n\nDerived in: P\n\nReferences\n----------\nlevey2009\n"
    )
    with pytest.raises(UnknownKeyError) as info:
        module._equation("odd", "Odd", "E", "levey2009", "P", references=("nosuch",))(bare)
    assert info.value.argument == "eGFR 'odd' reference"
    assert "odd" not in fresh


def test_the_adult_range_of_an_egfr_equation_is_from_18_years() -> None:
    from dosing.body.egfr import _adults

    valid = _adults("a source")
    assert (valid.name, valid.low, valid.high, valid.unit, valid.source) == (
        "age",
        18.0,
        np.inf,
        "years",
        "a source",
    )
    assert valid.outside(np.array([17.9, 18.0, 120.0])).tolist() == [True, False, False]


def test_an_egfr_formula_called_directly_computes_its_own_equation() -> None:
    # the CKiD U25 calculator's example: a boy of 11 years, 120 cm, SCr 0.9 mg/dL: 51.6
    got = dosing.EGFR_FORMULAS["ckid_u25"](
        serum_creatinine=Q_(0.9, "mg/dL"), height=Q_(120, "cm"), age=Q_(11, "year"), sex="male"
    )
    assert round(got.m_as("mL/min/standard_bsa"), 1) == 51.6


# --- body/egfr.py: CKiD U25's K at its age boundaries (Pierce et al. 2021) -----------------------


@pytest.mark.parametrize(
    ("sex", "age", "k"),
    [
        # male: 39.0 × 1.008^(age − 12) under 12, 39.0 × 1.045^(age − 12) from 12 to 18, 50.8
        ("male", 12.5, 39.0 * 1.045**0.5),  # 39.868
        ("male", 18.0, 50.8),  # not 39.0 × 1.045^6 = 50.788
        ("male", 18.5, 50.8),
        # female: 36.1 × 1.008^(age − 12) under 12, 36.1 × 1.023^(age − 12) to 18, then 41.4
        ("female", 12.5, 36.1 * 1.023**0.5),  # 36.513
    ],
)
def test_ckid_u25_creatinine_k_switches_at_12_and_18_years(sex: str, age: float, k: float) -> None:
    # eGFR = K × H [m] / SCr: 150 cm and 1.0 mg/dL give 1.5 K
    got = dosing.egfr(
        method="ckid_u25",
        serum_creatinine=Q_(1.0, "mg/dL"),
        height=Q_(150, "cm"),
        age=Q_(age, "year"),
        sex=sex,
    )
    assert got.m_as("mL/min/standard_bsa") == pytest.approx(1.5 * k, rel=1e-9)


@pytest.mark.parametrize(
    ("sex", "age", "k"),
    [
        # male: 87.2 × 1.011^(age − 15) under 15, 87.2 × 0.960^(age − 15) from 15 to 18, 77.1
        ("male", 15.5, 87.2 * 0.960**0.5),  # 85.438
        ("male", 18.0, 77.1),  # not 87.2 × 0.96^3 = 77.149
        ("male", 18.5, 77.1),
        # female: 79.9 × 1.004^(age − 12) under 12, 79.9 × 0.974^(age − 12) to 18, then 68.3
        ("female", 12.5, 79.9 * 0.974**0.5),  # 78.854
        ("female", 18.0, 68.3),  # not 79.9 × 0.974^6 = 68.213
        ("female", 18.5, 68.3),
    ],
)
def test_ckid_u25_cystatin_k_switches_at_its_ages(sex: str, age: float, k: float) -> None:
    # eGFR = K / Scys: 1.0 mg/L gives K
    got = dosing.egfr(
        method="ckid_u25_cystatin", cystatin_c=Q_(1.0, "mg/L"), age=Q_(age, "year"), sex=sex
    )
    assert got.m_as("mL/min/standard_bsa") == pytest.approx(k, rel=1e-9)


# --- body/egfr.py: refusals and warnings ----------------------------------------------------------

_KIDNEY = {
    "serum_creatinine": Q_(0.8, "mg/dL"),
    "age": Q_(40, "year"),
    "sex": "female",
    "height": Q_(150, "cm"),
    "cystatin_c": Q_(0.9, "mg/L"),
}


@pytest.mark.parametrize(
    ("method", "name", "example"),
    [
        ("ckd_epi_2021", "serum_creatinine", Q_(0.8, "mg/dL")),
        ("ckd_epi_2021", "age", Q_(40, "year")),
        ("ckd_epi_2021", "sex", "female"),
        ("ckid_u25", "height", Q_(150, "cm")),
        ("ckid_u25_cystatin", "cystatin_c", Q_(0.9, "mg/L")),
    ],
)
def test_a_missing_egfr_input_is_refused_with_an_example_of_it(
    method: str, name: str, example: object
) -> None:
    formula = dosing.EGFR_FORMULAS[method]
    given = {key: value for key, value in _KIDNEY.items() if key in formula.needs and key != name}
    with pytest.raises(DomainError) as info:
        dosing.egfr(method=method, **given)
    error = info.value
    assert (error.argument, error.value) == (name, None)
    assert error.reason == f"is needed by method={method!r} ({formula.name})"
    assert error.fix == Example({name: example}, verb="give")
    assert isinstance(error.fix, Example)
    assert error.fix.verb == "give"
    shown = example if isinstance(example, str) else None
    if shown is None:
        got = error.fix.arguments[name]
        assert (got.m, got.units) == (example.m, example.units)  # type: ignore[attr-defined]


def test_a_missing_race_coefficient_is_refused_with_every_part() -> None:
    with pytest.raises(DomainError) as info:
        dosing.egfr(
            method="ckd_epi_2009", serum_creatinine=Q_(1, "mg/dL"), age=Q_(40, "year"), sex="male"
        )
    error = info.value
    fix = (
        "pass black=True or black=False, or use a race-free equation "
        "(method='ckd_epi_2021' or 'ckd_epi_cr_cys_2021')"
    )
    reason = "is needed by method='ckd_epi_2009', which has a race coefficient"
    assert (error.argument, error.value, error.reason, error.fix) == ("black", None, reason, fix)
    assert str(error) == f"black=None {reason}; {fix}"


@pytest.mark.parametrize("black", ["yes", np.array([1, 0]), np.array(True)])
def test_a_race_coefficient_that_is_not_boolean_is_refused_with_every_part(black: object) -> None:
    with pytest.raises(dosing.UnitsError) as info:
        dosing.egfr(
            method="ckd_epi_2009",
            serum_creatinine=Q_(1, "mg/dL"),
            age=Q_(40, "year"),
            sex="male",
            black=black,
        )
    error = info.value
    reason = "must be True or False (or a boolean array)"
    assert (error.argument, error.reason, error.shown) == ("black", reason, repr(black))
    assert error.value is black
    assert str(error) == f"black={black!r} {reason}"


def test_egfr_inputs_of_different_shapes_are_named_as_the_caller_wrote_them() -> None:
    with pytest.raises(DomainError) as info:
        dosing.egfr(
            serum_creatinine=Q_([0.8, 0.9], "mg/dL"), age=Q_([40.0, 50.0, 60.0], "year"), sex="male"
        )
    assert info.value.argument == "serum_creatinine"
    assert str(info.value) == (
        "serum_creatinine has shape (2,) and age has shape (3,); a cohort needs arrays of one shape"
    )


def _egfr_warnings(**kwargs: object) -> list[str]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        dosing.egfr(**kwargs)  # type: ignore[arg-type]
    return [str(w.message) for w in record if w.category is OutsidePopulationWarning]


def test_egfr_outside_its_ranges_says_where_in_words() -> None:
    ckid = "CKiD U25, creatinine (2021) (method='ckid_u25') is not validated for"
    common = {"method": "ckid_u25", "serum_creatinine": Q_(0.5, "mg/dL"), "sex": "male"}
    # under the range's low end of 1 year: "year", and no note where the range has none
    assert _egfr_warnings(**common, age=Q_(0.5, "year"), height=Q_(70, "cm")) == [
        f"{ckid} age under 1 year (validated: age 1 to 25 years; the CKiD U25 code: age 1 to 25 "
        "years)"
    ]
    # under a range in another unit: its own unit
    assert _egfr_warnings(**common, age=Q_(5, "year"), height=Q_(55, "cm")) == [
        f"{ckid} height under 60 cm (validated: height 60 to 200 cm; the CKiD U25 code: 0.6 to 2 m)"
    ]
    # over an inclusive high end: "over"
    assert _egfr_warnings(**common, age=Q_(26, "year"), height=Q_(170, "cm")) == [
        f"{ckid} age over 25 years (validated: age 1 to 25 years; the CKiD U25 code: age 1 to 25 "
        "years)"
    ]
    # under an adult range (18 years): "years"
    assert _egfr_warnings(
        method="ckd_epi_2021", serum_creatinine=Q_(0.8, "mg/dL"), age=Q_(17, "year"), sex="male"
    ) == [
        "CKD-EPI creatinine 2021 (race-free) (method='ckd_epi_2021') is not validated for age "
        "under 18 years (validated: age from 18 years; NIDDK: the race-free CKD-EPI equations "
        "are for individuals ages 18 and older)"
    ]
    # from an exclusive high end: "from", and the range's note only below it
    original = "Schwartz original (k by age and sex) (method='schwartz_original')"
    source = (
        "unsourced: the ages of 'children' and 'adolescents' are not defined in the papers as "
        "seen here; calculators use up to 18"
    )
    child = {"method": "schwartz_original", "serum_creatinine": Q_(0.5, "mg/dL"), "sex": "male"}
    assert _egfr_warnings(**child, age=Q_(18, "year"), height=Q_(170, "cm")) == [
        f"{original} is not validated for age from 18 years (validated: age 1 to < 18 years; "
        f"{source})"
    ]
    assert _egfr_warnings(**child, age=Q_(0.5, "year"), height=Q_(65, "cm")) == [
        f"{original} is not validated for age under 1 year (validated: age 1 to < 18 years; "
        f"{source}): k = 0.45 is for full-term infants (Schwartz 1984); a preterm infant's k is "
        "0.33 (Brion 1986), which is not applied here: use a measured GFR"
    ]
