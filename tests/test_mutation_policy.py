"""Tests for the survivors of mutation testing in the policy pipeline (issue 16, item 4).

Covers ``dosing.policy.policy`` (every refusal of a Policy and its parts, with its exact message,
argument and value; every bound at both sides; the lookups, repr and description),
``dosing.policy.renal`` (the band edges and the checks a packaged table passes),
``dosing.policy.bands`` (the validator's refusals, the boundary rules, the file format, the
generator) and ``dosing.policy.steps`` (half-up rounding by scalars, arrays and blocks).

Expected messages are the documented form ``argument=value reason; fix`` written out by hand
from each refusal's reason; expected numbers are hand arithmetic shown beside them.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import warnings
from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np
import pytest

import dosing
from dosing import (
    Q_,
    DomainError,
    DosingWeight,
    InfantRule,
    Patient,
    Policy,
    RenalEstimator,
    UnitsError,
    UnknownKeyError,
)
from dosing._arrays import Derived
from dosing.body.bsa import BSA_FORMULAS
from dosing.body.egfr import EGFR_FORMULAS
from dosing.body.weight import IBW_FORMULAS
from dosing.policy import bands as bands_module
from dosing.policy import renal as renal_module
from dosing.policy import steps as steps_module
from dosing.policy.bands import BAND_TABLES, BandTable, build_table, check_product, make_band_table
from dosing.policy.policy import floor_mg_dl
from dosing.policy.renal import RENAL_TABLES, RenalBand, RenalTable
from dosing.policy.steps import STEPS, pipeline, round_half_up
from dosing.products import presentation
from dosing.vocabulary import FLAGS
from tests.fuzzing import BAND_ARGUMENTS

VINCRISTINE = BAND_TABLES["nhs-1mg-ml-vincristine"]
FLUDARABINE_BANDS = BAND_TABLES["example-fludarabine-25mg-ml"]


def refused(kind: type[Exception], call: Callable[[], object]) -> Any:
    """The error ``call`` raises, checked to be of ``kind``."""
    with pytest.raises(kind) as info:
        call()
    return info.value


def known(keys: object) -> str:
    return "use one of: " + ", ".join(repr(k) for k in keys)  # type: ignore[attr-defined]


# -- InfantRule ---------------------------------------------------------------------------------


# From the plausible weight's 0.3 kg to 30 kg, the library's convention (plausibility.toml
# [policy]: about three times the 10 kg of most protocols).
@pytest.mark.parametrize("kg", [0.3, 30.0])
def test_an_infant_rules_weight_is_accepted_at_both_ends_of_its_range(kg: float) -> None:
    rule = InfantRule(below_weight=Q_(kg, "kg"), divisor=30)
    assert rule.below_weight.m_as("kg") == kg


@pytest.mark.parametrize("kg", [0.29, 30.000001, 400.0])
def test_an_infant_rules_weight_is_refused_just_outside_its_range(kg: float) -> None:
    weight = Q_(kg, "kg")
    error = refused(DomainError, lambda: InfantRule(below_weight=weight, divisor=30))
    assert str(error) == (
        f"below_weight={weight!r} must be one weight within 0.3–30 kg, e.g. Q_(10, 'kg')"
    )
    assert error.argument == "below_weight"
    assert error.value is weight
    assert error.shown == repr(weight)
    assert error.reason == "must be one weight within 0.3–30 kg"
    assert error.fix_text == 'write below_weight=Q_(10, "kg")'


def test_an_infant_rules_weight_must_be_one_weight() -> None:
    weights = Q_(np.array([8.0, 9.0]), "kg")
    error = refused(DomainError, lambda: InfantRule(below_weight=weights, divisor=30))
    assert error.argument == "below_weight"
    assert error.reason == "must be one weight within 0.3–30 kg"


@pytest.mark.parametrize("divisor", [5, 5.0, 100, 100.0, Q_(30, "kg/m**2"), Q_(3, "g/cm**2")])
def test_an_infant_rules_divisor_is_accepted_from_5_to_100_kg_per_m2(divisor: Any) -> None:
    rule = InfantRule(below_weight=Q_(10, "kg"), divisor=divisor)
    expected = divisor.m_as("kg/m**2") if hasattr(divisor, "units") else divisor
    assert rule.divisor == pytest.approx(expected, rel=1e-12)  # 3 g/cm² = 30 kg/m²
    assert type(rule.divisor) is float


@pytest.mark.parametrize("divisor", [4.99, 100.01, 0, True, "30", None, Q_(110, "kg/m**2")])
def test_an_infant_rules_divisor_is_refused_outside_5_to_100_or_of_another_type(
    divisor: Any,
) -> None:
    error = refused(DomainError, lambda: InfantRule(below_weight=Q_(10, "kg"), divisor=divisor))
    assert str(error) == f"divisor={divisor!r} must be a number of kg/m² from 5 to 100, e.g. 30"
    assert error.argument == "divisor"
    assert error.value is divisor


def test_an_infant_rules_divisor_too_long_to_show_is_cut_and_a_quantity_shown_whole() -> None:
    # A number or text is shown as show_value shows it: cut to 200 characters with "..."; a
    # quantity as pint writes it (safe_repr), whole.
    long = "3" * 300
    error = refused(DomainError, lambda: InfantRule(below_weight=Q_(10, "kg"), divisor=long))
    assert error.shown == "'" + "3" * 196 + "..."
    assert len(error.shown) == 200
    quantity = Q_(110, "kg/m**2")
    error = refused(DomainError, lambda: InfantRule(below_weight=Q_(10, "kg"), divisor=quantity))
    assert error.shown == "<Quantity(110, 'kilogram / meter ** 2')>"


def test_an_infant_rule_shows_its_arguments_as_written() -> None:
    rule = InfantRule(below_weight=Q_(12.5, "kg"), divisor=25)
    assert repr(rule) == "InfantRule(below_weight=Q_(12.5, 'kg'), divisor=25.0)"


# -- DosingWeight -------------------------------------------------------------------------------


def test_a_dosing_weights_cap_at_actual_must_be_a_bool() -> None:
    error = refused(DomainError, lambda: DosingWeight("ideal", cap_at_actual=1))  # type: ignore[arg-type]
    assert str(error) == "cap_at_actual=1 must be True or False"
    assert (error.argument, error.value) == ("cap_at_actual", 1)


def test_a_dosing_weights_kind_and_ibw_method_must_be_known() -> None:
    error = refused(UnknownKeyError, lambda: DosingWeight("lean"))  # type: ignore[arg-type]
    assert str(error) == "dosing_weight='lean' is not known; " + known(
        ("actual", "ideal", "adjusted")
    )
    error = refused(UnknownKeyError, lambda: DosingWeight("ideal", ibw_method="broca"))
    assert str(error) == "ibw_method='broca' is not known; " + known(IBW_FORMULAS)
    assert (error.argument, error.value) == ("ibw_method", "broca")


@pytest.mark.parametrize("factor", [0, 0.0, 0.25, 1, 1.0])
def test_an_adjusted_weights_factor_is_accepted_from_0_to_1(factor: float) -> None:
    weight = DosingWeight("adjusted", factor=factor)
    assert weight.factor == factor
    assert type(weight.factor) is float


@pytest.mark.parametrize("factor", [-0.01, 1.01, True, "0.4", None])
def test_an_adjusted_weights_factor_is_refused_outside_0_to_1(factor: Any) -> None:
    error = refused(DomainError, lambda: DosingWeight("adjusted", factor=factor))
    assert str(error) == (
        f"DosingWeight('adjusted', factor={factor!r}): factor must be a number from 0 to 1 "
        "(0.4 in clinPK and carboplatin templates; 0.25 for ABW25)"
    )
    assert error.argument == "factor"
    assert error.value is factor
    assert error.reason == (
        "must be a number from 0 to 1 (0.4 in clinPK and carboplatin templates; 0.25 for ABW25)"
    )


@pytest.mark.parametrize("kind", ["actual", "ideal"])
def test_a_factor_belongs_to_an_adjusted_weight_only(kind: Any) -> None:
    error = refused(DomainError, lambda: DosingWeight(kind, factor=0.4))
    assert str(error) == f"DosingWeight({kind!r}, factor=0.4): a factor belongs to 'adjusted' only"
    assert (error.argument, error.value, error.reason, error.shown) == (
        "factor",
        0.4,
        "belongs to 'adjusted' only",
        "0.4",
    )


def test_a_dosing_weight_describes_itself_in_words() -> None:
    assert DosingWeight("actual").describe() == "actual body weight"
    assert DosingWeight("ideal").describe() == "ideal body weight (Devine)"
    assert (
        DosingWeight("ideal", ibw_method="robinson", cap_at_actual=False).describe()
        == "ideal body weight (Robinson), even above actual weight"
    )
    assert (
        DosingWeight("adjusted", factor=0.4, ibw_method="miller").describe()
        == "adjusted body weight (factor 0.4, Miller IBW)"
    )
    assert (
        DosingWeight("adjusted", factor=0.25, cap_at_actual=False).describe()
        == "adjusted body weight (factor 0.25, Devine IBW), even above actual weight"
    )


def test_a_dosing_weight_shows_cap_at_actual_only_when_it_is_false() -> None:
    assert repr(DosingWeight("adjusted", factor=0.4, ibw_method="hamwi")) == (
        "DosingWeight(kind='adjusted', factor=0.4, ibw_method='hamwi')"
    )
    assert repr(DosingWeight("ideal", cap_at_actual=False)) == (
        "DosingWeight(kind='ideal', factor=None, ibw_method='devine', cap_at_actual=False)"
    )


# -- RenalEstimator -----------------------------------------------------------------------------


@pytest.mark.parametrize("group", ["adult", "child"])
def test_a_renal_estimator_refuses_an_unknown_or_race_based_equation_by_group(group: str) -> None:
    error = refused(UnknownKeyError, lambda: RenalEstimator(**{group: "ckd_epi"}))
    assert str(error) == f"renal_estimator.{group}='ckd_epi' is not known; " + known(
        ("cockcroft_gault", *EGFR_FORMULAS)
    )
    for key in ("ckd_epi_2009", "ckd_epi_cr_cys_2012", "mdrd"):
        error = refused(DomainError, lambda key=key: RenalEstimator(**{group: key}))
        assert str(error) == (
            f"renal_estimator.{group}={key!r} has a race coefficient, and a Patient has no "
            "race; use a race-free equation, e.g. 'ckd_epi_2021'"
        )
        assert (error.argument, error.value) == (f"renal_estimator.{group}", key)


def test_a_renal_estimator_accepts_cockcroft_gault_and_race_free_equations() -> None:
    for key in ("cockcroft_gault", "ckd_epi_2021", "schwartz_bedside"):
        assert RenalEstimator(adult=key, child=key).child == key


@pytest.mark.parametrize("weight", ["adjusted", "Actual", None, 0.4])
def test_a_renal_estimators_cockcroft_gault_weight_must_be_named_or_a_dosing_weight(
    weight: Any,
) -> None:
    error = refused(DomainError, lambda: RenalEstimator(cockcroft_gault_weight=weight))
    assert str(error) == (
        f"renal_estimator.cockcroft_gault_weight={weight!r} must be 'actual', 'ideal', "
        "'lesser' or a DosingWeight such as DosingWeight('adjusted', factor=0.4)"
    )
    assert (error.argument, error.value) == ("renal_estimator.cockcroft_gault_weight", weight)


def test_a_renal_estimators_cockcroft_gault_weight_in_words() -> None:
    def text(weight: Any) -> str:
        return RenalEstimator(cockcroft_gault_weight=weight).cg_weight_text()

    lesser = "the lesser of ideal body weight (Devine) and actual body weight"
    assert text("actual") == "actual body weight"
    assert text("ideal") == lesser
    assert text("lesser") == lesser
    assert text(DosingWeight("ideal", ibw_method="hamwi")) == (
        "the lesser of ideal body weight (Hamwi) and actual body weight"
    )
    assert text(DosingWeight("ideal", cap_at_actual=False)) == (
        "ideal body weight (Devine), even above actual weight"
    )
    assert text(DosingWeight("adjusted", factor=0.4)) == (
        "adjusted body weight (factor 0.4, Devine IBW), at most actual weight"
    )
    assert text(DosingWeight("adjusted", factor=0.3, cap_at_actual=False)) == (
        "adjusted body weight (factor 0.3, Devine IBW), even above actual weight"
    )
    own = DosingWeight("adjusted", factor=0.4)
    assert RenalEstimator(cockcroft_gault_weight=own).cg_weight is own
    assert RenalEstimator(cockcroft_gault_weight="actual").cg_weight == DosingWeight("actual")
    assert RenalEstimator(cockcroft_gault_weight="lesser").cg_weight == DosingWeight("ideal")


def test_a_renal_estimator_describes_its_defaults_and_its_choices() -> None:
    assert RenalEstimator().describe() == {
        "adult": "the table's estimator (CKD-EPI 2021 where it names none)",
        "child": "the table's estimator for children, else bedside Schwartz",
        "cockcroft_gault_weight": "actual body weight",
    }
    chosen = RenalEstimator(
        adult="cockcroft_gault", child="ckid_u25", cockcroft_gault_weight="ideal"
    )
    assert chosen.describe() == {
        "adult": "cockcroft_gault",
        "child": "ckid_u25",
        "cockcroft_gault_weight": "the lesser of ideal body weight (Devine) and actual body weight",
    }


# -- Policy: agent maps -------------------------------------------------------------------------


def test_a_policy_field_of_agents_must_be_a_mapping_with_agent_names() -> None:
    pairs = [("fludarabine", 0.8)]
    error = refused(DomainError, lambda: Policy(dose_factors=pairs))  # type: ignore[arg-type]
    assert str(error) == (
        "dose_factors=[('fludarabine', 0.8)] must be a mapping of agent name to a value"
    )
    assert (error.argument, error.value) == ("dose_factors", pairs)
    for key in (1, "  ", ""):
        error = refused(DomainError, lambda key=key: Policy(products={key: "x"}))
        assert str(error) == f"products has key {key!r}; keys are agent names or '*'"
        assert (error.argument, error.reason) == ("products", f"has key {key!r}")
        assert error.value == {key: "x"}
        assert error.fix == "keys are agent names or '*'"


def test_a_policy_field_names_each_agent_once_case_insensitively() -> None:
    error = refused(
        DomainError, lambda: Policy(dose_factors={"fludarabine": 0.8, "Fludarabine ": 0.9})
    )
    assert str(error) == (
        "dose_factors names 'fludarabine' twice (as 'Fludarabine ' too); agent names match "
        "case-insensitively, so give each agent once"
    )
    assert error.argument == "dose_factors"
    assert error.reason == "names 'fludarabine' twice (as 'Fludarabine ' too)"
    assert error.fix == "agent names match case-insensitively, so give each agent once"


def test_a_policy_reads_a_padded_star_as_every_agent_and_agent_names_canonically() -> None:
    policy = Policy(dose_factors={" * ": 0.5, "FLUDARABINE": 0.8})
    assert dict(policy.dose_factors) == {"*": 0.5, "fludarabine": 0.8}


# -- Policy: fields -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["mostelar", 1, None])
def test_a_policys_bsa_method_must_be_a_known_key(method: Any) -> None:
    error = refused(UnknownKeyError, lambda: Policy(bsa_method=method))
    assert str(error) == f"bsa_method={method!r} is not known; " + known(BSA_FORMULAS)


@pytest.mark.parametrize("m2", [0.05, 5.0])
def test_a_bsa_cap_is_accepted_at_both_ends_of_the_plausible_range(m2: float) -> None:
    assert Policy(bsa_cap=Q_(m2, "m**2")).bsa_cap.m_as("m**2") == m2


@pytest.mark.parametrize("cap", [Q_(0.049, "m**2"), Q_(5.01, "m**2"), Q_(np.array([2.0]), "m**2")])
def test_a_bsa_cap_is_refused_outside_the_plausible_range_or_as_an_array(cap: Any) -> None:
    error = refused(DomainError, lambda: Policy(bsa_cap=cap))
    assert str(error) == (
        f"bsa_cap={cap!r} must be one area within 0.05–5 m², e.g. Q_(2.0, 'm**2')"
    )
    assert (error.argument, error.value, error.shown) == ("bsa_cap", cap, repr(cap))
    assert error.reason == "must be one area within 0.05–5 m²"
    assert error.fix_text == 'write bsa_cap=Q_(2.0, "m**2")'


@pytest.mark.parametrize("factor", [0.1, 0.5, 1, 1.0])
def test_a_dose_factor_is_accepted_in_a_tenth_to_1(factor: float) -> None:
    stored = Policy(dose_factors={"fludarabine": factor}).dose_factors["fludarabine"]
    assert stored == factor
    assert type(stored) is float


@pytest.mark.parametrize("factor", [0, 0.0, 0.09999999, 1e-300, -0.5, 1.01, True, "0.8", None])
def test_a_dose_factor_is_refused_outside_a_tenth_to_1(factor: Any) -> None:
    error = refused(DomainError, lambda: Policy(dose_factors={"fludarabine": factor}))
    assert str(error) == (
        f"dose_factors['fludarabine']={factor!r} must be a fraction in [0.1, 1], e.g. 0.8 for "
        "80% of the full dose; a factor above 1 is refused, and one under 0.1 is more likely a "
        "slip than a reduction (to give less, write the reduced amount in a template of your own)"
    )
    assert error.argument == "dose_factors['fludarabine']"
    assert error.value is factor


@pytest.mark.parametrize("change", [1e-9, 0.1, 0.25, np.float32(0.125)])
def test_max_rounding_change_is_accepted_up_to_a_quarter(change: float) -> None:
    assert Policy(max_rounding_change=change).max_rounding_change == change


# The upper bound, 0.25, is the library's convention (data/plausibility.toml [policy]).
@pytest.mark.parametrize("change", [0, 0.0, 0.2500001, 0.99, 1, True, "0.1", None])
def test_max_rounding_change_is_refused_outside_0_to_a_quarter(change: Any) -> None:
    error = refused(DomainError, lambda: Policy(max_rounding_change=change))
    assert str(error) == (
        f"max_rounding_change={change!r} must be a fraction in (0, 0.25], e.g. 0.10 (HOPA's 10%)"
    )
    assert (error.argument, error.value) == ("max_rounding_change", change)


def test_max_rounding_change_is_stored_as_a_float() -> None:
    assert type(Policy(max_rounding_change=0.25).max_rounding_change) is float
    assert type(Policy(max_rounding_change=np.float32(0.125)).max_rounding_change) is float
    assert Policy().max_rounding_change == 0.10  # HOPA: ±10%


def test_an_infant_rule_must_be_an_infant_rule() -> None:
    rule = {"below_weight": Q_(10, "kg"), "divisor": 30}
    error = refused(DomainError, lambda: Policy(infant_rule=rule))  # type: ignore[arg-type]
    assert str(error) == (
        f"infant_rule={rule!r} must be an InfantRule, e.g. InfantRule(below_weight=Q_(10, 'kg'), "
        "divisor=30)"
    )
    assert (error.argument, error.value) == ("infant_rule", rule)


def test_a_renal_estimator_given_as_a_mapping_is_checked_by_key() -> None:
    mapping = {"adults": "ckd_epi_2021", "child": "ckid_u25"}
    error = refused(DomainError, lambda: Policy(renal_estimator=mapping))
    assert str(error) == (
        f"renal_estimator={mapping!r} has key(s) ['adults']; use 'adult', 'child' and "
        "'cockcroft_gault_weight'"
    )
    assert (error.argument, error.value) == ("renal_estimator", mapping)
    adult = Policy(renal_estimator={"adult": "ckd_epi_2021"}).renal_estimator
    assert adult == RenalEstimator(adult="ckd_epi_2021")
    policy = Policy(renal_estimator={"child": "ckid_u25", "cockcroft_gault_weight": "lesser"})
    assert policy.renal_estimator == RenalEstimator(
        child="ckid_u25", cockcroft_gault_weight="lesser"
    )
    error = refused(DomainError, lambda: Policy(renal_estimator="ckd_epi_2021"))
    assert (error.argument, error.value) == ("renal_estimator", "ckd_epi_2021")
    assert str(error) == (
        "renal_estimator='ckd_epi_2021' must be a RenalEstimator, e.g. "
        "RenalEstimator(child='ckid_u25')"
    )


def test_renal_outside_population_is_refuse_or_accept() -> None:
    error = refused(UnknownKeyError, lambda: Policy(renal_outside_population="warn"))
    assert (
        str(error) == "renal_outside_population='warn' is not known; use one of: 'refuse', 'accept'"
    )
    assert Policy(renal_outside_population="accept").renal_outside_population == "accept"


def test_a_product_is_named_per_agent_never_for_every_agent() -> None:
    products = {"*": "fludarabine-25mg-ml-2ml"}
    error = refused(DomainError, lambda: Policy(products=products))
    assert str(error) == (
        f"products={products!r} names '*'; a product is an agent's own; name each agent, e.g. "
        "products={'fludarabine': 'fludarabine-25mg-ml-2ml'}"
    )
    assert error.argument == "products"


def test_a_product_must_be_the_one_the_agents_band_table_is_for() -> None:
    bands = {"fludarabine": FLUDARABINE_BANDS}  # fludarabine-25mg-ml-2ml, 25 mg/mL
    error = refused(
        DomainError,
        lambda: Policy(bands=bands, products={"fludarabine": "fludarabine-fludara-50mg"}),
    )
    assert error.argument == "products['fludarabine']"
    assert error.reason == (
        "is fludarabine-fludara-50mg, but the band table example-fludarabine-25mg-ml is for "
        "fludarabine-25mg-ml-2ml"
    )
    policy = Policy(bands=bands, products={"fludarabine": "fludarabine-25mg-ml-2ml"})
    assert dict(policy.products) == {"fludarabine": "fludarabine-25mg-ml-2ml"}


def test_an_agent_with_a_band_table_is_not_also_rounded() -> None:
    error = refused(
        DomainError,
        lambda: Policy(bands={"vincristine": VINCRISTINE}, rounding={"vincristine": Q_(0.1, "mg")}),
    )
    assert str(error) == (
        "rounding['vincristine']=Q_(0.1, 'mg') rounds an agent that has a band table: the band "
        "dose is what is given; band it or round it, not both"
    )
    assert (error.argument, error.value) == ("rounding['vincristine']", Q_(0.1, "mg"))
    # "*" does not round an agent with a band table, so both may be given
    policy = Policy(bands={"vincristine": VINCRISTINE}, rounding={"*": Q_(0.1, "mg")})
    assert policy.increment_for("vincristine", Q_(1, "mg").units) is None
    assert policy.increment_for("fludarabine", Q_(1, "mg").units) == Q_(0.1, "mg")


@pytest.mark.parametrize("ml_min", [0.1, 400.0])
def test_a_gfr_cap_is_accepted_at_both_ends_of_the_plausible_range(ml_min: float) -> None:
    assert Policy(gfr_cap=Q_(ml_min, "mL/min")).gfr_cap.m_as("mL/min") == ml_min


def test_a_gfr_cap_is_accepted_within_a_relative_1e_9_of_the_plausible_range() -> None:
    # the range 0.1–400 mL/min, widened by a relative 1e-9 on each side, inclusive
    for inside in (0.1 * (1 - 1e-9), 400 * (1 + 1e-9)):
        assert Policy(gfr_cap=Q_(inside, "mL/min")).gfr_cap.m_as("mL/min") == inside
    for outside in (0.1 * (1 - 2e-9), 400 * (1 + 2e-9)):
        refused(DomainError, lambda outside=outside: Policy(gfr_cap=Q_(outside, "mL/min")))


@pytest.mark.parametrize("cap", [Q_(0.09, "mL/min"), Q_(401, "mL/min"), Q_(2.5, "L/min")])
def test_a_gfr_cap_is_refused_outside_the_plausible_range(cap: Any) -> None:
    error = refused(DomainError, lambda: Policy(gfr_cap=cap))
    assert str(error) == (
        f"gfr_cap={cap!r} is outside the plausible range 0.1–400 mL/min; check the value and "
        "its unit (mL/min)"
    )
    assert (error.argument, error.value) == ("gfr_cap", cap)


def test_a_gfr_cap_is_one_value() -> None:
    cap = Q_(np.array([100.0, 125.0]), "mL/min")
    error = refused(DomainError, lambda: Policy(gfr_cap=cap))
    assert str(error) == f"gfr_cap={cap!r} must be one value, not an array"
    assert (error.argument, error.value) == ("gfr_cap", cap)
    assert Policy(gfr_cap=None).gfr_cap is None


# -- Policy: creatinine floors ------------------------------------------------------------------


def test_one_creatinine_floor_floors_adults_only() -> None:
    floor = Q_(0.7, "mg/dL")
    assert dict(Policy(creatinine_floor=floor).creatinine_floor) == {"adult": floor}
    both = {"adult": floor, "child": Q_(0.3, "mg/dL")}
    assert dict(Policy(creatinine_floor=both).creatinine_floor) == both
    assert dict(Policy(creatinine_floor={"child": floor, "adult": None}).creatinine_floor) == {
        "child": floor
    }


def test_a_creatinine_floor_mapping_has_adult_and_child_keys_only() -> None:
    for mapping, reason in (
        ({"adults": Q_(0.7, "mg/dL")}, "has key(s) ['adults']"),
        ({}, "is an empty mapping"),
    ):
        error = refused(DomainError, lambda mapping=mapping: Policy(creatinine_floor=mapping))
        assert str(error) == (
            f"creatinine_floor={mapping!r} {reason}; use 'adult' and 'child', e.g. "
            "{'adult': Q_(0.7, 'mg/dL')}"
        )
        assert (error.argument, error.value) == ("creatinine_floor", mapping)
    error = refused(DomainError, lambda: Policy(creatinine_floor={"adult": None}))
    assert str(error) == "creatinine_floor={'adult': None} gives no floor; give None for no floor"


def test_a_creatinine_floor_is_a_serum_creatinine_named_by_its_group() -> None:
    weight = Q_(0.7, "kg")
    error = refused(UnitsError, lambda: Policy(creatinine_floor=weight))
    assert str(error) == (
        f"creatinine_floor={weight!r} is not a serum creatinine (mg/dL or µmol/L); write "
        'creatinine_floor=Q_(0.7, "mg/dl")'  # pint's short form of decilitre
    )
    error = refused(UnitsError, lambda: Policy(creatinine_floor={"child": weight}))
    assert str(error) == (
        f"creatinine_floor.child={weight!r} is not a serum creatinine (mg/dL or µmol/L); write "
        'creatinine_floor.child=Q_(0.7, "mg/dl")'
    )
    assert error.argument == "creatinine_floor.child"
    assert error.value is weight


def test_a_creatinine_floor_is_one_value() -> None:
    floors = Q_(np.array([0.7, 0.8]), "mg/dL")
    error = refused(DomainError, lambda: Policy(creatinine_floor={"adult": floors}))
    assert str(error) == f"creatinine_floor.adult={floors!r} must be one value, not an array"
    assert (error.argument, error.value) == ("creatinine_floor.adult", floors)


def test_a_creatinine_floor_in_umol_per_l_is_converted_by_creatinines_molar_mass() -> None:
    # 61.88 µmol/L × 113.12 g/mol = 7.000 mg/L = 0.7000 mg/dL
    assert floor_mg_dl(Q_(61.88, "umol/L")) == pytest.approx(61.88 * 113.12 / 1e4, rel=1e-3)
    assert floor_mg_dl(Q_(0.7, "mg/dL")) == 0.7


# -- Policy: rounding increments ----------------------------------------------------------------


def test_rounding_is_a_mapping_of_agents() -> None:
    error = refused(DomainError, lambda: Policy(rounding=Q_(0.1, "mg")))  # type: ignore[arg-type]
    assert error.argument == "rounding"
    assert error.reason == "must be a mapping of agent name to a value"
    error = refused(
        DomainError, lambda: Policy(rounding={"Melphalan": "vial", "melphalan": "vial"})
    )
    assert error.argument == "rounding"


def test_whole_vials_are_for_named_agents_only() -> None:
    error = refused(DomainError, lambda: Policy(rounding={"*": "vial"}))
    assert str(error) == (
        "rounding['*']='vial' rounds every agent to whole vials; name the agents; write "
        "rounding={'melphalan': 'vial'} with the product in products="
    )
    assert (error.argument, error.value) == ("rounding['*']", "vial")
    assert Policy(rounding={"melphalan": "vial"}).rounding["melphalan"] == "vial"


@pytest.mark.parametrize("number", [0.1, 1])
def test_an_increment_needs_a_unit(number: float) -> None:
    error = refused(UnitsError, lambda: Policy(rounding={"fludarabine": number}))
    assert str(error) == (
        f"rounding['fludarabine']={number!r} has no unit; write "
        f"rounding={{'fludarabine': Q_({number!r}, 'mg')}}"
    )
    assert (error.argument, error.value) == ("rounding['fludarabine']", number)


@pytest.mark.parametrize("increment", [Q_(1, "m"), Q_(0.1, "mg/kg"), "0.1 mg/m**2"])
def test_an_increment_must_be_a_dose_a_dose_of_radiation_or_a_volume(increment: Any) -> None:
    error = refused(UnitsError, lambda: Policy(rounding={"fludarabine": increment}))
    assert str(error) == (
        f"rounding['fludarabine']={increment!r} must be an increment of dose such as "
        "Q_(0.1, 'mg'), Q_(100, 'IU'), a syringe graduation such as Q_(0.1, 'mL') with the "
        "agent's product, or 'vial'"
    )
    assert error.__cause__ is None and error.__suppress_context__
    assert (error.argument, error.value) == ("rounding['fludarabine']", increment)


@pytest.mark.parametrize(
    ("increment", "unit"),
    [(Q_(100, "IU"), "IU"), (Q_(0.2, "Gy"), "Gy"), (Q_(0.1, "mL"), "mL"), ("0.5 mg", "mg")],
)
def test_an_increment_may_be_a_mass_units_a_dose_of_radiation_or_a_volume(
    increment: Any, unit: str
) -> None:
    stored = Policy(rounding={"fludarabine": increment}).rounding["fludarabine"]
    assert stored.dimensionality == Q_(1, unit).dimensionality


def test_a_volume_increment_is_for_named_agents_only() -> None:
    error = refused(UnitsError, lambda: Policy(rounding={"*": Q_(0.1, "mL")}))
    assert str(error) == (
        "rounding['*']=Q_(0.1, 'mL') must be an increment of dose such as Q_(0.1, 'mg'); a "
        "volume (a syringe graduation) is converted at one agent's product, so name the "
        "agents; write rounding={'fludarabine': Q_(0.1, 'mL')} with the product in products="
    )
    assert (error.argument, error.value) == ("rounding['*']", Q_(0.1, "mL"))


def test_an_increment_is_one_positive_finite_value() -> None:
    error = refused(DomainError, lambda: Policy(rounding={"x": Q_(np.array([0.1, 0.2]), "mg")}))
    assert str(error) == "rounding['x'] must be one increment, e.g. Q_(0.1, 'mg'); got an array"
    for bad in (0.0, -0.1, math.inf, math.nan):
        error = refused(DomainError, lambda bad=bad: Policy(rounding={"x": Q_(bad, "mg")}))
        assert str(error) == (
            f"rounding['x']=Q_({bad!r}, 'mg') must be a positive increment, e.g. Q_(0.1, 'mg')"
        )
        assert error.argument == "rounding['x']"
        assert error.value is not None and error.value.units == Q_(1, "mg").units
    huge = Q_(10**400, "mg")  # float() overflows: refused as not finite, never an OverflowError
    error = refused(DomainError, lambda: Policy(rounding={"x": huge}))
    assert error.reason == "must be a positive increment, e.g. Q_(0.1, 'mg')"


@pytest.mark.parametrize(
    ("unit", "low", "high"),
    [("mg", 0.001, 10_000.0), ("IU", 0.001, 1e7), ("Gy", 0.001, 30.0), ("mL", 0.001, 1000.0)],
)
def test_an_increment_is_bounded_by_its_unit_inclusive(unit: str, low: float, high: float) -> None:
    for inside in (low, high):
        assert Policy(rounding={"x": Q_(inside, unit)}).rounding["x"].magnitude == inside
    for outside in (low * 0.99, high * 1.01):
        error = refused(
            DomainError, lambda outside=outside: Policy(rounding={"x": Q_(outside, unit)})
        )
        assert str(error) == (
            f"rounding['x']=Q_({outside!r}, {unit!r}) must be an increment from {low:g} to "
            f"{high:g} {unit} (a smaller one cannot be measured or computed exactly; a larger "
            "one is not an increment)"
        )
        assert error.value == Q_(outside, unit)


def test_an_increment_is_bounded_in_its_units_base_unit() -> None:
    # 1 µg = 0.001 mg (accepted); 0.9 µg = 0.0009 mg (refused); 10 kg = 10^7 mg (refused)
    assert Policy(rounding={"x": Q_(1, "ug")}).rounding["x"] == Q_(0.001, "mg")
    refused(DomainError, lambda: Policy(rounding={"x": Q_(0.9, "ug")}))
    refused(DomainError, lambda: Policy(rounding={"x": Q_(10, "kg")}))
    assert Policy(rounding={"x": Q_(10, "g")}).rounding["x"] == Q_(10_000, "mg")


# -- Policy: band tables, renal tables, dosing weights ------------------------------------------


def test_band_tables_are_per_agent_by_table_or_key() -> None:
    bands = {"*": VINCRISTINE}
    error = refused(DomainError, lambda: Policy(bands=bands))
    assert str(error) == (
        "bands={'*': BandTable('nhs-1mg-ml-vincristine')} names '*'; a band table is for one "
        "agent; name the agent, e.g. bands={'vincristine': table}"
    )
    error = refused(DomainError, lambda: Policy(bands=[VINCRISTINE]))
    assert str(error) == (
        "bands=[BandTable('nhs-1mg-ml-vincristine')] must be a mapping of agent name to a value"
    )
    error = refused(DomainError, lambda: Policy(bands={"": VINCRISTINE}))
    assert str(error) == "bands has key ''; keys are agent names or '*'"
    error = refused(DomainError, lambda: Policy(bands={"vincristine": 42}))
    assert str(error) == (
        "bands['vincristine']=42 must be a BandTable (dosing.load_band_table or "
        "dosing.make_band_table) or a key of dosing.BAND_TABLES"
    )
    assert (error.argument, error.value) == ("bands['vincristine']", 42)
    error = refused(DomainError, lambda: Policy(bands={"fludarabine": "nhs-1mg-ml-vincristine"}))
    assert str(error) == (
        "bands['fludarabine']=BandTable('nhs-1mg-ml-vincristine') is a table for vincristine, "
        "not for fludarabine; give each agent its own table"
    )
    assert error.value is VINCRISTINE
    policy = Policy(bands={"Vincristine": "nhs-1mg-ml-vincristine"})
    assert policy.band_table_for("vincristine") is VINCRISTINE
    assert policy.band_table_for("fludarabine") is None


@pytest.mark.parametrize("renal", [[], (), 5, {"fludarabine-fludara-label": 1}])
def test_renal_is_a_key_or_a_list_of_keys(renal: Any) -> None:
    error = refused(DomainError, lambda: Policy(renal=renal))
    assert str(error) == f"renal={renal!r} must be a table key or a list of table keys"
    assert (error.argument, error.value) == ("renal", renal)


def test_renal_tables_adjust_each_agent_once() -> None:
    keys = ["melphalan-high-dose-interpretation", "fludarabine-fludara-label"]
    assert Policy(renal=keys).renal == tuple(keys)
    assert Policy(renal=keys[0]).renal == (keys[0],)
    both = [
        "fludarabine-fludara-label",
        "melphalan-high-dose-interpretation",
        "fludarabine-generic-label",
    ]
    error = refused(DomainError, lambda: Policy(renal=both))
    assert str(error) == (
        "renal tables 'fludarabine-fludara-label' and 'fludarabine-generic-label' both adjust "
        "fludarabine; choose one"
    )
    assert (error.argument, error.value, error.fix) == ("renal", tuple(both), "choose one")
    assert error.reason == (
        "names tables 'fludarabine-fludara-label' and 'fludarabine-generic-label', which both "
        "adjust fludarabine"
    )


def test_a_dosing_weight_is_named_or_a_dosing_weight_for_every_agent_or_each() -> None:
    error = refused(DomainError, lambda: Policy(dosing_weight="adjusted"))
    assert str(error) == (
        "dosing_weight='adjusted' needs its factor: DosingWeight('adjusted', factor=0.4)"
    )
    assert (error.argument, error.value) == ("dosing_weight", "adjusted")
    assert error.reason == "needs its factor: DosingWeight('adjusted', factor=0.4)"
    error = refused(DomainError, lambda: Policy(dosing_weight={"busulfan": "adjusted"}))
    assert str(error) == (
        "dosing_weight['busulfan']='adjusted' needs its factor: DosingWeight('adjusted', "
        "factor=0.4)"
    )
    error = refused(DomainError, lambda: Policy(dosing_weight=0.4))
    assert str(error) == "dosing_weight=0.4 must be 'actual', 'ideal' or a DosingWeight"
    assert (error.argument, error.value) == ("dosing_weight", 0.4)
    error = refused(DomainError, lambda: Policy(dosing_weight={1: "ideal"}))
    assert str(error) == "dosing_weight has key 1; keys are agent names or '*'"
    error = refused(
        DomainError, lambda: Policy(dosing_weight={"Busulfan": "ideal", "busulfan": "ideal"})
    )
    assert error.argument == "dosing_weight"
    assert error.reason == "names 'busulfan' twice (as 'busulfan' too)"
    ideal = DosingWeight("ideal")
    assert dict(Policy(dosing_weight="ideal").dosing_weight) == {"*": ideal}
    assert dict(Policy(dosing_weight={"busulfan": "ideal"}).dosing_weight) == {
        "busulfan": ideal,
        "*": DosingWeight("actual"),
    }
    adjusted = DosingWeight("adjusted", factor=0.25)
    assert dict(Policy(dosing_weight={"*": adjusted}).dosing_weight) == {"*": adjusted}


# -- Policy: lookups ----------------------------------------------------------------------------


def test_a_dose_factor_applies_by_agent_then_star_and_to_radiation_only_when_named() -> None:
    policy = Policy(dose_factors={"*": 0.5, "fludarabine": 0.8, "tbi": 0.9})
    assert policy.factor_for("fludarabine") == 0.8
    assert policy.factor_for("melphalan") == 0.5
    assert policy.factor_for("melphalan", "bsa") == 0.5
    assert policy.factor_for("total body irradiation", "radiation") == 0.9
    assert policy.factor_for("tli", "radiation") == 1.0
    assert Policy().factor_for("melphalan") == 1.0


def test_an_increment_applies_by_agent_then_star_in_the_doses_dimension() -> None:
    mg, gy = Q_(1, "mg").units, Q_(1, "Gy").units
    policy = Policy(rounding={"*": Q_(0.1, "mg"), "tbi": Q_(0.2, "Gy")})
    assert policy.increment_for("fludarabine", mg) == Q_(0.1, "mg")
    assert policy.increment_for("total body irradiation", gy) == Q_(0.2, "Gy")
    assert policy.increment_for("tli", gy) is None  # a mass increment never rounds radiation
    assert Policy(rounding={"melphalan": "vial"}).increment_for("melphalan", mg) == "vial"
    assert Policy(rounding={"melphalan": "vial"}).increment_for("busulfan", mg) is None


def test_a_dosing_weight_applies_by_agent_then_star() -> None:
    ideal, adjusted = DosingWeight("ideal"), DosingWeight("adjusted", factor=0.4)
    policy = Policy(dosing_weight={"*": adjusted, "busulfan": ideal})
    assert policy.weight_for("busulfan") == ideal
    assert policy.weight_for("melphalan") == adjusted
    assert Policy().weight_for("busulfan") == DosingWeight("actual")


def test_a_presentation_is_the_policys_else_the_band_tables_else_none() -> None:
    policy = Policy(products={"fludarabine": "fludarabine-fludara-50mg"})
    assert policy.presentation_for("fludarabine").key == "fludarabine-fludara-50mg"
    assert policy.presentation_for("melphalan") is None
    banded = Policy(bands={"fludarabine": FLUDARABINE_BANDS})
    assert banded.presentation_for("fludarabine").key == "fludarabine-25mg-ml-2ml"
    assert Policy(bands={"vincristine": VINCRISTINE}).presentation_for("vincristine") is None


def test_named_agents_say_where_the_policy_names_them_first() -> None:
    policy = Policy(
        dose_factors={"*": 0.9, "fludarabine": 0.8},
        rounding={"melphalan": Q_(1, "mg"), "fludarabine": Q_(0.1, "mg")},
        dosing_weight={"busulfan": "ideal"},
        bands={"vincristine": VINCRISTINE},
        products={"cytarabine": "cytarabine-20mg-ml-5ml"},
        renal=["fludarabine-fludara-label", "methotrexate-high-dose-label"],
    )
    assert policy.named_agents() == {
        "fludarabine": ("dose_factors", "fludarabine"),
        "melphalan": ("rounding", "melphalan"),
        "busulfan": ("dosing_weight", "busulfan"),
        "vincristine": ("bands", "vincristine"),
        "cytarabine": ("products", "cytarabine"),
        "methotrexate": ("renal", "methotrexate-high-dose-label"),
    }
    assert Policy(dose_factors={"*": 0.5}).named_agents() == {}


# -- Policy: repr and description ---------------------------------------------------------------


def test_a_policy_shows_only_the_fields_not_at_their_defaults() -> None:
    assert repr(Policy()) == "Policy()"
    assert repr(Policy(gfr_cap=Q_(125, "mL/min"), max_rounding_change=0.1)) == "Policy()"
    assert repr(Policy(dosing_weight="actual", bsa_method="mosteller")) == "Policy()"
    cases = {
        "Policy(bsa_method='dubois')": Policy(bsa_method="dubois"),
        "Policy(max_rounding_change=0.2)": Policy(max_rounding_change=0.2),
        "Policy(renal_outside_population='accept')": Policy(renal_outside_population="accept"),
        "Policy(gfr_cap=None)": Policy(gfr_cap=None),
        "Policy(gfr_cap=Q_(100, 'mL/min'))": Policy(gfr_cap=Q_(100, "mL/min")),
        "Policy(renal=('fludarabine-fludara-label',))": Policy(renal="fludarabine-fludara-label"),
        "Policy(dose_factors={'fludarabine': 0.8})": Policy(dose_factors={"fludarabine": 0.8}),
        "Policy(dosing_weight={'*': DosingWeight(kind='ideal', factor=None, "
        "ibw_method='devine')})": Policy(dosing_weight="ideal"),
        "Policy(renal_estimator=RenalEstimator(adult=None, child='ckid_u25', "
        "cockcroft_gault_weight='actual'))": Policy(renal_estimator={"child": "ckid_u25"}),
        "Policy(infant_rule=InfantRule(below_weight=Q_(10, 'kg'), divisor=30.0))": Policy(
            infant_rule=InfantRule(Q_(10, "kg"), 30)
        ),
        "Policy(bands={'vincristine': BandTable('nhs-1mg-ml-vincristine')})": Policy(
            bands={"vincristine": VINCRISTINE}
        ),
    }
    for text, policy in cases.items():
        assert repr(policy) == text


def test_a_policy_describes_every_choice_in_json_safe_terms() -> None:
    policy = Policy(
        bsa_method="dubois",
        bsa_cap=Q_(2.0, "m**2"),
        dose_factors={"fludarabine": 0.8},
        rounding={"*": Q_(0.5, "mg"), "melphalan": "vial"},
        max_rounding_change=0.05,
        infant_rule=InfantRule(Q_(10, "kg"), 30),
        renal="fludarabine-fludara-label",
        dosing_weight={"busulfan": "ideal"},
        renal_outside_population="accept",
        bands={"vincristine": VINCRISTINE},
        products={"melphalan": "melphalan-50mg"},
        gfr_cap=Q_(150, "mL/min"),
        creatinine_floor=Q_(0.7, "mg/dL"),
    )
    described = policy.describe()
    assert described == {
        "bsa_method": "dubois",
        "bsa_cap": {"value": 2.0, "unit": "m2"},
        "dose_factors": {"fludarabine": 0.8},
        "rounding": {"*": {"value": 0.5, "unit": "mg"}, "melphalan": "vial"},
        "max_rounding_change": 0.05,
        "infant_rule": {"below_weight": {"value": 10.0, "unit": "kg"}, "divisor": 30.0},
        "renal": ["fludarabine-fludara-label"],
        "dosing_weight": {"busulfan": "ideal body weight (Devine)", "*": "actual body weight"},
        "renal_estimator": RenalEstimator().describe(),
        "renal_outside_population": "accept",
        "bands": {
            "vincristine": {
                "key": "nhs-1mg-ml-vincristine",
                "version": VINCRISTINE.version,
                "tolerance": 0.06,  # NICE KTT22: 6% for standard chemotherapy
                "boundary": "A",
                "worst_variance": VINCRISTINE.worst_variance,
                "example": False,
                "accepted": VINCRISTINE.accepted,
                "references": list(VINCRISTINE.references),
            }
        },
        "products": {"melphalan": "melphalan-50mg"},
        "gfr_cap": {"value": 150.0, "unit": "mL/min"},
        "creatinine_floor": {"adult": {"value": 0.7, "unit": "mg/dL"}},
    }
    assert described["bands"]["vincristine"]["worst_variance"] == pytest.approx(0.0625)
    # 0.34 mg for 0.32 mg: (0.34 − 0.32) / 0.32 = +6.25%
    assert Policy().describe()["infant_rule"] is None
    assert Policy().describe()["renal"] is None
    assert Policy().describe()["bsa_cap"] is None
    assert Policy(gfr_cap=None).describe()["gfr_cap"] is None
    assert Policy().describe()["creatinine_floor"] is None
    assert Policy().describe()["gfr_cap"] == {"value": 125.0, "unit": "mL/min"}


# -- renal tables -------------------------------------------------------------------------------


def test_a_renal_factor_counts_a_clearance_within_1e_9_of_an_edge_as_on_it() -> None:
    fludara = RENAL_TABLES["fludarabine-fludara-label"]  # [30, 50) -> 60%, below 30: withheld
    assert fludara.factor(30.0 * (1 - 5e-10)) == 0.6
    assert fludara.factor(30.0 * (1 - 2e-9)) == 0.0
    gate = RENAL_TABLES["methotrexate-high-dose-label"]  # "greater than 60": (60, inf) full dose
    assert gate.factor(60.0 * (1 + 5e-10)) == 0.0
    assert gate.factor(60.0 * (1 + 2e-9)) == 1.0


def test_a_renal_factor_starts_from_the_first_bands_factor_and_keeps_the_inputs_shape() -> None:
    melphalan = RENAL_TABLES["melphalan-high-dose-interpretation"]  # < 30: 70%, else full
    assert melphalan.factor(10.0) == 0.7
    assert type(melphalan.factor(10.0)) is float
    factors = melphalan.factor(np.array([[10.0, 29.9], [30.0, 120.0]]))
    np.testing.assert_array_equal(factors, [[0.7, 0.7], [1.0, 1.0]])
    generic = RENAL_TABLES["fludarabine-generic-label"]  # [0, 30) 0, [30, 70] 80%, (70, inf)
    np.testing.assert_array_equal(
        generic.factor(np.array([29.9, 30.0, 70.0, 70.1])), [0.0, 0.8, 0.8, 1.0]
    )


def test_renal_bands_and_tables_in_words() -> None:
    fludara = RENAL_TABLES["fludarabine-fludara-label"]
    assert [band.describe(fludara.unit_text) for band in fludara.bands] == [
        "[0, 30) mL/min: do not give",
        "[30, 50) mL/min: 60% of the dose",
        "[50, 80) mL/min: 80% of the dose",
        "[80, ∞) mL/min: 100% of the dose",
    ]
    generic = RENAL_TABLES["fludarabine-generic-label"]
    assert [band.describe(generic.unit_text) for band in generic.bands] == [
        "[0, 30) mL/min/1.73 m²: do not give",
        "[30, 70] mL/min/1.73 m²: 80% of the dose",
        "(70, ∞) mL/min/1.73 m²: 100% of the dose",
    ]
    assert RenalBand(0.5, 2.5, 0.25).describe("u") == "[0.5, 2.5) u: 25% of the dose"
    assert fludara.unit == Q_(1, "mL/min").units
    assert generic.unit != fludara.unit
    assert fludara.estimator_text() == "Cockcroft–Gault"
    assert RENAL_TABLES["methotrexate-high-dose-label"].estimator_text() == (
        "a measured creatinine clearance"
    )
    assert generic.estimator_text() == "not named by the source"
    assert fludara.population_text() == "adults (18 years and over)"
    aronoff = RENAL_TABLES["cytarabine-paediatric-aronoff"]
    assert aronoff.population_text() == "children (under 18 years)"


def renal_raw(**changes: Any) -> dict[str, Any]:
    """A renal table as data/renal.toml writes one (fludarabine's label bands)."""
    raw: dict[str, Any] = {
        "agent": "Fludarabine",
        "measure": "absolute",
        "estimator": "cockcroft_gault",
        "population": "adult",
        "references": ["fludara-label"],
        "note": "  a   note\n over  lines ",
        "interpretation": ["one\n  reading", " two "],
        "bands": [
            {"to": "30 mL/min", "factor": 0.0},
            {"from": "30 mL/min", "to": "0.05 L/min", "factor": 0.6, "to_inclusive": True},
            {"from": "50 mL/min", "factor": 1},
        ],
    }
    raw.update(changes)
    return raw


def test_a_packaged_renal_table_is_read_with_its_bands_and_words() -> None:
    table = renal_module._table("t", renal_raw())
    assert table == RenalTable(
        key="t",
        agent="fludarabine",
        measure="absolute",
        bands=(
            RenalBand(0.0, 30.0, 0.0, low_inclusive=True, high_inclusive=False),
            RenalBand(30.0, 50.0, 0.6, low_inclusive=True, high_inclusive=True),
            RenalBand(50.0, math.inf, 1.0, low_inclusive=False, high_inclusive=False),
        ),
        references=("fludara-label",),
        estimator="cockcroft_gault",
        population="adult",
        note="a note over lines",
        interpretation=("one reading", "two"),
    )
    per_bsa = [
        {"to": "30 mL/min/standard_bsa", "factor": 0.5},
        {"from": "0.03 L/min/standard_bsa", "factor": 1.0},
    ]
    normalised = renal_module._table(
        "n", renal_raw(measure="normalised", population="any", bands=per_bsa)
    )
    assert normalised.bands[1].low == pytest.approx(30.0)  # 0.03 L/min = 30 mL/min, per 1.73 m²
    assert normalised.population == "any"
    without = renal_raw()
    del without["interpretation"]
    assert renal_module._table("n", without).interpretation == ()


def test_a_packaged_renal_table_names_a_known_estimator_and_population() -> None:
    with pytest.raises(ValueError, match=r"^data/renal.toml: t.estimator: ") as info:
        renal_module._table("t", renal_raw(estimator="crcl"))
    assert str(info.value) == (
        "data/renal.toml: t.estimator: unknown estimator 'crcl'; use a key of "
        "dosing.EGFR_FORMULAS or one of ('cockcroft_gault', 'measured', 'unspecified')"
    )
    with pytest.raises(ValueError, match=r"^data/renal.toml: t.population: ") as info:
        renal_module._table("t", renal_raw(population="adults"))
    assert str(info.value) == (
        "data/renal.toml: t.population: population must be one of ('adult', 'paediatric', "
        "'any'), not 'adults'"
    )
    with pytest.raises(ValueError, match=r"^data/renal.toml: t.population: ") as info:
        renal_module._table("t", renal_raw(population="any"))
    assert str(info.value) == (
        "data/renal.toml: t.population: absolute thresholds (mL/min) cannot be for patients of "
        "any age; declare population 'adult' (or 'paediatric' with a source for children)"
    )
    for estimator in ("measured", "unspecified", "ckd_epi_2021"):
        assert renal_module._table("t", renal_raw(estimator=estimator)).estimator == estimator
    assert renal_module._table("t", renal_raw(population="paediatric")).population == "paediatric"


def test_packaged_renal_bands_cover_0_to_infinity_meeting_and_never_falling() -> None:
    def problems(bands: list[RenalBand]) -> str:
        with pytest.raises(ValueError, match=r"^data/renal.toml: t.bands: ") as info:
            renal_module._check_bands("t", tuple(bands))
        return str(info.value)

    assert problems([RenalBand(1, 30, 0.5), RenalBand(30, math.inf, 1)]) == (
        "data/renal.toml: t.bands: the first band must start at 0"
    )
    assert problems([RenalBand(0, 30, 0.5), RenalBand(30, 90, 1)]) == (
        "data/renal.toml: t.bands: the last band must have no upper end"
    )
    gap = [RenalBand(0, 30, 0.5), RenalBand(40, math.inf, 1)]
    assert problems(gap) == f"data/renal.toml: t.bands: bands must meet ({gap[0]} / {gap[1]})"
    assert problems([RenalBand(0, 30, 0.5), RenalBand(30, math.inf, 0.4)]) == (
        "data/renal.toml: t.bands: factors must not fall as clearance rises"
    )
    assert problems([RenalBand(2, 30, 0.5), RenalBand(31, 40, 0.4)]) == (
        "data/renal.toml: t.bands: the first band must start at 0; the last band must have no "
        f"upper end; bands must meet ({RenalBand(2, 30, 0.5)} / {RenalBand(31, 40, 0.4)}); factors "
        "must not fall as clearance rises"
    )
    renal_module._check_bands("t", (RenalBand(0, 30, 0.5), RenalBand(30, math.inf, 0.5)))


# -- band tables: the validator -----------------------------------------------------------------


def build(**changes: Any) -> BandTable:
    """Two bands of 0.1 mg from 1 mg, each given as its middle: ±5% at most (1.05 for 1.0)."""
    arguments: dict[str, Any] = {**BAND_ARGUMENTS, "version": "v1"}
    arguments.update(changes)
    return build_table(**arguments)


def test_a_built_table_holds_its_bands_and_variances_by_hand() -> None:
    table = build(agent="Oncovin", references=["nice-ktt22"], example=True, resolution=None)
    assert (table.agent, table.tolerance, table.boundary, table.version) == (
        "vincristine",
        0.06,
        "A",
        "v1",
    )
    assert table.references == ("nice-ktt22",)
    assert table.example is True
    assert table.unit == Q_(1, "mg").units
    assert table.accepted is None and table.resolution is None
    assert (table.source, table.note, table.product, table.concentration) == ("", "", None, None)
    first, second = table.bands
    assert (first.lower, first.upper, first.dose) == (Q_(1.0, "mg"), Q_(1.1, "mg"), Q_(1.05, "mg"))
    assert first.below == pytest.approx(0.05)  # (1.05 − 1.0) / 1.0
    assert first.above == pytest.approx(-0.05 / 1.1)  # (1.05 − 1.1) / 1.1
    assert second.below == pytest.approx(0.05 / 1.1)
    assert second.above == pytest.approx(-0.05 / 1.2)
    assert table.worst_variance == pytest.approx(0.05)
    assert (table.low, table.high) == (Q_(1.0, "mg"), Q_(1.2, "mg"))
    assert repr(first) == "Band(1–1.1 mg -> 1.05 mg)"
    assert repr(table) == "BandTable('k')"
    assert table.rows() == [
        {"from": 1.0, "to": 1.1, "dose": 1.05, "unit": "mg", "below_percent": 5.0,
         "above_percent": -4.55},
        {"from": 1.1, "to": 1.2, "dose": 1.15, "unit": "mg", "below_percent": 4.55,
         "above_percent": -4.17},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tolerance": True}, "table.tolerance=True must be a fraction such as 0.06"),
        ({"tolerance": "6%"}, "table.tolerance='6%' must be a fraction such as 0.06"),
        ({"tolerance": 0}, "table.tolerance=0.0 must be a fraction in (0, 1), e.g. 0.06 for 6%"),
        ({"tolerance": 1}, "table.tolerance=1.0 must be a fraction in (0, 1), e.g. 0.06 for 6%"),
        (
            {"boundary": "a"},
            "table.boundary='a' must be 'A' (a dose at a boundary goes to the band above) or "
            "'B' (to the band below)",
        ),
        ({"lower": [], "upper": [], "dose": []}, "table.bands=[] has no band"),
        ({"lower": [0.0, 1.1]}, "table.bands must hold positive, finite doses only"),
        ({"dose": [1.05, math.nan]}, "table.bands must hold positive, finite doses only"),
        ({"upper": [1.1, math.inf]}, "table.bands must hold positive, finite doses only"),
        (
            {"lower": [1.0, 1.2]},
            "table.bands[1]=(1.2, 1.2) is empty or reversed (1.2 to 1.2 mg)",
        ),
        (
            {"lower": [1.0, 1.0], "upper": [1.1, 1.1]},
            "table.bands[1]=1.0 is not in order: it starts at 1 mg, at or below the band before "
            "it (1 mg); list the bands from the lowest dose up",
        ),
        (
            {"lower": [1.0, 1.08]},
            "table.bands[1]=1.08 overlaps the band before it: it starts at 1.08 mg, before that "
            "band ends at 1.1 mg",
        ),
        (
            {"lower": [1.0, 1.12], "upper": [1.1, 1.2]},
            "table.bands[1]=1.12 leaves a gap: the band before it ends at 1.1 mg and it starts at "
            "1.12 mg; each band starts where the one before it ends (the boundary rule says which "
            "band a dose at the boundary is in)",
        ),
        (
            {"dose": [1.05, 1.04]},
            "table.bands[1]=1.04 has a band dose (1.04 mg) below the band before it (1.05 mg): a "
            "larger calculated dose would get less",
        ),
    ],
)
def test_the_validator_refuses_each_broken_guarantee_by_name(
    changes: dict[str, Any], message: str
) -> None:
    error = refused(DomainError, lambda: build(**changes))
    assert str(error) == message


def test_a_band_of_the_tolerance_exactly_is_within_it_and_one_just_over_is_refused() -> None:
    # [1, 1.06) given as 1.06: +6% at 1 mg, exactly the tolerance (0% at 1.06 mg)
    exact = build(lower=[1.0], upper=[1.06], dose=[1.06])
    assert exact.worst_variance == pytest.approx(0.06) and exact.accepted is None
    error = refused(DomainError, lambda: build(lower=[1.0], upper=[1.06], dose=[1.061]))
    assert str(error) == (
        "table.bands[0]=(1.0, 1.06, 1.061) gives 1.061 mg for a calculated dose of 1 mg, a "
        "variance of 6.10%, outside the table's tolerance of 6.00% (worst variance of the table: "
        "6.10%); correct the band, or accept the table explicitly (accept_out_of_tolerance = "
        "'why'); every row it bands then says so"
    )
    # [1, 1.2) given as 1.0: −16.67% at 1.2 mg (the upper boundary is the worse one)
    error = refused(DomainError, lambda: build(lower=[1.0], upper=[1.2], dose=[1.0]))
    assert error.reason.startswith(
        "gives 1 mg for a calculated dose of 1.2 mg, a variance of 16.67%"
    )
    # the worst band is named, not the first: band 1 gives 1.3 for 1.2 (+8.33%)
    error = refused(DomainError, lambda: build(dose=[1.05, 1.3], upper=[1.1, 1.3]))
    assert error.argument == "table.bands[1]"
    assert error.value == (1.1, 1.3, 1.3)


def test_a_table_outside_its_tolerance_is_accepted_only_with_a_reason_in_words() -> None:
    accepted = build(dose=[1.05, 1.3], upper=[1.1, 1.3], accept_out_of_tolerance="as published")
    assert accepted.accepted == "as published"
    assert accepted.worst_variance == pytest.approx(0.2 / 1.1)  # (1.3 − 1.1) / 1.1 = 18.18%
    # a table within its tolerance is not "accepted": there is nothing to accept
    assert build(accept_out_of_tolerance="as published").accepted is None
    for reason in ("  ", 5):
        error = refused(DomainError, lambda reason=reason: build(accept_out_of_tolerance=reason))
        assert str(error) == (
            f"table.accept_out_of_tolerance={reason!r} must be the reason the table is "
            "accepted, in words"
        )


def test_the_validator_checks_unit_references_resolution_and_concentration() -> None:
    error = refused(UnitsError, lambda: build(unit="mL"))
    assert error.argument == "table.unit"
    assert error.reason == "is mL; band tables are in a unit of mass such as mg"
    assert build(unit="g").unit == Q_(1, "g").units
    error = refused(UnknownKeyError, lambda: build(references=["nice-ktt22", "nice-2099"]))
    assert error.value == "nice-2099"
    error = refused(DomainError, lambda: build(resolution=0.01))
    assert str(error) == (
        "table.resolution=0.01 is the positive dose grid of a To (B) column, for rule 'B' only"
    )
    for resolution in (0, -0.01, math.inf, math.nan, True, "0.01"):
        error = refused(
            DomainError, lambda resolution=resolution: build(boundary="B", resolution=resolution)
        )
        assert error.argument == "table.resolution"
    assert build(boundary="B", resolution=0.01).resolution == 0.01
    assert type(build(boundary="B", resolution=1).resolution) is float
    for concentration in ("1 mg/mL", Q_(1, "mg")):
        error = refused(UnitsError, lambda c=concentration: build(concentration=c))
        assert error.reason == "must be a concentration such as '1 mg/mL'"
        assert error.argument == "table.concentration"
    assert build(concentration=Q_(1, "mg/mL")).concentration == Q_(1, "mg/mL")


def test_a_tables_product_gives_its_concentration_and_must_agree_with_one_given() -> None:
    table = build(agent="fludarabine", product="fludarabine-25mg-ml-2ml")
    assert table.concentration.m_as("mg/mL") == 25
    assert (
        build(
            agent="fludarabine", product="fludarabine-25mg-ml-2ml", concentration=Q_(0.025, "g/mL")
        ).product
        == "fludarabine-25mg-ml-2ml"
    )
    error = refused(
        DomainError,
        lambda: build(
            agent="fludarabine", product="fludarabine-25mg-ml-2ml", concentration=Q_(50, "mg/mL")
        ),
    )
    assert str(error) == (
        "table.concentration=50 mg/mL is 50 mg/mL, but its product fludarabine-25mg-ml-2ml is "
        "25 mg/mL: a table is for one concentration; name the product the table was made for, or "
        "correct the concentration"
    )


def test_a_band_table_is_never_made_or_changed_past_the_validator() -> None:
    error = refused(
        DomainError,
        lambda: BandTable(
            key="k", agent="vincristine", tolerance=0.06, boundary="A", bands=(),
            worst_variance=0.0, unit=Q_(1, "mg").units, version="v",
        ),
    )  # fmt: skip
    assert str(error) == (
        "BandTable is made by load_band_table, make_band_table or build_table, which check it; "
        "use dosing.load_band_table(path) or dosing.make_band_table(...)"
    )
    table = build()
    fields = {
        "key": "k", "agent": "vincristine", "tolerance": 0.06, "boundary": "A",
        "bands": table.bands, "worst_variance": table.worst_variance, "unit": table.unit,
        "version": "v1",
    }  # fmt: skip
    arrays = {"_lower": [1.0, 1.1], "_upper": [1.1, 1.2], "_dose": [1.05, 1.15]}
    for missing in arrays:
        given = {name: value for name, value in arrays.items() if name != missing}
        error = refused(DomainError, lambda given=given: BandTable(**fields, **given))
        assert error.reason == (
            "is made by load_band_table, make_band_table or build_table, which check it"
        )
    product = build(agent="fludarabine", product="fludarabine-25mg-ml-2ml")
    for changed in (
        lambda: dataclasses.replace(table, agent="Oncovin"),
        lambda: dataclasses.replace(table, worst_variance=0.04),
        lambda: dataclasses.replace(table, accepted="why"),
        lambda: dataclasses.replace(table, bands=table.bands[:1]),
        lambda: dataclasses.replace(product, concentration=None),
    ):
        error = refused(DomainError, changed)
        assert str(error) == (
            "BandTable('k') has fields that disagree with its bands (agent, bands, "
            "worst_variance, accepted or concentration changed by hand); make the table again "
            "with build_table, load_band_table or make_band_table"
        )
    assert dataclasses.replace(table, key="k2", note="n").key == "k2"


# -- band tables: lookups -----------------------------------------------------------------------


def test_rule_a_puts_a_boundary_dose_in_the_band_above_and_snaps_within_1e_9() -> None:
    table = build()
    assert table.lookup(1.1) == (1.15, 1.1, 1.2, True)
    assert table.lookup(1.1 * (1 - 5e-10)) == (1.15, 1.1, 1.2, True)  # snapped to 1.1
    assert table.lookup(1.1 * (1 - 5e-9)) == (1.05, 1.0, 1.1, True)
    assert table.lookup(1.0) == (1.05, 1.0, 1.1, True)
    assert table.lookup(1.0 * (1 - 5e-10))[3] is True
    dose, lower, upper, inside = table.lookup(1.2)
    assert inside is False and math.isnan(dose) and math.isnan(lower) and math.isnan(upper)
    assert table.lookup(1.2 * (1 - 5e-9))[0] == 1.15
    assert table.lookup(0.99)[3] is False
    doses, lowers, uppers, insides = table.lookup(np.array([0.5, 1.0, 1.1, 1.19, 1.2, 5.0]))
    np.testing.assert_array_equal(doses, [np.nan, 1.05, 1.15, 1.15, np.nan, np.nan])
    np.testing.assert_array_equal(lowers, [np.nan, 1.0, 1.1, 1.1, np.nan, np.nan])
    np.testing.assert_array_equal(uppers, [np.nan, 1.1, 1.2, 1.2, np.nan, np.nan])
    np.testing.assert_array_equal(insides, [False, True, True, True, False, False])


def test_rule_b_puts_a_boundary_dose_in_the_band_below() -> None:
    table = build(boundary="B")
    assert table.lookup(1.1) == (1.05, 1.0, 1.1, True)
    assert table.lookup(1.1 * (1 + 5e-10)) == (1.05, 1.0, 1.1, True)
    assert table.lookup(1.1 * (1 + 5e-9)) == (1.15, 1.1, 1.2, True)
    assert table.lookup(1.2)[:3] == (1.15, 1.1, 1.2)
    assert table.lookup(1.0)[3] is False  # (1.0, 1.1]: 1.0 itself is outside
    assert table.lookup(1.2 * (1 + 5e-9))[3] is False
    np.testing.assert_array_equal(
        table.lookup(np.array([1.0, 1.05, 1.1, 1.2, 1.3]))[3], [False, True, True, True, False]
    )
    assert table.range_text() == "1 mg to 1.2 mg, rule B"
    assert build().range_text() == "1 mg to 1.2 mg, rule A"


def test_rule_b_with_a_resolution_bands_from_to_to_b_on_its_grid() -> None:
    # printed To (B) 1.09 and 1.19 on a 0.01 mg grid: [1.0, 1.1) and [1.1, 1.2) at full precision
    table = build(boundary="B", resolution=0.01)
    assert table.lookup(1.0) == (1.05, 1.0, 1.1, True)
    assert table.lookup(1.099)[0] == 1.05
    assert table.lookup(1.1)[0] == 1.15
    assert table.lookup(1.2)[3] is False
    assert table.range_text() == "1 mg to 1.19 mg read down to 0.01 mg, rule B"
    three = {"lower": [1.0, 1.1, 1.2], "upper": [1.1, 1.2, 1.3], "dose": [1.05, 1.15, 1.25]}
    assert build(boundary="B", resolution=0.01, **three).range_text() == (
        "1 mg to 1.29 mg read down to 0.01 mg, rule B"
    )
    assert build(**three).range_text() == "1 mg to 1.3 mg, rule A"


def test_band_for_gives_a_quantity_and_refuses_a_dose_outside_naming_the_first() -> None:
    table = build()
    assert table.band_for(Q_(1.1, "mg")) == Q_(1.15, "mg")
    assert table.band_for(Q_(1100, "ug")) == Q_(1.15, "mg")
    banded = table.band_for(Q_(np.array([1.0, 1.15]), "mg"))
    np.testing.assert_array_equal(banded.m_as("mg"), [1.05, 1.15])
    error = refused(DomainError, lambda: table.band_for(Q_(1.25, "mg")))
    assert error.value == Q_(1.25, "mg")
    assert (
        str(error)
        == "dose=1.25 mg is outside every band of k (1 mg to 1.2 mg, rule A); it is not banded"
    )
    error = refused(DomainError, lambda: table.band_for(Q_(np.array([1.0, 0.5, 2.0]), "mg")))
    assert error.shown == "0.5 mg"
    assert error.argument == "dose"
    error = refused(UnitsError, lambda: table.band_for(1.1))
    assert (error.argument, error.value) == ("dose", 1.1)


def test_a_table_writes_every_field_it_has_in_the_file_format() -> None:
    table = build(
        key='a "b" \\ c',
        agent="fludarabine",
        product="fludarabine-25mg-ml-2ml",
        lower=[10.0],
        upper=[10.6],
        dose=[10.5],
        boundary="B",
        resolution=0.1,
        references=["nice-ktt22"],
        source="s",
        example=True,
        note="n",
    )
    assert table.to_toml() == (
        "# A dose-band table (dosing band-table format 1; see docs/banding.md).\n"
        "format = 1\n"
        'key = "a \\"b\\" \\\\ c"\n'
        'agent = "fludarabine"\n'
        'product = "fludarabine-25mg-ml-2ml"\n'
        'concentration = "25 mg/mL"\n'
        'unit = "mg"\n'
        "tolerance = 0.06\n"
        'boundary = "B"\n'
        'version = "v1"\n'
        'references = ["nice-ktt22"]\n'
        'source = "s"\n'
        "example = true\n"
        'note = "n"\n'
        "resolution = 0.1\n"
        'columns = ["from", "to_b", "dose"]\n'
        "bands = [\n"
        "    [10.0, 10.5, 10.5],\n"
        "]\n"
    )
    accepted = build(dose=[1.05, 1.3], upper=[1.1, 1.3], accept_out_of_tolerance="why")
    text = accepted.to_toml()
    assert 'accept_out_of_tolerance = "why"\n' in text
    assert "example = false\n" in text
    assert 'columns = ["from", "to", "dose"]\n' in text
    assert "product" not in text and "concentration" not in text and "note" not in text
    assert "    [1.1, 1.3, 1.3],\n" in text
    cited = build(references=["nice-ktt22", "nhs-dose-banding"]).to_toml()
    assert 'references = ["nice-ktt22", "nhs-dose-banding"]\n' in cited


# -- band tables: the file format ---------------------------------------------------------------


def band_file(rows: str = "[1.0, 1.1, 1.05], [1.1, 1.2, 1.15]", **fields: str | None) -> str:
    """A band-table file; a field given as None is left out, one given as text replaces it."""
    values: dict[str, str | None] = {
        "format": "1",
        "key": '"k"',
        "agent": '"vincristine"',
        "unit": '"mg"',
        "tolerance": "0.06",
        "boundary": '"A"',
        "version": '"v1"',
    }
    values.update(fields)
    lines = [f"{name} = {value}" for name, value in values.items() if value is not None]
    return "\n".join([*lines, f"bands = [{rows}]"]) + "\n"


def parse_refused(kind: type[Exception], text: str, accept: str | None = None) -> Any:
    return refused(kind, lambda: bands_module._parse(text, "t.toml", accept))


def test_the_loader_reads_every_field_of_a_file() -> None:
    table = bands_module._parse(
        band_file(
            references='["nice-ktt22"]',
            source='"s"',
            example="true",
            note='"n"',
            product='"vincristine-1mg-ml-2ml"',
            concentration='"1 mg/mL"',
        ),
        "t.toml",
        None,
    )
    assert (table.key, table.agent, table.version, table.source, table.note) == (
        "k", "vincristine", "v1", "s", "n",
    )  # fmt: skip
    assert table.references == ("nice-ktt22",) and table.example is True
    assert table.product == "vincristine-1mg-ml-2ml"
    assert table.concentration == Q_(1, "mg/mL")
    plain = bands_module._parse(band_file(), "t.toml", None)
    assert (plain.references, plain.source, plain.example, plain.note, plain.product) == (
        (), "", False, "", None,
    )  # fmt: skip
    assert plain.concentration is None and plain.resolution is None
    # a key or version written as a number is refused, not read as text
    with pytest.raises(DomainError, match=r"^t.toml: key: must be text, not 7$"):
        bands_module._parse(band_file(key="7"), "t.toml", None)


def test_the_loader_refuses_a_file_by_field_with_its_exact_message() -> None:
    error = parse_refused(DomainError, "bands = [\n")
    assert error.argument == "t.toml"
    assert str(error).startswith("t.toml: cannot be read: not valid TOML: ")
    assert error.__cause__ is None and error.__suppress_context__
    error = parse_refused(DomainError, band_file(colour='"red"', size="2"))
    assert str(error) == (
        "t.toml=['colour', 'size'] has unknown field(s) ['colour', 'size']; use: "
        f"{sorted(bands_module._FIELDS)}"
    )
    error = parse_refused(DomainError, band_file(unit=None, version=None))
    assert str(error) == "t.toml=['unit', 'version'] lacks the field(s) ['unit', 'version']"
    for required in ("format", "key", "agent", "tolerance", "boundary"):
        error = parse_refused(DomainError, band_file(**{required: None}))
        assert error.reason == f"lacks the field(s) [{required!r}]"
    error = parse_refused(DomainError, "\n".join(band_file().splitlines()[:-1]) + "\n")
    assert error.reason == "lacks the field(s) ['bands']"
    error = parse_refused(DomainError, band_file(format="2"))
    assert str(error) == "t.toml: format=2 is 2; this version of dosing reads band-table format 1"
    error = parse_refused(DomainError, band_file(format='"1"'))
    assert error.reason == "is '1'; this version of dosing reads band-table format 1"
    error = parse_refused(UnitsError, band_file(unit='"bogus"'))
    assert str(error) == "t.toml: unit='bogus' is not a unit pint knows"
    assert error.__cause__ is None and error.__suppress_context__


@pytest.mark.parametrize(
    "columns",
    [
        '["from", "to", "dose", "colour"]',
        '["from", "to", "to", "dose"]',
        '["from", "to_a", "to", "dose"]',  # "to_a" is "to": named twice
        '["to", "dose"]',
        '["from", "to"]',
        '["from", "dose", "below"]',
    ],
)
def test_the_loader_refuses_columns_that_do_not_name_each_needed_one_once(columns: str) -> None:
    error = parse_refused(DomainError, band_file(columns=columns))
    shown = [("to" if name == "to_a" else name) for name in eval(columns)]
    assert str(error) == (
        f"t.toml: columns={shown!r} must name each column once, from: 'from', 'to' (To (A) <, "
        "or 'to_a'), 'to_b' (To (B) <=), 'dose', 'below', 'above'; 'from', 'dose' and 'to' or "
        "'to_b' are needed"
    )


@pytest.mark.parametrize(
    "rows", ["[1.0, 1.1]", "[1.0, 1.1, true]", '[1.0, 1.1, "1.05"]', "1.0", "[1.0, 1.1, 1.05, 2]"]
)
def test_the_loader_refuses_rows_that_are_not_numbers_of_each_column(rows: str) -> None:
    error = parse_refused(DomainError, band_file(rows=rows))
    assert str(error) == (
        "t.toml: bands must be a list of rows of 3 numbers (from, to, dose), each finite"
    )
    error = parse_refused(DomainError, band_file(rows="[1.0, 1.1]", columns='["from", "to_b"]'))
    assert error.argument == "t.toml: columns"


def test_the_loader_reads_bands_given_as_a_table_of_columns_in_any_order() -> None:
    table = bands_module._parse(
        band_file(rows="[1.05, 1.0, 1.1], [1.15, 1.1, 1.2]", columns='["dose", "from", "to"]'),
        "t.toml",
        None,
    )
    assert [b.dose.m_as("mg") for b in table.bands] == [1.05, 1.15]
    assert [b.lower.m_as("mg") for b in table.bands] == [1.0, 1.1]
    error = parse_refused(DomainError, band_file(rows="1"))
    assert error.reason == "must be a list of rows of 3 numbers (from, to, dose), each finite"
    error = parse_refused(DomainError, 'bands = "x"\n' + band_file().split("bands")[0])
    assert error.argument == "t.toml: bands"


@pytest.mark.parametrize("resolution", [None, "0", "-0.01", "true", '"0.01"'])
def test_a_printed_to_b_column_needs_a_positive_resolution(resolution: str | None) -> None:
    text = band_file(
        rows="[1.0, 1.09, 1.05]", columns='["from", "to_b", "dose"]', resolution=resolution
    )
    error = parse_refused(DomainError, text)
    value = {None: None, "0": 0, "-0.01": -0.01, "true": True, '"0.01"': "0.01"}[resolution]
    assert str(error) == (
        f"t.toml: resolution={value!r} must give the dose resolution of the To (B) column (e.g. "
        "0.01) when the table prints it"
    )


def test_to_b_plus_the_resolution_is_to_a_and_rule_b_reads_down_to_the_grid() -> None:
    text = band_file(
        rows="[1.0, 1.09, 1.05], [1.1, 1.19, 1.15]",
        columns='["from", "to_b", "dose"]',
        resolution="0.01",
        boundary='"B"',
    )
    table = bands_module._parse(text, "t.toml", None)
    assert [b.upper.m_as("mg") for b in table.bands] == [1.1, 1.2]  # 1.09 + 0.01, 1.19 + 0.01
    assert table.resolution == 0.01
    assert table.lookup(1.099)[0] == 1.05  # read down to 1.09: From 1.0 <= 1.09 <= To (B) 1.09
    rule_a = bands_module._parse(text.replace('"B"', '"A"'), "t.toml", None)
    assert rule_a.resolution is None
    assert rule_a.bands[0].upper.m_as("mg") == 1.1
    a_resolution = bands_module._parse(band_file(resolution="0.01"), "t.toml", None)
    assert a_resolution.resolution is None  # a resolution without a To (B) column: rule A as given
    b_columns = bands_module._parse(band_file(boundary='"B"', resolution="0.01"), "t.toml", None)
    assert b_columns.resolution is None  # from/to columns: rule B is (lower, upper]


def test_the_loaders_acceptance_wins_over_the_files() -> None:
    over = "[1.0, 1.3, 1.15]"  # +15% at 1.0 mg
    text = band_file(rows=over, accept_out_of_tolerance='"the file"')
    assert bands_module._parse(text, "t.toml", None).accepted == "the file"
    assert bands_module._parse(text, "t.toml", "the caller").accepted == "the caller"
    assert bands_module._parse(band_file(rows=over), "t.toml", "the caller").accepted == (
        "the caller"
    )
    error = parse_refused(DomainError, band_file(rows=over))
    assert error.argument == "t.toml.bands[0]"


def test_printed_to_b_and_variances_must_agree_with_the_bands_exactly_as_rounded() -> None:
    columns = '["from", "to", "to_b", "dose", "below", "above"]'

    def text(row: str) -> str:
        return band_file(rows=row, columns=columns, resolution="0.01")

    # (1.05 − 1.0) / 1.0 = +5%; (1.05 − 1.1) / 1.1 = −4.545%: printed −4 or −5 (rounded either way)
    for above in ("-5", "-4", "-4.545454545454545"):
        bands_module._parse(text(f"[1.0, 1.1, 1.09, 1.05, 5, {above}]"), "t.toml", None)
    error = parse_refused(DomainError, text("[1.0, 1.1, 1.08, 1.05, 5, -5]"))
    assert str(error) == (
        "t.toml: bands[0]=1.08 prints To (B) 1.08, not To (A) 1.1 less the resolution 0.01"
    )
    error = parse_refused(DomainError, text("[1.0, 1.1, 1.09, 1.05, 6, -5]"))
    assert str(error) == (
        "t.toml: bands[0]=6.0 prints a variance below of 6%, but its band gives 5.00% (the printed "
        "value must be it rounded up or down to a whole percent)"
    )
    error = parse_refused(DomainError, text("[1.0, 1.1, 1.09, 1.05, 4, -5]"))
    assert error.reason.startswith("prints a variance below of 4%")
    for above in ("-3", "-6"):
        error = parse_refused(DomainError, text(f"[1.0, 1.1, 1.09, 1.05, 5, {above}]"))
        assert error.reason.startswith(
            f"prints a variance above of {above}%, but its band gives -4.55%"
        )
    two = "[1.0, 1.1, 1.09, 1.05, 5, -5], [1.1, 1.2, 1.19, 1.15, 5, -4]"
    bands_module._parse(text(two), "t.toml", None)
    error = parse_refused(DomainError, text(two.replace("1.15, 5, -4", "1.15, 5, -6")))
    assert error.argument == "t.toml: bands[1]"


# -- band tables: the generator, products, the shipped tables -----------------------------------


def test_the_generator_by_hand_rule_a() -> None:
    # grid 0.01 mg (two decades below 1 mg); D = ⌊10 × 1.1 = 11⌋ = 11; U = ⌊11 / 0.9 = 12.222⌋
    # = 12.22 > 12: one band [10, 12.22) -> 11
    table = make_band_table(
        "Oncovin", Q_(10, "mg"), Q_(12, "mg"), tolerance=0.1, increment=Q_(1, "mg")
    )
    assert [(b.lower.m_as("mg"), b.upper.m_as("mg"), b.dose.m_as("mg")) for b in table.bands] == [
        (10.0, 12.22, 11.0)
    ]
    assert (table.key, table.version, table.agent, table.boundary) == (
        "vincristine-generated", "generated", "vincristine", "A",
    )  # fmt: skip
    assert table.source == (
        "generated by dosing.make_band_table from 10 to 12 mg, tolerance 0.1, increment 1 mg, "
        "boundaries on a 0.01 mg grid"
    )
    # high exactly at the first band's upper boundary: rule A's [10, 12.22) leaves it out, so a
    # second band: D = ⌊12.22 × 1.1 = 13.442⌋ = 13, U = ⌊13 / 0.9 = 14.444⌋ = 14.44
    table = make_band_table(
        "vincristine", Q_(10, "mg"), Q_(12.22, "mg"), tolerance=0.1, increment=Q_(1, "mg"),
        key="mine", version="3",
    )  # fmt: skip
    assert [(b.lower.m_as("mg"), b.upper.m_as("mg"), b.dose.m_as("mg")) for b in table.bands] == [
        (10.0, 12.22, 11.0),
        (12.22, 14.44, 13.0),
    ]
    assert (table.key, table.version) == ("mine", "3")


def test_the_generator_by_hand_rule_b() -> None:
    # rule B is (lower, upper]: 10 is on the grid, so start a grid step below, at 9.99;
    # D = ⌊9.99 × 1.1 = 10.989⌋ = 10, U = ⌊10 / 0.9 = 11.111⌋ = 11.11;
    # D = ⌊11.11 × 1.1 = 12.221⌋ = 12, U = ⌊12 / 0.9 = 13.333⌋ = 13.33 >= 12: done
    table = make_band_table(
        "vincristine", Q_(10, "mg"), Q_(12, "mg"), tolerance=0.1, increment=Q_(1, "mg"),
        boundary="B",
    )  # fmt: skip
    assert [(b.lower.m_as("mg"), b.upper.m_as("mg"), b.dose.m_as("mg")) for b in table.bands] == [
        (9.99, 11.11, 10.0),
        (11.11, 13.33, 12.0),
    ]
    assert table.boundary == "B"
    # low off the grid: ⌊10.005⌋ on 0.01 = 10.00, below low already, so no step down
    table = make_band_table(
        "vincristine", Q_(10.005, "mg"), Q_(11, "mg"), tolerance=0.1, increment=Q_(1, "mg"),
        boundary="B",
    )  # fmt: skip
    assert table.bands[0].lower.m_as("mg") == 10.0
    # rule B stops at a band whose upper boundary is high itself: (9.99, 11.11] holds 11.11
    table = make_band_table(
        "vincristine", Q_(10, "mg"), Q_(11.11, "mg"), tolerance=0.1, increment=Q_(1, "mg"),
        boundary="B",
    )  # fmt: skip
    assert len(table.bands) == 1


def test_the_generator_converts_a_volume_at_the_products_concentration() -> None:
    # 0.02 mL × 25 mg/mL = 0.5 mg; grid two decades below 0.5 mg: 0.001 mg
    table = make_band_table(
        "fludarabine", Q_(10, "mg"), Q_(11, "mg"), tolerance=0.06, increment=Q_(0.02, "mL"),
        product="fludarabine-25mg-ml-2ml",
    )  # fmt: skip
    assert table.source.endswith("increment 0.5 mg, boundaries on a 0.001 mg grid")
    assert table.product == "fludarabine-25mg-ml-2ml"
    # D = ⌊10 × 1.06 = 10.6⌋ to 0.5 = 10.5; U = ⌊10.5 / 0.94 = 11.1702⌋ to 0.001 = 11.17
    assert table.bands[0].dose.m_as("mg") == 10.5
    assert table.bands[0].upper.m_as("mg") == 11.17
    coarse = make_band_table(
        "fludarabine", Q_(10, "mg"), Q_(11, "mg"), tolerance=0.06, increment=Q_(0.5, "mg"),
        resolution=Q_(0.004, "mL"), product="fludarabine-25mg-ml-2ml",
    )  # fmt: skip
    assert coarse.source.endswith("boundaries on a 0.1 mg grid")  # 0.004 mL × 25 mg/mL
    assert coarse.bands[0].upper.m_as("mg") == 11.1  # ⌊11.1702⌋ to 0.1


def test_the_generators_refusals_say_exactly_what_and_why() -> None:
    def make(**changes: Any) -> Any:
        arguments: dict[str, Any] = {
            "agent": "vincristine", "low": Q_(10, "mg"), "high": Q_(12, "mg"),
            "tolerance": 0.1, "increment": Q_(1, "mg"),
        }  # fmt: skip
        arguments.update(changes)
        return lambda: make_band_table(**arguments)

    assert str(refused(DomainError, make(tolerance=True))) == (
        "tolerance=True must be a fraction such as 0.06"
    )
    for tolerance in (0, 0.5, -0.1):
        assert str(refused(DomainError, make(tolerance=tolerance))) == (
            f"tolerance={tolerance!r} must be a fraction in (0, 0.5), e.g. 0.06 for 6%"
        )
    assert make(tolerance=0.49)().tolerance == 0.49
    for low, high in ((Q_(12, "mg"), Q_(12, "mg")), (Q_(0, "mg"), Q_(12, "mg"))):
        error = refused(DomainError, make(low=low, high=high))
        assert str(error) == f"low={low.magnitude} mg must be positive and below high (12 mg)"
    error = refused(DomainError, make(low=Q_(10, "mg"), high=Q_(math.inf, "mg")))
    assert error.reason == "must be positive and below high (inf mg)"
    error = refused(DomainError, make(low=Q_(0.5, "mg"), resolution=Q_(1, "mg")))
    assert str(error) == "resolution=1 mg is too coarse for low=0.5 mg"
    error = refused(DomainError, make(low=Q_(0.001, "mg")))  # grid 0.01 mg: ⌊0.001⌋ = 0
    assert str(error) == "resolution=1 mg is too coarse for low=0.001 mg"
    # D = ⌊1.5 × 1.06 = 1.59⌋ = 1 < 1.5 × 0.94 = 1.41
    error = refused(DomainError, make(low=Q_(1.5, "mg"), high=Q_(3, "mg"), tolerance=0.06))
    assert str(error) == (
        "increment=1 mg is too coarse for a 6% tolerance at 1.5 mg: no multiple of 1 mg lies "
        "within it; use a finer increment (a smaller syringe graduation) or a higher low"
    )
    # D = ⌊1 × 1.06⌋ = 1, U = ⌊1 / 0.94 = 1.0638⌋ = 1.06; then D = ⌊1.1236⌋ = 1, U = 1.06 again
    error = refused(DomainError, make(low=Q_(1, "mg"), high=Q_(3, "mg"), tolerance=0.06))
    assert str(error) == (
        "increment=1 mg is too coarse for a 6% tolerance just above 1.06 mg: no multiple of 1 mg "
        "covers the next 0.01 mg step of the boundaries; use a finer increment, or a finer "
        "resolution for the boundaries"
    )
    error = refused(
        DomainError,
        make(low=Q_(1, "mg"), high=Q_(1e9, "mg"), tolerance=0.001, increment=Q_(0.0001, "mg")),
    )
    assert str(error) == "increment gives more than 5000 bands from 1 to 1e+09 mg"


def test_a_measurable_step_is_a_mass_or_a_volume_of_a_named_product() -> None:
    def make(increment: Any, agent: str = "fludarabine") -> Any:
        return lambda: make_band_table(
            agent, Q_(10, "mg"), Q_(12, "mg"), tolerance=0.1, increment=increment
        )

    error = refused(UnitsError, make(1))
    assert str(error) == "increment=1 has no unit; write increment=Q_(1, 'mg')"
    error = refused(DomainError, make(Q_(0.1, "mL")))
    assert str(error) == (
        "increment=0.1 mL is a volume; name the fludarabine product whose concentration converts "
        "it, or give a mass; product='fludarabine-25mg-ml-2ml' (or one of "
        "'fludarabine-25mg-ml-2ml', 'fludarabine-fludara-50mg')"
    )
    error = refused(DomainError, make("0.1 mL", agent="etoposide"))
    assert str(error) == (
        "increment='0.1 mL' is a volume; name the etoposide product whose concentration converts "
        "it, or give a mass; dosing has no etoposide product: give a mass such as Q_(0.1, 'mg')"
    )
    error = refused(UnitsError, make("1 m"))
    assert str(error) == (
        "increment='1 m' must be a mass (Q_(0.1, 'mg')) or a volume with a product (Q_(0.01, 'mL'))"
    )
    for bad in (Q_(-1, "mg"), Q_(0, "mg"), Q_(math.nan, "mg")):
        error = refused(DomainError, make(bad))
        assert str(error) == f"increment={bad.magnitude} mg must be positive"
    assert make(Q_(1000, "ug"))().source.endswith("increment 1 mg, boundaries on a 0.01 mg grid")
    text = make_band_table(
        "fludarabine", Q_(20, "mg"), Q_(22, "mg"), tolerance=0.1, increment="2.5 mg"
    ).source  # D = ⌊22⌋ to 2.5 = 20, U = ⌊20 / 0.9 = 22.222⌋ = 22.22
    assert text.endswith("increment 2.5 mg, boundaries on a 0.01 mg grid")
    assert make(Q_(0.1, "mg"))().source.endswith("increment 0.1 mg, boundaries on a 0.001 mg grid")
    text = make_band_table(
        "fludarabine", Q_(10, "mg"), Q_(11, "mg"), tolerance=0.1, increment=Q_(10, "mg")
    ).source  # D = ⌊11⌋ to 10 = 10, U = ⌊10 / 0.9 = 11.11⌋ to 0.1 = 11.1
    assert text.endswith("increment 10 mg, boundaries on a 0.1 mg grid")


def test_check_product_refuses_another_product_or_concentration() -> None:
    fludara = presentation("fludarabine", "fludarabine-fludara-50mg")
    error = refused(DomainError, lambda: check_product(FLUDARABINE_BANDS, fludara, "p"))
    assert str(error) == (
        "p='fludarabine-fludara-50mg' is fludarabine-fludara-50mg, but the band table "
        "example-fludarabine-25mg-ml is for fludarabine-25mg-ml-2ml; name "
        "'fludarabine-25mg-ml-2ml' (or no product: the table supplies it), or use a table for "
        "fludarabine-fludara-50mg"
    )
    check_product(FLUDARABINE_BANDS, presentation("fludarabine", "fludarabine-25mg-ml-2ml"), "p")
    table = build(agent="cytarabine", concentration=Q_(100, "mg/mL"))
    weak = presentation("cytarabine", "cytarabine-20mg-ml-5ml")
    error = refused(DomainError, lambda: check_product(table, weak, "p"))
    assert str(error) == (
        "p='cytarabine-20mg-ml-5ml' is cytarabine-20mg-ml-5ml at 20 mg/mL, but the band table k "
        "is for 100 mg/mL; name a product at the table's concentration, or use a table for this "
        "product"
    )
    check_product(table, presentation("cytarabine", "cytarabine-100mg-ml-20ml"), "p")
    check_product(build(agent="cytarabine"), weak, "p")  # a table for no concentration


def test_the_shipped_tables_are_every_toml_file_under_its_own_name() -> None:
    shipped = bands_module._shipped()
    folder = resources.files("dosing").joinpath("data/bands")
    names = sorted(
        e.name.removesuffix(".toml") for e in folder.iterdir() if e.name.endswith(".toml")
    )
    assert list(shipped) == names == list(BAND_TABLES)
    for key, table in shipped.items():
        assert table.key == key
        assert table.bands == BAND_TABLES[key].bands
        assert table.accepted == BAND_TABLES[key].accepted


# -- steps: rounding arithmetic and the pipeline ------------------------------------------------


def test_half_up_rounding_clears_noise_below_1e_9_of_a_half_only() -> None:
    # 11.4999999999 tenths is a half within 1e-9: up to 12; 11.499999 is not: down to 11
    for value, expected in ((1.14999999999, 1.2), (1.1499999, 1.1), (1.15, 1.2), (1.25, 1.3)):
        assert round_half_up(value, 0.1) == expected
        assert round_half_up(np.array([value]), 0.1)[0] == expected
    assert round_half_up(0.3, 0.1) == 0.3  # 0.1 × 3 is 0.30000000000000004 before rounding
    assert round_half_up(np.array([0.25, 0.35]), 0.1).tolist() == [0.3, 0.4]
    assert round_half_up(np.array([12.5, 17.4999]), 5.0).tolist() == [15.0, 15.0]
    assert round_half_up(np.array([0.1235]), 0.001).tolist() == [0.124]
    assert round_half_up(1e6 + 0.05, 0.1) == 1000000.1  # 10^7 + 0.5 tenths: up


def test_rounding_down_clears_the_same_noise() -> None:
    assert steps_module._round_down(1.2, 0.1) == 1.2  # 1.2 / 0.1 is 11.999999999999998
    assert type(steps_module._round_down(1.29, 0.1)) is float
    assert steps_module._round_down(1.29, 0.1) == 1.2
    np.testing.assert_array_equal(
        steps_module._round_down(np.array([1.2, 1.29, 0.7]), 0.1), [1.2, 1.2, 0.7]
    )
    assert steps_module._round_down(0.35, 0.25) == 0.25


def test_an_increments_decimal_places_are_those_of_its_shortest_form() -> None:
    decimals = steps_module._decimals
    assert [decimals(x) for x in (0.1, 0.25, 5.0, 50.0, 0.001, 2.5)] == [1, 2, 0, 0, 3, 1]


def test_rounding_a_cohort_block_by_block_equals_the_whole_array_rule() -> None:
    n = steps_module._BLOCK + 5  # two blocks, the second of 5
    base = np.full(n, 1.0)
    base[0], base[1], base[-1], base[-2] = 1.15, 1.149, 1.25, 0.0
    base[steps_module._BLOCK] = 1.05  # the first of the second block
    rounded, moved = steps_module._round_by_blocks(Derived(2.0, base), 0.1, None, 0.1)
    # 2 × (1.15, 1.149, 1.25, 0, 1.05) = 2.3, 2.298, 2.5, 0, 2.1: to 0.1, 2.3, 2.3, 2.5, 0, 2.1
    assert rounded[0] == 2.3 and rounded[1] == 2.3 and rounded[-1] == 2.5 and rounded[-2] == 0.0
    assert rounded[steps_module._BLOCK] == 2.1
    assert moved[1] and not moved[0] and not moved[-1] and not moved[-2]
    assert not moved[steps_module._BLOCK] and moved.sum() == 1
    assert not rounded.flags.writeable
    np.testing.assert_array_equal(rounded[2 : steps_module._BLOCK], 2.0)
    # a cap of 2.28 (doses already capped at it): 2 × 1.13 = 2.26 rounds half-up to 2.3, over the
    # cap, so down to 2.2 on the increment; 2 × 1.14 = 2.28 likewise; 2.0 stays
    capped_base = np.full(n, 1.0)
    capped_base[3], capped_base[-1] = 1.13, 1.14
    capped, moved = steps_module._round_by_blocks(Derived(2.0, capped_base), 0.1, 2.28, 0.1)
    assert capped[3] == 2.2 and capped[-1] == 2.2 and capped[0] == 2.0
    assert moved[3] and moved[-1] and moved.sum() == 2
    uncapped, _ = steps_module._round_by_blocks(Derived(2.0, capped_base), 0.1, 2.3, 0.1)
    assert uncapped[3] == 2.3  # at the cap is not over it


def test_rounding_a_cohort_block_by_block_gives_up_past_the_largest_change() -> None:
    base = np.array([1.0, 1.0, 0.14])  # 0.14 to 0.1: −28.6%
    assert steps_module._round_by_blocks(Derived(1.0, base), 0.1, None, 0.25) == (None, None)
    rounded, moved = steps_module._round_by_blocks(Derived(1.0, base), 0.1, None, 0.3)
    assert rounded.tolist() == [1.0, 1.0, 0.1]
    assert moved.tolist() == [False, False, True]
    # exactly the limit: 0.15 to 0.2 is +33.3%; 1.05 to 1.1 +4.76%; limit 1/3 passes
    exact = np.array([0.15, 1.05])
    rounded, _ = steps_module._round_by_blocks(Derived(1.0, exact), 0.1, None, (0.2 - 0.15) / 0.15)
    assert rounded.tolist() == [0.2, 1.1]


def test_the_pipeline_is_the_steps_a_policy_asks_for_in_order_worked_out_once() -> None:
    names = [step.name for step in pipeline(Policy())]
    assert names == ["gfr_cap", "dose_cap"]  # the Calvert cap and the template's cap
    assert [step.name for step in pipeline(Policy(gfr_cap=None))] == ["dose_cap"]
    everything = Policy(
        creatinine_floor=Q_(0.7, "mg/dL"),
        dosing_weight="ideal",
        infant_rule=InfantRule(Q_(10, "kg"), 30),
        bsa_cap=Q_(2, "m**2"),
        dose_factors={"fludarabine": 0.8},
        renal="fludarabine-fludara-label",
        bands={"vincristine": VINCRISTINE},
        rounding={"*": Q_(0.1, "mg")},
    )
    assert [step.name for step in pipeline(everything)] == list(STEPS)
    assert list(STEPS) == [
        "creatinine_floor", "gfr_cap", "dosing_weight", "infant_rule", "bsa_cap", "dose_factor",
        "renal", "dose_cap", "banding", "rounding",
    ]  # fmt: skip
    assert pipeline(everything) is pipeline(everything)
    assert [s.name for s in pipeline(Policy(dosing_weight={"x": "ideal"}))] == [
        "gfr_cap", "dosing_weight", "dose_cap",
    ]  # fmt: skip
    many = [Policy(max_rounding_change=0.01 + i / 2000) for i in range(300)]
    for policy in many:
        pipeline(policy)
        assert len(steps_module._PIPELINES) <= 256
    assert pipeline(many[-1]) is pipeline(many[-1])


def test_a_renal_table_is_found_by_its_agent() -> None:
    policy = Policy(renal=["melphalan-high-dose-interpretation", "fludarabine-fludara-label"])
    assert (
        steps_module.renal_table_for(policy, "fludarabine")
        is RENAL_TABLES["fludarabine-fludara-label"]
    )
    assert steps_module.renal_table_for(policy, "cytarabine") is None
    assert steps_module.renal_table_for(Policy(), "fludarabine") is None


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda q: InfantRule(below_weight=q("g"), divisor=30), "below_weight"),
        (lambda q: InfantRule(below_weight=Q_(10, "kg"), divisor=q("g/m**2")), "divisor"),
        (lambda q: Policy(bsa_cap=q("cm**2")), "bsa_cap"),
        (lambda q: Policy(gfr_cap=q("mL/h")), "gfr_cap"),
    ],
)
def test_each_quantity_of_a_policy_names_itself_when_unusable(
    make: Callable[[Callable[[str], Any]], object], argument: str
) -> None:
    # 10^400 in a smaller unit cannot be converted to a float (OverflowError); a length is not
    # the field's dimension: both refused naming the field
    error = refused(UnitsError, lambda: make(lambda unit: Q_(10**400, unit)))
    assert error.argument == argument
    assert "not a computable number" in error.reason
    error = refused(UnitsError, lambda: make(lambda unit: Q_(2, "m")))
    assert error.argument == argument


def test_quantities_given_as_text_are_kept_as_quantities() -> None:
    assert InfantRule(below_weight="10 kg", divisor=30).below_weight == Q_(10, "kg")
    assert Policy(bsa_cap="2 m**2").bsa_cap == Q_(2, "m**2")
    assert Policy(gfr_cap="100 mL/min").gfr_cap == Q_(100, "mL/min")
    assert Policy(creatinine_floor="0.7 mg/dL").creatinine_floor["adult"] == Q_(0.7, "mg/dL")


def test_a_policy_shows_its_mappings_of_quantities_and_words() -> None:
    policy = Policy(
        bsa_cap=Q_(2, "m**2"),
        rounding={"melphalan": "vial", "*": Q_(0.5, "mg")},
        products={"melphalan": "melphalan-50mg"},
        creatinine_floor=Q_(0.7, "mg/dL"),
    )
    assert repr(policy) == (
        "Policy(bsa_cap=Q_(2, 'm**2'), rounding={'melphalan': 'vial', '*': Q_(0.5, 'mg')}, "
        "products={'melphalan': 'melphalan-50mg'}, creatinine_floor={'adult': Q_(0.7, 'mg/dL')})"
    )


def test_a_renal_factor_at_exactly_the_edges_tolerance() -> None:
    # within a relative 1e-9 of an edge, inclusive of the 1e-9 itself
    fludara = RENAL_TABLES["fludarabine-fludara-label"]
    assert fludara.factor(30.0 * (1.0 - 1e-9)) == 0.6
    gate = RENAL_TABLES["methotrexate-high-dose-label"]
    assert gate.factor(60.0 * (1.0 + 1e-9)) == 0.0


def test_a_one_band_renal_table_keeps_the_inputs_shape() -> None:
    aronoff = RENAL_TABLES["cytarabine-paediatric-aronoff"]  # one band: full dose at any clearance
    factors = aronoff.factor(np.array([10.0, 100.0]))
    assert isinstance(factors, np.ndarray)
    np.testing.assert_array_equal(factors, [1.0, 1.0])
    assert aronoff.factor(50.0) == 1.0
    anyone = dataclasses.replace(aronoff, population="any")
    assert anyone.population_text() == "patients of any age"


def test_a_packaged_renal_tables_band_problems_name_the_table() -> None:
    gap = [{"to": "30 mL/min", "factor": 0.5}, {"from": "40 mL/min", "factor": 1.0}]
    with pytest.raises(ValueError, match=r"^data/renal.toml: t.bands: bands must meet"):
        renal_module._table("t", renal_raw(bands=gap))


def test_a_registered_step_declares_its_flags_and_joins_every_pipeline_after_the_others() -> None:
    """The extension point of the pipeline: one decorated function (removed again after)."""
    policy = Policy(dose_factors={"fludarabine": 0.8})
    before = pipeline(policy)
    assert [step.name for step in before] == ["gfr_cap", "dose_factor", "dose_cap"]

    def halve(state: Any, bases: Any, policy: Any) -> None:
        """Halve the dose (a test step).

        More words."""

    try:
        registered = steps_module.pipeline_step(
            "test_halve",
            flags={"test_halved": "halved by a test", "test_quartered": "quartered"},
            active=lambda policy: bool(policy.dose_factors),
            stage="prepare",
            basis=True,
        )(halve)
        assert registered is halve
        step = STEPS["test_halve"]
        assert (step.name, step.flags, step.stage, step.run, step.basis) == (
            "test_halve", ("test_halved", "test_quartered"), "prepare", halve, True,
        )  # fmt: skip
        assert step.active(policy) and not step.active(Policy())
        assert step.summary == "Halve the dose (a test step)."
        assert FLAGS["test_halved"] == "halved by a test"
        assert FLAGS["test_quartered"] == "quartered"
        # the policy's pipeline is worked out again since a step was registered
        after = pipeline(policy)
        assert [s.name for s in after] == ["gfr_cap", "dose_factor", "dose_cap", "test_halve"]
        assert pipeline(Policy()) == tuple(s for s in pipeline(Policy()) if s.name != "test_halve")
        defaults = steps_module.pipeline_step("test_default", flags={}, active=lambda p: False)
        defaults(halve)
        assert (STEPS["test_default"].stage, STEPS["test_default"].basis) == ("calculate", False)
    finally:
        for name in ("test_halve", "test_default"):
            STEPS._items.pop(name, None)
        for flag in ("test_halved", "test_quartered"):
            FLAGS._items.pop(flag, None)
    assert pipeline(policy) == before


def test_a_presentation_of_another_brand_than_the_lines_distinct_product_is_refused() -> None:
    atg = "anti-thymocyte globulin (rabbit)"
    policy = Policy(products={atg: "atg-grafalon-100mg"})
    assert policy.presentation_for(atg, "Grafalon").key == "atg-grafalon-100mg"  # type: ignore[union-attr]
    assert policy.presentation_for(atg).key == "atg-grafalon-100mg"  # type: ignore[union-attr]
    error = refused(DomainError, lambda: policy.presentation_for(atg, "Thymoglobulin"))
    assert str(error) == (
        "products['anti-thymocyte globulin (rabbit)']='atg-grafalon-100mg' is atg-grafalon-100mg "
        "(Grafalon), but the dose line is for Thymoglobulin; anti-thymocyte globulin (rabbit) "
        "products are dosed differently, so the dose is drawn from Thymoglobulin only; name a "
        "Thymoglobulin presentation: 'atg-thymoglobulin-25mg'"
    )


def test_a_packaged_renal_tables_unknown_reference_names_the_table() -> None:
    error = refused(DomainError, lambda: renal_module._table("t", renal_raw(references=["x"])))
    assert (error.argument, error.value) == ("t.references", "data/renal.toml")
    assert str(error).startswith(
        "data/renal.toml: t.references: renal table 't' reference='x' is not known; use one of: "
    )


# -- steps: what each adjustment records --------------------------------------------------------


def test_each_adjustment_records_its_step_flag_dose_before_and_after_and_why() -> None:
    atg = dosing.get_regimen("rabbit-atg")  # 1.25 mg/kg on day 1
    man = Patient(height=Q_(170, "cm"), weight=Q_(90, "kg"), sex="male", age=Q_(40, "year"))
    row = atg.expand(man, policy=Policy(dosing_weight="ideal", dose_factors={"*": 0.5}))[0]
    devine = 50 + 2.3 * (170 / 2.54 - 60)  # 65.937 kg
    weight, factor = row.adjustments
    assert (weight.step, weight.flag, weight.applies, weight.detail) == (
        "dosing_weight", "dosing_weight", True, None,
    )  # fmt: skip
    assert weight.before == pytest.approx(1.25 * 90) and type(weight.before) is float
    assert weight.after == pytest.approx(1.25 * devine) and type(weight.after) is float
    assert weight.reason == (
        "dosed by ideal body weight (Devine), 65.94 kg, instead of actual body weight"
    )
    assert (factor.step, factor.flag, factor.applies, factor.reason) == (
        "dose_factor", "reduced", True, "50% of the full dose",
    )  # fmt: skip
    assert factor.before == weight.after
    assert factor.after == pytest.approx(0.5 * 1.25 * devine)
    assert row.dose.m_as("mg") == factor.after


def test_a_cohorts_adjustment_holds_read_only_arrays_of_the_dose_before_and_after() -> None:
    ino = dosing.get_regimen("inotuzumab-cycle-1")  # 0.8 mg/m² on day 1
    cohort = Patient(
        height=Q_(np.array([150.0, 170.0]), "cm"), weight=Q_(np.array([50.0, 70.0]), "kg")
    )
    row = ino.expand(cohort, policy=Policy(dose_factors={"*": 0.5}))[0]
    (factor,) = row.adjustments
    bsa = np.sqrt(np.array([150.0 * 50.0, 170.0 * 70.0]) / 3600)  # Mosteller
    np.testing.assert_allclose(factor.before, 0.8 * bsa, rtol=1e-12)
    np.testing.assert_allclose(factor.after, 0.4 * bsa, rtol=1e-12)
    assert isinstance(factor.before, np.ndarray) and not factor.before.flags.writeable
    assert isinstance(factor.after, np.ndarray)
    np.testing.assert_allclose(row.calculated.m_as("mg"), 0.4 * bsa, rtol=1e-12)


def test_a_banding_adjustments_detail_is_floats_for_one_patient_and_read_only_arrays_for_many() -> (
    None
):
    vcr = dosing.load_regimen(pathlib.Path(__file__).parent / "data" / "vincristine-weekly.toml")
    policy = Policy(bands={"vincristine": VINCRISTINE})
    row = vcr.expand(Patient(bsa=Q_(0.95, "m**2")), policy=policy).rows[0]
    banded = next(a for a in row.adjustments if a.flag == "banded")
    # 1.5 mg/m² × 0.95 m² = 1.425 mg, in the band [1.35, 1.45) -> 1.4 mg
    assert banded.detail is not None
    assert (banded.detail["lower"], banded.detail["upper"]) == (1.35, 1.45)
    assert type(banded.detail["lower"]) is float and type(banded.detail["variance"]) is float
    cohort = vcr.expand(Patient(bsa=Q_(np.array([0.1, 0.95]), "m**2")), policy=policy).rows[0]
    banded = next(a for a in cohort.adjustments if a.flag == "banded")
    assert banded.detail is not None
    for name in ("lower", "upper", "variance"):
        assert isinstance(banded.detail[name], np.ndarray)
        assert not banded.detail[name].flags.writeable
        assert math.isnan(banded.detail[name][0])  # 0.15 mg is below every band: not banded
    assert banded.detail["lower"][1] == 1.35 and banded.detail["upper"][1] == 1.45
    assert banded.detail["variance"][1] == pytest.approx((1.4 - 1.425) / 1.425)


def test_a_cohorts_rounded_dose_within_1e_12_of_the_cap_counts_as_at_it() -> None:
    cap = 2.3 / (1 + 1e-12)  # a cap whose 1e-12 slack reaches 2.3 exactly
    assert cap * (1 + 1e-12) == 2.3
    rounded, _ = steps_module._round_by_blocks(Derived(1.0, np.array([2.29, 2.0])), 0.1, cap, 0.1)
    assert rounded.tolist() == [2.3, 2.0]  # 2.29 -> 2.3, not over the cap: kept, not 2.2


def test_a_cohorts_withheld_doses_neither_hide_a_refusal_nor_warn() -> None:
    # 0 (withheld) and 0.14 mg to 0.1 mg (−28.6%): refused at a limit of 25%, whatever the 0
    base = np.array([0.0, 0.14])
    assert steps_module._round_by_blocks(Derived(1.0, base), 0.1, None, 0.25) == (None, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division of 0 by 0 behind the scenes
        rounded, moved = steps_module._round_by_blocks(Derived(1.0, base), 0.1, None, 0.3)
    assert rounded.tolist() == [0.0, 0.1]
    assert moved.tolist() == [False, True]


def test_a_cohorts_largest_change_is_allowed_up_to_its_1e_12_slack() -> None:
    change = abs(0.2 - 0.15) / 0.15  # 0.15 mg to 0.2 mg: +33.3%
    limit = change / (1 + 1e-12)  # a limit whose slack reaches the change exactly
    assert limit * (1 + 1e-12) == change
    rounded, _ = steps_module._round_by_blocks(Derived(1.0, np.array([0.15])), 0.1, None, limit)
    assert rounded.tolist() == [0.2]


def test_a_creatinine_floor_outside_the_plausible_range_names_its_group() -> None:
    high = Q_(50, "mg/dL")  # the plausible range is 0.05–40 mg/dL
    error = refused(DomainError, lambda: Policy(creatinine_floor=high))
    assert error.argument == "creatinine_floor"
    error = refused(DomainError, lambda: Policy(creatinine_floor={"child": high}))
    assert error.argument == "creatinine_floor.child"
    error = refused(DomainError, lambda: floor_mg_dl(high))
    assert error.argument == "creatinine_floor"
    error = refused(DomainError, lambda: Policy(creatinine_floor={"adult": None}))
    assert (error.argument, error.value) == ("creatinine_floor", {"adult": None})


def test_a_band_table_changed_by_hand_is_checked_again_under_its_own_name() -> None:
    table = build()
    error = refused(DomainError, lambda: dataclasses.replace(table, resolution=0.01))
    assert error.argument == "BandTable('k').resolution"  # rule A has no To (B) resolution
    error = refused(DomainError, lambda: dataclasses.replace(table, tolerance=0.04))
    assert error.argument == "BandTable('k').bands[0]"  # +5% at 1 mg is over 4%


def test_a_dose_within_1e_9_of_any_edge_snaps_to_it_first_last_and_large() -> None:
    three = {"lower": [1.0, 1.1, 1.2], "upper": [1.1, 1.2, 1.3], "dose": [1.05, 1.15, 1.25]}
    rule_a = build(**three)
    assert rule_a.lookup(1.3 * (1 - 5e-10))[3] is False  # at the top edge: outside [., 1.3)
    assert rule_a.lookup(1.3 * (1 - 5e-9))[0] == 1.25
    assert build().lookup(1.2 * (1 - 5e-10))[3] is False  # two bands, the top edge 1.2
    rule_b = build(boundary="B")
    assert rule_b.lookup(1.2 * (1 + 5e-10)) == (1.15, 1.1, 1.2, True)  # at the top: (1.1, 1.2]
    assert rule_b.lookup(1.0 * (1 + 5e-10))[3] is False  # at the bottom: 1.0 is outside
    assert rule_b.lookup(1.0 * (1 + 5e-9))[0] == 1.05
    # the snap is relative: 5e-9 mg from an edge at 11 mg is within 1.1e-8 mg
    large = build(lower=[10.0, 11.0], upper=[11.0, 12.0], dose=[10.5, 11.5])
    assert large.lookup(11.0 * (1 - 5e-10))[0] == 11.5
    assert large.lookup(11.0 - 2e-8)[0] == 10.5


# -- the mutmut survivors of policy.renal, policy.policy (run at c63deaf) ------------------------


def test_a_renal_band_from_minus_zero_reads_and_describes_as_0() -> None:
    # "-0.0 mL/min" is a clearance of 0 (not below 0, so accepted); its band reads "[0, ...", not
    # "[-0, ...", as the first band of every table does
    table = renal_module._table(
        "t",
        renal_raw(
            bands=[
                {"from": "-0.0 mL/min", "to": "30 mL/min", "factor": 0.0},
                {"from": "30 mL/min", "factor": 1.0},
            ]
        ),
    )
    assert table.bands[0].describe(table.unit_text) == "[0, 30) mL/min: do not give"
    assert RenalBand(-0.0, 2.5, 0.25).describe("u") == "[0, 2.5) u: 25% of the dose"


def test_a_renal_band_may_start_at_an_explicit_0_and_an_edge_below_0_is_refused() -> None:
    bands = [
        {"from": "0 mL/min", "to": "0.5 mL/min", "factor": 0.0},
        {"from": "0.5 mL/min", "factor": 1.0},
    ]
    table = renal_module._table("t", renal_raw(bands=bands))
    assert [(band.low, band.high) for band in table.bands] == [(0.0, 0.5), (0.5, math.inf)]
    error = refused(
        DomainError,
        lambda: renal_module._table(
            "t", renal_raw(bands=[{"to": "-5 mL/min", "factor": 0.0}, {"factor": 1.0}])
        ),
    )
    assert str(error) == (
        "data/renal.toml: t.bands[0].to: must be a finite clearance, not below 0: '-5 mL/min'"
    )
    assert error.reason == "must be a finite clearance, not below 0: '-5 mL/min'"


def test_an_empty_renal_band_is_refused() -> None:
    bands = [
        {"to": "30 mL/min", "factor": 0.0},
        {"from": "30 mL/min", "to": "30 mL/min", "factor": 0.5},
        {"from": "30 mL/min", "factor": 1.0},
    ]
    error = refused(DomainError, lambda: renal_module._table("t", renal_raw(bands=bands)))
    assert str(error) == "data/renal.toml: t.bands[1]: is empty or reversed (from 30 to 30)"
    assert error.argument == "t.bands[1]"


@pytest.mark.parametrize(
    ("measure", "population", "example"),
    [("absolute", "adult", "30 mL/min"), ("normalised", "any", "30 mL/min/standard_bsa")],
)
def test_a_renal_band_edge_in_another_measure_is_refused_with_an_example_in_the_tables(
    measure: str, population: str, example: str
) -> None:
    for field in ("from", "to"):
        first = {"to": "30 mL/min", "factor": 0.0}
        second = {"from": "30 mL/min", "factor": 1.0}
        if measure == "normalised":
            first["to"] = second["from"] = "30 mL/min/standard_bsa"
        (second if field == "from" else first)[field] = "30 mg"
        index = 1 if field == "from" else 0
        raw = renal_raw(measure=measure, population=population, bands=[first, second])
        error = refused(DomainError, lambda raw=raw: renal_module._table("t", raw))
        assert str(error) == (
            f"data/renal.toml: t.bands[{index}].{field}: '30 mg' is not in the table's "
            f"measure; write e.g. '{example}'"
        )
        assert error.argument == f"t.bands[{index}].{field}"
        assert error.value == "data/renal.toml"


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        (
            {"measure": "relative"},
            "t.measure",
            "must be 'absolute' (mL/min) or 'normalised' (mL/min/1.73 m²), not 'relative'",
        ),
        ({"agent": " "}, "t.agent", "must be the agent's name, not ' '"),
        ({"references": 1.5}, "t.references", "must be a list of reference keys, not 1.5"),
        ({"note": 1}, "t.note", "must be text, not 1"),
        ({"interpretation": [1]}, "t.interpretation", "must be a list of texts, not [1]"),
        (
            {"bands": []},
            "t.bands",
            "must be a list of bands ({ from = ..., to = ..., factor = ... }), not []",
        ),
        ({"bands": [1]}, "t.bands[0]", "must be a band { from, to, factor }, not 1"),
        (
            {"bands": [{"to": "30 mL/min", "factor": 0.0}, {"from": "30 mL/min", "factor": 1.5}]},
            "t.bands[1].factor",
            "must be a fraction from 0 (do not give) to 1 (the full dose), not 1.5",
        ),
        (
            {"bands": [{"factor": 1.0, "to_inclusive": "false"}]},
            "t.bands[0].to_inclusive",
            "must be true or false, not 'false'",
        ),
    ],
)
def test_each_renal_table_refusal_says_exactly_what_it_was_given(
    changes: dict[str, Any], field: str, reason: str
) -> None:
    error = refused(DomainError, lambda: renal_module._table("t", renal_raw(**changes)))
    assert str(error) == f"data/renal.toml: {field}: {reason}"
    assert (error.argument, error.value, error.reason) == (field, "data/renal.toml", reason)


def test_a_renal_tables_file_refusal_names_the_file_and_what_is_not_a_table() -> None:
    error = refused(DomainError, lambda: renal_module._read_renal("t = true\n", "<r>"))
    fields = "['agent', 'bands', 'estimator', 'interpretation', 'measure', 'note', 'population', "
    assert str(error) == (
        f"<r>: t: must be a table ([t] and its fields {fields}'references']), not True"
    )
    # a refusal of the whole file has no field: its argument is the file's kind
    error = refused(DomainError, lambda: renal_module._read_renal("[[", "<r>"))
    assert (error.argument, error.value) == ("renal tables", "<r>")
    assert error.reason.startswith("not valid TOML: ")
    assert str(error) == f"<r>: {error.reason}"


def test_a_renal_tables_file_of_exactly_the_largest_size_is_read() -> None:
    assert renal_module._read_renal("#" * 1_000_000, "<r>") == {}  # a comment: no tables
    with pytest.raises(DomainError, match="^<r>: 1000001 characters, more than the 1000000"):
        renal_module._read_renal("#" * 1_000_001, "<r>")


_TOO_LONG = 10**5000  # an int Python refuses to print (more than 4,300 digits)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda v: DosingWeight("ideal", cap_at_actual=v), "cap_at_actual"),
        (lambda v: DosingWeight("adjusted", factor=v), "factor"),
        (lambda v: DosingWeight("actual", factor=v), "factor"),
        (
            lambda v: RenalEstimator(cockcroft_gault_weight=v),
            "renal_estimator.cockcroft_gault_weight",
        ),
        (lambda v: InfantRule(below_weight=Q_(10, "kg"), divisor=v), "divisor"),
        (lambda v: Policy(rounding=v), "rounding"),
        (lambda v: Policy(rounding={v: Q_(0.1, "mg")}), "rounding"),
        (lambda v: Policy(rounding={"fludarabine": v}), "rounding['fludarabine']"),
        (lambda v: Policy(dose_factors={"*": v}), "dose_factors['*']"),
        (lambda v: Policy(max_rounding_change=v), "max_rounding_change"),
        (lambda v: Policy(infant_rule=v), "infant_rule"),
        (lambda v: Policy(renal_estimator=v), "renal_estimator"),
        (lambda v: Policy(renal_estimator={"x": v}), "renal_estimator"),
        (lambda v: Policy(creatinine_floor={"x": v}), "creatinine_floor"),
        (lambda v: Policy(bands=v), "bands"),
        (lambda v: Policy(bands={"vincristine": v}), "bands['vincristine']"),
        (lambda v: Policy(renal=v), "renal"),
        (lambda v: Policy(dosing_weight=v), "dosing_weight"),
        (lambda v: Policy(dosing_weight={"*": v}), "dosing_weight['*']"),
    ],
)
def test_a_policy_value_too_long_to_print_is_refused_by_a_dosing_error_naming_it(
    call: Callable[[object], object], argument: str
) -> None:
    # The bug these survivors showed: shown=repr(value) raised Python's own ValueError for an
    # int of more than 4,300 digits; show_value shows it as "<a int too large or deep to show>".
    error = refused(dosing.DosingError, lambda: call(_TOO_LONG))
    assert error.argument == argument
    assert "too large or deep to show>" in str(error)


@pytest.mark.parametrize(
    ("call", "argument", "shown"),
    [
        (lambda: DosingWeight("ideal", cap_at_actual=1), "cap_at_actual", "1"),  # type: ignore[arg-type]
        (lambda: DosingWeight("adjusted", factor=1.5), "factor", "1.5"),
        (lambda: RenalEstimator(adult="mdrd"), "renal_estimator.adult", "'mdrd'"),
        (
            lambda: RenalEstimator(cockcroft_gault_weight="adjusted"),
            "renal_estimator.cockcroft_gault_weight",
            "'adjusted'",
        ),
        (lambda: Policy(rounding=5), "rounding", "5"),
        (lambda: Policy(dose_factors={"*": 1.5}), "dose_factors['*']", "1.5"),
        (lambda: Policy(max_rounding_change=1), "max_rounding_change", "1"),
        (lambda: Policy(infant_rule="30"), "infant_rule", "'30'"),
        (lambda: Policy(renal_estimator={"colour": 1}), "renal_estimator", "{'colour': 1}"),
        (lambda: Policy(renal_estimator=5), "renal_estimator", "5"),
        (lambda: Policy(creatinine_floor={}), "creatinine_floor", "{}"),
        (lambda: Policy(creatinine_floor={"adult": None}), "creatinine_floor", "{'adult': None}"),
        (
            lambda: Policy(creatinine_floor=Q_(np.array([0.7]), "mg/dL")),
            "creatinine_floor",
            "<Quantity([0.7], 'milligram / deciliter')>",
        ),
        (
            lambda: Policy(gfr_cap=Q_(np.array([100.0]), "mL/min")),
            "gfr_cap",
            "<Quantity([100.], 'milliliter / minute')>",
        ),
        (lambda: Policy(rounding={"*": "vial"}), "rounding['*']", "'vial'"),
        (lambda: Policy(rounding={"fludarabine": 0.1}), "rounding['fludarabine']", "0.1"),
        (lambda: Policy(bands={"vincristine": 5}), "bands['vincristine']", "5"),
        (lambda: Policy(renal=[]), "renal", "[]"),
        (lambda: Policy(dosing_weight="adjusted"), "dosing_weight", "'adjusted'"),
        (lambda: Policy(dosing_weight=5), "dosing_weight", "5"),
    ],
)
def test_each_policy_refusal_carries_the_value_as_shown(
    call: Callable[[], object], argument: str, shown: str
) -> None:
    # error.shown is how the command line shows the value (cli._cli_message): the value as
    # written, by repr, cut past 200 characters
    error = refused(dosing.DosingError, call)
    assert (error.argument, error.shown) == (argument, shown)


def test_a_band_table_for_another_agent_is_shown_by_its_key() -> None:
    error = refused(DomainError, lambda: Policy(bands={"fludarabine": VINCRISTINE}))
    assert (error.argument, error.shown) == (
        "bands['fludarabine']",
        "BandTable('nhs-1mg-ml-vincristine')",
    )
    assert str(error) == (
        "bands['fludarabine']=BandTable('nhs-1mg-ml-vincristine') is a table for vincristine, "
        "not for fludarabine; give each agent its own table"
    )


def test_an_out_of_range_adjusted_factor_is_shown_as_given() -> None:
    # DosingWeight.__post_init__ mutant 76 showed it as "None"
    error = refused(DomainError, lambda: DosingWeight("adjusted", factor=1.5))
    assert (error.value, error.shown) == (1.5, "1.5")
    assert str(error).startswith("DosingWeight('adjusted', factor=1.5): factor must be")


def test_a_creatinine_floors_unit_error_is_caused_by_one_naming_the_floor() -> None:
    error = refused(UnitsError, lambda: Policy(creatinine_floor={"adult": 0.7}))
    assert error.argument == "creatinine_floor.adult"
    assert isinstance(error.__cause__, UnitsError)  # shown in the traceback under it
    assert error.__cause__.argument == "creatinine_floor.adult"
    assert str(error.__cause__).startswith("creatinine_floor.adult=0.7 has no unit")


def test_rounding_half_up_takes_numpy_floats_as_floats() -> None:
    # numpy 2 writes np.float64(1.15) as "np.float64(1.15)", which Decimal cannot read; a
    # np.float64 is a float, so it came down the scalar path and raised decimal.InvalidOperation.
    from dosing.policy.steps import round_half_up

    assert round_half_up(np.float64(1.15), 0.1) == 1.2  # 11.5 tenths, half up: 12 tenths
    assert round_half_up(1.15, np.float64(0.1)) == 1.2
    assert round_half_up(np.float64(562.5), 10.0) == 560.0  # 56.25 tens: 56 tens
