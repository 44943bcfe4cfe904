"""A pandas DataFrame of a schedule, built from the arrays (no per-row Python objects).

Requires the ``pandas`` extra (``pip install "dosing[pandas]"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dosing.formats._registry import register_format
from dosing.units import ucum
from dosing.vocabulary import FLAGS

if TYPE_CHECKING:
    from dosing.schedule import Schedule

__all__ = ["to_frame"]


@register_format("pandas", description="a pandas DataFrame, one row per administration", text=False)
def to_frame(schedule: Schedule) -> Any:
    """A pandas DataFrame: one row per administration (per patient for a cohort).

    Doses of one schedule can be in different units (mg for drugs, Gy for TBI), so each
    quantity is a float column beside a UCUM unit column (``dose``, ``unit``; ``calculated``;
    ``prescribed``, ``prescribed_unit``; ``basis_value``, ``basis_unit``), as a tidy pandas
    table expects. Each flag is a boolean column. For a cohort the frame is built from numpy
    arrays directly and starts with a ``patient`` column.
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover  (the pandas extra is installed in CI)
        raise ImportError(
            "Schedule.to_frame() needs pandas: pip install 'dosing[pandas]'"
        ) from None

    patient = schedule.patient
    count = int(np.prod(patient.shape)) if patient.is_cohort else 1
    rows = schedule.rows

    def per_patient(arrays: list[Any]) -> Any:
        """(rows × patients) values, patient-major like to_records()."""
        stacked = np.stack(
            [
                np.broadcast_to(np.asarray(a, dtype=float), patient.shape).reshape(count)
                for a in arrays
            ]
        )
        return stacked.T.ravel()

    columns: dict[str, Any] = {}
    if patient.is_cohort:
        columns["patient"] = np.repeat(np.arange(count), len(rows))

    def tile(values: list[Any]) -> Any:
        return np.tile(np.asarray(values, dtype=object), count)

    columns["day"] = np.tile(np.array([r.day for r in rows]), count)
    columns["date"] = pd.to_datetime(tile([r.date for r in rows]))
    columns["agent"] = tile([r.agent for r in rows])
    columns["dose"] = per_patient([r.dose_value for r in rows])
    columns["unit"] = tile([ucum(r.unit) for r in rows])
    columns["calculated"] = per_patient([r.calculated_value for r in rows])
    columns["prescribed"] = np.tile(np.array([float(r.prescribed.magnitude) for r in rows]), count)
    columns["prescribed_unit"] = tile([ucum(r.prescribed.units) for r in rows])
    columns["basis_value"] = per_patient(
        [np.nan if r.basis.value is None else r.basis.value for r in rows]
    )
    columns["basis_unit"] = tile(["" if r.basis.unit is None else ucum(r.basis.unit) for r in rows])
    columns["basis"] = tile([r.basis.method for r in rows])
    for flag in FLAGS:
        masks = []
        for row in rows:
            if isinstance(row.flags, frozenset):
                masks.append(flag in row.flags)
            else:
                masks.append(row.flags.get(flag, False))
        columns[flag] = per_patient(masks).astype(bool)
    columns["route"] = tile([r.route for r in rows])
    columns["administration"] = np.tile(np.array([r.administration for r in rows]), count)
    columns["per_day"] = np.tile(np.array([r.per_day for r in rows]), count)
    columns["planned_day"] = np.tile(np.array([r.planned_day for r in rows]), count)
    columns["regimen"] = tile([r.regimen for r in rows])
    return pd.DataFrame(columns)
