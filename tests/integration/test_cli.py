"""Operators' commands on PostgreSQL."""
from __future__ import annotations

import docx
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Organisation, SubGoal
from webapp.services.plan_import import DEFAULT_DATA_FILE


def test_compile_report_writes_only_approved_answers(demo, tmp_path) -> None:
    out = tmp_path / "rapport.docx"
    result = demo.test_cli_runner().invoke(args=["compile-report", "1", "--out", str(out),
                                                 "--dnr", "26RS0099"])
    assert result.exit_code == 0, result.output
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "Örebro kommun har infört brukarråd" in text and "Dnr: 26RS0099" in text
    assert "Kumla kommun har utbildat personal" not in text


def test_compile_report_for_a_missing_round_says_so(demo, tmp_path) -> None:
    result = demo.test_cli_runner().invoke(args=["compile-report", "999", "--out",
                                                 str(tmp_path / "x.docx")])
    assert result.exit_code != 0 and "Omgång 999 finns inte." in result.output


def test_import_plan_twice_changes_nothing(demo) -> None:
    def counts() -> tuple[int, int]:
        with demo.app_context():
            return (db.session.scalar(select(func.count(Organisation.id))),
                    db.session.scalar(select(func.count(SubGoal.id))))

    before = counts()
    assert before == (16, 19)
    result = demo.test_cli_runner().invoke(args=["import-plan", str(DEFAULT_DATA_FILE)])
    assert result.exit_code == 0, result.output
    assert counts() == before


def test_seed_demo_if_empty_leaves_existing_data_alone(demo) -> None:
    result = demo.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "redan data" in result.output


def test_issue_link_follows_the_served_port_and_prints_only_what_it_did(demo) -> None:
    """`PORT=5061 make run` serves 5061: the link printed for a contact must lead there, and
    the operator sees the link, not Alembic's plugin announcements."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    flask = Path(sys.executable).parent / "flask"
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_URL"} | {"PORT": "5061"}
    result = subprocess.run([str(flask), "--app", "webapp", "issue-link", "1",
                             "kumla@example.se"], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("http://127.0.0.1:5061/lank/"), lines
    assert "alembic" not in result.stderr and "INFO" not in result.stderr, result.stderr
