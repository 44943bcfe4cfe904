"""Doses by target exposure: carboplatin by GFR, exposure units, and adjustment to a target.

A dose by target exposure is not a body-size formula: it turns a target area under the
concentration-time curve (AUC) and the patient's drug clearance into an amount,
``dose = target AUC × clearance``. For carboplatin the clearance is the glomerular filtration rate
(GFR, an absolute clearance in mL/min) plus a non-renal part:

* **Calvert** (adults): clearance = GFR + 25 mL/min (Calvert et al. 1989);
* **Newell** (children): clearance = GFR + 0.36 mL/min per kg of body weight (Newell et al.
  1993, UKCCSG; GFR measured by ⁵¹Cr-EDTA clearance, absolute, not per 1.73 m²).

Both are in :data:`GFR_FORMULAS`, the keys a template's ``gfr_formula`` takes.

Exposures are reported in several units (the 2019 harmonisation chose mg·h/L for busulfan;
laboratories also report µmol·min/L, "µM·min", or a steady-state concentration Css).
:func:`convert_auc` converts between them through pint, with the agent's molar mass
(``data/exposure.toml``) and, for a concentration, its dosing interval (AUC over one interval =
Css × τ). :func:`adjust_to_target` and :func:`remaining_doses` scale a dose to a target exposure
under linear pharmacokinetics, the assumption they state.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from dosing._data import load_toml
from dosing._warn import warn
from dosing.errors import (
    DomainError,
    Example,
    ImplausibleExposureWarning,
    UnitsError,
    UnknownKeyError,
    safe_repr,
    show_value,
)
from dosing.plausibility import strip
from dosing.references import REFERENCES
from dosing.registry import Registry
from dosing.units import (
    AUC,
    EGFR,
    KG,
    MG,
    ML_PER_MIN,
    Q_,
    magnitude,
    parse_unit,
    read_quantity,
    read_unit_text,
    ureg,
)
from dosing.vocabulary import canonical_agent

__all__ = [
    "CALVERT_GFR_CAP",
    "CALVERT_NONRENAL",
    "GFR_FORMULAS",
    "LINEAR_PK",
    "MOLAR_MASSES",
    "NEWELL_NONRENAL_PER_KG",
    "PLAUSIBLE_RATIO",
    "TARGET_AUC_RANGES",
    "ClearanceFormula",
    "MolarMass",
    "RemainingDoses",
    "TargetRange",
    "adjust_to_target",
    "carboplatin_calvert",
    "carboplatin_clearance",
    "carboplatin_newell",
    "convert_auc",
    "remaining_doses",
]

#: Non-renal carboplatin clearance in the Calvert formula [mL/min].
CALVERT_NONRENAL: Final = Q_(25.0, ML_PER_MIN)

#: Default cap on GFR in the Calvert formula (FDA 2010, NCCN).
CALVERT_GFR_CAP: Final = Q_(125.0, ML_PER_MIN)

#: Non-renal carboplatin clearance per kg of body weight in the Newell formula [mL/min/kg].
NEWELL_NONRENAL_PER_KG: Final = Q_(0.36, "mL/min/kg")

#: The most administrations :func:`remaining_doses` plans: a bound on work, not a clinical fact
#: (a course of busulfan every 6 hours has 16).
MAX_REMAINING_DOSES: Final = 1000

#: The assumption :func:`adjust_to_target` and :func:`remaining_doses` rest on, in words.
LINEAR_PK: Final = (
    "linear pharmacokinetics: exposure is proportional to dose and clearance is constant, so "
    "new dose = dose × target / observed"
)

_CALVERT_NONRENAL_ML_MIN: Final = float(CALVERT_NONRENAL.m_as(ML_PER_MIN))
_NEWELL_PER_KG: Final = float(NEWELL_NONRENAL_PER_KG.m_as(ML_PER_MIN / KG))


# -- carboplatin clearance formulas -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClearanceFormula:
    """A carboplatin clearance formula: GFR plus a non-renal part.

    Attributes
    ----------
    key, name : str
        Registry key (``"calvert"``) and display name.
    equation : str
        The dose equation, in words.
    references : tuple of str
        Citation keys.
    needs_weight : bool
        Whether the non-renal part depends on body weight (Newell).
    kernel : callable
        ``kernel(gfr_ml_min, weight_kg) -> clearance [mL/min]`` on floats or arrays.
    agents : tuple of str
        The canonical agents the formula was derived for (``("carboplatin",)``): the loader
        refuses a line by target AUC for any other agent (a carboplatin clearance is not another
        drug's).
    population : str
        ``"adult"`` or ``"child"``: whom the formula was derived in (``dosing.check()`` warns
        ``outside_population`` for a patient of the other group).
    """

    key: str
    name: str
    equation: str
    references: tuple[str, ...]
    needs_weight: bool
    kernel: Callable[[Any, Any], Any]
    agents: tuple[str, ...] = ("carboplatin",)
    population: str = "adult"


#: The carboplatin formulas a template's ``gfr_formula`` names: ``"calvert"``, ``"newell"``.
GFR_FORMULAS: Registry[ClearanceFormula] = Registry("gfr_formula", name="GFR_FORMULAS")


def _calvert_kernel(gfr: Any, weight: Any) -> Any:
    return gfr + _CALVERT_NONRENAL_ML_MIN


def _newell_kernel(gfr: Any, weight: Any) -> Any:
    return gfr + _NEWELL_PER_KG * weight


GFR_FORMULAS.register(
    "calvert",
    ClearanceFormula(
        "calvert",
        "Calvert",
        "dose [mg] = target AUC [mg·min/mL] × (GFR [mL/min] + 25)",
        ("calvert1989",),
        False,
        _calvert_kernel,
    ),
)
GFR_FORMULAS.register(
    "newell",
    ClearanceFormula(
        "newell",
        "Newell",
        "dose [mg] = target AUC [mg·min/mL] × (GFR [mL/min] + 0.36 × weight [kg])",
        ("newell1993",),
        True,
        _newell_kernel,
        population="child",
    ),
)


def carboplatin_clearance(formula: str, gfr_ml_min: Any, weight_kg: Any = None) -> Any:
    """Carboplatin clearance [mL/min] by ``formula`` from an absolute GFR [mL/min] (floats).

    The kernel the template lines use, on magnitudes; ``weight_kg`` is needed by Newell.

    Examples
    --------
    >>> carboplatin_clearance("calvert", 100.0), carboplatin_clearance("newell", 60.0, 20.0)
    (125.0, 67.2)
    """
    entry = GFR_FORMULAS[formula]
    if entry.needs_weight and weight_kg is None:
        raise DomainError(
            f"is needed by the {entry.name} formula ({entry.equation})",
            argument="weight",
            value=None,
            fix=Example({"weight": Q_(20, "kg")}, verb="give"),
        )
    return entry.kernel(gfr_ml_min, weight_kg)


def _absolute_gfr(gfr: object, formula: str) -> Any:
    if hasattr(gfr, "dimensionality") and _same_dims(gfr, EGFR):
        raise UnitsError(
            f"is normalised to 1.73 m²; the {formula} formula needs an absolute clearance",
            argument="gfr",
            value=gfr,
            shown=safe_repr(gfr),
            fix="pass (egfr * patient_bsa).to('mL/min')",
            message=f"gfr={gfr!r} is normalised to 1.73 m²; the {formula} formula needs an "
            f"absolute clearance: pass (egfr * patient_bsa).to('mL/min')",
        )
    return strip(gfr, "gfr", ML_PER_MIN)


def _same_dims(quantity: Any, unit: Any) -> bool:
    return bool(quantity.dimensionality == unit.dimensionality)


def _mg(dose: Any) -> Any:
    return Q_(float(dose) if np.ndim(dose) == 0 else dose, MG)


def carboplatin_calvert(
    target_auc: object, gfr: object, *, gfr_cap: object = CALVERT_GFR_CAP
) -> Any:
    """Calvert carboplatin dose [mg] = target AUC [mg·min/mL] × (GFR [mL/min] + 25 mL/min).

    GFR is an absolute clearance (mL/min); an eGFR per 1.73 m² is refused until multiplied by the
    patient's BSA. GFR is capped at ``gfr_cap`` (125 mL/min by default, per FDA/NCCN), so AUC
    6, 5 and 4 give at most 900, 750 and 600 mg; ``gfr_cap=None`` removes the cap.

    References
    ----------
    calvert1989, fda-carboplatin-gfr-cap

    Examples
    --------
    >>> from dosing import Q_, carboplatin_calvert
    >>> carboplatin_calvert(Q_(5, "mg*min/mL"), Q_(100, "mL/min"))  # 5 × (100 + 25)
    <Quantity(625.0, 'milligram')>
    >>> carboplatin_calvert(Q_(6, "mg*min/mL"), Q_(140, "mL/min"))  # capped: 6 × (125 + 25)
    <Quantity(900.0, 'milligram')>
    """
    gfr_ml_min = _absolute_gfr(gfr, "Calvert")
    auc = strip(target_auc, "target_auc", AUC)
    if gfr_cap is not None:
        cap = strip(gfr_cap, "gfr_cap", ML_PER_MIN, limit="gfr")
        gfr_ml_min = np.minimum(gfr_ml_min, cap)
    return _mg(auc * _calvert_kernel(gfr_ml_min, None))


def carboplatin_newell(target_auc: object, gfr: object, weight: object) -> Any:
    """Newell paediatric carboplatin dose [mg] = target AUC × (GFR [mL/min] + 0.36 × weight [kg]).

    GFR is the absolute clearance (mL/min), as in the paper (⁵¹Cr-EDTA, not normalised to
    1.73 m²); a normalised eGFR is refused until multiplied by the BSA. No GFR cap: none is
    published for this formula.

    References
    ----------
    newell1993

    Examples
    --------
    >>> from dosing import Q_, carboplatin_newell
    >>> carboplatin_newell(Q_(5, "mg*min/mL"), Q_(60, "mL/min"), Q_(20, "kg"))  # 5 × (60 + 7.2)
    <Quantity(336.0, 'milligram')>
    """
    gfr_ml_min = _absolute_gfr(gfr, "Newell")
    auc = strip(target_auc, "target_auc", AUC)
    weight_kg = strip(weight, "weight", KG)
    return _mg(auc * _newell_kernel(gfr_ml_min, weight_kg))


# -- data: molar masses and usual targets -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MolarMass:
    """An agent's molar mass [g/mol] with its source."""

    agent: str
    value: Any
    references: tuple[str, ...]
    quote: str


@dataclass(frozen=True, slots=True)
class TargetRange:
    """The usual target AUC of an agent dosed by target exposure [mg·min/mL]."""

    agent: str
    low: float
    high: float
    references: tuple[str, ...]
    quote: str
    note: str

    def describe(self) -> str:
        """``usual target AUC 4–8 mg·min/mL``."""
        return f"usual target AUC {self.low:g}–{self.high:g} mg·min/mL"

    @property
    def sources(self) -> str:
        """``(globalrph-carboplatin, nccn-carboplatin)``."""
        return f"({', '.join(self.references)})"


def _references(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(k in REFERENCES for k in raw):
        raise ValueError(f"data/exposure.toml: {where}.references must cite known keys")
    return tuple(raw)


def _load() -> tuple[Mapping[str, MolarMass], Mapping[str, TargetRange]]:
    data = load_toml("data/exposure.toml")
    if set(data) != {"molar_mass", "target"}:
        raise ValueError(f"data/exposure.toml: unknown tables {sorted(data)}")
    masses: dict[str, MolarMass] = {}
    for name, entry in data["molar_mass"].items():
        if set(entry) != {"value", "references", "quote"}:
            raise ValueError(f"data/exposure.toml: molar_mass.{name} has fields {sorted(entry)}")
        value = Q_(entry["value"])
        if not _same_dims(value, ureg.Unit("g/mol")):
            raise ValueError(f"data/exposure.toml: molar_mass.{name} is not a molar mass")
        agent = canonical_agent(name)
        refs = _references(entry["references"], f"molar_mass.{name}")
        masses[agent] = MolarMass(agent, value, refs, entry["quote"])
    targets: dict[str, TargetRange] = {}
    for name, entry in data["target"].items():
        if set(entry) != {"low", "high", "references", "quote", "note"}:
            raise ValueError(f"data/exposure.toml: target.{name} has fields {sorted(entry)}")
        agent = canonical_agent(name)
        low, high = (float(Q_(entry[k]).m_as(AUC)) for k in ("low", "high"))
        if not 0 < low < high:
            raise ValueError(f"data/exposure.toml: target.{name} needs 0 < low < high")
        refs = _references(entry["references"], f"target.{name}")
        targets[agent] = TargetRange(agent, low, high, refs, entry["quote"], entry["note"])
    return MappingProxyType(masses), MappingProxyType(targets)


_MASSES, _TARGETS = _load()
#: Molar masses by canonical agent name (``data/exposure.toml``), read-only.
MOLAR_MASSES: Final[Mapping[str, MolarMass]] = _MASSES
#: Usual target AUCs by canonical agent name (``data/exposure.toml``), read-only.
TARGET_AUC_RANGES: Final[Mapping[str, TargetRange]] = _TARGETS


# -- exposure units -----------------------------------------------------------------------------

_MASS_AUC: Final = ureg.Unit("mg*h/L")
_MOLAR_AUC: Final = ureg.Unit("umol*min/L")
_MASS_CONC: Final = ureg.Unit("ng/mL")
_MOLAR_CONC: Final = ureg.Unit("umol/L")
_HOUR: Final = ureg.Unit("hour")
_FAMILIES: Final = (
    ("mass AUC", _MASS_AUC),
    ("molar AUC", _MOLAR_AUC),
    ("mass concentration", _MASS_CONC),
    ("molar concentration", _MOLAR_CONC),
)


def _family(unit: Any, argument: str, value: object) -> str:
    for name, reference in _FAMILIES:
        if unit.dimensionality == reference.dimensionality:
            return name
    raise UnitsError(
        "is not an exposure: an AUC (mg·h/L, µmol·min/L, mg·min/mL) or a steady-state "
        "concentration (ng/mL, µmol/L)",
        argument=argument,
        value=value,
        shown=safe_repr(value),
        fix='write e.g. Q_(90, "mg*h/L") or Q_(1200, "umol*min/L")',
    )


def _molar_mass(agent: str | None, why: str) -> Any:
    if agent is None:
        raise DomainError(
            f"is needed: {why} needs the agent's molar mass",
            argument="agent",
            value=None,
            fix=f"give agent=..., one of {', '.join(map(repr, sorted(MOLAR_MASSES)))}",
        )
    name = canonical_agent(agent)
    if name not in MOLAR_MASSES:
        raise UnknownKeyError("agent", agent, sorted(MOLAR_MASSES))
    return MOLAR_MASSES[name].value


def _as_exposure(value: object, argument: str, unit: str = "mg*h/L") -> Any:
    """``value`` as a Quantity of real numbers, not empty; a bare number is refused with the fix
    in ``unit`` (an exposure unit for an exposure, ``"mg"`` for a dose). A text is read as a
    quantity (``"90 mg*h/L"``); a masked array, text or complex numbers, an integer beyond any
    float are refused by name (the bad-input matrix of issue 16)."""
    value = read_quantity(value, unit, argument)
    if not (hasattr(value, "units") and hasattr(value, "magnitude")):
        raise UnitsError(
            "has no unit",
            argument=argument,
            value=value,
            shown=show_value(value),
            fix=f'write {argument}=Q_({show_value(value)}, "{unit}")',
        )
    given: Any = value
    raw = magnitude(given, given.units, argument)  # real numbers, as floats; masks refused
    if np.size(raw) == 0:
        raise DomainError(
            "is empty: give at least one value", argument=argument, value=value, shown="[]"
        )
    return Q_(raw, given.units)


def _as_dose(value: object, argument: str) -> Any:
    """A dose for a linear scaling: a mass (mg), or a mass per m² or per kg."""
    quantity = _as_exposure(value, argument, "mg")
    dimensions = quantity.dimensionality
    units = quantity.units._units  # e.g. {"milligram": 1, "kilogram": -1}
    per_mass = bool(units) and all(  # mg/kg: dimensionless to pint, a ratio of masses to us
        parse_unit(name).dimensionality == MG.dimensionality for name in units
    )
    if dimensions in (MG.dimensionality, _MG_PER_M2.dimensionality) or per_mass:
        return quantity
    raise UnitsError(
        "is not a dose: a mass (mg), or a mass per m² or per kg",
        argument=argument,
        value=value,
        shown=show_value(value),
        fix=f'write e.g. {argument}=Q_(51, "mg")',
    )


_MG_PER_M2: Final = ureg.Unit("mg/m**2")


def convert_auc(
    quantity: object,
    unit: str | Any,
    *,
    agent: str | None = None,
    interval: object = None,
) -> Any:
    """An exposure in another unit: mg·h/L, µmol·min/L (µM·min), mg·min/mL, or a Css.

    Mass and molar units are converted with the agent's molar mass (:data:`MOLAR_MASSES`: an
    agent without one raises, only when moles are involved: a conversion between mass units, or
    between time units, needs no molar mass and takes any agent); a steady-state concentration
    Css and an AUC with the dosing ``interval`` τ, as AUC over one interval = Css × τ. Everything
    else is pint's own conversion.

    Parameters
    ----------
    quantity : pint.Quantity
        An AUC or a steady-state concentration (scalar or array).
    unit : str or pint.Unit
        The unit wanted, e.g. ``"umol*min/L"``, ``"mg*h/L"``, ``"ng/mL"``.
    agent : str, optional
        Needed between mass and molar units (``"busulfan"``).
    interval : pint.Quantity, optional
        The dosing interval, needed between an AUC and a concentration (``Q_(6, "h")``).

    References
    ----------
    usp35-busulfan, mccune2019

    Raises
    ------
    DomainError
        A zero, negative or non-finite exposure (no exposure is converted to a negative one).

    Examples
    --------
    >>> from dosing import Q_, convert_auc
    >>> convert_auc(Q_(90, "mg*h/L"), "umol*min/L", agent="busulfan").round(1)
    <Quantity(21924.5, 'micromole * minute / liter')>
    >>> convert_auc(Q_(900, "ng/mL"), "umol*min/L", agent="busulfan", interval=Q_(6, "h")).round(1)
    <Quantity(1315.5, 'micromole * minute / liter')>
    """
    value = _positive(_as_exposure(quantity, "quantity"), "quantity", quantity)
    target = _unit_argument(unit)
    source_family = _family(value.units, "quantity", quantity)
    target_family = _family(target, "unit", unit)
    mass = value
    if source_family.startswith("molar") and not target_family.startswith("molar"):
        mass = mass * _molar_mass(agent, f"converting {value.units:~P} to {target:~P}")
    if source_family.endswith("concentration") != target_family.endswith("concentration"):
        tau = _interval(interval)
        mass = mass * tau if source_family.endswith("concentration") else mass / tau
    if target_family.startswith("molar") and not source_family.startswith("molar"):
        mass = mass / _molar_mass(agent, f"converting {value.units:~P} to {target:~P}")
    return mass.to(target)


#: The longest dosing interval τ read (a library convention, unsourced: a bound on a slip such as
#: 10^300 h, which gave a dose of 5e-297 mg; real intervals are hours to weeks).
_MAX_INTERVAL_HOURS: Final = float(Q_(1, "year").m_as("hour"))


def _unit_argument(unit: object) -> Any:
    """The unit asked for: a text read once (bounded, as every unit text), or a pint Unit."""
    if isinstance(unit, str):
        return read_unit_text(unit, "unit", fix='write e.g. unit="umol*min/L"')
    if isinstance(unit, ureg.Unit):
        return unit
    raise UnitsError(
        "must be a unit, as text or a pint Unit",
        argument="unit",
        value=unit,
        shown=show_value(unit),
        fix='write e.g. unit="umol*min/L"',
    )


def _interval(interval: object) -> Any:
    if interval is None:
        raise DomainError(
            "is needed between an AUC and a steady-state concentration (AUC over one dosing "
            "interval = Css × τ)",
            argument="interval",
            value=None,
            fix=Example({"interval": Q_(6, "h")}, verb="give"),
        )
    hours = magnitude(read_quantity(interval, _HOUR, "interval"), _HOUR, "interval")
    values = np.asarray(hours)
    if not (values.size and np.all(values > 0) and np.all(values <= _MAX_INTERVAL_HOURS)):
        raise DomainError(
            "must be a positive duration of at most a year",
            argument="interval",
            value=interval,
            shown=show_value(interval),
        )
    return Q_(hours, _HOUR)


def _positive(value: Any, argument: str, shown: object) -> Any:
    magnitude = np.asarray(value.magnitude, dtype=float)
    if not np.all(np.isfinite(magnitude)) or np.any(magnitude <= 0):
        raise DomainError(
            "must be positive and finite",
            argument=argument,
            value=shown,
            shown=safe_repr(shown),
            fix=f"give the measured {argument} (a zero or missing value cannot be scaled)",
        )
    return value


def _in_unit_of(value: Any, reference: Any, agent: str | None, interval: object) -> Any:
    """``value`` in ``reference``'s unit, through :func:`convert_auc` when the kinds differ."""
    if _same_dims(value, reference.units):
        return value.to(reference.units)
    return convert_auc(value, reference.units, agent=agent, interval=interval)


#: The ratio target ÷ observed (and, for :func:`remaining_doses`, the exposure each remaining
#: dose is to give ÷ the mean measured exposure of one dose) outside which a dose scaled to a
#: target warns (:class:`~dosing.ImplausibleExposureWarning`). A library convention, unsourced:
#: halving or doubling a dose on one measurement is already a large change; beyond it a unit or
#: sampling slip is more likely than a real clearance. Overridable per call (``plausible_ratio``).
PLAUSIBLE_RATIO: Final = (0.5, 2.0)


def _ratio_bounds(plausible_ratio: object) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in plausible_ratio)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        low, high = math.nan, math.nan
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low <= 1 <= high):
        raise DomainError(
            "must be (low, high) with 0 < low ≤ 1 ≤ high",
            argument="plausible_ratio",
            value=plausible_ratio,
            shown=safe_repr(plausible_ratio),
            fix="write e.g. plausible_ratio=(0.5, 2.0)",
        )
    return low, high


def _warn_ratio(ratio: Any, bounds: tuple[float, float], what: str) -> None:
    values = np.atleast_1d(np.asarray(ratio, dtype=float))
    low, high = bounds
    outside = (values < low) | (values > high)
    if np.any(outside):
        worst = float(values[outside][np.argmax(np.abs(np.log(values[outside])))])
        warn(
            f"{what} is {worst:.4g}, outside the plausible ratio {low:g}–{high:g} (a library "
            f"convention, unsourced; plausible_ratio=... changes it): check the measurement, its "
            f"unit and the sampling times before giving this dose",
            ImplausibleExposureWarning,
            stacklevel=3,
            where=outside,
            each=False,  # the worst of them
        )


def adjust_to_target(
    dose: object,
    observed: object,
    target: object,
    *,
    agent: str | None = None,
    interval: object = None,
    plausible_ratio: tuple[float, float] = PLAUSIBLE_RATIO,
) -> Any:
    """The dose that gives ``target`` when ``dose`` gave ``observed``: dose × target / observed.

    The assumption is linear pharmacokinetics (:data:`LINEAR_PK`): exposure proportional to
    dose, clearance unchanged. ``observed`` and ``target`` may be in different exposure units
    (converted by :func:`convert_auc`, with ``agent`` and ``interval`` where needed). Returned in
    the dose's own unit.

    A ratio target ÷ observed outside ``plausible_ratio`` (:data:`PLAUSIBLE_RATIO`, 0.5–2 by
    default, a library convention, unsourced) warns :class:`~dosing.ImplausibleExposureWarning`
    (5 mg·h/L observed against 90: the dose × 18): the dose is still returned.

    Raises
    ------
    DomainError
        An observed exposure, target or dose that is zero, negative or not finite.

    References
    ----------
    busulfan-tdm-case

    Examples
    --------
    A published case: 51 mg gave 642 µmol·min/L against a target of 950 (75 mg was given).

    >>> from dosing import Q_, adjust_to_target
    >>> adjust_to_target(Q_(51, "mg"), Q_(642, "umol*min/L"), Q_(950, "umol*min/L")).round(2)
    <Quantity(75.47, 'milligram')>
    """
    bounds = _ratio_bounds(plausible_ratio)
    given = _positive(_as_dose(dose, "dose"), "dose", dose)
    seen = _positive(_as_exposure(observed, "observed"), "observed", observed)
    wanted = _positive(_as_exposure(target, "target"), "target", target)
    _family(seen.units, "observed", observed)
    _family(wanted.units, "target", target)
    seen = _in_unit_of(seen, wanted, agent, interval)
    ratio = np.asarray(wanted.magnitude, dtype=float) / np.asarray(seen.magnitude, dtype=float)
    _warn_ratio(ratio, bounds, "target ÷ observed exposure")
    result = given.magnitude * ratio
    return Q_(float(result) if np.ndim(result) == 0 else result, given.units)


@dataclass(frozen=True, slots=True)
class RemainingDoses:
    """The remaining doses of a course that reach a cumulative target exposure.

    Attributes
    ----------
    doses : tuple of pint.Quantity
        One dose per remaining administration, in the unit of the doses given.
    given_exposure : pint.Quantity
        The sum of the exposures so far, in the target's unit: measured, and predicted as
        dose ÷ clearance for a dose given without a measurement (``None``).
    remaining_exposure : pint.Quantity
        Target minus :attr:`given_exposure`.
    per_dose_exposure : pint.Quantity
        The exposure each remaining dose is to give (remaining ÷ administrations).
    clearance : pint.Quantity
        Dose per unit of exposure used (from the latest measured dose, or pooled over all).
    assumption : str
        :data:`LINEAR_PK`, and how the clearance was estimated.
    predicted : tuple of int
        The indices of the doses given without a measurement, whose exposure was predicted.
    """

    doses: tuple[Any, ...]
    given_exposure: Any
    remaining_exposure: Any
    per_dose_exposure: Any
    clearance: Any
    assumption: str
    predicted: tuple[int, ...] = ()

    @property
    def dose(self) -> Any:
        """The dose of each remaining administration (they are equal)."""
        return self.doses[0]


def _scalar(value: Any, argument: str, shown: object) -> float:
    magnitude_ = np.asarray(value.magnitude)
    if magnitude_.ndim != 0:
        raise DomainError(
            "is an array: remaining_doses plans one patient's course from scalar doses and "
            "exposures",
            argument=argument,
            value=shown,
            shown=safe_repr(shown),
            fix="call it once per patient (a cohort's patients have their own measurements)",
        )
    return float(magnitude_)


def remaining_doses(
    given: Sequence[object],
    exposures: Sequence[object | None],
    target: object,
    remaining: int,
    *,
    agent: str | None = None,
    interval: object = None,
    clearance: str = "latest",
    plausible_ratio: tuple[float, float] = PLAUSIBLE_RATIO,
) -> RemainingDoses:
    """The dose of each remaining administration that brings the cumulative exposure to
    ``target``.

    With linear pharmacokinetics (:data:`LINEAR_PK`), a dose ``d`` gives exposure ``d / CL``.
    ``CL`` is estimated from the measured doses: from the latest one (``clearance="latest"``,
    the default: a clearance that changes over the course is followed) or pooled over all
    (``"pooled"``: Σ dose ÷ Σ exposure). The remaining exposure, target − Σ exposures so far, is
    split equally over the ``remaining`` administrations: each dose = remaining exposure ÷
    remaining × CL. Each exposure is the AUC of its own dose (so that they add up to the
    cumulative AUC).

    **Doses given before a result arrives.** An exposure of ``None`` is a dose given without a
    measurement (busulfan's first-dose AUC arrives after doses 2 to 4 were given): its exposure
    is predicted as dose ÷ CL, with the CL above (the stated assumption; the plan's
    ``assumption`` and ``predicted`` say so). At least one dose must be measured.

    An exposure each remaining dose is to give outside ``plausible_ratio`` (0.5–2 by default,
    :data:`PLAUSIBLE_RATIO`, a library convention, unsourced) times the mean measured exposure of
    one dose warns :class:`~dosing.ImplausibleExposureWarning` (a target almost reached leaves a
    tiny dose; a target far away, a large one).

    Raises
    ------
    DomainError
        No dose given, doses and exposures of different lengths, no measured exposure, an
        exposure that is zero, a cumulative target already reached or exceeded, an array (one
        patient's scalars only), or ``remaining`` not a positive integer.
    UnitsError
        Doses given in different kinds of unit (mg and mg/kg).

    Examples
    --------
    One dose of 40 mg gave 5 mg·h/L; the target over 16 doses is 90 mg·h/L. 85 mg·h/L remain
    for 15 doses, 5.667 each, so each is 40 × 5.667 / 5 = 45.33 mg:

    >>> from dosing import Q_, remaining_doses
    >>> plan = remaining_doses([Q_(40, "mg")], [Q_(5, "mg*h/L")], Q_(90, "mg*h/L"), 15)
    >>> plan.dose.round(2), len(plan.doses)
    (<Quantity(45.33, 'milligram')>, 15)
    """
    try:
        count = operator.index(remaining)
    except TypeError:
        count = 0
    if isinstance(remaining, bool | np.ma.MaskedArray) or not 1 <= count <= MAX_REMAINING_DOSES:
        raise DomainError(
            f"must be a whole number of administrations, from 1 to {MAX_REMAINING_DOSES:,}",
            argument="remaining",
            value=remaining,
            shown=show_value(remaining),
        )
    bounds = _ratio_bounds(plausible_ratio)
    if clearance not in ("latest", "pooled"):
        raise UnknownKeyError("clearance", clearance, ("latest", "pooled"))
    if not given or len(given) != len(exposures):
        raise DomainError(
            f"has {len(given)} doses and {len(exposures)} exposures; give one exposure per dose "
            f"given (None for a dose not measured), at least one",
            argument="given",
            value=list(given),
        )
    wanted = _positive(_as_exposure(target, "target"), "target", target)
    _family(wanted.units, "target", target)
    unit = wanted.units
    total = _scalar(wanted, "target", target)
    doses = [_positive(_as_dose(d, "given"), "given", d) for d in given]
    dose_unit = doses[0].units
    for index, dose_q in enumerate(doses):
        if dose_q.dimensionality != dose_unit.dimensionality:
            raise UnitsError(
                f"is in {dose_q.units:~P}, and given[0] in {dose_unit:~P}: every dose given is "
                f"in one kind of unit",
                argument=f"given[{index}]",
                value=given[index],
                shown=safe_repr(given[index]),
                fix="give every dose as an amount (mg), e.g. 18 kg × 1.1 mg/kg = Q_(19.8, 'mg')",
            )
    dose_values = [_scalar(d.to(dose_unit), f"given[{i}]", given[i]) for i, d in enumerate(doses)]
    measured: dict[int, float] = {}
    for index, exposure in enumerate(exposures):
        if exposure is None:
            continue
        value = _positive(_as_exposure(exposure, "exposures"), "exposures", exposure)
        converted = _in_unit_of(value, wanted, agent, interval)
        measured[index] = _scalar(converted, f"exposures[{index}]", exposure)
    if not measured:
        raise DomainError(
            "has no measured exposure: the clearance is estimated from at least one",
            argument="exposures",
            value=list(exposures),
            fix="give the measured exposure of at least one dose (None for the others)",
        )
    if clearance == "latest":
        last = max(measured)
        per_exposure = dose_values[last] / measured[last]
        how = "clearance from the latest measured dose"
    else:
        per_exposure = math.fsum(dose_values[i] for i in measured) / math.fsum(measured.values())
        how = "clearance pooled over every measured dose (Σ dose ÷ Σ exposure)"
    predicted = tuple(i for i in range(len(doses)) if i not in measured)
    seen = [measured.get(i, dose_values[i] / per_exposure) for i in range(len(doses))]
    if predicted:
        how += (
            f"; the exposure of dose(s) {', '.join(str(i + 1) for i in predicted)}, given "
            f"without a measurement, predicted as dose ÷ that clearance"
        )
    so_far = math.fsum(seen)
    left = total - so_far
    if left <= 0:
        raise DomainError(
            f"is already reached: the exposures so far add up to {so_far:.6g} {unit:~P}, "
            f"at or over the target {total:.6g} {unit:~P}; no further dose can be computed",
            argument="target",
            value=target,
            shown=safe_repr(target),
            fix="review the course with the transplant team (the target is met or exceeded)",
        )
    each = left / count
    mean_measured = math.fsum(measured.values()) / len(measured)
    _warn_ratio(
        each / mean_measured,
        bounds,
        "the exposure each remaining dose is to give ÷ the mean measured exposure of one dose",
    )
    dose = each * per_exposure
    return RemainingDoses(
        doses=tuple(Q_(dose, dose_unit) for _ in range(count)),
        given_exposure=Q_(so_far, unit),
        remaining_exposure=Q_(left, unit),
        per_dose_exposure=Q_(each, unit),
        clearance=Q_(per_exposure, dose_unit / unit),
        assumption=f"{LINEAR_PK}; {how}",
        predicted=predicted,
    )
