"""The package's layers: imports flow one way, base <- io <- laws <- scenario <- compute <-
mixture <- plan <- explore <- outputs <- cli, and no module imports itself round a circle.

Read from the source with :mod:`ast` (function-level imports included), so a test fails the
moment a module imports against the order; ``planner/__init__.py`` is the public facade and
may name any layer (it imports lazily).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "planner"

LAYERS = (
    "base",
    "io",
    "laws",
    "scenario",
    "compute",
    "mixture",
    "plan",
    "explore",
    "outputs",
    "cli",
)
"""Lowest first: a module may import from its own layer and the layers before it."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else "base"


def _imports(path: Path) -> set[str]:
    """Every ``planner`` module the file imports, resolved to a module name."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "planner" or node.module.startswith("planner."):
                for alias in node.names:  # ``from planner.plan import evaluate``: a module
                    candidate = f"{node.module}.{alias.name}"
                    out.add(candidate if candidate in MODULES else node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("planner."))
    return {name for name in out if name in MODULES}


FILES = {p: _module_name(p) for p in sorted(PACKAGE.rglob("*.py"))}
MODULES = set(FILES.values())
GRAPH = {FILES[p]: _imports(p) for p in FILES if p != PACKAGE / "__init__.py"}


def test_the_package_has_few_top_level_modules_and_folders_by_subject() -> None:
    top = [p for p in PACKAGE.glob("*.py")]
    folders = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    assert len(top) <= 10, sorted(p.name for p in top)
    assert set(folders) == set(LAYERS) - {"base"}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_module_imports_against_the_layer_order(module: str) -> None:
    rank = LAYERS.index(_layer(module))
    upward = sorted(i for i in GRAPH[module] if LAYERS.index(_layer(i)) > rank)
    assert not upward, f"{module} ({_layer(module)}) imports a higher layer: {upward}"


def test_base_modules_import_only_base_modules() -> None:
    for module, imports in GRAPH.items():
        if _layer(module) == "base":
            assert all(_layer(i) == "base" for i in imports), module


def test_the_import_graph_has_no_cycles() -> None:
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> None:
        if node in path:
            pytest.fail("import circle: " + " -> ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        path.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt not in (node, node.rsplit(".", 1)[0]):
                visit(nxt)
        path.pop()
        done.add(node)

    for module in sorted(GRAPH):
        visit(module)


def test_the_folder_graph_is_at_most_twelve_layers_deep() -> None:
    folders = {
        _layer(m): {_layer(i) for i in imports} - {_layer(m)} for m, imports in GRAPH.items()
    }
    edges: dict[str, set[str]] = {}
    for m, imports in GRAPH.items():
        edges.setdefault(_layer(m), set()).update(_layer(i) for i in imports)
    depth: dict[str, int] = {}

    def longest(node: str) -> int:
        if node not in depth:
            below = edges.get(node, set()) - {node}
            depth[node] = 1 + max((longest(n) for n in below), default=0)
        return depth[node]

    assert folders and max(longest(f) for f in edges) <= 12
