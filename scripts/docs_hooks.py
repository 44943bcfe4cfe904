"""mkdocs hooks: generate the formula and regimen catalogues from the library itself.

A page may hold the markers ``<!-- generated:formulas -->``, ``<!-- generated:egfr -->``,
``<!-- generated:weights -->``, ``<!-- generated:references -->``, ``<!-- generated:regimens -->``,
``<!-- generated:renal -->``, ``<!-- generated:renal-estimators -->``,
``<!-- generated:limits -->``, ``<!-- generated:codes -->``, ``<!-- generated:agents -->`` and
``<!-- generated:fhir-example -->``; on build each is replaced by tables made from
``dosing.BSA_FORMULAS``, ``dosing.EGFR_FORMULAS``, the weight registries, ``dosing.REFERENCES``,
the regimen catalogue, the renal tables, the dose limits, the finding codes and the agent
vocabulary (and an example FHIR bundle by ``Schedule.to_fhir``), so the docs cannot drift from
the code.

The docstrings use Sphinx roles (``:func:`bsa```), which the API pages would show as literal
text; :func:`on_page_content` writes each as the code it names.
"""

from __future__ import annotations

import re
from typing import Any

#: A Sphinx role as mkdocstrings renders it: ``:func:<code>dosing.bsa</code>``.
_ROLE = re.compile(r":(?:func|class|data|mod|meth|attr|exc|obj|ref):<code>(~?)([^<]*)</code>")


def formulas_markdown() -> str:
    """The BSA formulas: key, equation, citation with DOI, population."""
    import dosing

    lines = ["| key | equation (H cm, W kg) | population | source |", "|---|---|---|---|"]
    for key, formula in dosing.BSA_FORMULAS.items():
        ref = formula.citation
        link = f" [{ref.doi or ref.pmid or 'link'}]({ref.link})" if ref.link else ""
        flags = []
        if formula.needs_sex:
            flags.append("needs sex")
        if formula.adults_only:
            flags.append("adults only: warns for a child")
        if not formula.uses_height:
            flags.append("weight only")
        population = formula.population + (f" ({'; '.join(flags)})" if flags else "")
        lines.append(
            f"| `{key}` | {formula.equation} | {population} | {ref.authors}, {ref.year}.{link} |"
        )
    return "\n".join(lines)


def _source(key: str) -> str:
    import dosing

    ref = dosing.REFERENCES[key]
    link = f" [{ref.doi or ref.pmid or 'link'}]({ref.link})" if ref.link else ""
    year = f", {ref.year}" if ref.year else ""
    return f"{ref.authors}{year}.{link}"


def egfr_markdown() -> str:
    """Every eGFR equation: key, equation, derivation population, validated range, source."""
    import dosing

    lines = [
        "| key | equation (mL/min/1.73 m²) | needs | derived in | validated range (warns "
        "outside) | source |",
        "|---|---|---|---|---|---|",
    ]
    for key, formula in dosing.EGFR_FORMULAS.items():
        ranges = "; ".join(f"{r.describe()} ({r.source})" for r in formula.ranges) or "—"
        needs = ", ".join(formula.needs)
        note = f" {formula.note}" if formula.note else ""
        lines.append(
            f"| `{key}` | {formula.equation} | {needs} | {formula.population}.{note} | "
            f"{ranges} | {_source(formula.reference)} |"
        )
    return "\n".join(lines)


def weights_markdown() -> str:
    """The ideal and lean body-weight formulas: key, equation, population, source."""
    import dosing

    lines = ["| function | key | equation | population | source |", "|---|---|---|---|---|"]
    for function, registry in (
        ("ideal_body_weight", dosing.body.IBW_FORMULAS),
        ("lean_body_weight", dosing.body.LBW_FORMULAS),
    ):
        for key, formula in registry.items():
            lines.append(
                f"| `{function}` | `{key}` | {formula.equation} | {formula.population} | "
                f"{_source(formula.reference)} |"
            )
    return "\n".join(lines)


def renal_estimators_markdown() -> str:
    """Which estimator, measure and population each renal table expects."""
    from dosing.policy.renal import RENAL_TABLES

    lines = [
        "| table | agent | written for | thresholds | for | an adult gets (default) | a child gets "
        "(default) |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, table in RENAL_TABLES.items():
        if table.estimator == "measured":
            adult = "a measured clearance (an estimate only if the policy names one)"
        elif table.estimator == "unspecified":
            adult = "CKD-EPI 2021 (creatinine-cystatin C 2021 with a cystatin C)"
        else:
            adult = table.estimator_text()
        if table.population == "paediatric":
            adult = "refused; with `renal_outside_population='accept'`, " + adult
        if table.population == "adult":
            child = "refused; with `renal_outside_population='accept'`, bedside Schwartz"
        elif table.estimator in ("measured",):
            child = "a measured clearance (an estimate only if the policy names one)"
        else:
            child = "bedside Schwartz"
        lines.append(
            f"| `{key}` | {table.agent} | {table.estimator_text()} | {table.unit_text} | "
            f"{table.population_text()} | {adult} | {child} |"
        )
    return "\n".join(lines)


def references_markdown() -> str:
    """Every citation in the catalogue."""
    import dosing

    lines = []
    for key, ref in sorted(dosing.REFERENCES.items()):
        link = f" <{ref.link}>" if ref.link else ""
        lines.append(f"- **{key}**: {ref}{link if not ref.doi else ''}")
    return "\n".join(lines)


def regimens_markdown() -> str:
    """Every built-in regimen as ``dosing show`` prints it."""
    import dosing

    parts = []
    for key in dosing.regimen_keys():
        parts.append(f"### `{key}`\n\n```text\n{dosing.get_regimen(key).describe()}\n```\n")
    return "\n".join(parts)


def renal_markdown() -> str:
    """The renal tables with their bands and sources."""
    from dosing.policy.renal import RENAL_TABLES

    parts = []
    for key, table in RENAL_TABLES.items():
        bands = "\n".join(f"- {band.describe(table.unit_text)}" for band in table.bands)
        readings = "".join(f"\n- *Interpretation:* {text}" for text in table.interpretation)
        parts.append(
            f"#### `{key}` ({table.agent}, {table.measure})\n\n"
            f"For {table.population_text()}; written for {table.estimator_text()}.\n\n"
            f"{bands}{readings}\n\n{table.note} Sources: {', '.join(table.references)}.\n"
        )
    return "\n".join(parts)


def limits_markdown() -> str:
    """Every dose limit with its source (or why it has none), and what is recorded unchecked."""
    from dosing.dose_limits import DOSE_LIMITS

    lines = [
        "| agent | product | setting | age | tier | limit | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for agent in sorted(DOSE_LIMITS.limits):
        for limit in DOSE_LIMITS.for_agent(agent):
            ages = []
            if limit.age_from is not None:
                ages.append(f"from {limit.age_from:g} y")
            if limit.age_below is not None:
                ages.append(f"under {limit.age_below:g} y")
            if limit.references:
                quote = limit.quote.replace("|", "/")
                source = f"{', '.join(limit.references)}: \u201c{quote}\u201d"
            else:
                source = f"**unsourced**: {limit.unsourced}"
            lines.append(
                f"| {agent} | {limit.product or ''} | {limit.setting or 'any'} | "
                f"{' '.join(ages) or 'any'} | {limit.tier} | {limit.describe()} | {source} |"
            )
    unchecked = [
        "",
        "Recorded as **not checked** (every such dose gets a `not_checked` finding):",
        "",
    ]
    for agent in sorted(DOSE_LIMITS.unchecked):
        for record in DOSE_LIMITS.unchecked_for(agent):
            what = " ".join(
                part
                for part in (
                    agent,
                    f"({record.product})" if record.product else "",
                    f"in {record.setting}" if record.setting else "",
                    f"{record.kind} amounts" if record.kind else "",
                )
                if part
            )
            unchecked.append(f"- {what}: {record.why}")
    return "\n".join(lines + unchecked)


def codes_markdown() -> str:
    """The finding codes of dosing.check()."""
    from dosing.checks import CODES

    return "\n".join(f"- `{code}`: {meaning}" for code, meaning in CODES.items())


def agents_markdown() -> str:
    """Every agent the vocabulary knows, with its synonyms and products."""
    from dosing.vocabulary import AGENTS

    lines = ["| agent | also written | products | classes |", "|---|---|---|---|"]
    for name in sorted(AGENTS):
        agent = AGENTS[name]
        products = ", ".join(
            product.name + (" (distinct)" if product.distinct else "") for product in agent.products
        )
        classes = ", ".join(sorted(agent.classes))
        lines.append(f"| {name} | {', '.join(agent.synonyms)} | {products} | {classes} |")
    return "\n".join(lines)


def fhir_example_markdown() -> str:
    """An example FHIR bundle (the case report's child on gvhd-mtx-10-7-7), ids numbered."""
    import json

    import dosing
    from dosing import Q_

    child = dosing.Patient(height=Q_(150, "cm"), weight=Q_(40, "kg"))
    schedule = dosing.get_regimen("gvhd-mtx-10-7-7").expand(child, transplant_date="2026-12-10")
    text = json.dumps(schedule.to_fhir(), indent=2, ensure_ascii=False)
    ids: dict[str, str] = {}
    for found in re.findall(r"urn:uuid:[0-9a-f-]{36}", text):
        ids.setdefault(found, f"urn:uuid:00000000-0000-4000-8000-{len(ids) + 1:012d}")
    for old, new in ids.items():
        text = text.replace(old, new)
    return f"```json\n{text}\n```"


GENERATORS = {
    "<!-- generated:limits -->": limits_markdown,
    "<!-- generated:codes -->": codes_markdown,
    "<!-- generated:agents -->": agents_markdown,
    "<!-- generated:fhir-example -->": fhir_example_markdown,
    "<!-- generated:formulas -->": formulas_markdown,
    "<!-- generated:egfr -->": egfr_markdown,
    "<!-- generated:weights -->": weights_markdown,
    "<!-- generated:renal-estimators -->": renal_estimators_markdown,
    "<!-- generated:references -->": references_markdown,
    "<!-- generated:regimens -->": regimens_markdown,
    "<!-- generated:renal -->": renal_markdown,
}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """mkdocs hook: replace every marker by its generated markdown."""
    for marker, generate in GENERATORS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return markdown


def on_page_content(html: str, **kwargs: Any) -> str:
    """mkdocs hook: a Sphinx role in a rendered docstring becomes the code it names.

    ``:class:`~dosing.Patient``` shows as ``Patient`` (the tilde asks for the last name only).
    """

    def code(match: re.Match[str]) -> str:
        target = match.group(2)
        return f"<code>{target.rsplit('.', 1)[-1] if match.group(1) else target}</code>"

    return _ROLE.sub(code, html)
