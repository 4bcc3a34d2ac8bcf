"""Operations: /healthz and /readyz as a load balancer and docker see them, request ids, and the
JSON access log as an operator reads it. Real PostgreSQL and Redis; a "down" service is a port
nobody listens on, or (for the timeout) an address that never answers."""
from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.integration.conftest import PROJECT
from tests.integration.test_mail_schedule import free_port
from tests.web import Browser, csrf_token
from webapp import logs

PASSWORD = "demo-losenord"


@pytest.fixture(autouse=True)
def _keep_the_default_celery_app() -> Iterator[None]:
    """create_app() makes its Celery app the default one; other tests must get theirs back."""
    from celery import _state

    saved = (_state.default_app, _state._tls.current_app)
    yield
    _state.default_app, _state._tls.current_app = saved


@pytest.fixture(autouse=True)
def _keep_the_root_log_handlers() -> Iterator[None]:
    """create_app() installs its log handler on the root logger; put the session's back."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    yield
    root.handlers[:] = saved
    root.setLevel(level)


def make_app(**overrides: object) -> Flask:
    """An app like the session's (same database and Redis), with some settings changed."""
    from webapp import create_app
    from webapp.config import Config

    app = create_app(Config(**overrides))
    app.config["TESTING"] = True
    return app


def with_broker(url: str) -> dict[str, object]:
    from webapp.config import Config

    celery = dict(Config().CELERY)
    celery["broker_url"] = url
    celery.pop("broker_transport_options", None)
    return {"CELERY": celery}


def captured_json_log() -> io.StringIO:
    """Switch the running app's log to JSON and read what it writes."""
    logs.configure("json")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, logs._OURS, False))
    buffer = io.StringIO()
    handler.setStream(buffer)  # type: ignore[attr-defined]
    return buffer


def json_lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


# --- /healthz and /readyz ---------------------------------------------------------------------


def test_ready_when_database_and_redis_answer(demo: Flask) -> None:
    client = demo.test_client()
    live = client.get("/healthz")
    assert (live.status_code, live.get_json()) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    body = ready.get_json()
    assert ready.status_code == 200, body
    assert body["status"] == "ok" and "failing" not in body
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"  # the session's broker is Redis
    # The load benchmark's baseline stays as it was.
    assert client.get("/halsa").get_json() == {"status": "ok"}


def test_database_down_healthz_still_ok_readyz_names_the_database(integration_env) -> None:
    app = make_app(SQLALCHEMY_DATABASE_URI=(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"))
    client = app.test_client()
    live = client.get("/healthz")
    assert (live.status_code, live.get_json()) == (200, {"status": "ok"})
    started = time.monotonic()
    ready = client.get("/readyz")
    took = time.monotonic() - started
    body = ready.get_json()
    assert ready.status_code == 503, body
    assert ready.mimetype == "application/json"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"status": "fel", "reason": "databasen svarar inte"}
    assert body["checks"]["broker"]["status"] == "ok"
    assert took < 2.5, f"/readyz took {took:.1f} s"
    assert "127.0.0.1" not in ready.text, "a public probe must not show internal addresses"


@pytest.fixture()
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel completes the handshake) and never
    says a word: a database or Redis that hangs rather than refuses."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def test_a_database_that_never_answers_gives_503_within_the_deadline(
        integration_env, silent_server: int) -> None:
    app = make_app(SQLALCHEMY_DATABASE_URI=(
        f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/x"))
    started = time.monotonic()
    ready = app.test_client().get("/readyz")
    took = time.monotonic() - started
    assert ready.status_code == 503, ready.text
    body = ready.get_json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"status": "fel", "reason": "svarade inte inom 2 s"}
    assert 1.9 < took < 2.5, f"/readyz took {took:.1f} s"


def test_a_redis_that_never_answers_gives_503_within_the_deadline(
        integration_env, silent_server: int) -> None:
    app = make_app(**with_broker(f"redis://127.0.0.1:{silent_server}/0"))
    started = time.monotonic()
    ready = app.test_client().get("/readyz")
    took = time.monotonic() - started
    assert ready.status_code == 503 and ready.get_json()["failing"] == ["broker"]
    assert took < 2.5, f"/readyz took {took:.1f} s"


def test_redis_broker_down_readyz_names_the_broker(integration_env) -> None:
    app = make_app(**with_broker(f"redis://127.0.0.1:{free_port()}/0"))
    started = time.monotonic()
    ready = app.test_client().get("/readyz")
    took = time.monotonic() - started
    body = ready.get_json()
    assert ready.status_code == 503, body
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["reason"] == "kön: Redis svarar inte"
    assert body["checks"]["database"]["status"] == "ok"
    assert took < 2.5


def test_rate_limit_storage_down_readyz_says_so_and_sign_in_still_works(
        demo: Flask, integration_env) -> None:
    """Sign-in counts attempts in Redis in production; with that Redis gone, people can still
    sign in (counted in memory meanwhile), and /readyz tells the operator."""
    from webapp.extensions import limiter

    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/1")
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["failing"] == ["ratelimit"]
        b = Browser(app.test_client())
        b.login("kumla@example.se")
        assert b.url.startswith("/svar"), b.url
        assert "Logga ut" in b.page.text
    finally:
        limiter.init_app(demo)  # the session app's limiter storage back


def test_embedded_broker_folder_missing_is_not_ready(tmp_path: Path, integration_env) -> None:
    from webapp.config import Config

    config = Config(INSTANCE_PATH=str(tmp_path))
    celery = dict(config.CELERY)
    folder = tmp_path / "broker"
    celery["broker_url"] = "filesystem://"
    celery["broker_transport_options"] = {
        "data_folder_in": str(folder), "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"), "control_folder": str(folder / "c")}
    app = make_app(CELERY=celery, INSTANCE_PATH=str(tmp_path))
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert list(folder.glob(".readyz-*")) == [], "the probe leaves no files behind"
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["broker"] == {"status": "fel", "reason": "kömappen saknas"}


def test_probes_are_public_and_never_rate_limited(demo: Flask) -> None:
    from webapp.security import ACCESS

    for endpoint in ("main.liveness", "main.readiness", "main.health"):
        assert getattr(demo.view_functions[endpoint], ACCESS) == "public"
    client = demo.test_client()
    # A load balancer polling often, from one address, with no cookie: always answered.
    assert {client.get("/healthz").status_code for _ in range(60)} == {200}
    assert {client.get("/readyz").status_code for _ in range(20)} == {200}


# --- request ids and the access log -------------------------------------------------------------


@pytest.mark.parametrize("sent", ["abc-123", "req.2024_11.x", "A" * 64])
def test_a_sane_request_id_comes_back(app: Flask, sent: str) -> None:
    response = app.test_client().get("/healthz", headers={"X-Request-ID": sent})
    assert response.headers["X-Request-ID"] == sent


@pytest.mark.parametrize("sent", ["", "A" * 65, "two words", "<script>", "a\u202eb", "ä"])
def test_an_odd_request_id_is_replaced(app: Flask, sent: str) -> None:
    response = app.test_client().get("/healthz", headers={"X-Request-ID": sent})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_every_response_has_its_own_request_id(app: Flask) -> None:
    client = app.test_client()
    ids = {client.get(path).headers["X-Request-ID"]
           for path in ("/healthz", "/logga-in", "/finns-inte", "/healthz")}
    assert len(ids) == 4


def test_one_json_access_line_per_request_with_the_fields(demo: Flask) -> None:
    buffer = captured_json_log()
    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    buffer.truncate(0), buffer.seek(0)
    response = b.client.get("/svar/?sok=hemligt&token=abc", headers={"X-Request-ID": "op-1"})
    assert response.status_code == 200
    access = [e for e in json_lines(buffer) if e["logger"] == logs.ACCESS_LOGGER]
    assert len(access) == 1, access
    line = access[0]
    assert line["request_id"] == "op-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/svar/", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"].endswith("Z")
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import User

    with demo.app_context():
        kumla = db.session.scalar(select(User.id).where(User.email == "kumla@example.se"))
    assert line["user_id"] == kumla
    assert "hemligt" not in buffer.getvalue() and "token=" not in buffer.getvalue()


def test_passwords_and_link_tokens_never_reach_the_log(demo: Flask) -> None:
    from webapp.extensions import db
    from webapp.models import Round, User
    from webapp.services import links

    with demo.app_context():
        from sqlalchemy import select

        kumla = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
        token = links.issue(db.session.get(Round, 1), kumla)
        db.session.commit()
    buffer = captured_json_log()
    client = demo.test_client()
    page = client.get(f"/lank/{token}")
    assert page.status_code == 200
    used = client.post(f"/lank/{token}", data={"csrf_token": csrf_token(page)})
    assert used.status_code == 302
    client.get("/lank/" + token + "/extra")  # no route: still not in clear
    login = Browser(demo.test_client())
    login.login("orebro@example.se", PASSWORD)
    text = buffer.getvalue()
    assert token not in text and PASSWORD not in text
    paths = [e["path"] for e in json_lines(buffer) if e["logger"] == logs.ACCESS_LOGGER]
    assert paths[:3] == ["/lank/<token>", "/lank/<token>", "/lank/<redacted>/extra"], paths
    assert "/logga-in" in paths


def test_app_log_records_carry_the_request_id(integration_env) -> None:
    app = make_app(**with_broker(f"redis://127.0.0.1:{free_port()}/0"))
    buffer = captured_json_log()
    response = app.test_client().get("/readyz", headers={"X-Request-ID": "probe-7"})
    assert response.status_code == 503
    warnings = [e for e in json_lines(buffer) if e["level"] == "WARNING"]
    assert warnings and all(e["request_id"] == "probe-7" for e in warnings), warnings
    assert any("broker" in e["message"] or "kön" in e["message"] for e in warnings)


def test_text_log_in_development_shows_the_request_id(app: Flask) -> None:
    logs.configure("text")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, logs._OURS, False))
    buffer = io.StringIO()
    handler.setStream(buffer)  # type: ignore[attr-defined]
    app.test_client().get("/healthz", headers={"X-Request-ID": "dev-1"})
    line = buffer.getvalue().strip().splitlines()[-1]
    assert "[dev-1]" in line and "GET /healthz 200" in line and not line.startswith("{")


def test_the_celery_worker_logs_json_lines_with_the_task(integration_env, app: Flask,
                                                         tmp_path: Path) -> None:
    """A worker started with LOG_FORMAT=json (production's default) writes JSON log lines;
    a task's lines name the task and its id."""
    env = {**os.environ, **integration_env, "LOG_FORMAT": "json",
           "CELERY_QUEUE": f"uppfoljning-ops-{os.getpid()}"}
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--pool",
             "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        def entries() -> list[dict]:
            return [json.loads(line) for line in log_path.read_text().splitlines()
                    if line.startswith("{")]

        deadline = time.monotonic() + 60
        while not any("ready." in e["message"] for e in entries()):
            assert worker.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        from celery import Celery

        sender = Celery(broker=integration_env["CELERY_BROKER_URL"])
        sender.send_task("worker.tasks.apply_retention", queue=env["CELERY_QUEUE"])
        deadline = time.monotonic() + 30
        while not any(e.get("task_name") == "worker.tasks.apply_retention"
                      and "retention" in e["message"] for e in entries()):
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        task_line = next(e for e in entries() if e.get("task_name") and "retention" in
                         e["message"])
        assert re.fullmatch(r"[0-9a-f-]{36}", task_line["task_id"])
        # Every logging line is JSON (Celery's start-up banner is printed, not logged).
        logged = [line for line in log_path.read_text().splitlines()
                  if re.match(r"\[?\d{4}-\d\d-\d\d[ T]", line)]
        assert logged == [], f"text log lines in JSON mode: {logged[:3]}"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_gunicorn_in_json_mode_writes_only_json_lines(integration_env, app: Flask,
                                                      tmp_path: Path) -> None:
    """The web container as production runs it: gunicorn (reading gunicorn.conf.py) and the
    app both write JSON; the request's access line has the id the caller sent."""
    import urllib.request

    port = free_port()
    env = {**os.environ, **integration_env, "LOG_FORMAT": "json"}
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--bind",
             f"127.0.0.1:{port}", "webapp:create_app()"],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()[-3000:]
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/readyz",
                                                 headers={"X-Request-ID": "lb-probe-1"})
                # Refused connections end fast while gunicorn boots; an answer may be slow on
                # a busy machine and is waited for, not sent again.
                with urllib.request.urlopen(request, timeout=30) as response:
                    assert response.status == 200
                    assert response.headers["X-Request-ID"] == "lb-probe-1"
                break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"]
               for e in entries), lines[:5]
    access = [e for e in entries if e["logger"] == logs.ACCESS_LOGGER]
    assert access and {(e["path"], e["status"], e["request_id"]) for e in access} == {
        ("/readyz", 200, "lb-probe-1")}
    # gunicorn's own access line would carry query strings and link tokens.
    assert not [e for e in entries if e["logger"] == "gunicorn.access"], entries
