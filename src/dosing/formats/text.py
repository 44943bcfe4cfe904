"""Text for people: the schedule table a pharmacist reads, and a regimen's definition.

Everything is wrapped at 80 columns. Numbers are shown to four significant figures with trailing
zeros kept, so that a displayed value never looks more exact than it is; records keep full
precision.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from dosing._text import TABLE_WIDTH, given_text, value_text, wrap
from dosing.formats._registry import register_format
from dosing.references import REFERENCES

if TYPE_CHECKING:
    from dosing.regimens.model import Regimen
    from dosing.schedule import Row, Schedule

__all__ = ["describe_regimen", "header", "table"]


def header(schedule: Schedule) -> list[str]:
    """The lines above the table: regimen, patient, every basis with its agents, frame, policy.

    Every number the doses were multiplied by (a BSA, capped or not; a dosing weight; the infant
    rule) and every kidney function a table read is shown once, with every agent that used it, so
    that a pharmacist can check each dose by hand.
    """
    regimen, patient = schedule.regimen, schedule.patient
    lines = [f"{regimen.key}: {regimen.name}"]
    size = []
    if patient.height is not None:
        size.append(f"height {given_text(patient.height.magnitude, patient.height.units)}")
    if patient.weight is not None:
        size.append(f"weight {given_text(patient.weight.magnitude, patient.weight.units)}")
    if patient.age is not None:
        size.append(f"age {given_text(patient.age.magnitude, patient.age.units)}")
    if isinstance(patient.sex, str):
        size.append(patient.sex)
    if patient.is_cohort:
        size.insert(0, f"{int(np.prod(patient.shape))} patients")
    lines.append("Patient: " + (", ".join(size) if size else "BSA only"))
    bases = schedule.bases()
    if schedule.bsa is not None:
        # The patient's BSA first, on a line of its own, with the agents dosed on it as it is.
        patient_bsa = str(schedule.bsa)
        lines.append(patient_bsa)
        if patient_bsa in bases:
            lines.append(f"  used for {', '.join(bases.pop(patient_bsa))}")
    for text, agents in bases.items():
        lines.append(f"{', '.join(agents)}: {text}")
    frame = "Cycle days" if regimen.frame == "cycle" else "Transplant days"
    anchor = ""
    if schedule.anchor is not None:
        what = "day 1" if regimen.frame == "cycle" else "day 0"
        anchor = f"; {what} = {schedule.anchor.isoformat()}"
    lines.append(f"{frame}{anchor}. Doses shown to 4 significant figures.")
    policy = repr(schedule.policy)
    if policy != "Policy()":
        lines.append(f"Policy: {policy}")
    return lines


@register_format("table", description="the text table a pharmacist reads", text=True)
def table(schedule: Schedule) -> str:
    """The schedule as text: header, one line per administration, totals; at most 80 columns."""
    lines = [wrapped for line in header(schedule) for wrapped in wrap(line)]
    cells = [_cells(schedule, row) for row in schedule.rows]
    with_date = schedule.anchor is not None
    rows = _table(cells, with_date)
    if max(len(line) for line in rows) > TABLE_WIDTH:
        # Too wide for 80 columns: the flags move to numbered notes under the table.
        combos = list(dict.fromkeys(row[-1] for row in cells if row[-1]))
        cells = [(*row[:-1], f"[{combos.index(row[-1]) + 1}]" if row[-1] else "") for row in cells]
        rows = _table(cells, with_date)
        rows += [f"[{index}] {combo}" for index, combo in enumerate(combos, start=1)]
    lines += rows
    totals = "; ".join(
        f"{agent} {value_text(total.magnitude, total.units)}"
        for agent, total in schedule.totals().items()
    )
    lines += wrap(f"Totals: {totals}")
    lines += [wrapped for line in preparation(schedule) for wrapped in wrap(line)]
    return "\n".join(lines)


def preparation(schedule: Schedule) -> list[str]:
    """What the pharmacy prepares: each banded dose with its band and variance, the volume of
    each named product, and the vials per day with the waste (nothing without bands or
    products)."""
    lines: list[str] = []
    for result in schedule.lines:
        rows = [row for row in schedule.rows if row.result is result]
        if not rows:
            continue
        row = rows[0]
        unit = row.unit
        days = ", ".join(str(r.day) for r in rows if r.administration == 1)
        parts = []
        banded = next((a for a in result.adjustments if a.flag == "banded"), None)
        left = next((a for a in result.adjustments if a.flag == "not_banded"), None)
        if banded is not None and banded.detail is not None:
            detail = banded.detail
            parts.append(
                f"calculated {value_text(result.calculated, unit)} -> band dose "
                f"{value_text(result.dose, unit)} (band {_range(detail)}, variance "
                f"{_percent(detail['variance'])}, table {detail['table']})"
            )
        if left is not None:
            parts.append(f"not banded: {left.reason.split(': ', 1)[1]}")
        item = result.presentation
        if item is not None:
            parts.append(f"{value_text(row.volume.magnitude, row.volume.units)} of {item.name}")
        if parts:
            lines.append(f"{row.agent} (day {days}): " + "; ".join(parts))
    vials = schedule.vials()
    if vials:
        lines.append(
            "Vials: "
            + "; ".join(
                f"day {use.day} {use.agent} {_count(use.vials)} x "
                f"{use.presentation.content.magnitude:g} {use.presentation.content.units:~P}"
                f" (waste {value_text(use.waste, use.presentation.content.units)})"
                for use in vials
            )
        )
    if lines:
        lines.insert(0, "Preparation:")
    return lines


def _range(detail: Any) -> str:
    lower = np.asarray(detail["lower"], dtype=float)
    upper = np.asarray(detail["upper"], dtype=float)
    if lower.ndim == 0:
        return f"{float(lower):g}–{float(upper):g} {detail['unit']}"
    return f"{np.nanmin(lower):g}–{np.nanmax(upper):g} {detail['unit']} (per patient)"


def _percent(value: Any) -> str:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):+.2%}"
    return f"{np.nanmin(array):+.2%} to {np.nanmax(array):+.2%}"


def _count(value: Any) -> str:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):g}"
    return f"{array.min():g}–{array.max():g}"


def _cells(schedule: Schedule, row: Row) -> tuple[str, ...]:
    per_day = f" ({row.administration}/{row.per_day})" if row.per_day > 1 else ""
    return (
        f"{row.day:+d}" if schedule.regimen.frame == "transplant" else str(row.day),
        row.date.isoformat() if row.date else "",
        row.agent + per_day,
        value_text(row.dose_value, row.unit),
        given_text(row.prescribed.magnitude, row.prescribed.units),
        ", ".join(sorted(row.flags)) if row.flags else "",
    )


def _table(cells: list[tuple[str, ...]], with_date: bool) -> list[str]:
    header_cells = ("Day", "Date", "Agent", "Dose", "Prescribed", "Flags")
    rows = [header_cells, *cells]
    keep = [i for i in range(len(header_cells)) if i != 1 or with_date]
    widths = {i: max(len(r[i]) for r in rows) for i in keep}
    out = []
    for index, row in enumerate(rows):
        out.append(
            "  ".join(
                row[i].rjust(widths[i]) if i in (0, 3) else row[i].ljust(widths[i]) for i in keep
            ).rstrip()
        )
        if index == 0:
            out.append("  ".join("-" * widths[i] for i in keep))
    return out


def _amount_text(quantity: Any) -> str:
    return given_text(quantity.magnitude, quantity.units)


def describe_regimen(regimen: Regimen) -> str:
    """A regimen's definition as text, wrapped at 80 columns: what ``dosing show`` prints."""
    frame = (
        f"cycle days (day 1 = first day; {regimen.cycle_length}-day cycle)"
        if regimen.frame == "cycle"
        else "transplant days (day 0 = graft infusion)"
    )
    lines = [f"{regimen.key}: {regimen.name}", f"Frame: {frame}", "Doses:"]
    for line in regimen.doses:
        lines.append(f"  - {line.describe()}")
        if line.note:
            lines.append(f"      note: {line.note}")
    lines.append("Totals per course:")
    for agent in regimen.agents:
        if any(line.kind == "band" for line in regimen.doses if line.agent == agent):
            lines.append(f"  - {agent}: by the patient's weight band")
            continue
        lines.append(f"  - {agent}: {_amount_text(regimen.course_total(agent))}")
    if regimen.note:
        lines.append(f"Note: {regimen.note}")
    if regimen.unsourced:
        lines.append("Not settled by any cited source (explicit, overridable defaults):")
        lines.extend(f"  - {item}" for item in regimen.unsourced)
    lines.append("Sources:")
    if not regimen.references:
        lines.append("  (none given)")
    lines.extend(f"  - [{key}] {REFERENCES[key]}" for key in regimen.references)
    return "\n".join(wrapped for line in lines for wrapped in _wrap_item(line))


def _wrap_item(line: str) -> list[str]:
    """Wrap one line at 80 columns, continuation lines indented under the item's text."""
    stripped = line.lstrip(" ")
    indent = " " * (len(line) - len(stripped))
    if stripped.startswith("- "):
        indent += "  "
    elif stripped.startswith("note: "):
        indent += "      "
    else:
        indent += "  "
    return textwrap.wrap(
        line,
        width=TABLE_WIDTH,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [""]
