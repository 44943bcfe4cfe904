"""Mutation testing of the day notation, the template loader and expansion (issue 16, item 4).

Covers the mutants that survived the whole suite in ``dosing.regimens.days``,
``dosing.regimens.loader`` and ``dosing.expand``: every refusal of a template is checked with its
exact field, message and value (a mutant that changes a word, drops an argument or moves an index
is caught), every field a template may give is checked on the line it builds, and each boundary
(a duration that fits between two administrations, a screening bound, a total's tolerance) on both
sides. The expected messages are written out from the formats the loader documents; the numbers
are worked out by hand beside them.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import warnings
from typing import Any

import numpy as np
import pytest

import dosing
from dosing import Q_, RegimenError, UnsourcedDefaultWarning
from dosing.errors import NO_VALUE, DomainError, UnitsError, UnknownKeyError
from dosing.regimens.days import DayNotationError, parse_days
from dosing.regimens.loader import regimen_from_mapping
from dosing.units import parse_quantity
from dosing.vocabulary import canonical_agent, product_of

TOP_FIELDS = (
    "cycle_length, dose, frame, intensity, key, name, note, population, references, response, "
    "setting, totals"
)
DOSE_FIELDS = (
    "acknowledge, agent, amount, cap, days, duration, gfr_formula, min_interval, note, per_day, "
    "product, route, setting, start, target_auc, total, unsourced, weight_bands, window"
)
SETTINGS = "'conditioning', 'gvhd-prophylaxis', 'intrathecal', 'systemic'"

#: A transplant-frame template of one line, as a mapping (methotrexate 10 mg/m² on days 1, 3, 6).
BASE: dict[str, Any] = {
    "key": "t",
    "name": "T",
    "frame": "transplant",
    "references": ["storb1986"],
    "setting": "gvhd-prophylaxis",
    "dose": [{"agent": "methotrexate", "amount": "10 mg/m**2", "days": "1, 3, 6"}],
}
#: A line of an agent the vocabulary does not know: no dose limits screen it.
PLAIN = {"agent": "x", "amount": "1 mg/kg", "days": "1"}


def template(top: dict[str, Any] | None = None, **dose: Any) -> dict[str, Any]:
    """BASE with top-level fields changed (``None`` removes one) and the line's fields changed."""
    data = copy.deepcopy(BASE)
    line = data["dose"][0]
    for name, value in dose.items():
        if value is None:
            line.pop(name, None)
        else:
            line[name] = value
    for name, value in (top or {}).items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def refusal(data: object, **kwargs: Any) -> RegimenError:
    with pytest.raises(RegimenError) as info:
        regimen_from_mapping(data, source="t.toml", **kwargs)  # type: ignore[arg-type]
    return info.value


def load(data: dict[str, Any], **kwargs: Any) -> dosing.Regimen:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return regimen_from_mapping(data, source="t.toml", **kwargs)


def unit_error(text: str) -> str:
    """The unit parser's own message for ``text``, which the loader passes on unchanged."""
    with pytest.raises(UnitsError) as info:
        parse_quantity(text)
    return str(info.value)


# -- the top level: each refusal with its field, message and value -------------------------------


@pytest.mark.parametrize(
    ("top", "field", "reason", "value"),
    [
        (
            {"aaa": 1, "zzz": 2},
            "aaa",
            f"unknown field; the fields are {TOP_FIELDS}",
            NO_VALUE,
        ),
        ({"key": None}, "key", "missing; it is required", NO_VALUE),
        ({"name": None}, "name", "missing; it is required", NO_VALUE),
        ({"key": "  "}, "key", "key='  ' must be a non-empty string", NO_VALUE),
        ({"name": 3}, "name", "name=3 must be a non-empty string", NO_VALUE),
        ({"note": ""}, "note", "note='' must be a non-empty string", NO_VALUE),
        ({"frame": None}, "frame", 'frame=None; write frame = "cycle" or "transplant"', NO_VALUE),
        (
            {"frame": "weekly"},
            "frame",
            'frame=\'weekly\'; write frame = "cycle" or "transplant"',
            NO_VALUE,
        ),
        (
            {"cycle_length": "21 day"},
            "cycle_length",
            "only a cycle-frame regimen has a cycle length; remove it",
            NO_VALUE,
        ),
        (
            {"frame": "cycle"},
            "cycle_length",
            'a cycle-frame regimen needs cycle_length = "21 day"',
            NO_VALUE,
        ),
        (
            {"frame": "cycle", "cycle_length": "0 day"},
            "cycle_length",
            "cycle_length='0 day' must be at least 1 day",
            NO_VALUE,
        ),
        (
            {"frame": "cycle", "cycle_length": "-7 day"},
            "cycle_length",
            "cycle_length='-7 day' must be at least 1 day",
            NO_VALUE,
        ),
        (
            {"frame": "cycle", "cycle_length": "2 mg"},
            "cycle_length",
            "cycle_length='2 mg' must be a duration such as \"21 day\"",
            NO_VALUE,
        ),
        (
            {"frame": "cycle", "cycle_length": "20.5 day"},
            "cycle_length",
            "cycle_length='20.5 day' must be a whole number of days",
            NO_VALUE,
        ),
        (
            {"frame": "cycle", "cycle_length": "801 day"},
            "cycle_length",
            "cycle_length='801 day' is more than 800 days",
            NO_VALUE,
        ),
        (
            {"frame": "cycle", "cycle_length": 21},
            "cycle_length",
            '21 is a bare number; write the unit too, e.g. "21 day"',
            NO_VALUE,
        ),
        (
            {"frame": "cycle", "cycle_length": ["21 day"]},
            "cycle_length",
            "['21 day'] must be a string with a unit, e.g. \"2 g/m**2\"",
            NO_VALUE,
        ),
        (
            {"references": "storb1986"},
            "references",
            "references must be a list of citation keys",
            NO_VALUE,
        ),
        (
            {"references": ["storb1986", 3]},
            "references",
            "references must be a list of citation keys",
            NO_VALUE,
        ),
        (
            {"references": ["storb1986", "nobody2020"]},
            "references[1]",
            "'nobody2020' is not in dosing.references.REFERENCES; known keys include adachi2019, "
            "adamson2019, alkeran-iv-label, alsallami2015, aro-tbi-review, "
            "aronoff-pediatric-cytarabine, ...",
            NO_VALUE,
        ),
        (
            {"setting": "adjuvant"},
            "setting",
            f"setting='adjuvant'; write one of {SETTINGS} (the uses the dose limits know), or "
            "leave it out",
            "adjuvant",
        ),
        (
            {"setting": 3},
            "setting",
            f"setting=3; write one of {SETTINGS} (the uses the dose limits know), or leave it out",
            3,
        ),
        (
            {"intensity": "ric"},
            "intensity",
            "intensity='ric'; write one of 'MAC', 'RIC', 'NMA'",
            "ric",
        ),
        (
            {"response": "CR"},
            "response",
            "response='CR'; write one of 'cr', 'no-cr'",
            "CR",
        ),
        (
            {"population": "adults"},
            "population",
            "population='adults'; write one of 'adult', 'child'",
            "adults",
        ),
        ({"dose": None}, "dose", "a template needs at least one [[dose]] table", NO_VALUE),
        ({"dose": []}, "dose", "a template needs at least one [[dose]] table", NO_VALUE),
        (
            {"dose": {"agent": "x"}},
            "dose",
            "a template needs at least one [[dose]] table",
            NO_VALUE,
        ),
        ({"dose": [PLAIN, "x"]}, "dose[1]", "each [[dose]] must be a table", NO_VALUE),
        ({"totals": 3}, "totals", 'totals must be a table: agent = "amount"', NO_VALUE),
        (
            {"totals": {"cytarabine": "3 g/m**2"}},
            "totals.cytarabine",
            "no [[dose]] gives 'cytarabine'",
            NO_VALUE,
        ),
        (
            {"totals": {"methotrexate": "31 mg/m**2"}},
            "totals.methotrexate",
            "the doses add up to 30 mg/m**2, not the declared 31 mg/m**2",  # 3 days × 10 mg/m²
            NO_VALUE,
        ),
        (
            {"totals": {"methotrexate": "30 mg/kg"}},
            "totals.methotrexate",
            "total='30 mg/kg' is not in the units of the amounts (mg/m²)",
            NO_VALUE,
        ),
        (
            {"totals": {"methotrexate": 30}},
            "totals.methotrexate",
            '30 is a bare number; write the unit too, e.g. "30 mg/m**2"',
            NO_VALUE,
        ),
    ],
)
def test_each_top_level_refusal_names_its_field_and_says_exactly_what(
    top: dict[str, Any], field: str, reason: str, value: object
) -> None:
    error = refusal(template(top))
    assert (error.file, error.field, error.argument) == ("t.toml", field, field)
    assert error.reason == reason
    assert str(error) == f"t.toml: {field}: {reason}"
    assert error.value is value or error.value == value


def test_a_template_that_is_not_a_table_is_refused_without_a_field() -> None:
    error = refusal(["key", "t"])
    assert (error.file, error.field) == ("t.toml", None)
    assert str(error) == "t.toml: a template is a TOML table of fields"


def test_a_unit_the_parser_cannot_read_is_refused_with_the_parsers_message() -> None:
    error = refusal(template({"frame": "cycle", "cycle_length": "21 smoots"}))
    assert error.field == "cycle_length"
    assert error.reason == unit_error("21 smoots")
    error = refusal(template(amount="10 smoots/m**2"))
    assert error.field == "dose[0].amount"
    assert error.reason == unit_error("10 smoots/m**2")


def test_an_unknown_agent_in_totals_is_refused_with_the_vocabularys_reason() -> None:
    with pytest.raises(DomainError) as info:
        canonical_agent("ATG")
    expected = f"{info.value.reason}; {info.value.fix_text}"
    error = refusal(template({"totals": {"ATG": "1 mg/kg"}}))
    assert (error.field, error.reason) == ("totals.ATG", expected)


def test_the_template_size_check_names_the_source() -> None:
    error = refusal(template({"note": "x" * 1_000_000}))
    assert (error.file, error.field) == ("t.toml", "note")
    assert error.reason.startswith("a text of 1000000 characters; at most ")
    with pytest.raises(RegimenError) as info:
        regimen_from_mapping({1: "x"})  # type: ignore[dict-item]
    assert info.value.file == "<mapping>"  # the default source
    assert str(info.value) == "<mapping>: a field name that is not a string (int)"


def test_a_good_template_keeps_every_top_level_field_as_written() -> None:
    regimen = load(
        template(
            {
                "key": " t-1 ",
                "name": " Test regimen ",
                "frame": "cycle",
                "cycle_length": "3 week",  # 21 days
                "references": ["storb1986", "besponsa-label-2024"],
                "note": " a note ",
                "intensity": "RIC",
                "response": "no-cr",
                "population": "child",
                "totals": {"Methotrexate": "30 mg/m**2"},
            }
        )
    )
    assert (regimen.key, regimen.name, regimen.frame) == ("t-1", "Test regimen", "cycle")
    assert regimen.cycle_length == 21
    assert regimen.references == ("storb1986", "besponsa-label-2024")
    assert regimen.note == "a note"
    assert (regimen.intensity, regimen.response, regimen.population) == ("RIC", "no-cr", "child")
    assert dict(regimen.totals) == {"methotrexate": Q_(30, "mg/m**2")}
    assert regimen.source == "t.toml"
    assert regimen.doses[0].regimen == "t-1"
    assert regimen.doses[0].setting == "gvhd-prophylaxis"  # the template's setting
    bare = load(template({"setting": None}, agent="x"))
    assert (bare.note, bare.intensity, bare.response, bare.population) == (None,) * 4
    assert bare.cycle_length is None
    assert dict(bare.totals) == {}
    assert bare.doses[0].setting is None


def test_cycle_lengths_at_their_bounds_are_accepted() -> None:
    one = load(template({"frame": "cycle", "cycle_length": "1 day"}, days="1"))
    assert one.cycle_length == 1
    longest = load(template({"frame": "cycle", "cycle_length": "800 day"}, days="1, 400"))
    assert longest.cycle_length == 800


def test_empty_references_warn_pointing_at_the_caller_and_a_builtin_must_cite() -> None:
    for top in ({"references": []}, {"references": None}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            regimen = regimen_from_mapping(template(top), source="t.toml")
        assert regimen.references == ()
        assert [w.category for w in caught] == [UnsourcedDefaultWarning]
        assert str(caught[0].message) == (
            "t.toml: references is empty; a protocol without a source cannot be checked against it"
        )
    error = refusal(template({"references": []}), require_references=True)
    assert (error.field, error.reason) == ("references", "a built-in regimen must cite its sources")
    assert load(template(), require_references=True).references == ("storb1986",)


@pytest.mark.skipif(
    bool(os.environ.get("DOSING_MUTATION")), reason="mutmut's trampolines add frames"
)
def test_the_empty_references_warning_points_at_the_line_that_read_the_template(
    tmp_path: Any,
) -> None:
    path = tmp_path / "unsourced.toml"
    path.write_text(
        'key = "t"\nname = "T"\nframe = "transplant"\nreferences = []\n'
        '[[dose]]\nagent = "x"\namount = "1 mg/kg"\ndays = "1"\n',
        encoding="utf-8",
    )
    with pytest.warns(UnsourcedDefaultWarning) as record:
        dosing.load_regimen(path)
    with pytest.warns(UnsourcedDefaultWarning) as record_too:
        regimen_from_mapping(template({"references": []}))
    assert [record[0].filename, record_too[0].filename] == [__file__, __file__]


def test_load_regimen_names_the_file_in_every_refusal(tmp_path: Any) -> None:
    with pytest.raises(RegimenError) as info:
        dosing.load_regimen(3)  # type: ignore[arg-type]
    error = info.value
    assert (error.file, error.field, error.value) == ("3", None, 3)
    assert str(error) == "3: give the path of a TOML file, e.g. 'my.toml'"
    bad = tmp_path / "bad.toml"
    bad.write_text("key = ", encoding="utf-8")
    with pytest.raises(RegimenError) as info:
        dosing.load_regimen(bad)
    assert (info.value.file, info.value.field) == (str(bad), None)
    assert info.value.reason.startswith("not valid TOML: ")
    good = tmp_path / "good.toml"
    good.write_text(
        'key = "t"\nname = "T"\nframe = "transplant"\nreferences = ["storb1986"]\n'
        '[[dose]]\nagent = "x"\namount = "1 mg/kg"\ndays = "1"\n',
        encoding="utf-8",
    )
    for path in (good, str(good)):
        assert dosing.load_regimen(path).source == str(good)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('key = "t"\n', encoding="utf-8")
    with pytest.raises(RegimenError) as info:
        dosing.load_regimen(wrong)
    assert (info.value.file, info.value.field) == (str(wrong), "name")


# -- one [[dose]]: each refusal with its field, message and value --------------------------------

#: The first line of a two-line template; the line under test is dose[1].
FIRST = {"agent": "methotrexate", "amount": "10 mg/m**2", "days": "1, 3, 6"}


def second_line(**fields: Any) -> dict[str, Any]:
    """A template whose dose[1] is PLAIN with ``fields`` changed (``None`` removes one)."""
    line = {**PLAIN, **fields}
    return template({"dose": [dict(FIRST), {k: v for k, v in line.items() if v is not None}]})


@pytest.mark.parametrize(
    ("fields", "field", "reason", "value"),
    [
        (
            {"aaa": 1, "zzz": 1},
            "dose[1].aaa",
            f"unknown field; the fields are {DOSE_FIELDS}",
            NO_VALUE,
        ),
        ({"agent": None}, "dose[1].agent", "missing; it is required", NO_VALUE),
        ({"agent": " "}, "dose[1].agent", "agent=' ' must be a non-empty string", NO_VALUE),
        (
            {"agent": "x", "product": "Thymoglobulin"},
            "dose[1].product",
            "'x' is not in the vocabulary (data/agents.toml), so it has no products",
            NO_VALUE,
        ),
        (
            {"agent": "Thymoglobulin", "product": "Grafalon"},
            "dose[1].product",
            "product='Grafalon' disagrees with the agent 'Thymoglobulin' (Thymoglobulin)",
            NO_VALUE,
        ),
        (
            {"agent": "anti-thymocyte globulin (rabbit)"},
            "dose[1].product",
            "missing: anti-thymocyte globulin (rabbit) products are dosed differently "
            "(Thymoglobulin, Grafalon), so a dose line names its product; write e.g. "
            'product = "Thymoglobulin"',
            NO_VALUE,
        ),
        (
            {"amount": "0 mg/kg"},
            "dose[1].amount",
            "amount='0 mg/kg' must be positive",
            NO_VALUE,
        ),
        (
            {"amount": "-1 mg"},
            "dose[1].amount",
            "amount='-1 mg' must be positive",
            NO_VALUE,
        ),
        (
            {"amount": 2},
            "dose[1].amount",
            '2 is a bare number; write the unit too, e.g. "2 mg/m**2"',
            NO_VALUE,
        ),
        (
            {"amount": ["2 mg"]},
            "dose[1].amount",
            "['2 mg'] must be a string with a unit, e.g. \"2 g/m**2\"",
            NO_VALUE,
        ),
        (
            {"amount": "2 m"},
            "dose[1].amount",
            "amount='2 m': m is not a unit of a clinical dose; write µg, mg or g (or IU, kIU, "
            "MIU), per m**2 or per kg, or Gy",
            "2 m",
        ),
        (
            {"amount": "50001 mg/m**2"},
            "dose[1].amount",
            "amount='50001 mg/m**2' is more than 50000 mg/m**2 per administration, the library's "
            "screening bound; check the number and its unit",
            NO_VALUE,
        ),
        (
            {"amount": "2.001 g/kg"},  # 2001 mg/kg
            "dose[1].amount",
            "amount='2.001 g/kg' is more than 2000 mg/kg per administration, the library's "
            "screening bound; check the number and its unit",
            NO_VALUE,
        ),
        (
            {"amount": "30.5 Gy"},
            "dose[1].amount",
            "amount='30.5 Gy' is more than 30 Gy per administration, the library's screening "
            "bound; check the number and its unit",
            NO_VALUE,
        ),
        (
            {"per_day": 0},
            "dose[1].per_day",
            "per_day=0 must be a whole number from 1 to 24",
            NO_VALUE,
        ),
        (
            {"per_day": 25},
            "dose[1].per_day",
            "per_day=25 must be a whole number from 1 to 24",
            NO_VALUE,
        ),
        (
            {"per_day": True},
            "dose[1].per_day",
            "per_day=True must be a whole number from 1 to 24",
            NO_VALUE,
        ),
        (
            {"per_day": 2.0},
            "dose[1].per_day",
            "per_day=2.0 must be a whole number from 1 to 24",
            NO_VALUE,
        ),
        ({"days": None}, "dose[1].days", "missing; it is required", NO_VALUE),
        (
            {"days": "3..1"},
            "dose[1].days",
            "descending range '3..1'; write '1..3'",
            "3..1",
        ),
        (
            {"days": [1, 1]},
            "dose[1].days",
            "day 1 is listed twice in [1, 1]; for several administrations on one day use per_day",
            [1, 1],
        ),
        (
            {"cap": "2 mg/m**2"},
            "dose[1].cap",
            "cap='2 mg/m**2' must be a flat amount per administration in the dose's units (mg), "
            'e.g. "2 mg"',
            NO_VALUE,
        ),
        (
            {"cap": "2 IU"},
            "dose[1].cap",
            "cap='2 IU' must be a flat amount per administration in the dose's units (mg), "
            'e.g. "2 mg"',
            NO_VALUE,
        ),
        (
            {"cap": "2 kg"},
            "dose[1].cap",
            "cap='2 kg' must be a flat amount per administration in the dose's units (mg), "
            'e.g. "2 mg"',
            NO_VALUE,
        ),
        (
            {"amount": "2 Gy", "cap": "2 Gy"},
            "dose[1].cap",
            "cap='2 Gy' must be a flat amount per administration in the dose's units (Gy), "
            'e.g. "2 mg"',
            NO_VALUE,
        ),
        ({"cap": "0 mg"}, "dose[1].cap", "cap='0 mg' must be positive", NO_VALUE),
        ({"cap": "-2 mg"}, "dose[1].cap", "cap='-2 mg' must be positive", NO_VALUE),
        (
            {"cap": 2},
            "dose[1].cap",
            '2 is a bare number; write the unit too, e.g. "2 mg/m**2"',
            NO_VALUE,
        ),
        ({"route": 3}, "dose[1].route", "route=3 must be a non-empty string", NO_VALUE),
        ({"note": ""}, "dose[1].note", "note='' must be a non-empty string", NO_VALUE),
        (
            {"acknowledge": " "},
            "dose[1].acknowledge",
            "acknowledge=' ' must be a non-empty string",
            NO_VALUE,
        ),
        (
            {"unsourced": "days"},
            "dose[1].unsourced",
            "unsourced must be a list of non-empty strings",
            NO_VALUE,
        ),
        (
            {"unsourced": ["days", " "]},
            "dose[1].unsourced",
            "unsourced must be a list of non-empty strings",
            NO_VALUE,
        ),
        (
            {"unsourced": ["days", 3]},
            "dose[1].unsourced",
            "unsourced must be a list of non-empty strings",
            NO_VALUE,
        ),
        ({"window": "-1 day"}, "dose[1].window", "window must not be negative", NO_VALUE),
        (
            {"window": "1.5 day"},
            "dose[1].window",
            "dose[1].window='1.5 day' must be a whole number of days",
            NO_VALUE,
        ),
        (
            {"window": "801 day"},
            "dose[1].window",
            "dose[1].window='801 day' is more than 800 days",
            NO_VALUE,
        ),
        (
            {"window": "-801 day"},
            "dose[1].window",
            "dose[1].window='-801 day' is more than 800 days",
            NO_VALUE,
        ),
        (
            {"window": 2},
            "dose[1].window",
            '2 is a bare number; write the unit too, e.g. "2 day"',
            NO_VALUE,
        ),
        (
            {"min_interval": "0 day"},
            "dose[1].min_interval",
            "min_interval must be at least 1 day",
            NO_VALUE,
        ),
        (
            {"min_interval": "2 hour"},
            "dose[1].min_interval",
            "dose[1].min_interval='2 hour' must be a whole number of days",
            NO_VALUE,
        ),
        (
            {"min_interval": "2 mg"},
            "dose[1].min_interval",
            "dose[1].min_interval='2 mg' must be a duration such as \"21 day\"",
            NO_VALUE,
        ),
        (
            {"setting": "adjuvant"},
            "dose[1].setting",
            f"setting='adjuvant'; write one of {SETTINGS} (the uses the dose limits know), or "
            "leave it out",
            "adjuvant",
        ),
        (
            {"duration": "2 mg"},
            "dose[1].duration",
            "duration='2 mg' must be a time, e.g. \"2 hour\"",
            NO_VALUE,
        ),
        (
            {"duration": 2},
            "dose[1].duration",
            '2 is a bare number; write the unit too, e.g. "2 hour"',
            NO_VALUE,
        ),
        (
            {"duration": "0 hour"},
            "dose[1].duration",
            "duration='0 hour' must be positive and fit between two administrations of the day",
            NO_VALUE,
        ),
        (
            {"duration": "24.5 hour"},
            "dose[1].duration",
            "duration='24.5 hour' must be positive and fit between two administrations of the day",
            NO_VALUE,
        ),
        (
            {"duration": "6.5 hour", "per_day": 4},  # 24 / 4 = 6 hours between administrations
            "dose[1].duration",
            "duration='6.5 hour' must be positive and fit between two administrations of the day",
            NO_VALUE,
        ),
        (
            {"start": "1 mg"},
            "dose[1].start",
            "start='1 mg' must be a time, e.g. \"1 hour\"",
            NO_VALUE,
        ),
        (
            {"start": 1},
            "dose[1].start",
            '1 is a bare number; write the unit too, e.g. "1 hour"',
            NO_VALUE,
        ),
        (
            {"start": "-1 hour"},
            "dose[1].start",
            "start='-1 hour' must be at least 0 and before the day's next administration",
            NO_VALUE,
        ),
        (
            {"start": "24 hour"},
            "dose[1].start",
            "start='24 hour' must be at least 0 and before the day's next administration",
            NO_VALUE,
        ),
        (
            {"start": "6 hour", "per_day": 4},  # the next administration is 6 hours later
            "dose[1].start",
            "start='6 hour' must be at least 0 and before the day's next administration",
            NO_VALUE,
        ),
        (
            {"days": "1, 2", "total": "3 mg/kg"},
            "dose[1].total",
            "the doses add up to 2 mg/kg, not the declared 3 mg/kg",  # 2 days × 1 mg/kg
            NO_VALUE,
        ),
        (
            {"days": "1, 2", "total": "2 mg"},
            "dose[1].total",
            "total='2 mg' is not in the units of the amounts (mg/kg)",
            NO_VALUE,
        ),
        (
            {"days": "1, 2", "total": "2 mg/m**2"},
            "dose[1].total",
            "total='2 mg/m**2' is not in the units of the amounts (mg/kg)",
            NO_VALUE,
        ),
        (
            {"days": "1, 2", "total": "2 IU/kg"},  # per kg too, but activity, not mass
            "dose[1].total",
            "total='2 IU/kg' is not in the units of the amounts (mg/kg)",
            NO_VALUE,
        ),
        (
            {"days": "1, 2", "total": "2 ppm"},  # 2 mg/kg is 2 parts per million, but not per kg
            "dose[1].total",
            "total='2 ppm' is not in the units of the amounts (mg/kg)",
            NO_VALUE,
        ),
        (
            {"days": "1, 2", "total": 2},
            "dose[1].total",
            '2 is a bare number; write the unit too, e.g. "2 mg/m**2"',
            NO_VALUE,
        ),
    ],
)
def test_each_line_refusal_names_its_field_and_says_exactly_what(
    fields: dict[str, Any], field: str, reason: str, value: object
) -> None:
    error = refusal(second_line(**fields))
    assert (error.file, error.field, error.argument) == ("t.toml", field, field)
    assert error.reason == reason
    assert str(error) == f"t.toml: {field}: {reason}"
    assert error.value is value or error.value == value


def test_a_product_the_agent_does_not_have_is_refused_with_the_vocabularys_message() -> None:
    with pytest.raises(UnknownKeyError) as info:
        product_of("anti-thymocyte globulin (rabbit)", "Atgam")
    error = refusal(second_line(agent="anti-thymocyte globulin (rabbit)", product="Atgam"))
    assert (error.field, error.reason, error.value) == (
        "dose[1].product",
        str(info.value),
        "Atgam",
    )


def test_an_ambiguous_agent_is_refused_with_the_vocabularys_reason_and_fix() -> None:
    with pytest.raises(DomainError) as info:
        canonical_agent("ATG")
    error = refusal(second_line(agent="ATG"))
    assert (error.field, error.reason) == (
        "dose[1].agent",
        f"'ATG' {info.value.reason}; {info.value.fix_text}",
    )


def test_a_builtin_template_names_only_known_agents() -> None:
    error = refusal(second_line(agent="x"), require_references=True)
    assert (error.field, error.reason) == (
        "dose[1].agent",
        "'x': a built-in regimen names a known agent",
    )


def test_a_day_notation_refusal_is_the_notations_own_message() -> None:
    for days in ("1..a", "401", [1.5], ""):
        with pytest.raises(DayNotationError) as info:
            parse_days(days)
        error = refusal(second_line(days=days))
        assert (error.field, error.reason, error.value) == ("dose[1].days", str(info.value), days)


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        ("2, 0", "a cycle has no day 0; cycle days start at day 1"),
        ("2, -3, -1", "day -3 is before cycle day 1"),  # the first one written
        ("1, 23, 22", "day 23 is after the end of the 21-day cycle"),
    ],
)
def test_a_cycle_day_outside_the_cycle_is_refused_naming_the_first(days: str, reason: str) -> None:
    data = second_line(days=days)
    data.update(frame="cycle", cycle_length="21 day")
    data["dose"][0]["days"] = "1"
    error = refusal(data)
    assert (error.field, error.reason) == ("dose[1].days", reason)


# -- one [[dose]]: what a good line keeps -------------------------------------------------------


def test_a_line_keeps_every_field_as_written() -> None:
    regimen = load(
        second_line(
            agent="Thymoglobulin",
            amount="2.5 mg/kg",
            days="-3..-1",
            per_day=2,
            route=" IV ",
            note=" over 6 hours ",
            cap="0.2 g",  # 200 mg
            unsourced=[" the split ", "days"],
            window="1 day",
            min_interval="1 day",
            product="Thymoglobulin",
            setting="conditioning",
            acknowledge=" as the centre gives it ",
            duration="12 hour",  # 24 / 2 administrations: fits exactly
            start="11.5 hour",  # before the next administration at 12 hours
        )
    )
    first, line = regimen.doses
    assert (first.order, line.order) == (0, 1)
    assert line.agent == "anti-thymocyte globulin (rabbit)"
    assert (line.product, line.known) == ("Thymoglobulin", True)
    assert line.prescribed == Q_(2.5, "mg/kg")
    assert (line.kind, line.amount_value) == ("weight", 2.5)
    assert (f"{line.amount_unit:~C}", f"{line.dose_unit:~C}") == ("mg/kg", "mg")
    assert (line.days, line.per_day) == ((-3, -2, -1), 2)
    assert (line.route, line.note, line.acknowledge) == (
        "IV",
        "over 6 hours",
        "as the centre gives it",
    )
    assert line.cap == Q_(0.2, "g")
    assert line.cap_value == pytest.approx(200.0, rel=1e-12)
    assert line.unsourced == ("the split", "days")
    assert (line.window, line.min_interval) == (1, 1)
    assert (line.regimen, line.setting) == ("t", "conditioning")
    assert line.duration == Q_(12, "hour")
    assert line.start == Q_(11.5, "hour")
    assert line.rule is None


def test_a_line_without_its_optional_fields_has_their_defaults() -> None:
    line = load(second_line()).doses[1]
    assert (line.agent, line.product, line.known) == ("x", None, False)
    assert (line.per_day, line.route, line.note, line.acknowledge) == (1, None, None, None)
    assert (line.cap, line.cap_value, line.unsourced) == (None, None, ())
    assert (line.window, line.min_interval) == (0, None)
    assert (line.duration, line.start, line.total) == (None, None, None)
    assert line.setting == "gvhd-prophylaxis"  # from the template


def test_the_bounds_of_a_line_are_accepted_where_they_are_inclusive() -> None:
    # per_day from 1 to 24; a window of 0 days; a duration of a whole day at once a day; a
    # start at the day's clock origin; each screening bound exactly.
    assert load(second_line(per_day=24)).doses[1].per_day == 24
    assert load(second_line(window="0 day")).doses[1].window == 0
    assert load(second_line(window="800 day")).doses[1].window == 800
    assert load(second_line(min_interval="800 day")).doses[1].min_interval == 800
    assert load(second_line(duration="24 hour")).doses[1].duration == Q_(24, "hour")
    assert load(second_line(duration="1 day")).doses[1].duration == Q_(1, "day")
    assert load(second_line(duration="6 hour", per_day=4)).doses[1].duration == Q_(6, "hour")
    assert load(second_line(start="0 hour")).doses[1].start == Q_(0, "hour")
    assert load(second_line(start="5.5 hour", per_day=4)).doses[1].start == Q_(5.5, "hour")
    assert load(second_line(start="23 hour")).doses[1].start == Q_(23, "hour")
    for amount, value in (
        ("50000 mg/m**2", 50_000.0),
        ("2000 mg/kg", 2_000.0),
        ("100 g", 100_000.0),
        ("10 MIU/m**2", 1e7),
        ("10 MIU/kg", 1e7),
        ("1000 MIU", 1e9),
        ("30 Gy", 30.0),
    ):
        assert load(second_line(amount=amount)).doses[1].amount_value == pytest.approx(
            value, rel=1e-12
        )


@pytest.mark.parametrize(
    ("amount", "bound"),
    [
        ("100.001 g", "100000 mg"),
        ("10.001 MIU/m**2", "1e+07 IU/m**2"),
        ("10.001 MIU/kg", "1e+07 IU/kg"),
        ("1000.001 MIU", "1e+09 IU"),
    ],
)
def test_each_screening_bound_refuses_just_above_it(amount: str, bound: str) -> None:
    error = refusal(second_line(amount=amount))
    assert (error.field, error.reason) == (
        "dose[1].amount",
        f"amount={amount!r} is more than {bound} per administration, the library's screening "
        "bound; check the number and its unit",
    )


def test_a_declared_total_is_checked_to_one_part_in_a_billion() -> None:
    # 1 mg/kg on days 1, 2 and 3: 3 mg/kg, declared per line and per agent.
    base = {"days": "1..3"}
    line = load(second_line(**base, total="3 mg/kg")).doses[1]
    assert line.total == Q_(3, "mg/kg")
    assert line.course_total == Q_(3, "mg/kg")
    load(second_line(**base, total="3.0000000015 mg/kg"))  # 5e-10 off: within 1e-9
    load(second_line(**base, total="3000 µg/kg"))  # the same total in other units
    for total, shown in (("3.000000006 mg/kg", "3.000000006 mg/kg"), ("3.5 mg/kg", "3.5 mg/kg")):
        error = refusal(second_line(**base, total=total))
        assert error.reason == f"the doses add up to 3 mg/kg, not the declared {shown}"
    # A small total off by less than 1 in absolute terms is still refused (no absolute tolerance).
    error = refusal(second_line(days="1", amount="0.01 mg/kg", total="0.5 mg/kg"))
    assert error.reason == "the doses add up to 0.01 mg/kg, not the declared 0.5 mg/kg"
    data = second_line(**base)
    data["totals"] = {"x": "3000 µg/kg"}
    assert dict(load(data).totals) == {"x": Q_(3000, "µg/kg")}
    data["totals"] = {"x": "3 mg"}
    error = refusal(data)
    assert (error.field, error.reason) == (
        "totals.x",
        "total='3 mg' is not in the units of the amounts (mg/kg)",
    )


def test_one_agent_dosed_two_ways_is_refused_naming_the_later_line() -> None:
    data = template(
        {
            "dose": [
                dict(FIRST),
                {"agent": "x", "amount": "1 mg/kg", "days": "1"},
                {"agent": "x", "amount": "1 mg/m**2", "days": "11"},
            ]
        }
    )
    error = refusal(data)
    assert (error.field, error.reason) == (
        "dose[2].amount",
        "x is dosed by weight (mg/kg) in an earlier line and by bsa (mg/m**2) here; one agent "
        "needs one kind of amount",
    )
    # the same kind in other units of the same dose unit is one kind: mg/kg and g/kg
    data["dose"][2]["amount"] = "0.01 g/kg"
    assert load(data).doses[2].amount_value == pytest.approx(10.0, rel=1e-12)
    # by mass and by activity, both per kg: one kind, two dose units
    data["dose"][2]["amount"] = "1000 IU/kg"
    error = refusal(data)
    assert (error.field, error.reason) == (
        "dose[2].amount",
        "x is dosed by weight (mg/kg) in an earlier line and by weight (IU/kg) here; one agent "
        "needs one kind of amount",
    )


def test_one_agent_twice_on_one_day_is_refused_naming_both_lines() -> None:
    data = template(
        {
            "dose": [
                dict(FIRST),
                {"agent": "x", "amount": "1 mg/kg", "days": "1..3"},
                {"agent": "x", "amount": "1 mg/kg", "days": "4, 3"},
            ]
        }
    )
    error = refusal(data)
    assert (error.field, error.reason) == (
        "dose[2].days",
        "x is already given on day 3 by dose[1]; for several administrations on one day use "
        "per_day",
    )
    data["dose"][2]["days"] = "4, 5"
    assert [line.days for line in load(data).doses] == [(1, 3, 6), (1, 2, 3), (4, 5)]


# -- lines by weight band and by target AUC ------------------------------------------------------

BANDS = [
    {"below": "10 kg", "amount": "1 mg/kg"},
    {"from": "10 kg", "amount": "0.8 mg/kg"},
]


def test_a_band_over_the_screening_bound_is_refused_naming_the_band() -> None:
    bands = [{"below": "10 kg", "amount": "1 mg/kg"}, {"from": "10 kg", "amount": "2001 mg/kg"}]
    error = refusal(second_line(amount=None, weight_bands=bands))
    assert (error.field, error.reason) == (
        "dose[1].weight_bands[1].amount",
        "2001 mg/kg is more than 2000 mg/kg per administration, the library's screening bound; "
        "check the number and its unit",
    )
    bands[1]["amount"] = "2000 mg/kg"  # exactly the bound
    line = load(second_line(amount=None, weight_bands=bands)).doses[1]
    assert line.kind == "band"


def test_a_line_by_weight_band_declares_no_total_and_has_none_in_totals() -> None:
    error = refusal(second_line(amount=None, weight_bands=BANDS, total="1 mg/kg"))
    assert (error.field, error.reason) == (
        "dose[1].total",
        "a line by weight band has no declared total: it depends on the patient's band",
    )
    data = second_line(amount=None, weight_bands=BANDS)
    data["totals"] = {"x": "1 mg/kg"}
    error = refusal(data)
    assert (error.field, error.reason) == (
        "totals.x",
        "x is dosed by weight band: its total depends on it",
    )


def test_bands_of_a_known_agent_are_screened_unless_acknowledged() -> None:
    # Busulfan IV is given at most about 1.2 mg/kg every 6 hours; 12 mg/kg (mg for a tenth
    # forgotten) is refused for the band that gives it, and passes with an acknowledgement.
    bands = [{"below": "10 kg", "amount": "1 mg/kg"}, {"from": "10 kg", "amount": "12 mg/kg"}]
    fields = {"agent": "busulfan", "amount": None, "weight_bands": bands, "per_day": 4}
    fields["setting"] = "conditioning"
    error = refusal(second_line(**fields))
    assert error.field == "dose[1].weight_bands[1].amount"
    assert error.reason.startswith("band 10 kg and over: busulfan 12 mg/kg ")
    acknowledged = load(second_line(**fields, acknowledge="a test of the screen"))
    assert acknowledged.doses[1].acknowledge == "a test of the screen"


def test_a_line_by_target_auc_is_not_screened_as_an_amount() -> None:
    line = load(
        second_line(
            agent="carboplatin", amount=None, target_auc="5 mg*min/mL", gfr_formula="calvert"
        )
    ).doses[1]
    assert line.kind == "auc"
    assert line.agent == "carboplatin"


# -- expansion: its refusals, each part of the error ----------------------------------------------

RIC = dosing.get_regimen("flu-arac-mel-ric")  # transplant days -7..-2
INO = dosing.get_regimen("inotuzumab-cycle-1")  # cycle days 1, 8 and 15 of 21
CHILD = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))


def expand_error(regimen: dosing.Regimen, patient: object, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        regimen.expand(patient, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_expand_refuses_what_is_not_a_patient_with_every_part_of_the_error() -> None:
    given = {"height": 150}
    error = expand_error(RIC, given)
    assert str(error) == (
        "patient={'height': 150} must be a dosing.Patient, e.g. Patient(height=Q_(150, 'cm'), "
        "weight=Q_(40, 'kg'))"
    )
    assert (error.reason, error.argument, error.value, error.shown) == (
        "must be a dosing.Patient",
        "patient",
        given,
        "{'height': 150}",
    )
    assert error.fix_text == 'write Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))'


def test_expand_refuses_what_is_not_a_policy_and_a_bsa_method_that_disagrees() -> None:
    given = {"bsa_cap": 2}
    error = expand_error(RIC, CHILD, policy=given)
    assert str(error) == "policy={'bsa_cap': 2} must be a dosing.Policy"
    assert (error.argument, error.value, error.shown) == ("policy", given, "{'bsa_cap': 2}")
    error = expand_error(
        RIC, CHILD, policy=dosing.Policy(bsa_method="dubois"), bsa_method="haycock"
    )
    assert str(error) == (
        "bsa_method='haycock' disagrees with policy.bsa_method='dubois'; give one of them"
    )
    assert (error.argument, error.value, error.shown, error.fix) == (
        "bsa_method",
        "haycock",
        "'haycock'",
        "give one of them",
    )


def test_a_bsa_method_given_alone_or_with_an_agreeing_policy_is_used() -> None:
    # Du Bois, 150 cm and 40 kg: 0.007184 × 40^0.425 × 150^0.725; inotuzumab 0.8 mg/m² on day 1.
    area = 0.007184 * 40**0.425 * 150**0.725
    for kwargs in (
        {"bsa_method": "dubois"},
        {"bsa_method": "dubois", "policy": dosing.Policy(bsa_method="dubois")},
        {"policy": dosing.Policy(bsa_method="dubois")},
    ):
        schedule = INO.expand(CHILD, **kwargs)  # type: ignore[arg-type]
        assert schedule[0].dose.m_as("mg") == pytest.approx(0.8 * area, rel=1e-12)
        assert schedule.bsa.value == pytest.approx(area, rel=1e-12)
        assert schedule.policy.bsa_method == "dubois"


@pytest.mark.parametrize(
    ("regimen", "kwargs", "argument", "message"),
    [
        (
            RIC,
            {"cycle_start": "2026-01-01"},
            "cycle_start",
            "cycle_start='2026-01-01': 'flu-arac-mel-ric' counts transplant days (day 0 = graft "
            "infusion); give transplant_date= instead",
        ),
        (
            INO,
            {"transplant_date": "2026-01-01"},
            "transplant_date",
            "transplant_date='2026-01-01': 'inotuzumab-cycle-1' counts cycle days (day 1 = first "
            "day of the cycle); give cycle_start= instead",
        ),
        (
            RIC,
            {"transplant_date": dt.datetime(2026, 1, 1, 8, 0)},
            "transplant_date",
            "transplant_date=datetime.datetime(2026, 1, 1, 8, 0) must be a date, not a date and "
            "time",
        ),
        (
            INO,
            {"cycle_start": dt.datetime(2026, 1, 1, 8, 0)},
            "cycle_start",
            "cycle_start=datetime.datetime(2026, 1, 1, 8, 0) must be a date, not a date and time",
        ),
        (
            RIC,
            {"transplant_date": "10/12/2026"},
            "transplant_date",
            "transplant_date='10/12/2026' must be a date, e.g. datetime.date(2026, 12, 10)",
        ),
        (
            INO,
            {"cycle_start": 20261210},
            "cycle_start",
            "cycle_start=20261210 must be a date, e.g. datetime.date(2026, 12, 10)",
        ),
        (
            RIC,  # day -7 of a transplant on 3 January of year 1
            {"transplant_date": dt.date(1, 1, 3)},
            "transplant_date",
            "transplant_date=0001-01-03 puts day -7 of 'flu-arac-mel-ric' outside the calendar "
            "(years 1 to 9999); give the date the regimen starts from",
        ),
        (
            RIC,  # every day of a transplant on 1 January of year 1: the first is named
            {"transplant_date": dt.date(1, 1, 1)},
            "transplant_date",
            "transplant_date=0001-01-01 puts day -7 of 'flu-arac-mel-ric' outside the calendar "
            "(years 1 to 9999); give the date the regimen starts from",
        ),
        (
            INO,  # day 15 is 14 days after cycle day 1 on 20 December 9999
            {"cycle_start": dt.date(9999, 12, 20)},
            "cycle_start",
            "cycle_start=9999-12-20 puts day 15 of 'inotuzumab-cycle-1' outside the calendar "
            "(years 1 to 9999); give the date the regimen starts from",
        ),
    ],
)
def test_an_anchor_date_is_refused_naming_its_argument(
    regimen: dosing.Regimen, kwargs: dict[str, Any], argument: str, message: str
) -> None:
    error = expand_error(regimen, CHILD, **kwargs)
    assert str(error) == message
    assert error.argument == argument
    assert error.value == next(iter(kwargs.values()))


def test_anchor_dates_at_the_ends_of_the_calendar_are_accepted() -> None:
    # The last day of each line on the last date there is, and the first on the first.
    ino = INO.expand(CHILD, cycle_start=dt.date(9999, 12, 17))  # day 15 on 31 December 9999
    assert [row.date for row in ino] == [
        dt.date(9999, 12, 17),
        dt.date(9999, 12, 24),
        dt.date(9999, 12, 31),
    ]
    ric = RIC.expand(CHILD, transplant_date=dt.date(1, 1, 8))  # day -7 on 1 January of year 1
    assert ric[0].date == dt.date(1, 1, 1)
    assert RIC.expand(CHILD, transplant_date="0001-01-08")[0].date == dt.date(1, 1, 1)
    assert INO.expand(CHILD, cycle_start="2026-12-10")[2].date == dt.date(2026, 12, 24)
    assert all(row.date is None for row in INO.expand(CHILD))


# -- expansion: the warnings a schedule carries ---------------------------------------------------


def test_a_policy_naming_agents_the_regimen_does_not_give_warns_at_the_callers_line() -> None:
    # A BMI of 140 / 1.5² = 62.2 kg/m² warns when the patient is made, and the schedule keeps
    # that warning first, then the ones of the expansion.
    with pytest.warns(dosing.ImplausibleInputWarning):
        heavy = dosing.Patient(height=Q_(150, "cm"), weight=Q_(140, "kg"))
    policy = dosing.Policy(dose_factors={"vincristine": 0.8, "busulfan": 0.5, "melphalan": 0.8})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schedule = RIC.expand(heavy, policy=policy)
    assert [w.category for w in caught] == [dosing.UnusedPolicyWarning]
    text = (
        "the policy's dose_factors['busulfan'], dose_factors['vincristine'] names 'busulfan', "
        "'vincristine', which 'flu-arac-mel-ric' does not give (agents: fludarabine, cytarabine, "
        "melphalan); check the spelling"
    )
    assert str(caught[0].message) == text
    assert caught[0].message.regimen == "flu-arac-mel-ric"  # type: ignore[union-attr]
    assert [type(w) for w in schedule.warnings] == [
        dosing.ImplausibleInputWarning,
        dosing.UnusedPolicyWarning,
    ]
    assert schedule.warnings[0] is heavy.warnings[0]
    assert str(schedule.warnings[1]) == text


def test_a_policy_naming_only_the_regimens_agents_and_no_policy_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        used = RIC.expand(CHILD, policy=dosing.Policy(dose_factors={"melphalan": 0.8}))
        plain = RIC.expand(CHILD)
    assert used.warnings == () and plain.warnings == ()
    # melphalan 140 mg/m² on days -3 and -2 in this template is reduced to 80%: 112 mg/m².
    melphalan = [row for row in used if row.agent == "melphalan"]
    assert [row.dose.m_as("mg") / used.bsa.value for row in melphalan] == pytest.approx(
        [0.8 * line.amount_value for line in RIC.doses if line.agent == "melphalan"] * 2
    )


def test_the_row_orders_kept_for_regimens_are_bounded() -> None:
    # Each regimen's row order is worked out once and kept, for at most 256 regimens at a time:
    # expanding 300 regimens made on the fly does not keep 300.
    import importlib

    engine = importlib.import_module("dosing.expand")
    for index in range(300):
        regimen = regimen_from_mapping(template({"key": f"t{index}"}, agent="x", days="2, 1"))
        schedule = regimen.expand(CHILD)
        assert [row.day for row in schedule] == [1, 2]  # sorted by day, not as written
        assert len(engine._ROW_ORDER) <= 256
    assert engine._ROW_ORDER[id(regimen)][0] is regimen  # the last one is kept


def test_the_calculated_dose_is_the_one_before_rounding_for_one_patient_and_a_cohort() -> None:
    # Inotuzumab 0.8 mg/m² on day 1. BSA 1.25 m²: 1.0 mg calculated; 1.3 m²: 1.04 mg, given as
    # 1.0 mg on a 0.1 mg grid; 1.5 m²: 1.2 mg (already on the grid).
    rounding = dosing.Policy(rounding={"*": Q_(0.1, "mg")})
    one = INO.expand(dosing.Patient(bsa=Q_(1.3, "m**2")), policy=rounding)[0]
    assert one.calculated.m_as("mg") == pytest.approx(0.8 * 1.3, rel=1e-12)
    assert one.dose.m_as("mg") == pytest.approx(1.0, rel=1e-12)
    cohort = dosing.Patient(bsa=Q_([1.25, 1.3, 1.5], "m**2"))
    row = INO.expand(cohort, policy=rounding)[0]
    np.testing.assert_allclose(row.calculated.m_as("mg"), [1.0, 1.04, 1.2], rtol=1e-12)
    np.testing.assert_allclose(row.dose.m_as("mg"), [1.0, 1.0, 1.2], rtol=1e-12)
    unrounded = INO.expand(cohort)[0]
    np.testing.assert_allclose(unrounded.calculated.m_as("mg"), [1.0, 1.04, 1.2], rtol=1e-12)
    np.testing.assert_allclose(unrounded.dose.m_as("mg"), [1.0, 1.04, 1.2], rtol=1e-12)


def test_a_flat_dose_is_the_same_for_every_patient_of_a_cohort_eager_or_lazy() -> None:
    # 5 mg of x on days 1 and 2, and 2 Gy of radiation on day 1, whatever the size.
    flat = load(second_line(amount="5 mg", days="1, 2"))
    radiation = load(second_line(amount="2 Gy", days="1"))
    one = flat.expand(CHILD)
    assert [row.dose.m_as("mg") for row in one if row.agent == "x"] == [5.0, 5.0]
    assert [row.basis.kind for row in one if row.agent == "x"] == ["flat", "flat"]
    assert [row.basis.kind for row in radiation.expand(CHILD) if row.agent == "x"] == ["radiation"]
    heights, weights = np.array([150.0, 160.0, 170.0]), np.array([40.0, 50.0, 60.0])
    cohort = dosing.Patient(height=Q_(heights, "cm"), weight=Q_(weights, "kg"))
    rows = [row for row in flat.expand(cohort) if row.agent == "x"]
    np.testing.assert_array_equal(rows[0].dose.m_as("mg"), [5.0, 5.0, 5.0])
    da = pytest.importorskip("dask.array")
    lazy = dosing.Patient(
        height=Q_(da.from_array(heights, chunks=2), "cm"),
        weight=Q_(da.from_array(weights, chunks=2), "kg"),
    )
    row = next(row for row in flat.expand(lazy) if row.agent == "x")
    assert row.dose.m.chunks == ((2, 1),)  # chunked like the patients
    np.testing.assert_array_equal(row.dose.m.compute(), [5.0, 5.0, 5.0])
    # The patients' deferred checks travel with the dose that does not read their size.
    bad = dosing.Patient(
        height=Q_(da.from_array(np.array([150.0, 19.0, 170.0]), chunks=2), "cm"),
        weight=Q_(da.from_array(weights, chunks=2), "kg"),
    )
    row = next(row for row in flat.expand(bad) if row.agent == "x")
    with pytest.raises(DomainError) as info:
        row.dose.m.compute()
    assert info.value.argument == "height[1]"
    rounded = dosing.Policy(rounding={"*": Q_(1, "mg")})
    row = next(row for row in flat.expand(bad, policy=rounded) if row.agent == "x")
    for magnitude in (row.calculated.m, row.dose.m):  # before and after the rounding step
        with pytest.raises(DomainError) as info:
            magnitude.compute()
        assert info.value.argument == "height[1]"


def test_a_known_agents_line_and_course_are_screened_by_its_dose_limits() -> None:
    # Methotrexate is dosed from 5 mg/m² to grams per m²: a line must say its setting.
    error = refusal(template({"setting": None}))
    assert error.field == "dose[0].setting"
    assert error.reason.startswith("missing: methotrexate is dosed from 5 mg/m² ")
    # Melphalan 100 mg/m² on days -3 and -2, then 100 mg/m² on day -1 in a second line:
    # 300 mg/m² in the course, over the labels' hard limit of 200 mg/m² (checked across lines).
    course = template(
        {
            "setting": "conditioning",
            "dose": [
                {"agent": "melphalan", "amount": "100 mg/m**2", "days": "-3, -2"},
                {"agent": "melphalan", "amount": "100 mg/m**2", "days": "-1"},
            ],
        }
    )
    error = refusal(course)
    assert error.field == "dose[0].amount"
    assert error.reason.startswith(
        "melphalan totals 300 mg/m² per course in this template, over its hard limit of "
        "200 mg/m² per course"
    )
