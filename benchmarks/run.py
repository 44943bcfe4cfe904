"""Run every benchmark: ``python benchmarks/run.py`` from the repository root.

Each line prints dosing's time, the baseline's, their ratio and the goal. Nothing fails on time:
wall-clock figures vary between machines, so goals are judged by the ratios, side by side in one
run. Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import pathlib
import platform
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np
import pint

import dosing
from benchmarks import bench_body, bench_import, bench_others, bench_regimen


def main() -> None:
    print(
        f"dosing {dosing.__version__}, numpy {np.__version__}, pint {pint.__version__}, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    bench_body.main()
    bench_regimen.main()
    bench_import.main()
    bench_others.main()


if __name__ == "__main__":
    main()
