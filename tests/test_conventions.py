"""Project rules that import-linter cannot express: channel order changes only in
``engine/imaging/color.py``, no Keras ``Lambda`` layers, no ``print`` in the engine."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLOR = ROOT / "engine" / "imaging" / "color.py"


def _sources(*folders: str) -> list[Path]:
    return [p for f in folders for p in (ROOT / f).rglob("*.py")]


def _is_channel_flip(node: ast.Subscript) -> bool:
    """``x[..., ::-1]`` or ``x[:, :, ::-1]``: a reversed channel axis (``x[:, ::-1]``, a
    left-right mirror, is not one)."""
    index = node.slice
    if not isinstance(index, ast.Tuple) or len(index.elts) < 2:
        return False
    first = index.elts[0]
    if len(index.elts) == 2 and not (isinstance(first, ast.Constant) and first.value is ...):
        return False
    last = index.elts[-1]
    return (isinstance(last, ast.Slice) and last.lower is None and last.upper is None
            and isinstance(last.step, ast.UnaryOp) and isinstance(last.step.op, ast.USub)
            and getattr(last.step.operand, "value", None) == 1)


def test_channel_order_changes_only_in_color_module():
    offenders = []
    for path in _sources("engine", "gui"):
        if path == COLOR:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"cvtColor|COLOR_BGR|COLOR_RGB", text):
            offenders.append(f"{path.relative_to(ROOT)}: cv2 colour conversion")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Subscript) and _is_channel_flip(node):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: channel flip")
    assert offenders == []


def test_no_lambda_layers():
    offenders = [str(p.relative_to(ROOT)) for p in _sources("engine")
                 if re.search(r"layers\.Lambda|\bLambda\(", p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_engine_never_prints_outside_the_cli():
    offenders = []
    for path in _sources("engine"):
        if "cli" in path.relative_to(ROOT / "engine").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "print"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
