"""Kidney function: the eGFR registry, Cockcroft–Gault's weight, creatinine and cystatin C units.

Published values are in tests/golden/ (egfr.csv, cockcroft_gault.csv, convert_creatinine.csv);
expected values here are hand arithmetic shown inline, or properties.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import dask.array as da
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosing
from dosing import (
    Q_,
    DomainError,
    OutsidePopulationWarning,
    UnitsError,
    UnknownKeyError,
)
from dosing.body.egfr import EGFR_FORMULAS, ValidRange
from dosing.units import EGFR
from tests import strategies as hs

#: Inputs every equation accepts, inside every validated range (a 20-year-old, 170 cm).
ADULT: dict[str, Any] = {
    "serum_creatinine": Q_(0.9, "mg/dL"),
    "cystatin_c": Q_(0.9, "mg/L"),
    "age": Q_(20, "year"),
    "sex": "female",
    "height": Q_(170, "cm"),
    "black": False,
}


def inputs_for(method: str, **changes: Any) -> dict[str, Any]:
    """The arguments ``method`` needs, from ADULT (a child of 10 for the original Schwartz,
    derived in children), with ``changes``."""
    values = {**ADULT, **changes}
    if method == "schwartz_original" and "age" not in changes:
        values["age"] = Q_(10, "year")
    return {name: values[name] for name in EGFR_FORMULAS[method].needs}


# -- the registry ------------------------------------------------------------------------------


def test_every_equation_declares_its_sources_and_population() -> None:
    assert set(EGFR_FORMULAS) == {
        "ckd_epi_2009",
        "ckd_epi_2021",
        "ckd_epi_cystatin_2012",
        "ckd_epi_cr_cys_2012",
        "ckd_epi_cr_cys_2021",
        "mdrd",
        "jelliffe",
        "schwartz_bedside",
        "schwartz_original",
        "ckid_u25",
        "ckid_u25_cystatin",
        "ckid_u25_cr_cys",
    }
    for key, formula in EGFR_FORMULAS.items():
        assert formula.key == key
        assert formula.citation.authors
        assert formula.equation.startswith("eGFR =")
        assert formula.population
        assert formula.needs
        for valid in formula.ranges:
            assert valid.source, key
        assert formula.kernel.__doc__ is not None
        assert formula.equation in formula.kernel.__doc__
        assert formula.reference in formula.kernel.__doc__
    race_based = {key for key, f in EGFR_FORMULAS.items() if f.race_based}
    assert race_based == {"ckd_epi_2009", "ckd_epi_cr_cys_2012", "mdrd"}


def test_a_formula_is_callable_with_quantities() -> None:
    got = EGFR_FORMULAS["ckd_epi_2021"](
        serum_creatinine=Q_(1.4, "mg/dL"), age=Q_(60, "year"), sex="male"
    )
    # 142 × (1.4 / 0.9)^−1.200 × 0.9938^60
    assert got.m_as(EGFR) == pytest.approx(142 * (1.4 / 0.9) ** -1.2 * 0.9938**60, rel=1e-12)
    assert got.units == EGFR


def test_valid_range_words() -> None:
    valid = ValidRange("age", 1.0, 17.0, "years", "a source")
    assert valid.describe() == "age 1 to < 17 years"
    assert ValidRange("age", 18.0, math.inf, "years", "x").describe() == "age from 18 years"
    closed = ValidRange("height", 60.0, 200.0, "cm", "x", high_inclusive=True)
    assert closed.describe() == "height 60 to 200 cm"
    assert list(closed.outside(np.array([59.9, 60.0, 200.0, 200.1]))) == [True, False, False, True]


# -- calling egfr() ----------------------------------------------------------------------------


def test_egfr_defaults_to_ckd_epi_2021_and_returns_per_1_73_m2() -> None:
    got = dosing.egfr(serum_creatinine=Q_(0.7, "mg/dL"), age=Q_(50, "year"), sex="female")
    # at SCr = κ = 0.7 both terms are 1: 142 × 0.9938^50 × 1.012
    assert got.m_as(EGFR) == pytest.approx(142 * 0.9938**50 * 1.012, rel=1e-12)
    with pytest.raises(UnitsError, match="normalised to 1.73"):
        dosing.carboplatin_calvert(Q_(5, "mg*min/mL"), got)


@pytest.mark.parametrize("method", sorted(EGFR_FORMULAS))
def test_every_missing_input_is_named(method: str) -> None:
    arguments = inputs_for(method)
    for name in arguments:
        partial = {k: v for k, v in arguments.items() if k != name}
        with pytest.raises(DomainError, match=f"method='{method}'") as info:
            dosing.egfr(method=method, **partial)
        assert info.value.argument == name


def test_race_based_equations_need_black_and_say_why() -> None:
    with pytest.raises(DomainError, match="race coefficient") as info:
        dosing.egfr(serum_creatinine=Q_(1, "mg/dL"), age=Q_(40, "year"), sex="male", method="mdrd")
    assert "ckd_epi_2021" in str(info.value)
    with pytest.raises(UnitsError, match="black="):
        dosing.egfr(
            serum_creatinine=Q_(1, "mg/dL"),
            age=Q_(40, "year"),
            sex="male",
            method="mdrd",
            black="yes",
        )
    both = dosing.egfr(
        serum_creatinine=Q_(1, "mg/dL"),
        age=Q_(40, "year"),
        sex="male",
        method="mdrd",
        black=np.array([True, False]),
    )
    # 175 × 40^−0.203, × 1.212 for the first
    np.testing.assert_allclose(
        both.m_as(EGFR), [175 * 40**-0.203 * 1.212, 175 * 40**-0.203], rtol=1e-12
    )


def test_unknown_method_and_bare_numbers() -> None:
    with pytest.raises(UnknownKeyError, match="ckd_epi_2021"):
        dosing.egfr(
            serum_creatinine=Q_(1, "mg/dL"), age=Q_(40, "year"), sex="male", method="cockcroft"
        )
    with pytest.raises(UnitsError, match="serum_creatinine=1.0 has no unit"):
        dosing.egfr(serum_creatinine=1.0, age=Q_(40, "year"), sex="male")
    with pytest.raises(UnitsError, match="age=40 has no unit"):
        dosing.egfr(serum_creatinine=Q_(1, "mg/dL"), age=40, sex="male")
    with pytest.raises(DomainError, match="shape"):
        dosing.egfr(
            serum_creatinine=Q_(np.array([1.0, 1.1]), "mg/dL"),
            age=Q_(np.array([40.0, 50.0, 60.0]), "year"),
            sex="male",
        )


def test_mdrd_at_age_zero_is_refused_not_infinite() -> None:
    newborn = {"serum_creatinine": Q_(0.3, "mg/dL"), "age": Q_(0, "year"), "sex": "male"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsidePopulationWarning)
        with pytest.raises(DomainError, match="not finite"):
            dosing.egfr(**newborn, method="mdrd", black=False)


def test_a_cohort_under_and_over_the_range_gets_one_warning_for_each_side() -> None:
    # Before, one warning said "under 1 year" for the 17.5-year-old too. Each now names its side
    # and says whom it concerns (plan_frame gives each row its own).
    from dosing._warn import recording

    recorder = recording(emit=False)
    with recorder as caught:
        dosing.egfr(
            method="schwartz_bedside",
            height=Q_([70.0, 120.0, 170.0], "cm"),
            serum_creatinine=Q_([0.3, 0.5, 0.9], "mg/dL"),
            age=Q_([0.5, 8.0, 17.5], "year"),
        )
    assert ["under 1 year" in str(w) for w in caught] == [True, False]
    assert ["from 17 years" in str(w) for w in caught] == [False, True]
    wheres = [where.tolist() for where, _ in recorder.scopes]
    assert wheres == [[True, False, False], [False, False, True]]
    assert [each for _, each in recorder.scopes] == [True, True]


def test_outside_the_validated_range_warns_inside_it_does_not() -> None:
    child = {"serum_creatinine": Q_(0.5, "mg/dL"), "age": Q_(10, "year"), "sex": "male"}
    with pytest.warns(OutsidePopulationWarning, match="not validated for age under 18"):
        dosing.egfr(**child)
    with pytest.warns(OutsidePopulationWarning, match="under 1 year"):
        dosing.egfr(
            method="schwartz_bedside",
            height=Q_(60, "cm"),
            serum_creatinine=Q_(0.3, "mg/dL"),
            age=Q_(0.5, "year"),
        )
    with pytest.warns(OutsidePopulationWarning, match="from 17 years"):
        dosing.schwartz_bedside(Q_(170, "cm"), Q_(0.8, "mg/dL"), age=Q_(17, "year"))
    with pytest.warns(OutsidePopulationWarning, match="preterm"):
        dosing.egfr(
            method="schwartz_original",
            height=Q_(50, "cm"),
            serum_creatinine=Q_(0.5, "mg/dL"),
            age=Q_(0.2, "year"),
            sex="female",
        )
    with pytest.warns(OutsidePopulationWarning, match="height over 200 cm"):
        dosing.egfr(
            method="ckid_u25",
            height=Q_(205, "cm"),
            serum_creatinine=Q_(1, "mg/dL"),
            age=Q_(20, "year"),
            sex="male",
        )
    with pytest.warns(OutsidePopulationWarning, match="over 25 years"):
        dosing.egfr(
            method="ckid_u25_cystatin", cystatin_c=Q_(1, "mg/L"), age=Q_(30, "year"), sex="male"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in EGFR_FORMULAS:
            dosing.egfr(method=method, **inputs_for(method))


@pytest.mark.parametrize("method", sorted(EGFR_FORMULAS))
def test_every_equation_is_vectorised_and_lazy(method: str) -> None:
    one = dosing.egfr(method=method, **inputs_for(method)).m_as(EGFR)
    scr = Q_(np.array([0.9, 0.9]), "mg/dL")
    cys = Q_(np.array([0.9, 0.9]), "mg/L")
    arrays = dosing.egfr(method=method, **inputs_for(method, serum_creatinine=scr, cystatin_c=cys))
    np.testing.assert_allclose(arrays.m_as(EGFR), [one, one], rtol=1e-15)
    lazy_scr = Q_(da.from_array(np.array([0.9, 0.9]), chunks=1), "mg/dL")
    lazy_cys = Q_(da.from_array(np.array([0.9, 0.9]), chunks=1), "mg/L")
    lazy = dosing.egfr(
        method=method, **inputs_for(method, serum_creatinine=lazy_scr, cystatin_c=lazy_cys)
    )
    assert isinstance(lazy.magnitude, da.Array)
    np.testing.assert_allclose(lazy.magnitude.compute(), [one, one], rtol=1e-15)


def test_lazy_warnings_fire_when_computed() -> None:
    ages = Q_(da.from_array(np.array([30.0, 10.0]), chunks=1), "year")
    got = dosing.egfr(serum_creatinine=Q_(0.8, "mg/dL"), age=ages, sex="male")
    with pytest.warns(OutsidePopulationWarning, match="age under 18"):
        got.magnitude.compute()


# -- properties ---------------------------------------------------------------------------------

creatinine = st.floats(min_value=0.1, max_value=13.0)
cystatin = st.floats(min_value=0.2, max_value=6.5)
rises = st.floats(min_value=1.001, max_value=3.0)


@given(
    method=st.sampled_from(
        sorted(k for k, f in EGFR_FORMULAS.items() if "serum_creatinine" in f.needs)
    ),
    scr=creatinine,
    factor=rises,
    age=st.floats(min_value=1.0, max_value=100.0),
    sex=hs.sexes,
    height=st.floats(min_value=60.0, max_value=200.0),
)
def test_every_estimator_falls_as_creatinine_rises(
    method: str, scr: float, factor: float, age: float, sex: str, height: float
) -> None:
    def value(s: float) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OutsidePopulationWarning)
            return float(
                dosing.egfr(
                    method=method,
                    **inputs_for(
                        method,
                        serum_creatinine=Q_(s, "mg/dL"),
                        age=Q_(age, "year"),
                        sex=sex,
                        height=Q_(height, "cm"),
                    ),
                ).m_as(EGFR)
            )

    assert value(scr * factor) < value(scr)


@given(
    method=st.sampled_from(sorted(k for k, f in EGFR_FORMULAS.items() if "cystatin_c" in f.needs)),
    cys=cystatin,
    factor=rises,
    age=st.floats(min_value=1.0, max_value=100.0),
    sex=hs.sexes,
)
def test_every_cystatin_estimator_falls_as_cystatin_rises(
    method: str, cys: float, factor: float, age: float, sex: str
) -> None:
    def value(c: float) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OutsidePopulationWarning)
            return float(
                dosing.egfr(
                    method=method,
                    **inputs_for(method, cystatin_c=Q_(c, "mg/L"), age=Q_(age, "year"), sex=sex),
                ).m_as(EGFR)
            )

    assert value(cys * factor) < value(cys)


@given(egfr=st.floats(min_value=1.0, max_value=300.0), bsa=st.floats(min_value=0.1, max_value=3))
def test_normalised_and_absolute_round_trip_through_the_bsa(egfr: float, bsa: float) -> None:
    normalised = Q_(egfr, "mL/min/standard_bsa")
    area = Q_(bsa, "m**2")
    absolute = (normalised * area).to("mL/min")
    assert absolute.m_as("mL/min") == pytest.approx(egfr * bsa / 1.73, rel=1e-12)
    back = (absolute / area).to("mL/min/standard_bsa")
    assert back.m_as("mL/min/standard_bsa") == pytest.approx(egfr, rel=1e-12)


# -- units of creatinine and cystatin C --------------------------------------------------------


def test_creatinine_in_any_concentration_and_nothing_else() -> None:
    # 1 mmol/L × 113.12 g/mol = 113.12 mg/L = 11.312 mg/dL
    assert dosing.convert_creatinine(Q_(1, "mmol/L"), "mg/dL").m_as("mg/dL") == pytest.approx(
        11.312, rel=1e-12
    )
    assert dosing.convert_creatinine("0.5 mg/dL", "mg/L").m_as("mg/L") == pytest.approx(5.0)
    with pytest.raises(UnitsError, match="needs units of mass or substance concentration"):
        dosing.convert_creatinine(Q_(1, "mg"), "mg/dL")
    with pytest.raises(UnitsError, match="unit="):
        dosing.convert_creatinine(Q_(1, "mg/dL"), "mL/min")
    with pytest.raises(UnitsError, match="unit="):
        dosing.convert_creatinine(Q_(1, "mg/dL"), 3)
    with pytest.raises(UnitsError, match="has no unit"):
        dosing.convert_creatinine(1.0, "mg/dL")
    with pytest.raises(UnitsError, match="mass or substance"):
        dosing.convert_creatinine("1 cm", "mg/dL")


def test_cystatin_c_is_mass_concentration_only() -> None:
    kwargs = {"age": Q_(40, "year"), "sex": "male", "method": "ckd_epi_cystatin_2012"}
    per_dl = dosing.egfr(cystatin_c=Q_(0.08, "mg/dL"), **kwargs)
    per_l = dosing.egfr(cystatin_c=Q_(0.8, "mg/L"), **kwargs)
    assert per_dl.m_as(EGFR) == pytest.approx(per_l.m_as(EGFR), rel=1e-12)
    for substance in (Q_(60, "nmol/L"), "60 nmol/L"):
        with pytest.raises(UnitsError, match="substance concentration"):
            dosing.egfr(cystatin_c=substance, **kwargs)
    with pytest.raises(UnitsError, match="cystatin_c="):
        dosing.egfr(cystatin_c=Q_(1, "cm"), **kwargs)
    with pytest.raises(DomainError, match="cystatin_c=60 mg/L is outside"):
        dosing.egfr(cystatin_c=Q_(60, "mg/L"), **kwargs)  # nmol/L typed as mg/L


def test_patient_holds_cystatin_c() -> None:
    patient = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), cystatin_c="0.9 mg/L")
    assert patient.magnitudes.cystatin_c_mg_l == 0.9
    assert "cystatin_c=Q_(0.9, 'mg/L')" in repr(patient)
    with pytest.raises(UnitsError, match="substance concentration"):
        dosing.Patient(bsa=Q_(1, "m**2"), cystatin_c=Q_(60, "nmol/L"))
    with pytest.raises(DomainError, match="cystatin_c="):
        dosing.Patient(bsa=Q_(1, "m**2"), cystatin_c=Q_(0, "mg/L"))


# -- Cockcroft–Gault and its weight -----------------------------------------------------------

OBESE = {
    "age": Q_(50, "year"),
    "weight": Q_(150, "kg"),
    "height": Q_(180, "cm"),
    "serum_creatinine": Q_(1, "mg/dL"),
    "sex": "male",
}
IBW_180 = 50 + 2.3 * (180 / 2.54 - 60)


def test_cockcroft_gault_records_the_weight_it_used() -> None:
    actual = dosing.cockcroft_gault(**OBESE)
    assert actual.weight.m_as("kg") == 150
    assert actual.description == "Cockcroft–Gault on actual body weight"
    assert actual.clearance.m_as("mL/min") == pytest.approx(90 * 150 / 72)
    assert str(actual) == "187.5 mL/min (Cockcroft–Gault on actual body weight)"
    lesser = dosing.cockcroft_gault(**OBESE, weight_used="lesser")
    assert lesser.weight.m_as("kg") == pytest.approx(IBW_180)
    assert lesser.description == (
        "Cockcroft–Gault on the lesser of ideal body weight (Devine) and actual body weight"
    )
    adjusted = dosing.cockcroft_gault(**OBESE, weight_used="adjusted", factor=0.4)
    assert adjusted.weight.m_as("kg") == pytest.approx(IBW_180 + 0.4 * (150 - IBW_180))
    assert "adjusted body weight (factor 0.4, Devine IBW)" in adjusted.description
    # the same choice through creatinine_clearance, a Quantity alone
    assert dosing.creatinine_clearance(**OBESE, weight_used="ideal").m_as(
        "mL/min"
    ) == pytest.approx(90 * IBW_180 / 72)
    cohort = dosing.cockcroft_gault(
        **{**OBESE, "weight": Q_(np.array([150.0, 60.0]), "kg")}, weight_used="lesser"
    )
    np.testing.assert_allclose(cohort.weight.m_as("kg"), [IBW_180, 60.0])
    assert str(cohort).startswith(f"{90 * 60 / 72:.4g}–{90 * IBW_180 / 72:.4g} mL/min")


def test_cockcroft_gault_refuses_an_unclear_weight() -> None:
    with pytest.raises(UnknownKeyError, match="weight_used='total'"):
        dosing.cockcroft_gault(**OBESE, weight_used="total")
    with pytest.raises(DomainError, match="factor"):
        dosing.cockcroft_gault(**OBESE, weight_used="adjusted")
    with pytest.raises(DomainError, match="factor"):
        dosing.cockcroft_gault(**OBESE, weight_used="ideal", factor=0.4)
    with pytest.raises(DomainError, match="factor=1.5"):
        dosing.cockcroft_gault(**OBESE, weight_used="adjusted", factor=1.5)
    no_height = {k: v for k, v in OBESE.items() if k != "height"}
    with pytest.raises(DomainError, match="needs height") as info:
        dosing.cockcroft_gault(**no_height, weight_used="lesser")
    assert info.value.argument == "height"


@given(
    weight=st.floats(min_value=30, max_value=250),
    height=st.floats(min_value=153, max_value=200),
    sex=hs.sexes,
)
def test_the_lesser_weight_never_gives_more_than_actual_or_ideal(
    weight: float, height: float, sex: str
) -> None:
    kwargs = {**OBESE, "weight": Q_(weight, "kg"), "height": Q_(height, "cm"), "sex": sex}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dosing.ImplausibleInputWarning)
        lesser = dosing.creatinine_clearance(**kwargs, weight_used="lesser").m_as("mL/min")
        actual = dosing.creatinine_clearance(**kwargs).m_as("mL/min")
        ideal = dosing.creatinine_clearance(**kwargs, weight_used="ideal").m_as("mL/min")
    assert lesser == pytest.approx(min(actual, ideal), rel=1e-12)


# -- body size: refusals of the new weights ------------------------------------------------


def test_paediatric_ideal_weight_needs_an_age_inside_the_cdc_table() -> None:
    with pytest.raises(DomainError, match="needs age") as info:
        dosing.ideal_body_weight(Q_(150, "cm"), sex="male", method="bmi_for_age")
    assert info.value.argument == "age"
    for age in (Q_(1.5, "year"), Q_(21, "year"), Q_(np.array([10.0, 25.0]), "year")):
        with pytest.raises(DomainError, match="outside the CDC 2000 BMI-for-age table"):
            dosing.ideal_body_weight(Q_(150, "cm"), sex="male", method="bmi_for_age", age=age)
    assert dosing.body.IBW_FORMULAS["bmi_for_age"].citation.doi == "10.1097/PCC.0000000000001740"


def test_fat_free_mass_in_children_needs_age_and_small_bodies_are_refused() -> None:
    with pytest.raises(DomainError, match="needs age"):
        dosing.lean_body_weight(Q_(140, "cm"), Q_(35, "kg"), sex="male", method="al_sallami")
    # Boer female for a 50 cm, 3 kg infant: 0.252 × 3 + 0.473 × 50 − 48.3 = −23.9 kg
    with pytest.raises(DomainError, match="not positive"):
        dosing.lean_body_weight(Q_(50, "cm"), Q_(3, "kg"), sex="female", method="boer")
    with pytest.warns(OutsidePopulationWarning, match="derived from 3 to 29 years"):
        dosing.lean_body_weight(
            Q_(175, "cm"), Q_(70, "kg"), sex="male", method="al_sallami", age=Q_(40, "year")
        )


def test_cystatin_text_that_is_not_a_concentration() -> None:
    with pytest.raises(UnitsError, match="cystatin_c="):
        dosing.egfr(
            cystatin_c="0.9 cm", age=Q_(40, "year"), sex="male", method="ckd_epi_cystatin_2012"
        )


def test_a_formula_without_ranges_or_note_has_a_docstring_without_them() -> None:
    import dataclasses

    # A formula registered without a validated range or a note (both optional): its docstring
    # is the equation, the population and the references, and says no range it does not have.
    formula = dataclasses.replace(dosing.EGFR_FORMULAS["ckd_epi_2021"], ranges=(), note="")
    refs = ", ".join((formula.reference, *formula.references))
    assert formula.docstring(None) == (
        f"{formula.name}: {formula.equation} [mL/min/1.73 m²].\n\n"
        f"Derived in: {formula.population}\n\n"
        f"References\n----------\n{refs}\n"
    )
