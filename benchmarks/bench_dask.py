"""Dask: 10^8 patients in chunks of 10^6, dosing against the same plan written in plain dask.

The plan is the docs' example (``examples/dask_cohort.py``): heights and BMIs drawn lazily, the
mean BSA and each Flu/AraC/Mel RIC drug's total over the population. The plain-dask side does the
same arithmetic with no checks. Each side runs in its own interpreter, so that each reports its
own peak memory; the rounds alternate. Neither side's imports are timed: ``import dask.array`` on
one side, ``import dosing`` and the submodules it imports on first use (``dosing.__all__``
resolved) on the other; ``bench_import`` times imports. The first use of the regimen (its file
read and checked) is timed. Goals: <= 1.3x, and peak memory bounded by the chunk.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from benchmarks._common import Comparison, report, report_value

ROOT = pathlib.Path(__file__).resolve().parents[1]

_SIDE = r"""
import json, sys, time, warnings
sys.path.insert(0, {root!r}); sys.path.insert(0, {root!r} + "/src")
import dask, dask.array as da
n, chunk, side = {n}, {chunk}, {side!r}
if side == "dosing":  # imports are not timed (bench_import times them), dosing's lazy ones too
    import dosing
    for name in dosing.__all__:
        getattr(dosing, name)
    from examples.dask_cohort import plan_supply
    warnings.simplefilter("ignore", dosing.DosingWarning)
def peak():  # this process's peak resident memory [MiB]; unlike ru_maxrss, reset by exec
    with open("/proc/self/status") as status:
        line = next(text for text in status if text.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
before = peak()
start = time.perf_counter()
if side == "dosing":
    result = plan_supply(n, chunk)
    values = [result["mean_bsa_m2"], *(q.m_as("mg") for q in result["supply"].values())]
else:
    rng = da.random.default_rng(2026)
    heights = rng.uniform(100.0, 200.0, size=n, chunks=chunk)
    bmis = rng.uniform(15.0, 35.0, size=n, chunks=chunk)
    weights = bmis * heights**2 / 10000.0
    area = da.sqrt(heights * weights / 3600.0)
    totals = [120.0 * area, 6000.0 * area, 180.0 * area]
    values = [float(v) for v in dask.compute(area.mean(), *(t.sum() for t in totals))]
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "peak": peak(), "before": before, "values": values}}))
"""


def _side(side: str, n: int, chunk: int) -> dict[str, object]:
    code = _SIDE.format(root=str(ROOT), n=n, chunk=chunk, side=side)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(rounds: int, n: int = 10**8, chunk: int = 10**6) -> None:
    ours, theirs, peaks = [], [], []
    for index in range(rounds):
        order = ("plain", "dosing") if index % 2 else ("dosing", "plain")
        results = {side: _side(side, n, chunk) for side in order}
        ours.append(float(results["dosing"]["seconds"]))  # type: ignore[arg-type]
        theirs.append(float(results["plain"]["seconds"]))  # type: ignore[arg-type]
        peaks.append(
            (results["dosing"]["peak"], results["dosing"]["before"], results["plain"]["peak"])
        )
        mine, plain = results["dosing"]["values"], results["plain"]["values"]
        for a, b in zip(mine, plain, strict=True):  # type: ignore[call-overload]
            assert abs(a - b) <= 1e-9 * abs(b), (mine, plain)
    size = f"1e{len(str(n)) - 1}"
    report(
        "Dask: flu-arac-mel-ric supply by chunks vs plain dask",
        Comparison(tuple(ours), tuple(theirs)),
        1.3,
        size=size,
    )
    peak, before, plain_peak = max(peaks)
    report_value(
        f"  peak memory (before {before:.0f} MiB; plain dask {plain_peak:.0f} MiB)",
        float(peak),  # type: ignore[arg-type]
        "MiB",
        None,
        size=size,
    )
    print(f"  one chunk of one float64 array is {chunk * 8 / 2**20:.0f} MiB")
