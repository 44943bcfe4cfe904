"""Per patient: dosing's cohort path vs the fastest other Python BSA package called in a loop.

The other package is ``health-bsa`` (PyPI), a pure-Python function; it was the fastest of the
Python BSA packages found (``health-bsa``, ``medcalc-bench``, ``clincalc``). Note that it rounds
inside the formula (2 decimals by default), which dosing never does; the comparison calls it with
``digits=15`` so both compute the same number. Install it with ``pip install health-bsa``.
"""

from __future__ import annotations

import numpy as np

import dosing
from benchmarks._common import interleaved, report
from dosing import Q_


def main(rounds: int) -> None:
    try:
        from health_bsa.bsa import BSA
    except ImportError:
        print("per patient: cohort vs health-bsa in a loop     skipped: pip install health-bsa")
        return
    rng = np.random.default_rng(2026)
    n = 100_000
    heights = rng.uniform(50.0, 200.0, n)
    weights = rng.uniform(3.0, 120.0, n)
    h_q, w_q = Q_(heights, "cm"), Q_(weights, "kg")
    h_list, w_list = heights.tolist(), weights.tolist()

    def ours() -> object:
        return dosing.bsa(h_q, w_q)

    def theirs() -> object:
        return [BSA(w, h, "Mosteller", 15) for h, w in zip(h_list, w_list, strict=True)]

    np.testing.assert_allclose(ours().m_as("m**2"), theirs(), rtol=1e-12)
    report(
        "for information: cohort bsa() vs health-bsa in a loop",
        interleaved(ours, theirs, rounds=max(3, rounds // 4), number=1),
        None,
        size="1e5",
    )
