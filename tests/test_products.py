"""Products: every catalogue agent's vials from its label, volumes, vials per day, vial rounding.

Expected values are the labels' own numbers (data/products.toml quotes them) and hand arithmetic
shown inline.
"""

from __future__ import annotations

import json
import math
import pathlib

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
VCR = dosing.load_regimen(pathlib.Path(__file__).parent / "data" / "vincristine-weekly.toml")


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


#: Each presentation's label numbers, transcribed here from the quotes in data/products.toml:
#: content [mg] and the volume it is in [mL] (as supplied or after the stated reconstitution).
LABEL_CONTENT_VOLUME = {
    "fludarabine-25mg-ml-2ml": (50, 2),  # "Each mL contains 25 mg"; 2 mL vial
    "cytarabine-20mg-ml-5ml": (100, 5),  # 100 mg/5 mL
    "cytarabine-100mg-ml-20ml": (2000, 20),  # "2 g | 20 mL"
    "melphalan-50mg": (50, 10),  # 50 mg, 5 mg/mL after reconstitution: 10 mL
    "vincristine-1mg-ml-2ml": (2, 2),  # "1-mg/mL ... 2-mL vials"
    "carboplatin-10mg-ml-45ml": (450, 45),  # "450 mg/45 mL"
}


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([key for key in sorted(LABEL_CONTENT_VOLUME) if "carboplatin" not in key]),
    st.floats(min_value=0.3, max_value=2.6),
)
def test_a_rows_volume_is_its_final_dose_at_the_labels_concentration(key: str, bsa: float) -> None:
    # A vincristine line banded by the NHS table when the product is vincristine, otherwise the
    # dose line of the agent as calculated: either way the volume drawn up is the row's final
    # dose (after banding or rounding) at the label's concentration, content ÷ volume.
    item = PRESENTATIONS[key]
    content, volume = LABEL_CONTENT_VOLUME[key]
    regimen = RIC if item.agent != "vincristine" else VCR
    policy = Policy(
        products={item.agent: key},
        bands={"vincristine": "nhs-1mg-ml-vincristine"} if item.agent == "vincristine" else {},
    )
    schedule = regimen.expand(Patient(bsa=Q_(bsa, "m**2")), policy=policy)
    for row in schedule.rows_for(item.agent):
        assert row.volume.m_as("mL") == pytest.approx(row.dose.m_as("mg") * volume / content)


def test_the_label_numbers_transcribed_here_are_the_datas() -> None:
    for key, (content, volume) in LABEL_CONTENT_VOLUME.items():
        item = PRESENTATIONS[key]
        assert (item.content.m_as("mg"), item.volume.m_as("mL")) == pytest.approx((content, volume))


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


#: Vial-rounded lines of flu-arac-mel-ric: agent, its mg/m² a day (the template) and products.
VIAL_CASES = [
    ("melphalan", 90, "melphalan-50mg", 50),  # 90 mg/m²; 50 mg vials
    ("melphalan", 90, "melphalan-evomela-50mg", 50),
    ("fludarabine", 30, "fludarabine-25mg-ml-2ml", 50),  # 30 mg/m²; 50 mg/2 mL
    ("cytarabine", 2000, "cytarabine-100mg-ml-20ml", 2000),  # 2 g/m²; 2 g vials
    ("cytarabine", 2000, "cytarabine-20mg-ml-5ml", 100),
]


@settings(max_examples=80, deadline=None)
@given(
    st.floats(min_value=0.3, max_value=2.6),
    st.sampled_from([0.05, 0.1, 0.2]),
    st.sampled_from(VIAL_CASES),
)
def test_vial_rounding_never_exceeds_the_tolerance(
    bsa: float, limit: float, case: tuple[str, float, str, float]
) -> None:
    agent, per_m2, key, content = case
    policy = Policy(products={agent: key}, rounding={agent: "vial"}, max_rounding_change=limit)
    calculated = per_m2 * bsa  # the template's dose a day × BSA, by hand
    try:
        row = RIC.expand(Patient(bsa=Q_(bsa, "m**2")), policy=policy).rows_for(agent)[0]
    except DomainError:
        # Refused: the nearest whole number of vials (half up) is further than the limit.
        nearest = math.floor(calculated / content + 0.5) * content
        assert abs(nearest - calculated) / calculated > limit * (1 - 1e-9)
        return
    dose = row.dose.m_as("mg")
    assert row.calculated.m_as("mg") == pytest.approx(calculated)
    assert abs(dose - calculated) / calculated <= limit * (1 + 1e-9)
    assert dose / content == pytest.approx(round(dose / content))


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


def _twice_a_day(tmp_path: pathlib.Path, agent: str, amount: str) -> dosing.Regimen:
    path = tmp_path / f"{agent}.toml"
    path.write_text(
        f'key = "{agent}-bid"\nname = "{agent} twice a day (a test regimen)"\n'
        'frame = "cycle"\ncycle_length = "28 day"\nreferences = ["vincristine-label"]\n\n'
        f'[[dose]]\nagent = "{agent}"\namount = "{amount}"\ndays = "1..2"\nper_day = 2\n'
        'route = "IV"\n',
        encoding="utf-8",
    )
    return dosing.load_regimen(path)


def test_single_dose_vials_are_counted_per_administration(tmp_path: pathlib.Path) -> None:
    regimen = _twice_a_day(tmp_path, "cytarabine", "30 mg/m**2")
    assert PRESENTATIONS["cytarabine-20mg-ml-5ml"].single_dose  # 100 mg/5 mL, single-dose
    policy = Policy(products={"cytarabine": "cytarabine-20mg-ml-5ml"})
    uses = regimen.expand(Patient(bsa=Q_(1.5, "m**2")), policy=policy).vials()
    # 30 mg/m² × 1.5 m² = 45 mg, twice a day 12 h apart: a fresh 100 mg vial each, 2 vials,
    # 200 − 90 = 110 mg waste a day (not 1 vial and 10 mg, as if they shared one).
    assert [(u.day, u.vials) for u in uses] == [(1, 2.0), (2, 2.0)]
    assert uses[0].dose_mg == pytest.approx(90) and uses[0].waste == pytest.approx(110)
    cohort = regimen.expand(Patient(bsa=Q_([1.5, 4.0], "m**2")), policy=policy).vials()[0]
    # 30 × 4 = 120 mg a dose: 2 vials each, 4 a day; 400 − 240 = 160 mg waste.
    assert list(cohort.vials) == [2, 4] and cohort.waste[1] == pytest.approx(160)


def test_multiple_dose_vials_pool_a_days_doses(tmp_path: pathlib.Path) -> None:
    regimen = _twice_a_day(tmp_path, "carboplatin", "20 mg/m**2")
    assert not PRESENTATIONS["carboplatin-10mg-ml-5ml"].single_dose  # "multiple-dose vials"
    policy = Policy(products={"carboplatin": "carboplatin-10mg-ml-5ml"})
    uses = regimen.expand(Patient(bsa=Q_(1.0, "m**2")), policy=policy).vials()
    # 20 mg/m² × 1 m² = 20 mg twice a day from 50 mg multiple-dose vials: the rest of the first
    # vial serves the second dose, 1 vial a day, 50 − 40 = 10 mg left at most.
    assert [(u.day, u.vials) for u in uses] == [(1, 1.0), (2, 1.0)]
    assert uses[0].waste == pytest.approx(10)


def test_carboplatin_vials_are_multiple_dose_as_the_label_says() -> None:
    # "… 50 mg/5 mL, 150 mg/15 mL, 450 mg/45 mL or 600 mg/60 mL multiple-dose vials containing
    # 10 mg/mL of carboplatin" (Hospira label, Description).
    for key in ("carboplatin-10mg-ml-5ml", "carboplatin-10mg-ml-45ml"):
        item = PRESENTATIONS[key]
        assert item.single_dose is False
        assert "multiple-dose vials" in item.quote and "ready to use" not in item.name
        assert item.references == ("carboplatin-hospira-label",)


def test_a_product_of_another_brand_than_the_lines_distinct_product_is_refused() -> None:
    atg = dosing.get_regimen("rabbit-atg")
    line = atg.doses[0]
    assert line.product == "Thymoglobulin"
    adult = Patient(height=Q_(170, "cm"), weight=Q_(62, "kg"))
    with pytest.raises(DomainError, match="atg-grafalon-100mg.*Grafalon.*Thymoglobulin"):
        atg.expand(adult, policy=Policy(products={line.agent: "atg-grafalon-100mg"}))
    ok = atg.expand(adult, policy=Policy(products={line.agent: "atg-thymoglobulin-25mg"}))
    assert ok.rows[0].presentation.brand == "Thymoglobulin"


def test_a_cohorts_json_document_carries_every_patients_values() -> None:
    cohort = Patient(height=Q_([150, 100], "cm"), weight=Q_([40, 16], "kg"))
    document = json.loads(dosing.formats.write(RIC.expand(cohort), "json"))
    assert document["patient"]["height"] == {"value": [150.0, 100.0], "unit": "cm"}
    # Fludarabine 30 mg/m² a day for 4 days: 120 × √(150 × 40 / 3600) and × √(100 × 16 / 3600).
    total = document["totals"]["fludarabine"]["value"]
    assert total == pytest.approx([120 * BSA_CHILD, 120 * math.sqrt(100 * 16 / 3600)])
    assert {row["patient"] for row in document["rows"]} == {0, 1}
