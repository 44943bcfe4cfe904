"""The Dask example of the docs: correct totals, lazy until computed, memory bounded by chunks."""

from __future__ import annotations

import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("dask.array")

from examples import dask_cohort

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_supply_matches_hand_arithmetic_on_the_same_draws() -> None:
    patients = dask_cohort.synthetic_patients(20_000, 3_000)
    heights = patients.height.magnitude.compute()
    weights = patients.weight.magnitude.compute()
    result = dask_cohort.plan_supply(20_000, 3_000)
    bsa = np.sqrt(heights * weights / 3600.0)  # Mosteller, by hand
    assert result["mean_bsa_m2"] == pytest.approx(bsa.mean(), rel=1e-12)
    # 120 mg/m², 6 g/m², 180 mg/m² per patient; the supply in kg (1 kg = 1e6 mg)
    for agent, per_m2_mg in (("fludarabine", 120.0), ("cytarabine", 6000.0), ("melphalan", 180.0)):
        expected_mg = per_m2_mg * bsa.sum()
        assert result["supply"][agent].m_as("mg") == pytest.approx(expected_mg, rel=1e-9)
    # heights 100–200 cm, BMI 15–35: the population mean BSA is about 1.54 m²
    assert math.isclose(result["mean_bsa_m2"], 1.54, rel_tol=0.02)


def test_peak_memory_is_bounded_by_the_chunk_not_the_population() -> None:
    # 4 million patients in chunks of 100,000: the whole population as one float array would
    # be 31 MiB, and the computation holds several; by chunks it stays far below.
    script = ROOT / "examples" / "dask_cohort.py"
    result = subprocess.run(
        [sys.executable, str(script), "4e6", "1e5"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    line = next(text for text in result.stdout.splitlines() if text.startswith("peak memory"))
    peak, before = (
        float(part.split()[0])
        for part in (line.split("peak memory ")[1], line.split("computation: ")[1])
    )
    assert peak - before < 60, result.stdout
