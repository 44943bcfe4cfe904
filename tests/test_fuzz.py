"""The readers of user files never crash (issue 16): a bounded fuzz run in every test run.

The same properties run for 10^5 cases and more with ``python scripts/fuzz.py`` (see
``docs/testing.md``); here each runs a fixed number of examples (``DOSING_FUZZ_EXAMPLES``,
default 60), so that the suite stays fast. A hang fails through hypothesis's deadline.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
import warnings

import pytest
from hypothesis import HealthCheck, given, settings

import dosing
from dosing import Q_, DosingError, Patient, Regimen
from dosing.dose_limits import LimitTable, load_limits
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
