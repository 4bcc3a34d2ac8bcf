"""ruff, with the rules in pyproject.toml ([tool.ruff]), finds nothing in the code, the tests
and the benches. A finding that is a deliberate choice carries a `# noqa: CODE` with its reason."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("webapp", "worker", "tests", "benches")


def test_ruff_finds_nothing() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run(
        [str(ruff), "check", "--no-cache", "--output-format", "json", *CHECKED],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    # Exit 1 means findings, anything else (2) means ruff itself failed (bad config, crash).
    assert proc.returncode in (0, 1), f"ruff exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    findings = json.loads(proc.stdout)
    lines = [
        f"  {Path(f['filename']).relative_to(ROOT)}:{f['location']['row']}:"
        f"{f['location']['column']}: {f['code']} {f['message']}"
        for f in findings
    ]
    assert not findings, (
        f"ruff found {len(findings)} issue(s) (`.venv/bin/ruff check --fix` fixes the safe "
        "ones):\n" + "\n".join(lines)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
