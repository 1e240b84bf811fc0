"""The layer rule: the feature packages of ``marketplace/`` import each other without cycles.

A package's *domain* modules (models, services, rules, jobs …) are read at
module level with ``ast``: ``import``/``from … import`` statements outside
functions and outside ``if TYPE_CHECKING``. Each import of another package
is an edge ``package -> other``; the graph must have no cycle, so every
package can be understood, tested and changed with only the packages below
it. The web modules (``routes``, ``api``, ``forms``, ``demo``) sit on top of
every package and may import any domain module; domain modules never import
another package's web modules. Where a lower package must call a higher one
(a patent change re-checks its open license), the higher one registers a
hook in ``create_app`` (``patents.services.on_patent_change``, the outbox's
consumers, the consents registry).

``KNOWN_BACK_EDGES`` lists the edges that still close cycles, each with what
closes it; the list may only shrink (an edge that no longer exists fails the
test until it is removed from the list).
"""
from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "marketplace"
NOT_PACKAGES = {"translations", "data", "__pycache__"}
WEB_MODULES = {"routes", "api", "forms", "demo"}
KNOWN_BACK_EDGES: dict[tuple[str, str], str] = {}  # empty: the graph has no cycle at all (issue 11)

Graph = Mapping[str, Mapping[str, list[str]]]


def packages() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir()
                  if p.is_dir() and p.name not in NOT_PACKAGES and (p / "__init__.py").exists()
                  or p.is_dir() and p.name not in NOT_PACKAGES and any(p.glob("*.py")))


def module_level_imports(tree: ast.Module) -> Iterator[tuple[str, list[str], int]]:
    """(module, imported names, line) of the imports run when the module is imported."""
    def walk(nodes: list[ast.stmt]) -> Iterator[tuple[str, list[str], int]]:
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield node.module, [alias.name for alias in node.names], node.lineno
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, [], node.lineno
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                yield from walk(node.body + node.orelse + node.finalbody)
                for handler in node.handlers:
                    yield from walk(handler.body)
    yield from walk(tree.body)


def import_graph(*, web: bool = False) -> dict[str, dict[str, list[str]]]:
    """``graph[a][b]``: where package a's domain modules (or, with ``web``, its web modules) import package b."""
    names = set(packages())
    graph: dict[str, dict[str, list[str]]] = {name: {} for name in names}
    for package in sorted(names):
        for path in sorted((ROOT / package).rglob("*.py")):
            if (path.stem in WEB_MODULES) != web:
                continue
            for module, imported, line in module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
                parts = module.split(".")
                if parts[0] != "marketplace":
                    continue
                targets = [parts[1]] if len(parts) > 1 else [n for n in imported if n in names]
                for target in targets:
                    if target in names and target != package:
                        where = f"{path.relative_to(ROOT.parent)}:{line} {module}"
                        graph[package].setdefault(target, []).append(where)
    return graph


def find_cycle(graph: Mapping[str, Mapping[str, object]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": []}, "b": {}, "c": {"a": []}}) is None
    tree = ast.parse("import os\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from marketplace.deals import models\n"
                     "def f():\n    from marketplace.pledges import models\nfrom marketplace.core import errors\n")
    assert [m for m, _names, _line in module_level_imports(tree)] == ["os", "typing", "marketplace.core"]


def test_domain_packages_import_each_other_without_cycles():
    graph = import_graph()
    allowed = {a: {b: w for b, w in targets.items() if (a, b) not in KNOWN_BACK_EDGES} for a, targets in graph.items()}
    cycle = find_cycle(allowed)
    if cycle:
        evidence = "\n".join(f"  {a} -> {b}: {allowed[a][b][:3]}" for a, b in zip(cycle, cycle[1:]))
        pytest.fail(f"import cycle between packages {' -> '.join(cycle)}:\n{evidence}\n"
                    "move the shared rule down (marketplace/legal/, core/) or register a hook in create_app")


def test_known_back_edges_still_exist():
    graph = import_graph()
    gone = [edge for edge in KNOWN_BACK_EDGES if edge[1] not in graph.get(edge[0], {})]
    assert not gone, f"these edges no longer exist: remove them from KNOWN_BACK_EDGES: {gone}"


def test_core_and_legal_are_the_bottom_layers():
    """``core`` imports no feature package (its permissions moved up to ``accounts``); ``legal`` only ``core``."""
    graph = import_graph()
    assert graph["core"] == {}, graph["core"]
    assert set(graph["legal"]) <= {"core"}, graph["legal"]


def test_domain_modules_do_not_import_other_packages_web_modules():
    names = set(packages())
    offenders = []
    for package in sorted(names):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.stem in WEB_MODULES:
                continue
            for module, imported, line in module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
                parts = module.split(".")
                if parts[0] == "marketplace" and len(parts) > 1 and parts[1] in names and parts[1] != package and (
                        (len(parts) > 2 and parts[2] in WEB_MODULES) or (len(parts) == 2 and WEB_MODULES & set(imported))):
                    offenders.append(f"{path.relative_to(ROOT.parent)}:{line} {module}")
    assert offenders == []
