"""FHIR R4 output, validated by fhir.resources (R4B models), and the printable HTML order sheet.

Codes are checked against what the FHIR and LOINC pages say (docs/fhir.md cites them): UCUM
system http://unitsofmeasure.org; dose-rate-type ordered/calculated; LOINC 8302-2 height,
29463-7 weight, 8277-6 BSA, 2160-0 creatinine (mass/volume).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest

import dosing
from dosing import Q_, Patient, Policy
from dosing.cli import main
from dosing.errors import DomainError
from dosing.regimens.loader import regimen_from_mapping

CHILD = Patient(
    height=Q_(150, "cm"),
    weight=Q_(40, "kg"),
    age=Q_(12, "year"),
    serum_creatinine=Q_(0.6, "mg/dL"),
)
BSA = math.sqrt(150 * 40 / 3600)  # Mosteller: 1.290994 m²
UCUM = "http://unitsofmeasure.org"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"


def quantities(node: Any) -> Iterator[dict[str, Any]]:
    """Every FHIR Quantity in a resource (a dict with a value and a unit)."""
    if isinstance(node, dict):
        if "value" in node and "unit" in node:
            yield node
        for value in node.values():
            yield from quantities(value)
    elif isinstance(node, list):
        for value in node:
            yield from quantities(value)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("key", list(dosing.regimen_keys()))
def test_every_builtin_regimen_and_schedule_validate_as_fhir_r4(key: str) -> None:
    fhir = pytest.importorskip("fhir.resources.R4B.bundle")
    plan_module = pytest.importorskip("fhir.resources.R4B.plandefinition")
    regimen = dosing.get_regimen(key)
    plan = regimen.to_fhir()
    plan_module.PlanDefinition.model_validate(plan)
    bundle = regimen.expand(CHILD).to_fhir()
    validated = fhir.Bundle.model_validate(bundle)
    kinds = {type(e.resource).__name__ for e in validated.entry}
    assert {"Patient", "Observation", "RequestGroup"} <= kinds
    for quantity in [*quantities(plan), *quantities(bundle)]:
        if "code" in quantity:
            assert quantity["system"] == UCUM
            assert quantity["unit"] == quantity["code"]
    # One request per administration, in schedule order, all referenced by the group.
    group = resources(bundle, "RequestGroup")[0]
    schedule = regimen.expand(CHILD)
    assert len(group["action"]) == len(schedule)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert all(a["resource"]["reference"] in urls for a in group["action"])


def test_each_medication_request_has_the_ordered_amount_and_the_calculated_dose() -> None:
    bundle = dosing.get_regimen("inotuzumab-cycle-1").expand(CHILD, cycle_start="2026-01-05")
    requests = resources(bundle.to_fhir(), "MedicationRequest")
    assert len(requests) == 3
    first = requests[0]["dosageInstruction"][0]
    ordered, calculated = first["doseAndRate"]
    assert ordered["type"]["coding"][0] == {
        "system": DOSE_RATE_TYPE,
        "code": "ordered",
        "display": "Ordered",
    }
    assert ordered["doseQuantity"] == {
        "value": 0.8,
        "unit": "mg/m2",
        "system": UCUM,
        "code": "mg/m2",
    }
    assert calculated["type"]["coding"][0]["code"] == "calculated"
    # 0.8 mg/m² × 1.290994 m² = 1.032796 mg
    assert calculated["doseQuantity"]["value"] == pytest.approx(0.8 * BSA, rel=1e-12)
    assert calculated["doseQuantity"]["code"] == "mg"
    assert first["timing"] == {"event": ["2026-01-05"]}
    assert requests[1]["dosageInstruction"][0]["timing"] == {"event": ["2026-01-12"]}
    assert all(r["status"] == "draft" and r["intent"] == "proposal" for r in requests)


def test_observations_carry_loinc_codes_and_the_requests_reference_them() -> None:
    bundle = dosing.get_regimen("gvhd-mtx-10-7-7").expand(CHILD).to_fhir()
    observations = resources(bundle, "Observation")
    codes = {o["code"]["coding"][0]["code"]: o for o in observations}
    assert set(codes) == {"8302-2", "29463-7", "8277-6", "2160-0"}
    assert all(o["code"]["coding"][0]["system"] == "http://loinc.org" for o in observations)
    assert codes["8302-2"]["valueQuantity"]["value"] == 150
    assert codes["29463-7"]["valueQuantity"]["code"] == "kg"
    assert codes["8277-6"]["valueQuantity"]["value"] == pytest.approx(BSA)
    assert "Mosteller" in codes["8277-6"]["method"]["text"]
    assert codes["2160-0"]["valueQuantity"]["code"] == "mg/dL"
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    request = resources(bundle, "MedicationRequest")[0]
    supporting = {
        by_url[ref["reference"]]["code"]["coding"][0]["code"]
        for ref in request["supportingInformation"]
    }
    assert supporting == {"8302-2", "29463-7", "8277-6"}


def test_creatinine_in_micromoles_gets_the_moles_loinc_code() -> None:
    patient = Patient(bsa=Q_(1.2, "m**2"), serum_creatinine=Q_(53, "umol/L"))
    bundle = dosing.get_regimen("gvhd-mtx-10-7-7").expand(patient).to_fhir()
    codes = [o["code"]["coding"][0]["code"] for o in resources(bundle, "Observation")]
    assert "14682-9" in codes


def test_cycle_days_use_the_days_of_cycle_extension() -> None:
    plan = dosing.get_regimen("inotuzumab-cycle-1").to_fhir()
    cycle = plan["action"][0]
    assert cycle["timingTiming"]["repeat"] == {"duration": 21, "durationUnit": "d"}
    days = [
        [d["valueInteger"] for d in child["extension"][0]["extension"]] for child in cycle["action"]
    ]
    assert days == [[1], [8, 15]]
    url = "http://hl7.org/fhir/StructureDefinition/timing-daysOfCycle"
    assert all(child["extension"][0]["url"] == url for child in cycle["action"])
    assert [c["definitionCanonical"] for c in cycle["action"]] == ["#line-1", "#line-2"]
    assert [c["id"] for c in plan["contained"]] == ["line-1", "line-2"]


def test_transplant_days_are_offsets_from_the_day_0_action() -> None:
    plan = dosing.get_regimen("mel-tbi-mac").to_fhir()
    actions = {a["id"]: a for a in plan["action"]}
    assert "day-0" in actions
    melphalan_day_minus_3 = actions["action-2-day-3"]["relatedAction"][0]
    assert melphalan_day_minus_3 == {
        "actionId": "day-0",
        "relationship": "before-start",
        "offsetDuration": {"value": 3, "unit": "d", "system": UCUM, "code": "d"},
    }
    mtx = {a["id"]: a for a in dosing.get_regimen("gvhd-mtx-10-7-7").to_fhir()["action"]}
    assert mtx["action-1-day+1"]["relatedAction"][0]["relationship"] == "after-start"
    tbi = plan["contained"][0]
    assert tbi["kind"] == "ServiceRequest"
    assert tbi["quantity"]["code"] == "Gy"


def test_radiation_is_a_service_request_per_fraction() -> None:
    bundle = dosing.get_regimen("mel-tbi-mac").expand(CHILD, transplant_date="2026-12-10")
    services = resources(bundle.to_fhir(), "ServiceRequest")
    assert len(services) == 6  # 2 Gy twice a day on days -6, -5, -4
    assert services[0]["quantityQuantity"]["value"] == 2.0
    assert services[0]["occurrenceDateTime"] == "2026-12-04"


def test_a_withheld_dose_is_a_request_not_to_perform() -> None:
    # Cockcroft–Gault: (140 − 70) × 70 / (72 × 5) = 13.6 mL/min, under the FLUDARA label's 30
    # mL/min: the label's renal table withholds fludarabine (as in test_checks).
    patient = Patient(
        height=Q_(175, "cm"),
        weight=Q_(70, "kg"),
        age=Q_(70, "year"),
        sex="male",
        serum_creatinine=Q_(5, "mg/dL"),
    )
    regimen = dosing.get_regimen("flu-arac-mel-ric")
    schedule = regimen.expand(patient, policy=Policy(renal="fludarabine-fludara-label"))
    bundle = schedule.to_fhir()
    requests = resources(bundle, "MedicationRequest")
    fludarabine = [r for r in requests if r["medicationCodeableConcept"]["text"] == "fludarabine"]
    assert len(fludarabine) == 4
    assert all(r.get("doNotPerform") for r in fludarabine)
    assert not any(r.get("doNotPerform") for r in requests if r not in fludarabine)
    # The check's error is written on the requests it concerns.
    findings = dosing.check(schedule)
    noted = dosing.formats.fhir.schedule_bundle(schedule, findings)
    notes = [n["text"] for r in resources(noted, "MedicationRequest")[:1] for n in r["note"]]
    assert any("[withheld]" in text for text in notes)


def test_a_cohort_has_no_fhir_bundle_or_order_sheet() -> None:
    cohort = Patient(
        height=Q_(np.array([150.0, 160.0]), "cm"), weight=Q_(np.array([40.0, 50.0]), "kg")
    )
    schedule = dosing.get_regimen("gvhd-mtx-10-7-7").expand(cohort)
    with pytest.raises(DomainError, match="one patient"):
        schedule.to_fhir()
    with pytest.raises(DomainError, match="one patient"):
        dosing.formats.write(schedule, "html")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Text:
    parser = _Text()
    parser.feed(page)
    return parser


@pytest.mark.parametrize("key", list(dosing.regimen_keys()))
def test_the_order_sheet_shows_every_dose_and_loads_nothing(key: str) -> None:
    schedule = dosing.get_regimen(key).expand(CHILD)
    page = dosing.formats.write(schedule, "html")
    parsed = parse(page)
    text = " ".join(parsed.text)
    for row in schedule:
        # Each dose as the sheet writes it: 4 significant figures and the unit (hand formatting).
        shown = f"{float(row.dose_value):.4g}"
        assert shown in text, (row, shown)
    assert "Not a medical device" in text
    assert all(tag not in ("script", "img", "link", "iframe") for tag, _ in parsed.tags)
    assert "http://" not in page.replace("https://doi.org", "").split("<h2>References")[0]
    assert "@page" in page


def test_the_order_sheet_has_the_findings_bases_and_unsourced_details() -> None:
    schedule = dosing.get_regimen("flu-arac-mel-ric").expand(CHILD, transplant_date="2026-12-10")
    text = " ".join(parse(dosing.formats.write(schedule, "html")).text)
    assert "warning [intensity]" in text
    assert "BSA 1.291 m² (Mosteller, from height 150 cm and weight 40 kg)" in text
    assert "2026-12-03" in text  # day -7
    assert "Details no cited source settles" in text
    assert "pbc28980" in text


def test_the_command_line_writes_fhir_and_html(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["plan", "inotuzumab-cycle-1", "--height", "150cm", "--weight", "40kg", "--format", "fhir"]
    )
    out = capsys.readouterr().out
    assert code == 0
    bundle = json.loads(out)
    assert bundle["resourceType"] == "Bundle"
    code = main(["plan", "gvhd-mtx-10-7-7", "--bsa", "1.2m2", "--format", "html"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("<!DOCTYPE html>")
    assert "<b>12.00 mg</b>" in out  # 10 mg/m² × 1.2 m²


def test_every_format_is_in_the_registry() -> None:
    assert {"fhir", "html"} <= set(dosing.formats.FORMATS)
    assert dosing.formats.FORMATS["html"].text
    assert dosing.formats.FORMATS["fhir"].text


def test_a_weight_band_line_has_no_single_ordered_amount_in_the_plan() -> None:
    plan = dosing.get_regimen("bu-cy4-paediatric-eu").to_fhir()
    busulfan = plan["contained"][0]
    assert "doseAndRate" not in busulfan["dosage"][0]
    assert "16 to 23 kg 1.1 mg/kg" in busulfan["dosage"][0]["text"]
    # For one patient the band is chosen: 20 kg -> 1.1 mg/kg ordered, 22 mg calculated.
    child = Patient(height=Q_(110, "cm"), weight=Q_(20, "kg"))
    bundle = dosing.get_regimen("bu-cy4-paediatric-eu").expand(child).to_fhir()
    first = resources(bundle, "MedicationRequest")[0]["dosageInstruction"][0]["doseAndRate"]
    assert first[0]["doseQuantity"]["value"] == 1.1
    assert first[1]["doseQuantity"]["value"] == pytest.approx(22.0)


# -- what FHIR and the order sheet show at their edges (issue 16: branch coverage 99%) -----------

#: A user's template with nothing optional: no route, no note, nothing unsourced; one dose on
#: day 0 (the day of the graft).
BARE = regimen_from_mapping(
    {
        "key": "cy-bare",
        "name": "Cyclophosphamide",
        "frame": "transplant",
        "references": ["pbc28980"],
        "dose": [{"agent": "cyclophosphamide", "amount": "50 mg/kg", "days": "-1..0"}],
    }
)


def test_a_plan_without_route_or_note_says_none_and_day_0_is_concurrent_with_the_graft() -> None:
    plan = BARE.to_fhir()
    plan_module = pytest.importorskip("fhir.resources.R4B.plandefinition")
    plan_module.PlanDefinition.model_validate(plan)
    assert "description" not in plan
    assert "route" not in plan["contained"][0]["dosage"][0]
    actions = {a["id"]: a for a in plan["action"]}
    assert actions["action-1-day+0"]["relatedAction"] == [
        {"actionId": "day-0", "relationship": "concurrent-with-start"}
    ]
    assert actions["action-1-day-1"]["relatedAction"][0]["relationship"] == "before-start"
    bundle = BARE.expand(CHILD).to_fhir()
    requests = resources(bundle, "MedicationRequest")
    assert len(requests) == 2
    assert all("route" not in r["dosageInstruction"][0] for r in requests)
    # 50 mg/kg × 40 kg = 2000 mg
    assert requests[0]["dosageInstruction"][0]["doseAndRate"][1]["doseQuantity"]["value"] == 2000


def test_a_rounded_request_notes_the_dose_calculated_before_rounding() -> None:
    # 0.8 mg/m² × 1.290994 m² = 1.0328 mg, rounded half-up to 1.0 mg at 0.1 mg
    schedule = dosing.get_regimen("inotuzumab-cycle-1").expand(
        CHILD, policy=Policy(rounding={"*": Q_(0.1, "mg")})
    )
    first = resources(schedule.to_fhir(), "MedicationRequest")[0]
    notes = [note["text"] for note in first["note"]]
    assert "Calculated before rounding: 1.0328 mg" in notes
    assert first["dosageInstruction"][0]["doseAndRate"][1]["doseQuantity"]["value"] == 1.0


def test_the_order_sheet_shows_the_calculated_dose_its_flags_the_sex_and_the_infant_rule() -> None:
    boy = Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"), age=Q_(12, "year"), sex="male")
    policy = Policy(
        rounding={"*": Q_(0.1, "mg")},
        infant_rule=dosing.InfantRule(below_weight=Q_(10, "kg"), divisor=30),
    )
    schedule = dosing.get_regimen("inotuzumab-cycle-1").expand(boy, policy=policy)
    page = dosing.formats.write(schedule, "html")
    # 0.8 × 1.290994 = 1.0328 mg → 1.0 mg; 0.5 × 1.290994 = 0.6455 mg → 0.6 mg
    assert '<span class="small">calculated 1.033 mg</span>' in page
    assert '<span class="small">calculated 0.6455 mg</span>' in page
    assert page.count('<span class="flag">rounded</span>') == 3
    assert "<td>sex</td><td>male</td>" in page
    text = " ".join(parse(page).text)
    assert "the infant rule (mg/kg = mg/m² ÷ divisor below a weight) is a convention" in text
    # without the infant rule in the policy, the sheet does not mention it
    plain = dosing.formats.write(dosing.get_regimen("inotuzumab-cycle-1").expand(boy), "html")
    assert "infant rule" not in plain
    assert "calculated" not in " ".join(parse(plain).text).split("Checks")[0]
