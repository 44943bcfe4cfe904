"""Fuzzing the readers of user input (issue 16): strange templates, limits, band tables, renal
tables and table rows, by hypothesis.

Shared by ``tests/test_fuzz.py`` (a fixed, small number of examples in every test run) and
``scripts/fuzz.py`` (the long run: 10^5 cases and more, documented in ``docs/testing.md``).

Each case starts from a real file (a catalogue template, the packaged dose limits, a shipped
band table, the packaged renal tables) and changes it the way a slip, a bad export or an
attacker would: a value replaced by a strange TOML literal (a huge integer, NaN, a date, a nested
array hundreds deep, an inline table, a long text, a range of 10^8 days), also inside an inline
table or a row of numbers, a line dropped, doubled or cut, a field added. Mapping cases do the
same to the parsed mapping and add what TOML cannot say: keys that are not strings, Python
objects, nesting thousands deep. Table cases (``plan_frame``) give each column strange values:
NaN, infinities, huge integers, texts, None, dates, objects, wrong units, and columns missing,
extra or of mixed types. The property: the reader returns, or raises a ``DosingError`` that
names the file (or the column), in bounded time; never any other exception.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Callable
from decimal import Decimal
from importlib import resources
from typing import Any

from hypothesis import strategies as st

from dosing.dose_limits import _LIMIT_FIELDS, _UNCHECKED_FIELDS
from dosing.policy.bands import _FIELDS as _BAND_FIELDS
from dosing.policy.renal import _BAND_FIELDS as _RENAL_BAND_FIELDS
from dosing.policy.renal import _TABLE_FIELDS as _RENAL_FIELDS
from dosing.regimens.loader import _DOSE_FIELDS, _TOP_FIELDS

CATALOGUE = resources.files("dosing").joinpath("regimens/catalogue")
#: Every catalogue template as text: the seeds of the template cases.
TEMPLATES: tuple[str, ...] = tuple(
    CATALOGUE.joinpath(name).read_text(encoding="utf-8")
    for name in sorted(item.name for item in CATALOGUE.iterdir() if item.name.endswith(".toml"))
)
#: The packaged dose limits as text: the seed of the limits-file cases.
LIMITS = resources.files("dosing").joinpath("data/dose_limits.toml").read_text(encoding="utf-8")
BANDS_FOLDER = resources.files("dosing").joinpath("data/bands")
#: Every shipped band table as text: the seeds of the band-table cases.
BANDS: tuple[str, ...] = tuple(
    BANDS_FOLDER.joinpath(name).read_text(encoding="utf-8")
    for name in sorted(item.name for item in BANDS_FOLDER.iterdir() if item.name.endswith(".toml"))
)
#: The packaged renal tables as text: the seed of the renal-file cases.
RENAL = resources.files("dosing").joinpath("data/renal.toml").read_text(encoding="utf-8")

UNITS = ["mg/m**2", "mg/kg", "mg", "g/m2", "IU/m2", "Gy", "day", "cm", "parsecs", "", "mg/m**2 m"]

# -- TOML literals ---------------------------------------------------------------------------


def _number_text(value: float | int) -> str:
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return str(value)


huge_ints = st.sampled_from(
    [10**309, -(10**309), 10**400, 2**63, -(2**63) - 1, 10**4000, 0, -1, 400, 401, -401]
)
numbers = st.one_of(
    st.integers(),
    huge_ints,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-310, 1e308, 5e-324, -0.0]),
)
quantity_texts = st.one_of(
    st.builds(lambda n, u: f"{_number_text(n)} {u}", numbers, st.sampled_from(UNITS)),
    st.builds(lambda n: f"1{'0' * n} mg/m**2", st.integers(0, 600)),
    st.builds(lambda n, c: f"150 cm{' ' * n}{c}", st.integers(0, 5000), st.sampled_from("x/ 2")),
    st.sampled_from(
        [
            "1..100000000",
            "-100000000..1",
            "1, 1",
            "1..5, 3",
            "-" + "9" * 5000,
            "1.5 units/m2",
            "2 Mg/m2",
            "1e999 mg",
            "90 mL/min/1.73m2",
        ]
    ),
)
texts = st.one_of(
    st.text(max_size=40),
    quantity_texts,
    st.builds(lambda n: "x" * n, st.sampled_from([10_001, 200, 201, 50_000])),
)


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a TOML basic string for everything json escapes


scalars = st.one_of(
    numbers.map(_number_text),
    texts.map(_toml_string),
    st.sampled_from(["true", "false", "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00"]),
    # an integer literal beyond Python's 4,300 digits: tomllib raises ValueError reading it
    st.sampled_from(["9" * 4301, "-" + "1" * 5000, "0x" + "f" * 4000]),
)


def _nested(depth: int, inner: str, table: bool) -> str:
    if table:
        return "{ a = " * depth + inner + " }" * depth
    return "[" * depth + inner + "]" * depth


literals = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(
            st.sampled_from(["a", "b", "1", "agent", "amount", '"x y"']), children, max_size=3
        ).map(lambda d: "{ " + ", ".join(f"{k} = {v}" for k, v in d.items()) + " }"),
    ),
    max_leaves=8,
) | st.builds(_nested, st.integers(1, 1200), scalars, st.booleans())

#: Every field a template, a limits file, a band table or a renal table may hold, taken from the
#: loaders themselves so that a new field is fuzzed as soon as it exists, and one no loader knows.
FIELDS = sorted(
    _TOP_FIELDS
    | _DOSE_FIELDS
    | _LIMIT_FIELDS
    | _UNCHECKED_FIELDS
    | _BAND_FIELDS
    | _RENAL_FIELDS
    | _RENAL_BAND_FIELDS
    | {"weight_bands", "hue"}
)
HEADERS = ["[[dose]]", "[[limit]]", "[totals]", "[fuzzed-table]", "[cytarabine-paediatric-aronoff]"]
#: A value inside a line: a text, a number, a boolean (in an inline table or a row of numbers).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?[0-9][0-9._eE+-]*|true|false')


@st.composite
def mutated_text(draw: st.DrawFn, seeds: tuple[str, ...]) -> str:
    """A seed file's text with one to four edits (see the module)."""
    lines = draw(st.sampled_from(seeds)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(
            st.sampled_from(["replace", "replace", "token", "drop", "double", "add", "cut"])
        )
        index = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[index] if lines else ""
        if operation == "replace" and " = " in line:
            lines[index] = line.split(" = ", 1)[0] + " = " + draw(literals)
        elif operation == "token" and (tokens := list(_TOKEN.finditer(line))):
            token = draw(st.sampled_from(tokens))
            lines[index] = line[: token.start()] + draw(literals) + line[token.end() :]
        elif operation == "drop" and lines:
            del lines[index]
        elif operation == "double" and lines:
            lines.insert(index, line)
        elif operation == "add":
            field = draw(st.sampled_from([*FIELDS, *HEADERS]))
            lines.insert(index, field if field.startswith("[") else f"{field} = {draw(literals)}")
        elif operation == "cut":
            lines = lines[:index]
    return "\n".join(lines)


# -- mappings --------------------------------------------------------------------------------


def _deep(depth: int, table: bool) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value} if table else [value]
    return value


python_values = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    texts,
    st.sampled_from(
        [Decimal("1e400"), dt.date.max, dt.date.min, b"bytes", object(), (1, 2), {1, 2}, 1j]
    ),
    st.builds(_deep, st.integers(1, 3000), st.booleans()),
    st.dictionaries(
        st.one_of(st.text(max_size=5), st.integers(), st.none()), st.integers(), max_size=3
    ),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), huge_ints), max_size=5),
)


def _paths(data: Any) -> list[tuple[Any, ...]]:
    """Every path into ``data``, to 6 levels (iterative: a fuzzed value may be 3,000 deep)."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, prefix = stack.pop()
        out.append(prefix)
        if len(prefix) >= 6:
            continue
        if isinstance(value, dict):
            stack.extend((item, (*prefix, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*prefix, index)) for index, item in enumerate(value))
    return out


@st.composite
def mutated_mapping(draw: st.DrawFn) -> Any:
    """A catalogue template's mapping with one to three values replaced, added or removed."""
    data = tomllib.loads(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        if not path:
            if draw(st.booleans()):
                data[draw(st.one_of(st.integers(), st.sampled_from(FIELDS), st.none()))] = draw(
                    python_values
                )
            continue
        parent: Any = data
        for step in path[:-1]:
            parent = parent[step]
        operation = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if operation == "replace":
            parent[path[-1]] = draw(python_values)
        elif operation == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            key = draw(st.one_of(st.sampled_from(FIELDS), st.integers(), st.text(max_size=3)))
            parent[key] = draw(python_values)
        else:
            parent.append(draw(python_values))
    return data


#: The arguments of a good band table for ``build_table``: the seed of the argument cases.
BAND_ARGUMENTS: dict[str, Any] = {
    "key": "k",
    "agent": "vincristine",
    "tolerance": 0.06,
    "boundary": "A",
    "lower": [1.0, 1.1],
    "upper": [1.1, 1.2],
    "dose": [1.05, 1.15],
    "unit": "mg",
    "version": "1",
}


# -- table rows (plan_frame) -----------------------------------------------------------------

#: Each fact's column, a plausible value range and the UCUM codes a table may give it in.
FRAME_FIELDS: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "height": (40.0, 210.0, ("cm", "m", "[in_i]")),
    "weight": (2.0, 150.0, ("kg", "g", "[lb_av]")),
    "bsa": (0.2, 2.6, ("m2",)),
    "age": (0.0, 90.0, ("a", "mo", "wk", "d")),
    "serum_creatinine": (0.2, 5.0, ("mg/dL", "umol/L")),
    "creatinine_clearance": (5.0, 180.0, ("mL/min", "mL/min/{1.73_m2}")),
    "cystatin_c": (0.4, 5.0, ("mg/L",)),
    "glomerular_filtration_rate": (5.0, 180.0, ("mL/min", "mL/min/{1.73_m2}")),
}
ANCHORS = ("cycle_start", "transplant_date")
STRANGE_UNITS = [
    "",
    "  ",
    "parsecs",
    "mg/m2",
    "cm2",
    "kg.m",
    "m.m",
    "1e999 cm",
    "cm cm",
    "{1.73_m2}",
    "[in_i]/[in_i]",
    "mL/min/1.73m2",
    "x" * 300,
    "%",
    "10*3",
    "CM",
    "kg ",
]


class _Opaque:
    """An object a table may hold that is no number, text or date."""

    def __repr__(self) -> str:
        return "<opaque>"


strange_cells = st.one_of(
    st.none(),
    numbers,
    st.integers(-(2**70), 2**70),
    texts,
    st.sampled_from(
        [
            math.nan,
            "NaN",
            "",
            " ",
            "150",
            " 40 ",
            "1e999",
            "-0",
            "2026-12-10",
            "2026-02-30",
            "10000-01-01",
            "2026-12-10T08:00",
            True,
            False,
            dt.date.max,
            dt.date.min,
            dt.date(2026, 12, 10),
            dt.datetime(2026, 12, 10, 8, 30),
            dt.timedelta(days=3),
            Decimal("1e400"),
            Decimal("NaN"),
            1j,
            b"bytes",
            (1, 2),
            [150.0],
            {"value": 150},
            _Opaque(),
        ]
    ),
)


def _column(
    draw: st.DrawFn,
    rows: int,
    good: st.SearchStrategy[Any],
    strange: float,
    odd: st.SearchStrategy[Any] = strange_cells,
) -> list[Any]:
    """A column of ``rows`` cells, each good or (with probability ``strange``) ``odd``."""
    return [draw(odd) if draw(st.floats(0, 1)) < strange else draw(good) for _ in range(rows)]


@st.composite
def strange_frame(draw: st.DrawFn) -> dict[str, list[Any]]:
    """The columns of a table of patients: plausible cells, strange cells, strange columns.

    How strange is drawn per table (from none to most cells). ``patient_id`` is the row number
    unless it is fuzzed itself (a test may then check that every row comes back).
    """
    from dosing import regimen_keys

    rows = draw(st.integers(0, 8))
    strange = draw(st.sampled_from([0.0, 0.0, 0.05, 0.1, 0.3, 0.8]))
    columns: dict[str, list[Any]] = {}
    if draw(st.integers(0, 50)):
        columns["patient_id"] = (
            list(range(rows)) if draw(st.integers(0, 5)) else _column(draw, rows, st.none(), 0.9)
        )
    if draw(st.integers(0, 50)):
        odd = st.sampled_from(["GVHD-MTX-10-7-7", " rabbit-atg", "no-such"]) | strange_cells
        columns["regimen"] = _column(draw, rows, st.sampled_from(regimen_keys()), strange, odd)
    # height and weight, or bsa, most of the time; the other facts now and then
    size = draw(st.sampled_from([("height", "weight"), ("bsa",), ("height", "weight", "bsa")]))
    for name, (low, high, codes) in FRAME_FIELDS.items():
        wanted = name in size or not draw(st.integers(0, 3))
        if not wanted or not draw(st.integers(0, 15)):
            continue
        value = st.floats(low, high) | st.integers(int(low) + 1, int(high))
        columns[name] = _column(draw, rows, value, strange)
        if draw(st.integers(0, 40)):
            odd = st.sampled_from(STRANGE_UNITS) | strange_cells
            columns[f"{name}_unit"] = _column(draw, rows, st.sampled_from(codes), strange, odd)
    if not draw(st.integers(0, 8)):  # a unit column without its value column
        columns[draw(st.sampled_from(list(FRAME_FIELDS))) + "_unit"] = _column(
            draw, rows, st.sampled_from(["cm", "kg"]), strange
        )
    if draw(st.booleans()):
        odd = st.sampled_from(["Male", "f", "other", ""]) | strange_cells
        columns["sex"] = _column(draw, rows, st.sampled_from(["male", "female"]), strange, odd)
    for anchor in ANCHORS:
        if not draw(st.integers(0, 3)):
            day = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
            odd = st.dates() | strange_cells
            good = day | day.map(dt.date.isoformat) | st.none()
            columns[anchor] = _column(draw, rows, good, strange, odd)
    for _ in range(draw(st.integers(0, 2))):
        extra = draw(st.sampled_from(["note", "mrn", "height_cm", "unit", "Height", "", "0"]))
        columns.setdefault(extra, _column(draw, rows, st.integers(), 0.5))
    return columns


def outcome(call: Callable[[], Any], source: str) -> Any:
    """Run a reader; a DosingError must name ``source``; anything else propagates (a crash)."""
    from dosing import DosingError

    try:
        return call()
    except DosingError as exc:
        error = exc
    assert source in str(error), f"the error does not name the file {source!r}: {error}"
    return error
