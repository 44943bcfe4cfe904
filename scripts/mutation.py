"""Mutation testing, one module at a time (issue 16): not a CI step.

    pip install mutmut                      # 3.x; an optional dev tool, not a dependency
    python scripts/mutation.py              # every module of [tool.mutmut] only_mutate
    python scripts/mutation.py dosing.regimens.days dosing.body.bsa
    python scripts/mutation.py --survivors          # re-run only the mutants not yet killed
    python scripts/mutation.py --fresh-stats ...    # first forget which tests reach which function

For each module, ``mutmut run "<module>*"`` with ``DOSING_MUTATION=1`` (tests/conftest.py then
loads a derandomised hypothesis profile and dask's synchronous scheduler, since mutmut forks a
process per mutant), then the score: killed / (killed + survived + timeout + suspicious), from
``mutmut results --all true``. The configuration is ``[tool.mutmut]`` in ``pyproject.toml``;
``docs/testing.md`` records the scores, and each surviving mutant is killed by a test or listed
there as equivalent with the reason. Inspect one with ``mutmut show <name>``.

mutmut runs, for each mutant, only the tests that reached its function, as recorded once in
``mutants/mutmut-stats.json`` (and updated only for new tests). After a module is added to
``only_mutate``, or a function starts to be reached by old tests, that record is stale and
mutants survive that the suite kills: ``--fresh-stats`` deletes it, so the next run records
it again from the whole suite (a few minutes).
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import subprocess
import sys

MODULES = (
    "dosing.body._sex",
    "dosing.body.bsa",
    "dosing.body.weight",
    "dosing.body.kidney",
    "dosing.body.egfr",
    "dosing.body.growth",
    "dosing.regimens.days",
    "dosing.regimens.loader",
    "dosing.regimens.read_lines",
    "dosing.expand",
    "dosing.policy.policy",
    "dosing.policy.steps",
    "dosing.policy.renal",
    "dosing.policy.bands",
    "dosing.checks",
    "dosing.checks.doses",
    "dosing.checks.course",
    "dosing.checks.findings",
)


#: mutmut's record of which tests reach which function.
STATS = os.path.join("mutants", "mutmut-stats.json")


def score(module: str) -> tuple[int, int, dict[str, int]]:
    """(killed, counted, every status with its count) for ``module``'s mutants."""
    listing = subprocess.run(
        ["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    counts: collections.Counter[str] = collections.Counter()
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name.startswith(f"{module}.x"):
            counts[status] += 1
    counted = sum(counts[s] for s in ("killed", "survived", "timeout", "suspicious"))
    return counts["killed"] + counts["timeout"], counted, dict(counts)


def survivors(module: str) -> list[str]:
    """The names of ``module``'s mutants not killed in the last run, or not run since changed."""
    listing = subprocess.run(
        ["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    names = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name.startswith(f"{module}.x") and status in ("survived", "suspicious", "not checked"):
            names.append(name)
    return names


def main() -> int:
    again = "--survivors" in sys.argv[1:]
    if "--fresh-stats" in sys.argv[1:] and os.path.exists(STATS):
        os.remove(STATS)
    modules = [name for name in sys.argv[1:] if not name.startswith("--")] or MODULES
    env = {**os.environ, "DOSING_MUTATION": "1"}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    for module in modules:
        # A mutant named explicitly is run again; a pattern runs every mutant of the module.
        # With --survivors, only those not killed before (after tests were added, say).
        names = survivors(module) if again else [f"{module}*"]
        if names:
            subprocess.run(["mutmut", "run", *names], env=env, check=False)
        killed, counted, counts = score(module)
        share = killed / counted if counted else float("nan")
        print(f"{dt.date.today().isoformat()} {commit} {module}: {share:.1%} killed ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
