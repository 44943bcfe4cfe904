"""Dose banding: tables as data, one validating loader, the generator, and the policy step.

Expected values come from the NHS England national dose-banding table (single container, raw
material 1 mg/mL; copy at docslib.org, cited as ``nhs-banding-1mg-ml-single-container``) and from
hand arithmetic shown inline. Tests are named after the guarantee they prove.
"""

from __future__ import annotations

import math
import pathlib
import tomllib
from importlib import resources

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dosing
from dosing import Q_, BandTable, DomainError, Patient, Policy, UnitsError, UnknownKeyError
from dosing.policy.bands import (
    BAND_TABLES,
    FORMAT_VERSION,
    build_table,
    load_band_table,
    make_band_table,
)

DATA = pathlib.Path(__file__).parent / "data"
VINCRISTINE = dosing.load_regimen(DATA / "vincristine-weekly.toml")
NHS = BAND_TABLES["nhs-1mg-ml-vincristine"]
NHS_FILE = resources.files("dosing") / "data/bands/nhs-1mg-ml-vincristine.toml"

#: Rows of the published table (From ≥, To (A) <, band dose), as printed.
NHS_ROWS = [
    (0.21, 0.23, 0.22),
    (0.29, 0.32, 0.3),
    (0.32, 0.36, 0.34),
    (1.35, 1.45, 1.4),
    (1.75, 1.90, 1.8),
    (1.90, 2.10, 2.0),
    (4.60, 5.09, 4.8),
    (15.49, 16.97, 16.0),
]


def _table_text(rows: list[str], **fields: str) -> str:
    head = {
        "format": str(FORMAT_VERSION),
        "key": '"test"',
        "agent": '"vincristine"',
        "unit": '"mg"',
        "tolerance": "0.06",
        "boundary": '"A"',
        "version": '"1"',
    }
    head.update(fields)
    lines = [f"{name} = {value}" for name, value in head.items() if value is not None]
    return "\n".join([*lines, "bands = [", *rows, "]"]) + "\n"


def _write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "table.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the published table ----------------------------------------------------------------------


@pytest.mark.parametrize(("lower", "upper", "dose"), NHS_ROWS)
def test_the_shipped_nhs_table_holds_the_published_rows(
    lower: float, upper: float, dose: float
) -> None:
    band = next(b for b in NHS.bands if b.lower.magnitude == lower)
    assert (band.upper.magnitude, band.dose.magnitude) == (upper, dose)


@pytest.mark.parametrize(
    ("calculated", "banded"),
    [
        (0.21, 0.22),  # From ≥ 0.21: the first band
        (0.229, 0.22),
        (0.23, 0.24),  # rule A: the boundary goes to the band above
        (0.33, 0.34),
        (1.425, 1.4),  # 1.5 mg/m² × 0.95 m²
        (1.899, 1.8),
        (1.9, 2.0),
        (16.96, 16.0),
    ],
)
def test_published_rows_band_as_the_table_prints(calculated: float, banded: float) -> None:
    assert NHS.band_for(Q_(calculated, "mg")).m_as("mg") == pytest.approx(banded)


def test_a_dose_outside_the_published_range_is_refused_not_clamped() -> None:
    for dose in (0.2, 16.97, 40.0):  # below From 0.21; To (A) < 16.97 excludes 16.97
        with pytest.raises(DomainError, match="outside every band"):
            NHS.band_for(Q_(dose, "mg"))
    with pytest.raises(UnitsError):
        NHS.band_for(1.4)  # a bare number is not a dose


def test_the_worst_variance_of_the_published_table_is_reported() -> None:
    # (0.34 − 0.32) / 0.32 = 6.25% and (0.30 − 0.32) / 0.32 = −6.25%: over NICE's 6%.
    assert NHS.worst_variance == pytest.approx(0.0625)
    assert NHS.tolerance == 0.06
    assert NHS.accepted is not None and "6.25%" in NHS.accepted


def test_the_published_tables_range_is_its_first_from_and_last_to() -> None:
    # NHS England's rows as read: From ≥ 0.21 mg in the first, To (A) < 16.97 mg in the last
    assert NHS.low == Q_(0.21, "mg")
    assert NHS.high == Q_(16.97, "mg")


def test_an_accepted_table_with_a_note_is_written_and_read_back_alike(
    tmp_path: pathlib.Path,
) -> None:
    text = NHS.to_toml()
    data = tomllib.loads(text)
    assert data["accept_out_of_tolerance"] == NHS.accepted
    assert data["note"] == NHS.note
    again = load_band_table(_write(tmp_path, text))
    assert again.bands == NHS.bands
    assert (again.accepted, again.note, again.worst_variance) == (
        NHS.accepted,
        NHS.note,
        NHS.worst_variance,
    )


def test_only_the_toml_files_of_the_band_folder_are_tables(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dosing.policy import bands

    folder = tmp_path / "data" / "bands"
    folder.mkdir(parents=True)
    (folder / "nhs-1mg-ml-vincristine.toml").write_text(
        NHS_FILE.read_text(encoding="utf-8"), encoding="utf-8"
    )
    (folder / "README.md").write_text("Band tables, one per file.\n", encoding="utf-8")

    class Files:
        @staticmethod
        def files(package: str) -> pathlib.Path:
            assert package == "dosing"
            return tmp_path

    monkeypatch.setattr(bands, "resources", Files)
    assert tuple(bands._shipped()) == ("nhs-1mg-ml-vincristine",)
    # a file whose key is not its name is a packaging slip, refused
    (folder / "renamed.toml").write_text(NHS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValueError, match="renamed.toml: key 'nhs-1mg-ml-vincristine'"):
        bands._shipped()


def test_the_published_table_is_refused_unless_accepted(tmp_path: pathlib.Path) -> None:
    text = NHS_FILE.read_text(encoding="utf-8")
    start = text.index("accept_out_of_tolerance")
    stripped = text[:start] + text[text.index("\n", start) + 1 :]
    with pytest.raises(DomainError, match=r"6\.25%.*tolerance of 6\.00%"):
        load_band_table(_write(tmp_path, stripped))
    table = load_band_table(_write(tmp_path, stripped), accept_out_of_tolerance="as published")
    assert table.accepted == "as published"


#: A rule-B table as published: From ≥, To (B) ≤ on a 0.01 mg grid, band dose (rows 1.35 to
#: 1.64 mg of the NHS table).
RULE_B_ROWS = ["[1.35, 1.44, 1.4],", "[1.45, 1.54, 1.5],", "[1.55, 1.64, 1.6],"]
RULE_B_FIELDS = {"boundary": '"B"', "resolution": "0.01", "columns": '["from", "to_b", "dose"]'}


@pytest.mark.parametrize(
    ("calculated", "banded"),
    [
        (1.35, 1.4),  # From ≥ 1.35: printed inside the first row
        (1.44, 1.4),  # To (B) ≤ 1.44
        (1.449, 1.4),  # read down to the 0.01 mg grid: 1.44
        (1.45, 1.5),  # From ≥ 1.45: the second row's dose
        (1.54, 1.5),
        (1.55, 1.6),
        (1.64, 1.6),  # the last To (B)
        (1.6499, 1.6),  # 1.64 on the grid
    ],
)
def test_rule_b_bands_a_to_b_table_as_its_printed_rows(
    tmp_path: pathlib.Path, calculated: float, banded: float
) -> None:
    table = load_band_table(_write(tmp_path, _table_text(RULE_B_ROWS, **RULE_B_FIELDS)))
    assert table.boundary == "B" and table.resolution == 0.01
    assert table.band_for(Q_(calculated, "mg")).m_as("mg") == banded


def test_rule_b_refuses_what_its_printed_rows_leave_out(tmp_path: pathlib.Path) -> None:
    table = load_band_table(_write(tmp_path, _table_text(RULE_B_ROWS, **RULE_B_FIELDS)))
    # 1.65 is above the last To (B) 1.64 even read down; 1.349 is below From 1.35.
    for dose in (1.65, 1.349):
        with pytest.raises(DomainError, match="outside every band"):
            table.band_for(Q_(dose, "mg"))
    assert "1.64 mg read down to 0.01 mg, rule B" in table.range_text()
    # Written and read back as To (B) with its resolution: the same bands.
    again = load_band_table(_write(tmp_path, table.to_toml()))
    assert again.bands == table.bands and again.resolution == 0.01


def test_rule_b_on_the_nhs_table_bands_as_its_printed_rows(tmp_path: pathlib.Path) -> None:
    text = NHS_FILE.read_text(encoding="utf-8").replace('boundary = "A"', 'boundary = "B"')
    table = load_band_table(_write(tmp_path, text))
    assert table.boundary == "B"
    # Printed rows: From ≥ 0.21, To (B) ≤ 0.22 → 0.22; From ≥ 0.23 → 0.24; From ≥ 1.45 → 1.5;
    # the last row To (B) ≤ 16.96 → 16.
    for calculated, banded in ((0.21, 0.22), (0.22, 0.22), (0.23, 0.24), (1.45, 1.5), (16.96, 16)):
        assert table.band_for(Q_(calculated, "mg")).m_as("mg") == banded
    for dose in (0.2, 16.97):
        with pytest.raises(DomainError, match="outside every band"):
            table.band_for(Q_(dose, "mg"))


def test_rule_b_without_a_to_b_column_sends_a_boundary_dose_to_the_band_below(
    tmp_path: pathlib.Path,
) -> None:
    rows = ["[1.0, 1.1, 1.05],", "[1.1, 1.2, 1.15],"]
    table = load_band_table(_write(tmp_path, _table_text(rows, boundary='"B"')))
    assert table.resolution is None
    assert table.band_for(Q_(1.1, "mg")).m_as("mg") == 1.05  # (1.0, 1.1] → 1.05
    assert table.band_for(Q_(1.2, "mg")).m_as("mg") == 1.15  # the top is inside with B
    with pytest.raises(DomainError):
        table.band_for(Q_(1.0, "mg"))  # and the bottom outside


def test_a_resolution_is_refused_with_rule_a() -> None:
    with pytest.raises(DomainError, match="rule 'B' only"):
        build_table(
            key="x",
            agent="vincristine",
            tolerance=0.06,
            boundary="A",
            lower=[1.0],
            upper=[1.1],
            dose=[1.05],
            unit="mg",
            version="1",
            resolution=0.01,
        )


def test_the_nhs_table_has_five_bands_over_six_percent() -> None:
    # By hand, (band dose − boundary) / boundary at the worse boundary:
    #   0.29–0.32 → 0.3:  (0.3 − 0.32) / 0.32 = −6.25%
    #   0.32–0.36 → 0.34: (0.34 − 0.32) / 0.32 = +6.25%
    #   0.44–0.49 → 0.46: (0.46 − 0.49) / 0.49 = −6.12%
    #   0.49–0.55 → 0.52: (0.52 − 0.49) / 0.49 = +6.12%
    #   5.09–5.69 → 5.4:  (5.4 − 5.09) / 5.09 = +6.09%
    expected = {(0.29, 0.32), (0.32, 0.36), (0.44, 0.49), (0.49, 0.55), (5.09, 5.69)}
    rows = tomllib.loads(NHS_FILE.read_text(encoding="utf-8"))["bands"]
    over = {
        (lower, upper)
        for lower, upper, _, dose, _, _ in rows
        if max(abs(dose - lower) / lower, abs(dose - upper) / upper) > 0.06
    }
    assert over == expected
    for text in ("0.29–0.32", "0.32–0.36", "0.44–0.49", "0.49–0.55", "5.09–5.69", "five bands"):
        assert NHS.accepted is not None and text in NHS.accepted


def test_the_nhs_rows_whose_printed_variance_is_not_normal_rounding_are_as_published() -> None:
    # The published table prints these (re-checked against the source): computed by hand
    # 0.32–0.36 → 0.34: (0.34 − 0.32)/0.32 = 6.25 printed 7, (0.34 − 0.36)/0.36 = −5.56 printed −5;
    # 0.55–0.61 → 0.58: 5.45 printed 6; 1.45–1.55 → 1.5 and 2.90–3.10 → 3: 3.45 printed 4.
    rows = {row[0]: row for row in tomllib.loads(NHS_FILE.read_text(encoding="utf-8"))["bands"]}
    assert rows[0.32][4:] == [7, -5]
    assert rows[0.55][4] == 6 and rows[1.45][4] == 4 and rows[2.90][4] == 4
    assert rows[15.49][:4] == [15.49, 16.97, 16.96, 16]  # as printed, off the 1 mg step


# -- the loader refuses a broken table ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["[1.0, 1.1, 1.05],", "[1.08, 1.2, 1.15],"], "overlaps"),
        (["[1.0, 1.1, 1.05],", "[1.12, 1.2, 1.15],"], "leaves a gap"),
        (["[1.1, 1.2, 1.15],", "[1.0, 1.1, 1.05],"], "not in order"),
        (["[1.0, 1.1, 1.05],", "[1.1, 1.2, 1.04],"], "below the band before"),
        (["[1.0, 1.0, 1.0],"], "empty or reversed"),
        (["[1.0, 1.3, 1.15],"], r"variance of 15\.00%"),  # (1.15 − 1.0) / 1.0
        ([], "no band"),
        (["[0.0, 1.0, 0.5],"], "positive"),
    ],
)
def test_the_loader_refuses_overlaps_gaps_disorder_and_out_of_tolerance_bands(
    tmp_path: pathlib.Path, rows: list[str], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        load_band_table(_write(tmp_path, _table_text(rows)))


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"format": "2"}, DomainError, "reads band-table format 1"),
        ({"colour": '"red"'}, DomainError, "unknown field"),
        ({"version": None}, DomainError, "lacks the field"),
        ({"agent": '"ATG"'}, DomainError, "more than one agent"),
        ({"unit": '"mL"'}, UnitsError, "unit of mass"),
        ({"unit": '"furlongs of"'}, UnitsError, "not a unit"),
        ({"tolerance": "1.5"}, DomainError, "fraction"),
        ({"tolerance": "true"}, DomainError, "fraction"),
        ({"boundary": '"C"'}, DomainError, "band above"),
        ({"references": '["no-such-ref"]'}, UnknownKeyError, "no-such-ref"),
        ({"product": '"cytarabine-20mg-ml-5ml"'}, DomainError, "cytarabine"),
        ({"columns": '["dose", "from", "from"]'}, DomainError, "each column once"),
        ({"columns": '["from", "dose", "colour"]'}, DomainError, "each column once"),
        ({"accept_out_of_tolerance": '"  "'}, DomainError, "reason"),
        ({"concentration": '"5 mg"'}, UnitsError, r"concentration=5 mg must be a concentration"),
    ],
)
def test_the_loader_refuses_a_malformed_file(
    tmp_path: pathlib.Path, fields: dict[str, str | None], error: type, message: str
) -> None:
    rows = ["[1.0, 1.1, 1.05],", "[1.1, 1.2, 1.15],"]
    text = _table_text(rows, **fields)  # type: ignore[arg-type]
    if fields.get("accept_out_of_tolerance"):
        text = _table_text(["[1.0, 1.3, 1.15],"], **fields)  # type: ignore[arg-type]
    with pytest.raises(error, match=message):
        load_band_table(_write(tmp_path, text))


def test_a_table_for_an_agent_the_vocabulary_does_not_know_is_kept_by_name(
    tmp_path: pathlib.Path,
) -> None:
    rows = ["[1000.0, 1100.0, 1050.0],"]
    table = load_band_table(_write(tmp_path, _table_text(rows, agent='"Gemcitabine"')))
    assert table.agent == "gemcitabine"
    assert Policy(bands={"GEMCITABINE": table}).bands["gemcitabine"] is table
    synonym = load_band_table(_write(tmp_path, _table_text(rows, agent='"Ara-C"')))
    assert synonym.agent == "cytarabine"


def test_the_loader_refuses_what_is_not_a_table(tmp_path: pathlib.Path) -> None:
    with pytest.raises(DomainError, match="cannot be read"):
        load_band_table(tmp_path / "missing.toml")
    with pytest.raises(DomainError, match="not valid TOML"):
        load_band_table(_write(tmp_path, "bands = [\n"))
    with pytest.raises(DomainError, match="rows of 3 numbers"):
        load_band_table(_write(tmp_path, _table_text(["[1.0, 1.1],"])))


def test_printed_columns_are_checked_against_the_bands(tmp_path: pathlib.Path) -> None:
    header = {"columns": '["from", "to", "dose", "to_b", "below", "above"]', "resolution": "0.01"}
    # (1.05 − 1.0) / 1.0 = 5%; (1.05 − 1.1) / 1.1 = −4.55%: printed 5 and −5 agree.
    good = ["[1.0, 1.1, 1.05, 1.09, 5, -5],"]
    # The published order, To (A) written "to_a"; or To (B) alone, To (A) = 1.09 + 0.01 = 1.1.
    for columns, row in (
        ('["from", "to_a", "to_b", "dose"]', "[1.0, 1.1, 1.09, 1.05],"),
        ('["from", "to_b", "dose"]', "[1.0, 1.09, 1.05],"),
    ):
        fields = {"columns": columns, "resolution": "0.01"}
        table = load_band_table(_write(tmp_path, _table_text([row], **fields)))
        assert table.bands[0].upper.m_as("mg") == 1.1 and table.bands[0].dose.m_as("mg") == 1.05
    assert load_band_table(_write(tmp_path, _table_text(good, **header))).bands[0].below == (
        pytest.approx(0.05)
    )
    for row, message in (
        ("[1.0, 1.1, 1.05, 1.08, 5, -5],", "To \\(B\\)"),
        ("[1.0, 1.1, 1.05, 1.09, 7, -5],", "variance below"),
        ("[1.0, 1.1, 1.05, 1.09, 5, -2],", "variance above"),
    ):
        with pytest.raises(DomainError, match=message):
            load_band_table(_write(tmp_path, _table_text([row], **header)))
    without = {"columns": header["columns"]}
    with pytest.raises(DomainError, match="resolution"):
        load_band_table(_write(tmp_path, _table_text(good, **without)))


# -- the generator -----------------------------------------------------------------------------


def test_the_generator_follows_its_rule_by_hand() -> None:
    # 25 mg/mL × 0.1 mL = 2.5 mg measurable; boundaries on a 0.01 mg grid.
    table = make_band_table(
        "Flu",
        Q_(20, "mg"),
        Q_(80, "mg"),
        tolerance=0.06,
        increment=Q_(0.1, "mL"),
        product="fludarabine-25mg-ml-2ml",
    )
    first, second = table.bands[:2]
    # D = ⌊20 × 1.06 = 21.2⌋ to 2.5 = 20; U = ⌊20 / 0.94 = 21.2766⌋ to 0.01 = 21.27.
    assert (first.lower.m_as("mg"), first.upper.m_as("mg"), first.dose.m_as("mg")) == (
        20.0,
        21.27,
        20.0,
    )
    # D = ⌊21.27 × 1.06 = 22.5462⌋ to 2.5 = 22.5; U = ⌊22.5 / 0.94 = 23.936⌋ = 23.93.
    assert (second.upper.m_as("mg"), second.dose.m_as("mg")) == (23.93, 22.5)
    assert table.agent == "fludarabine" and table.concentration == Q_(25, "mg/mL")
    assert table.bands[-1].upper.m_as("mg") > 80
    assert table.worst_variance <= 0.06
    # The worst: the band 53.19–58.51 mg → 55 mg (D = ⌊53.19 × 1.06 = 56.38⌋ to 2.5 = 55,
    # U = ⌊55 / 0.94 = 58.5106⌋ = 58.51): (55 − 58.51) / 58.51 = −5.999%.
    worst = next(b for b in table.bands if b.lower.m_as("mg") == 53.19)
    assert (worst.upper.m_as("mg"), worst.dose.m_as("mg")) == (58.51, 55.0)
    assert table.worst_variance == pytest.approx(3.51 / 58.51)


def test_the_generator_refuses_a_boundary_grid_coarser_than_low() -> None:
    # low 0.005 mg on a 0.01 mg grid reads down to 0 mg: no band can start there
    with pytest.raises(DomainError, match=r"resolution=0\.01 mg is too coarse for low=0\.005 mg"):
        make_band_table(
            "vincristine",
            Q_(0.005, "mg"),
            Q_(1, "mg"),
            tolerance=0.06,
            increment="0.001 mg",
            resolution=Q_(0.01, "mg"),
        )
    # rule B bands (lower, upper]: a low of 0.01 mg on the 0.01 mg grid starts one step below,
    # at 0.01 − 0.01 = 0 mg
    with pytest.raises(DomainError, match="too coarse for low=0.01 mg"):
        make_band_table(
            "vincristine",
            Q_(0.01, "mg"),
            Q_(1, "mg"),
            tolerance=0.06,
            increment="0.001 mg",
            resolution=Q_(0.01, "mg"),
            boundary="B",
        )


def test_the_generator_refuses_an_increment_with_no_dose_within_the_tolerance() -> None:
    # at 1.5 mg with 6%: 1.5 × 1.06 = 1.59 mg reads down to 1 mg on a 1 mg step, under
    # 1.5 × 0.94 = 1.41 mg: no multiple of 1 mg lies within 6% of 1.5 mg
    with pytest.raises(
        DomainError, match="too coarse for a 6% tolerance at 1.5 mg: no multiple of 1 mg lies"
    ):
        make_band_table(
            "vincristine", Q_(1.5, "mg"), Q_(10, "mg"), tolerance=0.06, increment="1 mg"
        )


def test_the_generator_refuses_what_cannot_meet_the_tolerance() -> None:
    with pytest.raises(DomainError, match="too coarse"):
        make_band_table("fludarabine", Q_(1, "mg"), Q_(10, "mg"), tolerance=0.06, increment="1 mg")
    with pytest.raises(DomainError, match="name the fludarabine product"):
        make_band_table(
            "fludarabine", Q_(20, "mg"), Q_(80, "mg"), tolerance=0.06, increment="0.1 mL"
        )
    with pytest.raises(UnitsError, match="no unit"):
        make_band_table("fludarabine", Q_(20, "mg"), Q_(80, "mg"), tolerance=0.06, increment=0.1)
    with pytest.raises(UnitsError, match="mass"):
        make_band_table("fludarabine", Q_(20, "mg"), Q_(80, "mg"), tolerance=0.06, increment="1 m")
    with pytest.raises(DomainError, match="fraction"):
        make_band_table("fludarabine", Q_(20, "mg"), Q_(80, "mg"), tolerance=6, increment="1 mg")
    with pytest.raises(DomainError, match="fraction"):
        make_band_table("fludarabine", Q_(20, "mg"), Q_(80, "mg"), tolerance=True, increment="1 mg")
    with pytest.raises(DomainError, match="below high"):
        make_band_table("fludarabine", Q_(80, "mg"), Q_(20, "mg"), tolerance=0.06, increment="1 mg")
    with pytest.raises(DomainError, match="positive"):
        make_band_table(
            "fludarabine", Q_(20, "mg"), Q_(80, "mg"), tolerance=0.06, increment="-1 mg"
        )
    with pytest.raises(DomainError, match="more than"):
        make_band_table(
            "fludarabine", Q_(1, "mg"), Q_(1e9, "mg"), tolerance=0.001, increment="0.0001 mg"
        )
    with pytest.raises(DomainError, match="finer resolution"):
        make_band_table(
            "fludarabine",
            Q_(20, "mg"),
            Q_(80, "mg"),
            tolerance=0.06,
            increment="0.1 mg",
            resolution=Q_(5, "mg"),
        )


def test_a_generated_table_writes_a_file_the_loader_reads_back(tmp_path: pathlib.Path) -> None:
    table = make_band_table(
        "vincristine",
        Q_(0.2, "mg"),
        Q_(2, "mg"),
        tolerance=0.05,
        increment=Q_(0.01, "mg"),
        boundary="B",
        key="my-vcr",
        version="2026-1",
    )
    loaded = load_band_table(_write(tmp_path, table.to_toml()))
    assert loaded.bands == table.bands
    assert (loaded.key, loaded.version, loaded.boundary) == ("my-vcr", "2026-1", "B")
    assert loaded.worst_variance == table.worst_variance
    assert table.band_for(Q_(0.2, "mg")) > Q_(0, "mg")  # rule B still covers low
    assert repr(table.bands[0]).startswith("Band(")
    assert table.rows()[0]["from"] == table.bands[0].lower.magnitude


@st.composite
def generated_tables(draw: st.DrawFn) -> BandTable:
    low = draw(st.floats(min_value=0.1, max_value=2000.0))
    ratio = draw(st.floats(min_value=1.2, max_value=30.0))
    tolerance = draw(st.sampled_from([0.03, 0.05, 0.06, 0.1]))
    fraction = draw(st.floats(min_value=0.05, max_value=0.9))
    # A measurable step fine enough for the tolerance at the lowest dose.
    increment = float(f"{low * tolerance * fraction:.2g}")
    assume(increment > 0)
    boundary = draw(st.sampled_from(["A", "B"]))
    return make_band_table(
        "fludarabine",
        Q_(low, "mg"),
        Q_(low * ratio, "mg"),
        tolerance=tolerance,
        increment=Q_(increment, "mg"),
        boundary=boundary,
    )


tables = st.one_of(st.sampled_from(list(BAND_TABLES.values())), generated_tables())


def _edges(table: BandTable) -> np.ndarray:
    return np.array([b.lower.magnitude for b in table.bands] + [table.bands[-1].upper.magnitude])


def _inside(table: BandTable, x: float) -> bool:
    return bool(table.lookup(x)[3])


@settings(max_examples=60, deadline=None)
@given(tables, st.floats(min_value=0.0, max_value=1.0))
def test_every_table_meets_its_tolerance_for_every_dose_in_range(
    table: BandTable, where: float
) -> None:
    edges = _edges(table)
    doses = [edges[0] + where * (edges[-1] - edges[0]), *edges]  # the published boundaries too
    # An accepted table's limit is its worst variance, computed here from its bands by hand.
    worst = max(
        max(
            abs(b.dose.magnitude - b.lower.magnitude) / b.lower.magnitude,
            abs(b.dose.magnitude - b.upper.magnitude) / b.upper.magnitude,
        )
        for b in table.bands
    )
    limit = worst if table.accepted else table.tolerance
    for x in doses:
        if not _inside(table, x):
            continue
        band = table.band_for(Q_(x, "mg")).m_as("mg")
        assert abs(band - x) / x <= limit * (1 + 1e-9)
    if table.accepted is None:
        assert worst <= table.tolerance * (1 + 1e-9)
    assert table.worst_variance == pytest.approx(worst)


@settings(max_examples=60, deadline=None)
@given(tables, st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=2, max_size=20))
def test_the_band_dose_never_falls_as_the_calculated_dose_rises(
    table: BandTable, wheres: list[float]
) -> None:
    edges = _edges(table)
    xs = np.sort(edges[0] + np.array(wheres) * (edges[-1] - edges[0]))
    band, _, _, inside = table.lookup(xs)
    kept = band[inside]
    assert np.all(np.diff(kept) >= 0)


@settings(max_examples=40, deadline=None)
@given(tables)
def test_a_dose_at_a_boundary_follows_the_tables_rule(table: BandTable) -> None:
    for below, above in zip(table.bands, table.bands[1:], strict=False):
        at = above.lower
        expected = above.dose if table.boundary == "A" else below.dose
        assert table.band_for(at) == expected


def test_every_shipped_table_cites_its_source_or_says_it_is_an_example() -> None:
    for table in BAND_TABLES.values():
        assert table.references or table.example
        if table.example:
            assert "EXAMPLE" in table.note.upper()
        assert table.version


# -- the policy step ---------------------------------------------------------------------------

POLICY = Policy(bands={"vincristine": NHS})


def test_a_banded_row_keeps_the_calculated_dose_and_records_band_and_variance() -> None:
    row = VINCRISTINE.expand(Patient(bsa=Q_(0.95, "m**2")), policy=POLICY).rows[0]
    # 1.5 mg/m² × 0.95 m² = 1.425 mg, in [1.35, 1.45) → 1.4 mg.
    assert row.calculated.m_as("mg") == pytest.approx(1.425)
    assert row.dose.m_as("mg") == pytest.approx(1.4)
    assert {"banded", "band_tolerance_accepted"} <= row.flags
    banded = next(a for a in row.adjustments if a.flag == "banded")
    assert banded.detail is not None
    assert (banded.detail["lower"], banded.detail["upper"]) == (1.35, 1.45)
    # (1.4 − 1.425) / 1.425 = −1.754%.
    assert banded.detail["variance"] == pytest.approx(-0.025 / 1.425)
    assert "-1.75%" in banded.reason
    record = row.to_record()
    assert record["adjustments"][0]["detail"]["variance"] == pytest.approx(-0.025 / 1.425)


def test_a_dose_outside_every_band_is_left_calculated_flagged_and_found() -> None:
    schedule = VINCRISTINE.expand(Patient(bsa=Q_(0.1, "m**2")), policy=POLICY)
    row = schedule.rows[0]
    # 1.5 × 0.1 = 0.15 mg, below the table's 0.21 mg.
    assert row.dose == row.calculated
    assert row.dose.m_as("mg") == pytest.approx(0.15)
    assert row.flags == frozenset({"not_banded"})
    codes = [f.code for f in dosing.check(schedule)]
    assert codes.count("not_banded") == 4
    assert "not_as_prescribed" not in codes


def test_a_band_dose_above_the_templates_cap_is_not_given(tmp_path: pathlib.Path) -> None:
    text = (DATA / "vincristine-weekly.toml").read_text().replace('cap = "2 mg"', 'cap = "1.95 mg"')
    path = tmp_path / "vcr.toml"
    path.write_text(text)
    regimen = dosing.load_regimen(path)
    row = regimen.expand(Patient(bsa=Q_(1.5, "m**2")), policy=POLICY).rows[0]
    # 2.25 mg capped at 1.95 mg; its band [1.90, 2.10) gives 2 mg, above the cap: not banded.
    assert row.dose.m_as("mg") == pytest.approx(1.95)
    assert "not_banded" in row.flags and "banded" not in row.flags
    assert "cap" in next(a for a in row.adjustments if a.flag == "not_banded").reason


def test_a_cohort_is_banded_patient_by_patient() -> None:
    bsas = [0.1, 0.95, 1.0, 1.8]
    cohort = VINCRISTINE.expand(Patient(bsa=Q_(bsas, "m**2")), policy=POLICY)
    row = cohort.rows[0]
    singles = [VINCRISTINE.expand(Patient(bsa=Q_(b, "m**2")), policy=POLICY).rows[0] for b in bsas]
    assert np.allclose(row.dose.m_as("mg"), [s.dose.m_as("mg") for s in singles])
    assert list(row.flags["banded"]) == [False, True, True, True]
    assert list(row.flags["not_banded"]) == [True, False, False, False]
    records = cohort.to_records()
    assert records[0]["adjustments"][0]["flag"] == "not_banded"
    banded = records[4]["adjustments"][-2]
    assert banded["flag"] == "banded" and banded["detail"]["lower"] == 1.35


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=0.2, max_value=2.2))
def test_banding_never_moves_a_dose_by_more_than_the_tolerance(bsa: float) -> None:
    table = make_band_table(
        "vincristine", Q_(0.2, "mg"), Q_(4, "mg"), tolerance=0.06, increment=Q_(0.01, "mg")
    )
    row = VINCRISTINE.expand(
        Patient(bsa=Q_(bsa, "m**2")), policy=Policy(bands={"vincristine": table})
    ).rows[0]
    calculated, dose = row.calculated.m_as("mg"), row.dose.m_as("mg")
    assert abs(dose - calculated) / calculated <= 0.06 * (1 + 1e-9)
    assert ("banded" in row.flags) or dose == calculated


def test_an_example_table_is_found_by_check() -> None:
    table = BAND_TABLES["example-fludarabine-25mg-ml"]
    child = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    schedule = dosing.get_regimen("flu-arac-mel-ric").expand(
        child, policy=Policy(bands={"fludarabine": table})
    )
    row = schedule.rows_for("fludarabine")[0]
    assert "banded" in row.flags
    assert row.volume is not None  # the table names its product
    codes = {f.code for f in dosing.check(schedule)}
    assert "example_table" in codes and "not_as_prescribed" not in codes


def test_the_policy_refuses_a_table_it_cannot_use() -> None:
    with pytest.raises(DomainError, match="not for cytarabine"):
        Policy(bands={"cytarabine": NHS})
    with pytest.raises(DomainError, match="one agent"):
        Policy(bands={"*": NHS})
    with pytest.raises(UnknownKeyError):
        Policy(bands={"vincristine": "no-such-table"})
    with pytest.raises(DomainError, match="BandTable"):
        Policy(bands={"vincristine": 3})
    with pytest.raises(DomainError, match="band it or round it"):
        Policy(bands={"vincristine": NHS}, rounding={"vincristine": Q_(0.1, "mg")})
    assert Policy(bands={"VCR": "nhs-1mg-ml-vincristine"}).bands["vincristine"] is NHS


def test_a_star_rounding_leaves_a_banded_agent_to_its_table() -> None:
    policy = Policy(bands={"vincristine": NHS}, rounding={"*": Q_(0.5, "mg")})
    row = VINCRISTINE.expand(Patient(bsa=Q_(0.95, "m**2")), policy=policy).rows[0]
    assert row.dose.m_as("mg") == pytest.approx(1.4)  # not 1.5
    assert "rounded" not in row.flags
    described = policy.describe()["bands"]["vincristine"]
    assert described["key"] == NHS.key and described["worst_variance"] == NHS.worst_variance
    assert "BandTable('nhs-1mg-ml-vincristine')" in repr(policy)


def test_a_table_in_another_dimension_is_refused() -> None:
    table = make_band_table(
        "total body irradiation", Q_(1, "mg"), Q_(2, "mg"), tolerance=0.05, increment="0.01 mg"
    )
    with pytest.raises(DomainError, match="doses are in Gy"):
        dosing.get_regimen("mel-tbi-mac").expand(
            Patient(height=Q_(150, "cm"), weight=Q_(40, "kg")),
            policy=Policy(bands={"total body irradiation": table}),
        )


def test_a_band_table_is_never_made_unchecked() -> None:
    with pytest.raises(DomainError, match="load_band_table"):
        BandTable(
            key="x",
            agent="vincristine",
            tolerance=0.06,
            boundary="A",
            bands=(),
            worst_variance=0.0,
            unit=dosing.ureg.Unit("mg"),
            version="1",
        )


def test_band_for_takes_an_array() -> None:
    doses = NHS.band_for(Q_([0.215, 1.425], "mg"))
    assert list(doses.m_as("mg")) == [0.22, 1.4]
    with pytest.raises(DomainError, match="0.1 mg"):
        NHS.band_for(Q_([0.1, 1.4], "mg"))
    assert math.isnan(NHS.lookup(0.1)[0])


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=0.1, max_value=2000.0),
    st.floats(min_value=1.2, max_value=30.0),
    st.sampled_from([0.03, 0.06, 0.1]),
    st.floats(min_value=0.05, max_value=0.9),
    st.sampled_from(["A", "B"]),
)
def test_a_generated_table_gives_measurable_doses_and_covers_its_range(
    low: float, ratio: float, tolerance: float, fraction: float, boundary: str
) -> None:
    increment = float(f"{low * tolerance * fraction:.2g}")
    table = make_band_table(
        "fludarabine",
        Q_(low, "mg"),
        Q_(low * ratio, "mg"),
        tolerance=tolerance,
        increment=Q_(increment, "mg"),
        boundary=boundary,
    )
    for band in table.bands:
        count = band.dose.magnitude / increment
        assert abs(count - round(count)) < 1e-6  # a whole number of measurable steps
    for dose in (low, low * ratio):
        assert table.band_for(Q_(dose, "mg")) > Q_(0, "mg")  # both ends are inside


# -- review of issue 13: what a table may not be ------------------------------------------------


def test_a_table_whose_product_and_concentration_disagree_is_refused(
    tmp_path: pathlib.Path,
) -> None:
    # cytarabine-20mg-ml-5ml is 20 mg/mL (its label), not 100 mg/mL.
    fields = {
        "agent": '"cytarabine"',
        "product": '"cytarabine-20mg-ml-5ml"',
        "concentration": '"100 mg/mL"',
    }
    with pytest.raises(DomainError, match=r"100 mg/mL.*cytarabine-20mg-ml-5ml is 20 mg/mL"):
        load_band_table(_write(tmp_path, _table_text(["[100.0, 105.0, 102.0],"], **fields)))
    fields["concentration"] = '"20 mg/mL"'
    table = load_band_table(_write(tmp_path, _table_text(["[100.0, 105.0, 102.0],"], **fields)))
    assert table.concentration == Q_(20, "mg/mL")


def test_the_policy_refuses_a_product_its_band_table_is_not_for(tmp_path: pathlib.Path) -> None:
    fields = {"agent": '"cytarabine"', "product": '"cytarabine-20mg-ml-5ml"'}
    table = load_band_table(_write(tmp_path, _table_text(["[100.0, 105.0, 102.0],"], **fields)))
    with pytest.raises(DomainError, match="is for cytarabine-20mg-ml-5ml"):
        Policy(bands={"cytarabine": table}, products={"cytarabine": "cytarabine-100mg-ml-20ml"})
    # The NHS table is for 1 mg/mL: a 1 mg/mL product is fine, none at another is.
    assert Policy(bands={"vincristine": NHS}, products={"vincristine": "vincristine-1mg-ml-2ml"})
    no_product = load_band_table(
        _write(
            tmp_path,
            _table_text(
                ["[100.0, 105.0, 102.0],"], agent='"cytarabine"', concentration='"100 mg/mL"'
            ),
        )
    )
    with pytest.raises(DomainError, match="20 mg/mL, but the band table test is for 100 mg/mL"):
        Policy(bands={"cytarabine": no_product}, products={"cytarabine": "cytarabine-20mg-ml-5ml"})


def test_a_table_cannot_be_changed_into_an_unchecked_one() -> None:
    import dataclasses

    with pytest.raises(DomainError, match="6.25%"):
        dataclasses.replace(NHS, accepted=None)  # 6.25% > 6%, no longer accepted
    with pytest.raises(DomainError, match="disagree"):
        dataclasses.replace(NHS, worst_variance=0.01)
    with pytest.raises(DomainError, match="disagree"):
        dataclasses.replace(NHS, accepted="another reason", tolerance=0.2)  # within 20%
    # Re-validated, not refused, when it holds: every band is within 20% (worst 6.25%).
    wider = dataclasses.replace(NHS, accepted=None, tolerance=0.2)
    assert wider.tolerance == 0.2 and wider.accepted is None


def test_a_rule_b_table_made_from_just_above_a_grid_edge_covers_its_low() -> None:
    # The increment 0.001 mg puts the boundaries on a 0.00001 mg grid: low = 100.0000001 floors
    # to 100.0, within the lookup's 1e-9 relative snap of it, so the first band must start below.
    table = make_band_table(
        "fludarabine",
        Q_(100.0000001, "mg"),
        Q_(120, "mg"),
        tolerance=0.06,
        increment=Q_(0.001, "mg"),
        boundary="B",
    )
    assert table.band_for(Q_(100.0000001, "mg")).m_as("mg") > 0
    assert table.band_for(Q_(120, "mg")).m_as("mg") > 0
    upper = make_band_table(
        "fludarabine",
        Q_(90, "mg"),
        Q_(105.99999999, "mg"),
        tolerance=0.06,
        increment=Q_(0.001, "mg"),
    )
    assert upper.band_for(Q_(105.99999999, "mg")).m_as("mg") > 0


def test_a_dose_outside_the_table_is_shown_with_its_digits() -> None:
    with pytest.raises(DomainError, match=r"dose=0\.2099999 mg"):
        NHS.band_for(Q_(0.2099999, "mg"))


def test_a_printed_variance_must_be_the_computed_one_rounded(tmp_path: pathlib.Path) -> None:
    header = {"columns": '["from", "to", "dose", "below", "above"]'}
    # (1.05 − 1.0) / 1.0 = 5.00% exactly: only 5 is it rounded; 6 is a slip (1 point away).
    with pytest.raises(DomainError, match="variance below of 6%"):
        load_band_table(_write(tmp_path, _table_text(["[1.0, 1.1, 1.05, 6, -5],"], **header)))
    # (1.05 − 1.1) / 1.1 = −4.55%: −4 and −5 are it rounded up and down; −6 is not.
    for above in (-4, -5):
        row = f"[1.0, 1.1, 1.05, 5, {above}],"
        assert load_band_table(_write(tmp_path, _table_text([row], **header)))
    with pytest.raises(DomainError, match="variance above"):
        load_band_table(_write(tmp_path, _table_text(["[1.0, 1.1, 1.05, 5, -6],"], **header)))


def test_a_volume_increment_without_a_product_names_the_agents_own() -> None:
    with pytest.raises(DomainError, match="vincristine-1mg-ml") as caught:
        make_band_table(
            "vincristine", Q_(0.2, "mg"), Q_(2, "mg"), tolerance=0.06, increment=Q_(0.01, "mL")
        )
    assert "fludarabine" not in str(caught.value)
    assert "<Quantity" not in str(caught.value) and "0.01 mL" in str(caught.value)
