"""Output formats: one registry, and each writer writes what the schedule holds."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

import dosing
from dosing import Q_, Patient, Policy
from dosing._text import wrap
from dosing.formats import FORMATS, write
from dosing.vocabulary import FLAGS

CHILD = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
BIG = Patient(height=Q_(190, "cm"), weight=Q_(110, "kg"))
POLICY = Policy(bsa_cap=Q_(2, "m**2"), rounding={"*": Q_(1, "mg")})


def ric(patient: Patient = CHILD, policy: Policy | None = None) -> dosing.Schedule:
    return dosing.get_regimen("flu-arac-mel-ric").expand(patient, policy=policy)


def test_the_registry_holds_every_format_and_refuses_others() -> None:
    assert set(FORMATS) == {
        "records",
        "json",
        "csv",
        "pandas",
        "table",
        "events",
        "fhir",
        "html",
    }
    with pytest.raises(dosing.UnknownKeyError, match="format='yaml' is not known"):
        write(ric(), "yaml")
    for key, format_ in FORMATS.items():
        assert format_.key == key
        assert format_.description


def test_the_schedule_methods_are_the_writers() -> None:
    schedule = ric(BIG, POLICY)
    assert schedule.to_csv() == write(schedule, "csv")
    assert schedule.to_records() == write(schedule, "records")
    assert str(schedule) == write(schedule, "table")
    wrapped = [part for line in schedule.header() for part in wrap(line)]
    assert str(schedule).startswith("\n".join(wrapped) + "\nDay ")
    assert schedule[0].to_record() == schedule.to_records()[0]


def test_records_carry_each_adjustment_with_its_numbers() -> None:
    policy = Policy(dose_factors={"fludarabine": 0.8}, rounding={"*": Q_(1, "mg")})
    record = ric(CHILD, policy).to_records()[0]  # fludarabine, 30 mg/m²
    bsa = np.sqrt(150 * 40 / 3600)  # Mosteller 1.291 m²: 38.73 mg, 80% = 30.98 mg, 31 mg
    steps = [(a["step"], a["flag"]) for a in record["adjustments"]]
    assert steps == [("dose_factor", "reduced"), ("rounding", "rounded")]
    reduced, rounded = record["adjustments"]
    assert reduced["before"] == pytest.approx(30 * bsa, rel=1e-12)
    assert reduced["after"] == pytest.approx(0.8 * 30 * bsa, rel=1e-12)
    assert rounded["before"] == reduced["after"]
    assert rounded["after"] == 31.0
    assert reduced["reason"] == "80% of the full dose"
    assert rounded["reason"] == "rounded half-up to 1 mg"
    assert record["flags"] == ["reduced", "rounded"]
    assert record["calculated"]["value"] == reduced["after"]
    assert record["dose"]["value"] == 31.0


def test_a_cohort_record_lists_only_the_adjustments_that_applied_to_that_patient() -> None:
    cohort = Patient(height=Q_(np.array([150.0, 190.0]), "cm"), weight=Q_([40.0, 110.0], "kg"))
    records = ric(cohort, Policy(bsa_cap=Q_(2, "m**2"))).to_records()
    child, adult = records[0], records[len(records) // 2]
    assert (child["patient"], adult["patient"]) == (0, 1)
    assert child["adjustments"] == []
    assert [a["flag"] for a in adult["adjustments"]] == ["bsa_capped"]
    assert adult["adjustments"][0]["after"] == pytest.approx(60.0)


def test_json_is_the_document_with_findings() -> None:
    schedule = ric()
    document = json.loads(write(schedule, "json"))
    assert set(document) == {
        "patient",
        "regimen",
        "rows",
        "totals",
        "policy",
        "findings",
        "unsourced",
        "references",
    }
    assert document["rows"] == json.loads(json.dumps(schedule.to_records()))
    # The case report calls the regimen RIC; melphalan 180 mg/m² meets the MAC definition.
    assert [f["code"] for f in document["findings"]] == ["intensity"]
    assert document["unsourced"] == list(schedule.regimen.unsourced)
    assert [ref["key"] for ref in document["references"]] == ["pbc28980"]
    assert document["rows"][0]["unsourced"] == list(schedule.regimen.doses[0].unsourced)
    given = json.loads(write(schedule, "json", findings=dosing.check(schedule)))
    assert given == document


def test_csv_has_one_line_per_administration_and_full_precision() -> None:
    schedule = ric()
    rows = list(csv.DictReader(io.StringIO(write(schedule, "csv"))))
    assert len(rows) == len(schedule) == 9
    assert float(rows[0]["dose"]) == schedule[0].dose_value  # repr: no digit lost
    assert rows[0]["basis"].startswith("BSA 1.291 m²")


def test_the_frame_has_a_boolean_column_for_every_flag() -> None:
    frame = write(ric(BIG, POLICY), "pandas")
    for flag in FLAGS:
        assert frame[flag].dtype == bool
    assert frame["bsa_capped"].all()
    assert not frame["infant_rule"].any()
