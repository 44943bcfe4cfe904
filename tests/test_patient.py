"""Patient: construction checks, value-object behaviour, cohorts."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pint
import pytest
from hypothesis import given

from dosing import Q_, DomainError, ImplausibleInputWarning, Patient, UnitsError, UnknownMethodError
from tests import strategies as hs


def test_keeps_quantities_as_given() -> None:
    p = Patient(height=Q_(59, "inch"), weight=Q_(88, "lb"))
    assert p.height.units == Q_(1, "inch").units
    assert p.height.magnitude == 59
    assert p.weight.units == Q_(1, "lb").units


def test_repr_reads_like_the_constructor_call() -> None:
    p = Patient(
        height=Q_(150, "cm"),
        weight=Q_(40, "kg"),
        age=Q_(12, "year"),
        sex="male",
        serum_creatinine=Q_(0.5, "mg/dL"),
    )
    text = repr(p)
    assert text == (
        "Patient(height=Q_(150, 'cm'), weight=Q_(40, 'kg'), age=Q_(12, 'year'), "
        "sex='male', serum_creatinine=Q_(0.5, 'mg/dL'))"
    )
    rebuilt = eval(text, {"Patient": Patient, "Q_": Q_})
    assert rebuilt == p


def test_cohort_repr_and_shape() -> None:
    p = Patient(
        height=Q_(np.array([150.0, 160.0]), "cm"),
        weight=Q_(np.array([40.0, 50.0]), "kg"),
        sex=np.array(["male", "female"]),
    )
    assert p.is_cohort
    assert p.shape == (2,)
    assert "height=Q_([150.0, 160.0], 'cm')" in repr(p)
    assert "sex=['male', 'female']" in repr(p)
    assert not Patient(height=Q_(150, "cm"), weight=Q_(40, "kg")).is_cohort


def test_frozen() -> None:
    p = Patient(bsa=Q_(1.29, "m**2"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.bsa = Q_(2, "m**2")  # type: ignore[misc]
    changed = dataclasses.replace(p, bsa=Q_(1.3, "m**2"))
    assert changed.bsa.magnitude == 1.3
    assert p.bsa.magnitude == 1.29


def test_equality_is_by_value_across_units() -> None:
    a = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    b = Patient(height=Q_(1.5, "m"), weight=Q_(40000, "g"))
    assert a == b
    assert hash(a) == hash(b)
    assert hash(a) == hash(Patient(height=Q_(150, "cm"), weight=Q_(40, "kg")))
    assert len({a, b, Patient(height=Q_(151, "cm"), weight=Q_(40, "kg"))}) == 2
    assert a != Patient(height=Q_(150, "cm"), weight=Q_(41, "kg"))
    assert a != Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), sex="male")
    assert Patient(bsa=Q_(1, "m**2"), sex="male") != Patient(bsa=Q_(1, "m**2"), sex="female")
    assert a != "not a patient"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("height", Q_(float("nan"), "cm"), "height=nan cm is not a number"),
        ("height", Q_(float("inf"), "cm"), "height=inf cm is not finite"),
        ("height", Q_(0, "cm"), "height=0 cm must be positive"),
        ("height", Q_(-150, "cm"), "height=-150 cm must be positive"),
        ("height", Q_(19.9, "cm"), "height=19.9 cm is outside the plausible range 20–260 cm"),
        ("height", Q_(261, "cm"), "height=261 cm is outside"),
        ("weight", Q_(0.29, "kg"), "weight=0.29 kg is outside the plausible range 0.3–400 kg"),
        ("weight", Q_(401, "kg"), "weight=401 kg is outside"),
        ("age", Q_(-1, "year"), "age=-1 year must not be negative"),
        ("age", Q_(121, "year"), "age=121 year is outside the plausible range 0–120 year"),
        ("bsa", Q_(0.04, "m**2"), "bsa=0.04 m² is outside the plausible range 0.05–5 m²"),
        ("bsa", Q_(5.1, "m**2"), "bsa=5.1 m² is outside"),
        ("serum_creatinine", Q_(-0.5, "mg/dL"), "serum_creatinine=-0.5 mg/dL must be positive"),
        ("creatinine_clearance", Q_(0, "mL/min"), "creatinine_clearance=0 mL/min must be positive"),
    ],
)
def test_each_field_is_checked_on_construction(field: str, value: object, message: str) -> None:
    base: dict[str, object] = {"height": Q_(150, "cm"), "weight": Q_(40, "kg")}
    base[field] = value
    with pytest.raises(DomainError, match=message.replace("(", r"\(")):
        Patient(**base)  # type: ignore[arg-type]


def test_limits_themselves_are_accepted() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleInputWarning)
        Patient(height=Q_(20, "cm"), weight=Q_(0.3, "kg"), age=Q_(0, "year"))
        Patient(height=Q_(260, "cm"), weight=Q_(400, "kg"), age=Q_(120, "year"))
        Patient(bsa=Q_(0.05, "m**2"))
        Patient(bsa=Q_(5, "m**2"))


@pytest.mark.parametrize(
    "field", ["height", "weight", "bsa", "age", "serum_creatinine", "creatinine_clearance"]
)
def test_bare_numbers_are_refused_naming_the_field(field: str) -> None:
    base: dict[str, object] = {"height": Q_(150, "cm"), "weight": Q_(40, "kg")}
    base[field] = 1.0
    with pytest.raises(UnitsError, match=f"{field}=1.0"):
        Patient(**base)  # type: ignore[arg-type]


def test_wrong_dimensions_are_refused() -> None:
    with pytest.raises(UnitsError, match="height="):
        Patient(height=Q_(40, "kg"), weight=Q_(40, "kg"))
    with pytest.raises(UnitsError, match="serum_creatinine="):
        Patient(bsa=Q_(1, "m**2"), serum_creatinine=Q_(1, "mg"))
    with pytest.raises(UnitsError, match="creatinine_clearance="):
        Patient(bsa=Q_(1, "m**2"), creatinine_clearance=Q_(1, "mg"))


def test_creatinine_in_either_unit_and_clearance_absolute_or_normalised() -> None:
    p = Patient(
        bsa=Q_(1.29, "m**2"),
        serum_creatinine=Q_(44.2, "umol/L"),
        creatinine_clearance=Q_(95, "mL/min/standard_bsa"),
    )
    assert p.serum_creatinine.units == Q_(1, "umol/L").units
    with pytest.raises(DomainError, match="creatinine_clearance=0"):
        Patient(bsa=Q_(1.29, "m**2"), creatinine_clearance=Q_(0, "mL/min/standard_bsa"))
    with pytest.raises(DomainError, match="serum_creatinine=.*outside"):
        Patient(bsa=Q_(1.29, "m**2"), serum_creatinine=Q_(60, "mg/dL"))  # µmol/L typed as mg/dL


def test_strings_with_units_are_accepted() -> None:
    p = Patient(height="150 cm", weight="40 kg", age="12y", bsa="1.29m2")
    assert p.height == Q_(150, "cm")
    assert p.bsa.m_as("m**2") == 1.29


def test_foreign_registry_quantities_are_converted() -> None:
    other = pint.UnitRegistry()
    p = Patient(height=other.Quantity(150, "cm"), weight=other.Quantity(40, "kg"))
    assert p == Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"height": Q_(150, "cm")}, {"weight": Q_(40, "kg")}, {"age": Q_(12, "year")}],
)
def test_needs_height_and_weight_or_bsa(kwargs: dict[str, object]) -> None:
    with pytest.raises(DomainError, match="needs height and weight, or bsa"):
        Patient(**kwargs)  # type: ignore[arg-type]


def test_bsa_with_weight_or_height_alone_is_allowed() -> None:
    Patient(bsa=Q_(1.29, "m**2"), weight=Q_(40, "kg"))
    Patient(bsa=Q_(1.29, "m**2"), height=Q_(150, "cm"))


def test_no_default_sex_and_unknown_sex_refused() -> None:
    assert Patient(bsa=Q_(1, "m**2")).sex is None
    with pytest.raises(UnknownMethodError, match="sex='M'"):
        Patient(bsa=Q_(1, "m**2"), sex="M")


def test_extreme_bmi_warns_but_does_not_raise() -> None:
    with pytest.warns(ImplausibleInputWarning, match="BMI 71.1 kg"):
        Patient(height=Q_(150, "cm"), weight=Q_(160, "kg"))
    with pytest.warns(ImplausibleInputWarning, match="BMI 4.4"):
        Patient(height=Q_(150, "cm"), weight=Q_(10, "kg"))


def test_given_bsa_far_from_height_and_weight_warns() -> None:
    with pytest.warns(ImplausibleInputWarning, match="given bsa differs"):
        Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), bsa=Q_(2.0, "m**2"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), bsa=Q_(1.29, "m**2"))


def test_cohort_fields_must_have_one_shape() -> None:
    with pytest.raises(DomainError, match="shapes that do not match"):
        Patient(
            height=Q_(np.array([150.0, 160.0, 170.0]), "cm"),
            weight=Q_(np.array([40.0, 50.0]), "kg"),
        )
    with pytest.raises(DomainError, match="shapes that do not match"):
        Patient(
            height=Q_(np.array([150.0, 160.0]), "cm"),
            weight=Q_(np.array([40.0, 50.0]), "kg"),
            sex=np.array(["male"] * 3),
        )


def test_a_bad_element_in_a_cohort_is_named() -> None:
    with pytest.raises(DomainError, match=r"weight\[1\]=-3 kg"):
        Patient(height=Q_(np.array([150.0, 160.0]), "cm"), weight=Q_(np.array([40.0, -3.0]), "kg"))


@given(kwargs=hs.patients_kwargs())
def test_any_plausible_patient_constructs_and_round_trips_its_repr(
    kwargs: dict[str, object],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleInputWarning)
        p = Patient(**kwargs)  # type: ignore[arg-type]
        assert eval(repr(p), {"Patient": Patient, "Q_": Q_}) == p
