"""The shape of ``generator/``: imports only go down the stages, no import cycles, small modules.

The same layers as the import-linter contract in pyproject.toml (``.ci/run`` runs
``lint-imports``); this test also reads imports inside functions and names every cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "generator"
# Highest first: a layer may import itself and any layer after it, never one before it.
LAYERS = (
    "generator.cli",
    "generator.commands",
    "generator.deliver",
    "generator.render",
    "generator.warehouse",
    "generator.read",
    "generator.common",
)
MAX_LINES = 700
MAX_CLI_LINES = 300


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__.py``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> dict[str, int]:
    """The package's modules that module ``name`` imports anywhere in it (at the top, in a
    function, under ``if``), each with the line of its first import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from a import b`` imports module a.b when there is one, else a name of a.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for target in names:
            while target and target not in known:  # ``import a.b.c`` of a name: its module
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.setdefault(target, node.lineno)
    return targets


def graph() -> dict[str, dict[str, int]]:
    found = modules()
    return {name: imported(name, path, set(found)) for name, path in found.items()}


def layer(module: str) -> int | None:
    for n, name in enumerate(LAYERS):
        if module == name or module.startswith(name + "."):
            return n
    return None


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle through each group of modules that import each other (Tarjan's strongly
    connected components, then a shortest way round each)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [shortest_cycle(min(group), group, edges) for group in groups]


def shortest_cycle(start: str, group: set[str], edges: dict[str, dict[str, int]]) -> list[str]:
    """The shortest import path from ``start`` back to itself within ``group``."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(edges[node]):
            if nxt == start:
                return [*paths[node], start]
            if nxt in group and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")


def test_no_import_cycles() -> None:
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_imports_only_go_down() -> None:
    upward = []
    for name, targets in graph().items():
        for target, line in targets.items():
            here, there = layer(name), layer(target)
            if here is not None and there is not None and there < here:
                path = modules()[name].relative_to(ROOT)
                upward.append(f"{path}:{line}: {name} imports {target}, a layer above it")
    assert not upward, "\n".join(upward)


def test_every_module_is_in_a_layer() -> None:
    outside = [name for name in modules() if layer(name) is None]
    assert outside == ["generator", "generator.__main__"]


def test_modules_stay_small() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them): {long}"
    cli = len((PACKAGE / "cli.py").read_text(encoding="utf-8").splitlines())
    assert cli < MAX_CLI_LINES, f"generator/cli.py has {cli} lines; keep it under {MAX_CLI_LINES}"


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}, [["a", "b", "c", "a"]]),
        ({"a": {"b": 1}, "b": {}, "c": {"c": 1}}, []),  # an import of itself is no cycle
        ({"a": {"b": 1, "c": 1}, "b": {"a": 1}, "c": {"b": 1}}, [["a", "b", "a"]]),
        ({"a": {"b": 1}, "b": {}}, []),
    ],
)
def test_cycles_are_found_and_named(edges: dict[str, dict[str, int]],
                                    expected: list[list[str]]) -> None:
    assert cycles(edges) == expected


def test_imports_inside_functions_and_relative_imports_count(tmp_path: Path) -> None:
    path = tmp_path / "focus.py"
    path.write_text(
        "import generator.common.sql\n"
        "from . import layout\n"
        "from ..warehouse import load as loader\n"
        "def f():\n"
        "    from generator.render.naming import slug\n"
    )
    known = {"generator.common.sql", "generator.read.layout", "generator.warehouse.load",
             "generator.render.naming", "generator.read.focus"}
    assert imported("generator.read.focus", path, known) == {
        "generator.common.sql": 1, "generator.read.layout": 2, "generator.warehouse.load": 3,
        "generator.render.naming": 5,
    }
