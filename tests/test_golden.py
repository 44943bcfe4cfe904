"""Golden values: published worked examples and independent hand arithmetic, one CSV per function.

Every expected value in ``tests/golden/*.csv`` comes from a cited publication or public test
suite, or from hand arithmetic done with Python's ``math`` module, never from :mod:`dosing`. The
``source`` column says which: a citation, or ``hand arithmetic: <expression>`` (the expression is
re-evaluated here, so the number and the documented arithmetic cannot drift apart). Each row
carries a tolerance that matches its source's rounding: ``abs 0.0005`` for a value published to
3 decimal places, ``rel 1e-12`` for full-precision hand arithmetic.

Quantities are written with their units (``"150 cm"``, ``"70 inch"``, ``"85 umol/L"``) and passed
to dosing as strings; the result is read in the row's ``unit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import dosing
from tests.harness import HAND, Row, assert_hand_arithmetic, assert_row, cases, load

CSV_FILES = (
    "bsa.csv",
    "bmi.csv",
    "ideal_body_weight.csv",
    "adjusted_body_weight.csv",
    "lean_body_weight.csv",
    "creatinine_clearance.csv",
    "cockcroft_gault.csv",
    "convert_creatinine.csv",
    "schwartz_bedside.csv",
    "egfr.csv",
    "carboplatin_calvert.csv",
    "busulfan_bands.csv",
    "exposure.csv",
)


def check(row: Row, call: Callable[[], Any]) -> None:
    """Run ``call`` (expecting the row's warning, if any) and compare with the row's tolerance."""
    if row["warning"]:
        with pytest.warns(getattr(dosing, row["warning"])):
            result = call()
    else:
        result = call()
    assert_row(result, row)


def _sex(row: Row) -> str | None:
    return row["sex"] or None


# ---------------------------------------------------------------------------------------------
# Body size


@pytest.mark.parametrize("row", cases("bsa.csv"))
def test_bsa(row: Row) -> None:
    check(
        row,
        lambda: dosing.bsa(row["height"], row["weight"], method=row["method"], sex=_sex(row)),
    )


@pytest.mark.parametrize("row", cases("bmi.csv"))
def test_bmi(row: Row) -> None:
    check(row, lambda: dosing.bmi(row["height"], row["weight"]))


@pytest.mark.parametrize("row", cases("ideal_body_weight.csv"))
def test_ideal_body_weight(row: Row) -> None:
    check(
        row,
        lambda: dosing.ideal_body_weight(
            row["height"], sex=row["sex"], method=row["method"], age=row["age"] or None
        ),
    )


@pytest.mark.parametrize("row", cases("adjusted_body_weight.csv"))
def test_adjusted_body_weight(row: Row) -> None:
    check(
        row,
        lambda: dosing.adjusted_body_weight(
            row["weight"], row["ideal"], factor=float(row["factor"])
        ),
    )


@pytest.mark.parametrize("row", cases("lean_body_weight.csv"))
def test_lean_body_weight(row: Row) -> None:
    check(
        row,
        lambda: dosing.lean_body_weight(
            row["height"],
            row["weight"],
            sex=row["sex"],
            method=row["method"],
            age=row["age"] or None,
        ),
    )


# ---------------------------------------------------------------------------------------------
# Renal function and carboplatin


@pytest.mark.parametrize("row", cases("creatinine_clearance.csv"))
def test_creatinine_clearance(row: Row) -> None:
    check(
        row,
        lambda: dosing.creatinine_clearance(
            age=row["age"],
            weight=row["weight"],
            serum_creatinine=row["serum_creatinine"],
            sex=row["sex"],
        ),
    )


@pytest.mark.parametrize("row", cases("cockcroft_gault.csv"))
def test_cockcroft_gault(row: Row) -> None:
    check(
        row,
        lambda: (
            dosing.cockcroft_gault(
                age=row["age"],
                weight=row["weight"],
                height=row["height"] or None,
                serum_creatinine=row["serum_creatinine"],
                sex=row["sex"],
                weight_used=row["weight_used"],
                factor=float(row["factor"]) if row["factor"] else None,
            ).clearance
        ),
    )


@pytest.mark.parametrize("row", cases("convert_creatinine.csv"))
def test_convert_creatinine(row: Row) -> None:
    check(row, lambda: dosing.convert_creatinine(row["serum_creatinine"], row["unit"]))


@pytest.mark.parametrize("row", cases("egfr.csv"))
def test_egfr(row: Row) -> None:
    """Every eGFR equation; a row with a ``bsa`` is the absolute clearance (× BSA / 1.73 m²)."""

    def call() -> Any:
        arguments: dict[str, Any] = {
            name: row[name] or None
            for name in ("serum_creatinine", "cystatin_c", "age", "sex", "height")
        }
        if row["black"]:
            arguments["black"] = row["black"] == "True"
        estimate = dosing.egfr(method=row["method"], **arguments)
        return estimate * dosing.Q_(row["bsa"]) if row["bsa"] else estimate

    check(row, call)


@pytest.mark.parametrize("row", cases("schwartz_bedside.csv"))
def test_schwartz_bedside(row: Row) -> None:
    check(row, lambda: dosing.schwartz_bedside(row["height"], row["serum_creatinine"]))


@pytest.mark.parametrize("row", cases("carboplatin_calvert.csv"))
def test_carboplatin_calvert(row: Row) -> None:
    kwargs: dict[str, Any] = {}
    if row["gfr_cap"] == "none":
        kwargs["gfr_cap"] = None
    elif row["gfr_cap"] != "default":
        kwargs["gfr_cap"] = row["gfr_cap"]
    check(row, lambda: dosing.carboplatin_calvert(row["target_auc"], row["gfr"], **kwargs))


# ---------------------------------------------------------------------------------------------
# The tables themselves


def _all_rows() -> list[Any]:
    return [
        pytest.param(name, row, id=f"{name.removesuffix('.csv')}/{row['id']}")
        for name in CSV_FILES
        for row in load(name)
    ]


@pytest.mark.parametrize(("name", "row"), _all_rows())
def test_row_has_source_and_tolerance(name: str, row: Row) -> None:
    assert row["source"].strip(), f"{name}: {row['id']} has no source"
    assert row["tol_kind"] in {"abs", "rel"}, f"{name}: {row['id']}"
    assert 0.0 < float(row["tol"]) <= 0.5, f"{name}: {row['id']}"
    if row["source"].startswith(HAND):
        assert row["tol_kind"] == "rel", f"{name}: {row['id']}: hand arithmetic is full precision"


@pytest.mark.parametrize("name", CSV_FILES)
def test_ids_are_unique(name: str) -> None:
    ids = [row["id"] for row in load(name)]
    assert len(ids) == len(set(ids))


def _hand_rows() -> list[Any]:
    return [
        pytest.param(row, id=f"{name.removesuffix('.csv')}/{row['id']}")
        for name in CSV_FILES
        for row in load(name)
        if row["source"].startswith(HAND)
    ]


@pytest.mark.parametrize("row", _hand_rows())
def test_hand_arithmetic_matches_expected(row: Row) -> None:
    """The documented expression (before any two-space note) gives the expected value."""
    assert_hand_arithmetic(row)


def test_coverage_of_formulas_and_branches() -> None:
    bsa_rows = load("bsa.csv")
    assert {row["method"] for row in bsa_rows} == set(dosing.BSA_FORMULAS)
    assert {row["sex"] for row in bsa_rows if row["method"] == "schlich"} == {"male", "female"}
    livingston = [
        float(row["weight"].split()[0])
        for row in bsa_rows
        if row["method"] == "livingston_lee" and row["weight"].endswith(" kg")
    ]
    assert min(livingston) < 10.0 <= max(livingston)

    # Every registered formula has golden rows, for each sex: a new one without them fails here.
    ibw = {(row["method"], row["sex"]) for row in load("ideal_body_weight.csv")}
    assert ibw == {
        (method, sex) for method in dosing.body.IBW_FORMULAS for sex in ("male", "female")
    }
    assert {row["factor"] for row in load("adjusted_body_weight.csv")} >= {"0.4", "0.25"}
    lbw = {(row["method"], row["sex"]) for row in load("lean_body_weight.csv")}
    assert lbw == {
        (method, sex) for method in dosing.body.LBW_FORMULAS for sex in ("male", "female")
    }
    crcl = load("creatinine_clearance.csv")
    assert {row["sex"] for row in crcl} == {"male", "female"}
    assert any("umol/L" in row["serum_creatinine"] for row in crcl)
    assert {row["weight_used"] for row in load("cockcroft_gault.csv")} == set(
        dosing.body.kidney.CG_WEIGHTS
    )
    assert {row["unit"] for row in load("convert_creatinine.csv")} >= {"mg/dL", "umol/L"}

    # Every eGFR equation has golden rows, for each sex where it has a sex term; the age
    # branches of the piecewise ones (CKiD U25: < 12, 12-18, 18+; Schwartz original) are hit.
    egfr_rows = load("egfr.csv")
    assert {row["method"] for row in egfr_rows} == set(dosing.EGFR_FORMULAS)
    for method, formula in dosing.EGFR_FORMULAS.items():
        if "sex" in formula.needs:
            sexes = {row["sex"] for row in egfr_rows if row["method"] == method}
            assert sexes == {"male", "female"}, method
        if formula.race_based:
            races = {row["black"] for row in egfr_rows if row["method"] == method}
            assert races == {"True", "False"}, method
    ckid_ages = {float(r["age"].split()[0]) for r in egfr_rows if r["method"] == "ckid_u25"}
    assert min(ckid_ages) < 12 <= max(a for a in ckid_ages if a < 18) and max(ckid_ages) >= 18
    external = [r for r in egfr_rows if not r["source"].startswith(HAND)]
    assert len(external) >= 90  # published examples and other projects' tests, not arithmetic
    assert {row["gfr_cap"] for row in load("carboplatin_calvert.csv")} >= {"default", "none"}
