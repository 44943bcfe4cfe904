"""Dose amounts: how an amount scales with the patient, and the one unit each kind is kept in.

An amount per administration is per m² of body-surface area (``"bsa"``), per kg of weight
(``"weight"``), flat (``"flat"``) or a radiation dose (``"radiation"``, never scaled). Templates,
dose limits and prior exposures all write amounts, so they are read here once: :func:`classify`
tells the kind from the units (pint's dimensionless ``mg/kg`` is told apart by its units) and
refuses a unit that is not a clinical dose (``Mg/m2`` is megagram: never scaled by a million).
Each kind of amount is kept as one float in a canonical unit (:data:`CANONICAL`), so that the
arithmetic after reading it needs no unit conversion.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from dosing.errors import UnitsError
from dosing.units import (
    GY,
    IU,
    IU_PER_KG,
    IU_PER_M2,
    KG,
    M2,
    MG,
    MG_PER_KG,
    MG_PER_M2,
    is_per_bsa,
    is_per_weight,
    short,
)

__all__ = [
    "AMOUNT_KINDS",
    "CANONICAL",
    "DOSE_NUMERATORS",
    "KIND_WORDS",
    "Kind",
    "Measure",
    "classify",
]

#: How an amount scales: per m² of BSA, per kg of weight, flat, or radiation (never scaled); a
#: template line may also be by target AUC (``"auc"``) or by weight band (``"band"``, which
#: becomes a per-kg or flat line when it is expanded).
Kind = Literal["bsa", "weight", "flat", "radiation", "auc", "band"]
#: What it measures: a mass (mg), an activity (IU) or a radiation dose (Gy).
Measure = Literal["mass", "activity", "radiation"]

#: Canonical amount unit and dose unit, by kind and by what is given (mass or activity).
CANONICAL: Final[dict[tuple[str, str], tuple[Any, Any]]] = {
    ("bsa", "mass"): (MG_PER_M2, MG),
    ("bsa", "activity"): (IU_PER_M2, IU),
    ("weight", "mass"): (MG_PER_KG, MG),
    ("weight", "activity"): (IU_PER_KG, IU),
    ("flat", "mass"): (MG, MG),
    ("flat", "activity"): (IU, IU),
    ("radiation", "radiation"): (GY, GY),
}

#: The kinds an amount itself may be (a dose limit's kinds): not "auc" or "band", which are ways
#: a template line is dosed.
AMOUNT_KINDS: Final = ("bsa", "weight", "flat", "radiation")

#: The units an amount may be written in (numerator), over m² or kg or nothing.
DOSE_NUMERATORS: Final = frozenset(
    {
        "nanogram",
        "microgram",
        "milligram",
        "gram",
        "international_unit",
        "kilointernational_unit",
        "megainternational_unit",
        "gray",
        "centigray",
    }
)

#: How each kind is said in words: "per m²", "per kg", "flat", "of radiation".
KIND_WORDS: Final = {
    "bsa": "per m²",
    "weight": "per kg",
    "flat": "flat",
    "radiation": "in Gy",
    "auc": "by target AUC",
    "band": "by weight band",
}


def classify(amount: Any) -> tuple[Kind, Measure]:
    """The kind and measure of an amount, from its units.

    Raises
    ------
    UnitsError
        A unit that is not a clinical dose: write µg, mg or g (or IU, kIU, MIU), per m**2 or per
        kg, or Gy.

    Examples
    --------
    >>> from dosing import Q_
    >>> classify(Q_(2, "g/m**2")), classify(Q_(1.25, "mg/kg")), classify(Q_(2, "Gy"))
    (('bsa', 'mass'), ('weight', 'mass'), ('radiation', 'radiation'))
    >>> classify(Q_(2, "Mg/m**2"))
    Traceback (most recent call last):
    ...
    dosing.errors.UnitsError: megagram / meter ** 2 is not a unit of a clinical dose; write µg, \
mg or g (or IU, kIU, MIU), per m**2 or per kg, or Gy
    """
    unit = amount.units
    numerators = [name for name, power in unit._units.items() if power > 0]
    denominators = {name: power for name, power in unit._units.items() if power < 0}
    if (
        len(numerators) != 1
        or numerators[0] not in DOSE_NUMERATORS
        or (denominators and denominators not in ({"meter": -2}, {"kilogram": -1}))
    ):
        raise _not_a_dose(unit)
    if is_per_weight(unit):
        return "weight", "activity" if (unit * KG).dimensionality == IU.dimensionality else "mass"
    if is_per_bsa(unit):
        return "bsa", "activity" if (unit * M2).dimensionality == IU.dimensionality else "mass"
    if unit.dimensionality == MG.dimensionality:
        return "flat", "mass"
    if unit.dimensionality == IU.dimensionality:
        return "flat", "activity"
    if unit.dimensionality == GY.dimensionality and all(
        name.endswith("gray") for name in unit._units
    ):
        return "radiation", "radiation"
    raise _not_a_dose(unit)  # pragma: no cover  (every accepted numerator is handled above)


def _not_a_dose(unit: Any) -> UnitsError:
    return UnitsError(
        f"{unit} is not a unit of a clinical dose",
        value=short(unit),
        fix="write µg, mg or g (or IU, kIU, MIU), per m**2 or per kg, or Gy",
    )
