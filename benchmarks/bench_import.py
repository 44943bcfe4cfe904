"""Start-up: ``import dosing`` plus one call vs ``import pint``, a registry and one conversion.

Each side runs in a fresh interpreter (import cost is paid once per process), installed and
bytecode-compiled; the rounds alternate which side goes first, and the figure is the median of
the per-round ratios. Goal: hold <= 1.1x.
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks._common import Comparison, report

OURS = "import dosing; dosing.bsa(dosing.Q_(150, 'cm'), dosing.Q_(40, 'kg'))"
PINT = "import pint; ureg = pint.get_application_registry(); ureg.Quantity(150, 'cm').m_as('m')"


def _run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main(rounds: int) -> None:
    _run(OURS), _run(PINT)  # bytecode compiled, files in the page cache
    ours, theirs = [], []
    for index in range(rounds):
        if index % 2:
            theirs.append(_run(PINT))
            ours.append(_run(OURS))
        else:
            ours.append(_run(OURS))
            theirs.append(_run(PINT))
    comparison = Comparison(tuple(ours), tuple(theirs))
    report("import dosing + one bsa() vs import pint + registry + one use", comparison, 1.1)
