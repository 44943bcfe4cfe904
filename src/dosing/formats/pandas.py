"""A pandas DataFrame of a schedule, built from the arrays (no per-row Python objects).

Requires the ``pandas`` extra (``pip install "dosing[pandas]"``).

How it is fast: a schedule of ``k`` administrations for ``n`` patients has only a handful of
distinct dose lines, each one array over the patients. Every per-patient column (``dose``,
``calculated``, ``basis_value``, each flag) is one ``np.stack`` of those arrays into an
``(n, k)`` block, whose flat view is the column; every per-administration column (``day``,
``agent``, units, ...) is the schedule's ``k`` values tiled ``n`` times, text as categorical codes
(one byte per row, not one Python string); and the frame takes the arrays without copying or
consolidating them. The benchmark runner compares it with the same columns built by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dosing.formats._registry import register_format
from dosing.units import ucum
from dosing.vocabulary import FLAGS

if TYPE_CHECKING:
    from dosing.schedule import Row, Schedule

__all__ = ["categorical", "import_pandas", "to_frame"]


def import_pandas() -> Any:
    """The pandas module, or an ImportError that says how to install it."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover  (the pandas extra is installed in CI)
        raise ImportError("this needs pandas: pip install 'dosing[pandas]'") from None
    return pd


def categorical(pd: Any, values: Sequence[Any], repeat: int = 1, tile: int = 1) -> Any:
    """A categorical column of ``values`` (each repeated ``repeat`` times, all tiled ``tile``
    times), built from integer codes: no Python object per row. None is a missing value."""
    categories: dict[Any, int] = {}
    codes = np.fromiter(
        (
            -1 if value is None else categories.setdefault(value, len(categories))
            for value in values
        ),
        dtype=np.int32,
        count=len(values),
    )
    if repeat != 1:
        codes = np.repeat(codes, repeat)
    if tile != 1:
        codes = np.tile(codes, tile)
    width = np.int8 if len(categories) < 127 else np.int32
    return pd.Categorical.from_codes(codes.astype(width, copy=False), list(categories))


def _per_patient(arrays: list[Any], shape: tuple[int, ...], count: int) -> Any:
    """The ``(patients, administrations)`` values as one flat array, patient-major (as
    ``to_records()``), from each row's array (rows of one line share theirs)."""
    flat: dict[int, Any] = {}
    columns = []
    for array in arrays:
        key = id(array)
        if key not in flat:
            values = np.asarray(array)
            flat[key] = np.broadcast_to(values, shape).reshape(count)
        columns.append(flat[key])
    return np.stack(columns, axis=1).reshape(-1)


def _flag_arrays(rows: Sequence[Row], flag: str, shape: tuple[int, ...]) -> list[Any] | None:
    """Each row's mask of ``flag`` (None when no row has it for anyone)."""
    masks: list[Any] = []
    found = False
    for row in rows:
        if isinstance(row.flags, frozenset):
            mask: Any = flag in row.flags
        else:
            mask = row.flags.get(flag, False)
        found = found or mask is not False
        masks.append(mask)
    return masks if found else None


@register_format("pandas", description="a pandas DataFrame, one row per administration", text=False)
def to_frame(schedule: Schedule) -> Any:
    """A pandas DataFrame: one row per administration (per patient for a cohort).

    Doses of one schedule can be in different units (mg for drugs, Gy for TBI), so each
    quantity is a float column beside a UCUM unit column (``dose``, ``unit``; ``calculated``;
    ``prescribed``, ``prescribed_unit``; ``basis_value``, ``basis_unit``), as a tidy pandas
    table expects. Each flag is a boolean column. Text columns (``agent``, the units,
    ``basis``, ``route``, ``regimen``) are categorical. For a cohort the frame starts with a
    ``patient`` column (the position in the flattened cohort).
    """
    pd = import_pandas()
    patient = schedule.patient
    shape = patient.shape
    count = int(np.prod(shape)) if patient.is_cohort else 1
    rows = schedule.rows
    k = len(rows)

    def tiled(values: Sequence[Any], dtype: Any = None) -> Any:
        return np.tile(np.asarray(values, dtype=dtype), count)

    def per_patient(arrays: list[Any]) -> Any:
        if not patient.is_cohort:
            return np.asarray(arrays, dtype=float).reshape(k)
        return _per_patient(
            [np.asarray(a, dtype=float) if np.ndim(a) == 0 else a for a in arrays], shape, count
        )

    columns: dict[str, Any] = {}
    if patient.is_cohort:
        columns["patient"] = np.repeat(np.arange(count), k)
    columns["day"] = tiled([r.day for r in rows], np.int64)
    dates = np.array(
        [np.datetime64("NaT") if r.date is None else np.datetime64(r.date, "D") for r in rows],
        dtype="datetime64[D]",
    )
    columns["date"] = np.tile(dates.astype("datetime64[s]"), count)
    columns["agent"] = categorical(pd, [r.agent for r in rows], tile=count)
    columns["dose"] = per_patient([r.dose_value for r in rows])
    columns["unit"] = categorical(pd, [ucum(r.unit) for r in rows], tile=count)
    columns["calculated"] = per_patient([r.calculated_value for r in rows])
    columns["prescribed"] = tiled([float(r.prescribed.magnitude) for r in rows], float)
    columns["prescribed_unit"] = categorical(
        pd, [ucum(r.prescribed.units) for r in rows], tile=count
    )
    nan = np.float64(np.nan)
    columns["basis_value"] = per_patient(
        [nan if r.basis.value is None else r.basis.value for r in rows]
    )
    columns["basis_unit"] = categorical(
        pd, ["" if r.basis.unit is None else ucum(r.basis.unit) for r in rows], tile=count
    )
    columns["basis"] = categorical(pd, [r.basis.method for r in rows], tile=count)
    for flag in FLAGS:
        masks = _flag_arrays(rows, flag, shape)
        if masks is None:
            columns[flag] = np.zeros(count * k, dtype=bool)
        elif not patient.is_cohort:
            columns[flag] = np.array([bool(m) for m in masks], dtype=bool)
        else:
            columns[flag] = _per_patient(
                [np.asarray(m, dtype=bool) if isinstance(m, bool) else m for m in masks],
                shape,
                count,
            ).astype(bool, copy=False)
    columns["route"] = categorical(pd, [r.route for r in rows], tile=count)
    columns["administration"] = tiled([r.administration for r in rows], np.int64)
    columns["per_day"] = tiled([r.per_day for r in rows], np.int64)
    columns["planned_day"] = tiled([r.planned_day for r in rows], np.int64)
    columns["regimen"] = categorical(pd, [r.regimen for r in rows], tile=count)
    return frame_of(pd, columns)


def frame_of(pd: Any, columns: dict[str, Any]) -> Any:
    """A DataFrame holding ``columns`` as they are: no copy, no consolidation into blocks
    (which would double the peak memory of a large frame)."""
    return pd.DataFrame(columns, copy=False)
