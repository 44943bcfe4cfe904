"""The inputs the fuzzer found (issue 16), each now refused by name: one test per kind of input.

Every case below once crashed a reader (the exception it raised is in its comment) or was
refused without the file's or column's name, or was read silently as something else; found by
``tests/test_fuzz.py``'s properties and ``scripts/fuzz.py`` (see ``docs/testing.md``), or while
reading the reader for them.
"""

from __future__ import annotations

import pathlib
import re
import warnings
from importlib import resources

import pytest

import dosing
from dosing import DosingError
from dosing.dose_limits import load_limits
from dosing.policy.bands import _parse, build_table, load_band_table
from dosing.policy.renal import RENAL_TABLES, _read_renal
from tests import fuzzing

# -- TOML, in every reader ------------------------------------------------------------------

#: A hexadecimal literal tomllib reads, of 4,817 decimal digits, which Python cannot print.
HEXADECIMAL = "0x" + "f" * 4000
#: A decimal literal of 4,301 digits, which tomllib cannot read (ValueError, not TOMLDecodeError).
DIGITS = "9" * 4301


def test_an_integer_too_long_to_read_or_print_is_refused_naming_the_file(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "long.toml"
    path.write_text(f'key = "x"\nname = "x"\nnote = {DIGITS}\n')  # ValueError from tomllib
    with pytest.raises(dosing.RegimenError, match=f"{path}: .*a number too long to read"):
        dosing.load_regimen(path)
    with pytest.raises(DosingError, match=f"{path}: cannot be read: a number too long to read"):
        load_limits(path)
    # found by the fuzzer: ValueError from repr() in the template loader's message
    path.write_text(f'key = "x"\nname = "x"\nsetting = {HEXADECIMAL}\n')
    with pytest.raises(dosing.RegimenError, match=f"{path}: setting: an integer of more than 4000"):
        dosing.load_regimen(path)
    path.write_text(f"[[limit]]\nagent = {HEXADECIMAL}\n")
    with pytest.raises(DosingError, match=rf"{path}: limit\[0\]\.agent: an integer of more"):
        load_limits(path)


# -- band tables ---------------------------------------------------------------------------


def test_a_band_table_with_an_integer_too_long_is_refused_naming_the_file(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "long.toml"
    path.write_text(f"format = 1\nkey = {DIGITS}\n")
    with pytest.raises(DosingError, match=f"{path}: cannot be read: a number too long to read"):
        load_band_table(path)
    path.write_text(f"format = 1\nkey = {HEXADECIMAL}\n")  # ValueError from str(key)
    with pytest.raises(DosingError, match=f"{path}: key: an integer of more than 4000 digits"):
        load_band_table(path)


_BAND = {
    "format": "1",
    "key": '"t"',
    "agent": '"vincristine"',
    "unit": '"mg"',
    "tolerance": "0.06",
    "boundary": '"A"',
    "version": '"1"',
    "bands": "[[1.0, 1.1, 1.05]]",
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        # found by the fuzzer: a crash, or an error that did not name the file
        ("note", "[" * 2000 + "1" + "]" * 2000, "nested too deeply"),  # RecursionError
        ("columns", '[{ a = 1 }, "to", "dose"]', "columns"),  # TypeError: unhashable 'dict'
        ("columns", '[["from"], "to", "dose"]', "columns"),  # TypeError: unhashable 'list'
        ("columns", "5", "columns"),  # TypeError: 'int' object is not iterable
        ("tolerance", str(10**400), "tolerance"),  # OverflowError
        ("agent", "[]", "agent"),  # named the agent, not the file
        ("agent", '"ATG"', "agent.*more than one agent"),  # named the agent, not the file
        ("concentration", "3", "concentration"),  # "'3' has no unit", not naming the file
        ("concentration", '{ a = "1 mg/mL" }', "concentration"),  # the same
        ("references", '["no-such"]', "references.*no-such"),  # named no file
        # found while reading the loader for them: the same kinds of value in other fields
        ("bands", f"[[1.0, {10**400}, 1.05]]", "bands"),  # OverflowError
        ("version", "1" * 5000, "version"),  # ValueError: str() of an int of 5,000 digits
        ("key", "[1]", "key"),  # was read as the key "[1]"
        ("example", '"no"', "example"),  # was read as true
        ("format", "true", "format"),  # true == 1 was read as format 1
        ("references", '"nice-ktt22"', "references: must be a list"),
        ("resolution", '"0.01"', "resolution"),  # was ignored without a to_b column
        ("unit", '"' + "x" * 10_000 + '"', "unit.* is 10000 characters long"),  # took 1 s
    ],
)
def test_a_band_table_the_fuzzer_broke_is_refused_naming_the_file_and_field(
    tmp_path: pathlib.Path, field: str, value: str, message: str
) -> None:
    path = tmp_path / "table.toml"
    path.write_text("\n".join(f"{k} = {v}" for k, v in {**_BAND, field: value}.items()))
    with pytest.raises(DosingError, match=message) as info:
        load_band_table(path)
    assert str(path) in str(info.value)


def test_band_table_entry_points_refuse_what_is_not_a_table_by_name(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "table.toml"
    path.write_text("\n".join(f"{k} = {v}" for k, v in {**_BAND, "version": "2"}.items()))
    assert load_band_table(path).version == "2"  # a version may be written as a number
    with pytest.raises(DosingError, match="^path=5 must be the path of a band-table file"):
        load_band_table(5)  # type: ignore[arg-type]
    with pytest.raises(DosingError, match="^<text>: cannot be read: 1000001 characters"):
        _parse("#" * 1_000_001, "<text>", None)
    arguments = {**fuzzing.BAND_ARGUMENTS, "where": "<a>"}
    for changes, message in (
        ({"where": 5}, "^where=5 must be text"),
        ({"upper": [1.1]}, r"^<a>\.bands.* has 2 lower boundaries, 1 upper ones and 2 doses"),
        ({"references": "nice-ktt22"}, r"^<a>\.references='nice-ktt22' must be a sequence"),
        ({"example": "yes"}, r"^<a>\.example='yes' must be True or False"),
        ({"key": 5}, r"^<a>\.key=5 must be text"),
        ({"references": [""]}, r"^<a>\.references='' is not known"),  # named "reference"
        # found by the long run: pint's unit parser is quadratic, 25 s for 50,000 characters
        ({"unit": "x" * 50_000}, r"^<a>\.unit='x{40}\.\.\.' is 50000 characters long"),
        ({"unit": ["mg"]}, r"^<a>\.unit=\['mg'\] must be a unit of mass written as text"),
    ):
        with pytest.raises(DosingError, match=message):
            build_table(**{**arguments, **changes})


# -- renal tables --------------------------------------------------------------------------


def test_a_renal_tables_file_with_an_integer_too_long_is_refused_naming_the_file() -> None:
    with pytest.raises(DosingError, match="^<renal>: a number too long to read"):
        _read_renal(f"[t]\nnote = {DIGITS}", "<renal>")
    with pytest.raises(DosingError, match=r"^<renal>: t\.note: an integer of more than 4000"):
        _read_renal(f"[t]\nnote = {HEXADECIMAL}", "<renal>")


_RENAL = """[t]
agent = "fludarabine"
measure = "absolute"
estimator = "cockcroft_gault"
population = "adult"
references = ["fludara-label"]
note = "n"
bands = [{ to = "30 mL/min", factor = 0.0 }, { from = "30 mL/min", factor = 1.0 }]
"""
_FIRST = '{ to = "30 mL/min", factor = 0.0 }'


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # crashes of the reader on main, fuzzed the same way (scripts/fuzz.py's renal cases)
        (
            'estimator = "cockcroft_gault"\n',
            "",
            r"t: lacks the field\(s\) \['estimator'\]",
        ),  # KeyError
        (_RENAL, "t = true\n", "t: must be a table"),  # TypeError: not subscriptable
        (_FIRST, '{ to = "30 mL/min", factor = [0] }', r"t\.bands\[0\]\.factor"),  # TypeError
        (_FIRST, "1", r"t\.bands\[0\]: must be a band"),  # TypeError
        ('["fludara-label"]', "1.5", r"t\.references"),  # TypeError: not iterable
        ('"cockcroft_gault"', "[]", r"t\.estimator: unknown estimator"),  # ValueError
        ('"adult"', '"elderly"', r"t\.population"),  # ValueError
        ('from = "30', 'from = "40', r"t\.bands: bands must meet"),  # ValueError
        ('to = "30 mL/min"', 'to = "30 mg"', r"t\.bands\[0\]\.to"),  # pint DimensionalityError
        # RecursionError
        (
            'note = "n"',
            "note = " + "[" * 2000 + "1" + "]" * 2000,
            "arrays or tables nested too deeply",
        ),
        # read silently before: a dose raised, a NaN dose, "false" read as true, a field ignored
        ("factor = 1.0", "factor = 1.5", r"t\.bands\[1\]\.factor: must be a fraction"),
        ("factor = 0.0", "factor = nan", r"t\.bands\[0\]\.factor: must be a fraction"),
        ("factor = 0.0", 'factor = 0.0, to_inclusive = "false"', r"t\.bands\[0\]\.to_inclusive"),
        ('note = "n"', 'note = "n"\ncolour = "red"', r"t: unknown field\(s\) \['colour'\]"),
        ('"30 mL/min", factor = 0.0', '"-5 mL/min", factor = 0.0', r"t\.bands\[0\]\.to"),
        ('"adult"', "1979-05-27", r"t\.population"),
        # every other field of the reader, refused by name
        ('"absolute"', '"relative"', r"t\.measure: must be 'absolute'"),
        ('agent = "fludarabine"', 'agent = " "', r"t\.agent: must be the agent's name"),
        ('agent = "fludarabine"', 'agent = "ATG"', r"t\.agent: .*more than one agent"),
        ('note = "n"', "note = 1", r"t\.note: must be text"),
        ('note = "n"', 'note = "n"\ninterpretation = [1]', r"t\.interpretation: must be a list"),
        ('["fludara-label"]', '["no-such"]', r"t\.references: .*'no-such' is not known"),
        ('"adult"', '"any"', r"t\.population: absolute thresholds"),
        ("bands = [{", "bands = []\nnothing = [{", r"t: unknown field\(s\) \['nothing'\]"),
        (_RENAL.splitlines()[-1], "bands = []", r"t\.bands: must be a list of bands"),
        (
            "factor = 0.0 }",
            "factor = 0.0, hue = 1 }",
            r"t\.bands\[0\]: unknown field\(s\) \['hue'\]",
        ),
        (", factor = 0.0 }", " }", r"t\.bands\[0\]: lacks its factor"),
        ('to = "30 mL/min"', 'to = "thirty"', r"t\.bands\[0\]\.to: .*write e\.g\. '30 mL/min'"),
        (
            '{ from = "30 mL/min", factor = 1.0 }',
            '{ from = "30 mL/min", to = "20 mL/min", factor = 1.0 }',
            r"t\.bands\[1\]: is empty or reversed",
        ),
        (
            '{ from = "30 mL/min", factor = 1.0 }',
            '{ from = "40 mL/min", factor = 1.0 }',
            r"t\.bands: bands must meet",
        ),
        (
            '0.0 }, { from = "30 mL/min", factor = 1.0',
            '1.0 }, { from = "30 mL/min", factor = 0.5',
            r"t\.bands: factors must not fall",
        ),
        ('{ to = "30 mL/min", factor = 0.0 }, ', "", r"t\.bands: the first band must start at 0"),
    ],
)
def test_a_renal_tables_file_the_fuzzer_broke_is_refused_naming_the_file_and_field(
    old: str, new: str, message: str
) -> None:
    assert old in _RENAL
    with pytest.raises(DosingError, match=f"^<renal>: {message}"):
        _read_renal(_RENAL.replace(old, new, 1), "<renal>")


def test_a_renal_tables_file_too_large_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(DosingError, match="^<renal>: 1000001 characters, more than the 1000000"):
        _read_renal("#" * 1_000_001, "<renal>")


def test_the_packaged_renal_tables_are_read_by_the_fuzzed_reader() -> None:
    text = resources.files("dosing").joinpath("data/renal.toml").read_text(encoding="utf-8")
    assert _read_renal(text, "data/renal.toml") == dict(RENAL_TABLES.items())
    assert set(_read_renal(_RENAL, "<renal>")) == {"t"}


# -- plan_frame rows -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("weight", 10**400, r"^weight=1000.*\.\.\. is too large to compute with"),  # Overflow
        ("weight", 10**5000, r"^weight=<a int too large or deep to show> is too large"),
        ("weight_unit", {"unit": "kg"}, r"^weight_unit=.* is not a UCUM unit"),  # unhashable
        ("height_unit", ["cm"], r"^height_unit=.* is not a UCUM unit"),  # unhashable list
        ("regimen", ["gvhd-mtx-10-7-7"], r"^(regimen: )?regimen=.* is not known"),
        ("sex", {"m": 1}, r"^sex=.* is not known"),
        ("sex", 10**5000, r"^sex='<a int too large or deep to show>' is not known"),  # ValueError
        # read as numbers by pandas before (True as 1 kg, 45+1j as 45 kg, b"50" as 50 kg)
        ("weight", True, r"^weight=True is not a number"),
        ("weight", 45 + 1j, r"^weight=\(45\+1j\) is not a number"),
        ("weight", b"50", r"^weight=b'50' is not a number"),
    ],
    ids=[
        "1e400",
        "an int of 5001 digits",
        "a dict",
        "a list",
        "a list of a key",
        "a dict of sex",
        "a sex of 5001 digits",
        "True",
        "complex",
        "bytes",
    ],
)
def test_table_cells_the_fuzzer_broke_are_row_errors_naming_the_column(
    column: str, cell: object, message: str
) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "patient_id": [0, 1],
            "regimen": ["gvhd-mtx-10-7-7"] * 2,
            "height": [150.0, 160.0],
            "height_unit": ["cm", "cm"],
            "weight": [40.0, 50.0],
            "weight_unit": ["kg", "kg"],
            "sex": ["male", "female"],
        }
    )
    frame[column] = frame[column].astype(object)
    frame.at[1, column] = cell
    out = dosing.plan_frame(frame)
    # patient 0 planned: MTX 10, 7, 7 mg/m² × √(150 × 40 / 3600) = 1.290994 m²
    assert out[out["patient_id"] == 0]["dose"].tolist() == pytest.approx(
        [12.90994, 9.036961, 9.036961], rel=1e-6
    )
    (error,) = out[out["patient_id"] == 1]["error"].tolist()
    assert re.search(message, error), error
    with pytest.raises(DosingError, match=message.replace("^", "^(row 1: )?")):
        dosing.plan_frame(frame, errors="raise")


def test_table_columns_the_fuzzer_broke_are_row_errors_naming_the_column() -> None:
    pd = pytest.importorskip("pandas")
    base = {
        "patient_id": [0, 1],
        "regimen": ["bu-cy4-paediatric-eu", "bu-cy4-paediatric-eu"],
        "height": [150.0, 150.0],
        "height_unit": ["cm", "cm"],
        "weight": [40.0, 40.0],
        "weight_unit": ["kg", "kg"],
        "sex": ["male", "male"],
    }

    def errors(**columns: object) -> list[object]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = dosing.plan_frame(pd.DataFrame({**base, **columns}))
        return out.groupby("patient_id")["error"].first().tolist()

    # busulfan by weight band with a weight in cm: pint's DimensionalityError splitting the
    # rows into bands
    (ok, wrong) = errors(weight_unit=["kg", "cm"])
    assert ok is None or ok != ok  # planned (NaN: no error)
    assert re.match(r"weight=.* has units of \[length\], but weight needs units of \[mass\]", wrong)
    # an anchor date outside the calendar, with a sex column: IndexError on the empty group
    outside = "puts a day of 'bu-cy4-paediatric-eu' outside the calendar"
    assert [str(e) for e in errors(transplant_date=["0001-01-05", "0001-01-01"])] == [
        f"transplant_date: {outside} (years 1 to 9999); give the date the regimen starts from"
    ] * 2
    # weights as dates, or as categories holding True: read as numbers by pandas before
    dates = pd.to_datetime(pd.Series([40.0, 45.0]))  # 40 and 45 ns after 1970-01-01
    assert all(str(e).startswith("weight=Timestamp(") for e in errors(weight=dates))
    flags = pd.Series([40.0, True], dtype=object).astype("category")
    (ok, wrong) = errors(weight=flags)
    assert ok != ok and wrong.startswith("weight=True is not a number")


def test_a_column_with_an_integer_beyond_any_float_reads_its_other_cells_as_usual() -> None:
    # pandas cannot read such a column at once (OverflowError); read cell by cell, the others
    # are read as in any column: True is no number, " 45 " is 45
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "patient_id": [0, 1, 2, 3],
            "regimen": ["rabbit-atg"] * 4,
            "height": [150.0] * 4,
            "height_unit": ["cm"] * 4,
            "weight": pd.Series([40.0, 10**400, True, " 45 "], dtype=object),
            "weight_unit": ["kg"] * 4,
        }
    )
    out = dosing.plan_frame(frame).groupby("patient_id")[["dose", "error"]].first()
    # rabbit ATG 1.25 mg/kg of actual weight: 40 kg -> 50 mg, 45 kg -> 56.25 mg
    assert out["dose"][0] == pytest.approx(50.0) and out["dose"][3] == pytest.approx(56.25)
    assert out["error"][1].endswith(
        "... is too large to compute with; write the number in weight and its unit in weight_unit"
    )
    assert out["error"][2].startswith("weight=True is not a number")
