"""Output formats: one registry, and each writer writes what the schedule holds."""

from __future__ import annotations

import csv
import io
import json
import pathlib

import numpy as np
import pytest

import dosing
from dosing import Q_, Patient, Policy
from dosing._text import wrap
from dosing.formats import FORMATS, write
from dosing.formats.text import preparation
from dosing.regimens.loader import regimen_from_mapping
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


# -- what the writers show at their edges (issue 16: branch coverage 99%) ----------------------

CY = regimen_from_mapping(
    {
        "key": "cy",
        "name": "Cyclophosphamide",
        "frame": "transplant",
        "references": ["pbc28980"],
        "dose": [{"agent": "cyclophosphamide", "amount": "50 mg/kg", "days": "-2"}],
    }
)
VINCRISTINE = dosing.load_regimen(
    pathlib.Path(__file__).parent / "data" / "vincristine-weekly.toml"
)
NHS = dosing.policy.bands.BAND_TABLES["nhs-1mg-ml-vincristine"]


def test_a_cohort_record_gives_each_patient_the_sex_their_ideal_weight_used() -> None:
    cohort = Patient(
        height=Q_(np.array([170.0, 170.0]), "cm"),
        weight=Q_(np.array([90.0, 90.0]), "kg"),
        sex=np.array(["male", "female"]),
    )
    schedule = CY.expand(cohort, policy=Policy(dosing_weight="ideal"))
    # Devine: male 50 + 2.3 × (170 / 2.54 − 60) = 65.937 kg; female 45.5 + the same = 61.437 kg
    male, female = 50 + 2.3 * (170 / 2.54 - 60), 45.5 + 2.3 * (170 / 2.54 - 60)
    first, second = schedule.to_records()
    assert first["basis"]["inputs"]["sex"] == "male"
    assert second["basis"]["inputs"]["sex"] == "female"
    assert first["dose"]["value"] == pytest.approx(50 * male, rel=1e-12)
    assert second["dose"]["value"] == pytest.approx(50 * female, rel=1e-12)
    # the row as one record for the whole cohort: one sex per patient
    whole = schedule[0].to_record()
    assert whole["basis"]["inputs"]["sex"] == ["male", "female"]
    assert whole["basis"]["value"]["value"] == pytest.approx([male, female], rel=1e-12)


def test_a_cohort_rows_banding_detail_has_none_where_a_patient_was_not_banded() -> None:
    # 1.5 mg/m² × 1.0, 1.2 and 0.1 m² = 1.5, 1.8 and 0.15 mg. NHS table rows: From 1.45 To 1.55
    # (1.5 mg) and From 1.75 To 1.90 (1.8 mg); 0.15 mg is under the first From, 0.21 mg.
    cohort = Patient(bsa=Q_(np.array([1.0, 1.2, 0.1]), "m**2"))
    row = VINCRISTINE.expand(cohort, policy=Policy(bands={"vincristine": NHS}))[0]
    banded = next(a for a in row.to_record()["adjustments"] if a["flag"] == "banded")
    assert banded["detail"]["lower"] == [1.45, 1.75, None]
    assert banded["detail"]["upper"] == [1.55, 1.9, None]
    assert banded["detail"]["table"] == "nhs-1mg-ml-vincristine"


def test_the_table_says_why_a_dose_was_not_banded() -> None:
    # 1.5 mg/m² × 0.1 m² = 0.15 mg, under the NHS table's first From (0.21 mg)
    schedule = VINCRISTINE.expand(
        Patient(bsa=Q_(0.1, "m**2")), policy=Policy(bands={"vincristine": NHS})
    )
    text = write(schedule, "table")
    assert (
        "vincristine (day 1, 8, 15, 22): not banded: outside every band (0.21 mg to 16.97 mg, "
        "rule A); left as calculated"
    ) in " ".join(text.split())


def test_preparation_skips_a_line_whose_rows_were_all_taken_out() -> None:
    # The first line (day 1) is taken out with Schedule.with_rows; the second is still banded:
    # 1.5 mg/m² × 1.0 m² = 1.5 mg, in the NHS row From 1.45 To 1.55 (1.5 mg).
    two_lines = regimen_from_mapping(
        {
            "key": "vcr2",
            "name": "Vincristine",
            "frame": "cycle",
            "cycle_length": "28 day",
            "references": ["vincristine-label"],
            "dose": [
                {"agent": "vincristine", "amount": "1.5 mg/m**2", "days": "1", "cap": "2 mg"},
                {"agent": "vincristine", "amount": "1.5 mg/m**2", "days": "8", "cap": "2 mg"},
            ],
        }
    )
    schedule = two_lines.expand(
        Patient(bsa=Q_(1.0, "m**2")), policy=Policy(bands={"vincristine": NHS})
    )
    later = schedule.with_rows(tuple(row for row in schedule if row.day >= 8))
    assert preparation(later) == [
        "Preparation:",
        "vincristine (day 8): calculated 1.500 mg -> band dose 1.500 mg (band 1.45–1.55 mg, "
        "variance +0.00%, table nhs-1mg-ml-vincristine)",
    ]
    assert len(preparation(schedule)) == 3


def without_bsa(schedule: dosing.Schedule) -> dosing.Schedule:
    """The schedule as its public constructor allows it: without a BSA (bsa=None)."""
    return dosing.Schedule(
        regimen=schedule.regimen,
        patient=schedule.patient,
        rows=schedule.rows,
        lines=schedule.lines,
        policy=schedule.policy,
        anchor=schedule.anchor,
        bsa=None,
    )


def test_a_schedule_without_a_bsa_is_written_without_one() -> None:
    schedule = without_bsa(CY.expand(Patient(height=Q_(170, "cm"), weight=Q_(60, "kg"))))
    text = write(schedule, "table")
    assert "BSA" not in text
    # 50 mg/kg × 60 kg = 3000 mg, on actual body weight
    assert "cyclophosphamide: weight 60 kg (actual body weight)" in text
    document = json.loads(write(schedule, "json"))
    assert "bsa_used" not in document["patient"]
    assert document["rows"][0]["dose"]["value"] == 3000.0
    bundle = schedule.to_fhir()
    loinc = [
        e["resource"]["code"]["coding"][0]["code"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    ]
    assert loinc == ["8302-2", "29463-7"]  # height and weight; no 8277-6 (BSA)


def test_a_categorical_column_repeats_each_value_then_tiles_them() -> None:
    from dosing.formats.pandas import categorical, import_pandas

    pd = import_pandas()
    column = categorical(pd, ["mg", None, "Gy"], repeat=2, tile=2)
    # each value twice (None is missing), then the six values again
    expected = ["mg", "mg", None, None, "Gy", "Gy"] * 2
    assert [None if pd.isna(v) else v for v in column] == expected
    assert list(column.categories) == ["mg", "Gy"]
