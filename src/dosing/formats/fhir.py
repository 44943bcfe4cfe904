"""FHIR R4: a regimen as a PlanDefinition, an expanded schedule as a Bundle of requests.

Plain JSON-ready dicts (no FHIR library at run time); the tests validate every resource with
``fhir.resources`` (its R4B models, which overlap R4 for every element used here).

* ``regimen.to_fhir()``: a ``PlanDefinition`` (type ``order-set``) whose actions point at
  contained ``ActivityDefinition``s, one per dose line, each with its prescribed amount as a
  ``doseAndRate`` typed ``ordered`` (``0.8 mg/m2``). Cycle regimens: one action for the cycle
  (``timingTiming`` repeating every ``cycle_length`` days) whose child actions carry the
  standard ``timing-daysOfCycle`` extension (days counted from 1, as the extension defines).
  Transplant regimens: no implementation guide settles days before day 0, so dosing writes a
  day-0 action (graft infusion) and, for each dose day, an action related to it by
  ``relatedAction``: ``before-start`` with ``offsetDuration`` = 7 d for day −7,
  ``concurrent-with-start`` for day 0, ``after-start`` with 3 d for day +3.
* ``schedule.to_fhir()``: a ``Bundle`` (type ``collection``) holding a ``Patient`` (no identity:
  only a reference target), the patient's height, weight and BSA (and serum creatinine) as
  ``Observation``s with their LOINC codes, one ``MedicationRequest`` per administration with two
  ``doseAndRate`` entries typed ``ordered`` (the prescribed amount) and ``calculated`` (the dose
  in mg) referencing the observations it was computed from, one ``ServiceRequest`` per radiation
  fraction, and a ``RequestGroup`` whose actions reference every request in schedule order.
  Every request is ``status: draft``, ``intent: proposal``: a computed plan, not a signed order.

Codes (sources in ``docs/fhir.md``): units are UCUM (system ``http://unitsofmeasure.org``);
dose types from ``http://terminology.hl7.org/CodeSystem/dose-rate-type`` (``ordered``,
``calculated``); LOINC 8302-2 body height, 29463-7 body weight, 8277-6 body surface area,
2160-0 creatinine [mass/volume] and 14682-9 creatinine [moles/volume] in serum or plasma.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dosing._text import given_text
from dosing.errors import DomainError
from dosing.formats._registry import register_format
from dosing.regimens.lines import WeightBands
from dosing.units import MG_PER_DL, ucum

if TYPE_CHECKING:
    from dosing.basis import Basis
    from dosing.checks import Finding
    from dosing.regimens.model import DoseLine, Regimen
    from dosing.schedule import Row, Schedule

__all__ = ["UCUM", "regimen_resource", "schedule_bundle"]

#: The UCUM code system.
UCUM: Final = "http://unitsofmeasure.org"
LOINC: Final = "http://loinc.org"
DOSE_RATE_TYPE: Final = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
DAYS_OF_CYCLE: Final = "http://hl7.org/fhir/StructureDefinition/timing-daysOfCycle"
PLAN_TYPE: Final = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
#: (LOINC code, display) of each observation written.
LOINC_CODES: Final = {
    "height": ("8302-2", "Body height"),
    "weight": ("29463-7", "Body weight"),
    "bsa": ("8277-6", "Body surface area"),
    "creatinine_mass": ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
    "creatinine_moles": ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"),
}
_DAY_ZERO: Final = "day-0"


def quantity(value: float, unit: Any) -> dict[str, Any]:
    """A FHIR Quantity with its UCUM code."""
    code = ucum(unit)
    return {"value": float(value), "unit": code, "system": UCUM, "code": code}


def _days(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "d", "system": UCUM, "code": "d"}


def _dose_type(code: str) -> dict[str, Any]:
    return {"coding": [{"system": DOSE_RATE_TYPE, "code": code, "display": code.capitalize()}]}


def _amount_text(line: DoseLine) -> str:
    return given_text(line.prescribed.magnitude, line.prescribed.units)


def _activity(line: DoseLine, index: int) -> dict[str, Any]:
    """The contained ActivityDefinition of one dose line."""
    per_day = f", {line.per_day} times a day" if line.per_day > 1 else ""
    route = f" {line.route}" if line.route else ""
    text = f"{line.agent} {_amount_text(line)}{route}{per_day}"
    resource: dict[str, Any] = {
        "resourceType": "ActivityDefinition",
        "id": f"line-{index}",
        "status": "draft",
        "title": text,
    }
    timing = {"repeat": {"frequency": line.per_day, "period": 1, "periodUnit": "d"}}
    if line.kind == "radiation":
        resource["kind"] = "ServiceRequest"
        resource["code"] = {"text": line.agent}
        resource["quantity"] = quantity(line.prescribed.magnitude, line.prescribed.units)
        resource["timingTiming"] = timing
        return resource
    resource["kind"] = "MedicationRequest"
    resource["productCodeableConcept"] = {"text": line.agent}
    dosage: dict[str, Any] = {"text": text, "timing": timing}
    if isinstance(line.rule, WeightBands):
        # The amount depends on the patient's weight band: no single ordered amount exists.
        dosage["text"] = f"{line.agent} by actual-weight band: {line.rule.describe()}{route}"
        resource["title"] = dosage["text"]
    else:
        dosage["doseAndRate"] = [
            {
                "type": _dose_type("ordered"),
                "doseQuantity": quantity(line.prescribed.magnitude, line.prescribed.units),
            }
        ]
    if line.route:
        dosage["route"] = {"text": line.route}
    resource["dosage"] = [dosage]
    return resource


def _day_text(day: int) -> str:
    return f"Day {day:+d}" if day else "Day 0"


def _frame_day(frame: str, day: int) -> str:
    return _day_text(day) if frame == "transplant" else f"Day {day}"


def regimen_resource(regimen: Regimen) -> dict[str, Any]:
    """A regimen as a FHIR R4 ``PlanDefinition`` with its ``ActivityDefinition``s contained."""
    contained = [_activity(line, index) for index, line in enumerate(regimen.doses, start=1)]
    actions: list[dict[str, Any]] = []
    if regimen.frame == "cycle":
        children = []
        for index, line in enumerate(regimen.doses, start=1):
            children.append(
                {
                    "id": f"action-{index}",
                    "title": contained[index - 1]["title"],
                    "extension": [
                        {
                            "url": DAYS_OF_CYCLE,
                            "extension": [{"url": "day", "valueInteger": d} for d in line.days],
                        }
                    ],
                    "definitionCanonical": f"#line-{index}",
                }
            )
        assert regimen.cycle_length is not None
        actions.append(
            {
                "id": "cycle",
                "title": f"{regimen.cycle_length}-day cycle",
                "textEquivalent": f"{regimen.cycle_length}-day cycle; days counted from 1",
                "timingTiming": {"repeat": {"duration": regimen.cycle_length, "durationUnit": "d"}},
                "action": children,
            }
        )
    else:
        actions.append(
            {
                "id": _DAY_ZERO,
                "title": "Day 0: graft infusion",
                "textEquivalent": "Transplant day 0 (graft infusion); days before it are "
                "negative, days after it positive",
            }
        )
        for index, line in enumerate(regimen.doses, start=1):
            for day in line.days:
                actions.append(
                    {
                        "id": f"action-{index}-day{day:+d}",
                        "title": f"{_day_text(day)}: {contained[index - 1]['title']}",
                        "relatedAction": [_relative(day)],
                        "definitionCanonical": f"#line-{index}",
                    }
                )
    resource: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": regimen.key,
        "contained": contained,
        "name": "".join(part.capitalize() for part in regimen.key.replace("-", " ").split()),
        "title": regimen.name,
        "type": {"coding": [{"system": PLAN_TYPE, "code": "order-set"}]},
        "status": "draft",
        "action": actions,
    }
    notes = [text for text in (regimen.note,) if text]
    notes.extend(f"unsourced: {item}" for item in regimen.unsourced)
    if notes:
        resource["description"] = "\n\n".join(notes)
    return resource


def _relative(day: int) -> dict[str, Any]:
    """How a transplant day relates to the day-0 action (the convention in the module doc)."""
    if day == 0:
        return {"actionId": _DAY_ZERO, "relationship": "concurrent-with-start"}
    return {
        "actionId": _DAY_ZERO,
        "relationship": "before-start" if day < 0 else "after-start",
        "offsetDuration": _days(abs(day)),
    }


class _Ids:
    """``urn:uuid`` full URLs, new for every bundle (two bundles never share an id)."""

    def __call__(self) -> str:
        return f"urn:uuid:{uuid.uuid4()}"


def _observation(
    kind: str, value: float, unit: Any, subject: str, method: str | None = None
) -> dict[str, Any]:
    code, display = LOINC_CODES[kind]
    category = "laboratory" if kind.startswith("creatinine") else "vital-signs"
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": subject},
        "valueQuantity": quantity(value, unit),
    }
    if method is not None:
        resource["method"] = {"text": method}
    return resource


def _bsa_method(basis: Basis) -> str:
    return str(basis)


@register_format(
    "fhir",
    description="a FHIR R4 Bundle: RequestGroup, MedicationRequests, Observations",
    text=True,
)
def fhir_text(schedule: Schedule, findings: Sequence[Finding] | None = None) -> str:
    """:func:`schedule_bundle` as indented JSON text, ending in a newline."""
    return json.dumps(schedule_bundle(schedule, findings), indent=2, ensure_ascii=False) + "\n"


def schedule_bundle(
    schedule: Schedule, findings: Sequence[Finding] | None = None
) -> dict[str, Any]:
    """An expanded schedule as a FHIR R4 ``Bundle`` (see the module).

    ``findings`` (:func:`dosing.check`'s) are written as notes on the requests of their agent
    and day, so that nobody acts on a request without seeing them.
    """
    patient = schedule.patient
    if patient.is_cohort:
        raise DomainError(
            "is a cohort: a FHIR bundle is one patient's orders",
            argument="schedule",
            message="to_fhir() writes one patient's schedule; expand for one patient, or use "
            "dosing.plan_frame for a table of patients",
        )
    fresh = _Ids()
    subject = fresh()
    entries: list[dict[str, Any]] = [
        {"fullUrl": subject, "resource": {"resourceType": "Patient", "active": True}}
    ]
    observed: dict[str, str] = {}

    def observe(kind: str, value: float, unit: Any, method: str | None = None) -> None:
        url = fresh()
        observed[kind] = url
        resource = _observation(kind, value, unit, subject, method)
        entries.append({"fullUrl": url, "resource": resource})

    if patient.height is not None:
        observe("height", patient.height.magnitude, patient.height.units)
    if patient.weight is not None:
        observe("weight", patient.weight.magnitude, patient.weight.units)
    if schedule.bsa is not None:
        observe("bsa", float(schedule.bsa.value), schedule.bsa.unit, _bsa_method(schedule.bsa))
    if patient.serum_creatinine is not None:
        creatinine = patient.serum_creatinine
        mass = creatinine.dimensionality == MG_PER_DL.dimensionality
        observe(
            "creatinine_mass" if mass else "creatinine_moles",
            creatinine.magnitude,
            creatinine.units,
        )
    notes = _finding_notes(findings or ())
    actions = []
    requests: list[dict[str, Any]] = []
    for row in schedule.rows:
        url = fresh()
        resource = (
            _service_request(row, subject)
            if row.result.line.kind == "radiation"
            else _medication_request(row, subject, observed)
        )
        extra = notes.get((row.agent, row.day), []) + notes.get((row.agent, None), [])
        if extra:
            resource.setdefault("note", []).extend({"text": text} for text in extra)
        requests.append({"fullUrl": url, "resource": resource})
        action: dict[str, Any] = {
            "title": f"{_frame_day(schedule.regimen.frame, row.day)}: {row.agent}",
            "resource": {"reference": url},
        }
        if schedule.regimen.frame == "cycle":
            action["extension"] = [
                {"url": DAYS_OF_CYCLE, "extension": [{"url": "day", "valueInteger": row.day}]}
            ]
        if row.date is not None:
            action["timingDateTime"] = row.date.isoformat()
        actions.append(action)
    group: dict[str, Any] = {
        "resourceType": "RequestGroup",
        "status": "draft",
        "intent": "proposal",
        "subject": {"reference": subject},
        "code": {"text": f"{schedule.regimen.key}: {schedule.regimen.name}"},
        "note": [
            {
                "text": "Not a medical device: every dose must be verified by a qualified person "
                "before use."
            }
        ],
        "action": actions,
    }
    group_notes = notes.get(("", None), [])
    group["note"].extend({"text": text} for text in group_notes)
    entries.append({"fullUrl": fresh(), "resource": group})
    entries.extend(requests)
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _finding_notes(findings: Sequence[Finding]) -> dict[tuple[str, int | None], list[str]]:
    notes: dict[tuple[str, int | None], list[str]] = {}
    for finding in findings:
        text = f"{finding.severity} [{finding.code}]: {finding.message}"
        notes.setdefault((finding.agent, finding.day), []).append(text)
    return notes


def _row_notes(row: Row) -> list[dict[str, str]]:
    notes = [{"text": f"Basis: {row.basis}"}]
    notes.extend({"text": f"{a.step}: {a.reason}"} for a in row.adjustments)
    if row.calculated_value != row.dose_value:
        notes.append(
            {"text": f"Calculated before rounding: {given_text(row.calculated_value, row.unit)}"}
        )
    notes.extend({"text": f"unsourced: {item}"} for item in row.result.line.unsourced)
    return notes


def _medication_request(row: Row, subject: str, observed: dict[str, str]) -> dict[str, Any]:
    line = row.result.line
    dose = float(np.asarray(row.dose_value))
    dosage: dict[str, Any] = {
        "sequence": row.administration,
        "text": f"{row.agent} {given_text(dose, row.unit)} ({_amount_text(line)})"
        + (f" {line.route}" if line.route else ""),
        "doseAndRate": [
            {
                "type": _dose_type("ordered"),
                "doseQuantity": quantity(line.prescribed.magnitude, line.prescribed.units),
            },
            {"type": _dose_type("calculated"), "doseQuantity": quantity(dose, row.unit)},
        ],
    }
    if row.date is not None:
        dosage["timing"] = {"event": [row.date.isoformat()]}
    if line.route:
        dosage["route"] = {"text": line.route}
    used = {"bsa": ("height", "weight", "bsa"), "weight": ("height", "weight")}.get(
        row.basis.kind, ()
    )
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "proposal",
        "medicationCodeableConcept": {"text": row.agent},
        "subject": {"reference": subject},
        "dosageInstruction": [dosage],
        "note": _row_notes(row),
    }
    support = [{"reference": observed[kind]} for kind in used if kind in observed]
    if support:
        resource["supportingInformation"] = support
    if "withheld" in row.flags:
        resource["doNotPerform"] = True
    return resource


def _service_request(row: Row, subject: str) -> dict[str, Any]:
    dose = float(np.asarray(row.dose_value))
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {"text": row.agent},
        "subject": {"reference": subject},
        "quantityQuantity": quantity(dose, row.unit),
        "note": [
            {"text": f"Fraction {row.administration} of {row.per_day} on day {row.day}"},
            *_row_notes(row),
        ],
    }
    if row.date is not None:
        resource["occurrenceDateTime"] = row.date.isoformat()
    return resource
