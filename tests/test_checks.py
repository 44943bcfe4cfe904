"""Dose checks and rescheduling."""

from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np
import pytest

import dosing
from dosing import Q_, DomainError, Patient, Policy
from dosing.checks import LIMITS_TABLE, Finding
from dosing.references import REFERENCES

CHILD = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"), sex="male")
INO_1 = dosing.get_regimen("inotuzumab-cycle-1")
INO_CR = dosing.get_regimen("inotuzumab-cycle-cr")


def test_the_catalogue_for_the_case_report_child_has_no_error() -> None:
    for key in dosing.regimen_keys():
        findings = dosing.check(dosing.get_regimen(key).expand(CHILD))
        assert [f for f in findings if f.severity == "error"] == [], key


def test_every_limit_has_a_source() -> None:
    assert "inotuzumab ozogamicin" in LIMITS_TABLE
    for limit in LIMITS_TABLE.values():
        assert limit.references
        assert all(ref in REFERENCES for ref in limit.references)
    ino = LIMITS_TABLE["inotuzumab ozogamicin"]
    assert ino.per_dose == Q_(0.8, "mg/m**2")
    assert ino.per_cycle == Q_(1.8, "mg/m**2")


def ino_file(tmp_path: pathlib.Path, day1: str, later: str = "0.5 mg/m**2") -> dosing.Regimen:
    path = tmp_path / "ino.toml"
    path.write_text(
        'key = "ino-test"\nname = "InO test"\nframe = "cycle"\ncycle_length = "28 day"\n'
        'references = ["besponsa-label-2024"]\n'
        f'[[dose]]\nagent = "Inotuzumab Ozogamicin"\namount = "{day1}"\ndays = "1"\n'
        f'[[dose]]\nagent = "inotuzumab ozogamicin"\namount = "{later}"\ndays = "8, 15"\n',
        encoding="utf-8",
    )
    return dosing.load_regimen(path)


def test_a_dose_exactly_at_the_limit_passes_despite_floating_point(tmp_path: pathlib.Path) -> None:
    # 0.8 mg/m² × an awkward BSA, divided back: equal to 0.8 only within rounding error.
    awkward = Patient(height=Q_(151.3, "cm"), weight=Q_(41.7, "kg"))
    assert dosing.check(ino_file(tmp_path, "0.8 mg/m**2").expand(awkward)) == []


def test_over_the_per_dose_and_per_cycle_limits_is_an_error(tmp_path: pathlib.Path) -> None:
    findings = dosing.check(ino_file(tmp_path, "0.9 mg/m**2").expand(CHILD))
    assert [f.severity for f in findings] == ["error", "error"]
    per_dose, per_cycle = sorted(findings, key=lambda f: f.day is None)
    assert per_dose.agent == "inotuzumab ozogamicin"
    assert per_dose.day == 1
    assert "0.9 mg/m², over the per-dose limit of 0.8 mg/m²" in per_dose.message
    assert "besponsa-label-2024" in per_dose.message
    assert per_cycle.day is None
    assert "1.9 mg/m² in ino-test, over the per-cycle limit of 1.8 mg/m²" in per_cycle.message
    assert str(per_dose).startswith("error: inotuzumab ozogamicin day 1: ")


def test_cap_and_bsa_cap_are_info_and_rounding_over_5_percent_warns() -> None:
    adult = Patient(height=Q_(190, "cm"), weight=Q_(110, "kg"))
    schedule = INO_1.expand(adult, policy=Policy(bsa_cap=Q_(2, "m**2")))
    findings = dosing.check(schedule)
    assert {f.severity for f in findings} == {"info"}
    assert all("the BSA cap" in f.message and f.agent in f.message for f in findings)
    # 0.5 mg/m² × 1.29099 = 0.6455 mg → 0.6 mg with 0.1 mg (−7.0%): a warning
    rounded = INO_1.expand(CHILD, policy=Policy(rounding={"*": Q_(0.1, "mg")}))
    warnings_ = [f for f in dosing.check(rounded) if f.severity == "warning"]
    assert [f.day for f in warnings_] == [8, 15]
    assert "7.0%" in warnings_[0].message


def test_course_cycle_count() -> None:
    cycle = INO_CR.expand(CHILD)
    transplant = dosing.get_regimen("flu-arac-mel-ric").expand(CHILD)
    assert dosing.check([INO_1.expand(CHILD), cycle, transplant]) == []
    three = dosing.check([INO_1.expand(CHILD), cycle, cycle, transplant])
    assert [(f.severity, f.agent) for f in three] == [("warning", "inotuzumab ozogamicin")]
    assert "recommends 2" in three[0].message
    assert dosing.check(INO_1.expand(CHILD), *[cycle] * 5) == []  # six, no transplant
    seven = dosing.check(INO_1.expand(CHILD), *[cycle] * 6)
    assert [(f.severity, f.agent) for f in seven] == [("error", "inotuzumab ozogamicin")]
    assert "at most 6" in seven[0].message


def test_check_refuses_what_is_not_a_schedule() -> None:
    with pytest.raises(DomainError, match="takes schedules"):
        dosing.check("flu-arac-mel-ric")  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="takes schedules"):
        dosing.check(["flu-arac-mel-ric"])  # type: ignore[list-item]
    with pytest.raises(DomainError, match="at least one"):
        dosing.check()


def test_cohort_findings_say_how_many_patients(tmp_path: pathlib.Path) -> None:
    cohort = Patient(
        height=Q_(np.array([150.0, 190.0]), "cm"), weight=Q_(np.array([40.0, 110.0]), "kg")
    )
    findings = dosing.check(INO_1.expand(cohort, policy=Policy(bsa_cap=Q_(2, "m**2"))))
    assert findings
    assert all("patients: 1 of 2" in f.message for f in findings)
    over = dosing.check(ino_file(tmp_path, "0.9 mg/m**2").expand(cohort))
    assert any("patients: 2 of 2" in f.message for f in over)


def test_findings_are_value_objects() -> None:
    finding = Finding("info", "melphalan", -2, "x")
    assert str(finding) == "info: melphalan day -2: x"
    assert str(Finding("error", "melphalan", None, "y")) == "error: melphalan: y"


# -- rescheduling -------------------------------------------------------------------------------


def test_days_8_and_15_may_move_two_days_keeping_six_between() -> None:
    cycle = INO_1.expand(CHILD, cycle_start=dt.date(2026, 1, 5))
    moved = dosing.reschedule(cycle, "Inotuzumab Ozogamicin", day=8, to=9)
    assert [r.day for r in moved] == [1, 9, 15]
    row = moved[1]
    assert (row.planned_day, row.date) == (8, dt.date(2026, 1, 13))
    assert row.dose == cycle[1].dose
    assert [r.day for r in cycle] == [1, 8, 15]  # the original is unchanged
    # 15 → 17 first, then 8 → 10 keeps 9 and 7 days between doses
    both = dosing.reschedule(
        dosing.reschedule(cycle, "inotuzumab ozogamicin", day=15, to=17),
        "inotuzumab ozogamicin",
        day=8,
        to=10,
    )
    assert [r.day for r in both] == [1, 10, 17]


def test_moves_outside_the_window_or_too_close_raise() -> None:
    cycle = INO_1.expand(CHILD)
    with pytest.raises(DomainError, match=r"may move ±2 days"):
        dosing.reschedule(cycle, "inotuzumab ozogamicin", day=8, to=11)
    with pytest.raises(DomainError, match="may not move"):
        dosing.reschedule(cycle, "inotuzumab ozogamicin", day=1, to=2)
    with pytest.raises(DomainError, match="leaves 5 days to the dose on day 15.*at least 6"):
        dosing.reschedule(cycle, "inotuzumab ozogamicin", day=8, to=10)
    with pytest.raises(DomainError, match="leaves 5 days to the dose on day 1"):
        dosing.reschedule(cycle, "inotuzumab ozogamicin", day=8, to=6)
    moved = dosing.reschedule(cycle, "inotuzumab ozogamicin", day=8, to=9)
    with pytest.raises(DomainError, match="leaves 4 days"):
        dosing.reschedule(moved, "inotuzumab ozogamicin", day=15, to=13)
    with pytest.raises(dosing.UnknownMethodError, match="day=9"):
        dosing.reschedule(cycle, "inotuzumab ozogamicin", day=9, to=10)
    with pytest.raises(dosing.UnknownMethodError, match="agent='melphalan'"):
        dosing.reschedule(cycle, "melphalan", day=8, to=10)
    with pytest.raises(DomainError, match="must be a day number"):
        dosing.reschedule(cycle, "inotuzumab ozogamicin", day=8, to="10")  # type: ignore[arg-type]


def test_a_move_out_of_the_cycle_raises(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text(
        'key = "short"\nname = "Short"\nframe = "cycle"\ncycle_length = "15 day"\n'
        'references = ["besponsa-label-2024"]\n[[dose]]\nagent = "x"\namount = "1 mg"\n'
        'days = "15"\nwindow = "2 day"\n',
        encoding="utf-8",
    )
    schedule = dosing.load_regimen(path).expand(CHILD)
    with pytest.raises(DomainError, match="outside the 15-day cycle"):
        dosing.reschedule(schedule, "x", day=15, to=16)
