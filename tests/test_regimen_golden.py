"""Golden per-day doses of the built-in regimens, from hand arithmetic on the sources.

Every expected value in ``tests/golden/regimens.csv`` was computed by hand (Python's ``math``
module, in a scratch script outside the repository) from the amounts of the BESPONSA label, the
case report, Storb 1986, Adachi 2019 and the Kawasaki TBI schedule, as collected in
``reference/CLINICAL-FACTS.md``; never by :mod:`dosing`. Where the facts file says the per-day
split is unknown (Flu/AraC/Mel RIC, Mel/TBI day labels, rabbit ATG), the rows follow the split the
catalogue ships, and the totals come from the case report.

One CSV line per expected fact, identified by ``regimen``, ``patient``, ``bsa_method`` (empty: the
default) and ``anchor`` (``transplant_date=`` or ``cycle_start=``), of one ``kind``:

``row``
    The ``index``-th administration of the schedule: its ``day``, ``date``, ``agent``,
    ``prescribed`` amount, ``basis`` kind and dose (``expected`` in ``unit``).
``total``
    ``schedule.total(agent)``.
``count``
    The number of rows (one per administration: TBI is 6 rows of 2 Gy).

The ``source`` column is ``hand arithmetic: <expression>  <note>``; the expression is re-evaluated
here, so the number and the documented arithmetic cannot drift apart. Dates follow the two frames
of the design: transplant day ``d`` falls on ``transplant_date + d``; cycle day ``d`` (from 1, no
day 0) on ``cycle_start + d - 1``.

A regimen key holding ``+`` is ``dosing.combine`` of its parts, in that order.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import defaultdict
from typing import Any

import numpy as np
import pytest

import dosing
from dosing import Q_
from tests.harness import HAND, Row, assert_hand_arithmetic, assert_quantity_allclose, load

Case = tuple[str, str, str, str]  # regimen, patient, bsa_method, anchor

#: Every built-in regimen, from the catalogue: a new one without golden rows fails test_coverage.
#: Regimens by target AUC need a GFR the patients here do not have: tests/test_exposure_lines.py.
KEYS = tuple(
    key
    for key in dosing.regimen_keys()
    if not any(line.kind == "auc" for line in dosing.get_regimen(key).doses)
)
#: Regimens by weight band: this cohort spans several bands, which expansion refuses.
BANDED = frozenset(
    key for key in KEYS if any(line.kind == "band" for line in dosing.get_regimen(key).doses)
)
CYCLE_KEYS = frozenset({"inotuzumab-cycle-1", "inotuzumab-cycle-cr", "inotuzumab-cycle-no-cr"})
TRANSPLANT = "flu-arac-mel-ric+rabbit-atg+gvhd-mtx-standard"

# The patients named in the CSV. The numbers here are the ones written into its expressions.
PATIENTS: dict[str, dict[str, Any]] = {
    "case-child": {
        "height": Q_(150, "cm"),
        "weight": Q_(40, "kg"),
        "age": Q_(12, "year"),
        "sex": "male",
    },
    "adult": {"height": Q_(175, "cm"), "weight": Q_(70, "kg"), "age": Q_(45, "year")},
    "small-child": {"height": Q_(100, "cm"), "weight": Q_(15, "kg"), "age": Q_(4, "year")},
    "bsa-only": {"bsa": Q_(1.29, "m**2"), "weight": Q_(40, "kg")},
}
# The cohort: these three patients, their heights and weights stacked into numpy arrays.
COHORT = ("case-child", "adult", "small-child")
SINGLE_PATIENTS = ("case-child", "adult", "small-child", "bsa-only")


ROWS = load("regimens.csv")


def case_of(row: Row) -> Case:
    return (row["regimen"], row["patient"], row["bsa_method"], row["anchor"])


def rows_of(kind: str) -> list[Any]:
    return [pytest.param(row, id=row["id"]) for row in ROWS if row["kind"] == kind]


def by_case() -> dict[Case, list[Row]]:
    grouped: dict[Case, list[Row]] = defaultdict(list)
    for row in ROWS:
        grouped[case_of(row)].append(row)
    return dict(grouped)


CASES = by_case()


def dose_rows(case: Case) -> list[Row]:
    """The ``row`` lines of a case, in schedule order."""
    return sorted((r for r in CASES[case] if r["kind"] == "row"), key=lambda r: int(r["index"]))


def case_id(case: Case) -> str:
    return "/".join(part for part in case if part)


def regimen(key: str) -> Any:
    parts = key.split("+")
    if len(parts) == 1:
        return dosing.get_regimen(key)
    return dosing.combine(*(dosing.get_regimen(part) for part in parts))


def parse_anchor(anchor: str) -> tuple[str, dt.date]:
    name, _, iso = anchor.partition("=")
    assert name in {"transplant_date", "cycle_start"}, anchor
    return name, dt.date.fromisoformat(iso)


def expand(patient: Any, key: str, bsa_method: str, anchor: str) -> list[Any]:
    name, date = parse_anchor(anchor)
    kwargs: dict[str, Any] = {name: date}
    if bsa_method:
        kwargs["bsa_method"] = bsa_method
    return regimen(key).expand(patient, **kwargs)


@functools.cache
def schedule(case: Case) -> Any:
    key, patient, bsa_method, anchor = case
    return expand(dosing.Patient(**PATIENTS[patient]), key, bsa_method, anchor)


@functools.cache
def cohort_schedule(key: str, anchor: str) -> Any:
    heights = np.array([PATIENTS[p]["height"].m_as("cm") for p in COHORT], dtype=float)
    weights = np.array([PATIENTS[p]["weight"].m_as("kg") for p in COHORT], dtype=float)
    cohort = dosing.Patient(height=Q_(heights, "cm"), weight=Q_(weights, "kg"))
    return expand(cohort, key, "", anchor)


def close(actual: float, row: Row) -> bool:
    tol = float(row["tol"])
    assert row["tol_kind"] == "rel"
    return math.isclose(actual, float(row["expected"]), rel_tol=tol, abs_tol=0.0)


def scalar(quantity: Any, unit: str) -> float:
    value = np.asarray(quantity.m_as(unit), dtype=float)
    assert value.ndim == 0, f"a single patient's dose should be a scalar, got {value!r}"
    return float(value)


# ---------------------------------------------------------------------------------------------
# The library against the table


@pytest.mark.parametrize("row", rows_of("row"))
def test_row(row: Row) -> None:
    rows = list(schedule(case_of(row)))
    index = int(row["index"])
    assert index < len(rows), f"{row['id']}: the schedule has only {len(rows)} rows"
    got = rows[index]
    assert got.day == int(row["day"]), row["id"]
    assert got.date == dt.date.fromisoformat(row["date"]), row["id"]
    assert got.agent.lower() == row["agent"], row["id"]
    dose = scalar(got.dose, row["unit"])
    assert close(dose, row), (
        f"{row['id']}: dosing gives {dose!r} {row['unit']}, expected {row['expected']} "
        f"({row['source']})"
    )
    # Default policy: nothing (cap, rounding, infant rule) changed the calculated dose.
    assert close(scalar(got.calculated, row["unit"]), row), row["id"]
    prescribed = Q_(row["prescribed"])
    assert got.prescribed.dimensionality == prescribed.dimensionality, row["id"]
    assert math.isclose(
        scalar(got.prescribed, str(prescribed.units)), prescribed.magnitude, rel_tol=1e-12
    ), f"{row['id']}: prescribed {got.prescribed}, expected {prescribed}"
    assert got.basis.kind == row["basis"], row["id"]


@pytest.mark.parametrize("row", rows_of("total"))
def test_total(row: Row) -> None:
    total = scalar(schedule(case_of(row)).total(row["agent"]), row["unit"])
    assert close(total, row), (
        f"{row['id']}: dosing gives {total!r} {row['unit']}, expected {row['expected']} "
        f"({row['source']})"
    )


@pytest.mark.parametrize("row", rows_of("count"))
def test_count(row: Row) -> None:
    n = len(list(schedule(case_of(row))))
    assert n == int(row["expected"]), f"{row['id']}: {n} rows, expected {row['expected']}"


@pytest.mark.parametrize("case", list(CASES), ids=case_id)
def test_sequence(case: Case) -> None:
    """The whole schedule, row by row: day, date and agent, in the table's order."""
    got = [(r.day, r.date.isoformat(), r.agent.lower()) for r in schedule(case)]
    expected = [(int(r["day"]), r["date"], r["agent"]) for r in dose_rows(case)]
    assert got == expected


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == TRANSPLANT], ids=case_id)
def test_combined_transplant_in_day_order(case: Case) -> None:
    days = [r.day for r in schedule(case)]
    assert days == sorted(days)
    assert days[0] == -7 and days[-1] == 11
    assert 0 not in days  # day 0 is the graft, no drug in these regimens


# ---------------------------------------------------------------------------------------------
# A cohort gives the single patients' hand values


@pytest.mark.parametrize("key", [*(k for k in KEYS if k not in BANDED), TRANSPLANT])
def test_cohort_matches_single_patients(key: str) -> None:
    singles = {p: (key, p, "", next(c[3] for c in CASES if c[:3] == (key, p, ""))) for p in COHORT}
    anchor = singles["case-child"][3]
    got = list(cohort_schedule(key, anchor))
    expected = [dose_rows(singles[p]) for p in COHORT]
    assert len(got) == len(expected[0]) == len(expected[1]) == len(expected[2])
    for index, row in enumerate(got):
        lines = [rows[index] for rows in expected]
        assert row.day == int(lines[0]["day"]), (key, index)
        assert row.date == dt.date.fromisoformat(lines[0]["date"]), (key, index)
        assert row.agent.lower() == lines[0]["agent"], (key, index)
        unit = lines[0]["unit"]
        doses = Q_(np.broadcast_to(row.dose.m_as(unit), (len(COHORT),)), unit)
        want = Q_(np.array([float(line["expected"]) for line in lines]), unit)
        assert_quantity_allclose(doses, want, rtol=1e-12)
    for agent_total in (r for r in CASES[singles["case-child"]] if r["kind"] == "total"):
        agent, unit = agent_total["agent"], agent_total["unit"]
        want = np.array(
            [
                float(
                    next(
                        r for r in CASES[singles[p]] if r["kind"] == "total" and r["agent"] == agent
                    )["expected"]
                )
                for p in COHORT
            ]
        )
        total = cohort_schedule(key, anchor).total(agent)
        totals = Q_(np.broadcast_to(total.m_as(unit), (len(COHORT),)), unit)
        assert_quantity_allclose(totals, Q_(want, unit), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# The table itself


def test_ids_are_unique() -> None:
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", [pytest.param(r, id=r["id"]) for r in ROWS])
def test_hand_arithmetic_matches_expected(row: Row) -> None:
    assert row["source"].startswith(HAND), row["id"]
    assert (row["tol_kind"], row["tol"]) == ("rel", "1e-12"), row["id"]
    assert_hand_arithmetic(row)


@pytest.mark.parametrize("row", rows_of("row"))
def test_date_follows_the_frame(row: Row) -> None:
    name, anchor = parse_anchor(row["anchor"])
    day = int(row["day"])
    frame = "cycle_start" if row["regimen"] in CYCLE_KEYS else "transplant_date"
    assert name == frame, row["id"]
    if frame == "cycle_start":
        assert day >= 1, f"{row['id']}: there is no cycle day {day}"
        expected = anchor + dt.timedelta(days=day - 1)
    else:
        expected = anchor + dt.timedelta(days=day)
    assert dt.date.fromisoformat(row["date"]) == expected, row["id"]


@pytest.mark.parametrize("case", list(CASES), ids=case_id)
def test_case_is_complete(case: Case) -> None:
    """Rows 0..n-1, one count equal to n, and per-agent rows summing to each agent's total."""
    lines = CASES[case]
    rows = dose_rows(case)
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))
    counts = [r for r in lines if r["kind"] == "count"]
    assert len(counts) == 1 and int(counts[0]["expected"]) == len(rows)
    totals = {r["agent"]: r for r in lines if r["kind"] == "total"}
    assert set(totals) == {r["agent"] for r in rows}
    for agent, total in totals.items():
        summed = math.fsum(float(r["expected"]) for r in rows if r["agent"] == agent)
        assert all(r["unit"] == total["unit"] for r in rows if r["agent"] == agent)
        assert math.isclose(summed, float(total["expected"]), rel_tol=1e-12), (case, agent)


def test_coverage() -> None:
    """Every regimen for every single patient; a non-default BSA formula; the combined plan."""
    covered = {(c[0], c[1]) for c in CASES}
    for key in KEYS:
        for patient in SINGLE_PATIENTS:
            assert (key, patient) in covered, (key, patient)
    methods = {c[2] for c in CASES} - {""}
    assert {"dubois", "haycock", "boyd"} <= methods
    assert all((key, "case-child", "dubois") in {c[:3] for c in CASES} for key in KEYS)
    assert (TRANSPLANT, "case-child") in covered
    tbi = [r for r in ROWS if r["kind"] == "row" and r["agent"] == "total body irradiation"]
    assert tbi and all(float(r["expected"]) == 2.0 and r["unit"] == "Gy" for r in tbi)
