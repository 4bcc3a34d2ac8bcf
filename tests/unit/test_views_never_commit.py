"""Views never commit or roll back: the request boundary (webapp/views/boundary.py) does."""
from __future__ import annotations

import ast
from pathlib import Path

VIEWS = Path(__file__).resolve().parents[2] / "webapp" / "views"
TRANSACTION_CALLS = {"commit", "rollback"}


def test_no_view_commits_or_rolls_back_by_itself() -> None:
    offenders = []
    for path in sorted(VIEWS.glob("*.py")):
        if path.name == "boundary.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in TRANSACTION_CALLS):
                offenders.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
    assert offenders == [], "views must leave the transaction to the boundary: " + \
        ", ".join(offenders)
