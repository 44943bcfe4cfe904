"""Limits on the work one input can cause, checked before it is read (bounds, not clinical facts).

A template or a data file is a few kilobytes, three or four levels deep. Anything far beyond that
is refused before any field is read, so that one line of input cannot take minutes, gigabytes or
Python's recursion limit: :func:`read_toml_file` bounds the file and catches ``tomllib``'s own
recursion (it recurses once per level of nested arrays or tables); :func:`check_size` walks a
mapping without recursion and refuses deep nesting, huge counts, long texts, integers too long to
print and keys that are not strings. The numbers are documented in ``docs/testing.md``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Final

__all__ = [
    "MAX_DIGITS",
    "MAX_FILE_BYTES",
    "MAX_ITEMS",
    "MAX_NESTING",
    "MAX_TEXT",
    "check_size",
    "parse_toml",
    "read_toml_file",
]

#: The largest data file read (bytes).
MAX_FILE_BYTES: Final = 1_000_000
#: The deepest nesting of tables and arrays (a template uses 4).
MAX_NESTING: Final = 16
#: The most values (tables, arrays, texts, numbers) in one input.
MAX_ITEMS: Final = 100_000
#: The longest text value (characters).
MAX_TEXT: Final = 10_000
#: The most digits of an integer (Python cannot even print one of more than 4,300).
MAX_DIGITS: Final = 4_000
_INT_LIMIT: Final = 10**MAX_DIGITS

#: ``fail(field, message)`` returns the error to raise (field None: the whole input).
Fail = Callable[[str | None, str], Exception]


def read_toml_file(path: str | PathLike[str], fail: Fail) -> dict[str, Any]:
    """The TOML file at ``path``, or ``fail(None, why)`` raised: unreadable, too large, not TOML,
    nested beyond ``tomllib``'s recursion."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise fail(None, f"the file is {size} bytes, more than the {MAX_FILE_BYTES} allowed")
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a NUL in the path
        raise fail(None, f"cannot read the file: {exc}") from None
    return parse_toml(text, fail)


def parse_toml(text: str, fail: Fail) -> dict[str, Any]:
    """``text`` read as TOML, or ``fail(None, why)`` raised: not TOML, nested beyond
    ``tomllib``'s recursion."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise fail(None, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise fail(
            None, f"arrays or tables nested too deeply (more than {MAX_NESTING} levels)"
        ) from None
    except ValueError as exc:  # an integer of more than 4,300 digits (int() refuses to read it)
        raise fail(None, f"a number too long to read: {exc}") from None


def check_size(data: object, fail: Fail) -> None:
    """Refuse ``data`` nested too deeply, holding too much, or with a key that is not a string.

    Iterative: no recursion however deep the input. ``fail(field, message)`` makes the error,
    with the field as a path (``dose[0].amount``).
    """
    count = 0
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        count += 1
        if count > MAX_ITEMS:
            raise fail(None, f"holds more than {MAX_ITEMS} values")
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise fail(where or None, f"a text of {len(value)} characters; at most {MAX_TEXT}")
            continue
        if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
            raise fail(where or None, f"an integer of more than {MAX_DIGITS} digits")
        if not isinstance(value, Mapping | list | tuple):
            continue
        if depth >= MAX_NESTING:
            raise fail(where or None, f"nested too deeply (more than {MAX_NESTING} levels)")
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    shown = type(key).__name__ if isinstance(key, int) else repr(key)[:40]
                    raise fail(where or None, f"a field name that is not a string ({shown})")
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        else:
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
