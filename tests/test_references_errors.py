"""The citation catalogue and the error hierarchy."""

from __future__ import annotations

import re

import pytest

import dosing
from dosing import errors
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
