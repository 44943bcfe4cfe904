"""Products: every catalogue agent's vials from its label, volumes, vials per day, vial rounding.

Expected values are the labels' own numbers (data/products.toml quotes them) and hand arithmetic
shown inline.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dosing
from dosing import PRODUCTS, Q_, DomainError, Patient, Policy, UnknownKeyError
from dosing.products import PRESENTATIONS, _presentation, presentation
from dosing.references import REFERENCES
from dosing.vocabulary import AGENTS

CHILD = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
BSA_CHILD = math.sqrt(150 * 40 / 3600)  # Mosteller: 1.29099 m²
RIC = dosing.get_regimen("flu-arac-mel-ric")


def test_every_catalogue_drug_has_a_product_with_its_source() -> None:
    agents = {agent for key in dosing.regimen_keys() for agent in dosing.get_regimen(key).agents}
    drugs = {a for a in agents if "radiation" not in AGENTS[a].classes}
    assert drugs <= set(PRODUCTS)
    for items in PRODUCTS.values():
        for item in items:
            assert item.references and all(key in REFERENCES for key in item.references)
            assert item.quote


@pytest.mark.parametrize(
    ("key", "content_mg", "concentration", "volume_ml"),
    [
        ("fludarabine-25mg-ml-2ml", 50, 25, 2),  # "Each mL contains 25 mg"; 50 mg/2 mL
        ("cytarabine-100mg-ml-20ml", 2000, 100, 20),  # "2 g | 20 mL | 100 mg per mL"
        ("inotuzumab-besponsa-0.9mg", 0.9, 0.25, 3.6),  # "0.25 mg/mL ... delivers 3.6 mL (0.9 mg)"
        ("melphalan-evomela-50mg", 50, 5, 10),  # 50 mg at 5 mg/mL: 10 mL (derived)
        ("atg-thymoglobulin-25mg", 25, 5, 5),  # 25 mg, about 5 mg/mL after 5 mL
    ],
)
def test_a_presentation_holds_its_labels_numbers(
    key: str, content_mg: float, concentration: float, volume_ml: float
) -> None:
    item = PRESENTATIONS[key]
    assert item.content.m_as("mg") == pytest.approx(content_mg)
    assert item.concentration.m_as("mg/mL") == pytest.approx(concentration)
    assert item.volume.m_as("mL") == pytest.approx(volume_ml)
    assert repr(item) == f"Presentation({key!r})"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(PRESENTATIONS)), st.floats(min_value=0.01, max_value=5000.0))
def test_volume_times_concentration_is_the_dose(key: str, dose_mg: float) -> None:
    item = PRESENTATIONS[key]
    volume = item.volume_of(Q_(dose_mg, "mg"))
    assert volume.units == dosing.ureg.Unit("mL")
    assert (volume * item.concentration).m_as("mg") == pytest.approx(dose_mg, rel=1e-12)


def test_a_row_reports_the_volume_of_its_named_product() -> None:
    policy = Policy(products={"fludarabine": "fludarabine-25mg-ml-2ml"})
    schedule = RIC.expand(CHILD, policy=policy)
    row = schedule.rows_for("fludarabine")[0]
    # 30 mg/m² × 1.29099 m² = 38.7298 mg; ÷ 25 mg/mL = 1.54919 mL.
    assert row.volume.m_as("mL") == pytest.approx(30 * BSA_CHILD / 25)
    assert schedule.rows_for("cytarabine")[0].volume is None  # no product named: none guessed
    record = row.to_record()
    assert record["volume"] == {"value": pytest.approx(30 * BSA_CHILD / 25), "unit": "mL"}
    assert record["presentation"]["key"] == "fludarabine-25mg-ml-2ml"
    assert "volume" not in RIC.expand(CHILD).rows[0].to_record()  # the default: unchanged


def test_the_vials_a_day_needs_and_the_waste() -> None:
    policy = Policy(products={"cytarabine": "cytarabine-100mg-ml-20ml"})
    uses = RIC.expand(CHILD, policy=policy).vials()
    # 2 g/m² × 1.29099 m² = 2581.99 mg a day: 2 vials of 2 g, 4000 − 2581.99 = 1418.01 mg waste.
    assert [u.day for u in uses] == [-7, -6, -5]
    assert all(u.vials == 2 for u in uses)
    assert uses[0].waste == pytest.approx(4000 - 2000 * BSA_CHILD)
    cohort = Patient(height=Q_([150, 100], "cm"), weight=Q_([40, 16], "kg"))
    use = RIC.expand(cohort, policy=policy).vials()[0]
    # 2 g/m² × √(100 × 16 / 3600) = 1333.3 mg: 1 vial, 666.7 mg waste.
    assert list(use.vials) == [2, 1]
    assert use.waste[1] == pytest.approx(2000 - 2000 * math.sqrt(100 * 16 / 3600))
    assert PRESENTATIONS["cytarabine-20mg-ml-5ml"].vials(0.0) == (0.0, 0.0)
    assert PRESENTATIONS["cytarabine-20mg-ml-5ml"].vials(100.0) == (1.0, 0.0)


def test_vial_rounding_rounds_to_whole_vials_within_the_tolerance() -> None:
    small = Patient(bsa=Q_(1.1, "m**2"))
    policy = Policy(products={"melphalan": "melphalan-50mg"}, rounding={"melphalan": "vial"})
    row = RIC.expand(small, policy=policy).rows_for("melphalan")[0]
    # 90 mg/m² × 1.1 m² = 99 mg → 2 × 50 mg = 100 mg (+1.0%, within 10%).
    assert row.calculated.m_as("mg") == pytest.approx(99)
    assert row.dose.m_as("mg") == pytest.approx(100)
    assert "rounded" in row.flags and "whole vials" in row.adjustments[-1].reason
    # 90 × 1.29099 = 116.19 mg → 100 mg is −13.9%: refused, as increment rounding is.
    with pytest.raises(DomainError, match="13.9%"):
        RIC.expand(CHILD, policy=policy)
    wider = Policy(
        products={"melphalan": "melphalan-50mg"},
        rounding={"melphalan": "vial"},
        max_rounding_change=0.2,
    )
    assert RIC.expand(CHILD, policy=wider).rows_for("melphalan")[0].dose == Q_(100.0, "mg")


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=0.3, max_value=2.6), st.sampled_from([0.05, 0.1, 0.2]))
def test_vial_rounding_never_exceeds_the_tolerance(bsa: float, limit: float) -> None:
    policy = Policy(
        products={"melphalan": "melphalan-50mg"},
        rounding={"melphalan": "vial"},
        max_rounding_change=limit,
    )
    try:
        row = RIC.expand(Patient(bsa=Q_(bsa, "m**2")), policy=policy).rows_for("melphalan")[0]
    except DomainError:
        # Refused: every whole number of vials is further than the limit (90 × bsa mg).
        calculated = 90 * bsa
        nearest = max(round(calculated / 50), 0) * 50
        assert abs(nearest - calculated) / calculated > limit * (1 - 1e-9)
        return
    calculated, dose = row.calculated.m_as("mg"), row.dose.m_as("mg")
    assert abs(dose - calculated) / calculated <= limit * (1 + 1e-9)
    assert dose / 50 == pytest.approx(round(dose / 50))


def test_vial_rounding_needs_a_named_product_and_a_named_agent() -> None:
    with pytest.raises(DomainError, match="names no product"):
        RIC.expand(CHILD, policy=Policy(rounding={"melphalan": "vial"}))
    with pytest.raises(DomainError, match="name the agents"):
        Policy(rounding={"*": "vial"})
    assert Policy(rounding={"melphalan": "vial"}).describe()["rounding"] == {"melphalan": "vial"}


def test_the_policy_refuses_an_unknown_or_foreign_product() -> None:
    with pytest.raises(UnknownKeyError):
        Policy(products={"fludarabine": "fludarabine-1000mg"})
    with pytest.raises(DomainError, match="product of cytarabine"):
        Policy(products={"fludarabine": "cytarabine-20mg-ml-5ml"})
    with pytest.raises(DomainError, match="'\\*'"):
        Policy(products={"*": "fludarabine-25mg-ml-2ml"})
    assert presentation("Ara-C", "cytarabine-20mg-ml-5ml").agent == "cytarabine"


def _raw(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "agent": "fludarabine",
        "name": "test",
        "form": "solution",
        "content": "50 mg",
        "concentration": "25 mg/mL",
        "volume": "2 mL",
        "single_dose": True,
        "references": ["fludarabine-teva-label"],
        "quote": "Each mL contains 25 mg",
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"volume": "3 mL"}, "is not concentration"),
        ({"colour": "red"}, "unknown field"),
        ({"agent": "frobnicate"}, "not in data/agents.toml"),
        ({"form": "tablet"}, "form"),
        ({"content": 50}, "quantity written as text"),
        ({"content": "50 mL"}, "is not in mg"),
        ({"content": "-50 mg"}, "positive"),
        ({"references": []}, "cites its source"),
        ({"single_dose": "yes"}, "single_dose"),
        ({"quote": None}, "quote"),
    ],
)
def test_the_product_loader_refuses_a_bad_record(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _presentation("test", _raw(**changes))


def test_a_brand_must_be_the_agents_own() -> None:
    with pytest.raises(UnknownKeyError):
        _presentation("test", _raw(brand="Evomela"))
    assert _presentation("test", _raw(brand="Fludara")).brand == "Fludara"
    assert np.isclose(_presentation("test", _raw(volume=None)).volume.m_as("mL"), 2.0)


def test_rounding_to_a_syringe_graduation_of_the_named_product() -> None:
    policy = Policy(
        products={"fludarabine": "fludarabine-25mg-ml-2ml"},
        rounding={"fludarabine": Q_(0.1, "mL")},
    )
    row = RIC.expand(CHILD, policy=policy).rows_for("fludarabine")[0]
    # 0.1 mL × 25 mg/mL = 2.5 mg; 38.7298 mg / 2.5 = 15.49 → 15 × 2.5 = 37.5 mg = 1.5 mL.
    assert row.dose == Q_(37.5, "mg")
    assert row.volume.m_as("mL") == pytest.approx(1.5)
    assert "0.1 mL of fludarabine" in row.adjustments[-1].reason
    assert policy.describe()["rounding"]["fludarabine"] == {"value": 0.1, "unit": "mL"}
    with pytest.raises(DomainError, match="rounds to a volume"):
        RIC.expand(CHILD, policy=Policy(rounding={"fludarabine": Q_(0.1, "mL")}))
    with pytest.raises(dosing.UnitsError, match="name the agents"):
        Policy(rounding={"*": Q_(0.1, "mL")})
