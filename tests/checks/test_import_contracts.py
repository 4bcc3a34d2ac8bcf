"""The layer contracts in .importlinter hold: no import runs up the layers (views over forms
and services, over models, over the review workflow; the workflow and the report builder
pure; the web app never importing the worker beyond the imports listed there)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    output = proc.stdout + proc.stderr
    counts = re.search(r"Contracts: (\d+) kept, (\d+) broken", output)
    assert counts, f"lint-imports gave no verdict (exit {proc.returncode}):\n{output[-3000:]}"
    kept, broken = map(int, counts.groups())
    assert broken == 0 and proc.returncode == 0, output[output.find("Broken contracts"):]
    # A contract dropped from .importlinter by accident would pass silently otherwise.
    assert kept >= 5, output
