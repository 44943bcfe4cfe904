"""Edges the rest of the suite did not reach (issue 16: branch coverage towards 99%).

Each test states the behaviour a user would rely on at that edge, with the expected value.
"""

from __future__ import annotations

import runpy
import sys

import numpy as np
import pytest

import dosing
from dosing import Q_, DomainError, Patient, Policy, RegimenError, UnitsError
from dosing.dose_limits import load_limits
from dosing.errors import Code
from dosing.plausibility import checked
from dosing.references import _reference, check_references
from dosing.regimens.loader import regimen_from_mapping
from dosing.registry import Registry
from dosing.units import CM, parse_quantity
from dosing.vocabulary import product_of


def mapping(*lines: dict[str, object], key: str = "m", totals: object = None) -> dict[str, object]:
    data: dict[str, object] = {
        "key": key,
        "name": "M",
        "frame": "transplant",
        "references": ["storb1986"],
        "dose": list(lines),
    }
    if totals is not None:
        data["totals"] = totals
    return data


def test_python_dash_m_dosing_runs_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["dosing", "--version"])
    with pytest.raises(SystemExit) as info:
        runpy.run_module("dosing", run_name="__main__")
    assert info.value.code == 0


def test_code_prints_as_written() -> None:
    assert str(Code('Q_(40, "kg")')) == 'Q_(40, "kg")'


def test_a_ratio_of_like_units_is_not_a_unit() -> None:
    with pytest.raises(UnitsError, match="'5 g/g' has no unit"):
        parse_quantity("5 g/g")
    assert parse_quantity("5 mg/kg").magnitude == 5  # mg/kg is dimensionless too, but a dose


def test_checked_refuses_a_magnitude_that_is_neither_float_nor_array() -> None:
    with pytest.raises(DomainError, match="height has a magnitude of type list"):
        checked("height", [150.0], CM)


def test_equal_cohorts_with_sexes_hash_equally() -> None:
    one = Patient(
        height=Q_([150.0, 160.0], "cm"), weight=Q_([40, 50], "kg"), sex=["male", "female"]
    )
    two = Patient(height=Q_([1.5, 1.6], "m"), weight=Q_([40, 50], "kg"), sex=["male", "female"])
    assert one == two
    assert hash(one) == hash(two)
    other = Patient(height=Q_([150.0, 160.0], "cm"), weight=Q_([40, 50], "kg"), sex="male")
    assert one != other


def test_a_dose_line_describes_its_cap_and_acknowledgement() -> None:
    vcr = regimen_from_mapping(
        mapping({"agent": "vincristine", "amount": "1.5 mg/m**2", "days": "1", "cap": "2 mg"})
    )
    assert vcr.doses[0].describe() == (
        "vincristine: 1.5 mg/m² on day 1, capped at 2 mg per administration (total 1.5 mg/m²)"
    )
    high = regimen_from_mapping(
        mapping(
            {
                "agent": "melphalan",
                "amount": "250 mg/m**2",
                "days": "-2",
                "acknowledge": "a trial dose",
            }
        )
    )
    assert high.doses[0].describe().endswith("(total 250 mg/m²); acknowledged: a trial dose")


def test_combining_regimens_drops_totals_an_agent_has_in_both() -> None:
    first = regimen_from_mapping(
        mapping(
            {"agent": "melphalan", "amount": "70 mg/m**2", "days": "-3"},
            key="a",
            totals={"melphalan": "70 mg/m**2"},
        )
    )
    second = regimen_from_mapping(
        mapping(
            {"agent": "melphalan", "amount": "70 mg/m**2", "days": "-2"},
            key="b",
            totals={"melphalan": "70 mg/m**2"},
        )
    )
    combined = dosing.combine(first, second)
    assert dict(combined.totals) == {}
    assert combined.course_total("melphalan") == Q_(140, "mg/m**2")


def test_a_registry_refuses_bad_keys_and_names_its_argument() -> None:
    registry: Registry[int] = Registry("thing", name="THINGS")
    assert registry.argument == "thing"
    with pytest.raises(KeyError, match="non-empty strings"):
        registry.register("", 1)
    registry.register("a", 1)
    with pytest.raises(KeyError, match="registered twice"):
        registry.register("a", 2)


def test_a_product_the_vocabulary_does_not_know_is_refused_listing_the_products() -> None:
    with pytest.raises(dosing.UnknownKeyError, match="'Nope' is not known.*Thymoglobulin"):
        product_of("anti-thymocyte globulin (rabbit)", "Nope")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {"agent": "zzz-unknown", "product": "X", "amount": "1 mg", "days": "1"},
            r"dose\[0\]\.product: 'zzz-unknown' is not in the vocabulary",
        ),
        (
            {"agent": "rabbit ATG", "product": "Nope", "amount": "1 mg/kg", "days": "1"},
            r"dose\[0\]\.product: product='Nope' is not known",
        ),
        (
            {"agent": "Thymoglobulin", "product": "Grafalon", "amount": "1 mg/kg", "days": "1"},
            r"dose\[0\]\.product: product='Grafalon' disagrees with the agent 'Thymoglobulin'",
        ),
    ],
)
def test_a_templates_product_must_be_known_and_agree(line: dict[str, object], message: str) -> None:
    with pytest.raises(RegimenError, match=message):
        regimen_from_mapping(mapping(line), source="<m>")


def test_a_totals_key_that_is_no_agent_name_is_refused_naming_the_file() -> None:
    line = {"agent": "melphalan", "amount": "140 mg/m**2", "days": "-2"}
    message = r"<m>: totals\.: must be an agent's name; write agent='melphalan'"
    with pytest.raises(RegimenError, match=message):
        regimen_from_mapping(mapping(line, totals={"": "1 mg"}), source="<m>")


def test_an_exposure_shows_its_note_and_cycles() -> None:
    exposure = dosing.Exposure("melphalan", Q_(140, "mg/m**2"), note="BEAM", cycles=2)
    assert repr(exposure) == (
        "Exposure(agent='melphalan', amount=Q_(140, 'mg/m**2'), note='BEAM', cycles=2)"
    )


def test_the_infant_rule_needs_a_weight() -> None:
    rule = dosing.InfantRule(below_weight=Q_(10, "kg"), divisor=30)
    with pytest.raises(DomainError, match="the infant rule needs the patient's weight"):
        dosing.get_regimen("inotuzumab-cycle-1").expand(
            Patient(bsa=Q_(0.4, "m**2")), policy=Policy(infant_rule=rule)
        )


def test_a_limit_for_every_age_applies_without_an_age(tmp_path: object) -> None:
    limit = dosing.dose_limits.DOSE_LIMITS.for_agent("melphalan")[0]
    assert limit.age_from is None and limit.age_below is None
    assert limit.for_age(None) is True


def test_a_limits_file_whose_limit_is_not_a_list_of_tables(
    tmp_path: pytest.TempPathFactory,
) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "limits.toml"
    path.write_text("limit = 5\n")
    with pytest.raises(DomainError, match=r"limit: write \[\[limit\]\] tables"):
        load_limits(path)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"authors": "A", "title": "T", "source": "S", "colour": "x"}, "unknown field"),
        ({"authors": "", "title": "T", "source": "S"}, "authors must be a non-empty string"),
        ({"authors": "A", "title": "T", "source": "S", "year": "2001"}, "year must be an int"),
        ({"authors": "A", "title": "T", "source": "S", "doi": "11.1/x"}, "is not a DOI"),
        ({"authors": "A", "title": "T", "source": "S", "pmid": "12a"}, "not a PubMed"),
    ],
)
def test_a_packaged_reference_with_a_slip_fails_loudly(
    raw: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _reference("k", raw)


def test_a_packaged_file_citing_an_unknown_reference_fails_naming_where() -> None:
    assert check_references(["storb1986"], "here") == ("storb1986",)
    with pytest.raises(dosing.UnknownKeyError, match="here reference"):
        check_references(["nobody2099"], "here")


def test_a_cohort_table_shows_its_size_and_a_per_patient_record() -> None:
    cohort = Patient(height=Q_([150.0, 160.0], "cm"), weight=Q_([40, 50], "kg"), sex="male")
    schedule = dosing.get_regimen("inotuzumab-cycle-1").expand(cohort)
    assert schedule.header()[1] == "Patient: 2 patients, height 150–160 cm, weight 40–50 kg, male"
    records = schedule.to_records()
    assert sorted({r["patient"] for r in records}) == [0, 1]
    first = next(r for r in records if r["patient"] == 1)
    assert np.isclose(first["dose"]["value"], 0.8 * np.sqrt(160 * 50 / 3600))  # day 1, 0.8 mg/m²
