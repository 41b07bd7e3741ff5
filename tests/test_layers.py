"""Arrows point down: every module's imports (those under `TYPE_CHECKING` included) are read with `ast`, and
no package may import one in a higher layer or a sibling in its own layer, no modules may import one another
in a cycle, and `generator/` reaches the collector only through `collector.schema`.

LAYERS is the one statement of the order; docs/architecture.md shows it, and a test checks the two agree.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("collector", "generator")

# Highest first. A package may import packages in lower layers only; packages of one layer are independent.
# `collector` alone is the package root (`__version__`); `collector.errors` and `collector.store` are modules.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("collector.cli", "generator"),
    ("collector.importers", "collector.exporters"),
    ("collector.run",),
    ("collector.server", "collector.quality"),
    ("collector.config",),
    ("collector.workloads",),
    ("collector.load",),
    ("collector.measure",),
    ("collector.models",),
    ("collector.backends", "collector.provenance"),
    ("collector.store",),
    ("collector.secrets",),
    ("collector.errors", "collector.stop"),
    ("collector.schema",),
    ("collector",),
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}

# The generator's own stages, highest first: the same rule inside the `generator` unit. `generator` alone
# is its top level: the package root and `cli` (the entry points `generator.cli:build` / `:serve`).
GENERATOR_LAYERS: tuple[tuple[str, ...], ...] = (
    ("generator",),
    ("generator.build",),
    ("generator.pages",),
    ("generator.figures",),
    ("generator.analysis",),
    ("generator.data",),
    ("generator.render",),
)
GENERATOR_RANK = {package: rank for rank, layer in enumerate(GENERATOR_LAYERS) for package in layer}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    """The layer unit a module belongs to: `collector.<first part>` (or `collector`), else the top package."""
    parts = module.split(".")
    if parts[0] == "collector":
        return "collector" if len(parts) == 1 else f"collector.{parts[1]}"
    return parts[0]


def stage_of(module: str) -> str:
    """The generator stage a generator module belongs to: `generator.<sub-package>`, else `generator`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and (ROOT / parts[0] / parts[1]).is_dir() else parts[0]


def imports(source: str, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every import statement in the source, wherever it sits (a function body,
    an `if TYPE_CHECKING:` block), relative ones resolved against `module`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            # `from collector.run import record` imports the module collector.run.record
            for alias in node.names:
                yield f"{target}.{alias.name}", node.lineno


def source_files() -> list[Path]:
    return sorted(p for top in SOURCES for p in (ROOT / top).rglob("*.py"))


def own_modules() -> set[str]:
    return {module_name(p) for p in source_files()}


def import_graph() -> dict[str, dict[str, str]]:
    """module -> {module it imports: 'file:line'}, only modules of this repository."""
    known = own_modules()
    graph: dict[str, dict[str, str]] = {}
    for path in source_files():
        edges = graph.setdefault(module_name(path), {})
        for target, line in imports(path.read_text(), module_name(path), path.name == "__init__.py"):
            if target in known and target != module_name(path):
                edges.setdefault(target, f"{path.relative_to(ROOT)}:{line}")
    return graph


def test_every_package_has_a_layer() -> None:
    missing = sorted({package_of(m) for m in own_modules()} - set(RANK))
    assert not missing, f"add these packages to LAYERS in {Path(__file__).name}: {missing}"


def test_no_package_imports_a_higher_layer_or_a_sibling() -> None:
    wrong = []
    for module, edges in import_graph().items():
        for target, where in edges.items():
            source, dest = package_of(module), package_of(target)
            if source != dest and RANK[dest] <= RANK[source]:
                wrong.append(f"{where}: {source} imports {target} ({dest} is not below it)")
    assert not wrong, "\n".join(wrong)


def test_every_generator_stage_has_a_layer() -> None:
    stages = {stage_of(m) for m in own_modules() if package_of(m) == "generator"}
    missing = sorted(stages - set(GENERATOR_RANK))
    assert not missing, f"add these stages to GENERATOR_LAYERS in {Path(__file__).name}: {missing}"


def test_no_generator_stage_imports_a_higher_stage_or_a_sibling() -> None:
    wrong = []
    for module, edges in import_graph().items():
        if package_of(module) != "generator":
            continue
        for target, where in edges.items():
            if package_of(target) != "generator":
                continue
            source, dest = stage_of(module), stage_of(target)
            if source != dest and GENERATOR_RANK[dest] <= GENERATOR_RANK[source]:
                wrong.append(f"{where}: {source} imports {target} ({dest} is not below it)")
    assert not wrong, "\n".join(wrong)


def test_stage_of_names_the_sub_package() -> None:
    assert stage_of("generator.cli") == "generator"
    assert stage_of("generator.pages") == "generator.pages"
    assert stage_of("generator.pages.runpage") == "generator.pages"


def test_the_generator_imports_only_the_schema_from_the_collector() -> None:
    wrong = [
        f"{where}: {target}"
        for module, edges in import_graph().items()
        if package_of(module) == "generator"
        for target, where in edges.items()
        if target.startswith("collector") and package_of(target) != "collector.schema"
    ]
    assert not wrong, "\n".join(wrong)


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search with colours)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_cycles_between_modules() -> None:
    # A package's __init__ re-exporting its own modules is not a cycle of design: leave those edges out.
    graph = {
        module: {t: w for t, w in edges.items() if not t.startswith(module + ".")}
        for module, edges in import_graph().items()
    }
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": ""}, "b": {}}) is None


def test_imports_under_type_checking_and_relative_ones_are_seen() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from collector.run import runner\n"
        "def f():\n    from ..load import client\n"
    )
    found = {target for target, _ in imports(source, "collector.config.collect", is_package=False)}
    assert {"collector.run.runner", "collector.load.client"} <= found


def test_architecture_doc_shows_the_layers() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- layers -->\n```text\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md needs the layer block (<!-- layers --> then a text block)"
    shown = tuple(tuple(line.split()) for line in block.group(1).splitlines() if line.strip())
    assert shown == LAYERS, "docs/architecture.md's layer block differs from LAYERS in tests/test_layers.py"


def test_architecture_doc_shows_the_generator_stages() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"<!-- generator-layers -->\n```text\n(.*?)```", text, re.S)
    assert block, (
        "docs/architecture.md needs the generator block (<!-- generator-layers --> then a text block)"
    )
    shown = tuple(tuple(line.split()) for line in block.group(1).splitlines() if line.strip())
    assert shown == GENERATOR_LAYERS, "docs/architecture.md's generator block differs from GENERATOR_LAYERS"
