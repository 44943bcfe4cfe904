"""The golden harness: reading reference tables, checking hand arithmetic, comparing quantities.

Every golden table in ``tests/golden/`` is a CSV with, on every row, an ``expected`` value, its
``unit``, a tolerance (``tol_kind`` ``abs`` or ``rel`` and ``tol``) that matches how its source
rounded, and a ``source``: a citation, or ``hand arithmetic: <expression>  <note>``. The expression
is evaluated here (with ``sqrt`` and ``log10`` only), so a documented calculation and its number
cannot drift apart. Expected values never come from :mod:`dosing`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

GOLDEN = Path(__file__).parent / "golden"

Row = dict[str, str]

#: How a hand-computed row's source starts.
HAND = "hand arithmetic: "
# The names a hand-arithmetic expression may use; nothing else is reachable from it.
_MATH: dict[str, Any] = {"sqrt": math.sqrt, "log10": math.log10, "exp": math.exp}


def load(name: str) -> list[Row]:
    """The rows of ``tests/golden/<name>``."""
    with (GOLDEN / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def cases(name: str) -> list[Any]:
    """One pytest parameter per CSV row, with the row's ``id`` as test id."""
    return [pytest.param(row, id=row["id"]) for row in load(name)]


def hand_value(row: Row) -> float:
    """The value of a hand-arithmetic row's expression (the source before any two-space note)."""
    assert row["source"].startswith(HAND), row["id"]
    expression = row["source"].removeprefix(HAND).split("  ")[0]
    return float(eval(expression, {"__builtins__": {}}, dict(_MATH)))


def assert_hand_arithmetic(row: Row) -> None:
    """The documented expression gives the row's expected value (to 1e-15)."""
    value = hand_value(row)
    assert math.isclose(value, float(row["expected"]), rel_tol=1e-15, abs_tol=0.0), (
        f"{row['id']}: the expression gives {value!r}, the row says {row['expected']}"
    )


def within(actual: float, row: Row) -> bool:
    """Whether ``actual`` (in the row's unit) meets the row's expected value and tolerance."""
    tol, expected = float(row["tol"]), float(row["expected"])
    if row["tol_kind"] == "abs":
        return math.isclose(actual, expected, rel_tol=0.0, abs_tol=tol)
    assert row["tol_kind"] == "rel", row["id"]
    return math.isclose(actual, expected, rel_tol=tol, abs_tol=0.0)


def assert_row(actual: Any, row: Row) -> None:
    """A Quantity equals the row's ``expected`` ``unit`` within the row's tolerance."""
    value = float(np.asarray(actual.m_as(row["unit"]), dtype=float))
    assert within(value, row), (
        f"{row['id']}: dosing gives {value!r} {row['unit']}, expected {row['expected']} "
        f"({row['tol_kind']} tolerance {row['tol']}); source: {row['source']}"
    )


def assert_quantity_allclose(
    actual: Any, expected: Any, *, rtol: float = 1e-12, atol: float = 0.0
) -> None:
    """Two Quantities (scalars or arrays) are equal within tolerance, in the same dimension.

    ``atol`` is in the units of ``expected``. A bare number on either side, or a dimension
    mismatch, fails: a unit-aware comparison never compares magnitudes of unknown units.

    Examples
    --------
    >>> from dosing import Q_
    >>> assert_quantity_allclose(Q_(1000, "mg"), Q_(1, "g"))
    >>> assert_quantity_allclose(Q_(1000, "mg"), Q_(1, "kg"))
    Traceback (most recent call last):
    ...
    AssertionError: ...
    """
    assert hasattr(actual, "units"), f"{actual!r} has no unit"
    assert hasattr(expected, "units"), f"{expected!r} has no unit"
    assert actual.dimensionality == expected.dimensionality, (
        f"{actual!r} and {expected!r} are of different dimensions"
    )
    if str(actual.units) != str(expected.units) and (
        _per_kg(actual.units) != _per_kg(expected.units)
    ):
        pytest.fail(f"{actual!r} and {expected!r} differ per kg (pint calls both dimensionless)")
    np.testing.assert_allclose(
        np.asarray(actual.m_as(expected.units), dtype=float),
        np.asarray(expected.magnitude, dtype=float),
        rtol=rtol,
        atol=atol,
    )


def _per_kg(unit: Any) -> bool:
    from dosing.units import is_per_weight

    return bool(is_per_weight(unit))
