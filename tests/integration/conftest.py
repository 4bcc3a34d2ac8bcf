"""Integration fixtures: a real PostgreSQL database, real Redis, a real Celery worker process.

``demo`` gives each test the demo data. It is seeded and committed once; a test then runs
inside a transaction that is rolled back afterwards (the app's session joins it through
savepoints, so the app's own commits and rollbacks behave as usual). Tests whose writes
must be seen by another connection (the Celery worker, a subprocess, threads racing each
other) are marked ``committed`` (or use ``worker``): for them ``demo`` empties the tables
and seeds afresh, committed, as it always did.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis
from flask import Flask, current_app
from sqlalchemy import text

from tests.services import PG_ADMIN_URL, REDIS_URL, require, sqlalchemy_url
from tests.web import Browser

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        require("PostgreSQL", error)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def make_database(pg_admin: psycopg.Connection) -> Iterator:
    created: list[str] = []

    def make(purpose: str) -> str:
        name = f"uppf_{purpose}_{os.getpid()}"
        pg_admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return sqlalchemy_url(PG_ADMIN_URL, name)

    yield make
    for name in created:
        pg_admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        require("Redis", error)
    return REDIS_URL


@pytest.fixture(scope="session")
def integration_env(make_database, redis_url: str, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Environment shared by the app under test and the worker process it talks to."""
    env = {
        "DATABASE_URL": make_database("test"),
        "CELERY_BROKER_URL": redis_url,
        # A queue of our own: a developer's worker on the same Redis never takes our jobs.
        "CELERY_QUEUE": f"uppfoljning-test-{os.getpid()}",
        "UPPFOLJNING_INSTANCE": str(tmp_path_factory.mktemp("instance")),
        # argon2's cheapest parameters: the seed and every sign-in hash; production refuses it.
        "PASSWORD_HASHING": "insecure-fast-for-tests",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield env


@pytest.fixture(scope="session")
def app(integration_env: dict[str, str]) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from webapp import create_app

    flask_app = create_app()
    flask_app.config["TESTING"] = True
    with flask_app.app_context():
        upgrade()
    yield flask_app


# Fixtures whose processes or threads read the database on connections of their own.
COMMITTED_FIXTURES = {"worker", "mail_worker"}
# Whether the database holds the demo data exactly as seeded (and committed).
_SEEDED = {"pristine": False, "sequences": ""}


def needs_committed_data(request: pytest.FixtureRequest) -> bool:
    return (request.node.get_closest_marker("committed") is not None
            or bool(COMMITTED_FIXTURES & set(request.fixturenames)))


def reseed(app: Flask) -> None:
    """Empty every table, then seed the demo data and commit it."""
    from webapp.extensions import db
    from webapp.services import demo as demo_data

    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        demo_data.seed()
        db.session.commit()
        # Sequences are not transactional: remember them, to wind them back after each test
        # so ids are the same whichever tests ran before (tests may name /rapporter/1).
        rows = db.session.execute(text(
            "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = current_schema()")).all()
        _SEEDED["sequences"] = "SELECT " + ", ".join(
            f"setval('{name}', {value or 1}, {'true' if value else 'false'})"
            for name, value in rows)
        db.session.remove()


@contextmanager
def rolled_back(app: Flask) -> Iterator[None]:
    """Every session the app opens joins one outer transaction, rolled back at the end."""
    from webapp.extensions import db

    with app.app_context():
        engine = db.engine
        db.session.remove()
    connection = engine.connect()
    outer = connection.begin()
    factory = db.session.session_factory
    engine_for = factory.class_.get_bind
    database = app.config["SQLALCHEMY_DATABASE_URI"]

    def get_bind(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Flask-SQLAlchemy's Session.get_bind picks the engine by table; every table lives in
        # the one database, so the test's connection is the answer for all, also for another
        # app a test makes on it (a rotated secret key, say). One on another database (a
        # stopped one, say) keeps its own engine.
        if current_app.config["SQLALCHEMY_DATABASE_URI"] == database:
            return connection
        return engine_for(session, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(factory.class_, "get_bind", get_bind)
        mp.setitem(factory.kw, "join_transaction_mode", "create_savepoint")
        try:
            yield
        finally:
            with app.app_context():
                db.session.remove()
            outer.rollback()
            connection.close()
    with engine.connect() as conn:
        conn.execute(text(_SEEDED["sequences"]))
        conn.commit()


@pytest.fixture(autouse=True)
def _track_demo_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Any test that did not run inside a rolled-back transaction may have changed data."""
    yield
    if ("integration_env" in request.fixturenames
            and not getattr(request.node, "_demo_rolled_back", False)):
        _SEEDED["pristine"] = False


@pytest.fixture()
def demo(app: Flask, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The demo data: every test starts from the same known state (see the module's note)."""
    from webapp.extensions import limiter

    limiter.reset()  # rate-limit counts are state too: each test starts from none
    if needs_committed_data(request):
        _SEEDED["pristine"] = False
        reseed(app)
        yield app
        return
    if not _SEEDED["pristine"]:
        reseed(app)
        _SEEDED["pristine"] = True
    request.node._demo_rolled_back = True
    with rolled_back(app):
        yield app


@pytest.fixture()
def browser(demo: Flask) -> Browser:
    return Browser(demo.test_client())


@pytest.fixture(scope="session")
def worker(integration_env: dict[str, str], app: Flask, tmp_path_factory) -> Iterator[subprocess.Popen]:
    """A real Celery worker process on Redis, against the test database."""
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=PROJECT, env={**os.environ, **integration_env}, stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"The Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
