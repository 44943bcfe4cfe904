"""Mutation tests of ``dosing.regimens.read_lines`` (issue 16): every refusal of a dose line's
amount, target AUC or weight-band table, read in full (file, field and message).

The messages are written here by hand from what each refusal says it is for; mutmut's
survivors of this module were refusals whose field or text could change unnoticed, since the
other tests matched only part of the message.
"""

from __future__ import annotations

from typing import Any

import pytest

from dosing import RegimenError
from dosing.regimens.loader import regimen_from_mapping
from tests.test_exposure_lines import BANDS, bands, carbo

FORMULAS = "'calvert', 'newell'"


def _table(index: int, **change: Any) -> list[dict[str, Any]]:
    """The busulfan label's table with band ``index`` changed (a value of None drops a field)."""
    table = [dict(band) for band in BANDS]
    table[index].update(change)
    table[index] = {key: value for key, value in table[index].items() if value is not None}
    return table


WB = "bu.toml: dose[0].weight_bands"

BAND_CASES = [
    ("x", f"{WB}: weight_bands is a list of at least two bands, lightest first"),
    ([BANDS[0]], f"{WB}: weight_bands is a list of at least two bands, lightest first"),
    (
        [BANDS[0], "band", *BANDS[2:]],
        f'{WB}[1]: each band is a table, e.g. {{ below = "9 kg", amount = "1 mg/kg" }}',
    ),
    (
        _table(1, zzz="1", aaa="1"),
        f"{WB}[1].aaa: unknown field; a band has from or above, to or below, and amount",
    ),
    (_table(1, above="9 kg"), f"{WB}[1].above: a band has one of from or above, not both"),
    (_table(1, to="16 kg"), f"{WB}[1].below: a band has one of to or below, not both"),
    (_table(1, amount=None), f"{WB}[1].amount: missing; it is required"),
    (_table(1, amount=5), f'{WB}[1].amount: 5 must be a string with a unit, e.g. "1.1 mg/kg"'),
    (_table(1, **{"from": 9}), f'{WB}[1].from: 9 must be a string with a unit, e.g. "16 kg"'),
    (
        _table(1, **{"from": "9 cm"}),
        f"{WB}[1].from: from='9 cm' must be a weight, e.g. \"16 kg\"",
    ),
    (
        _table(1, amount="1.1 mg/m**2"),
        f"{WB}[1].amount: amount='1.1 mg/m**2': a band's amount is per kg or flat",
    ),
    (
        _table(1, **{"from": "16 kg", "below": "9 kg"}),
        f"{WB}[1]: the band's lower edge 16 kg is not below its upper 9",
    ),
    (
        _table(4, amount="5 mg"),
        f"{WB}: every band of one table gives one kind of amount (all per kg, or flat)",
    ),
    (_table(1, below=None), f"{WB}[1]: only the last band may be open above"),
    (_table(2, **{"from": None}), f"{WB}[2]: only the first band may be open below"),
    (
        _table(2, **{"from": "17 kg"}),
        f"{WB}[2]: the bands must meet with no gap or overlap: the previous band ends below "
        f'16 kg, so this one starts with from = "16 kg"',
    ),
    (
        _table(2, **{"from": None, "above": "16 kg"}),
        f"{WB}[2]: the bands must meet with no gap or overlap: the previous band ends below "
        f'16 kg, so this one starts with from = "16 kg"',
    ),
    (
        _table(3, **{"above": None, "from": "23 kg"}),
        f"{WB}[3]: the bands must meet with no gap or overlap: the previous band ends at "
        f'23 kg, so this one starts with above = "23 kg"',
    ),
]


@pytest.mark.parametrize(("table", "message"), BAND_CASES)
def test_a_bad_weight_band_table_is_refused_in_full(table: object, message: str) -> None:
    with pytest.raises(RegimenError) as info:
        bands(table)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_a_negative_band_edge_is_refused_in_full() -> None:
    with pytest.raises(RegimenError) as info:
        bands(_table(0, below="-1 kg"))
    assert str(info.value) == f"{WB}[0].below: below='-1 kg' must not be negative"


AUC = "carbo.toml: dose[0]"


@pytest.mark.parametrize(
    ("kwargs", "extra", "message"),
    [
        (
            {"target": 5},
            {},
            f'{AUC}.target_auc: 5 must be a string with a unit, e.g. "5 mg*min/mL"',
        ),
        (
            {"target": "5 mg"},
            {},
            f"{AUC}.target_auc: target_auc='5 mg' is not an AUC; write e.g. \"5 mg*min/mL\"",
        ),
        (
            {"formula": None},
            {},
            f"{AUC}.gfr_formula: missing: a line by target_auc names its formula, one of "
            f"{FORMULAS}",
        ),
        (
            {"formula": "nope"},
            {},
            f"{AUC}.gfr_formula: gfr_formula='nope'; write one of {FORMULAS}",
        ),
        (
            {},
            {"agent": "cisplatin"},
            f"{AUC}.gfr_formula: gfr_formula='calvert' is a carboplatin clearance formula; "
            f"agent='cisplatin' cannot be dosed by it: give the agent's amount (amount = ...) "
            f"or a formula derived for it",
        ),
    ],
)
def test_a_bad_target_auc_line_is_refused_in_full(
    kwargs: dict[str, Any], extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(RegimenError) as info:
        carbo(**kwargs, **extra)
    assert str(info.value) == message


def _line(**fields: Any) -> dict[str, Any]:
    return {
        "key": "x",
        "name": "x",
        "frame": "cycle",
        "cycle_length": "21 day",
        "references": ["calvert1989"],
        "dose": [{"agent": "carboplatin", "days": [1], **fields}],
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {},
            "<mapping>: dose[0].amount: missing; it is required (or, instead, target_auc with "
            "gfr_formula, or weight_bands)",
        ),
        (
            {"amount": "400 mg/m**2", "gfr_formula": "calvert"},
            "<mapping>: dose[0].gfr_formula: gfr_formula belongs to a line by target_auc",
        ),
        (
            {"amount": "400 mg/m**2", "target_auc": "5 mg*min/mL", "gfr_formula": "calvert"},
            "<mapping>: dose[0].target_auc: a dose line gives one of amount, target_auc (with "
            "gfr_formula) or weight_bands; this one gives amount and target_auc",
        ),
    ],
)
def test_a_dose_lines_amount_fields_are_refused_in_full(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(RegimenError) as info:
        regimen_from_mapping(_line(**fields))
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("table", "field", "text", "value"),
    [
        (_table(1, amount="1.2 mg/s"), "[1].amount", None, "1.2 mg/s"),  # no dose kind
        (_table(1, amount="1.1 mg/m**2"), "[1].amount", "per kg or flat", "1.1 mg/m**2"),
        (_table(1, amount="0 mg/kg"), "[1].amount", "amount='0 mg/kg' must be positive", None),
        (
            _table(1, below="9 kg"),  # from 9 kg below 9 kg: an empty band
            "[1]",
            "the band's lower edge 9 kg is not below its upper 9",
            None,
        ),
    ],
)
def test_a_bad_band_is_refused_naming_its_field_and_value(
    table: list[dict[str, Any]], field: str, text: str | None, value: object
) -> None:
    with pytest.raises(RegimenError) as info:
        bands(table)
    error = info.value
    assert error.field == f"dose[0].weight_bands{field}"
    assert str(error).startswith(f"{WB}{field}: ")
    assert len(str(error)) > len(f"{WB}{field}: ") + 10  # a reason, not "None"
    if text is not None:
        assert text in str(error)
    if value is not None:
        assert error.value == value


def test_band_edges_of_zero_and_below_one_kg_are_kept() -> None:
    # 0 kg is a weight (the first band may start there), and so is 0.5 kg.
    for start in ("0 kg", "0.5 kg"):
        table = _table(0, **{"from": start})
        (line,) = bands(table).doses
        first = line.rule.bands[0]  # type: ignore[union-attr]
        assert (first.low, first.low_inclusive) == (float(start.split()[0]), True)


def test_a_band_line_reads_as_its_first_band_in_its_units() -> None:
    # The line is written by its lightest band: 1.0 mg/kg below 9 kg, dosed in mg.
    (line,) = bands().doses
    assert line.kind == "band"
    assert (line.amount_value, str(line.amount_unit), str(line.dose_unit)) == (
        1.0,
        "milligram / kilogram",
        "milligram",
    )


def test_a_target_auc_line_reads_as_its_target() -> None:
    (line,) = carbo(target="6 mg*min/mL").doses
    assert line.kind == "auc"
    assert line.amount_value == 6.0
    assert str(line.amount_unit) == "milligram * minute / milliliter"
    assert (line.rule.value, line.rule.formula) == (6.0, "calvert")  # type: ignore[union-attr]
    assert line.rule.target.m_as("mg*min/mL") == 6.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"target": "5 mg"}, "target_auc", "5 mg"),
        ({"target": "-5 mg*min/mL"}, "target_auc", "-5 mg*min/mL"),
        ({"formula": "nope"}, "gfr_formula", "nope"),
        ({"formula": "calvert", "agent": "cisplatin"}, "gfr_formula", "calvert"),
    ],
)
def test_a_bad_target_auc_carries_its_field_and_value(
    kwargs: dict[str, Any], field: str, value: object
) -> None:
    with pytest.raises(RegimenError) as info:
        carbo(**kwargs)
    error = info.value
    assert error.field == f"dose[0].{field}"
    assert error.value == value
    assert str(error).startswith(f"{AUC}.{field}: ")
    assert "None" not in str(error)


def test_a_band_over_its_agents_course_range_is_refused_naming_the_band() -> None:
    # Busulfan's usual course is 6.4-19.2 mg/kg (EU label); more than twice its top, 38.4 mg/kg,
    # is refused. 2.3 mg/kg four times a day is 9.2 mg/kg a day (under twice the daily 4.8);
    # on six days (-9..-4) it is 55.2 mg/kg a course. The other bands stay under: 1.2 x 4 x 6 =
    # 28.8 mg/kg.
    with pytest.raises(RegimenError) as info:
        bands(_table(2, amount="2.3 mg/kg"), days="-9..-4")
    message = str(info.value)
    assert message.startswith(f"{WB}[2].amount: band 16 to 23 kg: busulfan totals 55.2 mg/kg")
    assert info.value.field == "dose[0].weight_bands[2].amount"
