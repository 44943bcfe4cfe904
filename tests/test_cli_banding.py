"""The command line with band tables and products: banded doses, volumes and variances printed."""

from __future__ import annotations

import io
import json
import pathlib

import pytest

from dosing.cli import main

DATA = pathlib.Path(__file__).parent / "data"
VCR = str(DATA / "vincristine-weekly.toml")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_plan_prints_banded_doses_volumes_and_variances() -> None:
    status, out, err = run(
        "plan", VCR, "--bsa", "0.3m2",
        "--band", "vincristine=nhs-1mg-ml-vincristine",
        "--product", "VCR=vincristine-1mg-ml-1ml",
    )  # fmt: skip
    assert status == 0
    # 1.5 mg/m² × 0.3 m² = 0.45 mg, in [0.44, 0.49) → 0.46 mg: (0.46 − 0.45) / 0.45 = +2.22%.
    assert "0.4600 mg" in out
    assert "calculated 0.4500 mg -> band dose 0.4600 mg" in out
    assert "band 0.44–0.49 mg, variance +2.22%" in out
    assert "0.4600 mL" in out and "1 x 1 mg (waste 0.5400 mg)" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "[band_tolerance]" in err


def test_plan_reads_a_band_table_file(tmp_path: pathlib.Path) -> None:
    status, out, _ = run(
        "bands", "--make", "vincristine", "--low", "0.2mg", "--high", "3mg",
        "--tolerance", "5%", "--increment", "0.01mg", "--key", "my-vcr",
    )  # fmt: skip
    assert status == 0 and out.startswith("# A dose-band table")
    path = tmp_path / "my-vcr.toml"
    path.write_text(out)
    status, out, err = run("plan", VCR, "--bsa", "0.95m2", "--band", f"vincristine={path}")
    assert status == 0, err
    assert "table my-vcr" in out and "[band_tolerance]" not in err
    status, out, _ = run(
        "plan", VCR, "--bsa", "0.95m2", "--band", f"vincristine={path}", "--format", "json"
    )
    row = json.loads(out)["rows"][0]
    assert row["adjustments"][0]["detail"]["table"] == "my-vcr"


def test_plan_refuses_a_bad_band_or_product() -> None:
    status, _, err = run("plan", VCR, "--bsa", "1m2", "--band", "vincristine=nope.toml")
    assert status == 2 and "neither a shipped table" in err
    status, _, err = run(
        "plan", VCR, "--bsa", "1m2", "--band", "vincristine=nhs-1mg-ml-vincristine",
        "--band", "VCR=nhs-1mg-ml-vincristine",
    )  # fmt: skip
    assert status == 2 and "twice" in err
    status, _, err = run("plan", VCR, "--bsa", "1m2", "--product", "vincristine=nope")
    assert status == 2 and "--product" in err
    status, _, err = run(
        "plan", VCR, "--bsa", "1m2", "--product", "vincristine=vincristine-1mg-ml-1ml",
        "--product", "vincristine=vincristine-1mg-ml-2ml",
    )  # fmt: skip
    assert status == 2 and "twice" in err


def test_plan_rounds_to_whole_vials() -> None:
    status, out, _ = run(
        "plan", "flu-arac-mel-ric", "--bsa", "1.1m2",
        "--product", "melphalan=melphalan-50mg", "--round", "melphalan=vial",
    )  # fmt: skip
    assert status == 0
    # 90 mg/m² × 1.1 m² = 99 mg → 2 vials of 50 mg.
    assert "melphalan    100.0 mg  90 mg/m²    rounded" in out and "20.00 mL" in out


def test_bands_lists_shows_and_products_lists() -> None:
    status, out, _ = run("bands")
    assert status == 0 and "nhs-1mg-ml-vincristine" in out and "[EXAMPLE]" in out
    status, out, _ = run("bands", "nhs-1mg-ml-vincristine")
    assert status == 0 and "worst variance 6.25%" in out and "Accepted" in out
    assert "      0.32        0.36        0.34   +6.25%   -5.56%" in out
    status, out, _ = run("bands", "example-fludarabine-25mg-ml")
    assert "[EXAMPLE" in out
    status, out, _ = run("products")
    assert status == 0 and "fludarabine-25mg-ml-2ml" in out


def test_bands_make_refuses_missing_or_wrong_arguments() -> None:
    status, _, err = run("bands", "--make", "fludarabine", "--low", "20mg")
    assert status == 2 and "--high" in err and "--tolerance" in err
    status, _, err = run(
        "bands", "--make", "fludarabine", "--low", "20mg", "--high", "80mg",
        "--tolerance", "6%", "--increment", "0.1",
    )  # fmt: skip
    assert status == 2 and "--increment" in err
    status, _, err = run(
        "bands", "--make", "fludarabine", "--low", "20mg", "--high", "80mg",
        "--tolerance", "6%", "--increment", "0.1mL",
    )  # fmt: skip
    assert status == 2 and "product" in err


def test_csv_carries_band_variance_and_volume_only_when_asked() -> None:
    import csv

    status, out, _ = run(
        "plan", VCR, "--bsa", "0.3m2", "--format", "csv",
        "--band", "vincristine=nhs-1mg-ml-vincristine",
        "--product", "vincristine=vincristine-1mg-ml-1ml",
    )  # fmt: skip
    assert status == 0
    row = next(csv.DictReader(io.StringIO(out)))
    # 0.45 mg in [0.44, 0.49) → 0.46 mg: (0.46 − 0.45) / 0.45 = 0.0222; 0.46 mL at 1 mg/mL.
    assert (row["band_lower"], row["band_upper"]) == ("0.44", "0.49")
    assert float(row["band_variance"]) == pytest.approx(0.01 / 0.45)
    assert (row["product_key"], float(row["volume"]), row["volume_unit"]) == (
        "vincristine-1mg-ml-1ml",
        pytest.approx(0.46),
        "mL",
    )
    status, out, _ = run("plan", VCR, "--bsa", "0.3m2", "--format", "csv")
    assert "band_lower" not in out.splitlines()[0]
    status, out, _ = run(
        "plan", VCR, "--bsa", "0.1m2", "--format", "csv",
        "--band", "vincristine=nhs-1mg-ml-vincristine",
    )  # fmt: skip
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["band_lower"] == "" and row["volume"] == ""  # not banded, no product


def test_plan_never_ignores_accept_out_of_tolerance(tmp_path: pathlib.Path) -> None:
    status, _, err = run(
        "plan", VCR, "--bsa", "0.95m2", "--band", "vincristine=nhs-1mg-ml-vincristine",
        "--accept-out-of-tolerance", "R",
    )  # fmt: skip
    assert status == 2 and "shipped table 'nhs-1mg-ml-vincristine'" in err
    # A file within its tolerance does not use it either: refused, not ignored.
    path = tmp_path / "within.toml"
    _, table, _ = run(
        "bands", "--make", "vincristine", "--low", "0.2mg", "--high", "3mg",
        "--tolerance", "5%", "--increment", "0.01mg",
    )  # fmt: skip
    path.write_text(table)
    status, _, err = run(
        "plan", VCR, "--bsa", "0.95m2", "--band", f"vincristine={path}",
        "--accept-out-of-tolerance", "R",
    )  # fmt: skip
    assert status == 2 and "no --band table file is outside its tolerance" in err
    status, _, err = run("bands", str(path), "--accept-out-of-tolerance", "R")
    assert status == 2 and "drop the flag" in err


def test_plan_applies_accept_out_of_tolerance_to_a_file_over_it(tmp_path: pathlib.Path) -> None:
    # (1.6 − 1.4) / 1.4 = 14.3%: over 6%, accepted with the reason given.
    path = tmp_path / "wide.toml"
    path.write_text(
        'format = 1\nkey = "wide"\nagent = "vincristine"\nunit = "mg"\ntolerance = 0.06\n'
        'boundary = "A"\nversion = "1"\nbands = [[1.4, 1.5, 1.6]]\n'
    )
    status, _, err = run(
        "plan", VCR, "--bsa", "0.95m2", "--band", f"vincristine={path}",
        "--accept-out-of-tolerance", "local practice",
    )  # fmt: skip
    assert status == 0 and "local practice" in err


def test_bands_make_reports_its_worst_variance() -> None:
    status, out, _ = run(
        "bands", "--make", "fludarabine", "--low", "20mg", "--high", "80mg",
        "--tolerance", "6%", "--increment", "0.1mL", "--product", "fludarabine-25mg-ml-2ml",
    )  # fmt: skip
    assert status == 0
    # The band 53.19–58.51 mg → 55 mg: (55 − 58.51) / 58.51 = −5.999%.
    assert "# worst variance -5.999% (band 53.19–58.51 mg -> 55 mg" in out.splitlines()[-1]


def test_bands_of_a_file_without_a_source_prints_no_empty_source_line(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(
        'format = 1\nkey = "plain"\nagent = "vincristine"\nunit = "mg"\ntolerance = 0.06\n'
        'boundary = "A"\nversion = "1"\nbands = [[1.0, 1.1, 1.05]]\n'
    )
    status, out, _ = run("bands", str(path))
    assert status == 0 and "Source:" not in out


def test_cli_errors_show_quantities_not_their_reprs() -> None:
    status, _, err = run(
        "bands", "--make", "vincristine", "--low", "0.2mg", "--high", "2mg",
        "--tolerance", "6%", "--increment", "0.01mL",
    )  # fmt: skip
    assert status == 2 and "<Quantity" not in err and "0.01 mL" in err
    assert "vincristine-1mg-ml" in err and "fludarabine" not in err
    status, _, err = run(
        "plan", "flu-arac-mel-ric", "--bsa", "1.3m2",
        "--product", "melphalan=melphalan-50mg", "--round", "melphalan=vial",
    )  # fmt: skip
    # 90 × 1.3 = 117 mg → 100 mg is −14.5%: refused, and no "smaller increment" to suggest.
    assert status == 2 and "14.5%" in err and "use a smaller increment" not in err
    assert "<Quantity" not in err


def test_plan_refuses_a_product_of_another_brand_than_the_line_names() -> None:
    status, _, err = run(
        "plan", "rabbit-atg", "--height", "170cm", "--weight", "62kg",
        "--product", "rATG=atg-grafalon-100mg",
    )  # fmt: skip
    assert status == 2 and "Grafalon" in err and "Thymoglobulin" in err
