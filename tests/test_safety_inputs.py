"""The safety net's inputs refused loudly: a limits file, a prior exposure, the command line."""

from __future__ import annotations

import datetime as dt
import io
import pathlib

import pytest

import dosing
from dosing import Q_, DomainError, Exposure, Patient
from dosing.cli import main
from dosing.dose_limits import DOSE_LIMITS, load_limits

GOOD = (
    'agent = "fludarabine"\ntier = "hard"\nper = "day"\namount = "25 mg/m**2"\n'
    'unsourced = "a local rule"\n'
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('settings = "x"\n', "settings"),
        ("[other]\n", "unknown table"),
        ("limit = [1]\n", "each \\[\\[limit\\]\\] is a table"),
        (f"[[limit]]\n{GOOD}colour = 'red'\n", "unknown field"),
        ('[[limit]]\ntier = "hard"\n', "agent.*missing"),
        ('[[limit]]\nagent = "not a drug"\n', "not in data/agents.toml"),
        (f'[[limit]]\n{GOOD}product = "Nope"\n', "not a product of fludarabine"),
        (GOOD.replace('"hard"', '"soft"').join(["[[limit]]\n", ""]), "write 'hard' or 'usual'"),
        (GOOD.replace('"day"', '"week"').join(["[[limit]]\n", ""]), "per"),
        (GOOD.replace("amount", "low").join(["[[limit]]\n", ""]), "a hard limit has amount"),
        (GOOD.replace('"25 mg/m**2"', '"25 parsecs"').join(["[[limit]]\n", ""]), "amount"),
        (GOOD.replace('"25 mg/m**2"', '"-25 mg/m**2"').join(["[[limit]]\n", ""]), "positive"),
        (
            '[[limit]]\nagent = "fludarabine"\ntier = "usual"\nper = "day"\nlow = "25 mg/m**2"\n'
            'high = "1 mg/kg"\nunsourced = "x"\n',
            "same kind",
        ),
        (
            '[[limit]]\nagent = "fludarabine"\ntier = "usual"\nper = "day"\nlow = "25 mg/m**2"\n'
            'high = "20 mg/m**2"\nunsourced = "x"\n',
            "low is above high",
        ),
        (f"[[limit]]\n{GOOD}references = 'x'\n", "a list of citation keys"),
        (f"[[limit]]\n{GOOD}references = ['nobody2099']\n", "not in data/references.toml"),
        (f"[[limit]]\n{GOOD}references = ['fludara-label']\n", "not both or neither"),
        (
            GOOD.replace('unsourced = "a local rule"', "references = ['fludara-label']").join(
                ["[[limit]]\n", ""]
            ),
            "quotes its source",
        ),
        (f"[[limit]]\n{GOOD}age_from = 'old'\n", "age_from"),
        (f"[[limit]]\n{GOOD}setting = 'space'\n", "is not one of"),
        ("unchecked = [1]\n", "each \\[\\[unchecked\\]\\] is a table"),
        ('[[unchecked]]\nagent = "idarubicin"\nwhy = "x"\nhue = 1\n', "unknown field"),
        ('[[unchecked]]\nagent = "idarubicin"\n', "say why"),
        ('[[unchecked]]\nagent = "idarubicin"\nwhy = "x"\nkind = "per litre"\n', "kind"),
        ("not toml = = \n", "cannot be read"),
    ],
)
def test_a_wrong_limits_file_is_refused_naming_the_record(
    tmp_path: pathlib.Path, text: str, message: str
) -> None:
    path = tmp_path / "limits.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DomainError, match=message):
        load_limits(path)


def test_a_limits_file_with_ages_and_unchecked_records_is_read(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "limits.toml"
    path.write_text(
        '[settings]\nlocal = "a local use"\n'
        f"[[limit]]\n{GOOD}age_from = '18 year'\nsetting = 'local'\n"
        '[[unchecked]]\nagent = "idarubicin"\nwhy = "no source yet"\nkind = "bsa"\n',
        encoding="utf-8",
    )
    table = load_limits(path)
    (limit,) = table.for_agent("fludarabine")
    assert (limit.age_from, limit.setting, limit.high) == (18.0, "local", 25.0)
    assert limit.for_age(17.9) is False
    assert limit.for_age(18.0) is True
    assert limit.for_age(None) is None
    assert table.kinds("idarubicin") == frozenset({"bsa"})
    assert table.knows("idarubicin") and not table.knows("melphalan")


def test_a_missing_limits_file_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(DomainError, match="cannot be read"):
        load_limits(tmp_path / "missing.toml")


def test_the_kinds_of_a_product_ignore_the_products_that_are_not_checked() -> None:
    atg = "anti-thymocyte globulin (rabbit)"
    # Grafalon is not checked in any kind; that must not open every kind for Thymoglobulin
    assert DOSE_LIMITS.kinds(atg, "Thymoglobulin") == frozenset({"weight"})
    assert DOSE_LIMITS.kinds(atg, "Grafalon") == frozenset({"weight", "bsa", "flat", "radiation"})


# -- prior exposures ------------------------------------------------------------------------------


def test_an_exposure_takes_a_brand_and_a_date_and_shows_itself() -> None:
    exposure = Exposure("Alkeran", Q_(180, "mg/m**2"), date=dt.date(2019, 5, 1), note="MAC")
    assert exposure.agent == "melphalan"
    assert exposure.product == "Alkeran"
    assert exposure.kind == "bsa"
    assert "Exposure(agent='melphalan'" in repr(exposure)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"agent": "melphalan", "amount": 180.0}, "amount"),
        ({"agent": "melphalan", "amount": "180 parsecs"}, "amount"),
        ({"agent": "melphalan", "amount": Q_(float("nan"), "mg/m**2")}, "amount"),
        ({"agent": "melphalan", "amount": Q_([1.0, 2.0], "mg/m**2")}, "amount"),
        ({"agent": "melphalan", "amount": Q_(180, "mL")}, "amount"),
        ({"agent": 5, "amount": Q_(180, "mg/m**2")}, "agent"),
        (
            {"agent": "melphalan", "amount": Q_(180, "mg/m**2"), "date": dt.datetime(2020, 1, 1)},
            "date",
        ),
        ({"agent": "melphalan", "amount": Q_(180, "mg/m**2"), "cycles": True}, "cycles"),
        ({"agent": "melphalan", "amount": Q_(-1, "mg/m**2")}, "amount"),
        ({"agent": "doxorubicin", "amount": Q_(100, "mg"), "bsa": Q_(-2, "m**2")}, "bsa"),
        ({"agent": "daunorubicin", "amount": Q_(100, "mg"), "weight": Q_(0, "kg")}, "weight"),
    ],
)
def test_an_exposure_refuses_a_wrong_value_naming_it(kwargs: dict, argument: str) -> None:
    with pytest.raises(dosing.DosingError) as caught:
        Exposure(**kwargs)
    assert caught.value.argument == argument


def test_a_flat_prior_amount_is_converted_with_the_size_it_was_given_at() -> None:
    per_kg = Exposure("daunorubicin", Q_(45, "mg"), weight=Q_(9, "kg"))
    assert per_kg.in_kind("weight", dosing.units.ureg.Unit("mg/kg")) == pytest.approx(5.0)  # 45/9
    assert per_kg.in_kind("bsa", dosing.units.ureg.Unit("mg/m**2")) is None


# -- the command line ------------------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


CHILD = ("--height", "150cm", "--weight", "40kg", "--age", "12y", "--sex", "male")


def test_the_command_line_counts_a_prior_tbi_and_exits_1() -> None:
    status, _, err = run("plan", "mel-tbi-mac", *CHILD, "--prior", "TBI=12Gy@2019-05-01")
    assert status == 1
    assert "error [prior_exposure]: total body irradiation" in err
    status, _, err = run(
        "plan", "mel-tbi-mac", *CHILD, "--prior", "TBI=12Gy", "--intended-repeat", "TBI"
    )
    assert status == 0
    assert "warning [prior_exposure]" in err


@pytest.mark.parametrize(
    ("prior", "message"),
    [
        ("TBI", "--prior"),
        ("TBI=twelve", "--prior 'TBI=twelve'"),
        ("TBI=12Gy@yesterday", "--prior"),
        ("doxorubicin=100mg", "--prior 'doxorubicin=100mg'"),
    ],
)
def test_the_command_line_refuses_a_wrong_prior(prior: str, message: str) -> None:
    status, _, err = run("plan", "mel-tbi-mac", *CHILD, "--prior", prior)
    assert status == 2
    assert message in err


def test_a_patient_younger_than_a_label_allows_exits_1() -> None:
    status, _, err = run(
        "plan", "inotuzumab-cycle-1", "--height", "65cm", "--weight", "7kg", "--age", "6mo"
    )
    assert status == 1
    assert "error [min_age]" in err


def test_check_over_a_cohort_counts_patients() -> None:
    import numpy as np

    cohort = Patient(
        height=Q_(np.array([65.0, 150.0]), "cm"),
        weight=Q_(np.array([7.0, 40.0]), "kg"),
        age=Q_(np.array([0.5, 12.0]), "year"),
    )
    findings = dosing.check(dosing.get_regimen("inotuzumab-cycle-1").expand(cohort))
    assert [f.code for f in findings] == ["min_age"]
    assert "patients: 1 of 2" in findings[0].message
