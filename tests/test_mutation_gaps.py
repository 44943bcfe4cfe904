"""Tests for the mutants the audit of issue 16 found alive: each asserts a hand-computed value.

Every test here kills a mutant that survived the whole suite before (mutmut on ``body/bsa.py``,
``regimens/days.py``, ``regimens/expand.py`` and ``policies.py``): a boundary moved, an argument
dropped, a formula swapped for another, a cohort's flag replaced by all-False. The arithmetic is
written out beside each expected number.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import dosing
from dosing import Q_, DomainError, DosingWeight, Patient, Policy
from dosing.body.bsa import _BLOCK, _SMALL_COHORT, dubois, livingston_lee, mosteller
from dosing.plausibility import ADULT_AGE_YEARS, CHILD_HEIGHT_CM, CHILD_WEIGHT_KG
from dosing.regimens.days import DayNotationError, parse_days
from dosing.regimens.loader import regimen_from_mapping

RIC = dosing.get_regimen("flu-arac-mel-ric")
ATG = dosing.get_regimen("rabbit-atg")
INO = dosing.get_regimen("inotuzumab-cycle-1")
#: Mosteller BSA of 170 cm and 70 kg: sqrt(170 × 70 / 3600).
BSA_170_70 = math.sqrt(170 * 70 / 3600)


def one_line(agent: str, amount: str, cap: str | None = None) -> dosing.Regimen:
    line = {"agent": agent, "amount": amount, "days": "1"}
    if cap:
        line["cap"] = cap
    return regimen_from_mapping(
        {
            "key": "one-line",
            "name": "One line",
            "frame": "cycle",
            "cycle_length": "21 day",
            "references": ["besponsa-label-2024"],
            "dose": [line],
        }
    )


def test_the_policys_ibw_method_reaches_the_dose() -> None:
    """Rabbit ATG 1.25 mg/kg of ideal weight, male 170 cm (66.929 in; 6.929 in over 5 ft)."""
    man = Patient(height=Q_(170, "cm"), weight=Q_(90, "kg"), sex="male", age=Q_(40, "year"))
    inches_over_5_ft = 170 / 2.54 - 60
    devine = 50 + 2.3 * inches_over_5_ft  # 65.937 kg
    robinson = 52 + 1.9 * inches_over_5_ft  # 65.165 kg
    for method, ibw in (("devine", devine), ("robinson", robinson)):
        policy = Policy(dosing_weight=DosingWeight("ideal", ibw_method=method))
        row = ATG.expand(man, policy=policy)[0]
        assert row.dose.m_as("mg") == pytest.approx(1.25 * ibw, rel=1e-9)
        assert row.basis.value == pytest.approx(ibw, rel=1e-9)


def test_expansion_passes_the_patients_sex_to_the_bsa_formula() -> None:
    """Schlich (2010): women 0.000975482 × W^0.46 × H^1.08, men 0.000579479 × W^0.38 × H^1.24."""
    woman = 0.000975482 * 70**0.46 * 170**1.08
    man = 0.000579479 * 70**0.38 * 170**1.24
    policy = Policy(bsa_method="schlich")
    for sex, bsa in (("female", woman), ("male", man)):
        patient = Patient(height=Q_(170, "cm"), weight=Q_(70, "kg"), sex=sex, age=Q_(40, "year"))
        row = INO.expand(patient, policy=policy)[0]  # 0.8 mg/m² on day 1
        assert row.dose.m_as("mg") == pytest.approx(0.8 * bsa, rel=1e-12)
    assert woman != pytest.approx(man, rel=1e-3)


def test_each_bsa_kernel_computes_its_own_equation() -> None:
    """Du Bois & Du Bois (1916): 0.007184 × W^0.425 × H^0.725; Mosteller: sqrt(H × W / 3600)."""
    assert dubois(170.0, 70.0) == pytest.approx(0.007184 * 70**0.425 * 170**0.725, rel=1e-12)
    assert dubois(170.0, 70.0) == pytest.approx(1.8097, abs=1e-4)  # the value usually quoted
    assert mosteller(170.0, 70.0) == pytest.approx(BSA_170_70, rel=1e-12)
    assert dosing.BSA_FORMULAS["dubois"].kernel is dubois


def test_livingston_lee_switches_formula_at_10_kg_exactly() -> None:
    """Below 10 kg 0.1037 × W^0.6724; from 10 kg 0.1173 × W^0.6466 (Livingston & Lee 2001)."""
    below, at = 9.999, 10.0
    assert livingston_lee(below) == pytest.approx(0.1037 * below**0.6724, rel=1e-12)
    assert livingston_lee(at) == pytest.approx(0.1173 * at**0.6466, rel=1e-12)
    np.testing.assert_allclose(
        livingston_lee(np.array([below, at])),
        [0.1037 * below**0.6724, 0.1173 * at**0.6466],
        rtol=1e-12,
    )


def test_an_adult_only_formula_warns_below_18_years_and_not_at_18() -> None:
    assert ADULT_AGE_YEARS == 18.0
    size = {"height": Q_(170, "cm"), "weight": Q_(70, "kg"), "sex": "male"}
    with pytest.warns(dosing.OutsidePopulationWarning, match="age under 18 years"):
        dosing.bsa(**size, method="schlich", age=Q_(17.99, "year"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dosing.bsa(**size, method="schlich", age=Q_(18, "year"))


def test_without_an_age_a_child_sized_patient_warns_below_the_thresholds_only() -> None:
    assert (CHILD_HEIGHT_CM, CHILD_WEIGHT_KG) == (155.0, 45.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dosing.bsa(Q_(155, "cm"), Q_(45, "kg"), method="schlich", sex="female")
    for height, weight in ((154.99, 45.0), (155.0, 44.99)):
        with pytest.warns(dosing.OutsidePopulationWarning, match="no age given"):
            dosing.bsa(Q_(height, "cm"), Q_(weight, "kg"), method="schlich", sex="female")


def test_dose_factors_are_accepted_from_a_tenth_up_to_1_and_refused_outside() -> None:
    assert Policy(dose_factors={"*": 1.0}).dose_factors["*"] == 1.0
    assert Policy(dose_factors={"*": 1}).dose_factors["*"] == 1.0
    # The floor, 0.1, is the library's convention (data/plausibility.toml [policy]).
    for factor in (1.0000001, 1.01, 0.0999999, 1e-9, 1e-300, 0.0, -0.5):
        with pytest.raises(
            DomainError,
            match=r"dose_factors\['\*'\]=.* must be a fraction in "
            r"\[0\.1, 1\]",
        ):
            Policy(dose_factors={"*": factor})
    tenth = Policy(dose_factors={"*": 0.1})
    row = INO.expand(Patient(bsa=Q_(1, "m**2")), policy=tenth)[0]
    assert row.dose.m_as("mg") == pytest.approx(0.08)  # 0.8 mg/m² × 1 m² × 0.1


# -- a cohort's flags name exactly the patients they concern -----------------------------------


def test_a_cohorts_renal_flags_name_exactly_whom_the_table_changed() -> None:
    """Cockcroft–Gault, men of 50 years and 70 kg: (140 − 50) × 70 / (72 × Scr) = 87.5 / Scr."""
    cohort = Patient(
        height=Q_([170.0, 170.0, 170.0], "cm"),
        weight=Q_([70.0, 70.0, 70.0], "kg"),
        age=Q_([50.0, 50.0, 50.0], "year"),
        sex="male",
        serum_creatinine=Q_([3.5, 2.0, 1.0], "mg/dL"),  # 25, 43.75 and 87.5 mL/min
    )
    row = RIC.expand(cohort, policy=Policy(renal="fludarabine-fludara-label"))[0]
    # Fludara label: < 30 mL/min not given; 30-50: 60%; >= 80: full (30 mg/m² × 1.8181 m²).
    np.testing.assert_allclose(
        row.dose.m_as("mg"), [0.0, 30 * 0.6 * BSA_170_70, 30 * BSA_170_70], rtol=1e-12
    )
    np.testing.assert_array_equal(row.flags["withheld"], [True, False, False])
    np.testing.assert_array_equal(row.flags["renal_adjusted"], [True, True, False])


def test_a_cohorts_cap_rounding_and_reduction_flags_name_exactly_whom() -> None:
    # Vincristine 1.5 mg/m² capped at 2 mg: 1.5 × 1.0 = 1.5 mg, 1.5 × 2.0 = 3.0 mg -> 2 mg.
    vcr = one_line("vincristine", "1.5 mg/m**2", cap="2 mg")
    row = vcr.expand(Patient(bsa=Q_([1.0, 2.0], "m**2")))[0]
    np.testing.assert_allclose(row.dose.m_as("mg"), [1.5, 2.0])
    np.testing.assert_array_equal(row.flags["dose_capped"], [False, True])
    # Inotuzumab 0.8 mg/m²: 0.8 × 0.5 = 0.4 mg (on the 0.1 mg grid), 0.8 × 0.6875 = 0.55 -> 0.6.
    ino = one_line("inotuzumab ozogamicin", "0.8 mg/m**2")
    rounded = ino.expand(
        Patient(bsa=Q_([0.5, 0.6875], "m**2")), policy=Policy(rounding={"*": Q_(0.1, "mg")})
    )[0]
    np.testing.assert_allclose(rounded.dose.m_as("mg"), [0.4, 0.6])
    np.testing.assert_array_equal(rounded.flags["rounded"], [False, True])
    # A reduction to 80% applies to every patient: 0.8 × 0.8 × [0.5, 1.0] = [0.32, 0.64] mg.
    reduced = ino.expand(
        Patient(bsa=Q_([0.5, 1.0], "m**2")),
        policy=Policy(dose_factors={"inotuzumab ozogamicin": 0.8}),
    )[0]
    np.testing.assert_allclose(reduced.dose.m_as("mg"), [0.32, 0.64])
    np.testing.assert_array_equal(reduced.flags["reduced"], [True, True])


# -- the day notation: every refusal with its exact message, argument and value -----------------


@pytest.mark.parametrize(
    ("notation", "message", "value"),
    [
        ("", "days is empty; write e.g. '1, 8, 15' or '-7..-5'", ""),
        ("1,,2", "empty item in '1,,2' (two commas, or a trailing one)", "1,,2"),
        ("-5..-7", "descending range '-5..-7'; write '-7..-5'", "-5..-7"),
        (
            "x",
            "cannot read 'x'; write integers and inclusive ranges a..b separated by commas, "
            "e.g. '-7..-5' or '1, 8, 15'",
            "x",
        ),
        (
            "1, x",
            "cannot read 'x' in '1, x'; write integers and inclusive ranges a..b separated "
            "by commas, e.g. '-7..-5' or '1, 8, 15'",
            "1, x",
        ),
        (
            "1, 1",
            "day 1 is listed twice in '1, 1'; for several administrations on one day use per_day",
            "1, 1",
        ),
        ("401", "day 401 in '401' is beyond ±400", "401"),
        ("1..401", "day 401 in '1..401' is beyond ±400", "1..401"),
        ("0" * 40 + "1", "day '00000000000000000000'... is beyond ±400", "0" * 40 + "1"),
        ([], "days is an empty list; give at least one day", []),
        ([1.5], "days list item 1.5 is not an integer", [1.5]),
        ([None], "days list item NoneType is not an integer", [None]),
        ([True], "days list item True is not an integer", [True]),
        ([[1]], "days list item list is not an integer", [[1]]),
        (["x" * 50], "days list item " + repr("x" * 50)[:40] + " is not an integer", ["x" * 50]),
        (
            [1, 1],
            "day 1 is listed twice in [1, 1]; for several administrations on one day use per_day",
            [1, 1],
        ),
        (
            [*range(-400, 401), 1],
            "days lists 802 days; at most 801 distinct days lie within ±400",
            "a list of 802 items",
        ),
        (7, "days=7 must be a string such as '-7..-5' or '1, 8, 15', or a list of integers", 7),
        (
            "1" + " " * 10_000,
            "days is 10001 characters long, more than 10000; write ranges a..b for runs of days",
            "1" + " " * 39 + "...",
        ),
    ],
)
def test_every_day_notation_refusal_says_exactly_what_and_carries_the_notation(
    notation: object, message: str, value: object
) -> None:
    with pytest.raises(DayNotationError) as info:
        parse_days(notation)
    assert str(info.value) == message
    assert info.value.reason == message
    assert info.value.argument == "days"
    assert info.value.value == value


def test_the_day_notation_limits_are_inclusive() -> None:
    assert parse_days("1" + " " * 9_999) == (1,)  # exactly 10,000 characters
    assert parse_days("0" * 39 + "1") == (1,)  # a token of exactly 40 characters
    assert parse_days(list(range(-400, 401))) == tuple(range(-400, 401))  # all 801 days
    assert parse_days("-400..400") == tuple(range(-400, 401))


# -- BSA formulas: the registry's objects, their docstrings and the adults-only warning -----------


def test_a_formula_object_passes_sex_and_age_to_its_kernel() -> None:
    schlich = dosing.BSA_FORMULAS["schlich"]
    # Schlich, woman of 170 cm and 70 kg: 0.000975482 × 70^0.46 × 170^1.08.
    woman = schlich(Q_(170, "cm"), Q_(70, "kg"), sex="female", age=Q_(40, "year"))
    assert woman.m_as("m**2") == pytest.approx(0.000975482 * 70**0.46 * 170**1.08, rel=1e-12)
    with pytest.warns(dosing.OutsidePopulationWarning, match="age under 18 years"):
        schlich(Q_(170, "cm"), Q_(70, "kg"), sex="female", age=Q_(15, "year"))


def test_a_formulas_docstring_is_made_from_its_metadata() -> None:
    formula = dosing.BSA_FORMULAS["livingston_lee"]
    assert formula.docstring(None) == (
        f"{formula.name}: {formula.equation} [m²].\n\nDerived in: {formula.population}\n\n"
        f"{formula.note}\n\nReferences\n----------\n{formula.reference}\n"
    )
    assert formula.docstring("  >>> 1\n  1").endswith("\n\n>>> 1\n1\n")
    assert mosteller.__doc__ is not None
    head = "Mosteller: BSA = sqrt(H × W / 3600) [m²].\n\nDerived in: "
    assert mosteller.__doc__.startswith(head)


def test_only_adult_formulas_warn_for_children_and_a_given_age_decides() -> None:
    child = {"height": Q_(120, "cm"), "weight": Q_(25, "kg")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dosing.bsa(**child, method="mosteller", age=Q_(8, "year"))  # derived for everyone
        # An adult of child size: the age, when given, decides (no warning at 40 years).
        dosing.bsa(**child, method="schlich", sex="male", age=Q_(40, "year"))
    with pytest.warns(dosing.OutsidePopulationWarning) as record:
        dosing.bsa(**child, method="schlich", sex="male", age=Q_(8, "year"))
    assert str(record[0].message) == (
        "method='schlich' was derived in adults "
        f"({dosing.BSA_FORMULAS['schlich'].population.rstrip('.')}); it is applied here to a "
        "child (age under 18 years). Use a formula derived in children, e.g. method='mosteller' "
        "or 'haycock'."
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"weight": Q_([40.0, 50.0, 60.0], "kg")},
            "height has shape (2,) and weight has shape (3,)",
        ),
        ({"age": Q_([10.0, 11.0, 12.0], "year")}, "height has shape (2,) and age has shape (3,)"),
        ({"sex": ["male", "female", "male"]}, "height has shape (2,) and sex has shape (3,)"),
    ],
)
def test_bsa_of_a_cohort_refuses_fields_of_other_shapes_by_name(
    extra: dict[str, object], message: str
) -> None:
    kwargs: dict[str, object] = {
        "weight": Q_([40.0, 50.0], "kg"),
        "method": "schlich",
        "sex": "male",
        **extra,
    }
    weight = kwargs.pop("weight")
    with pytest.raises(DomainError) as info:
        dosing.bsa(Q_([150.0, 160.0], "cm"), weight, **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == f"{message}; a cohort needs arrays of one shape"


def test_bsa_refuses_an_unknown_sex_even_where_the_formula_does_not_need_it() -> None:
    with pytest.raises(dosing.UnknownKeyError, match="sex='x' is not known"):
        dosing.bsa(Q_(150, "cm"), Q_(40, "kg"), sex="x")


# --- body/bsa.py, measured again at 768f5c9 (82.2%): the Mosteller cohort path -------------------
#
# ``bsa()`` computes a 1-D Mosteller cohort by blocks (of equal size, at most ``_BLOCK`` patients
# each in a cohort of more than ``_SMALL_COHORT``), checking each block's heights and weights as
# it goes; these tests reach that path (and its fall-backs) with values a block's check must
# refuse, and with the fields that must send a cohort off it.

BLOCK = _BLOCK


@pytest.mark.parametrize(
    ("field", "index", "value", "argument"),
    [
        ("height", BLOCK + 7, 19.0, "height"),  # below 20 cm, in the second block
        ("height", 2 * BLOCK + 1, 261.0, "height"),  # above 260 cm, in the third block
        ("weight", BLOCK + 7, 0.2, "weight"),  # below 0.3 kg
        ("weight", 2 * BLOCK + 1, 401.0, "weight"),  # above 400 kg
        ("height", BLOCK + 3, float("nan"), "height"),
        ("weight", 2 * BLOCK + 3, float("nan"), "weight"),
        ("height", 5, 19.0, "height"),  # the first block too
    ],
)
def test_a_large_mosteller_cohort_refuses_an_implausible_value_in_any_block(
    field: str, index: int, value: float, argument: str
) -> None:
    # Nine blocks of 14,564 (BLOCK + 7 is in the second, 2 * BLOCK + 1 in the third), checked by
    # argmin/argmax; then two blocks of 65,536, checked by ufunc reductions.
    for n in (_SMALL_COHORT + 1, _SMALL_COHORT):
        heights, weights = np.full(n, 150.0), np.full(n, 40.0)
        {"height": heights, "weight": weights}[field][index] = value
        with pytest.raises(DomainError) as info:
            dosing.bsa(Q_(heights, "cm"), Q_(weights, "kg"))
        assert info.value.argument == f"{argument}[{index}]"  # the patient, by position


def test_a_large_mosteller_cohort_is_the_formula_for_every_patient() -> None:
    # Blocks of at most BLOCK, and the last partial one, computed (and at the edge of the
    # smaller cohorts, two blocks of 2^16). 150 cm and 40 kg give sqrt(150 × 40 / 3600) =
    # sqrt(5/3); 180 cm and 80 kg give sqrt(4) = 2.
    for n in (_SMALL_COHORT + 3 * BLOCK + 5, _SMALL_COHORT, 3 * BLOCK + 5):
        _every_patient(n)


@pytest.mark.parametrize("n", [_SMALL_COHORT, _SMALL_COHORT + 1])
def test_a_mosteller_cohort_with_an_overflowing_product_is_refused_without_numpys_warning(
    n: int,
) -> None:
    # 1e300 cm × 1e300 kg overflows a float64; the product is computed before the block's check
    # (blocks of 2^16, then of at most BLOCK), but is never returned, and numpy says nothing.
    heights, weights = np.full(n, 150.0), np.full(n, 40.0)
    heights[n - 2], weights[n - 2] = 1e300, 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DomainError) as info:
            dosing.bsa(Q_(heights, "cm"), Q_(weights, "kg"))
    assert info.value.argument == f"height[{n - 2}]"


def _every_patient(n: int) -> None:
    heights = np.where(np.arange(n) % 2 == 0, 150.0, 180.0)
    weights = np.where(np.arange(n) % 2 == 0, 40.0, 80.0)
    area = dosing.bsa(Q_(heights, "cm"), Q_(weights, "kg")).m_as("m**2")
    expected = np.where(np.arange(n) % 2 == 0, math.sqrt(5 / 3), 2.0)
    np.testing.assert_allclose(area, expected, rtol=1e-15)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"age": Q_([10.0, 11.0, 12.0], "year")}, "height has shape (2,) and age has shape (3,)"),
        ({"sex": ["male", "female", "male"]}, "height has shape (2,) and sex has shape (3,)"),
    ],
)
def test_a_mosteller_cohort_with_age_or_sex_checks_their_shapes(
    extra: dict[str, object], message: str
) -> None:
    with pytest.raises(DomainError) as info:
        dosing.bsa(Q_([150.0, 160.0], "cm"), Q_([40.0, 50.0], "kg"), **extra)  # type: ignore[arg-type]
    assert str(info.value) == f"{message}; a cohort needs arrays of one shape"


def test_a_mosteller_cohort_refuses_an_unknown_sex_though_mosteller_needs_none() -> None:
    with pytest.raises(dosing.UnknownKeyError, match="sex='x' is not known"):
        dosing.bsa(Q_([150.0, 160.0], "cm"), Q_([40.0, 50.0], "kg"), sex=["male", "x"])


def test_a_sex_specific_formula_without_sex_names_itself() -> None:
    with pytest.raises(DomainError, match=r"^method='schlich' needs sex"):
        dosing.bsa(Q_(170, "cm"), Q_(70, "kg"), method="schlich")
    from dosing.body.bsa import bsa_m2

    with pytest.raises(DomainError, match=r"^method='schlich' needs sex"):
        bsa_m2(170.0, 70.0, method="schlich", sex=None, age=None)


def test_a_mosteller_cohort_of_unequal_shapes_is_refused_by_name() -> None:
    with pytest.raises(DomainError) as info:
        dosing.bsa(Q_([150.0, 160.0, 170.0], "cm"), Q_([40.0, 50.0], "kg"))
    assert str(info.value) == (
        "height has shape (3,) and weight has shape (2,); a cohort needs arrays of one shape"
    )


def test_a_weight_only_formula_broadcasts_over_the_heights_and_the_weights() -> None:
    # Livingston–Lee: 0.1173 × W^0.6466 from 10 kg. The area has the shape of both inputs
    # broadcast, whichever of them is the array.
    at_40 = 0.1173 * 40.0**0.6466
    at_50 = 0.1173 * 50.0**0.6466
    by_height = dosing.bsa(Q_([150.0, 160.0], "cm"), Q_(40.0, "kg"), method="livingston_lee")
    np.testing.assert_allclose(by_height.m_as("m**2"), [at_40, at_40], rtol=1e-15)
    by_weight = dosing.bsa(Q_(150.0, "cm"), Q_([40.0, 50.0], "kg"), method="livingston_lee")
    np.testing.assert_allclose(by_weight.m_as("m**2"), [at_40, at_50], rtol=1e-15)


def test_a_lazy_cohorts_bsa_is_in_square_metres_and_keeps_every_inputs_check() -> None:
    da = pytest.importorskip("dask.array")
    heights = da.from_array(np.array([150.0, 180.0]), chunks=1)
    weights = np.array([40.0, 80.0])
    area = dosing.bsa(Q_(heights, "cm"), Q_(da.from_array(weights, chunks=1), "kg"))
    assert area.units == dosing.ureg.meter**2
    np.testing.assert_allclose(area.m.compute(), [math.sqrt(5 / 3), 2.0], rtol=1e-15)
    # One lazy input and one eager: the lazy one's check still runs when the area is computed,
    # also for a formula that does not read it (Livingston–Lee reads no height).
    bad_heights = da.from_array(np.array([150.0, 19.0]), chunks=1)
    for method in ("mosteller", "livingston_lee"):
        lazy = dosing.bsa(Q_(bad_heights, "cm"), Q_(weights, "kg"), method=method)
        with pytest.raises(DomainError) as info:
            lazy.m.compute()
        assert info.value.argument.startswith("height[")
    bad_weights = da.from_array(np.array([40.0, 401.0]), chunks=1)
    lazy = dosing.bsa(Q_(np.array([150.0, 160.0]), "cm"), Q_(bad_weights, "kg"))
    with pytest.raises(DomainError) as info:
        lazy.m.compute()
    assert info.value.argument.startswith("weight[")


def test_a_lazy_scalar_height_is_checked_by_a_weight_only_formula_of_eager_weights() -> None:
    da = pytest.importorskip("dask.array")
    height = da.from_array(np.array(19.0))  # below 20 cm
    lazy = dosing.bsa(Q_(height, "cm"), Q_(np.array([40.0, 50.0]), "kg"), method="livingston_lee")
    with pytest.raises(DomainError) as info:
        lazy.m.compute()
    assert info.value.argument.startswith("height")


# --- body/_sex.py, measured at 768f5c9 (72.2%): every part of the refusal ------------------------


def test_a_missing_sex_is_refused_with_every_part_of_the_error() -> None:
    from dosing.body._sex import is_male

    with pytest.raises(DomainError) as info:
        is_male(None, "method='schlich'")
    error = info.value
    assert str(error) == "method='schlich' needs sex; pass sex='male' or sex='female'"
    assert (error.argument, error.value, error.reason, error.fix) == (
        "sex",
        None,
        "method='schlich' needs sex",
        "pass sex='male' or sex='female'",
    )


@pytest.mark.parametrize(
    ("sex", "shown"),
    [
        (np.array([1, 2]), "sex=array([1, 2])"),  # numbers, not text
        (np.array([], dtype="U6"), "sex=array([], dtype='<U6')"),  # text, but no entry
        (np.array(["male", "other"]), "sex='other'"),  # the first unknown entry
        ("other", "sex='other'"),
    ],
)
def test_an_unknown_sex_is_refused_naming_the_argument_and_the_value(
    sex: object, shown: str
) -> None:
    from dosing.body._sex import is_male

    with pytest.raises(dosing.UnknownKeyError) as info:
        is_male(sex, "method='schlich'")
    assert info.value.argument == "sex"
    assert str(info.value) == f"{shown} is not known; use one of: 'male', 'female'"


# --- body/growth.py, measured at 768f5c9 (27.0%): the CDC table's reader -------------------------
#
# 72 of the 73 survivors were in the reader, which runs once on import, where mutmut cannot
# activate a mutant. The tests call the reader itself. Published values, CDC 2000 BMI-for-age
# (bmiagerev.csv, column M): boys 24.0 months 16.57502768, 24.5 months 16.54777487, 216.5 months
# 21.8958685; girls 30.5 months 16.00593001, 120.5 months 16.86231366. The age grid is 24.0,
# then 24.5, 25.5, ... 239.5, then 240.0 and 240.5 months: 219 rows per sex.


def _cdc_table() -> dict[str, object]:
    import copy
    import tomllib
    from importlib import resources

    text = resources.files("dosing").joinpath("data/cdc_bmi_for_age.toml").read_text("utf-8")
    return copy.deepcopy(tomllib.loads(text))


def test_the_cdc_table_is_read_with_its_published_medians_read_only() -> None:
    from dosing.body import growth

    ages, male, female, references = growth._load()
    assert ages.shape == male.shape == female.shape == (219,)
    assert (ages[0], ages[1], ages[2], ages[-3], ages[-2], ages[-1]) == (
        24.0, 24.5, 25.5, 239.5, 240.0, 240.5
    )  # fmt: skip
    index = {age: i for i, age in enumerate(ages.tolist())}
    assert male[index[24.0]] == 16.57502768
    assert male[index[24.5]] == 16.54777487
    assert male[index[216.5]] == 21.8958685
    assert female[index[30.5]] == 16.00593001
    assert female[index[120.5]] == 16.86231366
    assert ages.dtype == male.dtype == female.dtype == np.float64
    for array in (ages, male, female):
        assert not array.flags.writeable
    assert references == tuple(_cdc_table()["references"])  # type: ignore[arg-type]


def test_a_median_bmi_of_one_patient_is_a_float_and_of_a_cohort_an_array() -> None:
    from dosing.body.growth import median_bmi

    one = median_bmi(24.0, True)
    assert type(one) is float and one == 16.57502768
    # halfway between 24.0 (16.57502768) and 24.5 months (16.54777487), for boys
    many = median_bmi(np.array([24.0, 24.25]), np.array([True, True]))
    assert isinstance(many, np.ndarray)
    np.testing.assert_allclose(many, [16.57502768, (16.57502768 + 16.54777487) / 2], rtol=1e-15)


def _slipped(change: str) -> dict[str, object]:
    data = _cdc_table()
    table: dict[str, object] = data["bmi_for_age"]  # type: ignore[assignment]
    ages: list[float] = table["age_months"]  # type: ignore[assignment]
    male: list[float] = table["male"]["median_bmi"]  # type: ignore[index]
    female: list[float] = table["female"]["median_bmi"]  # type: ignore[index]
    if change == "a boy's row lost":
        del male[5]
    elif change == "a girl's row lost":
        del female[5]
    elif change == "an age doubled":
        ages[5] = ages[4]
    elif change == "ages falling":
        ages[5], ages[6] = ages[6], ages[5]
    else:  # "<sex> <value>": one median replaced
        sex, value = change.split()
        {"male": male, "female": female}[sex][7] = float(value)
    return data


@pytest.mark.parametrize(
    "change", ["a boy's row lost", "a girl's row lost", "an age doubled", "ages falling"]
)
def test_a_slipped_cdc_table_fails_on_reading_naming_the_file(change: str) -> None:
    from dosing.body.growth import _read

    with pytest.raises(ValueError, match="^cdc.toml: ages must rise") as info:
        _read(_slipped(change), "cdc.toml")
    assert str(info.value) == "cdc.toml: ages must rise and match both sexes' medians"


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ("male 10.0", True),  # the screen is strict: 10 and 30 kg/m² are outside
        ("male 10.5", False),
        ("male 29.5", False),
        ("male 30.0", True),
        ("male 30.5", True),
        ("female 10.0", True),
        ("female 10.5", False),
        ("female 29.5", False),
        ("female 30.0", True),
        ("female 30.5", True),
    ],
)
def test_a_cdc_median_outside_10_to_30_fails_on_reading(change: str, refused: bool) -> None:
    from dosing.body.growth import _read

    if refused:
        with pytest.raises(ValueError, match="^cdc.toml: a median BMI") as info:
            _read(_slipped(change), "cdc.toml")
        assert str(info.value) == "cdc.toml: a median BMI outside 10-30 kg/m²"
    else:
        _ages, male, female, _ = _read(_slipped(change), "cdc.toml")
        assert {"male": male, "female": female}[change.split()[0]][7] == float(change.split()[1])


def test_a_bsa_formula_is_declared_with_its_metadata_and_docstring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ``_formula`` runs at import for every shipped formula, where mutmut cannot activate a
    # mutant; here it declares a toy formula in a fresh registry.
    import importlib

    from dosing.registry import Registry

    module = importlib.import_module("dosing.body.bsa")
    fresh: Registry[object] = Registry("method", name="BSA_FORMULAS")
    monkeypatch.setattr(module, "BSA_FORMULAS", fresh)

    def kernel(weight_kg: float) -> float:
        """Examples
        --------
        >>> 1 + 1
        2
        """
        return weight_kg

    declared = module._formula(
        "toy", "Toy", "BSA = W", "mosteller1987", "nobody.", uses_height=False, note="A note."
    )(kernel)
    assert declared is kernel
    formula = fresh["toy"]
    assert (formula.key, formula.name, formula.kernel, formula.equation) == (
        "toy", "Toy", kernel, "BSA = W"
    )  # fmt: skip
    assert (formula.reference, formula.population, formula.note) == (
        "mosteller1987", "nobody.", "A note."
    )  # fmt: skip
    assert (formula.uses_height, formula.needs_sex, formula.adults_only) == (False, False, False)
    assert kernel.__doc__ == (
        "Toy: BSA = W [m²].\n\nDerived in: nobody.\n\nA note.\n\nReferences\n----------\n"
        "mosteller1987\n\nExamples\n--------\n>>> 1 + 1\n2\n"
    )

    # without a note or examples, neither appears
    def bare(weight_kg: float) -> float:
        return weight_kg

    module._formula("bare", "Bare", "BSA = W", "mosteller1987", "nobody.")(bare)
    assert bare.__doc__ == (
        "Bare: BSA = W [m²].\n\nDerived in: nobody.\n\nReferences\n----------\nmosteller1987\n"
    )
    with pytest.raises(dosing.UnknownKeyError, match="BSA formula 'odd' reference"):
        module._formula("odd", "Odd", "BSA = W", "no-such-paper", "nobody.")(bare)


@pytest.mark.parametrize(
    ("heights", "weights", "argument"),
    [
        ([150.0, 19.0], [40.0, 40.0], "height[1]"),  # low height, the other in range
        ([261.0, 150.0], [40.0, 40.0], "height[0]"),
        ([150.0, 150.0], [0.2, 40.0], "weight[0]"),
        ([150.0, 150.0], [40.0, 401.0], "weight[1]"),
        ([150.0, float("nan")], [40.0, 40.0], "height[1]"),
        ([150.0, 150.0], [float("nan"), 40.0], "weight[0]"),
    ],
)
def test_a_small_mosteller_cohort_refuses_any_implausible_value(
    heights: list[float], weights: list[float], argument: str
) -> None:
    # one block: the check of the whole arrays, with height and weight each at one end only
    with pytest.raises(DomainError) as info:
        dosing.bsa(Q_(np.array(heights), "cm"), Q_(np.array(weights), "kg"))
    assert info.value.argument == argument


def test_a_cdc_table_citing_an_unknown_reference_fails_naming_the_file() -> None:
    from dosing.body.growth import _read

    data = _cdc_table()
    data["references"] = ["no-such-paper"]
    with pytest.raises(dosing.UnknownKeyError, match=r"^cdc.toml reference='no-such-paper'"):
        _read(data, "cdc.toml")


def test_a_cap_below_one_unit_is_a_cap() -> None:
    # A cap need only be positive: 0.5 mg caps vincristine 1.5 mg/m² × 1.29 m² (1.94 mg) at
    # 0.5 mg (the loader once could be made to refuse any cap of 1 or less unnoticed).
    regimen = one_line("vincristine", "1.5 mg/m**2", cap="0.5 mg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dosing.DosingWarning)
        row = regimen.expand(
            Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"))
        ).rows[0]
    assert row.dose.m_as("mg") == 0.5
    assert "dose_capped" in row.flags


@pytest.mark.parametrize("n", [_SMALL_COHORT, _SMALL_COHORT + 1])
def test_a_mosteller_cohort_bad_in_every_block_is_refused(n: int) -> None:
    # Every height 300 cm (above 260): no block passes its check, so the whole-array check must
    # be run by a failing block itself, not by a passing one.
    heights, weights = np.full(n, 300.0), np.full(n, 40.0)
    with pytest.raises(DomainError) as info:
        dosing.bsa(Q_(heights, "cm"), Q_(weights, "kg"))
    assert info.value.argument == "height[0]"


@pytest.mark.parametrize("n", [_SMALL_COHORT, _SMALL_COHORT + 1])
def test_a_mosteller_cohort_of_zero_times_infinity_is_refused_without_numpys_warning(
    n: int,
) -> None:
    # 0 cm × infinite kg is an invalid product (NaN, numpy warns "invalid value"); the product is
    # computed before the block's check but never returned, and numpy says nothing.
    heights, weights = np.full(n, 150.0), np.full(n, 40.0)
    heights[3], weights[3] = 0.0, np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DomainError) as info:
            dosing.bsa(Q_(heights, "cm"), Q_(weights, "kg"))
    assert info.value.argument == "height[3]"


def test_an_unknown_bsa_method_is_named_before_any_input_is_read() -> None:
    # The method is looked up first: a bad height with an unknown method is told the method.
    with pytest.raises(dosing.UnknownKeyError, match="nope"):
        dosing.bsa(Q_(-1.0, "cm"), Q_(40.0, "kg"), method="nope")
