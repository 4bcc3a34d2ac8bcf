"""The embedded default (a SQLite file) when the file cannot be written: read-only, or the disk
is full. A person saving sees a calm Swedish message (503), never a stack trace; nothing is
half-written; the file stays intact and keeps the previous text."""
from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, select

from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import Answer, Organisation, Round, Submission

CONTACT = "hallsberg@example.se"  # contacts sign in with the password only
UNAVAILABLE = "Tjänsten är tillfälligt otillgänglig"
BIG_TEXT = "Ny och mycket längre text om delaktighet. " * 1000  # ~42,000 characters


def _app(instance: Path) -> Flask:
    from webapp import create_app
    from webapp.config import Config

    app = create_app(Config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'db.sqlite'}",
                            INSTANCE_PATH=str(instance), RATELIMIT_STORAGE_URI="memory://"))
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory) -> Path:
    """Migrated and seeded once; each test works on its own copy."""
    from flask_migrate import upgrade

    from webapp.services import demo

    instance = tmp_path_factory.mktemp("sqlite-seed")
    app = _app(instance)
    with app.app_context():
        upgrade()
        demo.seed()
        db.session.commit()
        db.engine.dispose()
    return instance / "db.sqlite"


@pytest.fixture()
def sqlite_app(seeded_file: Path, tmp_path: Path) -> Iterator[Flask]:
    from webapp.extensions import limiter

    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(seeded_file, instance / "db.sqlite")
    app = _app(instance)
    limiter.reset()
    yield app
    with app.app_context():
        db.engine.dispose()


def _paths(app: Flask) -> tuple[str, str, int]:
    """The draft's answer page, its autosave URL and the answer's id."""
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == "Hallsberg"))
        sub_goal = db.session.get(Round, 1).sub_goals[0]
        answer = db.session.scalar(select(Answer).join(Submission).where(
            Submission.organisation_id == org.id, Answer.sub_goal_id == sub_goal.id))
        page = f"/svar/omgang/1/organisation/{org.id}/delmal/{sub_goal.id}"
        return page, page + "/autospara", answer.id


def _stored(app: Flask, answer_id: int) -> tuple[str, int]:
    with app.app_context():
        db.engine.dispose()
        answer = db.session.get(Answer, answer_id)
        return answer.text, answer.version


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


@contextmanager
def _fault(app: Flask, install: Callable[[object], Callable[[], None]]) -> Iterator[list[str]]:
    """Install a fault on the app's engine for new connections (the pool is emptied first),
    and take it away again afterwards. Yields the database errors the app ran into."""
    errors: list[str] = []

    def seen(context) -> None:
        errors.append(str(context.original_exception))

    with app.app_context():
        engine = db.engine
        engine.dispose()
        remove = install(engine)
    event.listen(engine, "handle_error", seen)
    try:
        yield errors
    finally:
        event.remove(engine, "handle_error", seen)
        remove()
        engine.dispose()


def read_only(path: Path) -> Callable[[object], Callable[[], None]]:
    """The file opened read-only (SQLite's mode=ro: what a chmod 0444 file on a 0555 folder
    gives a non-root process; the tests run as root, who ignores file permissions)."""
    def install(engine) -> Callable[[], None]:
        def connect(dialect, connection_record, cargs, cparams):
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

        event.listen(engine, "do_connect", connect)
        return lambda: event.remove(engine, "do_connect", connect)
    return install


def disk_full(engine) -> Callable[[], None]:
    """No room for a single new page: writes that need one fail with SQLITE_FULL."""
    def connect(dbapi_connection, connection_record) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    event.listen(engine, "connect", connect)
    return lambda: event.remove(engine, "connect", connect)


def _assert_calm_swedish_error(response, what: str) -> None:
    assert response.status_code in (503, 409), (what, response.status_code, response.text[:500])
    body = response.get_json(silent=True)
    shown = body.get("error") or body.get("message") if body else text_of(response)
    assert shown, (what, response.text[:500])
    assert "Traceback" not in response.text and "sqlite3" not in response.text.lower()
    assert "OperationalError" not in response.text, what
    if response.status_code == 503:
        assert UNAVAILABLE in shown, (what, shown[:500])


def _assert_caused_by(errors: list[str], sqlite_message: str) -> None:
    """The refusal came from the fault itself: SQLite's own error reached the app."""
    assert any(sqlite_message in e for e in errors), errors
    print(f"database errors seen: {sorted(set(errors))}")


def _signed_in(app: Flask, page: str) -> tuple[Browser, str]:
    person = Browser(app.test_client())
    person.login(CONTACT)
    return person, csrf_token(person.get(page))


def _save_both_ways(person: Browser, page: str, autosave: str, token: str, version: int,
                    text: str) -> None:
    response = person.client.post(autosave, data={
        "csrf_token": token, "text": text, "expected_version": str(version)})
    _assert_calm_swedish_error(response, "autospara")
    print(f"\nautospara -> {response.status_code} {response.content_type}")
    response = person.client.post(page, data={
        "csrf_token": token, "text": text, "expected_version": str(version),
        "save": "Spara utkast"})
    _assert_calm_swedish_error(response, "Spara utkast")
    print(f"Spara utkast -> {response.status_code} {response.content_type}")


def test_read_only_database_file_gives_a_calm_error_and_keeps_the_text(
        sqlite_app: Flask) -> None:
    path = Path(sqlite_app.instance_path) / "db.sqlite"
    page, autosave, answer_id = _paths(sqlite_app)
    person, token = _signed_in(sqlite_app, page)
    before = _stored(sqlite_app, answer_id)
    with _fault(sqlite_app, read_only(path)) as errors:
        _save_both_ways(person, page, autosave, token, before[1], "Skrivet när filen var låst.")
    _assert_caused_by(errors, "readonly database")
    assert _integrity(path) == "ok"
    assert _stored(sqlite_app, answer_id) == before
    # With write access back the same person saves normally.
    response = person.client.post(autosave, data={
        "csrf_token": token, "text": "Nu går det igen.", "expected_version": str(before[1])})
    assert response.status_code == 200, response.text[:500]
    assert _stored(sqlite_app, answer_id) == ("Nu går det igen.", before[1] + 1)
    assert _integrity(path) == "ok"


def test_full_disk_gives_a_calm_error_and_writes_nothing_by_halves(
        sqlite_app: Flask) -> None:
    path = Path(sqlite_app.instance_path) / "db.sqlite"
    page, autosave, answer_id = _paths(sqlite_app)
    person, token = _signed_in(sqlite_app, page)
    before = _stored(sqlite_app, answer_id)
    with _fault(sqlite_app, disk_full) as errors:
        _save_both_ways(person, page, autosave, token, before[1], BIG_TEXT)
    _assert_caused_by(errors, "database or disk is full")
    assert _integrity(path) == "ok"
    text, version = _stored(sqlite_app, answer_id)
    # Either entirely the old text or entirely the new one, never a truncated mix.
    assert (text, version) in (before, (BIG_TEXT.replace("\r\n", "\n"), before[1] + 1))
    assert (text, version) == before  # the write needed new pages: it cannot have landed
    response = person.client.post(autosave, data={
        "csrf_token": token, "text": BIG_TEXT, "expected_version": str(before[1])})
    assert response.status_code == 200, response.text[:500]
    assert _stored(sqlite_app, answer_id) == (BIG_TEXT, before[1] + 1)
    assert _integrity(path) == "ok"
