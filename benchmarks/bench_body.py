"""Benchmarks for the body-size formulas: ratios measured side by side in one run.

Run with ``python benchmarks/bench_body.py``. It prints ratios (dosing / baseline) and the goals
from the issue; it never fails on time, since wall-clock times vary between machines.

* ``bsa()`` over 10^6 patients vs plain numpy ``sqrt(h * w / 3600)``: goal <= 1.25x.
* a scalar ``bsa()`` vs one pre-parsed ``q.m_as(unit)``: goal <= 3x.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

import numpy as np

import dosing
from dosing import Q_
from dosing.units import CM, M


def best_of(function: Callable[[], object], number: int, repeat: int = 7) -> float:
    """The fastest of ``repeat`` runs, per call [s]: the least disturbed by the machine."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def report(name: str, ours: float, baseline: float, goal: float | None) -> float:
    ratio = ours / baseline
    if goal is None:
        verdict = "(for information: no goal)"
    else:
        verdict = f"(goal <= {goal}x: {'meets' if ratio <= goal else 'MISSES'})"
    print(
        f"{name:<46} {ours * 1e6:>10.2f} us vs {baseline * 1e6:>10.2f} us  "
        f"ratio {ratio:5.2f}x  {verdict}"
    )
    return ratio


def main() -> None:
    rng = np.random.default_rng(2026)
    n = 1_000_000
    heights = rng.uniform(50.0, 200.0, n)
    weights = rng.uniform(3.0, 120.0, n)
    h_q, w_q = Q_(heights, "cm"), Q_(weights, "kg")

    def plain() -> object:
        return np.sqrt(heights * weights / 3600.0)

    def ours_cohort() -> object:
        return dosing.bsa(h_q, w_q)

    np.testing.assert_allclose(ours_cohort().m_as("m**2"), plain(), rtol=1e-15)
    print(f"dosing {dosing.__version__}, numpy {np.__version__}")

    def plain_in_place() -> object:
        product = heights * weights
        product /= 3600.0
        return np.sqrt(product, out=product)

    cohort = best_of(ours_cohort, 5)
    report("bsa() over 10^6 patients vs numpy", cohort, best_of(plain, 5), 1.25)
    # The same arithmetic without temporaries, as dosing's kernel does it: what is left is the
    # cost of checking units and every element's plausibility.
    report("bsa() over 10^6 vs numpy without temporaries", cohort, best_of(plain_in_place, 5), None)

    h1, w1 = Q_(150.0, "cm"), Q_(40.0, "kg")
    q = Q_(1.5, "m")

    def scalar() -> object:
        return dosing.bsa(h1, w1)

    def one_m_as() -> object:
        return q.m_as(M)

    def one_m_as_converting() -> object:
        return q.m_as(CM)

    report(
        "scalar bsa() vs one q.m_as(unit)", best_of(scalar, 20_000), best_of(one_m_as, 20_000), 3.0
    )
    report(
        "scalar bsa() vs one converting q.m_as(unit)",
        best_of(scalar, 20_000),
        best_of(one_m_as_converting, 20_000),
        3.0,
    )


if __name__ == "__main__":
    main()
