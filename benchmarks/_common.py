"""Shared helpers: side-by-side timing, peak memory, and one printed line per figure.

Every figure is a ratio measured *interleaved*: each round times dosing's side and the baseline's
one after the other (the order alternating between rounds), and the figure is the median of the
per-round ratios. A burst of load from another process then disturbs both sides of one round, not
one side of the whole comparison, and the median ignores the rounds it spoiled. (The minimum of
sequential runs, used before, compares the luckiest moment of each side, which need not be the
same moment.)
"""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

#: Every verdict printed, for the summary at the end of a run: (figure, met).
VERDICTS: list[tuple[str, bool]] = []


@dataclass(frozen=True)
class Comparison:
    """The per-round times of both sides [s per call] and the median of the per-round ratios."""

    ours: tuple[float, ...]
    baseline: tuple[float, ...]

    @property
    def ratios(self) -> tuple[float, ...]:
        return tuple(o / b for o, b in zip(self.ours, self.baseline, strict=True))

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def _per_call(function: Callable[[], object], number: int) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(number):
        function()
    return (clock() - start) / number


def calls_for(function: Callable[[], object], seconds: float = 0.02) -> int:
    """How many calls of ``function`` take about ``seconds`` (at least one)."""
    single = _per_call(function, 1)
    return max(1, int(seconds / max(single, 1e-9)))


def interleaved(
    ours: Callable[[], object],
    baseline: Callable[[], object],
    *,
    rounds: int = 21,
    number: int | None = None,
) -> Comparison:
    """Time both sides in alternating order, ``rounds`` times, ``number`` calls each."""
    ours(), baseline()  # warm up: caches, lazy imports, first-call set-up
    if number is None:
        number = calls_for(ours)
    mine, theirs = [], []
    for index in range(rounds):
        if index % 2:
            theirs.append(_per_call(baseline, number))
            mine.append(_per_call(ours, number))
        else:
            mine.append(_per_call(ours, number))
            theirs.append(_per_call(baseline, number))
    return Comparison(tuple(mine), tuple(theirs))


def peak_bytes(function: Callable[[], object]) -> tuple[int, object]:
    """The peak memory ``function`` allocates above what was allocated before it [bytes], as
    traced by :mod:`tracemalloc` (numpy reports its array buffers to it), and its result."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = function()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before, result


def load() -> str:
    """The machine's load averages over 1, 5 and 15 minutes, as ``uptime`` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def report(
    name: str,
    comparison: Comparison,
    goal: float | None,
    *,
    size: str = "",
) -> float:
    """Print one figure: both sides' median time, the median ratio and its spread, the goal."""
    ratio = comparison.ratio
    ratios = sorted(comparison.ratios)
    low, high = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
    if goal is None:
        verdict = "(for information)"
    else:
        met = ratio <= goal
        VERDICTS.append((f"{name} {size}".strip(), met))
        verdict = f"goal <= {goal:g}x: {'MET' if met else 'MISSED'}"
    print(
        f"{name:<58} {size:>6} {_time(statistics.median(comparison.ours)):>9} vs "
        f"{_time(statistics.median(comparison.baseline)):>9}  ratio {ratio:6.2f}x "
        f"[{low:.2f}–{high:.2f}] {verdict}",
        flush=True,
    )
    return ratio


def report_value(name: str, value: float, unit: str, goal: float | None, *, size: str = "") -> None:
    """Print one figure that is not a ratio (bytes per patient), against its goal."""
    if goal is None:
        verdict = "(for information)"
    else:
        met = value <= goal
        VERDICTS.append((f"{name} {size}".strip(), met))
        verdict = f"goal <= {goal:g} {unit}: {'MET' if met else 'MISSED'}"
    print(f"{name:<58} {size:>6} {value:9.1f} {unit}  {verdict}", flush=True)


def _time(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e9:.0f} ns"
