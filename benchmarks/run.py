"""Run every benchmark: ``python benchmarks/run.py`` from the repository root.

Every figure of issue 15's table is printed as a ratio measured side by side (interleaved rounds,
the median of the per-round ratios) with its goal, the problem size and the machine load; a
summary at the end lists each goal met or missed. Nothing fails on time: goals are judged here,
never in timed tests. Figures are recorded in docs/performance.md.

Options: ``--quick`` (fewer rounds, the Dask figure at 10^7 patients; for a smoke run), ``--only
NAME`` (units, body, regimen, import, dask, others, frames; repeatable), ``--spark`` (also
Spark local mode on the frames' 10^6 rows, with pyspark installed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import platform
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np
import pint

import dosing
from benchmarks import (
    _common,
    bench_body,
    bench_dask,
    bench_frames,
    bench_import,
    bench_others,
    bench_regimen,
    bench_units,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAMES = ("units", "body", "regimen", "import", "dask", "others", "frames")


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", choices=NAMES)
    parser.add_argument("--spark", action="store_true")
    args = parser.parse_args(argv)
    chosen = args.only or NAMES
    rounds = 7 if args.quick else 21
    print(
        f"dosing {dosing.__version__} (commit {_commit()}), numpy {np.__version__}, pint "
        f"{pint.__version__}, Python {platform.python_version()} on {platform.machine()}; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(f"{_common.load()} at the start; each figure: median of {rounds} interleaved rounds")
    print(f"{'figure':<58} {'N':>6} {'dosing':>9}    {'baseline':>9}  ratio [quartiles]  goal")
    if "units" in chosen:
        bench_units.main(rounds)
    if "body" in chosen:
        bench_body.main(rounds)
    if "regimen" in chosen:
        bench_regimen.main(rounds)
    if "import" in chosen:
        bench_import.main(9 if args.quick else 21)
    if "dask" in chosen:
        if args.quick:
            bench_dask.main(3, n=10**7, chunk=10**6)
        else:
            bench_dask.main(5)
    if "others" in chosen:
        bench_others.main(rounds)
    if "frames" in chosen:
        bench_frames.main(3 if args.quick else 7, spark=args.spark)
    print(f"{_common.load()} at the end")
    met = sum(ok for _, ok in _common.VERDICTS)
    print(f"goals met: {met} of {len(_common.VERDICTS)}")
    for name, ok in _common.VERDICTS:
        if not ok:
            print(f"  MISSED: {name}")


if __name__ == "__main__":
    main()
