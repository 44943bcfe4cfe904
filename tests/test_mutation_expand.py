"""Mutation testing of expansion, ``dosing.expand`` (issue 16, item 4).

Covers the mutants of ``dosing.expand`` that survived the whole suite (mutmut, at 2aa4b0e): the
row order and band flag kept per regimen (a new regimen that reuses a freed regimen's ``id``
never gets its order or flag), the amount and agent named when a weight is missing, a flat dose
by weight band, a carboplatin dose from an estimated GFR that a step rounds, a lazy cohort given
by BSA alone, the flags of a lazy cohort's flat dose, and the ``shown`` text of every refusal of
an anchor date; and the bug those showed: a refused value is shown by ``show_value`` (cut at 200
characters), so one ``repr()`` cannot write is refused by name, not with a ``ValueError``. The
numbers are worked out by hand beside them; the messages are written out from the formats the
module documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

import dosing
from dosing import Q_
from dosing.errors import DomainError
from tests.test_mutation_regimens import BANDS, load, second_line, template

RIC = dosing.get_regimen("flu-arac-mel-ric")  # transplant days -7..-2
INO = dosing.get_regimen("inotuzumab-cycle-1")  # cycle days 1, 8 and 15 of 21
CARBO = dosing.get_regimen("gem-carbo-kdn5")  # carboplatin AUC 5 (Calvert) on cycle day 1
CHILD = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))


def expand_error(regimen: dosing.Regimen, patient: object, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        regimen.expand(patient, **kwargs)  # type: ignore[arg-type]
    return info.value


# -- the row order and band flag kept per regimen -------------------------------------------------


def test_a_new_regimen_never_gets_the_row_order_or_band_flag_of_one_freed_before_it() -> None:
    # The row order (and whether a line is by weight band) is kept per regimen, keyed by its id.
    # CPython gives a freed object's id to the next object of its size, so each regimen below is
    # freed after its expansion and the next one is likely to get its id. A cache that trusted
    # the id alone would give the plain regimen of the round before its days, or a band regimen
    # the plain one's "no band" flag (its band line then dosed as something else).
    for index in range(60):
        first, second = 1 + index % 7, 9 + index % 5  # two days, written in reverse order
        plain = load(template({"key": f"p{index}"}, agent="x", days=f"{second}, {first}"))
        assert [row.day for row in plain.expand(CHILD)] == [first, second]
        del plain
        banded = load(
            template(
                {"key": f"b{index}"}, agent="x", amount=None, weight_bands=BANDS, days=f"{first}"
            )
        )
        rows = [(row.day, row.dose.m_as("mg"), row.basis.kind) for row in banded.expand(CHILD)]
        assert rows == [(first, pytest.approx(0.8 * 40), "weight")]  # 10 kg and over: 0.8 mg/kg
        del banded


def test_a_regimen_without_weight_bands_is_the_schedules_regimen_on_every_expansion() -> None:
    # Schedule.regimen is "what was expanded (unchanged by expansion)": the caller's regimen
    # itself, also on the expansions after the first, which read its row order from the cache.
    regimen = load(template({"key": "again"}, agent="x", days="3, 1"))
    for _ in range(3):
        schedule = regimen.expand(CHILD)
        assert schedule.regimen is regimen
        assert [row.day for row in schedule] == [1, 3]
    for _ in range(2):
        assert RIC.expand(CHILD).regimen is RIC


# -- what a missing weight names ------------------------------------------------------------------


def test_a_per_kg_line_for_a_patient_without_weight_names_the_agent_and_its_amount() -> None:
    regimen = load(second_line(amount="2.5 mg/kg", days="1"))
    error = expand_error(regimen, dosing.Patient(bsa=Q_(1.3, "m**2")))
    assert str(error) == (
        "x is dosed per kg (2.5 mg/kg) but the patient has no weight; "
        "give Patient(weight=Q_(40, 'kg'), ...)"
    )
    assert error.reason == "is needed: x is dosed per kg (2.5 mg/kg) but the patient has no weight"
    assert error.argument == "weight"


def test_carboplatin_by_the_newell_formula_without_a_weight_names_the_agent() -> None:
    regimen = load(
        second_line(
            agent="carboplatin",
            amount=None,
            target_auc="5 mg*min/mL",
            gfr_formula="newell",
            setting="systemic",
        )
    )
    patient = dosing.Patient(bsa=Q_(1.3, "m**2"), glomerular_filtration_rate=Q_(80, "mL/min"))
    error = expand_error(regimen, patient)
    assert str(error) == (
        "weight=None is needed: carboplatin is dosed by the Newell formula, whose non-renal "
        'clearance is 0.36 mL/min per kg; give Patient(weight=Q_(20, "kg"))'
    )
    # With a weight: Newell, dose = AUC × (GFR + 0.36 × weight) = 5 × (80 + 0.36 × 40) = 472 mg.
    weighed = dosing.Patient(
        height=Q_(150, "cm"), weight=Q_(40, "kg"), glomerular_filtration_rate=Q_(80, "mL/min")
    )
    row = next(row for row in regimen.expand(weighed) if row.agent == "carboplatin")
    assert row.dose.m_as("mg") == pytest.approx(5 * (80 + 0.36 * 40), rel=1e-12)


# -- doses ----------------------------------------------------------------------------------------


def test_a_flat_dose_by_weight_band_is_the_patients_bands_amount() -> None:
    # x: 5 mg below 10 kg, 7.5 mg from 10 kg, on day 1; a flat amount, not per kg.
    bands = [{"below": "10 kg", "amount": "5 mg"}, {"from": "10 kg", "amount": "7.5 mg"}]
    regimen = load(second_line(amount=None, weight_bands=bands))
    infant = dosing.Patient(height=Q_(70, "cm"), weight=Q_(8, "kg"))
    for patient, amount in ((CHILD, 7.5), (infant, 5.0)):
        row = next(row for row in regimen.expand(patient) if row.agent == "x")
        assert (row.dose.m_as("mg"), row.calculated.m_as("mg")) == (amount, amount)
        assert row.basis.kind == "flat"
    cohort = dosing.Patient(height=Q_([150.0, 160.0], "cm"), weight=Q_([40.0, 50.0], "kg"))
    row = next(row for row in regimen.expand(cohort) if row.agent == "x")
    np.testing.assert_array_equal(row.dose.m_as("mg"), [7.5, 7.5])


def test_carboplatin_from_one_adults_estimated_gfr_is_rounded_by_the_policy() -> None:
    # Cockcroft-Gault, a man of 50 years, 70 kg, creatinine 1.0 mg/dL:
    # (140 - 50) × 70 / (72 × 1.0) = 87.5 mL/min (under the 125 mL/min cap).
    # Calvert, AUC 5: 5 × (87.5 + 25) = 562.5 mg, given as 560 mg on a 10 mg grid (0.4% less).
    adult = dosing.Patient(
        height=Q_(170, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(50, "year"),
        sex="male",
        serum_creatinine=Q_(1.0, "mg/dL"),
    )
    calvert = 5 * ((140 - 50) * 70 / (72 * 1.0) + 25)
    plain = next(row for row in CARBO.expand(adult) if row.agent == "carboplatin")
    assert plain.dose.m_as("mg") == pytest.approx(calvert, rel=1e-12)
    assert (plain.basis.kind, plain.basis.value) == ("gfr", pytest.approx(87.5, rel=1e-12))
    rounding = dosing.Policy(rounding={"carboplatin": Q_(10, "mg")})
    row = next(row for row in CARBO.expand(adult, policy=rounding) if row.agent == "carboplatin")
    assert row.calculated.m_as("mg") == pytest.approx(562.5, rel=1e-12)
    assert row.dose.m_as("mg") == pytest.approx(560.0, rel=1e-12)
    assert row.flags == frozenset({"rounded"})


def test_a_lazy_cohort_given_by_bsa_alone_gets_every_dose_and_its_calculated_dose() -> None:
    # Methotrexate 10 mg/m² on days 1, 3 and 6 and x 5 mg on days 1 and 2, for BSAs of 1.25, 1.5
    # and 2.0 m² held lazily (the cohort's only lazy array): 12.5, 15 and 20 mg of methotrexate.
    da = pytest.importorskip("dask.array")
    regimen = load(second_line(amount="5 mg", days="1, 2"))
    lazy = dosing.Patient(bsa=Q_(da.from_array(np.array([1.25, 1.5, 2.0]), chunks=2), "m**2"))
    schedule = regimen.expand(lazy)
    expected = {"methotrexate": [12.5, 15.0, 20.0], "x": [5.0, 5.0, 5.0]}
    for row in schedule:
        for magnitude in (row.dose.m, row.calculated.m):  # nothing computed yet
            assert magnitude.chunks == ((2, 1),)
            np.testing.assert_allclose(magnitude.compute(), expected[row.agent], rtol=1e-12)
    assert [(row.day, row.agent) for row in schedule] == [
        (1, "methotrexate"),
        (1, "x"),
        (2, "x"),
        (3, "methotrexate"),
        (6, "methotrexate"),
    ]


def test_a_lazy_cohorts_flat_dose_is_rounded_lazily_with_its_flag_present() -> None:
    # performance.md: a lazy cohort stays lazy, and "flags that depend on the data are lazy
    # masks, present whenever their policy step is active". 5 mg on a 1 mg grid changes no one;
    # 5.2 mg on a 0.5 mg grid is 5.0 mg for everyone (3.8% less).
    da = pytest.importorskip("dask.array")
    heights, weights = np.array([150.0, 160.0, 170.0]), np.array([40.0, 50.0, 60.0])
    lazy = dosing.Patient(
        height=Q_(da.from_array(heights, chunks=2), "cm"),
        weight=Q_(da.from_array(weights, chunks=2), "kg"),
    )
    for amount, grid, given, rounded in (
        ("5 mg", Q_(1, "mg"), 5.0, [False, False, False]),
        ("5.2 mg", Q_(0.5, "mg"), 5.0, [True, True, True]),
    ):
        regimen = load(second_line(amount=amount, days="1"))
        policy = dosing.Policy(rounding={"x": grid})
        row = next(row for row in regimen.expand(lazy, policy=policy) if row.agent == "x")
        mask = row.flags["rounded"]
        assert isinstance(mask, da.Array)
        assert mask.chunks == ((2, 1),)
        assert mask.compute().tolist() == rounded
        np.testing.assert_allclose(row.dose.m.compute(), [given] * 3, rtol=1e-12)


# -- refusals of an anchor date: every part of the error ------------------------------------------

MORNING = dt.datetime(2026, 1, 1, 8, 0)  # a date and time, where a date is asked for


@pytest.mark.parametrize(
    ("regimen", "kwargs", "shown"),
    [
        (RIC, {"cycle_start": "2026-01-01"}, "'2026-01-01'"),
        (INO, {"transplant_date": "2026-01-01"}, "'2026-01-01'"),
        (RIC, {"cycle_start": MORNING}, "datetime.datetime(2026, 1, 1, 8, 0)"),
        (RIC, {"transplant_date": MORNING}, "datetime.datetime(2026, 1, 1, 8, 0)"),
        (INO, {"cycle_start": MORNING}, "datetime.datetime(2026, 1, 1, 8, 0)"),
        (RIC, {"transplant_date": "10/12/2026"}, "'10/12/2026'"),
        (INO, {"cycle_start": 20261210}, "20261210"),
    ],
)
def test_a_refused_anchor_date_is_shown_as_written(
    regimen: dosing.Regimen, kwargs: dict[str, Any], shown: str
) -> None:
    error = expand_error(regimen, CHILD, **kwargs)
    ((argument, value),) = kwargs.items()
    assert (error.argument, error.value, error.shown) == (argument, value, shown)
    assert str(error).startswith(f"{argument}={shown}")


#: An int repr() refuses to write (more than 4,300 digits: ValueError), as every message shows it.
HUGE = 10**5000
UNSHOWN = "<a int too large or deep to show>"


@pytest.mark.parametrize(
    ("regimen", "patient", "kwargs", "message"),
    [
        (
            RIC,
            CHILD,
            {"cycle_start": HUGE},
            f"cycle_start={UNSHOWN}: 'flu-arac-mel-ric' counts transplant days (day 0 = graft "
            "infusion); give transplant_date= instead",
        ),
        (
            INO,
            CHILD,
            {"transplant_date": HUGE},
            f"transplant_date={UNSHOWN}: 'inotuzumab-cycle-1' counts cycle days (day 1 = first "
            "day of the cycle); give cycle_start= instead",
        ),
        (
            INO,
            CHILD,
            {"cycle_start": HUGE},
            f"cycle_start={UNSHOWN} must be a date, e.g. datetime.date(2026, 12, 10)",
        ),
        (
            RIC,
            HUGE,
            {},
            f"patient={UNSHOWN} must be a dosing.Patient, e.g. Patient(height=Q_(150, 'cm'), "
            "weight=Q_(40, 'kg'))",
        ),
        (RIC, CHILD, {"policy": HUGE}, f"policy={UNSHOWN} must be a dosing.Policy"),
        (
            RIC,
            CHILD,
            {"policy": dosing.Policy(), "bsa_method": HUGE},
            f"bsa_method={UNSHOWN} disagrees with policy.bsa_method='mosteller'; give one of them",
        ),
    ],
    ids=["cycle_start", "transplant_date", "not_a_date", "patient", "policy", "bsa_method"],
)
def test_an_argument_too_large_to_write_is_refused_by_name_not_with_a_valueerror(
    regimen: dosing.Regimen, patient: object, kwargs: dict[str, Any], message: str
) -> None:
    # repr(HUGE) raises ValueError; the refusal shows the value as every other message does.
    error = expand_error(regimen, patient, **kwargs)
    assert str(error) == message
    assert error.value is HUGE
    assert error.shown == UNSHOWN


def test_a_long_anchor_is_shown_cut_to_200_characters() -> None:
    # repr of 1,000 nines is 1,002 characters; a message shows at most 200: the first 197 and
    # "...", so a value pasted by mistake cannot flood a log.
    text = "9" * 1000
    error = expand_error(INO, CHILD, cycle_start=text)
    shown = "'" + "9" * 196 + "..."
    assert len(shown) == 200
    assert error.shown == shown
    assert str(error) == f"cycle_start={shown} must be a date, e.g. datetime.date(2026, 12, 10)"
    error = expand_error(RIC, CHILD, cycle_start=text)
    assert str(error).startswith(f"cycle_start={shown}: 'flu-arac-mel-ric' counts transplant")
    error = expand_error(RIC, text)
    assert str(error).startswith(f"patient={shown} must be a dosing.Patient, e.g. ")
