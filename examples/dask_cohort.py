"""BSA and Flu/AraC/Mel RIC totals for a synthetic population, out of core with Dask.

Planning drug supply for a service, or simulating a trial population, means the same dose
calculation for millions of patients. With Dask the cohort is split into chunks; dosing's
formulas and regimen expansion stay lazy, every value is checked blockwise when computed, and
peak memory is bounded by the chunk size, not by the population.

Run::

    python examples/dask_cohort.py                   # 10^8 patients in chunks of 10^6
    python examples/dask_cohort.py 1000000 100000    # N patients, chunk size

The same code runs on a ``dask.distributed`` cluster: create a ``Client`` first (for example
``from dask.distributed import Client; client = Client("scheduler-address:8786")``) and the
``dask.compute`` call below uses it.
"""

from __future__ import annotations

import resource
import sys
import time
import warnings
from typing import Any

import dask
import dask.array as da

import dosing
from dosing import Q_


def synthetic_patients(n: int, chunk: int, seed: int = 2026) -> dosing.Patient:
    """Heights 100–200 cm and BMIs 15–35 kg/m², drawn lazily in chunks."""
    rng = da.random.default_rng(seed)
    heights = Q_(rng.uniform(100.0, 200.0, size=n, chunks=chunk), "cm")
    bmis = Q_(rng.uniform(15.0, 35.0, size=n, chunks=chunk), "kg/m**2")
    weights = (bmis * heights**2).to("kg")  # pint converts cm² to m², lazily
    return dosing.Patient(height=heights, weight=weights)


def plan_supply(n: int, chunk: int) -> dict[str, Any]:
    """Mean BSA and the total of each RIC drug over the population (the drug supply)."""
    patients = synthetic_patients(n, chunk)
    schedule = dosing.get_regimen("flu-arac-mel-ric").expand(patients)
    assert schedule.bsa is not None  # the BSA every per-m² dose was computed on, recorded once
    area = schedule.bsa.value
    totals = {agent: schedule.total(agent) for agent in schedule.agents}
    mean_bsa, *sums = dask.compute(area.mean(), *(t.magnitude.sum() for t in totals.values()))
    return {
        "patients": n,
        "mean_bsa_m2": float(mean_bsa),
        "supply": {
            agent: Q_(float(value), total.units).to("kg")
            for (agent, total), value in zip(totals.items(), sums, strict=True)
        },
    }


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far [MiB] (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> None:
    n = int(float(argv[1])) if len(argv) > 1 else 100_000_000
    chunk = int(float(argv[2])) if len(argv) > 2 else 1_000_000
    warnings.simplefilter("ignore", dosing.DosingWarning)
    before = peak_memory_mib()
    start = time.perf_counter()
    result = plan_supply(n, chunk)
    seconds = time.perf_counter() - start
    print(f"{result['patients']:,} patients in chunks of {chunk:,}: {seconds:.1f} s")
    print(f"mean BSA {result['mean_bsa_m2']:.4f} m²")
    for agent, amount in result["supply"].items():
        print(f"  {agent:<12} {amount:~.1f}")
    print(
        f"peak memory {peak_memory_mib():.0f} MiB (before the computation: {before:.0f} MiB; "
        f"one chunk of one float array is {chunk * 8 / 2**20:.0f} MiB)"
    )


if __name__ == "__main__":
    main(sys.argv)
