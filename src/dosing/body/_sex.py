"""Reading the ``sex`` argument: ``"male"`` or ``"female"``, one string or an array of them."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from dosing.errors import DomainError, UnknownKeyError

SEXES = ("male", "female")


def is_male(sex: object, needed_by: str) -> bool | npt.NDArray[np.bool_]:
    """``True`` where ``sex`` is ``"male"``; refuse a missing or unknown value.

    There is no default sex: a formula that needs it and does not get it raises, naming the
    formula (``needed_by``).
    """
    if sex is None:
        raise DomainError(
            f"{needed_by} needs sex",
            argument="sex",
            value=None,
            fix="pass sex='male' or sex='female'",
            message=f"{needed_by} needs sex; pass sex='male' or sex='female'",
        )
    if isinstance(sex, str):
        if sex not in SEXES:
            raise UnknownKeyError("sex", sex, SEXES)
        return sex == "male"
    if isinstance(sex, np.ma.MaskedArray):
        raise DomainError(
            "is a masked array: dosing reads every element and would not see the mask",
            argument="sex",
            value=sex,
            shown=f"masked_array({sex})",  # one line, as numpy prints it ("..." when long)
            fix="give only the patients to dose (sex.compressed()) or fill the masked values",
        )
    values: Any = np.asarray(sex)
    if values.dtype.kind not in "US" or values.size == 0:
        raise UnknownKeyError("sex", sex, SEXES)
    male: npt.NDArray[np.bool_] = values == "male"
    known = values == "female"  # two comparisons, not np.isin (which sorts the strings)
    known |= male
    if not known.all():
        first = values.ravel()[int(np.argmin(known.ravel()))]
        raise UnknownKeyError("sex", str(first), SEXES)
    return male


def validate_sex(sex: object) -> object:
    """Validate an optional ``sex`` field (``None`` allowed) and return it unchanged."""
    if sex is not None:
        is_male(sex, "sex")
    return sex
