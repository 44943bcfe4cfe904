"""Numbers and units as people read them: shared by the basis descriptions and the text outputs.

Display only: records (JSON, CSV, frames) keep every value at full precision.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any, Final

import numpy as np

from dosing._arrays import is_lazy
from dosing.units import short

__all__ = ["TABLE_WIDTH", "display_unit", "given_text", "number_text", "value_text", "wrap"]

#: Text output is meant to be read in an 80-column terminal.
TABLE_WIDTH: Final = 80


def display_unit(unit: Any) -> str:
    """A unit as printed: ``mg/m²``, ``mL/min/1.73 m²``, ``mg·min/mL`` (a product with a
    middle dot, as the text says it; records and CSV carry the UCUM code, ``mg.min/mL``).

    Examples
    --------
    >>> from dosing import ureg
    >>> display_unit(ureg.Unit("mg*min/mL")), display_unit(ureg.Unit("mg/m**2"))
    ('mg·min/mL', 'mg/m²')
    """
    text = short(unit).replace("**2", "²").replace("standard_bsa", "1.73 m²")
    return re.sub(r"(?<!\*)\*(?!\*)", "·", text)


def number_text(number: float, given: bool = False) -> str:
    """A number as printed: as given (``150``, ``0.8``), or to four significant figures.

    Trailing zeros are kept (39.00 mg, not 39 mg, for 38.998 mg), so that a displayed value never
    looks more exact than it is.

    Examples
    --------
    >>> number_text(38.998), number_text(1.2909944), number_text(1234.5), number_text(0.8, True)
    ('39.00', '1.291', '1234', '0.8')
    """
    if number == 0:
        return "0"
    if given:
        return f"{number:g}"
    if abs(number) >= 1000:
        return f"{number:.0f}"
    return f"{number:#.4g}".rstrip(".")


def value_text(value: Any, unit: Any, *, given: bool = False) -> str:
    """A value (or the range of an array of values) with its unit, e.g. ``1.291–2.000 m²``.

    A lazy (dask) array is never computed just to be shown.
    """
    symbol = display_unit(unit)
    if is_lazy(value):
        return f"(per patient, computed lazily) {symbol}"
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{number_text(float(array), given)} {symbol}"
    low, high = number_text(float(array.min()), given), number_text(float(array.max()), given)
    return f"{low}–{high} {symbol}"


def given_text(value: Any, unit: Any) -> str:
    """A value as written by the user or the template (150 cm, 0.8 mg/m²): no added zeros."""
    return value_text(value, unit, given=True)


def wrap(line: str) -> list[str]:
    """A long line wrapped at :data:`TABLE_WIDTH`, continuation lines indented by two."""
    return textwrap.wrap(line, width=TABLE_WIDTH, subsequent_indent="  ", break_on_hyphens=False)
