"""Cohorts: numpy arrays through the policies, dask arrays kept lazy, pandas frames.

Expected values are hand arithmetic or the numpy path, which tests elsewhere check by hand.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import dosing
from dosing import Q_, DomainError, InfantRule, OutsidePopulationWarning, Patient, Policy

da = pytest.importorskip("dask.array")
pd = pytest.importorskip("pandas")

RIC = dosing.get_regimen("flu-arac-mel-ric")
HEIGHTS = np.array([150.0, 175.0, 100.0, 60.0, 190.0, 120.0])
WEIGHTS = np.array([40.0, 70.0, 15.0, 6.0, 110.0, 22.0])


def lazy(values: np.ndarray, chunks: int = 2) -> object:
    return da.from_array(values, chunks=chunks)


def test_bsa_of_a_dask_array_stays_lazy_and_matches_numpy() -> None:
    area = dosing.bsa(Q_(lazy(HEIGHTS), "cm"), Q_(lazy(WEIGHTS), "kg"))
    assert isinstance(area.magnitude, da.Array)
    np.testing.assert_allclose(
        area.magnitude.compute(), np.sqrt(HEIGHTS * WEIGHTS / 3600), rtol=1e-15
    )
    for method in dosing.BSA_FORMULAS:
        sex = "female" if dosing.BSA_FORMULAS[method].needs_sex else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OutsidePopulationWarning)
            eager = dosing.bsa(Q_(HEIGHTS, "cm"), Q_(WEIGHTS, "kg"), method=method, sex=sex)
            deferred = dosing.bsa(
                Q_(lazy(HEIGHTS), "cm"), Q_(lazy(WEIGHTS), "kg"), method=method, sex=sex
            )
            np.testing.assert_allclose(deferred.magnitude.compute(), eager.magnitude, rtol=1e-14)


def test_a_bad_element_raises_the_same_error_when_computed() -> None:
    heights = HEIGHTS.copy()
    heights[3] = np.nan
    area = dosing.bsa(Q_(lazy(heights), "cm"), Q_(lazy(WEIGHTS), "kg"))  # no error yet
    with pytest.raises(DomainError, match="is not a number"):
        area.magnitude.compute()
    weights = WEIGHTS.copy()
    weights[5] = 4000.0
    patient = Patient(height=Q_(lazy(HEIGHTS), "cm"), weight=Q_(lazy(weights), "kg"))
    total = RIC.expand(patient).total("melphalan")
    with pytest.raises(DomainError, match="weight.*=4000 kg is outside"):
        total.magnitude.compute()


def test_population_warnings_fire_when_computed() -> None:
    area = dosing.bsa(
        Q_(lazy(HEIGHTS), "cm"), Q_(lazy(WEIGHTS), "kg"), method="schlich", sex="male"
    )
    with pytest.warns(OutsidePopulationWarning, match="schlich"):
        area.magnitude.compute()


def test_every_formula_accepts_dask() -> None:
    heights = Q_(lazy(np.array([170.0, 180.0])), "cm")
    weights = Q_(lazy(np.array([70.0, 90.0])), "kg")
    ages = Q_(lazy(np.array([40.0, 60.0])), "year")
    results = {
        "bmi": (dosing.bmi(heights, weights), [70 / 1.7**2, 90 / 1.8**2]),
        "ibw": (
            dosing.ideal_body_weight(heights, sex="male"),
            [50 + 2.3 * (170 / 2.54 - 60), 50 + 2.3 * (180 / 2.54 - 60)],
        ),
        "abw": (dosing.adjusted_body_weight(weights, Q_(60, "kg")), [64.0, 72.0]),
        "lbw": (
            dosing.lean_body_weight(heights, weights, sex="male", method="janmahasatian"),
            [9270 * 70 / (6680 + 216 * 70 / 1.7**2), 9270 * 90 / (6680 + 216 * 90 / 1.8**2)],
        ),
        "cg": (
            dosing.creatinine_clearance(
                age=ages, weight=weights, serum_creatinine=Q_(1, "mg/dL"), sex="male"
            ),
            [100 * 70 / 72, 80 * 90 / 72],
        ),
        "schwartz": (
            dosing.schwartz_bedside(heights, Q_(1, "mg/dL"), age=ages),
            [0.413 * 170, 0.413 * 180],
        ),
        "calvert": (
            dosing.carboplatin_calvert(
                Q_(5, "mg*min/mL"), Q_(lazy(np.array([100.0, 140.0])), "mL/min")
            ),
            [5 * 125, 5 * 150],
        ),
    }
    for name, (quantity, expected) in results.items():
        assert isinstance(quantity.magnitude, da.Array), name
        np.testing.assert_allclose(quantity.magnitude.compute(), expected, rtol=1e-12, err_msg=name)


def test_expand_a_dask_cohort_stays_lazy_and_matches_numpy_through_policies() -> None:
    policy = Policy(
        bsa_cap=Q_(1.5, "m**2"),
        rounding={"*": Q_(1, "mg")},
        dose_factors={"melphalan": 0.9},
        infant_rule=InfantRule(below_weight=Q_(10, "kg"), divisor=30),
    )
    eager = RIC.expand(Patient(height=Q_(HEIGHTS, "cm"), weight=Q_(WEIGHTS, "kg")), policy=policy)
    deferred = RIC.expand(
        Patient(height=Q_(lazy(HEIGHTS), "cm"), weight=Q_(lazy(WEIGHTS), "kg")), policy=policy
    )
    for eager_row, lazy_row in zip(eager, deferred, strict=True):
        assert isinstance(lazy_row.dose_value, da.Array)
        np.testing.assert_array_equal(lazy_row.dose_value.compute(), eager_row.dose_value)
        for flag, mask in eager_row.flags.items():
            lazy_mask = lazy_row.flags[flag]  # lazy where it depends on the data
            computed = lazy_mask.compute() if isinstance(lazy_mask, da.Array) else lazy_mask
            np.testing.assert_array_equal(computed, mask)
    np.testing.assert_array_equal(
        deferred.total("cytarabine").magnitude.compute(), eager.total("cytarabine").magnitude
    )


def test_renal_policy_on_a_dask_cohort() -> None:
    ages = np.array([12.0, 40.0, 5.0, 0.5, 60.0, 8.0])
    # children and an adult table: the policy must accept it (issue 11)
    policy = Policy(renal="fludarabine-fludara-label", renal_outside_population="accept")

    def cohort(values: object, h: object, w: object) -> Patient:
        return Patient(
            height=Q_(h, "cm"),
            weight=Q_(w, "kg"),
            age=Q_(values, "year"),
            sex=np.array(["male"] * 6),
            serum_creatinine=Q_(0.8, "mg/dL"),
        )

    with pytest.warns(OutsidePopulationWarning) as eager_warnings:
        eager = RIC.expand(cohort(ages, HEIGHTS, WEIGHTS), policy=policy)
    with pytest.warns(OutsidePopulationWarning) as lazy_warnings:  # noqa: PT031 (on compute)
        deferred = RIC.expand(cohort(lazy(ages), lazy(HEIGHTS), lazy(WEIGHTS)), policy=policy)
        np.testing.assert_array_equal(deferred[0].dose_value.compute(), eager[0].dose_value)
    for caught in (eager_warnings, lazy_warnings):
        texts = [str(w.message) for w in caught]
        assert not any("Cockcroft–Gault, derived in adults" in t for t in texts)  # not a child's
        assert any("under 1 year" in t for t in texts)  # Schwartz for the 6-month-old
    np.testing.assert_array_equal(
        deferred[0].flags["renal_outside_population"].compute(), ages < 18
    )
    with pytest.raises(DomainError, match="is for adults"):
        RIC.expand(
            cohort(lazy(ages), lazy(HEIGHTS), lazy(WEIGHTS)),
            policy=Policy(renal="fludarabine-fludara-label"),
        )[0].dose_value.compute()


def test_lazy_rounding_limit_raises_when_computed() -> None:
    patient = Patient(height=Q_(lazy(HEIGHTS), "cm"), weight=Q_(lazy(WEIGHTS), "kg"))
    schedule = RIC.expand(patient, policy=Policy(rounding={"*": Q_(50, "mg")}))
    with pytest.raises(DomainError, match="max_rounding_change"):
        schedule.total("fludarabine").magnitude.compute()


def test_numpy_cohort_flags_are_per_patient() -> None:
    cohort = Patient(height=Q_(HEIGHTS, "cm"), weight=Q_(WEIGHTS, "kg"))
    row = RIC.expand(cohort, policy=Policy(bsa_cap=Q_(1.5, "m**2")))[0]
    np.testing.assert_array_equal(row.flags["bsa_capped"], np.sqrt(HEIGHTS * WEIGHTS / 3600) > 1.5)
    tbi = dosing.get_regimen("mel-tbi-mac").expand(cohort)[0]
    assert tbi.dose_value.shape == (6,)
    assert not tbi.dose_value.flags.writeable


def test_to_frame_one_patient_and_cohort() -> None:
    child = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    frame = dosing.get_regimen("mel-tbi-mac").expand(child, transplant_date="2026-12-10").to_frame()
    assert len(frame) == 8
    assert list(frame.columns[:6]) == ["day", "date", "agent", "dose", "unit", "calculated"]
    assert frame["unit"].tolist() == ["Gy"] * 6 + ["mg"] * 2
    assert frame["date"].iloc[0] == pd.Timestamp("2026-12-04")
    assert frame["dose"].iloc[-1] == pytest.approx(90 * math.sqrt(150 * 40 / 3600))
    assert not frame["rounded"].any()

    cohort = Patient(height=Q_(HEIGHTS, "cm"), weight=Q_(WEIGHTS, "kg"))
    schedule = RIC.expand(cohort, policy=Policy(bsa_cap=Q_(1.5, "m**2")))
    frame = schedule.to_frame()
    assert len(frame) == 6 * 9
    assert frame.columns[0] == "patient"
    records = schedule.to_records()
    assert frame["dose"].tolist() == [r["dose"]["value"] for r in records]
    assert frame["patient"].tolist() == [r["patient"] for r in records]
    assert frame["bsa_capped"].tolist() == ["bsa_capped" in r["flags"] for r in records]
    totals = frame.groupby(["patient", "agent"])["dose"].sum().unstack()
    np.testing.assert_allclose(totals["melphalan"], schedule.total("melphalan").magnitude)


def test_every_lazy_field_is_checked_even_when_no_dose_uses_it() -> None:
    policy = Policy(renal="fludarabine-fludara-label")
    for clearance, message in (
        ([90, np.nan, 60, 20, 80, 70], "is not a number"),
        ([90, 5000, 60, 20, 80, 70], "outside the plausible range"),
    ):
        patient = Patient(
            height=Q_(lazy(HEIGHTS), "cm"),
            weight=Q_(lazy(WEIGHTS), "kg"),
            age=Q_(lazy(np.full(6, 40.0)), "year"),  # an adult table needs age (issue 11)
            creatinine_clearance=Q_(lazy(np.array(clearance, float)), "mL/min"),
        )
        schedule = RIC.expand(patient, policy=policy)
        with pytest.raises(DomainError, match=rf"creatinine_clearance\[1\]=.*{message}"):
            schedule.total("fludarabine").magnitude.compute()
    ages = np.array([10.0, np.nan, 3.0, 4.0, 50.0, 8.0])
    patient = Patient(
        height=Q_(lazy(HEIGHTS), "cm"), weight=Q_(lazy(WEIGHTS), "kg"), age=Q_(lazy(ages), "year")
    )
    with pytest.raises(DomainError, match=r"age\[1\]=nan"):
        RIC.expand(patient).total("melphalan").magnitude.compute()
    heights = np.array([150.0, np.nan])
    area = dosing.bsa(
        Q_(lazy(heights, 1), "cm"),
        Q_(lazy(np.array([40.0, 50.0]), 1), "kg"),
        method="livingston_lee",
    )  # weight only, but height is still checked
    with pytest.raises(DomainError, match=r"height\[1\]=nan"):
        area.magnitude.compute()


def test_lazy_and_numpy_inputs_mix() -> None:
    sexes = np.array(["male", "female", "male", "female", "male", "female"])
    got = dosing.lean_body_weight(
        Q_(lazy(HEIGHTS), "cm"), Q_(lazy(WEIGHTS), "kg"), sex=sexes, method="janmahasatian"
    )
    eager = dosing.lean_body_weight(
        Q_(HEIGHTS, "cm"), Q_(WEIGHTS, "kg"), sex=sexes, method="janmahasatian"
    )
    np.testing.assert_allclose(got.magnitude.compute(), eager.magnitude, rtol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dosing.ImplausibleInputWarning)
        adjusted = dosing.adjusted_body_weight(Q_(lazy(WEIGHTS), "kg"), Q_(np.full(6, 50.0), "kg"))
        np.testing.assert_allclose(adjusted.magnitude.compute(), 50 + 0.4 * (WEIGHTS - 50))
        mixed = Patient(height=Q_(HEIGHTS, "cm"), weight=Q_(lazy(WEIGHTS), "kg"))
        np.testing.assert_allclose(
            RIC.expand(mixed).total("melphalan").magnitude.compute(),
            180 * np.sqrt(HEIGHTS * WEIGHTS / 3600),
        )


def test_flat_doses_of_a_lazy_cohort_stay_lazy() -> None:
    patient = Patient(height=Q_(lazy(HEIGHTS), "cm"), weight=Q_(lazy(WEIGHTS), "kg"))
    schedule = dosing.get_regimen("mel-tbi-mac").expand(patient)
    total = schedule.total("total body irradiation").magnitude
    assert isinstance(total, da.Array)
    np.testing.assert_array_equal(total.compute(), np.full(6, 12.0))


def test_lazy_renal_estimator_choice_matches_numpy() -> None:
    # adults with a given BSA and no height: Cockcroft–Gault for everyone, like numpy
    ages = np.array([40.0, 50.0])

    def adults(wrap: object) -> Patient:
        return Patient(
            bsa=Q_(wrap(np.array([1.7, 1.9])), "m**2"),  # type: ignore[operator]
            weight=Q_(wrap(np.array([60.0, 80.0])), "kg"),  # type: ignore[operator]
            age=Q_(wrap(ages), "year"),
            sex=np.array(["male", "female"]),  # type: ignore[operator]
            serum_creatinine=Q_(1.2, "mg/dL"),
        )

    policy = Policy(renal="fludarabine-fludara-label")
    eager = RIC.expand(adults(np.asarray), policy=policy).total("fludarabine").magnitude
    deferred = RIC.expand(adults(lambda a: da.from_array(a, chunks=1)), policy=policy)
    np.testing.assert_allclose(deferred.total("fludarabine").magnitude.compute(), eager)
    # a child among them, with no height to estimate by Schwartz: refused when computed
    child = Patient(
        bsa=Q_(lazy(np.array([1.7, 1.0]), 1), "m**2"),
        weight=Q_(lazy(np.array([60.0, 30.0]), 1), "kg"),
        age=Q_(lazy(np.array([40.0, 9.0]), 1), "year"),
        sex=np.array(["male", "male"]),
        serum_creatinine=Q_(0.6, "mg/dL"),
    )
    with pytest.raises(DomainError, match="Schwartz .* needs height"):
        RIC.expand(child, policy=policy).total("fludarabine").magnitude.compute()


def test_unknown_chunk_sizes_are_refused_with_the_fix() -> None:
    heights = lazy(HEIGHTS)
    subset = heights[heights > 110]
    with pytest.raises(DomainError, match="compute_chunk_sizes"):
        Patient(height=Q_(subset, "cm"), weight=Q_(subset / 4, "kg"))


def test_to_frame_of_a_two_dimensional_cohort() -> None:
    grid = Patient(height=Q_(HEIGHTS.reshape(2, 3), "cm"), weight=Q_(WEIGHTS.reshape(2, 3), "kg"))
    frame = dosing.get_regimen("gvhd-mtx-10-7-7").expand(grid).to_frame()
    assert len(frame) == 6 * 3
    assert {"per_day", "planned_day"} <= set(frame.columns)
    np.testing.assert_allclose(
        frame[frame["day"] == 1]["dose"], 10 * np.sqrt(HEIGHTS * WEIGHTS / 3600)
    )


def test_a_lazy_cohort_chunked_differently_per_field_is_computed_and_checked() -> None:
    # Height in chunks of 2, weight in chunks of 1, age in chunks of 3: the blockwise checks
    # once failed on compute with dask's "Shapes do not align". Mosteller by hand:
    # sqrt(150 × 40 / 3600) = 1.29099 m², × 30 mg/m² fludarabine = 38.7298 mg; and so on.
    heights, weights = [150.0, 160.0, 170.0, 180.0], [40.0, 50.0, 60.0, 70.0]
    expected = [math.sqrt(h * w / 3600) for h, w in zip(heights, weights, strict=True)]
    height = Q_(da.from_array(heights, chunks=2), "cm")
    weight = Q_(da.from_array(weights, chunks=1), "kg")
    age = Q_(da.from_array([10.0, 11.0, 12.0, 13.0], chunks=3), "year")
    np.testing.assert_allclose(dosing.bsa(height, weight).magnitude.compute(), expected)
    schedule = dosing.get_regimen("flu-arac-mel-ric").expand(
        Patient(height=height, weight=weight, age=age)
    )
    np.testing.assert_allclose(
        schedule[0].dose.m_as("mg").compute(), [30 * a for a in expected], rtol=1e-12
    )
    bad = Q_(da.from_array([40.0, 50.0, 600.0, 70.0], chunks=1), "kg")  # 600 kg: implausible
    with pytest.raises(DomainError, match="weight"):
        dosing.bsa(height, bad).magnitude.compute()
