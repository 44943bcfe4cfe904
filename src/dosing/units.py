"""Units: the one registry, pre-parsed unit constants, and the checks at the boundary.

:mod:`dosing` uses pint's *application registry*, so a Quantity made with ``pint.Quantity(150,
"cm")`` and one made with ``dosing.Q_(150, "cm")`` are the same kind of object. On import it adds
what pint lacks for this field, once:

* ``IU`` (``international_unit``): a base dimension of its own. pint's ``U`` is the *enzyme unit*
  (µmol/min) and is never taken for an international unit.
* ``standard_bsa``: 1.73 m², the body-surface area that eGFR equations normalise to. An eGFR in
  ``mL/min/standard_bsa`` cannot be used where an absolute clearance (mL/min) is needed until it
  is multiplied by the patient's BSA, which pint then converts exactly.
* :data:`AUC`, the unit of a carboplatin target area under the curve, mg·min/mL.

Every public function strips units **once**, here, with :func:`magnitude`, then computes on floats
or numpy arrays. A bare number where a dimension is needed raises :class:`~dosing.UnitsError`
whose message shows the fix (``weight=Q_(40, "kg")``). A string that carries its unit
(``"150 cm"``) is accepted.

pint traps this module guards against:

* ``mg/kg`` is *dimensionless* to pint, exactly like a bare number: per-kg amounts are recognised
  by their units (:func:`is_per_weight`), never by their dimensionality.
* pint does not parse ``1.29m2`` or ``12y``; :func:`parse_quantity` does.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pint

from dosing.errors import Code, Example, UnitsError, safe_repr

__all__ = [
    "AUC",
    "CM",
    "DAY",
    "EGFR",
    "GY",
    "G_PER_MOL",
    "IU",
    "KG",
    "KG_PER_M2",
    "M2",
    "MG",
    "MG_PER_DL",
    "MG_PER_L",
    "ML_PER_MIN",
    "Q_",
    "YEAR",
    "FrozenQuantity",
    "Magnitude",
    "as_quantity",
    "frozen_array",
    "frozen_arrays",
    "frozen_quantity",
    "is_per_bsa",
    "is_per_weight",
    "magnitude",
    "parse_quantity",
    "parse_unit",
    "quantity",
    "read_quantity",
    "read_unit_text",
    "refuse_masked",
    "short",
    "ucum",
    "ureg",
]

#: The one registry: pint's application registry, shared with ``pint.Quantity``.
ureg: Any = pint.get_application_registry().get()  # type: ignore[no-untyped-call]
ureg.Quantity  # noqa: B018  (a lazy registry sets itself up on first use)


def _define_once(definition: str, dimension: str, size: float) -> None:
    """Define a unit in the shared registry. One the application defined before dosing was
    imported is kept only if it means the same (``size`` of ``dimension`` in base units): a
    foreign ``standard_bsa`` of another size would silently change every normalised eGFR."""
    name = definition.split("=", 1)[0].strip()
    if name not in ureg:
        ureg.define(definition)
        return
    base = ureg.Quantity(1.0, name).to_base_units()
    if str(base.dimensionality) != dimension or not math.isclose(base.magnitude, size):
        raise UnitsError(
            f"is already defined in pint's application registry as {base:~}, not as dosing "
            f"defines it ({definition})",
            argument="units",
            value=name,
            shown=safe_repr(name),
            fix="define it as dosing does, or leave it undefined before importing dosing",
        )


_define_once("international_unit = [international_unit] = IU", "[international_unit]", 1.0)
_define_once("standard_bsa = 1.73 * meter ** 2", "[length] ** 2", 1.73)

#: pint's Quantity class of the shared registry.
_QUANTITY: Final[Any] = ureg.Quantity

#: Unit strings already read, and quantity strings already read: text -> what pint made of it.
#: Both map text to immutable values (a unit's container; a number and a container), so a cached
#: entry can never carry anything from one call into another's result. Bounded: cleared when full.
_UNIT_TEXT: dict[str, Any] = {}
_QUANTITY_TEXT: dict[str, tuple[Any, Any]] = {}
_TEXT_CACHE_SIZE: Final = 4096


def _remember(cache: dict[str, Any], text: str, value: Any) -> Any:
    if len(cache) >= _TEXT_CACHE_SIZE:
        cache.clear()
    cache[text] = value
    return value


def parse_unit(text: str) -> Any:
    """The pint Unit written as ``text`` (``"mg/m**2"``), parsed once and then looked up.

    pint parses a unit string again on every call, at about 15 times the cost of using a
    pre-parsed unit; everywhere dosing reads a unit from text it goes through here.

    Examples
    --------
    >>> parse_unit("mg/m**2")
    <Unit('milligram / meter ** 2')>
    """
    container = _UNIT_TEXT.get(text)
    if container is None:
        container = _remember(_UNIT_TEXT, text, ureg.Unit(text)._units)
    return ureg.Unit(container)


class _QuantityMaker:
    """``dosing.Q_``: pint's Quantity of the shared registry, with unit strings parsed once.

    ``Q_(150, "cm")`` makes exactly what ``pint.Quantity(150, "cm")`` makes (the same class, the
    same registry), but reads ``"cm"`` once per process instead of on every call;
    ``isinstance(q, Q_)`` and pint's class attributes (``Q_.from_list``) work as before.
    """

    __slots__ = ()

    def __call__(self, value: Any, units: Any = None) -> Any:
        if units.__class__ is str:
            container = _UNIT_TEXT.get(units)
            if container is None:
                container = _remember(_UNIT_TEXT, units, ureg.Unit(units)._units)
            return _QUANTITY(value, container)
        if units is None and value.__class__ is str and value:
            parsed = _QUANTITY_TEXT.get(value)
            if parsed is None:
                quantity = _QUANTITY(value)
                if not isinstance(quantity.magnitude, int | float):
                    return quantity  # pragma: no cover  (an expression pint makes an array of)
                parsed = _remember(_QUANTITY_TEXT, value, (quantity.magnitude, quantity._units))
            return _QUANTITY(parsed[0], parsed[1])
        return _QUANTITY(value, units)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, _QUANTITY)

    def __subclasscheck__(self, subclass: Any) -> bool:
        return issubclass(subclass, _QUANTITY)

    def __getattr__(self, name: str) -> Any:
        return getattr(_QUANTITY, name)

    def __repr__(self) -> str:
        return "dosing.Q_ (pint.Quantity of dosing's registry; unit strings parsed once)"


#: Make a Quantity in the shared registry: ``Q_(40, "kg")``. A unit string is parsed once.
Q_: Any = _QuantityMaker()

Magnitude: TypeAlias = float | npt.NDArray[np.float64]

# Pre-parsed units: converting with a Unit object is about 10x faster than with a string.
CM: Final = ureg.Unit("cm")
M: Final = ureg.Unit("m")
INCH: Final = ureg.Unit("inch")
KG: Final = ureg.Unit("kg")
M2: Final = ureg.Unit("m**2")
MG: Final = ureg.Unit("mg")
G: Final = ureg.Unit("g")
GY: Final = ureg.Unit("Gy")
IU: Final = ureg.Unit("IU")
YEAR: Final = ureg.Unit("year")
DAY: Final = ureg.Unit("day")
HOUR: Final = ureg.Unit("hour")
MG_PER_DL: Final = ureg.Unit("mg/dL")
#: Cystatin C is reported in mg/L.
MG_PER_L: Final = ureg.Unit("mg/L")
#: Molar mass (creatinine's is stated once, in :mod:`dosing.body.kidney`).
G_PER_MOL: Final = ureg.Unit("g/mol")
UMOL_PER_L: Final = ureg.Unit("umol/L")
ML_PER_MIN: Final = ureg.Unit("mL/min")
#: eGFR normalised to a body-surface area of 1.73 m²: mL/min/(1.73 m²).
EGFR: Final = ureg.Unit("mL/min/standard_bsa")
KG_PER_M2: Final = ureg.Unit("kg/m**2")
#: Carboplatin target AUC: mg·min/mL.
AUC: Final = ureg.Unit("mg*min/mL")
MG_PER_M2: Final = ureg.Unit("mg/m**2")
MG_PER_KG: Final = ureg.Unit("mg/kg")
IU_PER_M2: Final = ureg.Unit("IU/m**2")
IU_PER_KG: Final = ureg.Unit("IU/kg")
DIMENSIONLESS: Final = ureg.Unit("")

_QUANTITY_TYPE: Final = type(_QUANTITY(1.0, CM))
_FLOAT64: Final = np.dtype(np.float64)

# The unit strings dosing and its users write most, read to the very containers of the
# constants above: a Quantity made with Q_(150, "cm") then has CM's units by identity. Each
# constant is ureg.Unit of the very text it is paired with, so pint reads the text to it.
for _text, _unit in (
    ("cm", CM),
    ("m", M),
    ("kg", KG),
    ("m**2", M2),
    ("mg", MG),
    ("g", G),
    ("Gy", GY),
    ("IU", IU),
    ("year", YEAR),
    ("day", DAY),
    ("mg/dL", MG_PER_DL),
    ("mg/L", MG_PER_L),
    ("mL/min", ML_PER_MIN),
    ("mg/m**2", MG_PER_M2),
    ("mg/kg", MG_PER_KG),
):
    _UNIT_TEXT[_text] = _unit._units
del _text, _unit


def quantity(value: Magnitude, units: Any) -> Any:
    """A Quantity of ``value`` (a float or float64 array dosing computed) in ``units`` (a unit
    or its container): pint's object, made without pint's argument checks.

    Examples
    --------
    >>> quantity(1.5, M2)
    <Quantity(1.5, 'meter ** 2')>
    """
    made = _new_quantity(_QUANTITY)
    made._magnitude = value
    made._units = getattr(units, "_units", units)
    return made


_new_quantity: Final = object.__new__


class FrozenQuantity(_QUANTITY_TYPE):  # type: ignore[misc,valid-type]
    """A Quantity that cannot be changed in place: what validated objects hold.

    A :class:`~dosing.Patient`, a :class:`~dosing.DoseLine` and a :class:`~dosing.Regimen` keep
    their quantities as ``FrozenQuantity``: ``ito()`` (and its ``ito_*`` kin) raise, in-place
    arithmetic (``+=``) returns a new quantity instead of writing into this one, and an array
    magnitude is a read-only copy. Everything else is a pint Quantity (``.to()`` works).

    Examples
    --------
    >>> q = frozen_quantity(Q_(2, "g/m**2"))
    >>> q.ito("mg/m**2")
    Traceback (most recent call last):
    ...
    TypeError: this quantity belongs to a validated object and cannot be changed in place; use \
.to('mg/m**2') for a converted copy
    >>> q.to("mg/m**2")
    <Quantity(2000.0, 'milligram / meter ** 2')>
    """

    __slots__ = ()

    def ito(self, other: Any = None, *contexts: Any, **ctx_kwargs: Any) -> None:
        raise TypeError(
            f"this quantity belongs to a validated object and cannot be changed in place; use "
            f".to({str(other)!r}) for a converted copy"
        )

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "this quantity belongs to a validated object and cannot be changed in place; use "
            "to_base_units(), to_root_units() or to_reduced_units() for a converted copy"
        )

    ito_base_units = ito_root_units = ito_reduced_units = ito_preferred = _refuse

    # In-place arithmetic makes a new quantity (never writes into the magnitude).
    def __iadd__(self, other: Any) -> Any:
        return self + other

    def __isub__(self, other: Any) -> Any:
        return self - other

    def __imul__(self, other: Any) -> Any:
        return self * other

    def __itruediv__(self, other: Any) -> Any:
        return self / other

    def __ifloordiv__(self, other: Any) -> Any:
        return self // other

    def __ipow__(self, other: Any) -> Any:
        return self**other


def frozen_array(values: Any) -> Any:
    """``values`` as a read-only numpy array that nothing else can write to.

    An array that is read-only all the way down (no writeable array under a read-only view) is
    returned as it is; any other array is copied once and the copy made read-only. Anything that
    is not a numpy array (a float, a lazy dask array) is returned unchanged.
    """
    if not isinstance(values, np.ndarray):
        return values
    base: Any = values
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            break
        base = base.base
    else:
        if base is None:  # read-only, and so is every array it views
            return values
    copy = np.array(values, copy=True)
    copy.flags.writeable = False
    return copy


def frozen_quantity(value: Any) -> Any:
    """A :class:`FrozenQuantity` equal to ``value`` (a Quantity of this registry; None passes).

    Its array magnitude is a read-only copy (:func:`frozen_array`); a ``FrozenQuantity`` whose
    magnitude is already safe is returned as it is.
    """
    if value is None or not isinstance(value, _QUANTITY_TYPE):
        return value
    raw = value._magnitude
    safe = frozen_array(raw)
    if type(value) is FrozenQuantity and safe is raw:
        return value
    return FrozenQuantity(safe, value._units)


def frozen_arrays(value: Any) -> Any:
    """``value`` with an array magnitude made a read-only copy (:func:`frozen_quantity`); a
    quantity with a scalar magnitude is returned as it is, at no cost (a float cannot be
    written in place)."""
    if value.__class__ is FrozenQuantity or not isinstance(value._magnitude, np.ndarray):
        return value
    return frozen_quantity(value)


_FAST_TYPES: Final = (_QUANTITY_TYPE, FrozenQuantity)

# The examples shown in error messages, by the unit a function asks for.
_EXAMPLE: Final[dict[str, str]] = {
    str(CM): '"cm"',
    str(KG): '"kg"',
    str(M2): '"m**2"',
    str(YEAR): '"year"',
    str(MG_PER_DL): '"mg/dL"',
    str(MG_PER_L): '"mg/L"',
    str(ML_PER_MIN): '"mL/min"',
    str(EGFR): '"mL/min/standard_bsa"',
    str(AUC): '"mg*min/mL"',
    str(MG): '"mg"',
    str(DAY): '"day"',
}


def _example(name: str, unit: Any, value: object = None) -> Example:
    """The call a user should write instead, e.g. ``weight=Q_(40, "kg")``."""
    # a number is shown as given; an integer beyond any float (10**5000) is not worth printing
    printable = isinstance(value, float) or (
        isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 1024
    )
    shown = value if printable else "..."
    return Example({name: Code(f"Q_({shown}, {_EXAMPLE.get(str(unit), repr(str(unit)))})")})


def _from_foreign(value: Any, name: str) -> Any:
    """Re-create a Quantity from another ``UnitRegistry`` in ours, checking definitions agree."""
    units = str(value.units)
    fix = "make it with dosing.Q_ instead"
    try:
        ours = Q_(value.magnitude, units)
    except pint.errors.UndefinedUnitError as exc:
        raise UnitsError(
            f"comes from another pint UnitRegistry whose unit {units!r} is not defined in "
            f"dosing's registry",
            argument=name,
            value=value,
            shown=safe_repr(value),
            fix=fix,
        ) from exc
    theirs_root = value.to_root_units()
    ours_root = ours.to_root_units()
    if str(theirs_root.units) != str(ours_root.units) or not np.allclose(
        np.asarray(theirs_root.magnitude, dtype=float),
        np.asarray(ours_root.magnitude, dtype=float),
        rtol=1e-12,
        atol=0.0,
    ):
        raise UnitsError(
            f"comes from another pint UnitRegistry that defines {units!r} differently from "
            f"dosing's registry",
            argument=name,
            value=value,
            shown=safe_repr(value),
            fix=fix,
        )
    return ours


def _shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` (by :func:`~dosing.errors.safe_repr`), cut to ``limit`` characters."""
    text = safe_repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_quantity(value: object, unit: Any, name: str) -> Any:
    """Return ``value`` as a Quantity of dosing's registry with the dimension of ``unit``.

    The value keeps its own units (150 cm stays 150 cm). Accepts a Quantity of this registry, a
    Quantity of another pint registry (re-created here, refused if it defines the unit
    differently) or a string that carries its unit (``"150 cm"``, ``"1.29m2"``).

    Raises
    ------
    UnitsError
        A bare number, a string without a unit, or a unit of another dimension. The message names
        ``name`` and shows the fix.

    Examples
    --------
    >>> as_quantity("150 cm", CM, "height")
    <Quantity(150, 'centimeter')>
    >>> as_quantity(40, KG, "weight")
    Traceback (most recent call last):
    ...
    dosing.errors.UnitsError: weight=40 has no unit; write weight=Q_(40, "kg")
    """
    quantity: Any = value if isinstance(value, _QUANTITY_TYPE) else read_quantity(value, unit, name)
    if not isinstance(quantity, _QUANTITY_TYPE):
        raise UnitsError(
            "has no unit",
            argument=name,
            value=value,
            shown=_shown(value),
            fix=_example(name, unit, value),
        )
    if not quantity.dimensionality:  # checked on the unit alone: an array is never converted
        raise UnitsError(
            "has no unit", argument=name, value=value, shown=_shown(value), fix=_example(name, unit)
        )
    if quantity.dimensionality != unit.dimensionality:
        raise UnitsError(
            f"has units of {quantity.dimensionality}, but {name} needs units of "
            f"{unit.dimensionality}",
            argument=name,
            value=value,
            shown=_shown(value),
            fix=_example(name, unit),
        )
    refuse_masked(quantity, name)
    return quantity


def read_quantity(value: object, unit: Any, name: str) -> Any:
    """``value`` as a Quantity of dosing's registry, read from a Quantity of another pint
    registry or a text that carries its unit; anything else is returned as it is, for the caller
    to refuse. A text that cannot be read is refused naming ``name``, the fix in ``unit``."""
    if isinstance(value, _QUANTITY_TYPE):
        return value
    if isinstance(value, pint.Quantity):
        return _from_foreign(value, name)
    if isinstance(value, str):
        try:
            return parse_quantity(value)
        except UnitsError as exc:
            raise UnitsError(
                f"cannot be read: {exc}",
                argument=name,
                value=value,
                shown=_shown(value),
                fix=_example(name, unit),
            ) from None
    return value


def read_unit_text(text: str, name: str, fix: str | None = None) -> Any:
    """The pint Unit written as ``text``, read as a quantity's unit is (so bounded as every text
    dosing reads); a text that is not a unit is refused naming ``name``."""
    try:
        return parse_quantity(f"1 {text}").units
    except UnitsError as exc:
        raise UnitsError(
            f"cannot be read: {exc}", argument=name, value=text, shown=_shown(text), fix=fix
        ) from None


def magnitude(value: object, unit: Any, name: str) -> Magnitude:
    """Strip units once: the magnitude of ``value`` in ``unit``, as a float or float64 array.

    This is the boundary every public function calls; after it, the arithmetic runs on floats.
    When ``value`` is already in ``unit`` no conversion is done.

    Examples
    --------
    >>> magnitude(Q_(1.5, "m"), CM, "height")
    150.0
    >>> magnitude(Q_(1, "mg/kg"), KG, "weight")
    Traceback (most recent call last):
    ...
    dosing.errors.UnitsError: weight=<Quantity(1, 'milligram / kilogram')> has no unit; \
write weight=Q_(..., "kg")
    """
    if type(value) in _FAST_TYPES and (
        value._units is unit._units  # type: ignore[attr-defined]
        or value._units == unit._units  # type: ignore[attr-defined]
    ):
        raw: Any = value._magnitude  # type: ignore[attr-defined]
    else:
        quantity = as_quantity(value, unit, name)
        try:
            raw = quantity.m_as(unit)
        except (OverflowError, TypeError, ValueError) as exc:  # 10**400 cm in m; text arrays
            raise _not_computable(value, unit, name, exc) from None
    cls = raw.__class__
    if cls is float:
        return raw  # type: ignore[no-any-return]
    if cls is np.ndarray and raw.dtype is _FLOAT64 and raw.ndim:
        return raw  # type: ignore[no-any-return]
    if isinstance(raw, float):
        return raw
    if _is_masked(raw):
        raise _masked(value, name)
    try:
        if isinstance(raw, int | np.integer | np.floating):
            return float(raw)
        if isinstance(raw, np.ndarray):
            if raw.dtype.kind not in "iuf":
                raise TypeError(f"an array of {raw.dtype} is not an array of real numbers")
            if raw.ndim == 0:
                return float(raw)
            return raw if raw.dtype == np.float64 else raw.astype(np.float64)
    except (OverflowError, TypeError, ValueError) as exc:
        raise _not_computable(value, unit, name, exc) from None
    if hasattr(raw, "__array_function__") and hasattr(raw, "dtype"):
        # A lazy array (dask) stays lazy: only its dtype is made float64.
        out: Magnitude = raw if raw.dtype == np.float64 else raw.astype(np.float64)
        return out
    raise UnitsError(
        f"has a magnitude of type {type(raw).__name__}",
        argument=name,
        value=value,
        shown=safe_repr(value),
        fix=f"use a number or a numpy array, e.g. {_example(name, unit)}",
    )


def refuse_masked(value: object, name: str) -> None:
    """Refuse a quantity (or an array) whose magnitude is a masked array, numpy's or dask's:
    every element would be read as a patient, the mask unseen (issue 16)."""
    if _is_masked(getattr(value, "_magnitude", value)):
        raise _masked(value, name)


def _is_masked(raw: object) -> bool:
    return isinstance(raw, np.ma.MaskedArray) or isinstance(
        getattr(raw, "_meta", None),
        np.ma.MaskedArray,  # a dask array of masked chunks
    )


def _masked(value: object, name: str) -> UnitsError:
    """A masked array: every element would be read as a patient, the mask unseen (issue 16)."""
    return UnitsError(
        "has a masked array as its magnitude: dosing reads every element and would not see the "
        "mask",
        argument=name,
        value=value,
        shown=_shown(value),
        fix="give only the patients to dose (values.compressed()) or fill the masked values "
        "(values.filled(...)) before making the quantity",
    )


def _not_computable(value: object, unit: Any, name: str, exc: Exception) -> UnitsError:
    """A magnitude that cannot be a float: an integer beyond 1.8e308, text or objects."""
    return UnitsError(
        f"has a magnitude that is not a computable number ({type(exc).__name__}: {str(exc)[:80]})",
        argument=name,
        value=value,
        shown=_shown(value),
        fix=f"use a finite number or an array of numbers, e.g. {_example(name, unit)}",
    )


# ---------------------------------------------------------------------------------------------
# Reading quantities from text

_NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"  # ASCII digits only
# Anchored at the start and followed by plain slicing and str.strip (both linear): a lazy ".*?"
# before "\s*$" was quadratic in trailing spaces (20,000 spaces took 21 s).
_LEADING_NUMBER = re.compile(rf"\s*(?P<number>{_NUMBER})")
#: The longest text read as a quantity (characters): a value with its unit is a few dozen; a
#: longer one is refused before any parsing (a bound on work, not a clinical fact).
MAX_QUANTITY_TEXT: Final = 200
# A unit symbol followed by a plain exponent digit, e.g. m2, cm2, m3 (but not the 2 in "m**2").
_POWER = re.compile(r"(?<![\w*])([a-zA-Zµμ]+)([23])(?![\w*.])")
# What a unit expression may contain, and two names side by side (pint would multiply them).
_UNIT_CHARS = re.compile(r"[A-Za-zµ_0-9/*(). ]+")
_IMPLICIT_PRODUCT = re.compile(r"[\w)]\s+[\w(]")
# Short forms a clinician writes that pint does not know.
_ALIASES: Final[dict[str, str]] = {
    "y": "year",
    "yo": "year",
    "yr": "year",
    "yrs": "year",
    "years": "year",
    "mo": "month",
    "mos": "month",
    "wk": "week",
    "wks": "week",
    "d": "day",
    "iu": "IU",
    "m²": "m**2",
}


#: "per 1.73 m²" as clinicians write it, for a clearance normalised to body-surface area.
_PER_STANDARD_BSA = re.compile(r"/\s*(?:\(\s*)?1\.73\s*m(?:\*\*|\^)?2\s*\)?$")


def _normalise_unit(text: str) -> str:
    unit = text.strip().replace("²", "2").replace("·", "*").replace("μ", "µ").replace("^", "**")
    unit = _PER_STANDARD_BSA.sub("/standard_bsa", unit)
    unit = re.sub(r"(?<![A-Za-z])iu(?![A-Za-z])", "IU", unit)  # iu/m2 as IU/m2
    if re.search(r"(?<![A-Za-z])units?(?![A-Za-z])", unit, re.IGNORECASE):
        raise UnitsError(
            f"{text!r}: 'units' is ambiguous (pint would read micro-nit)",
            value=text,
            fix="write IU for international units",
        )
    alias = _ALIASES.get(unit) or _ALIASES.get(unit.lower())
    if alias is not None:
        return alias
    return _POWER.sub(r"\1**\2", unit)


#: Quantity strings :func:`parse_quantity` has read: text -> (number, unit container).
_QUANTITY_READ: dict[str, tuple[Any, Any]] = {}


def parse_quantity(text: str) -> Any:
    """Read a quantity written with its unit: ``"150 cm"``, ``"150cm"``, ``"1.29m2"``, ``"12y"``.

    Exponents written as a trailing digit (``m2``, ``g/m2``) are read as powers; ``y``, ``yr``,
    ``mo`` and ``wk`` are read as years, months and weeks. A number without a unit is refused.

    Raises
    ------
    UnitsError
        The text has no number, no unit, or a unit pint does not know.

    Examples
    --------
    >>> parse_quantity("1.29m2")
    <Quantity(1.29, 'meter ** 2')>
    >>> parse_quantity("12y")
    <Quantity(12, 'year')>
    >>> parse_quantity("2 g/m2")
    <Quantity(2, 'gram / meter ** 2')>
    >>> parse_quantity("90 mL/min/1.73m2")
    <Quantity(90, 'milliliter / minute / standard_bsa')>
    >>> parse_quantity("40")
    Traceback (most recent call last):
    ...
    dosing.errors.UnitsError: '40' has no unit
    """
    if not isinstance(text, str):
        raise UnitsError(f"{text!r} is not text", value=text, fix="write e.g. '150 cm'")
    if len(text) > MAX_QUANTITY_TEXT:
        raise UnitsError(
            f"{text[:40]!r}... is {len(text)} characters long, more than the "
            f"{MAX_QUANTITY_TEXT} a value with its unit may have",
            value=text,
            shown=safe_repr(text[:40] + "..."),
        )
    known = _QUANTITY_READ.get(text)
    if known is not None:
        return _QUANTITY(known[0], known[1])
    match = _LEADING_NUMBER.match(text)
    if match is None:
        raise UnitsError(f"{text!r} is not a number followed by a unit", value=text)
    number_text, unit_text = match.group("number"), text[match.end() :].strip()
    if not unit_text:
        raise UnitsError(f"{text!r} has no unit", value=text)
    number: float | int = (
        int(number_text) if re.fullmatch(r"[-+]?[0-9]+", number_text) else float(number_text)
    )
    # (An integer of 200 digits or fewer is a finite float; "1e999" is not.)
    if isinstance(number, float) and not math.isfinite(number):
        raise UnitsError(
            f"{text!r}: the number is too large to compute with",
            value=text,
            fix="check the number and its unit",
        )
    unit_expr = _normalise_unit(unit_text)
    if not _UNIT_CHARS.fullmatch(unit_expr) or _IMPLICIT_PRODUCT.search(unit_expr):
        raise UnitsError(
            f"{text!r}: cannot read the unit {unit_text!r}",
            value=text,
            fix="write one unit expression such as 'mg/m**2', 'mg/kg' or 'cm'",
        )
    try:
        unit = parse_unit(unit_expr)
    except Exception as exc:  # pint raises many types for unreadable text; all mean the same
        raise UnitsError(
            f"{text!r}: the unit {unit_text!r} is not known to pint", value=text
        ) from exc
    if unit == DIMENSIONLESS and unit_expr not in ("mg/kg", "g/kg"):
        raise UnitsError(f"{text!r} has no unit", value=text)
    _remember(_QUANTITY_READ, text, (number, unit._units))
    return _QUANTITY(number, unit._units)


def is_per_weight(unit: Any) -> bool:
    """True for an amount per kg of body weight (``mg/kg``, ``IU/kg``), told apart by its units.

    pint treats ``mg/kg`` as dimensionless, exactly like a bare number, so the dimension alone
    cannot tell a per-kg dose from a plain ratio; the unit's own exponents can.

    Examples
    --------
    >>> is_per_weight(MG_PER_KG), is_per_weight(MG_PER_M2), is_per_weight(DIMENSIONLESS)
    (True, False, False)
    """
    return any(
        exponent == -1 and ureg.get_dimensionality(name) == KG.dimensionality
        for name, exponent in unit._units.items()
    ) and (unit * KG).dimensionality in (MG.dimensionality, IU.dimensionality)


def is_per_bsa(unit: Any) -> bool:
    """True for an amount per body-surface area (``mg/m**2``, ``g/m**2``, ``IU/m**2``).

    Examples
    --------
    >>> is_per_bsa(MG_PER_M2), is_per_bsa(MG_PER_KG), is_per_bsa(GY)
    (True, False, False)
    """
    return (unit * M2).dimensionality in (MG.dimensionality, IU.dimensionality) and not (
        is_per_weight(unit)
    )


_UCUM_SPECIAL: Final[dict[str, str]] = {
    str(IU): "[iU]",
    str(EGFR): "mL/min/{1.73_m2}",
    str(YEAR): "a",
    str(KG_PER_M2): "kg/m2",
    str(AUC): "mg.min/mL",
}


def short(unit: Any) -> str:
    """A unit's short symbol that pint reads back: ``mg/dL``, ``m**2``, ``year``.

    Examples
    --------
    >>> short(MG_PER_DL), short(M2), short(YEAR), short(ML_PER_MIN)
    ('mg/dL', 'm**2', 'year', 'mL/min')
    """
    text = f"{unit:~C}"
    text = re.sub(r"(?<![A-Za-z])([mdcuµn]?)l(?![A-Za-z])", r"\1L", text)
    return "year" if text == "a" else text


def ucum(unit: Any) -> str:
    """The UCUM code of a unit, as written in records and text output (``mg/m2``, ``[iU]``).

    Examples
    --------
    >>> ucum(MG_PER_M2), ucum(IU_PER_M2), ucum(EGFR), ucum(GY), ucum(MG_PER_DL)
    ('mg/m2', '[iU]/m2', 'mL/min/{1.73_m2}', 'Gy', 'mg/dL')
    """
    unit = parse_unit(unit) if isinstance(unit, str) else unit
    special = _UCUM_SPECIAL.get(str(unit))
    if special is not None:
        return special
    text = f"{unit:~C}"  # compact: "mg/m**2" -> "mg/m**2"; "IU/m**2"
    text = text.replace("**", "").replace("µ", "u").replace("IU", "[iU]").replace("*", ".")
    # UCUM writes the litre as L (mL, dL) and the hour as h.
    text = re.sub(r"(?<![A-Za-z])([mdcun]?)l(?![A-Za-z])", r"\1L", text)
    return re.sub(r"(?<![A-Za-z])hr(?![A-Za-z])", "h", text)
