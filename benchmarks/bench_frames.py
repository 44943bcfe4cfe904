"""Tables out and in: ``Schedule.to_frame()`` and ``dosing.plan_frame`` against hand-built columns.

Both goals are ratios measured side by side: each round runs dosing and the baseline one after
the other (alternating which goes first), and the printed ratio is the median of the per-round
ratios, so that a busy machine slows both alike.

* ``to_frame()`` of ``flu-arac-mel-ric`` for 10^6 patients vs the same columns built by hand
  from the same schedule's arrays (numpy ``stack``/``tile``, categorical codes, one DataFrame
  without a copy): goal <= 2x; peak memory (tracemalloc) at most 1.5x the frame's own size.
* ``plan_frame`` of 10^6 rows across the built-in regimens dosed per m², per kg or flat (the nine
  of the issue, and those added since) vs hand-written numpy that computes the same doses
  (Mosteller BSA by hand, amount × basis) and builds the same columns (grouped by regimen,
  concatenated; no checks, flags or findings): goal <= 2.5x.
* Spark local mode (only with ``python benchmarks/run.py --spark`` or ``python -m
  benchmarks.bench_frames --spark``, and pyspark installed): the 10^6 rows through
  ``mapInPandas(plan_batches, SPARK_SCHEMA)`` give the same rows as ``plan_frame``.
"""

from __future__ import annotations

import sys
import time
import warnings
from typing import Any

import numpy as np

import dosing
from benchmarks import _common
from dosing import Q_
from dosing.units import ucum


def hand_to_frame(pd: Any, schedule: dosing.Schedule) -> Any:
    """The columns of ``to_frame()`` built by hand from ``schedule``'s arrays."""
    rows = schedule.rows
    n, k = schedule.patient.shape[0], len(rows)

    def codes(values: list[Any]) -> Any:
        categories = list(dict.fromkeys(values))
        index = np.array([categories.index(v) for v in values], dtype=np.int8)
        return pd.Categorical.from_codes(np.tile(index, n), categories)

    def stacked(arrays: list[Any]) -> Any:
        return np.stack(
            [np.broadcast_to(np.asarray(a, dtype=float), (n,)) for a in arrays], axis=1
        ).reshape(-1)

    ints = {
        name: np.tile(np.array([getattr(r, name) for r in rows], dtype=np.int64), n)
        for name in ("day", "administration", "per_day", "planned_day")
    }
    columns: dict[str, Any] = {"patient": np.repeat(np.arange(n), k), "day": ints["day"]}
    columns["date"] = np.tile(np.full(k, np.datetime64("NaT"), dtype="datetime64[s]"), n)
    columns["agent"] = codes([r.agent for r in rows])
    columns["dose"] = stacked([r.dose_value for r in rows])
    columns["unit"] = codes(["mg"] * k)
    columns["calculated"] = stacked([r.calculated_value for r in rows])
    columns["prescribed"] = np.tile(np.array([r.prescribed.magnitude for r in rows], float), n)
    columns["prescribed_unit"] = codes([ucum(r.prescribed.units) for r in rows])
    columns["basis_value"] = stacked([r.basis.value for r in rows])
    columns["basis_unit"] = codes(["m2"] * k)
    columns["basis"] = codes(["mosteller"] * k)
    for flag in dosing.vocabulary.FLAGS:
        columns[flag] = np.zeros(n * k, dtype=bool)
    columns["route"] = codes([r.route for r in rows])
    for name in ("administration", "per_day", "planned_day"):
        columns[name] = ints[name]
    columns["regimen"] = codes([r.regimen for r in rows])
    return pd.DataFrame(columns, copy=False)


def simple_regimens() -> list[str]:
    """The built-in regimens dosed per m², per kg of actual weight or flat (the hand baseline's
    arithmetic; a target AUC or weight band needs more than height and weight)."""
    return [
        key
        for key in dosing.regimen_keys()
        if all(
            line.kind in ("bsa", "weight", "flat", "radiation")
            for line in dosing.get_regimen(key).doses
        )
    ]


def registry_table(pd: Any, n: int, seed: int = 2026) -> Any:
    """``n`` rows across every built-in regimen, with heights, weights and anchor dates."""
    rng = np.random.default_rng(seed)
    keys = np.array(simple_regimens())
    regimen = keys[rng.integers(0, keys.size, n)]
    heights = rng.uniform(120.0, 190.0, n)
    weights = (heights / 100.0) ** 2 * rng.uniform(16.0, 32.0, n)
    cycles = [key for key in keys if dosing.get_regimen(str(key)).frame == "cycle"]
    cycle = np.isin(regimen, cycles)
    anchor = np.datetime64("2026-12-10", "s")
    return pd.DataFrame(
        {
            "patient_id": np.arange(n),
            "regimen": regimen,
            "height": heights,
            "height_unit": "cm",
            "weight": weights,
            "weight_unit": "kg",
            "cycle_start": np.where(cycle, anchor, np.datetime64("NaT", "s")),
            "transplant_date": np.where(cycle, np.datetime64("NaT", "s"), anchor),
        }
    )


def hand_plan(pd: Any, table: Any) -> Any:
    """The doses of every row by hand (Mosteller, amount × basis) in ``plan_frame``'s columns."""
    regimen = table["regimen"].to_numpy()
    heights = table["height"].to_numpy()
    weights = table["weight"].to_numpy()
    ids = table["patient_id"].to_numpy()
    anchors = {
        "cycle": table["cycle_start"].to_numpy().astype("datetime64[D]").astype(np.int64) - 1,
        "transplant": table["transplant_date"].to_numpy().astype("datetime64[D]").astype(np.int64),
    }
    keys = simple_regimens()
    parts: dict[str, list[Any]] = {}
    texts = ("agent", "dose_unit", "prescribed_unit", "basis_kind", "basis_unit", "basis_method")
    categories: dict[str, dict[str, int]] = {name: {} for name in (*texts, "regimen")}

    def add(name: str, array: Any) -> None:
        parts.setdefault(name, []).append(array)

    for key in keys:
        template = dosing.get_regimen(key)
        rows = np.flatnonzero(regimen == key)
        n = rows.size
        h, w = heights[rows], weights[rows]
        bsa = np.sqrt(h * w / 3600.0)
        plan = [
            (line, day, administration)
            for line in template.doses
            for day in line.days
            for administration in range(1, line.per_day + 1)
        ]
        plan.sort(key=lambda item: (item[1], item[0].order, item[2]))
        per_line = []
        for line, _, _ in plan:
            basis = {"bsa": bsa, "weight": w}.get(line.kind)
            amount = line.amount_value
            per_line.append(
                (amount * basis, basis) if basis is not None else (np.full(n, amount), None)
            )
        doses = np.stack([d for d, _ in per_line], axis=1).reshape(-1)
        bases = np.stack(
            [np.full(n, np.nan) if b is None else b for _, b in per_line], axis=1
        ).reshape(-1)
        k = len(plan)
        add("patient_id", np.repeat(ids[rows], k))
        add("regimen", np.full(n * k, categories["regimen"].setdefault(key, len(keys))))
        day = np.array([d for _, d, _ in plan])
        add("day", np.tile(day, n))
        add("date", (anchors[template.frame][rows][:, None] + day[None, :]).reshape(-1))
        add("dose", doses)
        add("prescribed", np.tile(np.array([line.prescribed.magnitude for line, _, _ in plan]), n))
        add("calculated", doses.copy())
        add("basis_value", bases)
        add("administration", np.tile(np.array([a for _, _, a in plan]), n))
        for name in texts:
            values = [
                {
                    "agent": line.agent,
                    "dose_unit": str(line.dose_unit),
                    "prescribed_unit": str(line.prescribed.units),
                    "basis_kind": line.kind,
                    "basis_unit": line.kind,
                    "basis_method": line.kind,
                }[name]
                for line, _, _ in plan
            ]
            table_of = categories[name]
            add(name, np.tile(np.array([table_of.setdefault(v, len(table_of)) for v in values]), n))
    columns: dict[str, Any] = {}
    for name, arrays in parts.items():
        joined = np.concatenate(arrays)
        if name in categories:
            joined = pd.Categorical.from_codes(
                joined.astype(np.int32), list(range(max(len(categories[name]), len(keys) + 1)))
            )
        elif name == "date":
            joined = joined.view("datetime64[D]").astype("datetime64[s]")
        columns[name] = joined
    columns["flags"] = pd.Categorical.from_codes(np.zeros(len(columns["dose"]), np.int32), [""])
    columns["findings"] = pd.Categorical.from_codes(np.zeros(len(columns["dose"]), np.int32), [""])
    columns["warnings"] = pd.Categorical.from_codes(np.zeros(len(columns["dose"]), np.int32), [""])
    columns["error"] = pd.Categorical.from_codes(np.full(len(columns["dose"]), -1, np.int32), [])
    return pd.DataFrame(columns, copy=False)


def spark_same_rows(pd: Any, table: Any, expected: Any) -> None:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        print("Spark local mode: skipped (pip install pyspark)")
        return
    import dosing.frames

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        start = time.perf_counter()
        source = spark.createDataFrame(table.astype({"patient_id": str}))
        out = source.mapInPandas(dosing.frames.plan_batches, dosing.frames.SPARK_SCHEMA)
        got = out.toPandas()
        elapsed = time.perf_counter() - start
    finally:
        spark.stop()
    key = ["patient_id", "day", "agent", "administration"]
    text = ["regimen", "agent", "dose_unit", "basis_method", "flags", "findings"]
    left = got.astype(dict.fromkeys(text, str)).sort_values(key).reset_index(drop=True)
    right = (
        expected.astype({"patient_id": str, **dict.fromkeys(text, str)})
        .sort_values(key)
        .reset_index(drop=True)
    )
    same = len(left) == len(right) and all(
        np.array_equal(left[name].to_numpy(), right[name].to_numpy())
        for name in ("patient_id", *text)
    )
    same = same and all(
        np.array_equal(left[name].to_numpy(float), right[name].to_numpy(float), equal_nan=True)
        for name in ("day", "dose", "calculated", "basis_value")
    )
    print(
        f"Spark local mode, {len(table)} rows: {len(got)} rows out in {elapsed:.1f} s; "
        f"the same rows as plan_frame: {'yes' if same else 'NO'}"
    )


def main(rounds: int = 7, *, spark: bool = False) -> None:
    try:
        import pandas as pd
    except ImportError:
        print("tables: skipped (pip install 'dosing[pandas]')")
        return
    warnings.simplefilter("ignore", dosing.DosingWarning)
    rng = np.random.default_rng(2026)
    n = 1_000_000
    heights = rng.uniform(120.0, 190.0, n)
    weights = rng.uniform(25.0, 100.0, n)
    patients = dosing.Patient(height=Q_(heights, "cm"), weight=Q_(weights, "kg"))
    schedule = dosing.get_regimen("flu-arac-mel-ric").expand(patients)

    ours = schedule.to_frame()
    theirs = hand_to_frame(pd, schedule)
    pd.testing.assert_frame_equal(ours, theirs, check_categorical=False)
    size = int(ours.memory_usage(index=False, deep=True).sum())
    del ours, theirs
    comparison = _common.interleaved(
        schedule.to_frame, lambda: hand_to_frame(pd, schedule), rounds=rounds, number=1
    )
    _common.report("to_frame() vs the same columns built by hand", comparison, 2.0, size="10^6")
    used, _ = _common.peak_bytes(schedule.to_frame)
    _common.report_value(
        f"to_frame() peak memory / the frame's {size / 2**20:.0f} MiB",
        used / size,
        "x",
        1.5,
        size="10^6",
    )

    table = registry_table(pd, n)
    planned = dosing.plan_frame(table)
    hand = hand_plan(pd, table)
    order = ["patient_id", "day", "agent"]
    np.testing.assert_allclose(
        planned.sort_values(order, kind="stable")["dose"].to_numpy(),
        hand.sort_values(order, kind="stable")["dose"].to_numpy(),
        rtol=1e-12,
    )
    comparison = _common.interleaved(
        lambda: dosing.plan_frame(table), lambda: hand_plan(pd, table), rounds=rounds, number=1
    )
    count = len(simple_regimens())
    _common.report(f"plan_frame, {count} regimens, vs hand numpy", comparison, 2.5, size="10^6")
    if spark or "--spark" in sys.argv:
        spark_same_rows(pd, table, planned)
