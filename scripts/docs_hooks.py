"""mkdocs hooks: generate the formula and regimen catalogues from the library itself.

A page may hold the markers ``<!-- generated:formulas -->``, ``<!-- generated:references -->``,
``<!-- generated:regimens -->`` and ``<!-- generated:renal -->``; on build each is replaced by
tables made from ``dosing.BSA_FORMULAS``, ``dosing.REFERENCES``, the regimen catalogue and the
renal tables, so the docs cannot drift from the code.

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
        unit = "mL/min" if table.measure == "absolute" else "mL/min/1.73 m²"
        bands = "\n".join(f"- {band.describe(unit)}" for band in table.bands)
        parts.append(
            f"#### `{key}` ({table.agent}, {table.measure})\n\n{bands}\n\n{table.note} "
            f"Sources: {', '.join(table.references)}.\n"
        )
    return "\n".join(parts)


GENERATORS = {
    "<!-- generated:formulas -->": formulas_markdown,
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
