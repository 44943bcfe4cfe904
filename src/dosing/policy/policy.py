"""Dose policies: every institutional choice explicit, named, validated and recorded.

Published sources disagree on how to round, cap, reduce and adapt doses (see
``docs/policies.md``). A :class:`Policy` makes each such choice a named field. The default policy
changes nothing: Mosteller BSA, actual body weight, no cap, no factor, no rounding, no infant or
renal rule. (When a renal table is named, how the patient's kidney function is estimated is a
choice too: :class:`RenalEstimator`.)

The policy says *what* to do; :mod:`dosing.policy.steps` does it, one step per choice, in a fixed
order, and records on every row what each step changed (``row.adjustments``, ``row.flags``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np

from dosing.body.bsa import BSA_FORMULAS
from dosing.body.egfr import EGFR_FORMULAS
from dosing.body.kidney import cg_weight_description, creatinine_mg_per_dl, creatinine_quantity
from dosing.body.weight import IBW_FORMULAS
from dosing.errors import DomainError, Example, UnitsError, UnknownKeyError, safe_repr, show_value
from dosing.exposure import CALVERT_GFR_CAP
from dosing.plausibility import MAX_INFANT_WEIGHT_KG, MAX_ROUNDING_CHANGE, MIN_DOSE_FACTOR, RANGES
from dosing.policy.bands import BAND_TABLES, BandTable, check_product
from dosing.policy.renal import RENAL_TABLES
from dosing.products import Presentation, check_brand, presentation
from dosing.units import (
    GY,
    IU,
    KG,
    M2,
    MG,
    ML_PER_MIN,
    Q_,
    as_quantity,
    magnitude,
    refuse_masked,
    short,
    ucum,
    ureg,
)
from dosing.vocabulary import ALL_AGENTS, canonical_agent

__all__ = ["DosingWeight", "InfantRule", "Policy", "RenalEstimator"]


#: The range an infant rule's divisor (kg/m²) must lie in. Library convention (unsourced): the
#: weight-to-BSA ratio of a living patient lies within it (30 in most protocols); outside it, a
#: per-kg dose would be a slip (a divisor of 1e-300 gave infinite doses, issue 16).
INFANT_DIVISOR_BOUNDS: Final = (5.0, 100.0)


#: A real number, numpy's included (an np.float32 0.5 is a fraction as 0.5 is).
_REAL: Final = (int, float, np.integer, np.floating)


@dataclass(frozen=True, slots=True)
class InfantRule:
    """Dose small children per kg instead of per m²: amount [mg/m²] ÷ ``divisor`` [mg/kg].

    Applies to patients whose actual weight is *below* ``below_weight`` (a patient exactly at the
    threshold is dosed per m²). Many protocols use 10 kg and 30; the trigger and the factor vary
    (a convention, not a single sourced rule), so both are required arguments.

    Parameters
    ----------
    below_weight : pint.Quantity
        The weight threshold [mass].
    divisor : float
        mg/kg = mg/m² ÷ divisor (the divisor is in kg/m²; a plain number is read as kg/m²).

    Examples
    --------
    >>> from dosing import InfantRule, Q_
    >>> InfantRule(below_weight=Q_(10, "kg"), divisor=30)
    InfantRule(below_weight=Q_(10, 'kg'), divisor=30.0)
    """

    below_weight: Any
    divisor: float

    def __post_init__(self) -> None:
        weight = as_quantity(self.below_weight, KG, "below_weight")
        value = magnitude(weight, KG, "below_weight")
        low, high = RANGES["weight"].low, MAX_INFANT_WEIGHT_KG
        if not (isinstance(value, float) and low <= value <= high):
            raise DomainError(
                f"must be one weight within {low:g}–{high:g} kg",
                argument="below_weight",
                value=self.below_weight,
                shown=safe_repr(self.below_weight),
                fix=Example({"below_weight": Q_(10, "kg")}),
                message=f"below_weight={self.below_weight!r} must be one weight within "
                f"{low:g}–{high:g} kg, e.g. Q_(10, 'kg')",
            )
        divisor: Any = self.divisor
        if hasattr(divisor, "units"):
            divisor = magnitude(divisor, KG / M2, "divisor")
        if (
            isinstance(divisor, bool)
            or not isinstance(divisor, _REAL)
            or not (INFANT_DIVISOR_BOUNDS[0] <= divisor <= INFANT_DIVISOR_BOUNDS[1])
        ):
            raise DomainError(
                f"must be a number of kg/m² from {INFANT_DIVISOR_BOUNDS[0]:g} to "
                f"{INFANT_DIVISOR_BOUNDS[1]:g}, e.g. 30",
                argument="divisor",
                value=self.divisor,
                # a Quantity as <Quantity(...)>, as written; a number as show_value shows it
                shown=safe_repr(self.divisor)
                if hasattr(self.divisor, "units")
                else show_value(self.divisor),
            )
        object.__setattr__(self, "below_weight", weight)
        object.__setattr__(self, "divisor", float(divisor))

    def __repr__(self) -> str:
        weight = self.below_weight
        return (
            f"InfantRule(below_weight=Q_({weight.magnitude!r}, {short(weight.units)!r}), "
            f"divisor={self.divisor!r})"
        )


WeightKind = Literal["actual", "ideal", "adjusted"]


@dataclass(frozen=True, slots=True)
class DosingWeight:
    """Which weight per-kg amounts are multiplied by.

    Parameters
    ----------
    kind : {"actual", "ideal", "adjusted"}
        Actual (total) body weight, ideal body weight, or adjusted body weight
        IBW + ``factor`` × (actual − IBW).
    factor : float, optional
        For ``"adjusted"`` only (e.g. 0.4, or 0.25 for "ABW25"); required there.
    ibw_method : str
        The ideal-body-weight formula (``devine`` by default; needs height and sex; for a
        child, ``"bmi_for_age"``, which needs age).
    cap_at_actual : bool
        An ideal or adjusted weight above the actual weight is never used: the actual weight,
        the lesser, is (True, the default). ``False`` uses it even then. Either way a row whose
        weight was above actual is flagged ``dosing_weight`` and a warning says so. Using the
        lesser of ideal and actual weight is the usual practice (clinPK's dosing weight: "if
        TBW < IBW, use TBW"; calculators do the same for Cockcroft–Gault); no guideline was
        found that states it, so it is a convention.

    Examples
    --------
    >>> from dosing import DosingWeight
    >>> DosingWeight("adjusted", factor=0.25)
    DosingWeight(kind='adjusted', factor=0.25, ibw_method='devine')
    >>> DosingWeight("ideal", cap_at_actual=False)
    DosingWeight(kind='ideal', factor=None, ibw_method='devine', cap_at_actual=False)
    """

    kind: WeightKind = "actual"
    factor: float | None = None
    ibw_method: str = "devine"
    cap_at_actual: bool = True

    def __repr__(self) -> str:
        text = f"DosingWeight(kind={self.kind!r}, factor={self.factor!r}, ibw_method="
        text += repr(self.ibw_method)
        return text + (")" if self.cap_at_actual else ", cap_at_actual=False)")

    def __post_init__(self) -> None:
        if not isinstance(self.cap_at_actual, bool):
            raise DomainError(
                "must be True or False",
                argument="cap_at_actual",
                value=self.cap_at_actual,
                shown=show_value(self.cap_at_actual),
            )
        if self.kind not in ("actual", "ideal", "adjusted"):
            raise UnknownKeyError("dosing_weight", self.kind, ("actual", "ideal", "adjusted"))
        if self.ibw_method not in IBW_FORMULAS:
            raise UnknownKeyError("ibw_method", self.ibw_method, IBW_FORMULAS)
        if self.kind == "adjusted":
            factor = self.factor
            if (
                isinstance(factor, bool)
                or not isinstance(factor, _REAL)
                or not (0.0 <= factor <= 1.0)
            ):
                raise DomainError(
                    "must be a number from 0 to 1 (0.4 in clinPK and carboplatin templates; "
                    "0.25 for ABW25)",
                    argument="factor",
                    value=factor,
                    shown=show_value(factor),
                    message=f"DosingWeight('adjusted', factor={show_value(factor)}): factor must "
                    f"be a number from 0 to 1 (0.4 in clinPK and carboplatin templates; 0.25 for "
                    f"ABW25)",
                )
            object.__setattr__(self, "factor", float(factor))
        elif self.factor is not None:
            raise DomainError(
                "belongs to 'adjusted' only",
                argument="factor",
                value=self.factor,
                shown=show_value(self.factor),
                message=f"DosingWeight({self.kind!r}, factor={show_value(self.factor)}): a factor "
                f"belongs to 'adjusted' only",
            )

    def describe(self) -> str:
        """Words for the basis column: ``adjusted body weight (factor 0.25, Devine IBW)``."""
        if self.kind == "actual":
            return "actual body weight"
        name = IBW_FORMULAS[self.ibw_method].name
        even = "" if self.cap_at_actual else ", even above actual weight"
        if self.kind == "ideal":
            return f"ideal body weight ({name}){even}"
        return f"adjusted body weight (factor {self.factor:g}, {name} IBW){even}"


#: The estimators a policy may choose: the eGFR equations and Cockcroft–Gault.
CG: Final = "cockcroft_gault"


@dataclass(frozen=True, slots=True)
class RenalEstimator:
    """How a renal table gets the patient's kidney function when it is not measured.

    A measured ``creatinine_clearance`` is always used as measured. Otherwise the kidney
    function is estimated from serum creatinine (and cystatin C), by age:

    Parameters
    ----------
    adult : str, optional
        The estimator for patients of 18 and over: a key of :data:`dosing.EGFR_FORMULAS` or
        ``"cockcroft_gault"``. ``None`` (the default): the estimator the table's source names
        (FLUDARA: Cockcroft–Gault); where it names none, CKD-EPI 2021 (the NKF-ASN Task Force's
        recommendation for US adults, Delgado et al. 2021), or CKD-EPI 2021 creatinine-cystatin
        C when the patient has a cystatin C (preferred by NIDDK for drug dosing).
    child : str, optional
        The estimator for patients under 18. ``None`` (the default): the table's, when the
        table is for children and names one; else bedside Schwartz (Schwartz et al. 2009,
        derived from 1 to 16 years). Never Cockcroft–Gault unless named here (it then warns).
    cockcroft_gault_weight : str or DosingWeight
        The weight Cockcroft–Gault uses: ``"actual"`` (the default, as in the paper),
        ``"ideal"`` or ``DosingWeight("adjusted", factor=0.4)`` (NCCN's carboplatin templates:
        consider it for a BMI of 25 kg/m² or more). As for the dosing weight, an ideal or
        adjusted weight above the actual weight is never used: the actual weight, the lesser,
        is (``"lesser"`` says the same as ``"ideal"``), so that the choice never raises a dose;
        ``DosingWeight("ideal", cap_at_actual=False)`` uses it even then. Either way a row whose
        Cockcroft–Gault weight was above actual is flagged ``renal_weight`` and a warning says so.

    Notes
    -----
    The race-based equations (``ckd_epi_2009``, ``ckd_epi_cr_cys_2012``, ``mdrd``) are refused:
    a Patient has no race field. Every choice is recorded in the row's basis.

    Examples
    --------
    >>> from dosing import RenalEstimator
    >>> RenalEstimator(child="ckid_u25", cockcroft_gault_weight="lesser")
    RenalEstimator(adult=None, child='ckid_u25', cockcroft_gault_weight='lesser')
    """

    adult: str | None = None
    child: str | None = None
    cockcroft_gault_weight: Any = "actual"

    def __post_init__(self) -> None:
        for group in ("adult", "child"):
            key = getattr(self, group)
            if key is None:
                continue
            if key != CG and key not in EGFR_FORMULAS:
                raise UnknownKeyError(f"renal_estimator.{group}", key, (CG, *EGFR_FORMULAS))
            if key != CG and EGFR_FORMULAS[key].race_based:
                raise DomainError(
                    "has a race coefficient, and a Patient has no race",
                    argument=f"renal_estimator.{group}",
                    value=key,
                    shown=show_value(key),
                    fix="use a race-free equation, e.g. 'ckd_epi_2021'",
                )
        weight = self.cockcroft_gault_weight
        if isinstance(weight, DosingWeight):
            return
        if weight not in ("actual", "ideal", "lesser"):
            raise DomainError(
                "must be 'actual', 'ideal', 'lesser' or a DosingWeight such as "
                "DosingWeight('adjusted', factor=0.4)",
                argument="renal_estimator.cockcroft_gault_weight",
                value=weight,
                shown=show_value(weight),
            )

    @property
    def cg_weight(self) -> DosingWeight:
        """The Cockcroft–Gault weight as a :class:`DosingWeight`."""
        weight = self.cockcroft_gault_weight
        if isinstance(weight, DosingWeight):
            return weight
        # "ideal" is capped at actual weight as DosingWeight("ideal") is: the same rule
        return DosingWeight("actual") if weight == "actual" else DosingWeight("ideal")

    def cg_weight_text(self) -> str:
        """The Cockcroft–Gault weight in words."""
        weight = self.cg_weight
        if weight.kind == "actual":
            return "actual body weight"
        if weight.kind == "ideal":
            if weight.cap_at_actual:
                return cg_weight_description("lesser", weight.ibw_method, None)
            ideal = cg_weight_description("ideal", weight.ibw_method, None)
            return f"{ideal}, even above actual weight"
        text = cg_weight_description("adjusted", weight.ibw_method, weight.factor)
        return text + (
            ", at most actual weight" if weight.cap_at_actual else ", even above actual weight"
        )

    def describe(self) -> dict[str, Any]:
        """A JSON-safe description."""
        return {
            "adult": self.adult or "the table's estimator (CKD-EPI 2021 where it names none)",
            "child": self.child or "the table's estimator for children, else bedside Schwartz",
            "cockcroft_gault_weight": self.cg_weight_text(),
        }


_INCREMENT_UNITS: Final = (MG, IU, GY)
ML: Final = ureg.Unit("mL")


def _agent_map(name: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise DomainError(
            "must be a mapping of agent name to a value",
            argument=name,
            value=value,
            shown=show_value(value),
        )
    out: dict[str, Any] = {}
    for agent, item in value.items():
        if not isinstance(agent, str) or not agent.strip():
            raise DomainError(
                f"has key {show_value(agent)}",
                argument=name,
                value=value,
                fix="keys are agent names or '*'",
                message=f"{name} has key {show_value(agent)}; keys are agent names or '*'",
            )
        key = ALL_AGENTS if agent.strip() == ALL_AGENTS else canonical_agent(agent)
        if key in out:
            raise DomainError(
                f"names {key!r} twice (as {agent!r} too)",
                argument=name,
                fix="agent names match case-insensitively, so give each agent once",
                message=f"{name} names {key!r} twice (as {agent!r} too); agent names match "
                f"case-insensitively, so give each agent once",
            )
        out[key] = item
    return out


@dataclass(frozen=True, slots=True)
class Policy:
    """The institutional choices applied when a regimen is expanded; the default changes nothing
    but the published Calvert GFR cap (125 mL/min) on carboplatin doses by target AUC.

    Parameters
    ----------
    bsa_method : str
        A :data:`~dosing.BSA_FORMULAS` key for patients without a given BSA.
    bsa_cap : pint.Quantity, optional
        Per-m² doses use min(BSA, cap); flag ``"bsa_capped"``.
    dose_factors : mapping of agent to float
        Fraction of the full dose, in [0.1, 1] (e.g. ``{"fludarabine": 0.8}``); flag
        ``"reduced"``. The floor, 0.1, is a library convention (``data/plausibility.toml``).
        ``"*"`` applies to every drug; radiation is reduced only when named.
    rounding : mapping of agent (or ``"*"``) to pint.Quantity or ``"vial"``
        Round half-up to this increment (e.g. ``Q_(0.1, "mg")``), last; flag ``"rounded"``. An
        agent's own entry wins over ``"*"``, which applies to every agent dosed in the
        increment's dimension (a mass increment leaves radiation doses alone) and has no band
        table. ``"vial"`` (for a named agent) rounds to whole vials of the agent's product
        (``products``), and a volume (``Q_(0.1, "mL")``, a syringe graduation) to that volume of
        it; both refused like any rounding past ``max_rounding_change``.
    max_rounding_change : float
        A rounding that would move a dose by more than this fraction raises (HOPA: ±10%).
    infant_rule : InfantRule, optional
        Off unless given.
    renal : str or sequence of str, optional
        Keys of :data:`dosing.policy.renal.RENAL_TABLES`.
    dosing_weight : str, DosingWeight, or mapping of agent (or ``"*"``) to either
        The weight per-kg amounts use; actual body weight by default. An ideal or adjusted
        weight above the actual weight uses the actual weight unless the DosingWeight says
        ``cap_at_actual=False``; either way the row is flagged.
    renal_estimator : RenalEstimator or mapping
        How kidney function is estimated for the renal tables (by default the table's own
        estimator for adults, bedside Schwartz for children).
    renal_outside_population : {"refuse", "accept"}
        A renal table applied to a patient outside its population (an adult table and a child)
        raises (``"refuse"``, the default). ``"accept"`` applies it, converting the patient's
        kidney function to the table's measure through their BSA; every affected row records
        it (flag ``renal_outside_population``) and a warning says so.
    bands : mapping of agent to BandTable (or a key of ``dosing.BAND_TABLES``)
        Band the agent's doses by the table (after the caps, before rounding); flag
        ``"banded"``. A dose outside every band is left as calculated, flagged ``"not_banded"``,
        and ``check()`` says why. An agent with a band table is not also rounded.
    products : mapping of agent to a product key (``dosing.PRODUCTS``)
        The presentation each agent is prepared from: ``row.volume`` (the volume to draw up),
        ``schedule.vials()`` and vial rounding use it. None is chosen unless named here (or by
        the agent's band table): the default policy prepares nothing.
    gfr_cap : pint.Quantity or None
        For carboplatin lines by target AUC with the Calvert formula: the GFR is capped at this
        absolute clearance (125 mL/min by default, FDA 2010 / NCCN); flag ``gfr_capped``.
        ``None`` removes the cap. Lines by the Newell formula are not capped (no source caps it).
    creatinine_floor : pint.Quantity, mapping of age group to one, or None
        For lines by target AUC whose GFR is estimated from serum creatinine: a creatinine below
        this is raised to it before the estimate (NCCN suggests considering 0.7 mg/dL, an adult
        convention); flag ``creatinine_floored``. Off by default. A single quantity (mg/dL, or
        µmol/L converted through creatinine's molar mass) floors **adults only** (18 years and
        over); a child is floored only when the policy says so for children:
        ``{"adult": Q_(0.7, "mg/dL"), "child": Q_(0.3, "mg/dL")}`` (keys ``"adult"`` and
        ``"child"``, either may be left out). Stored as that mapping.

    Examples
    --------
    >>> from dosing import Policy, Q_
    >>> Policy(bsa_cap=Q_(2.0, "m**2"), rounding={"*": Q_(0.1, "mg")})
    Policy(bsa_cap=Q_(2.0, 'm**2'), rounding={'*': Q_(0.1, 'mg')})
    """

    bsa_method: str = "mosteller"
    bsa_cap: Any = None
    dose_factors: Mapping[str, float] = field(default_factory=dict)
    rounding: Mapping[str, Any] = field(default_factory=dict)
    max_rounding_change: float = 0.10
    infant_rule: InfantRule | None = None
    renal: str | tuple[str, ...] | None = None
    dosing_weight: Any = "actual"
    renal_estimator: Any = RenalEstimator()
    renal_outside_population: str = "refuse"
    bands: Mapping[str, Any] = field(default_factory=dict)
    products: Mapping[str, str] = field(default_factory=dict)
    gfr_cap: Any = CALVERT_GFR_CAP
    creatinine_floor: Any = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        if not isinstance(self.bsa_method, str) or self.bsa_method not in BSA_FORMULAS:
            raise UnknownKeyError("bsa_method", self.bsa_method, tuple(BSA_FORMULAS))
        if self.bsa_cap is not None:
            cap = as_quantity(self.bsa_cap, M2, "bsa_cap")
            value = magnitude(cap, M2, "bsa_cap")
            low, high = RANGES["bsa"].low, RANGES["bsa"].high
            if not (isinstance(value, float) and low <= value <= high):
                raise DomainError(
                    f"must be one area within {low:g}–{high:g} m²",
                    argument="bsa_cap",
                    value=self.bsa_cap,
                    shown=safe_repr(self.bsa_cap),
                    fix=Example({"bsa_cap": Q_(2.0, "m**2")}),
                    message=f"bsa_cap={self.bsa_cap!r} must be one area within {low:g}–{high:g} "
                    f"m², e.g. Q_(2.0, 'm**2')",
                )
            put(self, "bsa_cap", cap)
        factors = _agent_map("dose_factors", self.dose_factors)
        for agent, factor in factors.items():
            if (
                isinstance(factor, bool)
                or not isinstance(factor, _REAL)
                or not (MIN_DOSE_FACTOR <= factor <= 1.0)
            ):
                raise DomainError(
                    f"must be a fraction in [{MIN_DOSE_FACTOR:g}, 1], e.g. 0.8 for 80% of the "
                    f"full dose; a factor above 1 is refused, and one under {MIN_DOSE_FACTOR:g} "
                    f"is more likely a slip than a reduction (to give less, write the reduced "
                    f"amount in a template of your own)",
                    argument=f"dose_factors[{agent!r}]",
                    value=factor,
                    shown=show_value(factor),
                )
            factors[agent] = float(factor)
        put(self, "dose_factors", MappingProxyType(factors))
        increments = _agent_map("rounding", self.rounding)
        for agent, increment in increments.items():
            increments[agent] = _increment(agent, increment)
        put(self, "rounding", MappingProxyType(increments))
        change: Any = self.max_rounding_change
        if (
            isinstance(change, bool)
            or not isinstance(change, _REAL)
            or not (0.0 < change <= MAX_ROUNDING_CHANGE)
        ):
            raise DomainError(
                f"must be a fraction in (0, {MAX_ROUNDING_CHANGE:g}], e.g. 0.10 (HOPA's 10%)",
                argument="max_rounding_change",
                value=change,
                shown=show_value(change),
            )
        put(self, "max_rounding_change", float(change))
        if self.infant_rule is not None and not isinstance(self.infant_rule, InfantRule):
            raise DomainError(
                "must be an InfantRule, e.g. InfantRule(below_weight=Q_(10, 'kg'), divisor=30)",
                argument="infant_rule",
                value=self.infant_rule,
                shown=show_value(self.infant_rule),
            )
        put(self, "renal", _renal_keys(self.renal))
        put(self, "dosing_weight", _dosing_weights(self.dosing_weight))
        estimator = self.renal_estimator
        if isinstance(estimator, Mapping):
            unknown = set(estimator) - {"adult", "child", "cockcroft_gault_weight"}
            if unknown:
                raise DomainError(
                    f"has key(s) {sorted(unknown)}",
                    argument="renal_estimator",
                    value=estimator,
                    shown=show_value(estimator),
                    fix="use 'adult', 'child' and 'cockcroft_gault_weight'",
                )
            estimator = RenalEstimator(**estimator)
        if not isinstance(estimator, RenalEstimator):
            raise DomainError(
                "must be a RenalEstimator, e.g. RenalEstimator(child='ckid_u25')",
                argument="renal_estimator",
                value=estimator,
                shown=show_value(estimator),
            )
        put(self, "renal_estimator", estimator)
        if self.renal_outside_population not in ("refuse", "accept"):
            raise UnknownKeyError(
                "renal_outside_population", self.renal_outside_population, ("refuse", "accept")
            )
        put(self, "bands", _band_tables(self.bands))
        products = _agent_map("products", self.products)
        for agent, key in products.items():
            if agent == ALL_AGENTS:
                raise DomainError(
                    "names '*'; a product is an agent's own",
                    argument="products",
                    value=self.products,
                    fix="name each agent, e.g. products={'fludarabine': 'fludarabine-25mg-ml-2ml'}",
                )
            item = presentation(agent, key)  # an unknown key, or another agent's, raises
            if agent in self.bands:  # a table is for one product, or one concentration
                check_product(self.bands[agent], item, f"products[{agent!r}]")
        put(self, "products", MappingProxyType(products))
        for agent, increment in self.rounding.items():
            if agent in self.bands:
                raise DomainError(
                    "rounds an agent that has a band table: the band dose is what is given",
                    argument=f"rounding[{agent!r}]",
                    value=increment,
                    shown=_show(increment),
                    fix="band it or round it, not both",
                )
        if self.gfr_cap is not None:
            put(self, "gfr_cap", _one_value(self.gfr_cap, "gfr_cap", ML_PER_MIN, "gfr", "mL/min"))
        if self.creatinine_floor is not None:
            put(self, "creatinine_floor", _creatinine_floors(self.creatinine_floor))

    # -- lookups used by expansion -------------------------------------------------------------

    def factor_for(self, agent: str, kind: str = "flat") -> float:
        """The dose factor of ``agent`` (1.0 when none is set).

        ``"*"`` applies to drugs, not to radiation (``kind="radiation"``): a TBI fraction is
        reduced only when named.
        """
        own = self.dose_factors.get(agent)
        if own is not None:
            return own
        if kind == "radiation":
            return 1.0
        return self.dose_factors.get(ALL_AGENTS, 1.0)

    def increment_for(self, agent: str, dose_unit: Any) -> Any:
        """The rounding increment of ``agent``: its own, else ``"*"``, else None.

        ``"*"`` applies to the agents whose doses share its dimension (a 0.1 mg increment does
        not round a dose of radiation in Gy); an agent's own increment of another dimension is an
        error raised by expansion.
        """
        own = self.rounding.get(agent)
        if own is not None:
            return own
        every = self.rounding.get(ALL_AGENTS)
        if (
            every is not None
            and not isinstance(every, str)
            and agent not in self.bands
            and every.dimensionality == dose_unit.dimensionality
        ):
            return every
        return None

    def band_table_for(self, agent: str) -> BandTable | None:
        """The band table of ``agent``, or None."""
        table: BandTable | None = self.bands.get(agent)
        return table

    def presentation_for(self, agent: str, product: str | None = None) -> Presentation | None:
        """The presentation ``agent`` is prepared from: the policy's, else the one its band
        table is for, else None (products are never guessed, even for an agent with one).

        ``product`` is the dose line's product: a presentation of another brand than a
        distinct product (dosed differently) is refused, naming both.
        """
        key = self.products.get(agent)
        table = self.bands.get(agent)
        if key is None and table is not None:
            key = table.product
        if key is None:
            return None
        item = presentation(agent, key)
        check_brand(item, agent, product, f"products[{agent!r}]")
        return item

    def weight_for(self, agent: str) -> DosingWeight:
        """The dosing weight of ``agent``: its own, else ``"*"``, else actual."""
        weights: Mapping[str, DosingWeight] = self.dosing_weight
        return weights.get(agent, weights.get(ALL_AGENTS, _ACTUAL))

    def named_agents(self) -> dict[str, tuple[str, str]]:
        """Agents this policy names explicitly (not ``"*"``), each with where it names them.

        Each agent maps to ``(field, item)``: the policy field and the item in it (the agent
        itself, or the key of a renal table), e.g. ``("dose_factors", "fludarabine")`` or
        ``("renal", "fludarabine-fludara-label")``.
        """
        named: dict[str, tuple[str, str]] = {}
        for field_name in ("dose_factors", "rounding", "dosing_weight", "bands", "products"):
            for agent in getattr(self, field_name):
                if agent != ALL_AGENTS:
                    named.setdefault(agent, (field_name, agent))
        for key in self.renal or ():
            named.setdefault(RENAL_TABLES[key].agent, ("renal", key))
        return named

    def __repr__(self) -> str:
        parts = []
        for name in Policy.__dataclass_fields__:
            value = getattr(self, name)
            if _is_default(name, value):
                continue
            if name == "dosing_weight":
                shown = repr(dict(value))
            elif isinstance(value, MappingProxyType):
                shown = "{" + ", ".join(f"{k!r}: {_show(v)}" for k, v in value.items()) + "}"
            else:
                shown = _show(value)
            parts.append(f"{name}={shown}")
        return f"Policy({', '.join(parts)})"

    def describe(self) -> dict[str, Any]:
        """A JSON-safe description, recorded with every schedule."""
        return {
            "bsa_method": self.bsa_method,
            "bsa_cap": None if self.bsa_cap is None else _record(self.bsa_cap),
            "dose_factors": dict(self.dose_factors),
            "rounding": {
                k: v if isinstance(v, str) else _record(v) for k, v in self.rounding.items()
            },
            "max_rounding_change": self.max_rounding_change,
            "infant_rule": None
            if self.infant_rule is None
            else {
                "below_weight": _record(self.infant_rule.below_weight),
                "divisor": self.infant_rule.divisor,
            },
            "renal": list(self.renal) if self.renal else None,
            "dosing_weight": {k: v.describe() for k, v in self.dosing_weight.items()},
            "renal_estimator": self.renal_estimator.describe(),
            "renal_outside_population": self.renal_outside_population,
            "bands": {k: _table_record(v) for k, v in self.bands.items()},
            "products": dict(self.products),
            "gfr_cap": None if self.gfr_cap is None else _record(self.gfr_cap),
            "creatinine_floor": None
            if self.creatinine_floor is None
            else {group: _record(q) for group, q in self.creatinine_floor.items()},
        }


_ACTUAL: Final = DosingWeight("actual")


def _is_default(name: str, value: Any) -> bool:
    """True for a field left at its default (left out of the repr)."""
    if name == "dosing_weight":
        return dict(value) == {ALL_AGENTS: _ACTUAL}
    if isinstance(value, MappingProxyType):
        return not value
    if name == "bsa_method":
        return bool(value == "mosteller")
    if name == "max_rounding_change":
        return bool(value == 0.10)
    if name == "renal_estimator":
        return bool(value == RenalEstimator())
    if name == "renal_outside_population":
        return bool(value == "refuse")
    if name == "gfr_cap":
        return value is not None and bool(value == CALVERT_GFR_CAP)
    return value is None


#: The age groups a creatinine floor is given for (adults: 18 years and over).
FLOOR_GROUPS: Final = ("adult", "child")


def _creatinine_floors(value: object) -> Mapping[str, Any]:
    """``creatinine_floor`` as ``{"adult": floor}`` (one quantity: adults only) or the mapping
    given, each floor one plausible serum creatinine in mg/dL or µmol/L (kept as given)."""
    raw = value if isinstance(value, Mapping) else {"adult": value}
    unknown = sorted(set(raw) - set(FLOOR_GROUPS))
    if unknown or not raw:
        raise DomainError(
            f"has key(s) {unknown}" if unknown else "is an empty mapping",
            argument="creatinine_floor",
            value=value,
            shown=show_value(value),
            fix="use 'adult' and 'child', e.g. {'adult': Q_(0.7, 'mg/dL')}",
        )
    floors: dict[str, Any] = {}
    for group in FLOOR_GROUPS:
        if raw.get(group) is None:
            continue
        name = "creatinine_floor" if not isinstance(value, Mapping) else f"creatinine_floor.{group}"
        try:
            quantity = creatinine_quantity(raw[group], name)
        except UnitsError as exc:
            raise UnitsError(
                "is not a serum creatinine (mg/dL or µmol/L)",
                argument=name,
                value=raw[group],
                shown=safe_repr(raw[group]),
                fix=Example({name: Q_(0.7, "mg/dL")}),
            ) from exc
        if np.ndim(quantity.magnitude) != 0:
            raise DomainError(
                "must be one value, not an array",
                argument=name,
                value=raw[group],
                shown=safe_repr(raw[group]),
            )
        creatinine_mg_per_dl(quantity, name)  # within the plausible range, or refused
        floors[group] = quantity
    if not floors:
        raise DomainError(
            "gives no floor",
            argument="creatinine_floor",
            value=value,
            shown=show_value(value),
            fix="give None for no floor",
        )
    return MappingProxyType(floors)


def floor_mg_dl(floor: Any) -> float:
    """One creatinine floor in mg/dL (µmol/L through creatinine's molar mass)."""
    return float(creatinine_mg_per_dl(floor, "creatinine_floor"))


def _one_value(value: object, name: str, unit: Any, limit: str, shown_unit: str) -> Any:
    """One quantity in ``unit``'s dimension, within the plausible range ``limit``."""
    quantity = as_quantity(value, unit, name)
    magnitude_ = magnitude(quantity, unit, name)
    if not isinstance(magnitude_, float):
        raise DomainError(
            "must be one value, not an array",
            argument=name,
            value=value,
            shown=show_value(value),
        )
    low, high = RANGES[limit].bounds_in(unit)
    if not low <= magnitude_ <= high:
        raise DomainError(
            f"is outside the plausible range {low:g}–{high:g} {shown_unit}",
            argument=name,
            value=value,
            shown=safe_repr(value),
            fix=f"check the value and its unit ({shown_unit})",
        )
    return quantity


def _show(value: Any) -> str:
    if hasattr(value, "units"):
        return f"Q_({safe_repr(value.magnitude)}, {short(value.units)!r})"
    return safe_repr(value)


def _record(quantity: Any) -> dict[str, Any]:
    return {"value": float(quantity.magnitude), "unit": ucum(quantity.units)}


#: The rounding that rounds to whole vials of the agent's product.
VIAL: Final = "vial"

#: The range a rounding increment must lie in, by its dose unit. Library convention (unsourced):
#: 1 µg (0.001 mg) is below any measurable amount of a prepared dose and keeps half-up rounding
#: exact in decimal arithmetic; 10 g, 10^7 IU, 30 Gy and 1 L are above any vial, fraction or
#: syringe in use.
#: An increment of 1e-310 mg once gave NaN doses flagged "rounded" (issue 16).
ROUNDING_BOUNDS: Final[dict[str, tuple[float, float]]] = {
    str(MG): (0.001, 10_000.0),
    str(IU): (0.001, 1e7),
    str(GY): (0.001, 30.0),
    str(ML): (0.001, 1000.0),  # a syringe graduation
}


def _increment(agent: str, value: object) -> Any:
    if isinstance(value, str) and value == VIAL:
        if agent == ALL_AGENTS:
            raise DomainError(
                "rounds every agent to whole vials; name the agents",
                argument="rounding['*']",
                value=value,
                shown=show_value(value),
                fix="write rounding={'melphalan': 'vial'} with the product in products=",
            )
        return VIAL
    if isinstance(value, int | float):
        raise UnitsError(
            "has no unit",
            argument=f"rounding[{agent!r}]",
            value=value,
            shown=show_value(value),
            fix=f"write rounding={{{agent!r}: Q_({show_value(value)}, 'mg')}}",
        )
    refuse_masked(value, f"rounding[{agent!r}]")  # (before the retries, which would hide why)
    try:
        quantity = as_quantity(value, MG, f"rounding[{agent!r}]")
    except UnitsError:
        quantity = None
        for unit in (IU, GY, ML):
            try:
                quantity = as_quantity(value, unit, f"rounding[{agent!r}]")
                break
            except UnitsError:
                continue
        if quantity is None:
            raise UnitsError(
                "must be an increment of dose such as Q_(0.1, 'mg'), Q_(100, 'IU'), a syringe "
                "graduation such as Q_(0.1, 'mL') with the agent's product, or 'vial'",
                argument=f"rounding[{agent!r}]",
                value=value,
                shown=safe_repr(value),
            ) from None
    if quantity.dimensionality == ML.dimensionality and agent == ALL_AGENTS:
        raise UnitsError(
            "must be an increment of dose such as Q_(0.1, 'mg'); a volume (a syringe "
            "graduation) is converted at one agent's product, so name the agents",
            argument="rounding['*']",
            value=value,
            shown=_show(quantity),
            fix="write rounding={'fludarabine': Q_(0.1, 'mL')} with the product in products=",
        )
    if np.ndim(quantity.magnitude) != 0:
        raise DomainError(
            "must be one increment, e.g. Q_(0.1, 'mg'); got an array",
            argument=f"rounding[{agent!r}]",
        )
    try:
        amount = float(quantity.magnitude)
    except (OverflowError, TypeError, ValueError):
        amount = math.nan
    if not (math.isfinite(amount) and amount > 0):
        raise DomainError(
            "must be a positive increment, e.g. Q_(0.1, 'mg')",
            argument=f"rounding[{agent!r}]",
            value=quantity,
            shown=_show(quantity),
        )
    unit = next(u for u in (MG, IU, GY, ML) if u.dimensionality == quantity.dimensionality)
    low, high = ROUNDING_BOUNDS[str(unit)]
    in_unit = float(quantity.m_as(unit))
    if not low <= in_unit <= high:  # NaN fails too
        raise DomainError(
            f"must be an increment from {low:g} to {high:g} {short(unit)} (a smaller one cannot "
            f"be measured or computed exactly; a larger one is not an increment)",
            argument=f"rounding[{agent!r}]",
            value=quantity,
            shown=_show(quantity),
        )
    return quantity


def _table_record(table: BandTable) -> dict[str, Any]:
    return {
        "key": table.key,
        "version": table.version,
        "tolerance": table.tolerance,
        "boundary": table.boundary,
        "worst_variance": table.worst_variance,
        "example": table.example,
        "accepted": table.accepted,
        "references": list(table.references),
    }


def _band_tables(value: object) -> Mapping[str, BandTable]:
    tables = _agent_map("bands", value)
    for agent, table in tables.items():
        if agent == ALL_AGENTS:
            raise DomainError(
                "names '*'; a band table is for one agent",
                argument="bands",
                value=value,
                fix="name the agent, e.g. bands={'vincristine': table}",
            )
        if isinstance(table, str):
            table = BAND_TABLES[table]  # an unknown key raises, listing the valid ones
        if not isinstance(table, BandTable):
            raise DomainError(
                "must be a BandTable (dosing.load_band_table or dosing.make_band_table) or a "
                "key of dosing.BAND_TABLES",
                argument=f"bands[{agent!r}]",
                value=table,
                shown=show_value(table),
            )
        if table.agent != agent:
            raise DomainError(
                f"is a table for {table.agent}, not for {agent}",
                argument=f"bands[{agent!r}]",
                value=table,
                shown=show_value(table),
                fix="give each agent its own table",
            )
        tables[agent] = table
    return MappingProxyType(tables)


def _renal_keys(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    keys = (value,) if isinstance(value, str) else value
    if not isinstance(keys, list | tuple) or not keys:
        raise DomainError(
            "must be a table key or a list of table keys",
            argument="renal",
            value=value,
            shown=show_value(value),
        )
    agents: dict[str, str] = {}
    for key in keys:
        RENAL_TABLES[key]  # an unknown key raises, listing the valid ones
        agent = RENAL_TABLES[key].agent
        if agent in agents:
            raise DomainError(
                f"names tables {agents[agent]!r} and {key!r}, which both adjust {agent}",
                argument="renal",
                value=tuple(keys),
                fix="choose one",
                message=f"renal tables {agents[agent]!r} and {key!r} both adjust {agent}; "
                f"choose one",
            )
        agents[agent] = key
    return tuple(keys)


def _dosing_weights(value: object) -> Mapping[str, DosingWeight]:
    def one(item: object, label: str) -> DosingWeight:
        if isinstance(item, DosingWeight):
            return item
        if item == "adjusted":
            raise DomainError(
                "needs its factor: DosingWeight('adjusted', factor=0.4)",
                argument=label,
                value=item,
                shown=show_value(item),
                message=f"{label}='adjusted' needs its factor: DosingWeight('adjusted', "
                f"factor=0.4)",
            )
        if isinstance(item, str):
            return DosingWeight(item)  # type: ignore[arg-type]
        raise DomainError(
            "must be 'actual', 'ideal' or a DosingWeight",
            argument=label,
            value=item,
            shown=show_value(item),
        )

    if isinstance(value, Mapping):
        mapped = {
            k: one(v, f"dosing_weight[{k!r}]")
            for k, v in _agent_map("dosing_weight", value).items()
        }
        mapped.setdefault(ALL_AGENTS, _ACTUAL)
        return MappingProxyType(mapped)
    return MappingProxyType({ALL_AGENTS: one(value, "dosing_weight")})
