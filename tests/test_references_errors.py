"""The citation catalogue and the error hierarchy."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import dosing
from dosing import Q_, DomainError, errors
from dosing.references import REFERENCES, Reference, get_reference


def test_every_reference_is_complete() -> None:
    for key, ref in REFERENCES.items():
        assert ref.key == key
        assert ref.authors and ref.title and ref.source
        assert ref.year is None or 1900 <= ref.year <= 2026
        if ref.doi:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", ref.doi), key
        if ref.pmid:
            assert ref.pmid.isdigit(), key


def test_reference_text_and_links() -> None:
    with_doi = REFERENCES["cockcroft1976"]
    assert str(with_doi).endswith("doi:10.1159/000180580")
    assert with_doi.link == "https://doi.org/10.1159/000180580"
    with_pmid = Reference("x", "A B", "T", "J. 2000", 2000, pmid="123")
    assert str(with_pmid).endswith("PMID:123")
    assert with_pmid.link == "https://pubmed.ncbi.nlm.nih.gov/123/"
    with_url = REFERENCES["clinpk"]
    assert str(with_url).endswith(with_url.url or "")
    assert with_url.link == with_url.url
    bare = REFERENCES["boyd1935"]
    assert bare.link is None
    assert str(bare).endswith("1935.")


def test_catalogue_is_read_only_and_unknown_keys_list_the_known() -> None:
    with pytest.raises(TypeError):
        REFERENCES["x"] = REFERENCES["boyd1935"]  # type: ignore[index]
    with pytest.raises(dosing.UnknownMethodError, match="reference='nope'.*'boyd1935'"):
        get_reference("nope")


def test_error_hierarchy_subclasses_the_builtins_a_caller_catches() -> None:
    assert issubclass(errors.UnitsError, errors.DosingError)
    assert issubclass(errors.UnitsError, TypeError)
    assert issubclass(errors.DomainError, ValueError)
    assert issubclass(errors.UnknownMethodError, ValueError)
    assert issubclass(errors.RegimenError, ValueError)
    for warning in (
        errors.OutsidePopulationWarning,
        errors.ImplausibleInputWarning,
        errors.UnsourcedDefaultWarning,
    ):
        assert issubclass(warning, errors.DosingWarning)


def test_regimen_error_names_file_and_field() -> None:
    err = errors.RegimenError("my.toml", "dose[1].days", "cannot read '1..'")
    assert str(err) == "my.toml: dose[1].days: cannot read '1..'"
    assert (err.file, err.field, err.reason) == ("my.toml", "dose[1].days", "cannot read '1..'")
    assert str(errors.RegimenError("my.toml", None, "not TOML")) == "my.toml: not TOML"


def test_unknown_method_error_keeps_its_parts() -> None:
    err = errors.UnknownMethodError("method", "x", ["a", "b"])
    assert err.valid == ("a", "b")
    assert str(err) == "method='x' is not known; use one of: 'a', 'b'"


def test_public_api_is_curated() -> None:
    for name in dosing.__all__:
        assert hasattr(dosing, name), name
    assert dosing.__version__


def test_unknown_method_error_is_the_unknown_key_error() -> None:
    assert errors.UnknownMethodError is errors.UnknownKeyError
    assert dosing.UnknownMethodError is dosing.UnknownKeyError


def test_a_citation_ends_each_part_with_one_full_stop() -> None:
    text = str(REFERENCES["storb1986"])  # authors "Storb R, Deeg HJ, Whitehead J, et al."
    assert "et al.. " not in text
    assert text.startswith("Storb R, Deeg HJ, Whitehead J, et al. Methotrexate and cyclosporine")
    assert ".." not in "".join(str(ref) for ref in REFERENCES.values())


BAD_CALLS = [
    (lambda: dosing.bsa(150, Q_(40, "kg")), errors.UnitsError, "height", 150),
    (lambda: dosing.bsa(Q_(150, "cm"), Q_(40, "cm")), errors.UnitsError, "weight", None),
    (lambda: dosing.Patient(height=Q_(150, "cm"), weight=Q_(4000, "kg")), DomainError, "weight"),
    (lambda: dosing.Patient(height=Q_(150, "cm")), DomainError, "Patient"),
    (lambda: dosing.Policy(rounding={"*": 0.1}), errors.UnitsError, "rounding['*']", 0.1),
    (lambda: dosing.Policy(dose_factors={"melphalan": 1.2}), DomainError, "dose_factors"),
    (lambda: dosing.Policy(bsa_method="nope"), errors.UnknownKeyError, "bsa_method", "nope"),
    (lambda: dosing.Policy(renal="nope"), errors.UnknownKeyError, "renal", "nope"),
    (lambda: dosing.get_regimen("nope"), errors.UnknownKeyError, "regimen", "nope"),
    (lambda: dosing.InfantRule(below_weight=Q_(10, "kg"), divisor=0), DomainError, "divisor", 0),
    (lambda: dosing.DosingWeight("lean"), errors.UnknownKeyError, "dosing_weight", "lean"),  # type: ignore[arg-type]
    (
        lambda: dosing.get_regimen("rabbit-atg").expand(dosing.Patient(bsa=Q_(1.29, "m**2"))),
        DomainError,
        "weight",
        None,
    ),
    (
        lambda: dosing.get_regimen("flu-arac-mel-ric").expand(
            dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg")),
            transplant_date=dt.date(1, 1, 3),
        ),
        DomainError,
        "transplant_date",
        dt.date(1, 1, 3),
    ),
    (
        lambda: dosing.get_regimen("flu-arac-mel-ric").expand(
            dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg")), cycle_start="2026-01-01"
        ),
        DomainError,
        "cycle_start",
        "2026-01-01",
    ),
]


@pytest.mark.parametrize("case", BAD_CALLS, ids=lambda case: f"{case[1].__name__}-{case[2]}")
def test_every_error_carries_its_argument_value_and_fix(case: tuple[object, ...]) -> None:
    call, kind, argument = case[0], case[1], case[2]
    with pytest.raises(kind) as info:
        call()  # type: ignore[operator]
    error = info.value
    assert isinstance(error, errors.DosingError)
    assert error.argument is not None
    assert error.argument.startswith(argument)  # type: ignore[arg-type]
    assert argument in str(error)  # the message names the argument
    assert error.reason
    if len(case) > 3 and case[3] is not None:
        assert error.value == case[3]
    assert error.fix is not None or isinstance(error, DomainError)


def test_an_example_reads_as_python_and_a_missing_input_says_give() -> None:
    error = errors.DosingError(
        "is missing",
        argument="weight",
        value=None,
        fix=errors.Example({"weight": Q_(40, "kg")}, call="Patient", verb="give"),
    )
    assert str(error) == 'weight=None is missing; give Patient(weight=Q_(40, "kg"))'
    assert error.fix_text == 'give Patient(weight=Q_(40, "kg"))'


def test_an_argument_mentioned_in_a_reason_reads_as_name_equals_value() -> None:
    error = errors.DomainError(
        "would move the dose by 50%, more than {limit}",
        argument="rounding['*']",
        value=Q_(1, "mg"),
        fix="give {step} instead",
        mentions={"limit": 0.1, "step": errors.NO_VALUE},
    )
    assert str(error) == (
        "rounding['*']=1 mg would move the dose by 50%, more than limit=0.1; give step= instead"
    )
    assert error.filled("{limit}", lambda name, value: f"--{name} {value}") == "--limit 0.1"
    assert repr(errors.NO_VALUE) == "NO_VALUE"
    assert not errors.NO_VALUE


def test_an_unused_policy_warning_names_the_field_the_agent_and_the_regimen() -> None:
    child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    with pytest.warns(dosing.UnusedPolicyWarning) as caught:
        dosing.get_regimen("rabbit-atg").expand(
            child, policy=dosing.Policy(dose_factors={"fludarbine": 0.8})
        )
    warning = caught[0].message
    assert isinstance(warning, errors.UnusedPolicyWarning)
    assert warning.unused == (("dose_factors", "fludarbine", "fludarbine"),)
    assert warning.regimen == "rabbit-atg"
    assert str(warning).startswith("the policy's dose_factors['fludarbine'] names 'fludarbine'")
