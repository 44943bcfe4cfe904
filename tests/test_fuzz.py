"""The readers of user input never crash (issue 16): a bounded fuzz run in every test run.

The same properties run for 10^5 cases and more with ``python scripts/fuzz.py`` (see
``docs/testing.md``); here each runs a fixed number of examples (``DOSING_FUZZ_EXAMPLES``,
default 60), so that the suite stays fast. A hang fails through hypothesis's deadline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import pathlib
import tempfile
import warnings
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dosing
import dosing.frames
from dosing import Q_, BandTable, DosingError, Patient, Policy, Regimen
from dosing.dose_limits import LimitTable, load_limits
from dosing.policy.bands import _parse, build_table, load_band_table
from dosing.policy.renal import RenalTable, _read_renal
from dosing.regimens.loader import regimen_from_mapping
from tests import fuzzing

EXAMPLES = int(os.environ.get("DOSING_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=5_000,  # ms per case: a case that hangs fails
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
CHILD = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"))
FOLDER = pathlib.Path(tempfile.mkdtemp(prefix="dosing-fuzz-"))


def _use(regimen: Regimen) -> None:
    """A template that loads must also expand and be checked without crashing."""
    try:
        schedule = regimen.expand(CHILD)
    except DosingError:
        return
    dosing.check(schedule)
    str(schedule)


@FUZZ
@given(text=fuzzing.mutated_text(fuzzing.TEMPLATES))
def test_a_strange_template_file_loads_or_is_refused_naming_the_file(text: str) -> None:
    path = FOLDER / "fuzzed.toml"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fuzzing.outcome(lambda: dosing.load_regimen(path), str(path))
        if isinstance(result, Regimen):
            _use(result)


@FUZZ
@given(data=fuzzing.mutated_mapping())
def test_a_strange_template_mapping_loads_or_is_refused_naming_the_source(data: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fuzzing.outcome(
            lambda: regimen_from_mapping(data, source="<fuzzed>"),  # type: ignore[arg-type]
            "<fuzzed>",
        )
        if isinstance(result, Regimen):
            _use(result)


@FUZZ
@given(text=fuzzing.mutated_text((fuzzing.LIMITS,)))
def test_a_strange_limits_file_loads_or_is_refused_naming_the_file(text: str) -> None:
    path = FOLDER / "limits.toml"
    path.write_text(text, encoding="utf-8")
    result = fuzzing.outcome(lambda: load_limits(path), str(path))
    if isinstance(result, LimitTable):
        dosing.check(dosing.get_regimen("flu-arac-mel-ric").expand(CHILD), limits=result)


def _use_band_table(table: BandTable) -> None:
    """A band table that loads must band doses, print, write itself back and band a schedule."""
    low, high = float(table.low.magnitude), float(table.high.magnitude)
    for value in (low, high, (low + high) / 2, low / 2, high * 2, math.nan):
        with contextlib.suppress(DosingError):
            table.band_for(Q_(value, table.unit))
    table.lookup(np.linspace(low * 0.9, high * 1.1, 64))
    table.rows()
    repr(table), table.range_text(), repr(table.bands[0])
    # written back, it reads back the same (or is refused by name: a text over the readers'
    # 10,000 characters, from build_table)
    again = fuzzing.outcome(
        lambda: _parse(table.to_toml(), "<written back>", table.accepted), "<written back>"
    )
    if isinstance(again, BandTable):
        assert again.bands == table.bands, "a table written by to_toml() reads back otherwise"
    # One dose line of the table's agent, its amount per m² such that BSAs of 0.5 to 1.5 m²
    # give doses around the middle of the table (some outside it, with a BSA of 0.5 or 1.5).
    unit = f"{table.unit:~}"
    line = {
        "agent": table.agent,
        "amount": f"{(low + high) / 2!r} {unit}/m**2",
        "days": "1, 8",
        "acknowledge": "a fuzzed band table's range, not a protocol",
    }
    mapping = {"key": "banded", "name": "banded", "frame": "cycle", "cycle_length": "21 day"}
    try:
        regimen = regimen_from_mapping({**mapping, "dose": [line]}, source="<banded>")
    except DosingError:  # an amount no template may have (a table of grams, 10^300 mg)
        return
    cohort = Patient(bsa=Q_(np.array([0.5, 0.8, 1.0, 1.2, 1.5]), "m**2"))
    for patient in (cohort, Patient(bsa=Q_(1.0, "m**2"))):
        try:
            schedule = regimen.expand(patient, policy=Policy(bands={table.agent: table}))
        except DosingError:
            continue
        dosing.check(schedule)
        str(schedule)


@FUZZ
@given(text=fuzzing.mutated_text(fuzzing.BANDS))
def test_a_strange_band_table_file_loads_or_is_refused_naming_the_file(text: str) -> None:
    path = FOLDER / "band-table.toml"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fuzzing.outcome(lambda: load_band_table(path), str(path))
        if isinstance(result, BandTable):
            _use_band_table(result)


_BAND_OPTIONS = ["references", "source", "product", "concentration", "example", "note"]
_BAND_NAMES = [*fuzzing.BAND_ARGUMENTS, *_BAND_OPTIONS, "accept_out_of_tolerance", "resolution"]


@FUZZ
@given(
    changes=st.dictionaries(
        st.sampled_from(_BAND_NAMES),
        fuzzing.python_values | st.lists(fuzzing.numbers, max_size=3),
        min_size=1,
        max_size=3,
    )
)
def test_strange_band_table_arguments_make_a_table_or_are_refused_by_name(
    changes: dict[str, Any],
) -> None:
    """build_table, the keyword entry point of band tables: a table, or an error naming the
    argument."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fuzzing.outcome(
            lambda: build_table(**{**fuzzing.BAND_ARGUMENTS, **changes}, where="<arguments>"), ""
        )
        if isinstance(result, DosingError):
            named = [name for name in ("<arguments>", *changes) if name in str(result)]
            assert named, f"the error names no argument of {sorted(changes)}: {result}"
        else:
            _use_band_table(result)


def _use_renal_table(table: RenalTable) -> None:
    """A renal table that reads must give a factor for every clearance and describe itself."""
    clearances = np.array([0.0, 1e-9, 29.999999, 30.0, 60.0, 79.5, 1e6, math.inf])
    factors = table.factor(clearances)
    assert np.all((factors >= 0) & (factors <= 1)), factors
    assert np.all(np.diff(factors) >= 0), "a factor falls as clearance rises"
    assert 0 <= table.factor(45.0) <= 1
    for band in table.bands:
        band.describe(table.unit_text)
    table.estimator_text(), table.population_text(), table.unit


@FUZZ
@given(text=fuzzing.mutated_text((fuzzing.RENAL,)))
def test_a_strange_renal_tables_file_reads_or_is_refused_naming_the_file(text: str) -> None:
    result = fuzzing.outcome(
        lambda: _read_renal(text, "<fuzzed renal.toml>"), "<fuzzed renal.toml>"
    )
    if isinstance(result, dict):
        for table in result.values():
            _use_renal_table(table)


#: What a row's error may name: a column (a fact, its unit, an anchor, sex, regimen), or the
#: policy's field that refuses the row's dose (``rounding['inotuzumab ozogamicin']``).
_NAMED = (
    *fuzzing.FRAME_FIELDS,
    *fuzzing.ANCHORS,
    "sex",
    "regimen",
    "patient_id",
    *(field.name for field in dataclasses.fields(Policy)),
)
_POLICIES = [
    None,
    Policy(renal="fludarabine-fludara-label", renal_outside_population="accept"),
    Policy(rounding={"*": Q_(0.1, "mg")}, bsa_cap=Q_(2.0, "m**2")),
]


def _names_a_column(message: str) -> bool:
    return any(name in message for name in _NAMED)


def _not_a_number(cell: object) -> bool:
    """A cell of a value column that is clearly no number: it may never be planned as one
    (pandas reads True as 1, 5+1j as 5, a date as its nanoseconds)."""
    import pandas as pd

    if cell is None or cell is pd.NA or cell is pd.NaT:
        return False  # empty: the row does not have that fact
    if isinstance(cell, float) and math.isnan(cell):
        return False
    if isinstance(cell, bool | np.bool_ | complex | bytes):
        return True
    if isinstance(cell, int | float | Decimal | np.integer | np.floating):
        return False
    if isinstance(cell, str):
        try:
            float(cell.strip())
        except ValueError:
            return True
        return False
    return True  # dates, durations, lists, dicts, tuples, objects


def _plan(frame: Any, table: Any, ids: bool, policy: Policy | None) -> None:
    """plan_frame gives every row of ``frame`` (given as ``table``) back, planned or with an
    error naming its column, and plans no cell that is not a number; or raises a DosingError
    naming the column; so does errors="raise"."""
    out = fuzzing.outcome(lambda: dosing.plan_frame(table, policy=policy), "")
    if isinstance(out, DosingError):
        assert _names_a_column(str(out)), f"the error names no column: {out}"
    else:
        assert tuple(out.columns) == dosing.frames.COLUMNS
        for message in out["error"].dropna().unique():
            assert _names_a_column(str(message)), f"the row's error names no column: {message}"
        if ids:  # every input row comes back, in order: its administrations or its error row
            given = out["patient_id"].tolist()
            assert sorted(set(given)) == list(range(len(frame)))
            assert given == sorted(given)
            failed = set(out.loc[out["error"].notna(), "patient_id"])
            for name in fuzzing.FRAME_FIELDS:
                if name not in frame:
                    continue
                for row, cell in enumerate(frame[name].tolist()):
                    if _not_a_number(cell):
                        assert row in failed, f"row {row}: {name}={cell!r} was planned"
    raised = fuzzing.outcome(lambda: dosing.plan_frame(table, policy=policy, errors="raise"), "")
    if isinstance(raised, DosingError):
        assert _names_a_column(str(raised)), f"the error names no column: {raised}"


def test_the_fuzzer_knows_every_column_plan_frame_reads() -> None:
    assert tuple(fuzzing.FRAME_FIELDS) == dosing.frames.FIELDS
    assert set(fuzzing.ANCHORS) == set(dosing.frames._ANCHORS.values())


@FUZZ
@given(columns=fuzzing.strange_frame(), policy=st.sampled_from(_POLICIES), data=st.data())
def test_strange_table_rows_are_planned_or_refused_naming_the_column(
    columns: dict[str, list[Any]], policy: Policy | None, data: st.DataObject
) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in data.draw(st.lists(st.sampled_from(list(columns) or ["-"]), max_size=2)):
            if name in frame.columns:  # the same values as another dtype: categories, dates
                kind = data.draw(st.sampled_from(["category", "datetime", "string"]))
                with contextlib.suppress(TypeError, ValueError, OverflowError):  # pandas cannot
                    frame[name] = (
                        pd.to_datetime(frame[name], errors="coerce")
                        if kind == "datetime"
                        else frame[name].astype(kind)
                    )
        ids = "patient_id" in frame and all(
            isinstance(value, int) and value == row
            for row, value in enumerate(frame["patient_id"].tolist())
        )
        _plan(frame, frame, ids, policy)
        if data.draw(st.integers(0, 3)) == 0:  # the same table through the interchange protocol
            pa = pytest.importorskip("pyarrow")
            try:
                arrow = pa.Table.from_pandas(frame, preserve_index=False)
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                return  # pyarrow cannot hold that table
            _plan(frame, arrow, ids, policy)


@pytest.mark.parametrize("depth", [10, 17, 400, 497, 2000, 20_000])
def test_nesting_of_any_depth_is_a_regimen_error(depth: int) -> None:
    path = FOLDER / f"deep-{depth}.toml"
    path.write_text(
        f'key = "x"\nname = "x"\nframe = "transplant"\nnote = {"[" * depth}1{"]" * depth}\n'
    )
    with pytest.raises(dosing.RegimenError, match=f"{path}.*(nested too deeply|note)"):
        dosing.load_regimen(path)
    nested: object = 1
    for _ in range(depth):
        nested = {"a": nested}
    with pytest.raises(dosing.RegimenError, match="<m>.*(nested too deeply|unknown field)"):
        regimen_from_mapping({"key": "x", "extra": nested}, source="<m>")


def test_mixed_type_keys_and_huge_values_are_regimen_errors_naming_the_field() -> None:
    base = {"key": "x", "name": "x", "frame": "transplant"}
    with pytest.raises(dosing.RegimenError, match=r"<m>: a field name that is not a string"):
        regimen_from_mapping({**base, 1: "a", "z": 2}, source="<m>")  # type: ignore[dict-item]
    line = {"agent": "melphalan", "amount": "140 mg/m**2", "days": "-2"}
    for field, value in [
        ("amount", "1" + "0" * 309 + " mg/m**2"),
        ("cap", "1e999 mg"),
        ("days", "1..100000000"),
        ("days", [10**400]),
        ("total", "-1e400 mg/m**2"),
        ("window", "1e999 day"),
        ("window", "801 day"),
        ("min_interval", f"{10**100} day"),
    ]:
        with pytest.raises(dosing.RegimenError, match=rf"<m>: dose\[0\]\.{field}"):
            regimen_from_mapping({**base, "dose": [{**line, field: value}]}, source="<m>")
    cycle = {"key": "x", "name": "x", "frame": "cycle", "dose": [line]}
    for length in ("1e400 day", "801 day", "100000000 day"):
        with pytest.raises(dosing.RegimenError, match="<m>: cycle_length"):
            regimen_from_mapping({**cycle, "cycle_length": length}, source="<m>")


def test_a_file_too_large_or_not_a_path_is_refused(tmp_path: pathlib.Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 1_000_001)
    with pytest.raises(dosing.RegimenError, match="more than the 1000000 allowed"):
        dosing.load_regimen(big)
    with pytest.raises(DosingError, match="path.*more than the 1000000 allowed"):
        load_limits(big)
    with pytest.raises(DosingError, match="path"):
        load_limits(42)  # type: ignore[arg-type]
    with pytest.raises(dosing.RegimenError, match="cannot read the file"):
        dosing.load_regimen("no\0such.toml")
    text = tmp_path / "text.toml"
    text.write_text('key = "' + "x" * 10_001 + '"\n')
    with pytest.raises(dosing.RegimenError, match="key: a text of 10001 characters"):
        dosing.load_regimen(text)
    many = {"key": "x", "references": ["a"] * 100_001}
    with pytest.raises(dosing.RegimenError, match="more than 100000 values"):
        regimen_from_mapping(many, source="<m>")
