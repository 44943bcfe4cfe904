"""Body-surface area: ``bsa()`` against numpy, from 10^3 to 10^7 patients, and Schlich by sex.

Baselines, the fair one first:

* numpy written without temporaries, ``p = h * w; p /= 3600; sqrt(p, out=p)``, and *without*
  checks: what a careful user would write who trusts the inputs. dosing checks every element of
  both inputs against its plausible range besides (the four min/max of height and weight).
  Goal <= 1.15x from 10^5 patients up.
* plain numpy ``sqrt(h * w / 3600)`` at 10^3 patients, where what matters is the fixed cost per
  call (units checked and stripped, the result wrapped). Goal <= 2x.
* Schlich with sex given as strings for 10^6 patients, against the same formulas by hand with the
  sex strings read once (``sex == "male"``) and checked (every entry male or female).
  Goal <= 1.3x.
"""

from __future__ import annotations

import warnings

import numpy as np

import dosing
from benchmarks._common import interleaved, report
from dosing import Q_
from dosing.units import CM, KG

SWEEP = (10**3, 10**4, 10**5, 10**6, 10**7)


def _cohort(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2026)
    return rng.uniform(50.0, 200.0, n), rng.uniform(3.0, 120.0, n)


def main(rounds: int, sizes: tuple[int, ...] = SWEEP) -> None:
    for n in sizes:
        _size(n, rounds)
    _schlich(rounds)


def _size(n: int, rounds: int) -> None:
    heights, weights = _cohort(n)
    h_q, w_q = Q_(heights, CM), Q_(weights, KG)

    def ours() -> object:
        return dosing.bsa(h_q, w_q)

    def in_place() -> object:
        product = heights * weights
        product /= 3600.0
        return np.sqrt(product, out=product)

    def plain() -> object:
        return np.sqrt(heights * weights / 3600.0)

    def checked() -> object:
        # the same four checks, by hand, as a user who checks inputs would write them
        if not (heights.min() >= 20.0 and heights.max() <= 260.0):
            raise ValueError("height")
        if not (weights.min() >= 0.3 and weights.max() <= 400.0):
            raise ValueError("weight")
        return in_place()

    np.testing.assert_allclose(ours().m_as("m**2"), plain(), rtol=1e-15)
    size = f"1e{len(str(n)) - 1}"
    rounds_n = rounds if n <= 10**6 else max(5, rounds // 3)
    if n == 10**3:
        report(
            "bsa() vs plain numpy sqrt(h*w/3600)",
            interleaved(ours, plain, rounds=rounds_n),
            2.0,
            size=size,
        )
    report(
        "bsa() vs numpy without temporaries (no checks)",
        interleaved(ours, in_place, rounds=rounds_n),
        1.15 if n >= 10**5 else None,
        size=size,
    )
    report(
        "  for information: vs numpy with the same 4 checks",
        interleaved(ours, checked, rounds=rounds_n),
        None,
        size=size,
    )


def _schlich(rounds: int) -> None:
    n = 10**6
    rng = np.random.default_rng(2026)
    heights = rng.uniform(150.0, 200.0, n)
    weights = rng.uniform(45.0, 120.0, n)
    sex = np.where(rng.random(n) < 0.5, "male", "female")
    h_q, w_q = Q_(heights, CM), Q_(weights, KG)

    def ours() -> object:
        return dosing.bsa(h_q, w_q, method="schlich", sex=sex)

    def hand() -> object:
        male = sex == "male"
        if not np.logical_or(male, sex == "female").all():
            raise ValueError("sex")
        as_male = 0.000579479 * np.power(weights, 0.38) * np.power(heights, 1.24)
        as_female = 0.000975482 * np.power(weights, 0.46) * np.power(heights, 1.08)
        return np.where(male, as_male, as_female)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dosing.DosingWarning)
        np.testing.assert_allclose(ours().m_as("m**2"), hand(), rtol=1e-14)
        report(
            "bsa(method='schlich', sex=strings) vs hand numpy",
            interleaved(ours, hand, rounds=max(5, rounds // 2)),
            1.3,
            size="1e6",
        )
