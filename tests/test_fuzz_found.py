"""The inputs the fuzzer found (issue 16), each now refused by name: one test per kind of input.

Every case below once crashed a reader (the exception it raised is in its comment) or was
refused without the file's or column's name, or was read silently as something else; found by
``tests/test_fuzz.py``'s properties and ``scripts/fuzz.py`` (see ``docs/testing.md``), or while
reading the reader for them.
"""

from __future__ import annotations

import pathlib

import pytest

import dosing
from dosing import DosingError
from dosing.dose_limits import load_limits

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
