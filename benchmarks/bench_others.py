"""Per patient: dosing's cohort path vs the fastest other Python BSA package called in a loop.

The other package is ``health-bsa`` (PyPI), a pure-Python function; it was the fastest of the
Python BSA packages found (``health-bsa``, ``medcalc-bench``, ``clincalc``). Note that it rounds
inside the formula (2 decimals by default), which dosing never does; the comparison calls it with
``digits=15`` so both compute the same number. Install it with ``pip install health-bsa``.
"""

from __future__ import annotations

import numpy as np

import dosing
from benchmarks._common import best_of, report
from dosing import Q_


def main() -> None:
    try:
        from health_bsa.bsa import BSA
    except ImportError:
        print("per patient: cohort vs health-bsa in a loop     skipped: pip install health-bsa")
        return
    rng = np.random.default_rng(2026)
    n = 1_000_000
    heights = rng.uniform(50.0, 200.0, n)
    weights = rng.uniform(3.0, 120.0, n)
    h_q, w_q = Q_(heights, "cm"), Q_(weights, "kg")
    loop_n = 100_000
    h_list, w_list = heights[:loop_n].tolist(), weights[:loop_n].tolist()

    def ours() -> object:
        return dosing.bsa(h_q, w_q)

    def theirs() -> object:
        return [BSA(w, h, "Mosteller", 15) for h, w in zip(h_list, w_list, strict=True)]

    np.testing.assert_allclose(ours().m_as("m**2")[:loop_n], theirs(), rtol=1e-12)
    per_patient_ours = best_of(ours, 3) / n
    per_patient_theirs = best_of(theirs, 1, repeat=3) / loop_n
    report(
        "per patient: cohort bsa() vs health-bsa in a loop",
        per_patient_ours,
        per_patient_theirs,
        None,
    )


if __name__ == "__main__":
    main()
