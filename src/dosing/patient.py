"""The patient: body size and the optional facts that some formulas and policies need.

A :class:`Patient` is a frozen value object. It holds Quantities exactly as given (150 cm stays
150 cm), as its own read-only copies (:class:`~dosing.units.FrozenQuantity`; an array is copied
once and made read-only, so writing to the caller's array afterwards changes nothing), and checks
every field once, on construction, against the plausibility ranges in
:mod:`dosing.plausibility`. A patient whose height and weight are numpy arrays of one shape is a
*cohort*: every calculation then runs once over all of them.

Its units are stripped once, too: :attr:`Patient.magnitudes` is a read-only view of every field
as a plain float or array in one canonical unit (cm, kg, m², years, mg/dL, mL/min), which is what
every formula and the expansion compute on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from dosing._arrays import guard, is_lazy
from dosing._warn import recording, warn
from dosing.body._sex import validate_sex
from dosing.body.kidney import creatinine_mg_per_dl, creatinine_quantity, cystatin_c_mg_per_l
from dosing.errors import DomainError, Example, ImplausibleInputWarning, UnitsError, safe_repr
from dosing.plausibility import (
    BMI_HIGH,
    BMI_LOW,
    GIVEN_BSA_TOLERANCE,
    bounds,
    check_range,
    checked,
)
from dosing.units import (
    CM,
    EGFR,
    KG,
    KG_PER_M2,
    M2,
    MG_PER_L,
    ML_PER_MIN,
    Q_,
    YEAR,
    Magnitude,
    as_quantity,
    frozen_array,
    frozen_arrays,
    magnitude,
    short,
)

__all__ = ["Patient", "PatientMagnitudes"]

#: 1 kg/cm² in kg/m², computed by pint once (BMI from a height in cm).
_KG_PER_CM2_IN_KG_PER_M2: Final = float(Q_(1.0, "kg/cm**2").m_as(KG_PER_M2))


@dataclass(frozen=True, slots=True)
class PatientMagnitudes:
    """A patient's facts as plain magnitudes in canonical units: the read-only view formulas use.

    Each is a float (one patient), a read-only numpy array (a cohort) or a lazy (dask) array
    carrying its plausibility checks, or None when the patient does not have it.

    Attributes
    ----------
    height_cm, weight_kg, bsa_m2, age_years : float or array or None
        Height [cm], actual weight [kg], a given BSA [m²] and age [years].
    serum_creatinine_mg_dl : float or array or None
        Serum creatinine [mg/dL] (converted from µmol/L where given so).
    cystatin_c_mg_l : float or array or None
        Serum cystatin C [mg/L].
    creatinine_clearance : float or array or None
        A measured clearance, in mL/min, or in mL/min/1.73 m² when
        :attr:`clearance_normalised` is true.
    clearance_normalised : bool
        Whether :attr:`creatinine_clearance` is normalised to 1.73 m².
    gfr : float or array or None
        A measured glomerular filtration rate, in mL/min, or in mL/min/1.73 m² when
        :attr:`gfr_normalised` is true.
    gfr_normalised : bool
        Whether :attr:`gfr` is normalised to 1.73 m².
    """

    height_cm: Magnitude | None = None
    weight_kg: Magnitude | None = None
    bsa_m2: Magnitude | None = None
    age_years: Magnitude | None = None
    serum_creatinine_mg_dl: Magnitude | None = None
    creatinine_clearance: Magnitude | None = None
    clearance_normalised: bool = False
    cystatin_c_mg_l: Magnitude | None = None
    gfr: Magnitude | None = None
    gfr_normalised: bool = False


@dataclass(frozen=True, eq=False, slots=True)
class Patient:
    """A patient (or a cohort of patients) as the dose calculation sees them.

    Give height and weight, or a BSA measured or computed elsewhere, or all three. Everything
    else is optional and used only by the formulas and policies that need it.

    Parameters
    ----------
    height : pint.Quantity, optional
        Height [length], 20–260 cm.
    weight : pint.Quantity, optional
        Actual body weight [mass], 0.3–400 kg.
    bsa : pint.Quantity, optional
        A given body-surface area [area], 0.05–5 m²; when present it is used for per-m² doses
        instead of a formula.
    age : pint.Quantity, optional
        Age [time], 0–120 years.
    sex : {"male", "female"}, optional
        No default: a formula that needs sex and does not get it raises.
    serum_creatinine : pint.Quantity, optional
        Serum creatinine in mg/dL or µmol/L (converted through creatinine's molar mass).
    creatinine_clearance : pint.Quantity, optional
        A measured creatinine clearance, absolute (mL/min) or normalised (``mL/min/standard_bsa``).
    cystatin_c : pint.Quantity, optional
        Serum cystatin C [mass concentration], mg/L (standardized, IFCC-calibrated), 0.05–20
        mg/L; for the cystatin C eGFR equations.
    glomerular_filtration_rate : pint.Quantity, optional
        A measured GFR (e.g. by ⁵¹Cr-EDTA or iohexol clearance), absolute (mL/min) or normalised
        (``mL/min/standard_bsa``); used first by carboplatin lines by target AUC.

    Raises
    ------
    UnitsError
        A field without units or with the wrong dimension.
    DomainError
        A field that is NaN, infinite, not positive or outside its plausible range (naming the
        field); neither height and weight nor BSA given.

    Warns
    -----
    ImplausibleInputWarning
        BMI outside 10–60 kg/m², or a given BSA more than 20% from Mosteller's.

    Examples
    --------
    >>> from dosing import Patient, Q_
    >>> p = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"), sex="male")
    >>> p
    Patient(height=Q_(150, 'cm'), weight=Q_(40, 'kg'), age=Q_(12, 'year'), sex='male')
    >>> p.height
    <Quantity(150, 'centimeter')>
    >>> Patient(bsa=Q_(1.29, "m**2")).bsa
    <Quantity(1.29, 'meter ** 2')>
    """

    height: Any = None
    weight: Any = None
    bsa: Any = None
    age: Any = None
    sex: Any = None
    serum_creatinine: Any = None
    creatinine_clearance: Any = None
    cystatin_c: Any = None
    glomerular_filtration_rate: Any = None
    #: Every field as a plain magnitude in one canonical unit (read-only; see PatientMagnitudes).
    magnitudes: PatientMagnitudes = field(init=False, repr=False, compare=False)
    #: The cohort shape: ``()`` for one patient.
    shape: tuple[int, ...] = field(init=False, repr=False, compare=False)
    #: The checked lazy (dask) magnitudes, whose checks every computed dose carries.
    lazy_checks: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    #: The warnings raised while validating this patient (also emitted through ``warnings``).
    warnings: tuple[Warning, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        with recording(frames=1) as caught:  # _validate is one frame deeper than before
            self._validate()
        object.__setattr__(self, "warnings", tuple(caught))

    def _validate(self) -> None:
        put = object.__setattr__
        stripped: dict[str, Any] = {}
        deferred: list[tuple[str, Any, str]] = []
        for name, unit, key in _SIZE_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            quantity = frozen_arrays(as_quantity(value, unit, name))
            put(self, name, quantity)
            raw = magnitude(quantity, unit, name)
            if key in ("height_cm", "weight_kg") and is_lazy(raw):
                deferred.append((name, unit, key))  # checked below, with the BMI screen
                stripped[key] = raw
            else:
                stripped[key] = checked(name, raw, unit)
        validate_sex(self.sex)
        if self.sex is not None and not isinstance(self.sex, str):
            put(self, "sex", frozen_array(np.asarray(self.sex)))
        if self.serum_creatinine is not None:
            quantity = frozen_arrays(self._creatinine_quantity(self.serum_creatinine))
            stripped["serum_creatinine_mg_dl"] = creatinine_mg_per_dl(quantity)
            put(self, "serum_creatinine", quantity)
        if self.cystatin_c is not None:
            try:
                quantity = frozen_arrays(as_quantity(self.cystatin_c, MG_PER_L, "cystatin_c"))
            except UnitsError:
                cystatin_c_mg_per_l(self.cystatin_c)  # raises its own, more helpful, message
                raise  # pragma: no cover  (it refuses whatever as_quantity refused)
            stripped["cystatin_c_mg_l"] = cystatin_c_mg_per_l(quantity)
            put(self, "cystatin_c", quantity)
        if self.creatinine_clearance is not None:
            quantity, value, normalised = self._clearance(self.creatinine_clearance)
            put(self, "creatinine_clearance", quantity)
            stripped["creatinine_clearance"] = value
            stripped["clearance_normalised"] = normalised
        if self.glomerular_filtration_rate is not None:
            quantity, value, normalised = self._clearance(
                self.glomerular_filtration_rate, "glomerular_filtration_rate"
            )
            put(self, "glomerular_filtration_rate", quantity)
            stripped["gfr"] = value
            stripped["gfr_normalised"] = normalised
        if not ((self.height is not None and self.weight is not None) or self.bsa is not None):
            raise DomainError(
                "needs height and weight, or bsa (or all three)",
                argument="Patient",
                value=self._given() or "nothing",
                fix=Example(
                    {"height": Q_(150, "cm"), "weight": Q_(40, "kg")}, call="Patient", verb="give"
                ),
                message=f"Patient needs height and weight, or bsa (or all three); got "
                f"{self._given() or 'nothing'}. E.g. Patient(height=Q_(150, 'cm'), "
                f"weight=Q_(40, 'kg')) or Patient(bsa=Q_(1.29, 'm**2'))",
            )
        self._check_shapes()
        screened = _check_size_lazily(stripped, deferred)
        self._warn_if_odd(stripped, screened)
        for value in stripped.values():  # our own copies or fresh conversions: read-only
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        view = PatientMagnitudes(**stripped)
        put(self, "magnitudes", view)
        put(
            self,
            "shape",
            np.broadcast_shapes(
                *(
                    np.shape(v)
                    for v in (view.height_cm, view.weight_kg, view.bsa_m2, view.age_years)
                    if v is not None
                )
            ),
        )
        put(
            self,
            "lazy_checks",
            tuple(
                value
                for value in (
                    view.height_cm,
                    view.weight_kg,
                    view.bsa_m2,
                    view.age_years,
                    view.serum_creatinine_mg_dl,
                    view.creatinine_clearance,
                    view.cystatin_c_mg_l,
                    view.gfr,
                )
                if is_lazy(value)
            ),
        )

    # -- construction helpers ------------------------------------------------------------------

    @staticmethod
    def _creatinine_quantity(value: object) -> Any:
        return creatinine_quantity(value, "serum_creatinine")  # one rule: dosing.body.kidney

    @staticmethod
    def _clearance(
        value: object, name: str = "creatinine_clearance"
    ) -> tuple[Any, Magnitude, bool]:
        """The clearance as given, its checked magnitude, and whether it is per 1.73 m²."""
        try:
            quantity = frozen_arrays(as_quantity(value, ML_PER_MIN, name))
            raw = magnitude(quantity, ML_PER_MIN, name)
            if name == "glomerular_filtration_rate" and _all_zero(raw):
                # anuric / on haemodialysis: GFR taken as 0, a convention of the Calvert formula
                # (guddati2014); only a carboplatin line by Calvert uses it (dosing.gfr)
                return quantity, float(raw), False
            magnitude_ = checked(
                name,
                raw,
                ML_PER_MIN,
                limit="creatinine_clearance" if name == "creatinine_clearance" else "gfr",
            )
            return quantity, magnitude_, False
        except UnitsError:
            try:
                quantity = frozen_arrays(as_quantity(value, EGFR, name))
            except UnitsError:
                raise UnitsError(
                    "needs units of mL/min (absolute) or mL/min/standard_bsa (per 1.73 m²)",
                    argument=name,
                    value=value,
                    shown=safe_repr(value),
                    fix=Example({name: Q_(90, "mL/min")}),
                ) from None
            magnitude_ = checked(
                name,
                magnitude(quantity, EGFR, name),
                EGFR,
                limit="egfr",
            )
            return quantity, magnitude_, True

    def _given(self) -> str:
        return ", ".join(name for name in _PUBLIC if getattr(self, name) is not None)

    def _check_shapes(self) -> None:
        shapes = {
            name: np.shape(getattr(self, name).magnitude)
            for name in _PUBLIC
            if name != "sex" and getattr(self, name) is not None
        }
        if self.sex is not None and not isinstance(self.sex, str):
            shapes["sex"] = np.shape(self.sex)
        for name, shape in shapes.items():
            if any(not isinstance(size, int | np.integer) for size in shape):
                raise DomainError(
                    f"is a lazy array of unknown length {shape}",
                    argument=name,
                    fix=f"call {name}.compute_chunk_sizes() on the dask array first",
                )
        try:
            np.broadcast_shapes(*shapes.values())
        except ValueError:
            raise DomainError(
                f"have shapes that do not match: {shapes}",
                argument="Patient fields",
                fix="a cohort needs arrays of one shape",
            ) from None

    def _warn_if_odd(self, stripped: dict[str, Any], bmi_screened: bool = False) -> None:
        """Warn for odd but possible combinations; for a lazy cohort, when its weight is used.

        The checks are tied into ``stripped``'s lazy arrays (for numpy, they run here).
        """
        height_cm, weight_kg = stripped.get("height_cm"), stripped.get("weight_kg")
        if height_cm is None or weight_kg is None:
            return

        def check_bmi(weight_kg: Any, height_cm: Any) -> None:
            low, high = _bmi_range(weight_kg, height_cm)
            if low < BMI_LOW or high > BMI_HIGH:  # whom it concerns, found only when it warns
                bmi = np.divide(weight_kg, np.multiply(height_cm, height_cm))
                bmi = bmi * _KG_PER_CM2_IN_KG_PER_M2
                _warn_bmi(low, high, where=(bmi < BMI_LOW) | (bmi > BMI_HIGH))

        def check_bsa(bsa_m2: Any, height_cm: Any, weight_kg: Any) -> None:
            relative = np.abs(np.asarray(bsa_m2) / np.sqrt(height_cm * weight_kg / 3600.0) - 1.0)
            far = relative > GIVEN_BSA_TOLERANCE
            if np.any(far):
                warn(
                    f"the given bsa differs from the Mosteller BSA of this height and weight by "
                    f"up to {np.max(relative):.0%}; the given bsa will be used for per-m² doses",
                    ImplausibleInputWarning,
                    stacklevel=6,
                    where=far,
                    each=False,  # "up to": the largest of them
                )

        if not bmi_screened:
            stripped["weight_kg"] = guard(weight_kg, check_bmi, weight_kg, height_cm)
        if stripped.get("bsa_m2") is not None:
            stripped["bsa_m2"] = guard(
                stripped["bsa_m2"], check_bsa, stripped["bsa_m2"], height_cm, stripped["weight_kg"]
            )

    @property
    def is_cohort(self) -> bool:
        """True when the fields are arrays (many patients in one object)."""
        return self.shape != ()

    # -- value-object behaviour ----------------------------------------------------------------

    def _public(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PUBLIC}

    def __repr__(self) -> str:
        parts = []
        for name, value in self._public().items():
            if value is None:
                continue
            if name == "sex":
                shown = repr(value) if isinstance(value, str) else repr(np.asarray(value).tolist())
            else:
                mag = value.magnitude
                mag_text = repr(mag.tolist()) if isinstance(mag, np.ndarray) else repr(mag)
                shown = f"Q_({mag_text}, {short(value.units)!r})"
            parts.append(f"{name}={shown}")
        return f"Patient({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Patient):
            return NotImplemented
        mine, theirs = self._public(), other._public()
        for name, value in mine.items():
            other_value = theirs[name]
            if (value is None) != (other_value is None):
                return False
            if value is None:
                continue
            if name == "sex":
                if not np.array_equal(np.asarray(value), np.asarray(other_value)):
                    return False
            elif value.dimensionality != other_value.dimensionality or not np.array_equal(
                np.asarray(value.to_base_units().magnitude),
                np.asarray(other_value.to_base_units().magnitude),
            ):
                return False
        return True

    def __hash__(self) -> int:
        # From the same canonical values as __eq__, so equal patients hash equally (150 cm and
        # 1.5 m alike).
        parts: list[object] = []
        for name, value in self._public().items():
            if value is None:
                parts.append(None)
            elif name == "sex":
                parts.append(np.asarray(value).tobytes())
            else:
                base = np.asarray(value.to_base_units().magnitude, dtype=np.float64)
                parts.append((str(value.dimensionality), base.tobytes()))
        return hash(tuple(parts))


#: Patients per block when a cohort's BMI range is computed block by block.
_BLOCK: Final = 2**15


def _bmi_range(weight_kg: Any, height_cm: Any) -> tuple[float, float]:
    """The lowest and highest BMI = W / H² [kg/m²] (H in cm, pint's cm² -> m² factor).

    For a large cohort of one shape, block by block: each block's BMI is computed in place in a
    cache-sized buffer and only its minimum and maximum are kept, so the screen costs no array
    of the cohort's size and one read of height and weight.
    """
    if (
        isinstance(weight_kg, np.ndarray)
        and isinstance(height_cm, np.ndarray)
        and weight_kg.shape == height_cm.shape
        and weight_kg.size > _BLOCK
    ):
        weights, heights = weight_kg.reshape(-1), height_cm.reshape(-1)
        buffer = np.empty(_BLOCK)
        low, high = np.inf, -np.inf
        multiply, divide, minimum, maximum = np.multiply, np.divide, np.minimum, np.maximum
        for start in range(0, weights.size, _BLOCK):
            w, h = weights[start : start + _BLOCK], heights[start : start + _BLOCK]
            ratio = buffer[: w.size]
            multiply(h, h, out=ratio)
            divide(w, ratio, out=ratio)
            low = min(low, float(minimum.reduce(ratio)))
            high = max(high, float(maximum.reduce(ratio)))
        # x -> x × k (k > 0) never reverses an order in floating point, so the extreme BMIs are
        # the extreme W / H² times k, exactly as if every BMI had been multiplied out
        return low * _KG_PER_CM2_IN_KG_PER_M2, high * _KG_PER_CM2_IN_KG_PER_M2
    bmi = np.multiply(height_cm, height_cm)
    if isinstance(bmi, np.ndarray):
        np.divide(weight_kg, bmi, out=bmi)
        bmi *= _KG_PER_CM2_IN_KG_PER_M2
    else:
        bmi = weight_kg / bmi * _KG_PER_CM2_IN_KG_PER_M2
    if isinstance(bmi, float):
        return bmi, bmi
    return float(np.min(bmi)), float(np.max(bmi))  # two reductions, no masks


def _warn_bmi(low: float, high: float, where: Any = None) -> None:
    if low < BMI_LOW or high > BMI_HIGH:
        shown = f"{low:.1f}" if low == high else f"{low:.1f}–{high:.1f}"
        warn(
            f"BMI {shown} kg/m² is outside {BMI_LOW:g}–{BMI_HIGH:g} kg/m²: check height and weight",
            ImplausibleInputWarning,
            stacklevel=7,
            where=where,
            each=low == high,  # a range of BMIs summarises the patients
        )


def _check_size_lazily(stripped: dict[str, Any], deferred: list[tuple[str, Any, str]]) -> bool:
    """Check the lazy heights and weights in ``stripped``; True if the BMI screen ran with them.

    A lazy cohort's height and weight of one chunking are checked in one task per chunk: each
    cache-sized block's range checks and BMI screen read the block once, instead of a task and
    a pass over memory for each check. The errors and the warning are those of the separate
    checks. Otherwise each deferred field gets its own blockwise range check.
    """
    height: Any = stripped.get("height_cm")
    weight: Any = stripped.get("weight_kg")
    if (
        len(deferred) == 2
        and getattr(height, "ndim", 0) == 1
        and getattr(height, "chunks", None) == getattr(weight, "chunks", False)
    ):
        screened = weight.map_blocks(_check_size_block, height, dtype=np.float64)
        stripped["weight_kg"] = screened
        stripped["height_cm"] = height.map_blocks(_first, screened, dtype=np.float64)
        return True
    for name, unit, key in deferred:
        stripped[key] = checked(name, stripped[key], unit)
    return False


def _first(first: Any, *tied: Any) -> Any:
    return first


def _check_size_block(weight_kg: Any, height_cm: Any, block_info: Any = None) -> Any:
    """One chunk of a lazy cohort: height and weight in range, then the BMI screen."""
    location = (block_info or {}).get(0, {}).get("array-location")
    offset = None if location is None else tuple(start for start, _ in location)
    weights = np.asarray(weight_kg, dtype=np.float64)
    heights = np.asarray(height_cm, dtype=np.float64)
    h_low, h_high = bounds("height", CM)
    w_low, w_high = bounds("weight", KG)
    minimum, maximum = np.minimum.reduce, np.maximum.reduce
    buffer = np.empty(min(_BLOCK, heights.size))
    low, high = np.inf, -np.inf
    for start in range(0, heights.size, _BLOCK):
        h, w = heights[start : start + _BLOCK], weights[start : start + _BLOCK]
        if not (h_low <= minimum(h) and maximum(h) <= h_high) or not (
            w_low <= minimum(w) and maximum(w) <= w_high
        ):  # the whole chunk's checks name the first bad value, as a field's own check does
            check_range("height", heights, h_low, h_high, CM, offset)
            check_range("weight", weights, w_low, w_high, KG, offset)
        ratio = buffer[: h.size]
        np.multiply(h, h, out=ratio)
        np.divide(w, ratio, out=ratio)
        low, high = min(low, float(minimum(ratio))), max(high, float(maximum(ratio)))
    _warn_bmi(low * _KG_PER_CM2_IN_KG_PER_M2, high * _KG_PER_CM2_IN_KG_PER_M2)
    return weight_kg


#: Size fields: name, canonical unit, and the magnitude's name in PatientMagnitudes.
_SIZE_FIELDS: Final = (
    ("height", CM, "height_cm"),
    ("weight", KG, "weight_kg"),
    ("bsa", M2, "bsa_m2"),
    ("age", YEAR, "age_years"),
)
#: The fields a caller gives, in order.
_PUBLIC: Final = (
    "height",
    "weight",
    "bsa",
    "age",
    "sex",
    "serum_creatinine",
    "creatinine_clearance",
    "cystatin_c",
    "glomerular_filtration_rate",
)


def _all_zero(value: Any) -> bool:
    """Whether a (non-lazy) magnitude is exactly 0: one patient's GFR given as 0."""
    return bool(np.ndim(value) == 0 and float(value) == 0.0)
