"""Start-up: ``import dosing`` plus one call vs importing pint and using its registry.

Goal <= 1.3x. Each side runs in a fresh interpreter (best of several runs, alternating), since
import cost is paid once per process.
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks._common import report

OURS = "import dosing; dosing.bsa(dosing.Q_(150, 'cm'), dosing.Q_(40, 'kg'))"
PINT = "import pint; ureg = pint.get_application_registry(); ureg.Quantity(150, 'cm').m_as('m')"


def _run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main(repeat: int = 9) -> None:
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(_run(OURS))
        theirs.append(_run(PINT))
    report("import dosing + one bsa() vs import pint + one use", min(ours), min(theirs), 1.3)


if __name__ == "__main__":
    main()
