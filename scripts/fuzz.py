"""The long fuzz run (issue 16): the readers of user input for 10^5 cases and more.

    python scripts/fuzz.py                          # 10^5 cases in all, divided among the targets
    python scripts/fuzz.py --cases 300000           # more
    python scripts/fuzz.py --only renal-files --cases 5000

Runs ``tests/test_fuzz.py``'s properties with hypothesis and many more examples than the test
suite's 60: templates as files and as mappings, dose-limit files, band-table files and
arguments, renal-table files and ``plan_frame`` rows. ``--cases`` is divided evenly among them,
and each target runs in chunks (``--chunk`` examples each, one pytest process per chunk, a new
random seed each), so that one failure costs one chunk, not the run. The cases counted are those
hypothesis reports as run and passing (``--hypothesis-show-statistics``).

A crash is any exception other than a ``DosingError`` naming the file, column or argument, or a
property broken; its output is kept in ``--log`` and the run goes on. A hang fails hypothesis's
deadline (5 s per case). A deadline missed once and met on hypothesis's re-run ("Unreliable test
timings") is either the shared machine stalling or an input slow only the first time (pint
caches what it parsed): the chunk runs again with the same seed in a new process; missed again,
it is a slow input and counts as a crash; met, it was a stall, and is reported as one. The last
line gives the date, commit, cases, crashes and time for ``docs/testing.md``. Not a CI step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import random
import re
import subprocess
import sys
import tempfile
import time

#: Each target's name and its property in tests/test_fuzz.py.
TARGETS = {
    "template-files": "test_a_strange_template_file_loads_or_is_refused_naming_the_file",
    "template-mappings": "test_a_strange_template_mapping_loads_or_is_refused_naming_the_source",
    "limits-files": "test_a_strange_limits_file_loads_or_is_refused_naming_the_file",
    "band-table-files": "test_a_strange_band_table_file_loads_or_is_refused_naming_the_file",
    "band-table-arguments": "test_strange_band_table_arguments_make_a_table_or_are_refused_by_name",
    "renal-files": "test_a_strange_renal_tables_file_reads_or_is_refused_naming_the_file",
    "plan-frame-rows": "test_strange_table_rows_are_planned_or_refused_naming_the_column",
}
ROOT = pathlib.Path(__file__).resolve().parent.parent
_PASSING = re.compile(r"- (\d+) passing")
_STALL = "Unreliable test timings"


def _chunk(target: str, examples: int, seed: int, log: pathlib.Path) -> tuple[str, int]:
    """Run ``examples`` cases of ``target`` from ``seed``: ("ok" | "crash" | "stall", cases
    passed); the output of a chunk that is not "ok" is kept in ``log``."""
    env = {**os.environ, "DOSING_FUZZ_EXAMPLES": str(examples)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--hypothesis-show-statistics",
            f"--hypothesis-seed={seed}",
            f"tests/test_fuzz.py::{TARGETS[target]}",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    passed = sum(int(count) for count in _PASSING.findall(output))
    if done.returncode == 0:
        return "ok", passed
    kind = "stall" if _STALL in output and "DeadlineExceeded" in output else "crash"
    log.mkdir(parents=True, exist_ok=True)
    path = log / f"{target}-{seed}-{kind}-{dt.datetime.now():%Y%m%dT%H%M%S%f}.txt"
    path.write_text(output, encoding="utf-8")
    return kind, passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in all (default 1e5)")
    parser.add_argument("--chunk", type=int, default=2_000, help="cases per pytest run")
    parser.add_argument("--only", nargs="+", choices=sorted(TARGETS), help="these targets only")
    parser.add_argument(
        "--log",
        type=pathlib.Path,
        default=pathlib.Path(tempfile.gettempdir()) / "dosing-fuzz-logs",
        help="where the output of a chunk that crashed or stalled is kept",
    )
    args = parser.parse_args()
    targets = args.only or list(TARGETS)
    per_target = -(-args.cases // len(targets))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    ).stdout.strip()
    total = crashes = stalls = 0
    started = time.perf_counter()
    for target in targets:
        begun = time.perf_counter()
        cases = found = stalled = 0
        left = per_target
        while left > 0:
            size = min(args.chunk, left)
            seed = random.randrange(2**32)
            kind, passed = _chunk(target, size, seed, args.log)
            if kind == "stall":  # the same cases again, in a new process
                kind, passed = _chunk(target, size, seed, args.log)
                if kind == "stall":
                    kind = "crash"  # slow on the first call in two processes: a slow input
                    print(f"  {target}: seed {seed} is slow twice: a slow input", flush=True)
                else:
                    stalled += 1
            cases += passed
            found += kind == "crash"
            left -= size
            print(f"  {target}: {cases} cases, {found} crashes, {stalled} stalls", flush=True)
        total += cases
        crashes += found
        stalls += stalled
        print(
            f"{target}: {cases} cases, {found} crashes, {stalled} stalls, "
            f"{time.perf_counter() - begun:.0f} s",
            flush=True,
        )
    print(
        f"{dt.date.today().isoformat()} commit {commit}: {total} cases "
        f"({per_target} asked per target, {len(targets)} targets), {crashes} crashes, "
        f"{stalls} stalls, {time.perf_counter() - started:.0f} s"
    )
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
