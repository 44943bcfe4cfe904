"""Body-surface area (BSA): every published formula, one function each, picked by key.

Cytotoxic doses are prescribed per m² of body-surface area. BSA is not measured at the bedside but
estimated from height and weight by one of many empirical formulas, which differ by a few percent
for an average adult and by more at the extremes of size. Which one a unit uses is a policy
choice; :mod:`dosing` uses Mosteller unless told otherwise and records the formula on every dose.

The functions named after their authors (:func:`mosteller`, :func:`dubois`, ...) are the formula
kernels: they take plain magnitudes in the units their paper uses (height [cm], weight [kg];
Boyd's weight [g]) and return BSA [m²], vectorised over numpy arrays and never rounded. Use
:func:`bsa` (``dosing.bsa``) to call them with Quantities: it checks and strips the units once,
checks every element against the plausibility ranges, and wraps the result in m².

Each kernel is declared once with its equation, citation and derivation population
(``@_formula(...)``), which registers it in :data:`BSA_FORMULAS` and writes its docstring.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, TypeVar

import numpy as np

from dosing._arrays import guard, is_lazy, keep_checks
from dosing._warn import warn
from dosing.body._sex import is_male
from dosing.errors import OutsidePopulationWarning
from dosing.plausibility import (
    ADULT_AGE_YEARS,
    CHILD_HEIGHT_CM,
    CHILD_WEIGHT_KG,
    bounds,
    checked,
    same_shape,
    strip,
)
from dosing.references import REFERENCES, Reference, check_references
from dosing.registry import Registry
from dosing.units import CM, KG, M2, Q_, YEAR, G, Magnitude, magnitude, quantity

__all__ = [
    "BSA_FORMULAS",
    "BSAFormula",
    "boyd",
    "bsa",
    "dubois",
    "fujimoto",
    "gehan_george",
    "haycock",
    "livingston_lee",
    "mosteller",
    "schlich",
    "shuter_aslani",
    "takahira",
    "yu_2010",
]


@dataclass(frozen=True, slots=True)
class BSAFormula:
    """One BSA formula: its kernel, equation, citation and derivation population.

    Call it with Quantities like :func:`bsa`: ``BSA_FORMULAS["dubois"](height, weight)``.

    Attributes
    ----------
    key : str
        The ``method=`` key.
    name : str
        Human-readable name.
    kernel : callable
        The float kernel (see the module docstring for its units).
    equation : str
        The equation as published (H in cm, W in kg unless stated).
    reference : str
        Key into :data:`dosing.references.REFERENCES`.
    population : str
        Who the formula was derived in.
    uses_height, needs_sex : bool
        Which inputs the formula uses.
    adults_only : bool
        Derived in adults only: a child gets an :class:`~dosing.OutsidePopulationWarning`.
    weight_unit : pint.Unit
        The unit the kernel takes weight in (kg, or g for Boyd).
    note : str
        A caveat beyond the equation (empty when there is none).
    """

    key: str
    name: str
    kernel: Callable[..., Magnitude]
    equation: str
    reference: str
    population: str
    uses_height: bool = True
    needs_sex: bool = False
    adults_only: bool = False
    weight_unit: Any = KG
    note: str = ""

    @property
    def citation(self) -> Reference:
        """The full :class:`~dosing.references.Reference`."""
        return REFERENCES[self.reference]

    def __call__(
        self, height: object, weight: object, *, sex: object = None, age: object = None
    ) -> Any:
        return bsa(height, weight, method=self.key, sex=sex, age=age)

    def docstring(self, examples: str | None) -> str:
        """The kernel's docstring, made from this metadata (and the kernel's own examples)."""
        parts = [f"{self.name}: {self.equation} [m²].", f"Derived in: {self.population}"]
        if self.note:
            parts.append(self.note)
        parts.append(f"References\n----------\n{self.reference}")
        if examples:
            parts.append(inspect.cleandoc(examples))
        return "\n\n".join(parts) + "\n"


#: Read-only mapping: key -> :class:`BSAFormula`.
BSA_FORMULAS: Registry[BSAFormula] = Registry("method", name="BSA_FORMULAS")

K = TypeVar("K", bound=Callable[..., Any])


def _formula(
    key: str, name: str, equation: str, reference: str, population: str, **options: Any
) -> Callable[[K], K]:
    """Declare the decorated kernel as formula ``key``: register it and write its docstring.

    The equation, citation and population are written here once; the kernel's own docstring holds
    only its examples, if any.
    """

    def register(kernel: K) -> K:
        check_references((reference,), f"BSA formula {key!r}")
        formula = BSAFormula(key, name, kernel, equation, reference, population, **options)
        kernel.__doc__ = formula.docstring(kernel.__doc__)
        BSA_FORMULAS.register(key, formula)
        return kernel

    return register


# ---------------------------------------------------------------------------------------------
# Kernels: magnitudes in, m² out. Never round here.


#: Mosteller's 1/3600 multiplied rather than divided by: a multiplication costs a
#: third of a division over a cohort held in cache, and the area differs from ``/ 3600`` by at
#: most one unit in the last place (2.2e-16 relative), the rounding of 1/3600 itself.
_PER_3600: Final = 1.0 / 3600.0


@_formula(
    "mosteller",
    "Mosteller",
    "BSA = sqrt(H × W / 3600)",
    "mosteller1987",
    "A simplified form of the Gehan & George fit, checked by Mosteller against the Du Bois, "
    "Gehan-George and Haycock formulas; used for children and adults.",
)
def mosteller(height_cm: Magnitude, weight_kg: Magnitude) -> Magnitude:
    """Examples
    --------
    >>> float(mosteller(150.0, 40.0))  # sqrt(6000 / 3600) = sqrt(5/3)
    1.2909944487358056
    """
    if isinstance(height_cm, float) and isinstance(weight_kg, float):
        return math.sqrt(height_cm * weight_kg * _PER_3600)
    product = np.multiply(height_cm, weight_kg)
    if isinstance(product, np.ndarray):
        # In place on the fresh product: one temporary instead of three for a large cohort.
        product *= _PER_3600
        return np.sqrt(product, out=product)
    root: Magnitude = np.sqrt(product * _PER_3600)  # pragma: no cover  (other array libraries)
    return root  # pragma: no cover


@_formula(
    "dubois",
    "Du Bois & Du Bois",
    "BSA = 0.007184 × W^0.425 × H^0.725",
    "dubois1916",
    "Nine subjects measured by moulding (1916), mostly adults.",
)
def dubois(height_cm: Magnitude, weight_kg: Magnitude) -> Magnitude:
    return 0.007184 * np.power(weight_kg, 0.425) * np.power(height_cm, 0.725)


@_formula(
    "haycock",
    "Haycock",
    "BSA = 0.024265 × W^0.5378 × H^0.3964",
    "haycock1978",
    "Geometric measurements in infants, children and adults.",
)
def haycock(height_cm: Magnitude, weight_kg: Magnitude) -> Magnitude:
    return 0.024265 * np.power(weight_kg, 0.5378) * np.power(height_cm, 0.3964)


@_formula(
    "gehan_george",
    "Gehan & George",
    "BSA = 0.0235 × W^0.51456 × H^0.42246",
    "gehan1970",
    "A least-squares re-fit of Boyd's collected measurements, all ages.",
)
def gehan_george(height_cm: Magnitude, weight_kg: Magnitude) -> Magnitude:
    return 0.0235 * np.power(weight_kg, 0.51456) * np.power(height_cm, 0.42246)


@_formula(
    "boyd",
    "Boyd",
    "BSA = 0.0003207 × H^0.3 × Wg^(0.7285 − 0.0188 × log10(Wg)), Wg = weight in grams",
    "boyd1935",
    "Boyd's compilation of surface-area measurements across all ages.",
    weight_unit=G,
    note="The kernel takes weight in grams. The logarithm is base 10; the natural log (a slip "
    "seen in public code) gives about 40 m².",
)
def boyd(height_cm: Magnitude, weight_g: Magnitude) -> Magnitude:
    exponent = 0.7285 - 0.0188 * np.log10(weight_g)
    return 0.0003207 * np.power(height_cm, 0.3) * np.power(weight_g, exponent)


@_formula(
    "fujimoto",
    "Fujimoto",
    "BSA = 0.008883 × W^0.444 × H^0.663",
    "fujimoto1968",
    "Japanese subjects of all ages.",
)
def fujimoto(height_cm: Magnitude, weight_kg: Magnitude) -> Magnitude:
    return 0.008883 * np.power(weight_kg, 0.444) * np.power(height_cm, 0.663)


@_formula(
    "takahira",
    "Takahira",
    "BSA = 0.007241 × W^0.425 × H^0.725",
    "takahira1925",
    "Japanese subjects (as cited by Fujimoto et al. 1968).",
)
def takahira(height_cm: Magnitude, weight_kg: Magnitude) -> Magnitude:
    return 0.007241 * np.power(weight_kg, 0.425) * np.power(height_cm, 0.725)


@_formula(
    "shuter_aslani",
    "Shuter & Aslani",
    "BSA = 0.00949 × W^0.441 × H^0.655",
    "shuter2000",
    "Adults: a re-analysis of Du Bois & Du Bois with further measured subjects.",
)
def shuter_aslani(height_cm: Magnitude, weight_kg: Magnitude) -> Magnitude:
    return 0.00949 * np.power(weight_kg, 0.441) * np.power(height_cm, 0.655)


@_formula(
    "schlich",
    "Schlich",
    "male: BSA = 0.000579479 × W^0.38 × H^1.24; female: BSA = 0.000975482 × W^0.46 × H^1.08",
    "schlich2010",
    "German adults measured by 3-D body scan; sex-specific; implausible for children.",
    needs_sex=True,
    adults_only=True,
    note="The kernel's ``male`` is a bool or a boolean array.",
)
def schlich(height_cm: Magnitude, weight_kg: Magnitude, male: Any) -> Magnitude:
    as_male = 0.000579479 * np.power(weight_kg, 0.38) * np.power(height_cm, 1.24)
    as_female = 0.000975482 * np.power(weight_kg, 0.46) * np.power(height_cm, 1.08)
    return np.where(male, as_male, as_female) if np.ndim(male) else (as_male if male else as_female)


#: Livingston & Lee fit a separate curve below this weight [kg].
LIVINGSTON_LEE_SWITCH_KG: Final = 10.0


@_formula(
    "livingston_lee",
    "Livingston & Lee",
    "BSA = 0.1173 × W^0.6466 (W ≥ 10 kg); BSA = 0.1037 × W^0.6724 (W < 10 kg)",
    "livingston2001",
    "Published measurements of normal-weight and obese subjects; weight only, with a separate "
    "fit below 10 kg.",
    uses_height=False,
    note="Weight only: the kernel takes no height.",
)
def livingston_lee(weight_kg: Magnitude) -> Magnitude:
    above = 0.1173 * np.power(weight_kg, 0.6466)
    below = 0.1037 * np.power(weight_kg, 0.6724)
    if np.ndim(weight_kg):
        return np.where(weight_kg < LIVINGSTON_LEE_SWITCH_KG, below, above)
    return below if weight_kg < LIVINGSTON_LEE_SWITCH_KG else above


@_formula(
    "yu_2010",
    "Yu, Lin & Yang",
    "BSA = 71.3989 × H^0.7437 × W^0.4040 / 10000",
    "yu2010",
    "Taiwanese subjects measured by 3-D body scanning.",
)
def yu_2010(height_cm: Magnitude, weight_kg: Magnitude) -> Magnitude:
    return 71.3989 * np.power(height_cm, 0.7437) * np.power(weight_kg, 0.4040) / 10000.0


# ---------------------------------------------------------------------------------------------
# Calling a formula with Quantities


def _warn_if_outside(
    formula: BSAFormula, result: Any, height_cm: Magnitude, weight_kg: Magnitude, age: object
) -> Any:
    """Warn when an adult-only formula is applied to a child (blockwise for lazy arrays).

    Called by :func:`bsa_m2` for adult-only formulas only."""
    if age is not None:
        values: tuple[Any, ...] = (checked("age", magnitude(age, YEAR, "age"), YEAR),)
        limits: tuple[float, ...] = (ADULT_AGE_YEARS,)
        reason = f"age under {ADULT_AGE_YEARS:g} years"
    else:
        values, limits = (height_cm, weight_kg), (CHILD_HEIGHT_CM, CHILD_WEIGHT_KG)
        reason = (
            f"no age given, and a child's size: height under {CHILD_HEIGHT_CM:g} cm or weight "
            f"under {CHILD_WEIGHT_KG:g} kg"
        )

    def warn_for_children(*blocks: Any) -> None:
        # the smallest value below the limit: one reduction, no mask (the inputs are checked)
        if any(np.min(b) < limit for b, limit in zip(blocks, limits, strict=True)):
            children: Any = False  # whom it concerns, found only when it warns
            for b, limit in zip(blocks, limits, strict=True):
                children = children | (np.asarray(b) < limit)
            warn(
                f"method={formula.key!r} was derived in adults "
                f"({formula.population.rstrip('.')}); it is "
                f"applied here to a child ({reason}). Use a formula derived in children, e.g. "
                f"method='mosteller' or 'haycock'.",
                OutsidePopulationWarning,
                stacklevel=5,
                where=children,
            )

    return guard(result, warn_for_children, *values)


def bsa(
    height: object,
    weight: object,
    *,
    method: str = "mosteller",
    sex: object = None,
    age: object = None,
) -> Any:
    """Body-surface area from height and weight, by a named published formula.

    Parameters
    ----------
    height : pint.Quantity
        Height [length], scalar or array. Ignored by weight-only formulas but still checked.
    weight : pint.Quantity
        Weight [mass], scalar or array broadcastable with ``height``.
    method : str
        A key of :data:`BSA_FORMULAS`; Mosteller by default.
    sex : {"male", "female"} or array of them, optional
        Needed by sex-specific formulas (``schlich``); there is no default.
    age : pint.Quantity, optional
        Used only to warn when an adult-derived formula is applied to a child.

    Returns
    -------
    pint.Quantity
        BSA [m²], unrounded, with the shape of the broadcast inputs.

    Raises
    ------
    UnitsError
        A bare number or a wrong dimension.
    DomainError
        NaN, infinity, zero, negative or implausible input (any element of an array); a missing
        ``sex`` for a formula that needs it.
    UnknownKeyError
        An unknown ``method``, listing the valid keys.

    Warns
    -----
    OutsidePopulationWarning
        An adult-derived formula applied to a child.

    References
    ----------
    See :data:`BSA_FORMULAS` for each formula's citation.

    Examples
    --------
    >>> import dosing
    >>> from dosing import Q_
    >>> dosing.bsa(Q_(150, "cm"), Q_(40, "kg"))  # Mosteller: sqrt(150 × 40 / 3600)
    <Quantity(1.29099445, 'meter ** 2')>
    >>> dosing.bsa(Q_(180, "cm"), Q_(80, "kg"), method="dubois").m_as("m**2")
    1.9964210222750447
    >>> dosing.bsa(Q_([150, 180], "cm"), Q_([40, 80], "kg")).m_as("m**2")
    array([1.29099445, 2.        ])
    """
    formula = BSA_FORMULAS[method]  # an unknown key fails before any input is read
    height_raw = magnitude(height, CM, "height")
    weight_raw = magnitude(weight, KG, "weight")
    if (
        sex is None
        and age is None
        and formula is _MOSTELLER
        and height_raw.__class__ is np.ndarray
        and weight_raw.__class__ is np.ndarray
        and height_raw.ndim == 1
        and height_raw.shape == weight_raw.shape
        and height_raw.size
    ):
        return quantity(_mosteller_by_blocks(height_raw, weight_raw), _M2_UNITS)
    height_cm = checked("height", height_raw, CM)
    weight_kg = checked("weight", weight_raw, KG)
    same_shape("height", height_cm, "weight", weight_kg)
    if age is not None:
        same_shape("height", height_cm, "age", strip(age, "age", YEAR))
    male = None
    if sex is not None:
        male = is_male(sex, f"method={method!r}")  # read and checked once, used by the kernel
        same_shape("height", height_cm, "sex", np.asarray(sex))
    area = bsa_m2(height_cm, weight_kg, method=method, sex=sex, age=age, male=male)
    if is_lazy(height_cm) or is_lazy(weight_kg):
        area = keep_checks(area, height_cm, weight_kg)  # weight-only formulas check height too
    return quantity(area, _M2_UNITS) if area.__class__ in _OWN else Q_(area, _M2_UNITS)


#: m² as pint's unit container: a Quantity is made from it without any lookup.
_M2_UNITS: Final = M2._units
#: The magnitudes :func:`~dosing.units.quantity` wraps directly (dask arrays go through pint).
_OWN: Final = (float, np.ndarray)


def bsa_m2(
    height_cm: Magnitude,
    weight_kg: Magnitude,
    *,
    method: str,
    sex: object,
    age: object,
    male: Any = None,
) -> Magnitude:
    """BSA [m²] from magnitudes already checked against the plausibility ranges.

    The shared core of :func:`bsa` and of regimen expansion, which strips a patient's units once
    on construction and must not pay for it again per regimen. ``male`` is ``sex`` already read
    (by :func:`bsa`), so that a cohort's sex strings are read once.
    """
    formula = BSA_FORMULAS[method]
    result: Any
    weight = (
        weight_kg if formula.weight_unit is KG else weight_kg * _factor(KG, formula.weight_unit)
    )
    if formula.needs_sex:
        if male is None:
            male = is_male(sex, f"method={method!r}")
        result = formula.kernel(height_cm, weight, male)
    elif formula.uses_height:
        result = formula.kernel(height_cm, weight)
    else:
        result = formula.kernel(weight)
        shape = np.broadcast_shapes(np.shape(height_cm), np.shape(result))
        if shape != np.shape(result):
            result = np.broadcast_to(result, shape).copy()
    # Every kernel is a positive coefficient times positive powers of inputs that were
    # checked to be finite and positive, so the area is always positive and finite: there is no
    # unphysical result left to refuse (the hypothesis tests assert it for every formula).
    if isinstance(result, np.floating):
        result = float(result)
    if not formula.adults_only:
        return result  # type: ignore[no-any-return]
    return _warn_if_outside(  # type: ignore[no-any-return]
        formula, result, height_cm, weight_kg, age
    )


#: Mosteller over a 1-D cohort of more than ``_ONE_BLOCK`` patients runs block by block, the
#: blocks of equal size and none larger than ``_SMALL_BLOCK`` up to ``_SMALL_COHORT`` patients,
#: then none larger than ``_BLOCK``. Measured on this project's 2-core benchmark machine (quiet,
#: 2026-12-03, against numpy without temporaries, three processes each): 2^14 per block gave
#: 1.10x at 10^6 and 1.07x at 10^7 patients (2^15: 1.13x, 1.12x; 2^16: 1.15x, 1.21x), while at
#: 10^5, where the three arrays almost fit a core's level-2 cache anyway, two blocks of 2^16
#: gave 1.14x against 1.16x for seven of 2^14 (each block costs about 2 us of calls). Up to
#: 2^17 the range checks are ufunc reductions, before the arithmetic and without np.errstate
#: (at 10^5, five processes: 1.12-1.17x, median 1.155x, against 1.17-1.18x for the product
#: first); above, argmin/argmax after the product (1.11-1.12x at 10^6, against 1.18-1.19x).
_ONE_BLOCK: Final = 2**15
_SMALL_COHORT: Final = 2**17
_SMALL_BLOCK: Final = 2**16
_BLOCK: Final = 2**14


#: The formula :func:`bsa` computes block by block over a cohort.
_MOSTELLER: Final = BSA_FORMULAS["mosteller"]
_HEIGHT_BOUNDS: Final = bounds("height", CM)
_WEIGHT_BOUNDS: Final = bounds("weight", KG)
#: The smallest and largest element are found by their index: ``argmin``/``argmax`` are methods
#: of the array, with a fixed cost per call about a third of a ufunc reduction's (0.24 against
#: 0.68 us at 10^3 elements, numpy 2.4), at about the same speed per element. Both return the
#: index of the first NaN when there is one, so a NaN fails the comparison it is read into.
_ARGMIN: Final = np.ndarray.argmin
_ARGMAX: Final = np.ndarray.argmax
_MINIMUM: Final = np.minimum.reduce
_MAXIMUM: Final = np.maximum.reduce


def _mosteller_by_blocks(height_cm: Any, weight_kg: Any) -> Any:
    """Mosteller over a 1-D cohort, checking and computing one cache-sized block at a time.

    The same checks and arithmetic as :func:`checked` then :func:`mosteller` (so the same
    numbers, bit for bit), but each block's heights and weights are read from memory once: up
    to ``_SMALL_COHORT`` patients, a block's four range checks come first and bring it into the
    cache for the arithmetic; above, a block's product comes first and the checks read the
    heights and weights from the cache (the product of values that fail, an overflow or
    infinity times zero, is never returned, so numpy's warnings about it are silenced). A block
    that fails its check re-runs the whole-array checks, so the error is the one the whole array
    gives.
    """
    h_low, h_high = _HEIGHT_BOUNDS
    w_low, w_high = _WEIGHT_BOUNDS
    argmin, argmax = _ARGMIN, _ARGMAX
    multiply, sqrt = np.multiply, np.sqrt
    n = height_cm.shape[0]
    if n <= _ONE_BLOCK:  # one block: no slicing, and the checks come first
        if not (
            h_low <= height_cm.item(argmin(height_cm))
            and height_cm.item(argmax(height_cm)) <= h_high
            and w_low <= weight_kg.item(argmin(weight_kg))
            and weight_kg.item(argmax(weight_kg)) <= w_high
        ):  # a NaN is found by both and fails every comparison
            checked("height", height_cm, CM)
            checked("weight", weight_kg, KG)
        out = multiply(height_cm, weight_kg)
        multiply(out, _PER_3600, out)
        return sqrt(out, out)
    out = np.empty(n)
    if n <= _SMALL_COHORT:
        # Blocks of up to 2^16, checked first (the reductions bring a block into the cache for
        # the arithmetic), so no value that fails is ever multiplied: no numpy warning to silence.
        size = -(-n // -(-n // _SMALL_BLOCK))  # blocks of equal size
        minimum, maximum = _MINIMUM, _MAXIMUM
        for start in range(0, n, size):
            stop = start + size
            h, w, block = height_cm[start:stop], weight_kg[start:stop], out[start:stop]
            if not (
                h_low <= minimum(h)
                and maximum(h) <= h_high
                and w_low <= minimum(w)
                and maximum(w) <= w_high
            ):  # a NaN is the min and max, and fails every comparison
                checked("height", height_cm, CM)
                checked("weight", weight_kg, KG)
            multiply(h, w, block)
            multiply(block, _PER_3600, block)
            sqrt(block, block)
        return out
    size = -(-n // -(-n // _BLOCK))  # blocks of equal size, none larger than ``_BLOCK``
    extent = _extent_by_index
    with np.errstate(over="ignore", invalid="ignore"):  # (the product comes before its check)
        for start in range(0, n, size):
            stop = start + size
            h, w, block = height_cm[start:stop], weight_kg[start:stop], out[start:stop]
            multiply(h, w, block)
            h_min, h_max = extent(h)
            w_min, w_max = extent(w)
            if not (h_low <= h_min and h_max <= h_high and w_low <= w_min and w_max <= w_high):
                checked("height", height_cm, CM)  # a NaN is the min and max, and fails both
                checked("weight", weight_kg, KG)
            multiply(block, _PER_3600, block)
            sqrt(block, block)
    return out


def _extent_by_index(values: Any) -> tuple[float, float]:
    """The smallest and largest of ``values`` (NaN where there is one), by their index."""
    return values.item(_ARGMIN(values)), values.item(_ARGMAX(values))


@cache
def _factor(source: Any, target: Any) -> float:
    """The conversion factor between two units, computed once by pint."""
    return float(Q_(1.0, source).m_as(target))
