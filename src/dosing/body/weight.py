"""Body weights used for dosing: BMI, ideal, adjusted and lean body weight (fat-free mass).

Per-kg doses normally use actual (total) body weight. For obese patients some protocols use an
ideal body weight (IBW) or an adjusted body weight (AdjBW) instead; which one, and with which
factor, is a policy choice that differs between institutions (see ``docs/policies.md``).

The adult ideal-body-weight formulas are linear in height above 60 inches (152.4 cm). Below 60
inches they are extrapolated with a warning; where the extrapolation gives a weight that is not
physical (a small child) the call is refused, never floored. Given an age under 18 they warn and
name the paediatric method: ``method="bmi_for_age"``, the CDC 2000 median BMI for the child's age
and sex times height squared (2 to 20 years).

Lean body weight: James, Boer and Hume (adults); fat-free mass: Janmahasatian (adults) and
Al-Sallami (children and young adults, from 3 years; needs age).

Each formula is declared once, with its equation and citation, in :data:`IBW_FORMULAS` or
:data:`LBW_FORMULAS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from dosing._arrays import guard
from dosing._warn import warn
from dosing.body._sex import is_male
from dosing.body.growth import BMI_FOR_AGE_MONTHS, GROWTH_REFERENCES, median_bmi, months
from dosing.errors import (
    DomainError,
    Example,
    ImplausibleInputWarning,
    OutsidePopulationWarning,
    safe_repr,
)
from dosing.plausibility import ADULT_AGE_YEARS, BMI_LOW, RANGES, strip
from dosing.references import REFERENCES, Reference, check_references
from dosing.registry import Registry
from dosing.units import CM, INCH, KG, KG_PER_M2, Q_, YEAR, M, Magnitude

__all__ = [
    "IBW_FORMULAS",
    "LBW_FORMULAS",
    "WeightFormula",
    "adjusted_body_weight",
    "adjusted_kg",
    "bmi",
    "ideal_body_weight",
    "lean_body_weight",
]


def bmi(height: object, weight: object) -> Any:
    """Body-mass index: W [kg] / H [m]², unrounded.

    Examples
    --------
    >>> from dosing import Q_, bmi
    >>> bmi(Q_(150, "cm"), Q_(40, "kg"))  # 40 / 1.5² = 17.78
    <Quantity(17.7777778, 'kilogram / meter ** 2')>
    """
    height_m = strip(height, "height", M)
    weight_kg = strip(weight, "weight", KG)
    return Q_(weight_kg / (height_m * height_m), KG_PER_M2)


@dataclass(frozen=True, slots=True)
class WeightFormula:
    """One published body-weight formula: its kernel, equation and citation.

    Attributes
    ----------
    key : str
        The ``method=`` key.
    name : str
        Human-readable name.
    kernel : callable
        Magnitudes in, kg out: ``kernel(height, male)`` for ideal weight (height in the
        formula's own unit, :attr:`height_unit`), ``kernel(height_cm, weight_kg, male)`` for lean
        weight; a formula that needs age takes ``age_years`` last.
    equation : str
        The equation as published, by sex.
    reference : str
        Key into :data:`dosing.references.REFERENCES`.
    population : str
        Who the formula was derived in or is meant for.
    height_unit : pint.Unit
        The unit the kernel takes height in.
    needs_age : bool
        The kernel takes age (the paediatric ideal weight, Al-Sallami's fat-free mass).
    adults_only : bool
        An adult formula: given an age under 18 it warns (and names a paediatric method).
    ages : tuple of float, optional
        The ages [years] the formula was derived in, ``(low, high)`` inclusive: outside them it
        warns (``OutsidePopulationWarning``).
    """

    key: str
    name: str
    kernel: Callable[..., Magnitude]
    equation: str
    reference: str
    population: str
    height_unit: Any = CM
    needs_age: bool = False
    adults_only: bool = False
    ages: tuple[float, float] | None = None

    @property
    def citation(self) -> Reference:
        """The full :class:`~dosing.references.Reference`."""
        return REFERENCES[self.reference]


#: Read-only: ideal-body-weight formulas by key.
IBW_FORMULAS: Registry[WeightFormula] = Registry("method", name="IBW_FORMULAS")
#: Read-only: lean-body-weight formulas by key.
LBW_FORMULAS: Registry[WeightFormula] = Registry("method", name="LBW_FORMULAS")

#: The height the adult ideal-weight lines start from [in].
_IBW_BASE_INCHES: Final = 60.0
#: One inch in metres, from pint.
_INCH_IN_M: Final = float(Q_(1.0, INCH).m_as(M))


def _linear_ibw(
    key: str, name: str, reference: str, male: tuple[float, float], female: tuple[float, float]
) -> None:
    """Declare an adult IBW line: intercept [kg] + slope [kg/in] × (height [in] − 60)."""
    check_references((reference,), f"ideal body weight {key!r}")
    (male_a, male_b), (female_a, female_b) = male, female

    def kernel(height_in: Magnitude, is_male_: Any) -> Magnitude:
        intercept = np.where(is_male_, male_a, female_a)
        slope = np.where(is_male_, male_b, female_b)
        result: Any = intercept + slope * (height_in - _IBW_BASE_INCHES)
        return float(result) if np.ndim(result) == 0 else result

    equation = (
        f"male {male_a:g} + {male_b:g} (h − 60); female {female_a:g} + {female_b:g} (h − 60), "
        f"h = height in inches"
    )
    population = "adults, from 60 in (152.4 cm); extrapolated below with a warning"
    IBW_FORMULAS.register(
        key,
        WeightFormula(key, name, kernel, equation, reference, population, INCH, adults_only=True),
    )


_linear_ibw("devine", "Devine", "devine1974", (50.0, 2.3), (45.5, 2.3))
_linear_ibw("robinson", "Robinson", "robinson1983", (52.0, 1.9), (49.0, 1.7))
_linear_ibw("miller", "Miller", "miller1983", (56.2, 1.41), (53.1, 1.36))
_linear_ibw("hamwi", "Hamwi", "hamwi1964", (48.0, 2.7), (45.5, 2.2))

#: The paediatric ideal-weight method to name when an adult one is given a child.
PAEDIATRIC_IBW: Final = "bmi_for_age"


def _bmi_for_age(height_m: Magnitude, male: Any, age_years: Magnitude) -> Magnitude:
    """Ideal weight [kg] = CDC 2000 median BMI for age and sex [kg/m²] × height² [m²]."""
    result: Any = median_bmi(months(age_years), male) * height_m * height_m
    return float(result) if np.ndim(result) == 0 else result


check_references(("ward2018", "nutritioncarepro-ibw", *GROWTH_REFERENCES), "bmi_for_age")
IBW_FORMULAS.register(
    PAEDIATRIC_IBW,
    WeightFormula(
        PAEDIATRIC_IBW,
        "BMI-for-age (CDC 2000 median)",
        _bmi_for_age,
        "IBW = BMI₅₀(age, sex) × H², H in m; BMI₅₀ = the CDC 2000 median BMI-for-age, "
        "interpolated linearly between the table's months",
        "ward2018",
        "children and adolescents from 2 to 20 years (the CDC 2000 BMI-for-age charts); "
        "not defined under 2 years",
        M,
        needs_age=True,
        ages=(BMI_FOR_AGE_MONTHS[0] / 12.0, BMI_FOR_AGE_MONTHS[1] / 12.0),
    ),
)


def ideal_body_weight(
    height: object, *, sex: object, method: str = "devine", age: object = None
) -> Any:
    """Ideal body weight [kg] from height and sex: an adult formula, or the paediatric method.

    Adult formulas, IBW = a + b × (height [in] − 60), with a and b per sex:

    ========  ======================  ======================
    method    male                    female
    ========  ======================  ======================
    devine    50 + 2.3 (h − 60)       45.5 + 2.3 (h − 60)
    robinson  52 + 1.9 (h − 60)       49 + 1.7 (h − 60)
    miller    56.2 + 1.41 (h − 60)    53.1 + 1.36 (h − 60)
    hamwi     48 + 2.7 (h − 60)       45.5 + 2.2 (h − 60)
    ========  ======================  ======================

    Below 60 inches the line is extrapolated with an :class:`~dosing.OutsidePopulationWarning`
    (as clinPK does). Where the result is below the plausible weight floor (0.3 kg) or not
    positive, as for a small child, it raises :class:`~dosing.DomainError`: never floored. With an
    ``age`` under 18 an adult formula warns and names the paediatric method.

    Paediatric: ``method="bmi_for_age"``, IBW = the CDC 2000 median BMI for the child's age and
    sex × height² (the BMI method; Ward et al. 2018). It needs ``age`` and is defined from 2 to 20
    years, where the CDC table is; outside them it raises.

    References
    ----------
    devine1974, robinson1983, miller1983, hamwi1964, ward2018, kuczmarski2002

    Examples
    --------
    >>> from dosing import Q_, ideal_body_weight
    >>> ideal_body_weight(Q_(180, "cm"), sex="male")  # 50 + 2.3 × (70.866 − 60) = 74.99
    <Quantity(74.992126, 'kilogram')>
    >>> # a 12-year-old boy, 150 cm: CDC median BMI at 144 months 17.788 × 1.5² = 40.02 kg
    >>> ideal_body_weight(Q_(150, "cm"), sex="male", method="bmi_for_age", age=Q_(12, "year"))
    <Quantity(40.0232863, 'kilogram')>
    """
    formula = IBW_FORMULAS[method]
    height_value = strip(height, "height", formula.height_unit, limit="height")
    male = is_male(sex, f"ideal_body_weight(method={method!r})")
    age_years = None if age is None else strip(age, "age", YEAR)
    if formula.needs_age:
        if age_years is None:
            raise DomainError(
                f"is needed by ideal_body_weight(method={method!r})",
                argument="age",
                value=None,
                fix=Example({"age": Q_(12, "year")}, verb="give"),
                message=f"ideal_body_weight(method={method!r}) needs age: give age=Q_(12, 'year')",
            )
        return Q_(_paediatric_ibw(formula, height_value, male, age_years), KG)
    ibw = formula.kernel(height_value, male)
    floor = RANGES["weight"].low

    def check(ibw_block: Any, height_block: Any) -> None:
        # An ideal weight that no body of that height has (below the plausible weight, or a BMI
        # under the library's screening band) is the adult line extrapolated too far.
        implied_bmi = np.asarray(ibw_block) / (np.asarray(height_block) * _INCH_IN_M) ** 2
        bad = (np.asarray(ibw_block) < floor) | (implied_bmi < BMI_LOW)
        if np.any(bad):
            index = int(np.argmax(bad))
            shortest = Q_(float(np.asarray(height_block).flat[index]), INCH).to(CM)
            raise DomainError(
                f"is not meaningful for height={shortest:.1f~P}: the adult formula gives "
                f"{float(np.asarray(ibw_block).flat[index]):.3g} kg, a BMI of "
                f"{float(implied_bmi.flat[index]):.3g} kg/m² at that height",
                argument="height",
                value=shortest,
                fix=f"Use actual body weight, or the paediatric method={PAEDIATRIC_IBW!r}",
                message=f"ideal_body_weight(method={method!r}) is not meaningful for height="
                f"{shortest:.1f~P}: the adult formula gives "
                f"{float(np.asarray(ibw_block).flat[index]):.3g} kg, a BMI of "
                f"{float(implied_bmi.flat[index]):.3g} kg/m² at that height. Use actual body "
                f"weight, or the paediatric method={PAEDIATRIC_IBW!r}",
            )
        short = np.asarray(height_block) < _IBW_BASE_INCHES
        if np.any(short):
            warn(
                f"ideal_body_weight(method={method!r}) is an adult formula defined from 60 in "
                f"(152.4 cm); it is extrapolated below that height",
                OutsidePopulationWarning,
                stacklevel=4,
                where=short,
            )

    result = guard(ibw, check, ibw, height_value)
    if age_years is not None:
        result = guard(result, _warn_adult_formula_for_child(method), age_years)
    return Q_(result, KG)


def _warn_adult_formula_for_child(method: str) -> Callable[[Any], None]:
    def check(age_block: Any) -> None:
        children = np.asarray(age_block) < ADULT_AGE_YEARS
        if np.any(children):
            warn(
                f"ideal_body_weight(method={method!r}) is an adult formula, applied here to a "
                f"patient under {ADULT_AGE_YEARS:g} years; for a child use "
                f"method={PAEDIATRIC_IBW!r} (CDC 2000 BMI-for-age, 2 to 20 years)",
                OutsidePopulationWarning,
                stacklevel=4,
                where=children,
            )

    return check


def _paediatric_ibw(
    formula: WeightFormula, height_m: Magnitude, male: Any, age_years: Magnitude
) -> Magnitude:
    """The BMI-for-age ideal weight, refused outside the ages the CDC table covers."""
    assert formula.ages is not None
    low, high = formula.ages

    def check(age_block: Any) -> None:
        ages = np.asarray(age_block)
        outside = (ages < low * (1 - 1e-12)) | (ages > high * (1 + 1e-12))
        if np.any(outside):
            first = float(ages.flat[int(np.argmax(outside))])
            raise DomainError(
                f"is outside the CDC 2000 BMI-for-age table ({low:g} to {high:.4g} years), "
                f"which method={formula.key!r} reads",
                argument="age",
                value=Q_(first, YEAR),
                fix="under 2 years use actual body weight; from 20 years an adult formula "
                "(method='devine')",
            )

    ibw = formula.kernel(height_m, male, age_years)
    return guard(ibw, check, age_years)  # type: ignore[no-any-return]


def adjusted_body_weight(weight: object, ideal: object, factor: float = 0.4) -> Any:
    """Adjusted body weight [kg] = IBW + factor × (actual − IBW).

    ``factor`` differs between sources (0.4 in clinPK and carboplatin templates, 0.25 for
    "ABW25" in transplant practice, 0.5 in some hospitals), so it is a parameter in [0, 1].
    When actual weight is below ideal the result exceeds actual weight; that warns, since most
    protocols then use actual weight.

    Examples
    --------
    >>> from dosing import Q_, adjusted_body_weight
    >>> adjusted_body_weight(Q_(120, "kg"), Q_(70, "kg"))  # 70 + 0.4 × 50 = 90
    <Quantity(90.0, 'kilogram')>
    """
    if (
        isinstance(factor, bool)
        or not isinstance(factor, int | float | np.integer | np.floating)
        or not (0.0 <= float(factor) <= 1.0)
    ):
        raise DomainError(
            "must be a number from 0 to 1 (e.g. factor=0.4); it is the fraction of the excess "
            "over ideal body weight that is added back",
            argument="factor",
            value=factor,
            shown=safe_repr(factor),
        )
    actual_kg = strip(weight, "weight", KG)
    ideal_kg = strip(ideal, "ideal", KG, limit="weight")

    def check(actual_block: Any, ideal_block: Any) -> None:
        below = np.asarray(actual_block) < np.asarray(ideal_block)
        if np.any(below):
            warn(
                "weight is below ideal body weight, so the adjusted body weight exceeds the "
                "actual weight; most protocols use actual weight in that case",
                ImplausibleInputWarning,
                stacklevel=4,
                where=below,
            )

    adjusted = adjusted_kg(actual_kg, ideal_kg, float(factor))
    return Q_(guard(adjusted, check, actual_kg, ideal_kg), KG)


def adjusted_kg(actual_kg: Any, ideal_kg: Any, factor: float) -> Any:
    """The adjusted-weight kernel on magnitudes [kg]: IBW + factor × (actual − IBW)."""
    return ideal_kg + factor * (actual_kg - ideal_kg)


def _james(height_cm: Magnitude, weight_kg: Magnitude, male: Any) -> Magnitude:
    ratio_sq = (weight_kg / height_cm) ** 2
    return np.where(male, 1.1 * weight_kg - 128.0 * ratio_sq, 1.07 * weight_kg - 148.0 * ratio_sq)


def _janmahasatian(height_cm: Magnitude, weight_kg: Magnitude, male: Any) -> Magnitude:
    bmi_value = weight_kg / (height_cm * height_cm) * _KG_PER_CM2_IN_KG_PER_M2
    return np.where(
        male,
        9270.0 * weight_kg / (6680.0 + 216.0 * bmi_value),
        9270.0 * weight_kg / (8780.0 + 244.0 * bmi_value),
    )


#: 1 kg/cm² in kg/m², from pint (BMI from a height in cm).
_KG_PER_CM2_IN_KG_PER_M2: Final = float(Q_(1.0, "kg/cm**2").m_as(KG_PER_M2))


def _boer(height_cm: Magnitude, weight_kg: Magnitude, male: Any) -> Magnitude:
    return np.where(
        male,
        0.407 * weight_kg + 0.267 * height_cm - 19.2,
        0.252 * weight_kg + 0.473 * height_cm - 48.3,
    )


def _hume(height_cm: Magnitude, weight_kg: Magnitude, male: Any) -> Magnitude:
    return np.where(
        male,
        0.32810 * weight_kg + 0.33929 * height_cm - 29.5336,
        0.29569 * weight_kg + 0.41813 * height_cm - 43.2933,
    )


def _al_sallami(
    height_cm: Magnitude, weight_kg: Magnitude, male: Any, age_years: Magnitude
) -> Magnitude:
    # Janmahasatian's adult fat-free mass times a sigmoid maturation factor in age; age 0 has
    # no value (a negative power of zero), and the plausible ages start above it for this
    # formula's derivation anyway (from 3 years).
    with np.errstate(divide="ignore"):
        as_male = 0.88 + (1.0 - 0.88) / (1.0 + np.power(age_years / 13.4, -12.7))
        as_female = 1.11 + (1.0 - 1.11) / (1.0 + np.power(age_years / 7.1, -1.1))
    return np.where(male, as_male, as_female) * _janmahasatian(height_cm, weight_kg, male)


for _formula in (
    WeightFormula(
        "james",
        "James",
        _james,
        "male 1.1 W − 128 (W/H)²; female 1.07 W − 148 (W/H)² (H in cm, W in kg)",
        "james1976",
        "adults; turns down and then negative at high BMI, where it is refused",
    ),
    WeightFormula(
        "janmahasatian",
        "Janmahasatian",
        _janmahasatian,
        "male 9270 W / (6680 + 216 BMI); female 9270 W / (8780 + 244 BMI)",
        "janmahasatian2005",
        "adults of a wide range of body size (fat-free mass by DXA and bioimpedance)",
    ),
    WeightFormula(
        "boer",
        "Boer",
        _boer,
        "male 0.407 W + 0.267 H − 19.2; female 0.252 W + 0.473 H − 48.3 (H in cm, W in kg)",
        "boer1984",
        "adults (derivation population not verified here); a non-positive result, as for a "
        "small child, is refused",
    ),
    WeightFormula(
        "hume",
        "Hume",
        _hume,
        "male 0.32810 W + 0.33929 H − 29.5336; female 0.29569 W + 0.41813 H − 43.2933 "
        "(H in cm, W in kg)",
        "hume1966",
        "adults (derivation population not verified here); a non-positive result, as for a "
        "small child, is refused",
    ),
    WeightFormula(
        "al_sallami",
        "Al-Sallami (fat-free mass in children)",
        _al_sallami,
        "male [0.88 + 0.12 / (1 + (age/13.4)^−12.7)] × 9270 W / (6680 + 216 BMI); female "
        "[1.11 − 0.11 / (1 + (age/7.1)^−1.1)] × 9270 W / (8780 + 244 BMI) (age in years)",
        "alsallami2015",
        "496 girls and 515 boys aged 3 to 29 years, BMI 12 to 44.9 kg/m² (test set 176); needs age",
        needs_age=True,
        ages=(3.0, 29.0),
    ),
):
    check_references((_formula.reference,), f"lean body weight {_formula.key!r}")
    LBW_FORMULAS.register(_formula.key, _formula)


def lean_body_weight(
    height: object, weight: object, *, sex: object, method: str = "james", age: object = None
) -> Any:
    """Lean body weight, or fat-free mass [kg].

    * ``james``: male 1.1 W − 128 (W/H)²; female 1.07 W − 148 (W/H)² (H in cm, W in kg). It
      turns down and then negative at high BMI; a result past its peak raises.
    * ``boer``: male 0.407 W + 0.267 H − 19.2; female 0.252 W + 0.473 H − 48.3.
    * ``hume``: male 0.32810 W + 0.33929 H − 29.5336; female 0.29569 W + 0.41813 H − 43.2933.
    * ``janmahasatian`` (fat-free mass): male 9270 W / (6680 + 216 BMI); female
      9270 W / (8780 + 244 BMI).
    * ``al_sallami`` (fat-free mass in children, needs ``age``): Janmahasatian's × a maturation
      factor, male 0.88 + 0.12 / (1 + (age/13.4)^−12.7), female 1.11 − 0.11 / (1 +
      (age/7.1)^−1.1); derived from 3 to 29 years, outside which it warns.

    A non-positive result (Boer or Hume for a small child) raises: never floored.

    References
    ----------
    james1976, boer1984, hume1966, janmahasatian2005, alsallami2015

    Examples
    --------
    >>> from dosing import Q_, lean_body_weight
    >>> lean_body_weight(Q_(180, "cm"), Q_(80, "kg"), sex="male")  # 88 − 128 × (80/180)²
    <Quantity(62.7160494, 'kilogram')>
    >>> lean_body_weight(Q_(180, "cm"), Q_(80, "kg"), sex="male", method="boer")
    <Quantity(61.42, 'kilogram')>
    """
    formula = LBW_FORMULAS[method]
    height_cm = strip(height, "height", CM)
    weight_kg = strip(weight, "weight", KG)
    male = is_male(sex, f"lean_body_weight(method={method!r})")
    lbw: Any
    age_years = None if age is None else strip(age, "age", YEAR)
    if formula.needs_age:
        if age_years is None:
            raise DomainError(
                f"is needed by lean_body_weight(method={method!r})",
                argument="age",
                value=None,
                fix=Example({"age": Q_(12, "year")}, verb="give"),
                message=f"lean_body_weight(method={method!r}) needs age: give age=Q_(12, 'year')",
            )
        lbw = formula.kernel(height_cm, weight_kg, male, age_years)
    else:
        lbw = formula.kernel(height_cm, weight_kg, male)
    if np.ndim(lbw) == 0:
        lbw = float(lbw)

    def check(block: Any, weight_block: Any, height_block: Any, male_block: Any) -> None:
        # James peaks where d(LBW)/dW = 0: W/H² = 1.1/256 (men) or 1.07/296 (women), H in cm.
        # Beyond it more weight gives less lean mass, which is meaningless: refuse.
        ratio = np.asarray(weight_block) / np.asarray(height_block) ** 2
        peak = np.where(male_block, 1.1 / 256.0, 1.07 / 296.0)
        past_peak = (ratio >= peak) if method == "james" else np.zeros_like(ratio, dtype=bool)
        if np.any(past_peak):
            message = (
                f"lean_body_weight(method={method!r}) is not meaningful for height={height!r}, "
                f"weight={weight!r}: the James formula falls as weight rises beyond a BMI of "
                f"about 43 kg/m² (men) or 36 kg/m² (women); use method='janmahasatian'"
            )
            raise DomainError(
                "is past the peak of the James formula",
                argument="method",
                value=method,
                fix="use method='janmahasatian'",
                message=message,
            )
        if np.any(~(np.asarray(block) > 0)):
            raise DomainError(
                f"gives a lean body weight that is not positive for height={height!r}, "
                f"weight={weight!r} (a formula derived in adults, applied to a small body)",
                argument="method",
                value=method,
                fix="use actual body weight, or method='al_sallami' for a child from 3 years",
            )

    result = guard(lbw, check, lbw, weight_kg, height_cm, male)
    if formula.ages is not None and age_years is not None:
        result = guard(result, _warn_outside_ages(formula), age_years)
    return Q_(result, KG)


def _warn_outside_ages(formula: WeightFormula) -> Callable[[Any], None]:
    assert formula.ages is not None
    low, high = formula.ages

    def check(age_block: Any) -> None:
        ages = np.asarray(age_block)
        outside = (ages < low) | (ages > high)
        if np.any(outside):
            warn(
                f"method={formula.key!r} ({formula.name}) was derived from {low:g} to {high:g} "
                f"years; it is applied here outside that age",
                OutsidePopulationWarning,
                stacklevel=4,
                where=outside,
            )

    return check
