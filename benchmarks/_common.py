"""Shared helpers: best-of timing and one printed line per comparison."""

from __future__ import annotations

import timeit
from collections.abc import Callable


def best_of(function: Callable[[], object], number: int, repeat: int = 7) -> float:
    """The fastest of ``repeat`` runs, per call [s]: the run least disturbed by the machine."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def report(name: str, ours: float, baseline: float, goal: float | None) -> float:
    """Print ours vs baseline and the ratio against the goal; return the ratio."""
    ratio = ours / baseline
    if goal is None:
        verdict = "(for information: no goal)"
    else:
        verdict = f"(goal <= {goal}x: {'meets' if ratio <= goal else 'MISSES'})"
    print(f"{name:<52} {_time(ours):>10} vs {_time(baseline):>10}  ratio {ratio:6.3f}x  {verdict}")
    return ratio


def _time(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e9:.2f} ns"
