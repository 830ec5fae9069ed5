"""No import cycle hides behind a function-level import, and front ends use the one door.

import-linter (``.importlinter``) checks the layers, but it cannot tell an import inside a
function from one at the top of a module; a function-level import is the usual way to make a
cycle "work". Here every ``engine``/``gui`` import is read from the source (``if
TYPE_CHECKING:`` blocks left out: they never run), and each import made inside a function must
not lead back to the module that makes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "gui")
# What engine/cli and gui may import of the engine (ARCHITECTURE.md: the one door).
FRONT_DOOR = ("engine.api", "engine.errors", "engine.events")
# Plugin registration, the one accepted loop: the task registry imports the task package so
# that every task module registers itself with the registry's ``@register`` (BasicSR's
# pattern); the package is never imported back by the registry's callers for anything else.
REGISTRATION = {("engine.tasks.registry", "engine.tasks")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _targets(node: ast.Import | ast.ImportFrom, here: str, is_pkg: bool,
             known: dict[str, Path]) -> list[str]:
    """The ``engine``/``gui`` modules an import statement names (a ``from X import y`` names
    ``X.y`` when that is a module, else ``X``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in known]
    base = node.module or ""
    if node.level:
        package = here.split(".") if is_pkg else here.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    found = []
    for alias in node.names:
        full = f"{base}.{alias.name}"
        if full in known:
            found.append(full)
        elif base in known:
            found.append(base)
    return found


def _imports(known: dict[str, Path]) -> dict[str, list[tuple[str, bool, int]]]:
    """``{module: [(imported module, inside a function, line)]}``, TYPE_CHECKING left out."""
    graph: dict[str, list[tuple[str, bool, int]]] = {}
    for name, path in known.items():
        is_pkg = path.name == "__init__.py"
        edges = graph.setdefault(name, [])

        def visit(node: ast.AST, in_function: bool, name=name, is_pkg=is_pkg, edges=edges):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and _is_type_checking(child):
                    for other in child.orelse:
                        visit(other, in_function)
                    continue
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    edges += [(t, in_function, child.lineno)
                              for t in _targets(child, name, is_pkg, known) if t != name]
                inner = in_function or isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                visit(child, inner)

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return graph


def _path(graph, start: str, goal: str) -> list[str] | None:
    """A chain of imports from ``start`` to ``goal`` (breadth first), or ``None``."""
    seen, queue = {start: [start]}, [start]
    while queue:
        here = queue.pop(0)
        for target, _, _ in graph.get(here, []):
            if target == goal:
                return seen[here] + [goal]
            if target not in seen:
                seen[target] = seen[here] + [target]
                queue.append(target)
    return None


def test_no_cycle_hides_behind_a_function_level_import():
    known = _modules()
    graph = _imports(known)
    cycles = []
    for module, edges in graph.items():
        for target, in_function, line in edges:
            if not in_function or (module, target) in REGISTRATION:
                continue
            back = _path(graph, target, module)
            if back:
                cycles.append(f"{module}:{line} imports {target} inside a function, and "
                              + " -> ".join(back))
    assert not cycles, "\n".join(cycles)


def test_the_checker_sees_a_hidden_cycle(tmp_path, monkeypatch):
    pkg = tmp_path / "engine"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from engine import b\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from engine import c\n"
                              "def f():\n    from engine.a import x\n")
    (pkg / "c.py").write_text("def g():\n    import engine.b\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    graph = _imports(_modules())
    assert ("engine.a", True, 5) in graph["engine.b"]
    assert [t for t, _, _ in graph["engine.b"]] == ["engine.a"]  # the TYPE_CHECKING one is out
    assert _path(graph, "engine.a", "engine.b") == ["engine.a", "engine.b"]


def test_front_ends_import_only_the_api_errors_and_events():
    known = _modules()
    graph = _imports(known)
    allowed = FRONT_DOOR + ("engine",)  # the package itself: ``from engine import api``
    offenders = [f"{module}:{line} imports {target}"
                 for module, edges in graph.items()
                 if module.startswith(("gui", "engine.cli"))
                 for target, _, line in edges
                 if target.startswith("engine") and not target.startswith("engine.cli")
                 and target not in allowed]
    assert not offenders, "\n".join(offenders)
