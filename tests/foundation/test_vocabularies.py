"""One vocabulary, spelled one way: log events are dotted (``area.what_happened``), and the
console compares roles and statuses with the journal's enums, never with bare strings."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
DOTTED = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


def _modules(*packages: str) -> Iterator[tuple[Path, ast.Module]]:
    for package in packages:
        for path in sorted((REPO / package).rglob("*.py")):
            yield path.relative_to(REPO), ast.parse(path.read_text(), str(path))


def _is_logger(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name in {"log", "logger"}


def _event_names() -> Iterator[tuple[str, str]]:
    for path, tree in _modules("journal", "ivr", "cti", "pbxsim"):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEVELS
                    and _is_logger(node.func.value) and node.args):
                first, rest = node.args[0], ""
                if isinstance(first, ast.BinOp) and isinstance(first.left, ast.Constant):
                    first, rest = first.left, "x"  # "area." + what: the computed rest stands as "x"
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield f"{path}:{node.lineno}", first.value + rest


def test_every_log_event_is_dotted() -> None:
    names = list(_event_names())
    assert len(names) > 100  # the walk finds them
    undotted = [(where, name) for where, name in names if not DOTTED.fullmatch(name)]
    assert undotted == []


def _str_literals(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return bool(node.elts) and all(_str_literals(e) for e in node.elts)
    return False


def test_the_console_compares_roles_and_statuses_with_enums() -> None:
    bare = []
    for path, tree in _modules("cti"):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            named = any(isinstance(s, ast.Attribute) and s.attr in {"role", "status"} for s in sides)
            if named and any(_str_literals(s) for s in sides):
                bare.append(f"{path}:{node.lineno}")
    assert bare == []
