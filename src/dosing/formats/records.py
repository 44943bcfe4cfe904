"""JSON-safe records of a schedule, and the JSON document of ``dosing plan --format json``.

Quantities are written as ``{"value": float, "unit": UCUM code}`` (``mg``, ``mg/m2``, ``[iU]``),
dates as ISO strings, so that every value keeps its unit and FHIR export is a direct mapping.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from dosing.checks import check
from dosing.errors import DomainError
from dosing.formats._registry import register_format
from dosing.references import REFERENCES
from dosing.units import Q_, ucum

if TYPE_CHECKING:
    from dosing.basis import Basis
    from dosing.checks import Finding
    from dosing.schedule import Row, Schedule

__all__ = ["basis_record", "json_document", "row_record", "schedule_records"]


def _json_number(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):  # pragma: no cover  (inputs are checked finite)
        raise DomainError(
            f"cannot be written to a record ({number})",
            argument="value",
            value=number,
            message=f"cannot write a non-finite number ({number}) to a record",
        )
    return number


def _pick(value: Any, index: int | None) -> Any:
    """The value of patient ``index`` (all of them, as a list, when ``index`` is None)."""
    if index is None or np.ndim(value) == 0:
        return (
            _json_number(value)
            if np.ndim(value) == 0
            else [_json_number(v) for v in np.asarray(value).ravel()]
        )
    return _json_number(np.asarray(value).ravel()[index])


def _pick_text(value: Any, index: int | None) -> Any:
    if isinstance(value, str) or value is None:
        return value
    array = np.asarray(value)
    return str(array.ravel()[index]) if index is not None else array.tolist()


def quantity_record(quantity: Any, index: int | None = None) -> dict[str, Any]:
    """``{"value": ..., "unit": UCUM}`` for a Quantity (of patient ``index`` of a cohort)."""
    return {"value": _pick(quantity.magnitude, index), "unit": ucum(quantity.units)}


def basis_record(basis: Basis, index: int | None = None) -> dict[str, Any]:
    """A JSON-safe description of a basis (for patient ``index`` of a cohort)."""
    record: dict[str, Any] = {"kind": basis.kind, "method": basis.method}
    if basis.value is not None:
        record["value"] = {"value": _pick(basis.value, index), "unit": ucum(basis.unit)}
    if basis.inputs:
        record["inputs"] = {
            name: quantity_record(q, index) if hasattr(q, "units") else _pick_text(q, index)
            for name, q in basis.inputs
        }
    if basis.notes:
        record["notes"] = list(basis.notes)
    record["text"] = str(basis) if index is None else _basis_text_for(basis, index)
    return record


def _basis_text_for(basis: Basis, index: int) -> str:
    value = None if basis.value is None else _pick(basis.value, index)
    inputs = tuple(
        (name, Q_(_pick(q.magnitude, index), q.units) if hasattr(q, "units") else q)
        for name, q in basis.inputs
    )
    return str(replace(basis, value=value, inputs=inputs))


def row_record(row: Row, index: int | None = None) -> dict[str, Any]:
    """A JSON-safe dict of one row (for patient ``index`` of a cohort)."""
    flags = (
        sorted(row.flags)
        if isinstance(row.flags, frozenset)
        else sorted(name for name, mask in row.flags.items() if index is None or mask[index])
    )
    return {
        "day": row.day,
        "date": None if row.date is None else row.date.isoformat(),
        "agent": row.agent,
        "dose": {"value": _pick(row.dose_value, index), "unit": ucum(row.unit)},
        "calculated": {"value": _pick(row.calculated_value, index), "unit": ucum(row.unit)},
        "prescribed": quantity_record(row.prescribed),
        "basis": basis_record(row.basis, index),
        "flags": flags,
        "adjustments": [
            {
                "step": adjustment.step,
                "flag": adjustment.flag,
                "before": _pick(adjustment.before, index),
                "after": _pick(adjustment.after, index),
                "reason": adjustment.reason,
                **_detail(adjustment.detail, index),
            }
            for adjustment in row.adjustments
            if index is None
            or isinstance(adjustment.applies, bool)
            or np.asarray(adjustment.applies).ravel()[index]
        ],
        "route": row.route,
        "product": row.result.line.product,
        "setting": row.result.line.setting,
        "unsourced": list(row.result.line.unsourced),
        "administration": row.administration,
        "per_day": row.per_day,
        "regimen": row.regimen,
        "planned_day": row.planned_day,
        **_preparation(row, index),
    }


def _detail(detail: Any, index: int | None) -> dict[str, Any]:
    """A step's detail (banding: the band's range and the variance), for patient ``index``."""
    if detail is None:
        return {}
    out: dict[str, Any] = {}
    for name, value in detail.items():
        out[name] = value if isinstance(value, str) else _numbers(value, index)
    return {"detail": out}


def _numbers(value: Any, index: int | None) -> Any:
    """A number, or a cohort's list, with None where a patient has none (NaN: not banded)."""
    array = np.asarray(value, dtype=float)
    if array.ndim and index is not None:
        array = array.ravel()[index]
    if array.ndim == 0:
        number = float(array)
        return None if math.isnan(number) else number
    return [None if math.isnan(v) else float(v) for v in array.ravel()]


def _preparation(row: Row, index: int | None) -> dict[str, Any]:
    """The product and the volume to draw up, when the row has a product."""
    item = row.presentation
    if item is None:
        return {}
    volume = row.volume
    return {
        "presentation": {
            "key": item.key,
            "name": item.name,
            "concentration": quantity_record(item.concentration),
            "content": quantity_record(item.content),
        },
        "volume": {"value": _pick(volume.magnitude, index), "unit": ucum(volume.units)},
    }


@register_format(
    "records", description="JSON-safe dicts, one per administration (per patient)", text=False
)
def schedule_records(schedule: Schedule) -> list[dict[str, Any]]:
    """JSON-safe dicts, one per administration (per patient for a cohort, with ``patient``)."""
    if not schedule.patient.is_cohort:
        return [row_record(row) for row in schedule.rows]
    records = []
    for index in range(int(np.prod(schedule.patient.shape))):
        for row in schedule.rows:
            records.append({"patient": index, **row_record(row, index)})
    return records


def finding_record(finding: Finding) -> dict[str, Any]:
    """A JSON-safe dict of one check finding, with its stable code."""
    return {
        "severity": finding.severity,
        "code": finding.code,
        "agent": finding.agent,
        "day": finding.day,
        "message": finding.message,
        "regimen": finding.regimen,
        "references": list(finding.references),
    }


def references_record(keys: Sequence[str]) -> list[dict[str, Any]]:
    """The citations of ``keys``: key, text and link."""
    return [
        {"key": key, "text": str(REFERENCES[key]), "link": REFERENCES[key].link} for key in keys
    ]


def _json_value(magnitude: Any) -> Any:
    """A float for one patient, a list (one per patient) for a cohort."""
    array = np.asarray(magnitude)
    if array.ndim == 0:
        return array.item()
    return array.tolist()


def json_document(schedule: Schedule, findings: Sequence[Finding] | None = None) -> dict[str, Any]:
    """The document ``dosing plan --format json`` prints: patient, rows, totals, policy, findings.

    ``findings`` are :func:`dosing.check`'s (computed here when not given).
    """
    if findings is None:
        findings = check(schedule)
    patient: dict[str, Any] = {}
    for name in (
        "height",
        "weight",
        "bsa",
        "age",
        "serum_creatinine",
        "creatinine_clearance",
        "glomerular_filtration_rate",
    ):
        value = getattr(schedule.patient, name)
        if value is not None:
            patient[name] = {"value": _json_value(value.magnitude), "unit": ucum(value.units)}
    if schedule.patient.sex is not None:
        sex = schedule.patient.sex
        patient["sex"] = sex if isinstance(sex, str) else _json_value(sex)
    if schedule.bsa is not None:
        patient["bsa_used"] = basis_record(schedule.bsa)
    totals = {
        agent: {"value": _json_value(total.magnitude), "unit": ucum(total.units)}
        for agent, total in schedule.totals().items()
    }
    return {
        "patient": patient,
        "regimen": schedule.regimen.key,
        "rows": schedule_records(schedule),
        "totals": totals,
        "policy": schedule.policy.describe(),
        "findings": [finding_record(f) for f in findings],
        "unsourced": list(schedule.regimen.unsourced),
        "references": references_record(schedule.regimen.references),
    }


@register_format(
    "json", description="the JSON document: patient, rows, totals, findings", text=True
)
def json_text(schedule: Schedule, findings: Sequence[Finding] | None = None) -> str:
    """:func:`json_document` as indented JSON text, ending in a newline."""
    return json.dumps(json_document(schedule, findings), indent=2, ensure_ascii=False) + "\n"
