"""Weights and renal function: refusals, warnings, units and properties.

Published values are in tests/golden/; expected values here are hand arithmetic shown inline.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosing
from dosing import (
    Q_,
    DomainError,
    ImplausibleInputWarning,
    OutsidePopulationWarning,
    UnitsError,
    UnknownMethodError,
)
from dosing.units import EGFR
from tests import strategies as hs


def test_bmi_is_unrounded_kg_per_m2() -> None:
    got = dosing.bmi(Q_(59, "inch"), Q_(88, "lb"))
    # 88 lb = 39.91613 kg; 59 in = 1.4986 m
    assert got.m_as("kg/m**2") == pytest.approx(39.916128 / 1.4986**2, rel=1e-6)


@pytest.mark.parametrize("method", ["devine", "robinson", "miller", "hamwi"])
def test_ibw_needs_sex(method: str) -> None:
    with pytest.raises(DomainError, match="needs sex"):
        dosing.ideal_body_weight(Q_(170, "cm"), sex=None, method=method)


def test_ibw_unknown_method_lists_keys() -> None:
    with pytest.raises(UnknownMethodError, match="'devine', 'robinson', 'miller', 'hamwi'"):
        dosing.ideal_body_weight(Q_(170, "cm"), sex="male", method="broca")


def test_ibw_below_60_inches_warns_and_for_a_small_child_is_refused() -> None:
    with pytest.warns(OutsidePopulationWarning, match="60 in"):
        got = dosing.ideal_body_weight(Q_(150, "cm"), sex="male")
    # 150 cm = 59.055 in: 50 + 2.3 × (59.055 − 60) = 47.83
    assert got.m_as("kg") == pytest.approx(50 + 2.3 * (150 / 2.54 - 60))
    with pytest.raises(DomainError, match="not meaningful for height=90.0 cm"):
        dosing.ideal_body_weight(Q_(90, "cm"), sex="male")  # 50 + 2.3 × (35.4 − 60) < 0
    with pytest.raises(DomainError, match="not meaningful"):
        dosing.ideal_body_weight(Q_([170.0, 80.0], "cm"), sex="female", method="hamwi")


def test_ibw_is_vectorised_over_height_and_sex() -> None:
    got = dosing.ideal_body_weight(Q_([180.0, 180.0], "cm"), sex=np.array(["male", "female"]))
    h = 180 / 2.54
    assert got.m_as("kg") == pytest.approx([50 + 2.3 * (h - 60), 45.5 + 2.3 * (h - 60)])


@given(
    h=st.floats(min_value=152.4, max_value=250.0),
    dh=st.floats(min_value=0.1, max_value=5.0),
    sex=hs.sexes,
    method=st.sampled_from(["devine", "robinson", "miller", "hamwi"]),
)
def test_ibw_grows_with_height(h: float, dh: float, sex: str, method: str) -> None:
    low = dosing.ideal_body_weight(Q_(h, "cm"), sex=sex, method=method)
    high = dosing.ideal_body_weight(Q_(h + dh, "cm"), sex=sex, method=method)
    assert high > low


def test_adjusted_body_weight_factor_is_a_checked_parameter() -> None:
    assert dosing.adjusted_body_weight(Q_(120, "kg"), Q_(70, "kg"), factor=0.25).m_as("kg") == (
        pytest.approx(70 + 0.25 * 50)
    )
    for bad in (-0.1, 1.1, float("nan"), True, "0.4", Q_(0.4, "")):
        with pytest.raises(DomainError, match="factor="):
            dosing.adjusted_body_weight(Q_(120, "kg"), Q_(70, "kg"), factor=bad)  # type: ignore[arg-type]
    with pytest.raises(UnitsError, match="ideal=70"):
        dosing.adjusted_body_weight(Q_(120, "kg"), 70)


def test_adjusted_above_actual_warns() -> None:
    with pytest.warns(ImplausibleInputWarning, match="exceeds the actual"):
        dosing.adjusted_body_weight(Q_(50, "kg"), Q_(70, "kg"))


@given(
    w=st.floats(min_value=40, max_value=300),
    ibw=st.floats(min_value=40, max_value=90),
    f=st.floats(min_value=0, max_value=1),
)
def test_adjusted_lies_between_ideal_and_actual(w: float, ibw: float, f: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleInputWarning)
        got = dosing.adjusted_body_weight(Q_(w, "kg"), Q_(ibw, "kg"), factor=f).m_as("kg")
    assert min(w, ibw) - 1e-9 <= got <= max(w, ibw) + 1e-9


def test_lean_body_weight_methods_and_refusals() -> None:
    with pytest.raises(UnknownMethodError):  # (Boer was unknown until issue 11 added it)
        dosing.lean_body_weight(Q_(170, "cm"), Q_(70, "kg"), sex="male", method="broca")
    with pytest.raises(DomainError, match="needs sex"):
        dosing.lean_body_weight(Q_(170, "cm"), Q_(70, "kg"), sex=None)
    # James at BMI ~ 100 (150 cm, 225 kg): 1.1 × 225 − 128 × (1.5)² = 247.5 − 288 < 0
    with pytest.raises(DomainError, match="janmahasatian"):
        dosing.lean_body_weight(Q_(150, "cm"), Q_(225, "kg"), sex="male")
    got = dosing.lean_body_weight(Q_(150, "cm"), Q_(225, "kg"), sex="male", method="janmahasatian")
    assert got.m_as("kg") == pytest.approx(9270 * 225 / (6680 + 216 * 100))


def test_cockcroft_gault_units_and_sex() -> None:
    # female 60 y, 60 kg, SCr 88.42 µmol/L: since issue 11 converted with creatinine's molar
    # mass, 88.42 × 113.12 / 10000 = 1.000207 mg/dL (not exactly 1 mg/dL, as 88.42 was before):
    # (140 − 60) × 60 / (72 × 1.000207) × 0.85 = 56.65
    got = dosing.creatinine_clearance(
        age=Q_(60, "year"), weight=Q_(60, "kg"), serum_creatinine=Q_(88.42, "umol/L"), sex="female"
    )
    assert got.units == Q_(1, "mL/min").units
    assert got.magnitude == pytest.approx(
        80 * 60 / (72 * (88.42 * 113.12 / 10000)) * 0.85, rel=1e-12
    )
    text = dosing.creatinine_clearance(
        age="60 y", weight="60 kg", serum_creatinine="88.42 umol/L", sex="female"
    )
    assert text.magnitude == pytest.approx(got.magnitude)


def test_cockcroft_gault_for_a_child_warns() -> None:
    with pytest.warns(OutsidePopulationWarning, match="schwartz_bedside"):
        dosing.creatinine_clearance(
            age=Q_(12, "year"), weight=Q_(40, "kg"), serum_creatinine=Q_(0.5, "mg/dL"), sex="male"
        )


def test_cockcroft_gault_refuses_bad_creatinine() -> None:
    for bad in (Q_(0, "mg/dL"), Q_(float("nan"), "mg/dL"), Q_(60, "mg/dL")):
        with pytest.raises(DomainError, match="serum_creatinine="):
            dosing.creatinine_clearance(
                age=Q_(40, "year"), weight=Q_(80, "kg"), serum_creatinine=bad, sex="male"
            )
    with pytest.raises(UnitsError, match="serum_creatinine=1.0 has no unit"):
        dosing.creatinine_clearance(
            age=Q_(40, "year"), weight=Q_(80, "kg"), serum_creatinine=1.0, sex="male"
        )
    with pytest.raises(UnitsError, match="serum_creatinine="):
        dosing.creatinine_clearance(
            age=Q_(40, "year"), weight=Q_(80, "kg"), serum_creatinine="1 kg", sex="male"
        )


@given(scr=st.floats(min_value=0.1, max_value=10), k=st.floats(min_value=1.01, max_value=3))
def test_clearance_falls_as_creatinine_rises(scr: float, k: float) -> None:
    def cg(s: float) -> float:
        return dosing.creatinine_clearance(
            age=Q_(50, "year"), weight=Q_(70, "kg"), serum_creatinine=Q_(s, "mg/dL"), sex="male"
        ).magnitude

    def sw(s: float) -> float:
        return dosing.schwartz_bedside(Q_(150, "cm"), Q_(s, "mg/dL")).magnitude

    assert cg(scr * k) < cg(scr)
    assert sw(scr * k) < sw(scr)


def test_schwartz_is_normalised_and_refused_where_absolute_is_needed() -> None:
    egfr = dosing.schwartz_bedside(Q_(150, "cm"), Q_(44.21, "umol/L"))
    assert egfr.units == EGFR
    # 0.413 × 150 / (44.21 × 113.12 / 10000 = 0.500104 mg/dL) = 123.874 (issue 11: through
    # creatinine's molar mass; with the former 88.42 µmol/L per mg/dL it was 123.9)
    scr = 44.21 * 113.12 / 10000
    assert egfr.magnitude == pytest.approx(0.413 * 150 / scr, rel=1e-12)
    with pytest.raises(UnitsError, match="normalised to 1.73"):
        dosing.carboplatin_calvert(Q_(5, "mg*min/mL"), egfr)
    absolute = (egfr * Q_(1.29, "m**2")).to("mL/min")
    dose = dosing.carboplatin_calvert(Q_(5, "mg*min/mL"), absolute)
    assert dose.m_as("mg") == pytest.approx(5 * (0.413 * 150 / scr * 1.29 / 1.73 + 25))


def test_schwartz_under_one_year_warns() -> None:
    with pytest.warns(OutsidePopulationWarning, match="1 year"):
        dosing.schwartz_bedside(Q_(60, "cm"), Q_(0.3, "mg/dL"), age=Q_(6, "month"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dosing.schwartz_bedside(Q_(60, "cm"), Q_(0.3, "mg/dL"), age=Q_(2, "year"))


def test_calvert_cap_is_a_parameter() -> None:
    assert (
        dosing.carboplatin_calvert(Q_(6, "mg*min/mL"), Q_(140, "mL/min"), gfr_cap=None).m_as("mg")
        == 6 * 165
    )
    assert (
        dosing.carboplatin_calvert(
            Q_(6, "mg*min/mL"), Q_(140, "mL/min"), gfr_cap=Q_(100, "mL/min")
        ).m_as("mg")
        == 6 * 125
    )
    with pytest.raises(UnitsError, match="target_auc=6 has no unit"):
        dosing.carboplatin_calvert(6, Q_(140, "mL/min"))
    with pytest.raises(DomainError, match="gfr=-1"):
        dosing.carboplatin_calvert(Q_(6, "mg*min/mL"), Q_(-1, "mL/min"))


@given(auc=st.floats(min_value=1, max_value=10), gfr=st.floats(min_value=1, max_value=400))
def test_calvert_never_exceeds_the_capped_dose(auc: float, gfr: float) -> None:
    dose = dosing.carboplatin_calvert(Q_(auc, "mg*min/mL"), Q_(gfr, "mL/min")).m_as("mg")
    assert dose <= auc * (125 + 25) * (1 + 1e-12)
    assert dose == pytest.approx(auc * (min(gfr, 125) + 25))


@pytest.mark.parametrize(
    "call",
    [
        lambda v: dosing.bmi(v, Q_(40, "kg")),
        lambda v: dosing.bmi(Q_(150, "cm"), v),
        lambda v: dosing.ideal_body_weight(v, sex="male"),
        lambda v: dosing.adjusted_body_weight(v, Q_(60, "kg")),
        lambda v: dosing.lean_body_weight(v, Q_(60, "kg"), sex="male"),
        lambda v: dosing.lean_body_weight(Q_(160, "cm"), v, sex="male"),
        lambda v: dosing.creatinine_clearance(
            age=v, weight=Q_(60, "kg"), serum_creatinine=Q_(1, "mg/dL"), sex="male"
        ),
        lambda v: dosing.creatinine_clearance(
            age=Q_(50, "year"), weight=v, serum_creatinine=Q_(1, "mg/dL"), sex="male"
        ),
        lambda v: dosing.schwartz_bedside(v, Q_(0.5, "mg/dL")),
        lambda v: dosing.carboplatin_calvert(v, Q_(100, "mL/min")),
        lambda v: dosing.carboplatin_calvert(Q_(5, "mg*min/mL"), v),
    ],
)
@pytest.mark.filterwarnings("ignore::dosing.ImplausibleInputWarning")
def test_every_function_rejects_bare_and_bad_numbers(call: Callable[[object], object]) -> None:
    with pytest.raises(UnitsError, match="has no unit"):
        call(7.0)
    with pytest.raises(UnitsError, match="needs units of"):
        call(Q_(7.0, "V"))
    for bad in (float("nan"), float("inf"), 0.0, -5.0):
        value = _in_its_unit(call, bad)
        if bad == 0.0 and value.units == Q_(1, "year").units:  # type: ignore[attr-defined]
            continue  # age 0 (a newborn) is valid
        with pytest.raises(DomainError):
            call(value)


def _in_its_unit(call: object, value: float) -> object:
    """Find the dimension the argument needs by trying the candidates."""
    for unit in ("cm", "kg", "year", "mg*min/mL", "mL/min"):
        try:
            call(Q_(50.0 if unit != "mg*min/mL" else 5.0, unit))  # type: ignore[operator]
        except UnitsError:
            continue
        except (DomainError, Warning):
            return Q_(value, unit)
        return Q_(value, unit)
    raise AssertionError("no unit fits")  # pragma: no cover


def test_james_past_its_peak_is_refused() -> None:
    # 1.07 W − 148 (W/H)² peaks at W/H² = 1.07/296 (BMI 36.1 kg/m²): for a woman of 165 cm
    # and 110 kg (BMI 40.4) it gives 51.9 kg, less than at 98 kg: meaningless, so refused.
    with pytest.raises(DomainError, match="falls as weight rises"):
        dosing.lean_body_weight(Q_(165, "cm"), Q_(110, "kg"), sex="female")
    with pytest.raises(DomainError, match="janmahasatian"):
        dosing.lean_body_weight(Q_(150, "cm"), Q_(160, "kg"), sex="female")  # 2.8 kg
    # a man of 165 cm and 110 kg (BMI 40.4) is below the male peak (43.0): 64.1 kg
    assert dosing.lean_body_weight(Q_(165, "cm"), Q_(110, "kg"), sex="male").m_as("kg") == (
        pytest.approx(1.1 * 110 - 128 * (110 / 165) ** 2)
    )


def test_ibw_implying_an_impossible_bmi_is_refused() -> None:
    # Devine male at 110 cm: 50 + 2.3 × (43.31 − 60) = 11.6 kg, a BMI of 9.6 kg/m²: refused;
    # at 115 cm: 16.1 kg, BMI 12.2: extrapolated with a warning.
    with pytest.raises(DomainError, match="BMI of 9.59"):
        dosing.ideal_body_weight(Q_(110, "cm"), sex="male")
    with pytest.warns(OutsidePopulationWarning):
        got = dosing.ideal_body_weight(Q_(115, "cm"), sex="male")
    assert got.m_as("kg") == pytest.approx(50 + 2.3 * (115 / 2.54 - 60))
