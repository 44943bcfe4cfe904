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

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from dosing import (
    Q_,
    DomainError,
    DosingWeight,
    InfantRule,
    Policy,
    RenalEstimator,
    UnitsError,
    UnknownKeyError,
)
from dosing.body.bsa import BSA_FORMULAS
from dosing.body.egfr import EGFR_FORMULAS
from dosing.body.weight import IBW_FORMULAS
from dosing.policy import renal as renal_module
from dosing.policy.bands import BAND_TABLES
from dosing.policy.policy import floor_mg_dl
from dosing.policy.renal import RENAL_TABLES, RenalBand, RenalTable

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


@pytest.mark.parametrize("kg", [0.3, 400.0])
def test_an_infant_rules_weight_is_accepted_at_both_ends_of_the_plausible_range(kg: float) -> None:
    rule = InfantRule(below_weight=Q_(kg, "kg"), divisor=30)
    assert rule.below_weight.m_as("kg") == kg


@pytest.mark.parametrize("kg", [0.29, 400.5])
def test_an_infant_rules_weight_is_refused_just_outside_the_plausible_range(kg: float) -> None:
    weight = Q_(kg, "kg")
    error = refused(DomainError, lambda: InfantRule(below_weight=weight, divisor=30))
    assert str(error) == (
        f"below_weight={weight!r} must be one weight within 0.3–400 kg, e.g. Q_(10, 'kg')"
    )
    assert error.argument == "below_weight"
    assert error.value is weight
    assert error.reason == "must be one weight within 0.3–400 kg"
    assert error.fix_text == 'write below_weight=Q_(10, "kg")'


def test_an_infant_rules_weight_must_be_one_weight() -> None:
    weights = Q_(np.array([8.0, 9.0]), "kg")
    error = refused(DomainError, lambda: InfantRule(below_weight=weights, divisor=30))
    assert error.argument == "below_weight"
    assert error.reason == "must be one weight within 0.3–400 kg"


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
    assert (error.argument, error.value, error.reason) == (
        "factor",
        0.4,
        "belongs to 'adjusted' only",
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
    assert error.argument == "renal_estimator.cockcroft_gault_weight"


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
    assert (error.argument, error.value) == ("bsa_cap", cap)
    assert error.reason == "must be one area within 0.05–5 m²"
    assert error.fix_text == 'write bsa_cap=Q_(2.0, "m**2")'


@pytest.mark.parametrize("factor", [1e-9, 0.5, 1, 1.0])
def test_a_dose_factor_is_accepted_in_0_to_1(factor: float) -> None:
    stored = Policy(dose_factors={"fludarabine": factor}).dose_factors["fludarabine"]
    assert stored == factor
    assert type(stored) is float


@pytest.mark.parametrize("factor", [0, 0.0, -0.5, 1.01, True, "0.8", None])
def test_a_dose_factor_is_refused_outside_0_to_1(factor: Any) -> None:
    error = refused(DomainError, lambda: Policy(dose_factors={"fludarabine": factor}))
    assert str(error) == (
        f"dose_factors['fludarabine']={factor!r} must be a fraction in (0, 1], e.g. 0.8 for "
        "80% of the full dose; a factor above 1 is refused"
    )
    assert error.argument == "dose_factors['fludarabine']"
    assert error.value is factor


@pytest.mark.parametrize("change", [1e-9, 0.25, 0.999])
def test_max_rounding_change_is_accepted_in_0_to_1(change: float) -> None:
    assert Policy(max_rounding_change=change).max_rounding_change == change


@pytest.mark.parametrize("change", [0, 0.0, 1, 1.0, True, "0.1", None])
def test_max_rounding_change_is_refused_outside_0_to_1_exclusive(change: Any) -> None:
    error = refused(DomainError, lambda: Policy(max_rounding_change=change))
    assert str(error) == f"max_rounding_change={change!r} must be a fraction in (0, 1), e.g. 0.10"
    assert (error.argument, error.value) == ("max_rounding_change", change)


def test_max_rounding_change_is_stored_as_a_float() -> None:
    assert type(Policy(max_rounding_change=0.5).max_rounding_change) is float
    assert Policy().max_rounding_change == 0.10  # HOPA: ±10%


def test_an_infant_rule_must_be_an_infant_rule() -> None:
    rule = {"below_weight": Q_(10, "kg"), "divisor": 30}
    error = refused(DomainError, lambda: Policy(infant_rule=rule))  # type: ignore[arg-type]
    assert str(error) == (
        f"infant_rule={rule!r} must be an InfantRule, e.g. InfantRule(below_weight=Q_(10, 'kg'), "
        "divisor=30)"
    )
    assert error.argument == "infant_rule"


def test_a_renal_estimator_given_as_a_mapping_is_checked_by_key() -> None:
    mapping = {"adults": "ckd_epi_2021", "child": "ckid_u25"}
    error = refused(DomainError, lambda: Policy(renal_estimator=mapping))
    assert str(error) == (
        f"renal_estimator={mapping!r} has key(s) ['adults']; use 'adult', 'child' and "
        "'cockcroft_gault_weight'"
    )
    assert error.argument == "renal_estimator"
    policy = Policy(renal_estimator={"child": "ckid_u25", "cockcroft_gault_weight": "lesser"})
    assert policy.renal_estimator == RenalEstimator(
        child="ckid_u25", cockcroft_gault_weight="lesser"
    )
    error = refused(DomainError, lambda: Policy(renal_estimator="ckd_epi_2021"))
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
    assert error.argument == "rounding['vincristine']"
    # "*" does not round an agent with a band table, so both may be given
    policy = Policy(bands={"vincristine": VINCRISTINE}, rounding={"*": Q_(0.1, "mg")})
    assert policy.increment_for("vincristine", Q_(1, "mg").units) is None
    assert policy.increment_for("fludarabine", Q_(1, "mg").units) == Q_(0.1, "mg")


@pytest.mark.parametrize("ml_min", [0.1, 400.0])
def test_a_gfr_cap_is_accepted_at_both_ends_of_the_plausible_range(ml_min: float) -> None:
    assert Policy(gfr_cap=Q_(ml_min, "mL/min")).gfr_cap.m_as("mL/min") == ml_min


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
        assert error.argument == "creatinine_floor"
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
    assert error.argument == "rounding['*']"


def test_an_increment_is_one_positive_finite_value() -> None:
    error = refused(DomainError, lambda: Policy(rounding={"x": Q_(np.array([0.1, 0.2]), "mg")}))
    assert str(error) == "rounding['x'] must be one increment, e.g. Q_(0.1, 'mg'); got an array"
    for bad in (0.0, -0.1, math.inf, math.nan):
        error = refused(DomainError, lambda bad=bad: Policy(rounding={"x": Q_(bad, "mg")}))
        assert str(error) == (
            f"rounding['x']=Q_({bad!r}, 'mg') must be a positive increment, e.g. Q_(0.1, 'mg')"
        )
        assert error.argument == "rounding['x']"
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
    assert error.argument == "dosing_weight"
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
    with pytest.raises(ValueError, match=r"^data/renal.toml \[t\]: ") as info:
        renal_module._table("t", renal_raw(estimator="crcl"))
    assert str(info.value) == "data/renal.toml [t]: unknown estimator 'crcl'"
    with pytest.raises(ValueError, match=r"^data/renal.toml \[t\]: ") as info:
        renal_module._table("t", renal_raw(population="adults"))
    assert str(info.value) == (
        "data/renal.toml [t]: population must be one of ('adult', 'paediatric', 'any')"
    )
    with pytest.raises(ValueError, match=r"^data/renal.toml \[t\]: ") as info:
        renal_module._table("t", renal_raw(population="any"))
    assert str(info.value) == (
        "data/renal.toml [t]: absolute thresholds (mL/min) cannot be for patients of any age; "
        "declare population 'adult' (or 'paediatric' with a source for children)"
    )
    for estimator in ("measured", "unspecified", "ckd_epi_2021"):
        assert renal_module._table("t", renal_raw(estimator=estimator)).estimator == estimator
    assert renal_module._table("t", renal_raw(population="paediatric")).population == "paediatric"


def test_packaged_renal_bands_cover_0_to_infinity_meeting_and_never_falling() -> None:
    def problems(bands: list[RenalBand]) -> str:
        with pytest.raises(ValueError, match=r"^data/renal.toml \[t\]: ") as info:
            renal_module._check_bands("t", tuple(bands))
        return str(info.value)

    assert problems([RenalBand(1, 30, 0.5), RenalBand(30, math.inf, 1)]) == (
        "data/renal.toml [t]: the first band must start at 0"
    )
    assert problems([RenalBand(0, 30, 0.5), RenalBand(30, 90, 1)]) == (
        "data/renal.toml [t]: the last band must have no upper end"
    )
    gap = [RenalBand(0, 30, 0.5), RenalBand(40, math.inf, 1)]
    assert problems(gap) == f"data/renal.toml [t]: bands must meet ({gap[0]} / {gap[1]})"
    assert problems([RenalBand(0, 30, 0.5), RenalBand(30, math.inf, 0.4)]) == (
        "data/renal.toml [t]: factors must not fall as clearance rises"
    )
    assert problems([RenalBand(2, 30, 0.5), RenalBand(31, 40, 0.4)]) == (
        "data/renal.toml [t]: the first band must start at 0; the last band must have no upper "
        f"end; bands must meet ({RenalBand(2, 30, 0.5)} / {RenalBand(31, 40, 0.4)}); factors "
        "must not fall as clearance rises"
    )
    renal_module._check_bands("t", (RenalBand(0, 30, 0.5), RenalBand(30, math.inf, 0.5)))
