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
