"""Integration fixtures: a real PostgreSQL database, real Redis, a real Celery worker process."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from flask import Flask
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


@pytest.fixture()
def demo(app: Flask) -> Iterator[Flask]:
    """Empty tables, then the demo data: every test starts from the same known state."""
    from webapp.extensions import db, limiter
    from webapp.services import demo as demo_data

    limiter.reset()  # rate-limit counts are state too: each test starts from none
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        demo_data.seed()
        db.session.commit()
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
