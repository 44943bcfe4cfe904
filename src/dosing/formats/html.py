"""A printable order sheet: one self-contained HTML page a pharmacist checks and signs.

No scripts, no fonts or images from the network: one page of HTML with its style inline, laid
out to print on A4 and on US Letter (the printable width of the narrower page, with 12 mm
margins). It shows the patient and every basis with how it was obtained, a calendar grid of
days × agents (dates, doses, prescribed amounts, flags), the totals, :func:`dosing.check`'s
findings, the details no cited source settles, the references, and the not-a-medical-device
notice. ``scripts/render_order_sheet.py`` renders it with headless Chromium to the PNG the docs
show.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from dosing._text import given_text, value_text
from dosing.checks import check
from dosing.errors import DomainError
from dosing.formats._registry import register_format
from dosing.formats.records import references_record
from dosing.vocabulary import FLAGS

if TYPE_CHECKING:
    from dosing.checks import Finding
    from dosing.schedule import Row, Schedule

__all__ = ["NOTICE", "order_sheet"]

#: The notice every sheet carries, at its top and bottom.
NOTICE = (
    "Not a medical device: computed by the open-source dosing library. Every dose must be "
    "verified by a qualified person against the protocol before it is given."
)

_STYLE = """
@page { margin: 12mm; }
* { box-sizing: border-box; }
body { font: 10pt/1.35 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #000;
       margin: 0 auto; max-width: 186mm; padding: 4mm; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm; border-bottom: 1px solid #000; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #555; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #e8e8e8; }
tr, li, .notice { page-break-inside: avoid; break-inside: avoid; }
.grid td.dose { white-space: nowrap; }
.dose b { font-size: 10.5pt; }
.small { font-size: 8.5pt; color: #333; }
.flag { display: inline-block; border: 1px solid #000; border-radius: 2px; padding: 0 1mm;
        font-size: 8pt; margin-top: 0.5mm; }
.notice { border: 2px solid #000; padding: 2mm; margin: 2mm 0; font-weight: bold; }
.error { color: #a00000; font-weight: bold; }
.warning { color: #7a4a00; font-weight: bold; }
.sign td { height: 12mm; width: 33%; }
@media print { body { padding: 0; max-width: none; } }
"""


def _row_cell(row: Row) -> str:
    dose = value_text(row.dose_value, row.unit)
    prescribed = given_text(row.prescribed.magnitude, row.prescribed.units)
    parts = [f'<span class="dose"><b>{escape(dose)}</b></span>']
    if row.per_day > 1:
        parts.append(f'<span class="small">({row.administration} of {row.per_day})</span>')
    parts.append(f'<br><span class="small">{escape(prescribed)}')
    if row.route:
        parts.append(f" {escape(row.route)}")
    parts.append("</span>")
    if row.calculated_value != row.dose_value:
        before = value_text(row.calculated_value, row.unit)
        parts.append(f'<br><span class="small">calculated {escape(before)}</span>')
    for flag in FLAGS:
        if flag in row.flags:
            parts.append(f'<br><span class="flag">{escape(flag)}</span>')
    return "".join(parts)


def _patient_rows(schedule: Schedule) -> list[tuple[str, str]]:
    patient = schedule.patient
    facts: list[tuple[str, str]] = []
    for name in (
        "height",
        "weight",
        "bsa",
        "age",
        "serum_creatinine",
        "creatinine_clearance",
        "cystatin_c",
    ):
        value = getattr(patient, name)
        if value is not None:
            label = name.replace("_", " ")
            shown = f"{given_text(value.magnitude, value.units)} (given)"
            facts.append((label, shown))
    if isinstance(patient.sex, str):
        facts.append(("sex", patient.sex))
    return facts


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@register_format(
    "html", description="a printable HTML order sheet for a pharmacist (one patient)", text=True
)
def order_sheet(schedule: Schedule, findings: Sequence[Finding] | None = None) -> str:
    """The order sheet of one patient's schedule as one self-contained HTML page.

    ``findings`` are :func:`dosing.check`'s (computed here when not given).
    """
    if schedule.patient.is_cohort:
        raise DomainError(
            "is a cohort: an order sheet is one patient's",
            argument="schedule",
            message="an order sheet is one patient's; expand the regimen for one patient",
        )
    if findings is None:
        findings = check(schedule)
    regimen = schedule.regimen
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Order sheet: {escape(regimen.key)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(regimen.name)}</h1>",
        f'<p class="small">Regimen <code>{escape(regimen.key)}</code>; {_frame_text(schedule)}</p>',
        f'<div class="notice">{escape(NOTICE)}</div>',
        "<h2>Patient</h2>",
        _table(["fact", "value"], [(escape(k), escape(v)) for k, v in _patient_rows(schedule)]),
        "<h2>Bases: what each dose was multiplied by, and how it was obtained</h2>",
    ]
    bases = [(escape(", ".join(agents)), escape(text)) for text, agents in schedule.bases().items()]
    flat = [
        (escape(result.line.agent), escape(result.basis.method))
        for result in schedule.lines
        if result.basis.value is None
    ]
    out.append(_table(["agents", "basis"], bases + list(dict.fromkeys(flat))))
    policy = repr(schedule.policy)
    out.append(f'<p class="small">Policy: {escape(policy)}</p>')
    out.extend(_grid(schedule))
    out.append("<h2>Totals</h2>")
    totals = [
        (escape(agent), escape(value_text(np.asarray(total.magnitude), total.units)))
        for agent, total in schedule.totals().items()
    ]
    out.append(_table(["agent", "total over the schedule"], totals))
    out.append("<h2>Checks (dosing.check)</h2>")
    if findings:
        items = "".join(
            f'<li><span class="{f.severity}">{escape(f.severity)} [{escape(f.code)}]</span> '
            f"{escape(f.agent)}{'' if f.day is None else f' day {f.day}'}: {escape(f.message)}</li>"
            for f in findings
        )
        out.append(f"<ul>{items}</ul>")
    else:
        out.append("<p>No findings: every dose is within the limits dosing keeps.</p>")
    out.append("<h2>Details no cited source settles</h2>")
    unsourced = list(regimen.unsourced)
    for line in regimen.doses:
        unsourced.extend(f"{line.agent}: {item}" for item in line.unsourced)
    if schedule.policy.infant_rule is not None:
        unsourced.append("the infant rule (mg/kg = mg/m² ÷ divisor below a weight) is a convention")
    if unsourced:
        items = "".join(f"<li>{escape(item)}</li>" for item in dict.fromkeys(unsourced))
        out.append(f"<ul>{items}</ul>")
    else:
        out.append("<p>None: every detail of this regimen cites a source.</p>")
    out.append("<h2>References</h2>")
    refs = "".join(
        f"<li><b>{escape(r['key'])}</b>: {escape(r['text'])}"
        + (f' <span class="small">{escape(r["link"])}</span>' if r["link"] else "")
        + "</li>"
        for r in references_record(regimen.references)
    )
    out.append(f"<ol>{refs}</ol>" if refs else "<p>None.</p>")
    out.append("<h2>Verification</h2>")
    out.append(
        '<table class="sign"><tr><th>Prescribed by</th><th>Checked by (pharmacist)</th>'
        "<th>Date and time</th></tr><tr><td></td><td></td><td></td></tr></table>"
    )
    out.append(f'<div class="notice">{escape(NOTICE)}</div>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _frame_text(schedule: Schedule) -> str:
    if schedule.regimen.frame == "cycle":
        frame, anchor = "cycle days (day 1 = first day of the cycle)", "day 1"
    else:
        frame, anchor = "transplant days (day 0 = graft infusion)", "day 0"
    if schedule.anchor is None:
        return f"{frame}; no anchor date given"
    return f"{frame}; {anchor} = {schedule.anchor.isoformat()}"


def _grid(schedule: Schedule) -> list[str]:
    """The calendar grid: one line per day (with its date), one column per agent."""
    agents = schedule.agents
    header = ["day", "date", *(escape(agent) for agent in agents)]
    rows: list[list[str]] = []
    for day, day_rows in schedule.by_day().items():
        cells: dict[str, list[str]] = {}
        for row in day_rows:
            cells.setdefault(row.agent, []).append(_row_cell(row))
        date = day_rows[0].date
        rows.append(
            [
                f"<b>{day}</b>",
                "" if date is None else f"{date.isoformat()}<br>{date.strftime('%a')}",
                *("<hr>".join(cells.get(agent, [])) for agent in agents),
            ]
        )
    return ["<h2>Schedule</h2>", _table(header, rows, "grid")]
