"""Expansion and the Schedule: properties over plausible patients, outputs, composition."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosing
from dosing import Q_, DomainError, ImplausibleInputWarning, Patient, RegimenError
from dosing.regimens.loader import regimen_from_mapping
from tests import strategies as hs

KEYS = hs.AMOUNT_REGIMENS  # amounts × a basis: the arithmetic properties below
#: Every built-in regimen, lines by target AUC and by weight band too: for the properties that do
#: not depend on the amount's arithmetic (dates, records, the regimen left unchanged), with a
#: measured GFR so that a line by target AUC can be dosed (issue 12 review).
ALL_KEYS = tuple(sorted(dosing.regimen_keys()))
GFR = Q_(90, "mL/min")
CHILD = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"), sex="male")
BSA_CHILD = math.sqrt(150 * 40 / 3600)  # Mosteller, 1.29099 m²


def anchor_for(regimen: dosing.Regimen, date: dt.date) -> dict[str, dt.date]:
    return {"cycle_start" if regimen.frame == "cycle" else "transplant_date": date}


def quiet_patient(**kwargs: object) -> Patient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImplausibleInputWarning)
        return Patient(**kwargs)  # type: ignore[arg-type]


@given(kwargs=hs.patients_kwargs(), key=st.sampled_from(KEYS))
def test_each_total_is_the_declared_amount_times_the_basis(
    kwargs: dict[str, object], key: str
) -> None:
    patient = quiet_patient(**kwargs)
    regimen = dosing.get_regimen(key)
    schedule = regimen.expand(patient)
    h, w = kwargs["height"].m_as("cm"), kwargs["weight"].m_as("kg")  # type: ignore[attr-defined]
    bsa = math.sqrt(h * w / 3600)
    for agent in regimen.agents:
        declared = regimen.course_total(agent)
        units = str(declared.units)
        if "meter" in units:
            expected = declared.m_as("mg/m**2") * bsa
            unit = "mg"
        elif "kilogram" in units:
            expected = declared.m_as("mg/kg") * w
            unit = "mg"
        else:
            expected, unit = declared.m_as("Gy"), "Gy"
        assert schedule.total(agent).m_as(unit) == pytest.approx(expected, rel=1e-12)


@given(kwargs=hs.patients_kwargs(), key=st.sampled_from(KEYS))
def test_rows_are_sorted_and_explain_themselves(kwargs: dict[str, object], key: str) -> None:
    regimen = dosing.get_regimen(key)
    schedule = regimen.expand(quiet_patient(**kwargs))
    order = [(row.day, row.line, row.administration) for row in schedule]
    assert order == sorted(order)
    assert len(schedule) == sum(line.administrations for line in regimen.doses)
    for row in schedule:
        assert row.flags == frozenset()
        assert row.calculated == row.dose
        assert row.date is None
        assert row.dose.magnitude > 0
        assert row.prescribed in [line.prescribed for line in regimen.doses]


@given(
    day0=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)),
    key=st.sampled_from(ALL_KEYS),
)
def test_dates_follow_the_frame(day0: dt.date, key: str) -> None:
    regimen = dosing.get_regimen(key)
    child = Patient(
        height=Q_(150, "cm"),
        weight=Q_(40, "kg"),
        age=Q_(12, "year"),
        sex="male",
        glomerular_filtration_rate=GFR,
    )
    schedule = regimen.expand(child, **anchor_for(regimen, day0))
    for row in schedule:
        if regimen.frame == "transplant":
            assert row.date == day0 + dt.timedelta(days=row.day)
        else:
            assert row.date == day0 + dt.timedelta(days=row.day - 1)
        assert schedule.date_of(row.day) == row.date


@given(
    kwargs=hs.patients_kwargs(), key=st.sampled_from(KEYS), k=st.floats(min_value=0.1, max_value=4)
)
def test_scaling_an_amount_scales_its_doses(kwargs: dict[str, object], key: str, k: float) -> None:
    """Doubling (or any k) an amount in the template scales exactly that line's doses."""
    regimen = dosing.get_regimen(key)
    patient = quiet_patient(**kwargs)
    data = _as_mapping(regimen)
    for line in data["dose"]:
        quantity = dosing.units.parse_quantity(line["amount"])
        line["amount"] = f"{quantity.magnitude * k!r} {quantity.units:~C}"
        line.pop("total", None)
        # The arithmetic is under test, not the limits: a scaled amount may be over one.
        line["acknowledge"] = "scaled by the test"
    data.pop("totals")
    scaled = regimen_from_mapping(data).expand(patient)
    for original, changed in zip(regimen.expand(patient), scaled, strict=True):
        assert changed.dose.m_as(original.unit) == pytest.approx(
            k * original.dose.magnitude, rel=1e-12
        )


def _as_mapping(regimen: dosing.Regimen) -> dict[str, object]:
    doses = []
    for line in regimen.doses:
        dose: dict[str, object] = {
            "agent": line.agent,
            "amount": f"{line.prescribed.magnitude!r} {line.prescribed.units:~C}",
            "days": list(line.days),
            "per_day": line.per_day,
        }
        for name in ("product", "setting"):
            if getattr(line, name) is not None:
                dose[name] = getattr(line, name)
        doses.append(dose)
    data: dict[str, object] = {
        "key": regimen.key,
        "name": regimen.name,
        "frame": regimen.frame,
        "references": list(regimen.references),
        "dose": doses,
        "totals": {},
    }
    if regimen.cycle_length:
        data["cycle_length"] = f"{regimen.cycle_length} day"
    return data


@given(kwargs=hs.patients_kwargs(), key=st.sampled_from(ALL_KEYS))
def test_expanding_never_changes_the_regimen(kwargs: dict[str, object], key: str) -> None:
    regimen = dosing.get_regimen(key)
    before = copy.deepcopy(regimen)
    regimen.expand(
        quiet_patient(**kwargs, glomerular_filtration_rate=GFR),
        policy=dosing.Policy(rounding={"*": Q_(0.01, "mg")}, max_rounding_change=0.25),
    )
    assert regimen == before


@given(kwargs=hs.patients_kwargs(), key=st.sampled_from(ALL_KEYS))
def test_records_round_trip_through_json(kwargs: dict[str, object], key: str) -> None:
    regimen = dosing.get_regimen(key)
    schedule = regimen.expand(
        quiet_patient(**kwargs, glomerular_filtration_rate=GFR),
        **anchor_for(regimen, dt.date(2026, 1, 5)),
    )
    records = schedule.to_records()
    assert json.loads(json.dumps(records)) == records
    for record, row in zip(records, schedule, strict=True):
        assert record["dose"]["value"] == row.dose.magnitude
        assert record["date"] == row.date.isoformat()  # type: ignore[union-attr]
        assert record["dose"]["unit"] in {"mg", "Gy"}


@given(pairs=st.lists(hs.size_pairs(), min_size=1, max_size=8), key=st.sampled_from(KEYS))
def test_a_cohort_gives_exactly_the_single_patient_results(
    pairs: list[tuple[float, float]], key: str
) -> None:
    heights = np.array([h for h, _ in pairs])
    weights = np.array([w for _, w in pairs])
    regimen = dosing.get_regimen(key)
    cohort = regimen.expand(quiet_patient(height=Q_(heights, "cm"), weight=Q_(weights, "kg")))
    singles = [
        regimen.expand(quiet_patient(height=Q_(h, "cm"), weight=Q_(w, "kg"))) for h, w in pairs
    ]
    for index, row in enumerate(cohort):
        assert row.dose.magnitude.shape == (len(pairs),)
        for patient, single in enumerate(singles):
            assert row.dose.magnitude[patient] == single[index].dose.magnitude
            assert row.day == single[index].day
    for agent in regimen.agents:
        np.testing.assert_array_equal(
            cohort.total(agent).magnitude, [s.total(agent).magnitude for s in singles]
        )


def test_given_bsa_wins_and_per_kg_agents_then_need_weight() -> None:
    given_bsa = Patient(bsa=Q_(1.29, "m**2"))
    schedule = dosing.get_regimen("inotuzumab-cycle-1").expand(given_bsa)
    assert schedule[0].dose.m_as("mg") == pytest.approx(0.8 * 1.29, rel=1e-15)
    assert schedule[0].basis.method == "given"
    assert "BSA 1.29 m² (given)" in str(schedule[0].basis)
    with pytest.raises(DomainError, match=r"anti-thymocyte globulin \(rabbit\).*no weight"):
        dosing.get_regimen("rabbit-atg").expand(given_bsa)
    both = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), bsa=Q_(1.3, "m**2"))
    assert dosing.get_regimen("gvhd-mtx-standard").expand(both)[0].dose.m_as("mg") == (
        pytest.approx(15 * 1.3)
    )


def test_basis_records_the_formula_and_inputs() -> None:
    row = dosing.get_regimen("flu-arac-mel-ric").expand(CHILD, bsa_method="dubois")[0]
    assert row.basis.kind == "bsa"
    assert row.basis.method == "dubois"
    assert dict(row.basis.inputs) == {"height": Q_(150, "cm"), "weight": Q_(40, "kg")}
    dubois = 0.007184 * 40**0.425 * 150**0.725
    assert row.basis.quantity.m_as("m**2") == pytest.approx(dubois, rel=1e-12)
    assert str(row.basis).startswith("BSA 1.")
    assert "Du Bois & Du Bois, from height 150 cm and weight 40 kg" in str(row.basis)
    atg = dosing.get_regimen("rabbit-atg").expand(CHILD)[0]
    assert str(atg.basis) == "weight 40 kg (actual body weight)"
    tbi = dosing.get_regimen("mel-tbi-mac").expand(CHILD)[0]
    assert tbi.basis.quantity is None
    assert "does not scale" in str(tbi.basis)


def test_tbi_is_six_fractions_of_two_gray_whatever_the_size() -> None:
    for patient in (CHILD, Patient(height=Q_(190, "cm"), weight=Q_(110, "kg"))):
        rows = dosing.get_regimen("mel-tbi-mac").expand(patient).rows_for("Total Body Irradiation")
        assert [(r.day, r.administration, r.dose.m_as("Gy")) for r in rows] == [
            (-6, 1, 2.0),
            (-6, 2, 2.0),
            (-5, 1, 2.0),
            (-5, 2, 2.0),
            (-4, 1, 2.0),
            (-4, 2, 2.0),
        ]


def test_anchor_dates_are_refused_for_the_other_frame() -> None:
    ino = dosing.get_regimen("inotuzumab-cycle-1")
    ric = dosing.get_regimen("flu-arac-mel-ric")
    with pytest.raises(DomainError, match="transplant_date=.*give cycle_start= instead"):
        ino.expand(CHILD, transplant_date=dt.date(2026, 1, 1))
    with pytest.raises(DomainError, match="cycle_start=.*give transplant_date= instead"):
        ric.expand(CHILD, cycle_start=dt.date(2026, 1, 1))
    with pytest.raises(DomainError, match="not a date and time"):
        ric.expand(CHILD, transplant_date=dt.datetime(2026, 1, 1, 8, 0))
    with pytest.raises(DomainError, match="must be a date"):
        ric.expand(CHILD, transplant_date="10/12/2026")
    assert ric.expand(CHILD, transplant_date="2026-12-10")[0].date == dt.date(2026, 12, 3)


def test_expand_refuses_what_is_not_a_patient_or_policy() -> None:
    ric = dosing.get_regimen("flu-arac-mel-ric")
    with pytest.raises(DomainError, match="must be a dosing.Patient"):
        ric.expand({"height": 150})  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="must be a dosing.Policy"):
        ric.expand(CHILD, policy={"bsa_cap": 2})  # type: ignore[arg-type]
    with pytest.raises(dosing.UnknownMethodError, match="method='nope'"):
        ric.expand(CHILD, bsa_method="nope")


def test_schedule_outputs() -> None:
    plan = dosing.combine(
        dosing.get_regimen("flu-arac-mel-ric"),
        dosing.get_regimen("rabbit-atg"),
        dosing.get_regimen("gvhd-mtx-standard"),
    )
    schedule = plan.expand(CHILD, transplant_date=dt.date(2026, 12, 10))
    text = str(schedule)
    assert "BSA 1.291 m² (Mosteller, from height 150 cm and weight 40 kg)" in text
    assert "day 0 = 2026-12-10" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "2026-12-03" in text
    assert repr(schedule).startswith("<Schedule flu-arac-mel-ric+rabbit-atg+gvhd-mtx-standard: 15")
    csv_text = schedule.to_csv()
    header = csv_text.splitlines()[0].split(",")
    assert header[:5] == ["day", "date", "agent", "dose", "unit"]
    assert len(csv_text.splitlines()) == 1 + len(schedule)
    by_day = schedule.by_day()
    assert list(by_day) == sorted(by_day)
    assert [row.agent for row in by_day[-2]] == ["melphalan", "anti-thymocyte globulin (rabbit)"]
    assert schedule.days[0] == -7
    assert schedule.agents[0] == "fludarabine"
    assert set(schedule.totals()) == set(plan.agents)
    with pytest.raises(dosing.UnknownMethodError, match="agent='busulfan'.*'melphalan'"):
        schedule.total("busulfan")
    row = schedule[0]
    assert repr(row) == "Row(day=-7, agent='fludarabine', dose=38.73 mg, prescribed=30 mg/m²)"


def test_combine_refuses_mixed_frames_and_doubled_doses() -> None:
    with pytest.raises(RegimenError, match="only regimens of one frame") as info:
        dosing.combine(
            dosing.get_regimen("flu-arac-mel-ric"), dosing.get_regimen("inotuzumab-cycle-1")
        )
    assert info.value.field == "frame"
    with pytest.raises(RegimenError, match="21-day cycle"):
        dosing.combine(
            dosing.get_regimen("inotuzumab-cycle-1"), dosing.get_regimen("inotuzumab-cycle-cr")
        )
    with pytest.raises(RegimenError, match="melphalan is already given on day -3"):
        dosing.combine(dosing.get_regimen("flu-arac-mel-ric"), dosing.get_regimen("mel-tbi-mac"))
    with pytest.raises(RegimenError, match="at least one"):
        dosing.combine()
    with pytest.raises(RegimenError, match="not a dosing.Regimen"):
        dosing.combine("flu-arac-mel-ric")  # type: ignore[arg-type]


def test_combine_keeps_origin_and_notes() -> None:
    plan = dosing.combine(
        dosing.get_regimen("flu-arac-mel-ric"),
        dosing.get_regimen("rabbit-atg"),
        key="my-transplant",
        name="RIC with ATG",
    )
    assert (plan.key, plan.name) == ("my-transplant", "RIC with ATG")
    assert {line.regimen for line in plan.doses} == {"flu-arac-mel-ric", "rabbit-atg"}
    assert [line.order for line in plan.doses] == list(range(len(plan.doses)))
    assert "rabbit-atg:" in (plan.note or "")
    assert plan.references == ("pbc28980",)
    assert set(plan.totals) == {
        "fludarabine",
        "cytarabine",
        "melphalan",
        "anti-thymocyte globulin (rabbit)",
    }
    rows = plan.expand(CHILD)
    assert {row.regimen for row in rows} == {"flu-arac-mel-ric", "rabbit-atg"}


def test_cohort_records_and_csv_are_per_patient() -> None:
    cohort = Patient(
        height=Q_(np.array([150.0, 175.0]), "cm"), weight=Q_(np.array([40.0, 70.0]), "kg")
    )
    schedule = dosing.get_regimen("gvhd-mtx-10-7-7").expand(cohort)
    records = schedule.to_records()
    assert len(records) == 2 * 3
    assert records[0]["patient"] == 0
    assert records[3]["patient"] == 1
    assert records[3]["dose"]["value"] == pytest.approx(10 * math.sqrt(175 * 70 / 3600))
    assert json.loads(json.dumps(records)) == records
    assert schedule.to_csv().splitlines()[0].startswith("patient,day,date,agent,dose,unit")
    assert "2 patients" in repr(schedule)
    assert "2 patients" in str(schedule)
    assert "–" in str(schedule)  # dose ranges across the cohort


def test_wrong_kinds_of_argument_raise_dosing_errors() -> None:
    schedule = dosing.get_regimen("gvhd-mtx-10-7-7").expand(CHILD)
    with pytest.raises(DomainError, match="agent=3"):
        schedule.total(3)  # type: ignore[arg-type]
    with pytest.raises(RegimenError, match="path of a TOML file"):
        dosing.load_regimen(None)  # type: ignore[arg-type]


# -- rescheduling and flags at their edges (issue 16: branch coverage 99%) ----------------------


def test_a_transplant_day_moves_within_its_window_without_a_cycle_bound() -> None:
    # Methotrexate on days +1, +3, +6 and +11, the day +11 dose allowed to move a day either
    # way: a transplant has no cycle length, so day +12 is allowed and dated from day 0.
    mtx = regimen_from_mapping(
        {
            "key": "mtx",
            "name": "Methotrexate",
            "frame": "transplant",
            "references": ["storb1986"],
            "setting": "gvhd-prophylaxis",
            "dose": [
                {"agent": "MTX", "amount": "10 mg/m**2", "days": "1, 3, 6, 11", "window": "1 day"}
            ],
        }
    )
    schedule = mtx.expand(
        Patient(height=Q_(150, "cm"), weight=Q_(40, "kg")), transplant_date=dt.date(2026, 12, 10)
    )
    moved = dosing.reschedule(schedule, "methotrexate", day=11, to=12)
    assert [row.day for row in moved] == [1, 3, 6, 12]
    last = moved[-1]
    assert (last.planned_day, last.date) == (11, dt.date(2026, 12, 22))  # 10 December + 12
    with pytest.raises(DomainError, match="it may move ±1 days"):
        dosing.reschedule(schedule, "methotrexate", day=11, to=13)


def test_a_cohorts_flags_hold_only_the_flags_true_for_some_patient() -> None:
    from dosing.policy.steps import Adjustment
    from dosing.schedule import flags_of

    def read_only(*values: bool) -> np.ndarray:
        array = np.array(values)
        array.flags.writeable = False
        return array

    def adjustment(flag: str, applies: object) -> Adjustment:
        return Adjustment("rounding", flag, 1.0, 1.0, applies, "test")

    flags = flags_of(
        (
            adjustment("rounded", read_only(True, False, False)),  # shared as it is
            adjustment("rounded", np.array([False, True, False])),  # added to it: T, T, F
            adjustment("capped", read_only(False, False, False)),  # true for no one: left out
            adjustment("reduced", np.array([False, False, False])),  # the same, writeable
            adjustment("bsa_capped", True),  # one value for the whole cohort
        ),
        (3,),
    )
    assert set(flags) == {"rounded", "bsa_capped"}
    assert flags["rounded"].tolist() == [True, True, False]
    assert flags["bsa_capped"].tolist() == [True, True, True]
    assert not flags["rounded"].flags.writeable
