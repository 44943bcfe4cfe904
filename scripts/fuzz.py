"""The long fuzz run (issue 16): the readers of user files for 10^5 cases and more.

    python scripts/fuzz.py                 # 10^5 cases per target (about 35,000 each by default)
    python scripts/fuzz.py --cases 300000  # more

Runs ``tests/test_fuzz.py``'s properties (templates as files, templates as mappings, dose-limit
files) with hypothesis and many more examples than the test suite's 60, and prints the number
of cases and crashes with the date and commit, for ``docs/testing.md``. A crash is any exception
other than a ``DosingError`` naming the file; a hang fails hypothesis's deadline (5 s per case).
Not a CI step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time

TARGETS = (
    "test_a_strange_template_file_loads_or_is_refused_naming_the_file",
    "test_a_strange_template_mapping_loads_or_is_refused_naming_the_source",
    "test_a_strange_limits_file_loads_or_is_refused_naming_the_file",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in total (default 1e5)")
    args = parser.parse_args()
    per_target = -(-args.cases // len(TARGETS))
    env = {**os.environ, "DOSING_FUZZ_EXAMPLES": str(per_target)}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    failures = 0
    started = time.perf_counter()
    for target in TARGETS:
        begun = time.perf_counter()
        status = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-o",
                "addopts=",
                f"tests/test_fuzz.py::{target}",
            ],
            env=env,
            check=False,
        ).returncode
        failures += status != 0
        print(
            f"{target}: {per_target} cases, {'crash found' if status else '0 crashes'}, "
            f"{time.perf_counter() - begun:.0f} s"
        )
    print(
        f"{dt.date.today().isoformat()} commit {commit}: {per_target * len(TARGETS)} cases, "
        f"{failures} targets with a crash, {time.perf_counter() - started:.0f} s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
