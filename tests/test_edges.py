"""Edges the rest of the suite did not reach (issue 16: branch coverage towards 99%).

Each test states the behaviour a user would rely on at that edge, with the expected value.
"""

from __future__ import annotations

import runpy
import sys

import numpy as np
import pytest

import dosing
from dosing import Q_, DomainError, DosingWeight, Patient, Policy, RegimenError, UnitsError
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


VCR_LIMIT = """[[limit]]
agent = "vincristine"
tier = "hard"
per = "{per}"
amount = "{amount}"
{extra}
unsourced = "a test limit"
"""


def vincristine(amount: str = "1.5 mg/m**2") -> dosing.Regimen:
    return regimen_from_mapping(
        {
            "key": "vcr",
            "name": "Vincristine",
            "frame": "cycle",
            "cycle_length": "21 day",
            "references": ["vincristine-label"],
            "dose": [{"agent": "vincristine", "amount": amount, "days": "1"}],
        }
    )


def limits_file(tmp_path: object, text: str) -> object:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "limits.toml"
    path.write_text(text)
    return load_limits(path)


def test_a_per_kg_limit_is_not_compared_without_a_weight() -> None:
    from dosing.checks import compared

    schedule = vincristine().expand(Patient(bsa=Q_(1, "m**2")))
    # 1.5 mg/m² × 1 m² = 1.5 mg: within 2 mg and 0.4–2 mg/m²; the 0.05 mg/kg range needs a weight.
    described = [limit.describe() for limit in compared(schedule)["vincristine"]]
    assert described == [
        "hard limit of 2 mg per administration",
        "usual range 0.4–2 mg/m² per administration",
    ]
    assert dosing.check(schedule) == []


def test_an_age_specific_limit_without_an_age_is_said_not_checked(tmp_path: object) -> None:
    table = limits_file(
        tmp_path,
        VCR_LIMIT.format(per="administration", amount="1 mg/m**2", extra='age_below = "18 year"'),
    )
    findings = dosing.check(vincristine().expand(Patient(bsa=Q_(1, "m**2"))), limits=table)
    assert [(f.code, f.message) for f in findings] == [
        (
            "not_checked",
            "vincristine was not checked: its hard limit of 1 mg/m² per administration [unsourced] "
            "depends on age, which the patient does not have",
        )
    ]
    # With an age of 10 years it applies: 1.5 mg/m² is over 1 mg/m².
    aged = vincristine().expand(Patient(bsa=Q_(1, "m**2"), age=Q_(10, "year")))
    assert [f.code for f in dosing.check(aged, limits=table)] == ["over_limit"]
    adult = vincristine().expand(Patient(bsa=Q_(1, "m**2"), age=Q_(18, "year")))
    assert [f.code for f in dosing.check(adult, limits=table)] == ["not_checked"]


def test_a_limit_in_other_units_than_the_doses_is_said_not_checked(tmp_path: object) -> None:
    table = limits_file(tmp_path, VCR_LIMIT.format(per="day", amount="1000 IU/m**2", extra=""))
    findings = dosing.check(vincristine().expand(Patient(bsa=Q_(1, "m**2"))), limits=table)
    assert [f.message for f in findings] == [
        "vincristine was not checked: its limits are in IU/m², its doses in mg"
    ]


def conditioning(intensity: str, *lines: dict[str, object]) -> dosing.Regimen:
    return regimen_from_mapping(
        {
            "key": "cond",
            "name": "Conditioning",
            "frame": "transplant",
            "references": ["bacigalupo2009"],
            "intensity": intensity,
            "setting": "conditioning",
            "dose": list(lines),
        }
    )


ADULT = Patient(height=Q_(170, "cm"), weight=Q_(70, "kg"), age=Q_(40, "year"))


def test_the_intensity_check_reads_tbi_fractions_and_busulfan_routes() -> None:
    # TBI 2 Gy × 3 days = 6 Gy fractionated: under 8 Gy, so not myeloablative; declared MAC.
    tbi = {"agent": "TBI", "amount": "2 Gy", "days": "-3..-1"}
    findings = dosing.check(conditioning("MAC", tbi).expand(ADULT))
    assert [f.code for f in findings if f.code == "intensity"] == ["intensity"]
    # Busulfan 3.2 mg/kg IV on 2 days = 6.4 mg/kg, under the IV threshold of 0.8 × 9 = 7.2 mg/kg
    # (Giralt 2009, as this library reads it): declared RIC, no finding.
    iv = {"agent": "busulfan", "amount": "3.2 mg/kg", "days": "-3..-2", "route": "i.v."}
    assert [f.code for f in dosing.check(conditioning("RIC", iv).expand(ADULT))] == []
    # On 3 days, 9.6 mg/kg IV is past 7.2: myeloablative, declared RIC.
    iv3 = {**iv, "days": "-4..-2"}
    messages = [f.message for f in dosing.check(conditioning("RIC", iv3).expand(ADULT))]
    assert any("busulfan 9.6 mg/kg (at least 7.2 mg/kg is myeloablative)" in m for m in messages)
    # Written as oral ("PO"), 9.6 mg/kg is past the oral threshold of 9 mg/kg.
    oral = {**iv3, "route": "PO"}
    messages = [f.message for f in dosing.check(conditioning("RIC", oral).expand(ADULT))]
    assert any("busulfan 9.6 mg/kg (at least 9 mg/kg is myeloablative)" in m for m in messages)
    # Another route reads neither threshold: the intensity is said not checked (it was silent).
    other = {**iv3, "route": "Subcutaneous"}
    assert [f.code for f in dosing.check(conditioning("RIC", other).expand(ADULT))] == [
        "not_checked"
    ]


def daunorubicin(amount: str = "45 mg/m**2") -> dosing.Regimen:
    return regimen_from_mapping(
        {
            "key": "dauno",
            "name": "Daunorubicin",
            "frame": "cycle",
            "cycle_length": "28 day",
            "references": ["daunorubicin-label"],
            "dose": [{"agent": "daunorubicin", "amount": amount, "days": "1..3"}],
        }
    )


def test_a_lifetime_limit_by_age_without_an_age_is_said_not_checked() -> None:
    schedule = daunorubicin().expand(Patient(bsa=Q_(1, "m**2")))
    messages = [f.message for f in dosing.check(schedule) if f.code == "not_checked"]
    # 45 mg/m² × 3 days = 135 mg/m², under the largest of the age-specific limits (550 mg/m²).
    assert any("depend on age, which the patient does not have" in m for m in messages)


def test_a_planned_amount_that_cannot_be_expressed_per_kg_is_said_not_checked() -> None:
    # Under 2 years the lifetime limit is 10 mg/kg; a patient given by BSA alone has no weight.
    infant = Patient(bsa=Q_(0.4, "m**2"), age=Q_(1, "year"))
    messages = [f.message for f in dosing.check(daunorubicin("15 mg/m**2").expand(infant))]
    assert any(m.startswith("the planned daunorubicin cannot be expressed") for m in messages)


def test_a_table_too_wide_for_80_columns_moves_its_flags_to_notes() -> None:
    man = Patient(
        height=Q_(170, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(50, "year"),
        sex="male",
        serum_creatinine=Q_(2.0, "mg/dL"),  # Cockcroft–Gault 90 × 70 / (72 × 2) = 43.75 mL/min
    )
    policy = Policy(
        renal="fludarabine-fludara-label",
        dose_factors={"*": 0.9},
        rounding={"*": Q_(1, "mg")},
        bsa_cap=Q_(1.5, "m**2"),
    )
    schedule = dosing.get_regimen("flu-arac-mel-ric").expand(
        man, policy=policy, transplant_date="2026-12-10"
    )
    text = str(schedule)
    assert max(len(line) for line in text.splitlines()) <= 80
    # Fludarabine 30 mg/m² × 1.5 m² (capped) × 0.9 × 0.6 (43.75 mL/min) = 24.3 -> 24 mg.
    assert " -7  2026-12-03  fludarabine  24.00 mg  30 mg/m²    [1]" in text.splitlines()
    assert "[1] bsa_capped, reduced, renal_adjusted, rounded" in text.splitlines()
    assert schedule.rows_for("fludarabine")[0].dose.m_as("mg") == 24.0


def test_a_bsa_only_patient_is_shown_as_such_and_its_totals_mapping_has_a_length() -> None:
    schedule = dosing.get_regimen("inotuzumab-cycle-1").expand(Patient(bsa=Q_(1, "m**2")))
    assert schedule.header()[1] == "Patient: BSA only"
    assert len(dosing.get_regimen("inotuzumab-cycle-1").totals) == 1


def test_the_command_line_refuses_an_agent_rounded_twice() -> None:
    import io

    from dosing.cli import args_command, main

    err = io.StringIO()
    argv = ["plan", "flu-arac-mel-ric", "--bsa", "1.2m2", "--round", "melphalan=1mg"]
    assert main([*argv, "--round", "Melphalan=2mg"], out=io.StringIO(), err=err) == 2
    assert (
        err.getvalue() == "dosing: error: --round gives 'melphalan' twice; give each agent once\n"
    )
    assert args_command(["--version"]) == "plan"  # no command: errors are named as for plan


def test_a_day_already_given_cannot_take_another_administration() -> None:
    regimen = regimen_from_mapping(
        {
            "key": "two-days",
            "name": "Two days",
            "frame": "cycle",
            "cycle_length": "21 day",
            "references": ["vincristine-label"],
            "dose": [
                {"agent": "vincristine", "amount": "1 mg/m**2", "days": "1, 3", "window": "2 day"}
            ],
        }
    )
    cycle = regimen.expand(Patient(bsa=Q_(1, "m**2")))
    with pytest.raises(DomainError, match="vincristine is already given on day 3"):
        dosing.reschedule(cycle, "vincristine", day=1, to=3)
    assert [row.day for row in dosing.reschedule(cycle, "vincristine", day=1, to=2)] == [2, 3]


def test_the_command_line_stops_quietly_when_its_reader_goes_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``dosing plan ... | head``: a broken pipe is not an error (stdout is then silenced)."""
    import io
    import os

    from dosing.cli import main

    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    silenced: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "dup2", lambda a, b: silenced.append((a, b)))
    status = main(["plan", "flu-arac-mel-ric", "--bsa", "1.2m2"], out=Gone(), err=io.StringIO())
    assert status == 0
    assert len(silenced) == 1


def test_an_exposure_shows_its_cycles_without_a_note() -> None:
    exposure = dosing.Exposure("melphalan", Q_(140, "mg/m**2"), cycles=2)
    assert repr(exposure) == "Exposure(agent='melphalan', amount=Q_(140, 'mg/m**2'), cycles=2)"


def test_no_value_is_one_object() -> None:
    from dosing.errors import NO_VALUE, _NoValue

    assert _NoValue() is NO_VALUE
    assert repr(NO_VALUE) == "NO_VALUE"
    assert not NO_VALUE


def test_a_built_in_template_names_a_known_agent() -> None:
    data = mapping({"agent": "zzz-unknown", "amount": "1 mg", "days": "1"})
    with pytest.raises(RegimenError, match=r"dose\[0\]\.agent: 'zzz-unknown': a built-in regimen"):
        regimen_from_mapping(data, source="<m>", require_references=True)


def _busulfan(bands: list[dict[str, object]]) -> dict[str, object]:
    return {
        "key": "bu",
        "name": "Busulfan by weight band",
        "frame": "transplant",
        "references": ["busulfex-eu-smpc"],
        "dose": [
            {
                "agent": "busulfan",
                "weight_bands": [*bands, {"from": "9 kg", "amount": "1.2 mg/kg"}],
                "per_day": 4,
                "days": "-9..-6",
            }
        ],
    }


@pytest.mark.parametrize(
    ("bands", "field", "message"),
    [
        ([{"below": "9 kg", "amount": "1.0 mg/kgg"}], r"weight_bands\[0\]\.amount", "not known"),
        ([{"below": "9 kg", "amount": 1.0}], r"weight_bands\[0\]\.amount", "must be a string"),
        ([{"below": "9 kg", "amount": "1.0 mg/cm**2"}], r"weight_bands\[0\]\.amount", ""),
        ([{"below": "-9 kg", "amount": "1.0 mg/kg"}], r"weight_bands\[0\]\.below", "negative"),
    ],
)
def test_a_weight_band_that_cannot_be_read_is_refused_naming_it(
    bands: list[dict[str, object]], field: str, message: str
) -> None:
    with pytest.raises(RegimenError, match=rf"<m>: dose\[0\]\.{field}.*{message}"):
        regimen_from_mapping(_busulfan(bands), source="<m>")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("separate_settings = [1]\n", "separate_settings"),
        ('separate_settings = ["nowhere"]\n', "separate_settings"),
        ("error_above_usual = 1\n", "error_above_usual"),
        ("error_above_usual = true\n", "error_above_usual"),
        ('requires_setting = { "" = "x" }\n', "requires_setting"),
        ("requires_setting = { melphalan = 1 }\n", "requires_setting"),
    ],
)
def test_a_limits_file_with_wrong_settings_is_refused_naming_the_field(
    tmp_path: object, text: str, field: str
) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "limits.toml"
    path.write_text(text)
    with pytest.raises(DomainError, match=rf"limits.toml: {field}: "):
        load_limits(path)


def test_a_banded_cohort_shows_each_band_and_variance_as_a_range() -> None:
    regimen = dosing.load_regimen("tests/data/vincristine-weekly.toml")
    policy = Policy(
        bands={"vincristine": "nhs-1mg-ml-vincristine"},
        products={"vincristine": "vincristine-1mg-ml-2ml"},
    )
    text = " ".join(
        str(regimen.expand(Patient(bsa=Q_([0.95, 1.2], "m**2")), policy=policy)).split()
    )
    # 1.5 mg/m² × 0.95 m² = 1.425 mg -> band 1.4 mg, (1.4 − 1.425) / 1.425 = −1.75%;
    # 1.5 × 1.2 = 1.8 mg -> band 1.8 mg, +0.00%; one 2 mg vial each day, 0.6 and 0.2 mg wasted.
    assert "calculated 1.425–1.800 mg -> band dose 1.400–1.800 mg" in text
    assert "variance -1.75% to +0.00%" in text
    assert "day 1 vincristine 1–1 x 2 mg (waste 0.2000–0.6000 mg)" in text


def test_an_intended_repeat_may_be_one_name() -> None:
    child = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"))
    schedule = dosing.get_regimen("mel-tbi-mac").expand(child)
    prior = [dosing.Exposure("TBI", Q_(12, "Gy"))]
    as_list = dosing.check(schedule, prior=prior, intended_repeats=["total body irradiation"])
    as_name = dosing.check(schedule, prior=prior, intended_repeats="total body irradiation")
    assert as_name == as_list
    assert [(f.severity, f.code) for f in as_name if f.code == "prior_exposure"] == [
        ("warning", "prior_exposure")
    ]


def test_newell_needs_a_weight() -> None:
    from dosing.exposure import carboplatin_clearance

    with pytest.raises(DomainError, match="weight=None is needed by the Newell formula"):
        carboplatin_clearance("newell", 60.0)
    assert carboplatin_clearance("newell", 60.0, 20.0) == pytest.approx(60.0 + 0.36 * 20.0)


def test_a_dosing_weight_for_one_agent_leaves_the_others_on_actual_weight() -> None:
    man = Patient(height=Q_(170, "cm"), weight=Q_(90, "kg"), sex="male", age=Q_(40, "year"))
    policy = Policy(dosing_weight={"cyclophosphamide": DosingWeight("ideal")})
    schedule = dosing.get_regimen("bu-cy4-paediatric-eu").expand(man, policy=policy)
    # Cyclophosphamide 50 mg/kg × Devine IBW 50 + 2.3 × (170 / 2.54 − 60) = 65.937 kg.
    ibw = 50 + 2.3 * (170 / 2.54 - 60)
    assert schedule.rows_for("cyclophosphamide")[0].dose.m_as("mg") == pytest.approx(50 * ibw)
    # Busulfan over 34 kg: 0.8 mg/kg of actual weight, 0.8 × 90 = 72 mg, not on ideal weight.
    assert schedule.rows_for("busulfan")[0].dose.m_as("mg") == pytest.approx(72.0)
    assert "dosing_weight" not in schedule.rows_for("busulfan")[0].flags


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"molar_mass": {}}, "unknown tables"),
        ({"molar_mass": {"x": {"value": "1 g/mol"}}, "target": {}}, "has fields"),
        (
            {"molar_mass": {"x": {"value": "1 mg", "references": [], "quote": ""}}, "target": {}},
            "is not a molar mass",
        ),
        (
            {
                "molar_mass": {"x": {"value": "1 g/mol", "references": [], "quote": ""}},
                "target": {},
            },
            "references must cite known keys",
        ),
        ({"molar_mass": {}, "target": {"carboplatin": {"low": "1 mg*min/mL"}}}, "has fields"),
        (
            {
                "molar_mass": {},
                "target": {
                    "carboplatin": {
                        "low": "8 mg*min/mL",
                        "high": "4 mg*min/mL",
                        "references": ["nccn-carboplatin"],
                        "quote": "",
                        "note": "",
                    }
                },
            },
            "needs 0 < low < high",
        ),
    ],
)
def test_a_packaged_exposure_file_with_a_slip_fails_loudly(
    monkeypatch: pytest.MonkeyPatch, data: dict[str, object], message: str
) -> None:
    import dosing.exposure as exposure

    monkeypatch.setattr(exposure, "load_toml", lambda path: data)
    with pytest.raises(ValueError, match=message):
        exposure._load()
