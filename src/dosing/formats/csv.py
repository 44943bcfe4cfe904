"""CSV text: one line per administration (per patient for a cohort), every value with its unit."""

from __future__ import annotations

import csv as _csv
import io
from typing import TYPE_CHECKING, Any

from dosing.formats._registry import register_format
from dosing.formats.records import schedule_records

if TYPE_CHECKING:
    from dosing.schedule import Schedule

__all__ = ["FIELDS", "PREPARATION_FIELDS", "to_csv"]

#: The columns, in order (a cohort's CSV starts with ``patient``).
FIELDS = (
    "day",
    "date",
    "agent",
    "dose",
    "unit",
    "calculated",
    "prescribed",
    "prescribed_unit",
    "basis",
    "flags",
    "route",
    "administration",
    "per_day",
    "regimen",
    "planned_day",
    "unsourced",
    "references",
)
#: Columns added when the policy bands or names products (the band's range, the realised
#: variance as a fraction, the product and the volume to draw up); empty where a row has none.
PREPARATION_FIELDS = (
    "band_lower",
    "band_upper",
    "band_variance",
    "product_key",
    "volume",
    "volume_unit",
)


@register_format("csv", description="CSV, one line per administration (per patient)", text=True)
def to_csv(schedule: Schedule) -> str:
    """CSV text with a header: day, date, agent, dose, unit and the other row fields.

    Numbers are written at full precision (``repr`` of the float); flags are separated by spaces.
    Each line carries its dose line's unsourced details and the regimen's citation keys, so that
    a table taken apart still says what no source settles and where each number comes from.
    """
    buffer = io.StringIO()
    cohort = schedule.patient.is_cohort
    preparing = bool(schedule.policy.bands or schedule.policy.products)
    fields = [
        *(["patient"] if cohort else []),
        *FIELDS,
        *(PREPARATION_FIELDS if preparing else ()),
    ]
    writer = _csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    references = " ".join(schedule.regimen.references)
    for record in schedule_records(schedule):
        writer.writerow(
            {
                **({"patient": record["patient"]} if cohort else {}),
                "day": record["day"],
                "date": record["date"] or "",
                "agent": record["agent"],
                "dose": repr(record["dose"]["value"]),
                "unit": record["dose"]["unit"],
                "calculated": repr(record["calculated"]["value"]),
                "prescribed": repr(record["prescribed"]["value"]),
                "prescribed_unit": record["prescribed"]["unit"],
                "basis": record["basis"]["text"],
                "flags": " ".join(record["flags"]),
                "route": record["route"] or "",
                "administration": record["administration"],
                "per_day": record["per_day"],
                "regimen": record["regimen"],
                "planned_day": record["planned_day"],
                "unsourced": "; ".join(record["unsourced"]),
                "references": references,
                **(_preparation(record) if preparing else {}),
            }
        )
    return buffer.getvalue()


def _preparation(record: dict[str, Any]) -> dict[str, str]:
    band = next((a for a in record["adjustments"] if a["flag"] == "banded"), None)
    detail = {} if band is None else band["detail"]
    volume = record.get("volume")

    def text(value: Any) -> str:
        return "" if value is None else repr(value)

    return {
        "band_lower": text(detail.get("lower")),
        "band_upper": text(detail.get("upper")),
        "band_variance": text(detail.get("variance")),
        "product_key": record["presentation"]["key"] if "presentation" in record else "",
        "volume": "" if volume is None else repr(volume["value"]),
        "volume_unit": "" if volume is None else volume["unit"],
    }
