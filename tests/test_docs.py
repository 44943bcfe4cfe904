"""The docs: generated pages cover the library, and the format example is the tested file."""

from __future__ import annotations

import importlib.util
import pathlib
import re

import dosing

ROOT = pathlib.Path(__file__).resolve().parents[1]


def hooks() -> object:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts/docs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_formula_table_lists_every_formula_with_its_doi() -> None:
    text = hooks().formulas_markdown()  # type: ignore[attr-defined]
    for key, formula in dosing.BSA_FORMULAS.items():
        assert f"`{key}`" in text
        if formula.citation.doi:
            assert formula.citation.doi in text


def test_generated_pages_cover_regimens_references_and_renal_tables() -> None:
    module = hooks()
    regimens = module.regimens_markdown()  # type: ignore[attr-defined]
    for key in dosing.regimen_keys():
        assert f"### `{key}`" in regimens
    references = module.references_markdown()  # type: ignore[attr-defined]
    for key in dosing.REFERENCES:
        assert f"**{key}**" in references
    renal = module.renal_markdown()  # type: ignore[attr-defined]
    assert "fludarabine-fludara-label" in renal
    page = module.on_page_markdown("a\n<!-- generated:formulas -->\nb")  # type: ignore[attr-defined]
    assert "`mosteller`" in page
    assert "generated:" not in page


def test_the_format_example_in_the_docs_is_the_tested_template() -> None:
    page = (ROOT / "docs/regimens.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", page, re.S)
    assert block is not None
    assert block.group(1) == (ROOT / "tests/data/my-ric.toml").read_text(encoding="utf-8")
    regimen = dosing.load_regimen(ROOT / "tests/data/my-ric.toml")
    assert regimen.course_total("fludarabine") == dosing.Q_(150, "mg/m**2")


def test_every_page_in_the_navigation_exists() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = re.findall(r":\s+(\S+\.md)", config)
    assert "tutorial.md" in pages
    for page in pages:
        assert (ROOT / "docs" / page).is_file(), page


def test_sphinx_roles_in_docstrings_show_as_code_in_the_api_pages() -> None:
    html = (
        "<p>Use :func:<code>dosing.bsa</code> with :class:<code>~dosing.Patient</code> and "
        ":data:<code>BSA_FORMULAS</code>.</p>"
    )
    page = hooks().on_page_content(html)  # type: ignore[attr-defined]
    assert page == (
        "<p>Use <code>dosing.bsa</code> with <code>Patient</code> and "
        "<code>BSA_FORMULAS</code>.</p>"
    )


def test_generated_pages_cover_every_kidney_equation_weight_and_renal_table() -> None:
    module = hooks()
    egfr = module.egfr_markdown()  # type: ignore[attr-defined]
    for key, formula in dosing.EGFR_FORMULAS.items():
        assert f"| `{key}` | {formula.equation} |" in egfr
        assert formula.population in egfr
    weights = module.weights_markdown()  # type: ignore[attr-defined]
    for key in (*dosing.body.IBW_FORMULAS, *dosing.body.LBW_FORMULAS):
        assert f"`{key}`" in weights
    estimators = module.renal_estimators_markdown()  # type: ignore[attr-defined]
    renal = module.renal_markdown()  # type: ignore[attr-defined]
    for key, table in dosing.policy.RENAL_TABLES.items():
        assert f"| `{key}` |" in estimators
        for text in table.interpretation:
            assert text in renal
    assert "refused; with `renal_outside_population='accept'`" in estimators
