"""Body-surface area: a cohort against plain numpy, and one patient against one pint call.

* ``bsa()`` over 10^6 patients vs plain numpy ``sqrt(h * w / 3600)``: goal <= 1.25x.
* a scalar ``bsa()`` vs one pre-parsed ``q.m_as(unit)``: goal <= 3x.

Run with ``python benchmarks/bench_body.py`` (or every benchmark: ``python benchmarks/run.py``).
"""

from __future__ import annotations

import numpy as np

import dosing
from benchmarks._common import best_of, report
from dosing import Q_
from dosing.units import CM, M


def main() -> None:
    rng = np.random.default_rng(2026)
    n = 1_000_000
    heights = rng.uniform(50.0, 200.0, n)
    weights = rng.uniform(3.0, 120.0, n)
    h_q, w_q = Q_(heights, "cm"), Q_(weights, "kg")

    def plain() -> object:
        return np.sqrt(heights * weights / 3600.0)

    def plain_in_place() -> object:
        product = heights * weights
        product /= 3600.0
        return np.sqrt(product, out=product)

    def ours_cohort() -> object:
        return dosing.bsa(h_q, w_q)

    np.testing.assert_allclose(ours_cohort().m_as("m**2"), plain(), rtol=1e-15)
    cohort = best_of(ours_cohort, 5)
    report("bsa() over 10^6 patients vs numpy", cohort, best_of(plain, 5), 1.25)
    # The same arithmetic without temporaries, as dosing's kernel does it: what is left is the
    # cost of checking the units and every element's plausibility.
    report("bsa() over 10^6 vs numpy without temporaries", cohort, best_of(plain_in_place, 5), None)

    h1, w1 = Q_(150.0, "cm"), Q_(40.0, "kg")
    q = Q_(1.5, "m")

    def scalar() -> object:
        return dosing.bsa(h1, w1)

    def one_m_as() -> object:
        return q.m_as(M)

    def one_m_as_converting() -> object:
        return q.m_as(CM)

    one = best_of(scalar, 20_000)
    report("scalar bsa() vs one q.m_as(unit)", one, best_of(one_m_as, 20_000), 3.0)
    report(
        "scalar bsa() vs one converting q.m_as(unit)",
        one,
        best_of(one_m_as_converting, 20_000),
        3.0,
    )


if __name__ == "__main__":
    main()
