"""The packages import one way only, and never inside a function (docs/ARCHITECTURE.md).

core <- inventory <- shipments <- repairs, doa <- figures, labels: a package imports
only packages to its left (repairs and doa are peers: neither imports the other;
figures and labels read every domain package, never each other). Another process
reaches a package through core's registries (scan modes, look-ups, open records,
hand-over, chase, nav), so no import hides in a function to dodge a cycle: every
import sits at module top.
"""
from __future__ import annotations

import ast
from pathlib import Path

import core

ROOT = Path(core.__file__).resolve().parents[1]
PACKAGES = ("core", "inventory", "shipments", "repairs", "doa", "hotline", "complaints", "figures", "labels",
            "dealercare", "handoff")
DOMAIN = {"inventory", "shipments", "repairs", "doa"}
# What each package may import besides itself.
ALLOWED = {
    "core": set(),
    "inventory": {"core"},
    "shipments": {"core", "inventory"},
    "repairs": {"core", "inventory", "shipments"},
    "doa": {"core", "inventory", "shipments"},
    # The hotline desk stands on core alone (brands, departments, tasks, calendar, mail).
    "hotline": {"core"},
    # Complaints stand on the shared mechanisms alone (tasks, workflow, chase, calendar).
    "complaints": {"core"},
    "figures": {"core", "hotline", "complaints"} | DOMAIN,
    "labels": {"core"} | DOMAIN,
    # Dealer care hears of new dealers through core's signal and keeps its own records.
    "dealercare": {"core"},
    # Hand-off letters between departments: tasks, workflow, chase and calendar from core.
    "handoff": {"core"},
}


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


def _imported(node: ast.Import | ast.ImportFrom, path: Path) -> list[str]:
    """The top-level names of what ``node`` imports (relative imports resolved against ``path``)."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    if node.level:
        return [path.relative_to(ROOT).parts[0]]
    return [(node.module or "").split(".")[0]]


def _imports(tree: ast.AST):
    """Every import with whether it sits inside a function or method."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                       ast.Lambda)))
    yield from walk(tree, False)


def _problems():
    wrong_way, in_function = [], []
    for package, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(ROOT)
        for node, inside in _imports(tree):
            for name in _imported(node, path):
                if inside:
                    in_function.append(f"{where}:{node.lineno}: imports {name} inside a function")
                if name in PACKAGES and name != package and name not in ALLOWED[package]:
                    wrong_way.append(f"{where}:{node.lineno}: {package} imports {name}")
    return wrong_way, in_function


def test_every_import_points_the_allowed_way():
    wrong_way, _ = _problems()
    assert not wrong_way, "imports against the direction core <- inventory <- shipments <- repairs, doa " \
                          "<- figures, labels:\n" + "\n".join(wrong_way)


def test_no_import_inside_a_function():
    _, in_function = _problems()
    assert not in_function, "imports belong at module top (use a core registry to break a cycle):\n" + \
                            "\n".join(in_function)


def test_the_check_sees_a_wrong_import_and_a_hidden_one(tmp_path):
    """The checker itself: a repairs module importing doa at top and labels inside a function."""
    tree = ast.parse("import doa.service\n\ndef f():\n    from labels import sources\n")
    found = [(n.lineno, inside, _imported(n, ROOT / "repairs" / "x.py")) for n, inside in _imports(tree)]
    assert found == [(1, False, ["doa"]), (4, True, ["labels"])]
    assert "doa" not in ALLOWED["repairs"] and "repairs" not in ALLOWED["doa"]
    assert "figures" not in ALLOWED["labels"] and "labels" not in ALLOWED["figures"]
