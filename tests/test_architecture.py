"""The package's shape: layers, no import cycles, registries, a public view of the patient.

``docs/architecture.md`` draws the layers; this test keeps it true. Every import between two
modules of ``dosing`` (at module level or inside a function; imports for type checking only are
not imports at run time) must go down the layers below or stay within one layer without a
cycle. The one exception is a *facade*: a method of a data object that is shorthand for a
function of a higher layer (``Regimen.expand`` for ``dosing.expand.expand``), imported when
called. Each facade is listed here with its reason, so that a new one is a decision, not a dodge.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import pytest

import dosing
from dosing.registry import Registry

SOURCE = pathlib.Path(dosing.__file__).parent

#: The layers, bottom to top. A module may import from its own layer and the layers below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("dosing._version", "dosing.errors", "dosing._readonly", "dosing._warn"),
    ("dosing.units", "dosing.registry", "dosing._data", "dosing._arrays", "dosing._limits"),
    ("dosing.vocabulary", "dosing.amounts"),
    ("dosing._text", "dosing.references", "dosing.plausibility"),
    ("dosing.dose_limits", "dosing.products"),
    (
        "dosing.body",
        "dosing.body._sex",
        "dosing.body.bsa",
        "dosing.body.growth",
        "dosing.body.weight",
        "dosing.body.kidney",
        "dosing.body.egfr",
        "dosing.exposure",
    ),
    ("dosing.patient",),
    ("dosing.history",),
    (
        "dosing.regimens",
        "dosing.regimens.days",
        "dosing.regimens.lines",
        "dosing.regimens.model",
        "dosing.regimens.screen",
        "dosing.regimens.read_lines",
        "dosing.regimens.loader",
        "dosing.regimens.builtin",
    ),
    ("dosing.policy", "dosing.policy.renal", "dosing.policy.bands", "dosing.policy.policy"),
    ("dosing.basis", "dosing.gfr", "dosing.weight_bands"),
    ("dosing.policy.steps",),
    ("dosing.schedule",),
    ("dosing.expand",),
    (
        "dosing.checks",
        "dosing.checks.findings",
        "dosing.checks.rules",
        "dosing.checks.doses",
        "dosing.checks.course",
    ),
    (
        "dosing.formats",
        "dosing.formats._registry",
        "dosing.formats.records",
        "dosing.formats.csv",
        "dosing.formats.events",
        "dosing.formats.pandas",
        "dosing.formats.text",
        "dosing.formats.fhir",
        "dosing.formats.html",
    ),
    ("dosing.frames",),
    ("dosing", "dosing.cli", "dosing.__main__"),
)

#: Upward imports allowed inside one method each: (importer, imported) -> why.
FACADES: dict[tuple[str, str], str] = {
    ("dosing.regimens.model", "dosing.expand"): "Regimen.expand() is dosing.expand.expand()",
    ("dosing.regimens.model", "dosing.formats.text"): "Regimen.describe() writes text",
    ("dosing.regimens.model", "dosing.formats.fhir"): "Regimen.to_fhir() writes FHIR",
    ("dosing.schedule", "dosing.formats.fhir"): "Schedule.to_fhir() writes FHIR",
    ("dosing.schedule", "dosing.formats"): "Schedule.to_csv(), to_records(), ... write out",
    ("dosing.schedule", "dosing.formats.records"): "Row.to_record() writes a record",
    ("dosing.schedule", "dosing.formats.text"): "Schedule.header() writes text",
}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    _module_name(path): path for path in sorted(SOURCE.rglob("*.py")) if "data" not in path.parts
}


def _resolve(name: str) -> str | None:
    """The module of ``dosing`` that an imported name lives in (None for other packages)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, in_function: bool = False) -> Iterator[tuple[str, bool]]:
    """Every imported ``dosing`` module, and whether it is imported inside a function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                yield from _imports(child, in_function)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target:
                    yield target, in_function
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                target = _resolve(f"{node.module}.{alias.name}")
                if target:
                    yield target, in_function
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from _imports(node, inside)


EDGES = {
    module: sorted(set(_imports(ast.parse(path.read_text(encoding="utf-8")))))
    for module, path in MODULES.items()
}
LAYER_OF = {module: index for index, layer in enumerate(LAYERS) for module in layer}


def test_every_module_has_a_layer() -> None:
    assert set(MODULES) == set(LAYER_OF), "add new modules to LAYERS (and to architecture.md)"


def test_no_import_cycle() -> None:
    """Module-level imports form no cycle (a facade is imported only when called)."""
    graph = {
        module: {target for target, in_function in edges if not in_function and target != module}
        for module, edges in EDGES.items()
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        if module in visiting:
            cycle = [*visiting[visiting.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        visiting.append(module)
        for target in sorted(graph[module]):
            # A submodule's own package __init__ runs first: not a dependency of ours.
            if not module.startswith(target + "."):
                visit(target)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_imports_go_down_the_layers() -> None:
    wrong = []
    for module, edges in EDGES.items():
        for target, in_function in edges:
            if target == module or module.startswith(target + "."):
                continue
            if LAYER_OF[target] <= LAYER_OF[module]:
                continue
            if in_function and (module, target) in FACADES:
                continue
            wrong.append(f"{module} imports {target} ({'in a function' if in_function else ''})")
    assert not wrong, "\n".join(wrong)


def test_every_facade_is_used() -> None:
    used = {(m, t) for m, edges in EDGES.items() for t, in_function in edges if in_function}
    assert set(FACADES) <= used, set(FACADES) - used


def test_imports_inside_functions_are_only_facades_or_optional_extras() -> None:
    """No import is hidden in a function to dodge a cycle: only facades and optional extras."""
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    name = inner.module if isinstance(inner, ast.ImportFrom) else None
                    names = [name] if name else [alias.name for alias in inner.names]
                    for imported in names:
                        assert imported is not None
                        target = _resolve(imported)
                        if target is None:
                            assert imported.split(".")[0] in {"dask", "pandas"}, (
                                f"{module}: import {imported} inside a function"
                            )
                        else:
                            assert (module, target) in FACADES, (
                                f"{module}: import {imported} inside a function"
                            )


def test_patient_has_no_private_fields_to_read() -> None:
    """Other modules read the patient's public view, ``patient.magnitudes``, nothing private."""
    assert not [name for name in dosing.Patient.__slots__ if name.startswith("_")]
    for module, path in MODULES.items():
        if module == "dosing.patient":
            continue
        text = path.read_text(encoding="utf-8")
        for private in ("._height_cm", "._weight_kg", "._bsa_m2", "._age_years", "._crcl"):
            assert private not in text, f"{module} reads {private}"


@pytest.mark.parametrize(
    "registry",
    [
        dosing.BSA_FORMULAS,
        dosing.EGFR_FORMULAS,
        dosing.body.IBW_FORMULAS,
        dosing.body.LBW_FORMULAS,
        dosing.REFERENCES,
        dosing.regimens.REGIMENS,
        dosing.policy.RENAL_TABLES,
        dosing.formats.FORMATS,
        dosing.policy.steps.STEPS,
    ],
)
def test_every_keyed_lookup_is_one_registry_type(registry: Registry[object]) -> None:
    assert isinstance(registry, Registry)
    with pytest.raises(dosing.UnknownKeyError) as info:
        registry["no such key"]
    assert info.value.valid == tuple(registry)
    with pytest.raises(TypeError):
        registry["x"] = 1  # type: ignore[index]


def test_the_pipeline_runs_in_the_documented_order_and_declares_every_flag() -> None:
    from dosing.policy.steps import STEPS
    from dosing.vocabulary import FLAGS

    assert list(STEPS) == [
        "creatinine_floor",
        "gfr_cap",
        "dosing_weight",
        "infant_rule",
        "bsa_cap",
        "dose_factor",
        "renal",
        "dose_cap",
        "banding",
        "rounding",
    ]
    declared = [flag for step in STEPS.values() for flag in step.flags]
    assert declared == list(FLAGS)  # each flag declared once, by the step that sets it
    assert all(FLAGS[flag] for flag in FLAGS)  # with its meaning
    assert [step.stage for step in STEPS.values()].index("prepare") == len(STEPS) - 2
    for step in STEPS.values():
        assert step.summary.endswith(".")  # the step's docstring says what it does
