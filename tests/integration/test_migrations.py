"""Alembic on PostgreSQL: one head, upgrade from empty, models match, downgrade to base."""
from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from webapp import create_app
from webapp.config import Config
from webapp.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_there_is_exactly_one_head() -> None:
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"


def test_revision_files_are_dated_with_a_readable_name() -> None:
    names = [p.name for p in (MIGRATIONS / "versions").glob("*.py")]
    assert names
    for name in names:
        date, _, slug = name.partition("_")
        assert len(date) == 10 and date[4] == "-" and date[7] == "-", name
        assert any(c.isalpha() for c in slug), name


def test_upgrade_matches_models_then_downgrade_to_base(make_database, tmp_path) -> None:
    app = create_app(Config(SQLALCHEMY_DATABASE_URI=make_database("migrations"),
                            INSTANCE_PATH=str(tmp_path)))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"answer", "submission", "round", "report_job", "report_file",
                "audit_event", "user_account", "sub_goal"} <= tables
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
