"""Shared test configuration: hypothesis profiles, and the mutation-testing run's settings."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
# Mutation testing (scripts/mutation.py) runs every mutant in a forked process: the same
# examples each time (derandomize), and dask on its synchronous scheduler (its thread pool does
# not survive a fork).
settings.register_profile(
    "mutation",
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
if os.environ.get("DOSING_MUTATION"):
    settings.load_profile("mutation")
    try:
        import dask

        dask.config.set(scheduler="synchronous")
    except ImportError:  # pragma: no cover  (dask is an optional extra)
        pass
else:
    settings.load_profile("ci" if os.environ.get("CI") else "dev")
