"""Growth reference data: the CDC 2000 BMI-for-age medians, for a child's ideal body weight.

The CDC 2000 growth charts publish, for each sex and month of age from 2 to 20 years, the LMS
parameters of body-mass index; M is the median (50th percentile). The paediatric ideal body
weight by the BMI method is that median BMI times the child's height squared
(:func:`dosing.ideal_body_weight` with ``method="bmi_for_age"``).

The table ships as data (``dosing/data/cdc_bmi_for_age.toml``, public domain, with its source)
and is read once, here, by a loader that checks its age grid. Between the table's ages the median
is interpolated linearly in age, as the CDC's own programs do (cdcanthro); outside 24 to 240.5
months the table says nothing, and the ideal-weight method refuses to extrapolate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from dosing._data import load_toml
from dosing.references import check_references
from dosing.units import Q_, YEAR, Magnitude

__all__ = ["BMI_FOR_AGE_MONTHS", "GROWTH_REFERENCES", "median_bmi", "months"]

#: The packaged table, relative to the package.
_FILE: Final = "data/cdc_bmi_for_age.toml"


def _load() -> tuple[Any, Any, Any, tuple[str, ...]]:
    """The packaged table, read and checked (once, on import)."""
    return _read(load_toml(_FILE), _FILE)


def _read(data: Mapping[str, Any], where: str) -> tuple[Any, Any, Any, tuple[str, ...]]:
    """Ages [months] and each sex's median BMI [kg/m²] as read-only arrays, and the references.

    A packaging slip (a lost or doubled row, a value in the wrong column) fails here, on import,
    never silently: the ages must rise, both sexes need a median for every age, and every median
    must lie strictly between 10 and 30 kg/m² (the CDC medians from 2 to 20 years lie between
    15.1 and 23.1 kg/m²; the bounds are a plausibility screen, not a clinical fact).
    """
    references = check_references(data["references"], where)
    table = data["bmi_for_age"]
    ages = np.asarray(table["age_months"], dtype=np.float64)
    male = np.asarray(table["male"]["median_bmi"], dtype=np.float64)
    female = np.asarray(table["female"]["median_bmi"], dtype=np.float64)
    if not (ages.shape == male.shape == female.shape and np.all(np.diff(ages) > 0)):
        raise ValueError(f"{where}: ages must rise and match both sexes' medians")
    if not (np.all((male > 10) & (male < 30)) and np.all((female > 10) & (female < 30))):
        raise ValueError(f"{where}: a median BMI outside 10-30 kg/m²")
    for array in (ages, male, female):
        array.flags.writeable = False
    return ages, male, female, references


_AGES, _MALE, _FEMALE, GROWTH_REFERENCES = _load()

#: The ages the CDC BMI-for-age table covers [months]: 24 to 240.5.
BMI_FOR_AGE_MONTHS: Final = (float(_AGES[0]), float(_AGES[-1]))
#: One year in months, from pint.
_MONTHS_PER_YEAR: Final = float(Q_(1.0, YEAR).m_as("month"))


def months(age_years: Magnitude) -> Magnitude:
    """An age in years as months (pint's year and month: 12 months a year)."""
    return age_years * _MONTHS_PER_YEAR


def median_bmi(age_months: Magnitude, male: Any) -> Magnitude:
    """The CDC 2000 median BMI [kg/m²] for age [months] and sex, interpolated linearly in age.

    The caller checks that every age lies within :data:`BMI_FOR_AGE_MONTHS`; ``np.interp``
    would otherwise hold the end values, which is an extrapolation the table does not make.

    Examples
    --------
    >>> float(median_bmi(24.0, True))  # the table's first row for boys
    16.57502768
    >>> round(float(median_bmi(144.0, True)), 6)  # halfway between 143.5 and 144.5 months
    17.788127
    """
    as_male = np.interp(age_months, _AGES, _MALE)
    as_female = np.interp(age_months, _AGES, _FEMALE)
    result: Any = np.where(male, as_male, as_female)
    return float(result) if np.ndim(result) == 0 else result
