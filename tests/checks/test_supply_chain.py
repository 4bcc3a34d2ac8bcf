"""Code checks that run with the rest of the test suite.

bandit scans the application packages (``webapp``, ``worker``; the tests are not scanned)
and must report no HIGH-severity finding, and must have been able to parse every file.

pip-audit is not here: its advisory services cannot be reached from this machine (see
docs/security.md, "Gaps"); a check that cannot run would only ever fail or lie.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGES = ("webapp", "worker")

BANDIT_TIMEOUT_S = 120


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])


def test_bandit_finds_no_high_severity_issue():
    cmd = [
        sys.executable, "-m", "bandit",
        "--recursive", *SOURCE_PACKAGES,
        "--severity-level", "high",
        "--exclude", "*/tests/*,*/__pycache__/*",
        "--format", "json",
        "-q",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=BANDIT_TIMEOUT_S)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"bandit exited {proc.returncode} without a JSON report:"
            f"\n--- stderr ---\n{_tail(proc.stderr)}\n--- stdout ---\n{_tail(proc.stdout)}"
        )

    findings = [
        f"  {r['filename']}:{r['line_number']}: [{r['test_id']}:{r['test_name']}] "
        f"severity {r['issue_severity']}, confidence {r['issue_confidence']}: {r['issue_text']}"
        f"\n    {r.get('more_info', '')}"
        for r in report.get("results", [])
    ]
    # A file bandit could not parse is not scanned, and bandit still exits 0: fail on it too.
    errors = [f"  {e['filename']}: {e['reason']}" for e in report.get("errors", [])]
    scanned = [f for f in report.get("metrics", {}) if f != "_totals"]

    assert not errors, "bandit could not scan these files:\n" + "\n".join(errors)
    assert not findings, (
        f"bandit found {len(findings)} HIGH-severity issue(s):\n" + "\n".join(findings)
    )
    assert scanned, f"bandit scanned no file under {SOURCE_PACKAGES}"
    assert proc.returncode == 0, (
        f"bandit exited {proc.returncode}:\n--- stderr ---\n{_tail(proc.stderr)}"
    )
