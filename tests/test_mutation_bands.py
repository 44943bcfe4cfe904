"""Tests for the survivors of mutation testing of the band tables (issue 16, item 4).

Covers ``dosing.policy.bands`` as mutmut measured it on the full suite at 715efdc (132 survivors):
the lookup's snap to a boundary at its exact edge, the validator's refusals (their exact
message, argument, value and shown value), the tolerance at its exact edge, the file reader's
fields and printed columns, the generator's arguments, its start and stop at the range's ends
and its band limit, the shipped tables' reader, and ``check_product``. The survivors judged
equivalent, with their reasons, are listed in docs/testing.md.

Expected messages are the documented form ``argument=value reason; fix`` written out by hand
from each refusal's reason; expected numbers are hand arithmetic shown beside them.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np
import pytest

from dosing import Q_, DomainError, UnitsError, UnknownKeyError
from dosing._limits import MAX_FILE_BYTES
from dosing.policy import bands as bands_module
from dosing.policy.bands import (
    BAND_TABLES,
    build_table,
    check_product,
    load_band_table,
    make_band_table,
)
from dosing.products import presentation
from dosing.units import MAX_QUANTITY_TEXT, ureg
from tests.fuzzing import BAND_ARGUMENTS

NHS_FILE = resources.files("dosing") / "data/bands/nhs-1mg-ml-vincristine.toml"
FLUDARABINE_FILE = resources.files("dosing") / "data/bands/example-fludarabine-25mg-ml.toml"


def refused(kind: type[Exception], call: Callable[[], object]) -> Any:
    """The error ``call`` raises, checked to be of ``kind``."""
    with pytest.raises(kind) as info:
        call()
    return info.value


def table(**changes: Any) -> Any:
    """``build_table`` of the fuzzing module's two-band table, with ``changes``."""
    return build_table(**{**BAND_ARGUMENTS, **changes})


def table_file(tmp_path: pathlib.Path, rows: list[str], **fields: str) -> pathlib.Path:
    """A band-table file of ``rows`` (TOML arrays) with the required fields, and ``fields``."""
    head = {
        "format": "1",
        "key": '"test"',
        "agent": '"vincristine"',
        "unit": '"mg"',
        "tolerance": "0.06",
        "boundary": '"A"',
        "version": '"1"',
    }
    head.update(fields)
    lines = [f"{name} = {value}" for name, value in head.items()]
    path = tmp_path / "table.toml"
    path.write_text("\n".join([*lines, "bands = [", *rows, "]"]) + "\n", encoding="utf-8")
    return path


# -- the lookup: the snap to a boundary, at its exact edge ----------------------------------------


def test_a_dose_exactly_at_the_boundary_snap_is_at_the_boundary() -> None:
    # A dose within 1e-9 (relative, inclusive) of a boundary is at it. 1.862645149230957 × 1e-9
    # is exactly 2^-29 in floats, and the dose 2^-29 below (or above) the boundary is exactly
    # that far from it, so the dose is at the snap's edge.
    edge = 1.862645149230957
    assert 1e-9 * edge == 2.0**-29
    below, above = edge - 2.0**-29, edge + 2.0**-29
    assert (edge - below, above - edge) == (2.0**-29, 2.0**-29)
    rows = {"lower": [1.8, edge], "upper": [edge, 1.95], "dose": [1.83, 1.9]}
    # rule A: a dose at the boundary goes to the band above (1.9 mg), not the one below (1.83)
    assert table(**rows).band_for(Q_(below, "mg")) == Q_(1.9, "mg")
    # rule B (no To (B) column): a dose at the boundary goes to the band below
    assert table(**rows, boundary="B").band_for(Q_(above, "mg")) == Q_(1.83, "mg")


def test_a_tables_first_from_is_inside_however_narrow_its_band() -> None:
    # One band from 1 mg to 1.0000000001 mg (narrower than the snap): rule A's From >= 1 mg
    # holds 1 mg itself; the table's far end must not pull it out.
    narrow = table(lower=[1.0], upper=[1.0000000001], dose=[1.0])
    assert narrow.band_for(Q_(1.0, "mg")) == Q_(1.0, "mg")


# -- the validator's refusals --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["key", "version", "source", "note"])
def test_build_table_names_each_text_field_it_refuses(name: str) -> None:
    error = refused(DomainError, lambda: table(**{name: 1}))
    assert (error.argument, error.value) == (f"table.{name}", 1)
    assert str(error) == f"table.{name}=1 must be text"


def test_a_table_in_a_unit_of_volume_is_refused_naming_the_unit() -> None:
    error = refused(UnitsError, lambda: table(unit="mL"))
    assert (error.argument, error.value) == ("table.unit", ureg.Unit("mL"))
    assert str(error) == (
        "table.unit=<Unit('milliliter')> is mL; band tables are in a unit of mass such as mg"
    )


def test_bands_that_are_not_numbers_are_refused_in_words() -> None:
    error = refused(DomainError, lambda: table(lower=["a", "b"]))
    assert str(error) == "table.bands must hold positive, finite doses only"


def test_bands_of_unequal_columns_are_refused_in_words() -> None:
    error = refused(DomainError, lambda: table(dose=[1.05]))
    assert str(error) == (
        "table.bands has 2 lower boundaries, 2 upper ones and 1 doses; each band needs one of each"
    )


def test_a_band_out_of_order_names_the_band_just_before_it() -> None:
    # Band 2 starts at 1.05 mg, below band 1 (from 1.1 mg); band 0 (from 1.0 mg) is not the one
    # before it.
    rows = {"lower": [1.0, 1.1, 1.05], "upper": [1.1, 1.2, 1.3], "dose": [1.05, 1.15, 1.2]}
    error = refused(DomainError, lambda: table(**rows))
    assert (error.argument, error.value) == ("table.bands[2]", 1.05)
    assert str(error) == (
        "table.bands[2]=1.05 is not in order: it starts at 1.05 mg, at or below the band before "
        "it (1.1 mg); list the bands from the lowest dose up"
    )


def test_two_bands_may_give_the_same_dose() -> None:
    # Band doses never fall; equal is not falling. 1.01 mg for 1.00 to 1.04 mg, split at 1.02:
    # variances (1.01 − 1)/1 = +1% and (1.01 − 1.04)/1.04 = −2.9%, within 6%.
    rows = {"lower": [1.0, 1.02], "upper": [1.02, 1.04], "dose": [1.01, 1.01]}
    split = table(**rows)
    assert split.band_for(Q_(1.03, "mg")) == Q_(1.01, "mg")


def test_a_variance_exactly_at_the_tolerances_float_slack_is_within_it() -> None:
    # The tolerance is compared with its 1e-9 relative slack: a band whose worst variance
    # equals tolerance × (1 + 1e-9) exactly is within it (and needs no acceptance). One band of
    # 1.0 to 1.2 mg with dose 1.1: worst variance |1.1 − 1.0| / 1.0 = 0.10000000000000009; the
    # tolerance is the float whose product with (1 + 1e-9) is that variance.
    worst = (1.1 - 1.0) / 1.0
    assert abs((1.1 - 1.2) / 1.2) < worst
    tolerance = 0.10000000000000009 / (1 + 1e-9)
    while tolerance * (1 + 1e-9) < worst:
        tolerance = float(np.nextafter(tolerance, 1.0))
    assert tolerance * (1 + 1e-9) == worst  # the exact edge
    rows = {"lower": [1.0], "upper": [1.2], "dose": [1.1], "tolerance": tolerance}
    edge = table(**rows, accept_out_of_tolerance="not needed")
    assert (edge.worst_variance, edge.accepted) == (worst, None)
    assert table(**rows).band_for(Q_(1.1, "mg")) == Q_(1.1, "mg")


def test_at_a_tie_of_the_worst_variance_the_message_names_the_bands_lower_end() -> None:
    # 1.5 mg for 1 to 3 mg: (1.5 − 1)/1 = +50% and (1.5 − 3)/3 = −50%, the same size; the
    # message names the band's start, 1 mg, where its variance is first that large.
    error = refused(DomainError, lambda: table(lower=[1.0], upper=[3.0], dose=[1.5]))
    assert str(error).startswith(
        "table.bands[0]=(1.0, 3.0, 1.5) gives 1.5 mg for a calculated dose of 1 mg, a variance "
        "of 50.00%, outside the table's tolerance of 6.00%"
    )


def test_an_unknown_product_of_a_table_is_named_as_the_tables_field() -> None:
    error = refused(UnknownKeyError, lambda: table(product="nope"))
    assert error.argument == "table.product['vincristine']"
    assert str(error) == (
        "table.product['vincristine']='nope' is not known; use one of: "
        "'vincristine-1mg-ml-1ml', 'vincristine-1mg-ml-2ml'"
    )


def test_a_concentration_other_than_the_products_is_refused_carrying_it() -> None:
    given = Q_(2, "mg/mL")  # vincristine-1mg-ml-2ml is 1 mg/mL
    error = refused(
        DomainError, lambda: table(product="vincristine-1mg-ml-2ml", concentration=given)
    )
    assert (error.argument, error.value, error.shown) == ("table.concentration", given, "2 mg/mL")


def test_a_tables_arrays_are_read_only() -> None:
    # A table validated once cannot be changed under its guarantees by writing to its arrays.
    made = table()
    for array in (made._lower, made._upper, made._dose):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 100.0
    assert made.band_for(Q_(1.0, "mg")) == Q_(1.05, "mg")


# -- the file reader -----------------------------------------------------------------------------


def test_a_path_that_is_not_one_is_refused_carrying_it() -> None:
    error = refused(DomainError, lambda: load_band_table(12))  # type: ignore[arg-type]
    assert (error.argument, error.value, error.shown) == ("path", 12, "12")
    assert str(error) == "path=12 must be the path of a band-table file"


def test_a_fields_refusal_names_the_file_and_the_field(tmp_path: pathlib.Path) -> None:
    path = table_file(tmp_path, ["[1.0, 1.1, 1.05],"], example='"yes"')
    error = refused(DomainError, lambda: load_band_table(path))
    assert (error.argument, error.value) == (f"{path}: example", str(path))
    assert error.reason == "must be true or false, not 'yes'"
    assert str(error) == f"{path}: example: must be true or false, not 'yes'"


@pytest.mark.parametrize(
    ("field", "written", "message"),
    [
        ("version", "[1]", "must be text, not [1]"),
        ("source", "1", "must be text, not 1"),
        ("note", "true", "must be text, not True"),
        ("references", '"x"', "must be a list of citation keys, not 'x'"),
        ("columns", '"from"', "must be a list of column names, not 'from'"),
    ],
)
def test_each_malformed_field_is_refused_naming_it(
    tmp_path: pathlib.Path, field: str, written: str, message: str
) -> None:
    path = table_file(tmp_path, ["[1.0, 1.1, 1.05],"], **{field: written})
    error = refused(DomainError, lambda: load_band_table(path))
    assert (error.argument, error.reason) == (f"{path}: {field}", message)


@pytest.mark.parametrize(
    ("written", "version"),
    [("999999999999999999", "999999999999999999"), ("1.1", "1.1"), ('"2"', "2")],
)
def test_a_version_may_be_a_number_below_10_to_the_18(
    tmp_path: pathlib.Path, written: str, version: str
) -> None:
    path = table_file(tmp_path, ["[1.0, 1.1, 1.05],"], version=written)
    assert load_band_table(path).version == version


@pytest.mark.parametrize(
    ("written", "shown"),
    [("1000000000000000000", "1000000000000000000"), ("inf", "inf"), ("nan", "nan")],
)
def test_a_version_of_10_to_the_18_or_not_finite_is_refused(
    tmp_path: pathlib.Path, written: str, shown: str
) -> None:
    path = table_file(tmp_path, ["[1.0, 1.1, 1.05],"], version=written)
    error = refused(DomainError, lambda: load_band_table(path))
    assert (error.argument, error.reason) == (f"{path}: version", f"must be text, not {shown}")


def test_an_ambiguous_agent_is_refused_naming_the_agent_field(tmp_path: pathlib.Path) -> None:
    path = table_file(tmp_path, ["[1.0, 1.1, 1.05],"], agent='"ATG"')
    error = refused(DomainError, lambda: load_band_table(path))
    assert error.argument == f"{path}: agent"
    assert str(error).startswith(f"{path}: agent: ")


def test_an_unreadable_concentration_is_refused_carrying_it(tmp_path: pathlib.Path) -> None:
    path = table_file(tmp_path, ["[1.0, 1.1, 1.05],"], concentration='"abc"')
    error = refused(UnitsError, lambda: load_band_table(path))
    assert (error.argument, error.value) == (f"{path}: concentration", "abc")


def test_a_tables_concentration_is_read_from_its_file() -> None:
    # The NHS file says concentration = "1 mg/mL" and names no product.
    nhs = load_band_table(NHS_FILE)  # type: ignore[arg-type]
    assert nhs.product is None
    assert nhs.concentration == Q_(1, "mg/mL")


def test_a_unit_of_200_characters_is_read_and_one_of_201_refused() -> None:
    assert MAX_QUANTITY_TEXT == 200
    assert table(unit="mg" + " " * 198).band_for(Q_(1.0, "mg")) == Q_(1.05, "mg")
    long = "mg" + " " * 199
    error = refused(UnitsError, lambda: table(unit=long))
    assert (error.argument, error.value) == ("table.unit", long)


def test_a_printed_to_b_may_differ_by_float_noise_up_to_1e_9_of_to_a(
    tmp_path: pathlib.Path,
) -> None:
    # To (A) 2.0 less the resolution 1.0 is To (B) 1.0; a printed 1.0000000015 is within
    # 1e-9 × 2.0 = 2e-9 of it, and 1.0000000025 is not. (1.4 mg for 1 to 2 mg: +40%, −30%.)
    fields = {"columns": '["from", "to", "to_b", "dose"]', "resolution": "1.0"}
    fields["tolerance"] = "0.45"
    near = table_file(tmp_path, ["[1.0, 2.0, 1.0000000015, 1.4],"], **fields)
    assert load_band_table(near).band_for(Q_(1.5, "mg")) == Q_(1.4, "mg")
    far = table_file(tmp_path, ["[1.0, 2.0, 1.0000000025, 1.4],"], **fields)
    error = refused(DomainError, lambda: load_band_table(far))
    assert error.argument == f"{far}: bands[0]"


def test_a_printed_variance_within_1e_9_of_the_computed_one_is_accepted(
    tmp_path: pathlib.Path,
) -> None:
    # 1 mg for 1 to 1.05 mg: variance below (1 − 1)/1 = 0%, above (1 − 1.05)/1.05 = −4.76%,
    # printed −5. A printed 0.0000000005% below is 0% to within 1e-9; 0.000000002% is not.
    fields = {"columns": '["from", "to", "dose", "below", "above"]'}
    near = table_file(tmp_path, ["[1.0, 1.05, 1.0, 5e-10, -5],"], **fields)
    assert load_band_table(near).band_for(Q_(1.0, "mg")) == Q_(1.0, "mg")
    far = table_file(tmp_path, ["[1.0, 1.05, 1.0, 2e-9, -5],"], **fields)
    error = refused(DomainError, lambda: load_band_table(far))
    assert error.argument == f"{far}: bands[0]"


# -- the shipped tables' reader ------------------------------------------------------------------


class _Entry:
    """A packaged file on a platform whose locale encoding is not UTF-8: read without a named
    encoding, its bytes are decoded as Latin-1. Entries cannot be compared (as a zip's)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self.name = path.name

    def read_text(self, encoding: str | None = None) -> str:
        return self.path.read_bytes().decode(encoding or "latin-1")


class _Folder:
    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder

    def joinpath(self, name: str) -> _Folder:
        assert name == "data/bands"
        return self

    def iterdir(self) -> list[_Entry]:
        return [_Entry(path) for path in sorted(self.folder.iterdir(), reverse=True)]


def _package(monkeypatch: pytest.MonkeyPatch, folder: Any) -> None:
    class Files:
        @staticmethod
        def files(package: str) -> Any:
            assert package == "dosing"
            return folder

    monkeypatch.setattr(bands_module, "resources", Files)


def test_the_shipped_tables_are_read_as_utf8_in_name_order(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for packaged in (NHS_FILE, FLUDARABINE_FILE):
        (tmp_path / packaged.name).write_bytes(packaged.read_bytes())
    _package(monkeypatch, _Folder(tmp_path))
    tables = bands_module._shipped()
    assert tuple(tables) == ("example-fludarabine-25mg-ml", "nhs-1mg-ml-vincristine")
    # the NHS source's en dash, read as UTF-8 whatever the platform's encoding
    assert (
        "National Dose Banding Table – Single Container" in tables["nhs-1mg-ml-vincristine"].source
    )


def test_the_shipped_registry_names_itself_and_its_argument() -> None:
    tables = bands_module._shipped()  # called again, so that its own code runs under test
    assert repr(tables) == "BAND_TABLES(example-fludarabine-25mg-ml, nhs-1mg-ml-vincristine)"
    error = refused(UnknownKeyError, lambda: tables["nope"])
    assert error.argument == "band_table"


def test_a_shipped_file_of_the_size_limit_is_read_and_one_longer_refused(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "data" / "bands"
    folder.mkdir(parents=True)
    text = NHS_FILE.read_text(encoding="utf-8")
    padded = text + "#" + "x" * (MAX_FILE_BYTES - len(text) - 2) + "\n"
    assert len(padded) == MAX_FILE_BYTES == 1_000_000
    path = folder / "nhs-1mg-ml-vincristine.toml"
    path.write_text(padded, encoding="utf-8")
    _package(monkeypatch, tmp_path)
    assert len(bands_module._shipped()["nhs-1mg-ml-vincristine"].bands) == 49
    path.write_text(padded + "#", encoding="utf-8")
    error = refused(DomainError, bands_module._shipped)
    assert str(error) == (
        "data/bands/nhs-1mg-ml-vincristine.toml: cannot be read: 1000001 characters, more than "
        "the 1000000 allowed"
    )


# -- the generator -------------------------------------------------------------------------------


def test_the_generators_arguments_are_named_in_its_refusals() -> None:
    def make(**changes: Any) -> Any:
        arguments = {"low": Q_(1, "mg"), "high": Q_(2, "mg"), "increment": Q_(0.1, "mg")}
        return make_band_table("vincristine", **{**arguments, **changes}, tolerance=0.06)

    for name in ("low", "high", "resolution"):
        error = refused(UnitsError, lambda name=name: make(**{name: 1.0}))
        assert (error.argument, str(error)[: len(name) + 16]) == (name, f"{name}=1.0 has no unit")
    error = refused(UnknownKeyError, lambda: make(product="nope"))
    assert error.argument == "product['vincristine']"


def test_a_volume_resolution_without_a_product_names_the_agents_products() -> None:
    error = refused(
        DomainError,
        lambda: make_band_table(
            "fludarabine",
            Q_(20, "mg"),
            Q_(80, "mg"),
            tolerance=0.06,
            increment=Q_(0.1, "mg"),
            resolution=Q_(0.01, "mL"),
        ),
    )
    assert error.argument == "resolution"
    assert str(error) == (
        "resolution=0.01 mL is a volume; name the fludarabine product whose concentration "
        "converts it, or give a mass; product='fludarabine-25mg-ml-2ml' (or one of "
        "'fludarabine-25mg-ml-2ml', 'fludarabine-fludara-50mg')"
    )


def test_a_dose_exactly_at_the_tolerance_below_low_leaves_no_room_above_it() -> None:
    # low 4 mg, 25%, increment 3 mg: D = ⌊4 × 1.25 = 5⌋ on 3 mg = 3 mg, exactly 4 × 0.75: within
    # the tolerance at 4 mg, but U = ⌊3 / 0.75 = 4⌋ = 4 mg: the band cannot reach above 4 mg.
    error = refused(
        DomainError,
        lambda: make_band_table(
            "vincristine", Q_(4, "mg"), Q_(8, "mg"), tolerance=0.25, increment=Q_(3, "mg")
        ),
    )
    assert str(error) == (
        "increment=3 mg is too coarse for a 25% tolerance just above 4 mg: no multiple of 3 mg "
        "covers the next 0.01 mg step of the boundaries; use a finer increment, or a finer "
        "resolution for the boundaries"
    )


def test_a_rule_a_table_goes_on_past_a_band_ending_at_the_snap_above_high() -> None:
    # 20%, increment 8e-7 mg, boundaries on 1e-7 mg, from 666.6666674 mg:
    #   D = ⌊666.6666674 × 1.2 = 800.00000088⌋ on 8e-7 = 800.0000008; U = 800.0000008 / 0.8 =
    #   1000.000001 = 1000 × (1 + 1e-9): high = 1000 mg is within the snap of that boundary, so
    #   it is at it, and with rule A in the band above: D = ⌊1000.000001 × 1.2 = 1200.0000012⌋
    #   on 8e-7 = 1200.0000008 mg.
    made = make_band_table(
        "vincristine",
        Q_(666.6666674, "mg"),
        Q_(1000, "mg"),
        tolerance=0.2,
        increment=Q_(8e-7, "mg"),
        resolution=Q_(1e-7, "mg"),
    )
    assert [band.upper.magnitude for band in made.bands] == [1000.000001, 1500.000001]
    assert made.band_for(Q_(1000, "mg")) == Q_(1200.0000008, "mg")


def test_a_rule_b_table_stops_at_the_band_whose_end_is_within_the_snap_below_high() -> None:
    # 20%, increment 1e-7 mg, boundaries on 1e-6 mg, rule B, from 444.4444445 mg (floored to
    # 444.444444, more than the snap below it):
    #   D = ⌊444.444444 × 1.2 = 533.3333328⌋ = 533.3333328; U = 533.3333328 / 0.8 = 666.666666
    #   D = ⌊666.666666 × 1.2 = 799.9999992⌋ = 799.9999992; U = 799.9999992 / 0.8 = 999.999999
    # 999.999999 = 1000 × (1 − 1e-9): high = 1000 mg is at that boundary, in the band below it
    # (rule B), so the table ends there: two bands, not a third from 999.999999 mg.
    made = make_band_table(
        "vincristine",
        Q_(444.4444445, "mg"),
        Q_(1000, "mg"),
        tolerance=0.2,
        increment=Q_(1e-7, "mg"),
        resolution=Q_(1e-6, "mg"),
        boundary="B",
    )
    assert [(b.lower.magnitude, b.upper.magnitude) for b in made.bands] == [
        (444.444444, 666.666666),
        (666.666666, 999.999999),
    ]
    assert made.band_for(Q_(1000, "mg")) == Q_(799.9999992, "mg")
    assert made.band_for(Q_(444.4444445, "mg")) == Q_(533.3333328, "mg")


def test_the_generator_allows_its_band_limit_and_refuses_one_band_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # From 1 mg, 6%, increment 0.1 mg, boundaries on 0.001 mg:
    #   [1.000, 1.063) 1.0 mg (⌊1.06⌋ = 1.0, 1.0 / 0.94 = 1.0638)
    #   [1.063, 1.170) 1.1 mg (⌊1.12678⌋ = 1.1, 1.1 / 0.94 = 1.1702)
    #   [1.170, 1.276) 1.2 mg (⌊1.2402⌋ = 1.2, 1.2 / 0.94 = 1.2766)
    #   [1.276, 1.382) 1.3 mg
    # Up to 1.2 mg takes three bands, up to 1.3 mg four. With a limit of three bands:
    monkeypatch.setattr(bands_module, "_MAX_BANDS", 3)

    def make(high: float) -> Any:
        return make_band_table(
            "vincristine", Q_(1, "mg"), Q_(high, "mg"), tolerance=0.06, increment=Q_(0.1, "mg")
        )

    assert [band.upper.magnitude for band in make(1.2).bands] == [1.063, 1.17, 1.276]
    error = refused(DomainError, lambda: make(1.3))
    assert str(error) == "increment gives more than 3 bands from 1 to 1.3 mg"


def test_the_generators_own_bands_are_refused_under_its_name() -> None:
    # Bands past the largest float (1.7e308 mg at 40%) cannot be written as doses.
    error = refused(
        DomainError,
        lambda: make_band_table(
            "vincristine",
            Q_(1e307, "mg"),
            Q_(1.7e308, "mg"),
            tolerance=0.4,
            increment=Q_(1e306, "mg"),
        ),
    )
    assert str(error) == "make_band_table.bands must hold positive, finite doses only"


def _rule_b_vincristine(**resolution: object) -> object:
    """Rule B bands of vincristine, 100 to 120 mg, within 6%, doses in 0.1 mg steps."""
    return make_band_table(
        "vincristine",
        Q_(100, "mg"),
        Q_(120, "mg"),
        tolerance=0.06,
        increment=Q_(0.1, "mg"),
        boundary="B",
        **resolution,  # type: ignore[arg-type]
    )


def test_a_rule_b_table_on_a_grid_finer_than_the_snap_holds_its_low() -> None:
    # Boundaries on 1e-7 mg, finer than the lookup's snap at 100 mg (1e-9 × 100 = 1e-7 mg): one
    # grid step below 100 mg (99.9999999) is within the snap, so 100 mg would be read as that
    # boundary and left out of the band (lower, upper]. The first band must start more than the
    # snap below low. Its dose: the largest multiple of 0.1 mg within 6% above a start just
    # under 100 mg (under 106 mg): 105.9 mg, +5.9% at 100 mg.
    made = _rule_b_vincristine(resolution=Q_(1e-7, "mg"))
    assert made.band_for(Q_(100, "mg")) == Q_(105.9, "mg")
    assert made.band_for(Q_(120, "mg")).m_as("mg") > 0
    # The start: the first edge twice the snap below low, 100 ÷ (1 + 2e-9) = 99.99999980000000040
    # mg, floored to the 1e-7 mg grid: 99.9999998 mg (three snaps would give 99.9999997).
    assert made.bands[0].lower.m_as("mg") == 99.9999998
    # On the default grid, two powers of ten below the 0.1 mg increment (0.001 mg), it floors to
    # one step below 100 mg: 99.999 mg.
    coarse = _rule_b_vincristine()
    assert coarse.bands[0].lower.m_as("mg") == 99.999
    assert coarse.band_for(Q_(100, "mg")) == Q_(105.9, "mg")


# -- check_product -------------------------------------------------------------------------------


def test_check_product_refusals_carry_the_product_as_given() -> None:
    fludarabine = BAND_TABLES["example-fludarabine-25mg-ml"]  # for fludarabine-25mg-ml-2ml
    other = presentation("fludarabine", "fludarabine-fludara-50mg")
    error = refused(DomainError, lambda: check_product(fludarabine, other, "products"))
    assert (error.argument, error.value, error.shown) == (
        "products",
        "fludarabine-fludara-50mg",
        "'fludarabine-fludara-50mg'",
    )
    cytarabine = build_table(
        **{**BAND_ARGUMENTS, "agent": "cytarabine", "concentration": Q_(100, "mg/mL")}
    )
    weaker = presentation("cytarabine", "cytarabine-20mg-ml-5ml")  # 20 mg/mL
    error = refused(DomainError, lambda: check_product(cytarabine, weaker, "products"))
    assert (error.argument, error.value, error.shown) == (
        "products",
        "cytarabine-20mg-ml-5ml",
        "'cytarabine-20mg-ml-5ml'",
    )
    assert str(error).startswith(
        "products='cytarabine-20mg-ml-5ml' is cytarabine-20mg-ml-5ml at 20 mg/mL, but the band "
        "table k is for 100 mg/mL"
    )


def _vincristine(**given: object) -> object:
    arguments: dict[str, object] = {
        "low": Q_(1, "mg"),
        "high": Q_(2, "mg"),
        "tolerance": 0.06,
        "increment": Q_(0.1, "mg"),
        **given,
    }
    low, high = arguments.pop("low"), arguments.pop("high")
    return make_band_table("vincristine", low, high, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["low", "high"])
def test_a_band_tables_low_or_high_must_be_one_computable_mass(name: str) -> None:
    pair = Q_(np.array([1.0, 2.0]), "mg")
    error = refused(DomainError, lambda: _vincristine(**{name: pair}))
    assert (error.argument, error.value) == (name, pair)
    assert str(error) == f"{name}={pair!r} must be one mass, not an array"
    huge = Q_(10**400, "mg")
    error = refused(UnitsError, lambda: _vincristine(**{name: huge}))
    assert error.argument == name
    assert str(error).startswith(f"{name}=<Quantity(1000")


def test_a_band_tables_increment_is_read_and_refused_by_name() -> None:
    error = refused(UnitsError, lambda: _vincristine(increment=5))
    assert str(error) == "increment=5 has no unit; write increment=Q_(5, 'mg')"
    assert (error.value, error.shown) == (5, "5")
    forty_digits = 10**39  # shown whole up to 39 characters, then "..."
    error = refused(UnitsError, lambda: _vincristine(increment=forty_digits))
    assert error.fix_text == "write increment=Q_(..., 'mg')"
    error = refused(UnitsError, lambda: _vincristine(increment="0.1 parsnips"))
    assert str(error).startswith("increment='0.1 parsnips' cannot be read: ")
    assert error.fix_text == 'write increment=Q_(..., "mg")'
    pair = Q_(np.array([0.1, 0.2]), "mg")
    error = refused(DomainError, lambda: _vincristine(increment=pair))
    assert str(error) == f"increment={pair!r} must be one amount, not an array"
    assert error.value is pair
    masked = Q_(np.ma.masked_array(0.1), "mg")  # nothing masked: refused all the same
    error = refused(UnitsError, lambda: _vincristine(increment=masked))
    assert "has a masked array as its magnitude" in str(error)
