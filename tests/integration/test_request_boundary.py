"""The request boundary: a view's work is committed once when it answers below 400, rolled
back when it refuses, and Celery work is sent only after the commit (real PostgreSQL, real
Redis as the broker)."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from flask import Flask, abort
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from webapp import create_app
from webapp.extensions import db
from webapp.models import AuditEvent
from webapp.security import public
from webapp.services import ServiceError, audit, jobs

MARK = "boundary.test"


def _marks(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id))
                                 .where(AuditEvent.action == MARK)) or 0


@pytest.fixture()
def broker_queue(redis_url: str) -> Iterator[tuple[redis.Redis, str]]:
    """A queue of this test's own, so a running test worker never takes the messages."""
    queue = f"boundary-probe-{os.getpid()}"
    client = redis.Redis.from_url(redis_url)
    client.delete(queue)
    yield client, queue
    client.delete(queue)


@pytest.fixture()
def probe_app(demo: Flask, broker_queue: tuple[redis.Redis, str],
              monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The product's app, sending Celery work to the probe queue, with a route that writes an
    audit row, queues a task and then answers in different ways: what a view of the product
    does, minus the form."""
    monkeypatch.setenv("CELERY_QUEUE", broker_queue[1])
    app = create_app()
    app.config["TESTING"] = True

    def written_then(outcome: str):  # type: ignore[no-untyped-def]
        audit.record(None, MARK, "probe", None)
        jobs.send_after_commit("apply_retention", 0)
        if outcome == "refuse":
            raise ServiceError("Det gick inte: ett prov på en vägran.")
        if outcome == "unprocessable":
            return "Formuläret har fel.", 422
        return "Klart."

    def connection_lost(then: str):  # type: ignore[no-untyped-def]
        """The database goes away in the middle of a request: the connection is closed under
        the session, as a PostgreSQL restart does; then the request goes on in one of the ways
        a view can."""
        db.session.execute(select(func.count(AuditEvent.id)))
        db.session.connection().connection.dbapi_connection.close()
        if then == "not-found":
            abort(404)
        try:
            db.session.execute(select(func.count(AuditEvent.id)))
        except OperationalError:
            if then == "query":
                raise
        db.session.execute(select(func.count(AuditEvent.id)))  # the session must roll back first
        return "Kom hit."

    app.add_url_rule("/prov/<outcome>", "probe", public(written_then),
                     methods=["GET", "POST"])
    app.add_url_rule("/prov-tappad/<then>", "lost", public(connection_lost))
    return app


def test_a_view_that_answers_is_committed_once_and_its_celery_work_sent_after(
        probe_app: Flask, broker_queue: tuple[redis.Redis, str]) -> None:
    client, queue = broker_queue
    response = probe_app.test_client().get("/prov/ok")
    assert response.status_code == 200
    assert _marks(probe_app) == 1
    assert client.llen(queue) == 1


def test_a_refusal_rolls_back_says_why_and_sends_nothing(
        probe_app: Flask, broker_queue: tuple[redis.Redis, str]) -> None:
    client, queue = broker_queue
    browser = probe_app.test_client()
    response = browser.get("/prov/refuse", headers={"Referer": "http://localhost/halsa"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/halsa"
    with browser.session_transaction() as session:
        assert ("error", "Det gick inte: ett prov på en vägran.") in session["_flashes"]
    assert _marks(probe_app) == 0
    assert client.llen(queue) == 0


def test_an_answer_of_400_or_more_rolls_back(
        probe_app: Flask, broker_queue: tuple[redis.Redis, str]) -> None:
    client, queue = broker_queue
    response = probe_app.test_client().get("/prov/unprocessable")
    assert response.status_code == 422
    assert _marks(probe_app) == 0
    assert client.llen(queue) == 0


def test_work_queued_outside_a_request_waits_for_the_commit(
        probe_app: Flask, broker_queue: tuple[redis.Redis, str]) -> None:
    client, queue = broker_queue
    with probe_app.app_context():
        jobs.send_after_commit("apply_retention", 0)
        assert client.llen(queue) == 0  # not before the commit
        db.session.rollback()
        db.session.commit()
        assert client.llen(queue) == 0  # a rolled-back transaction sends nothing
        jobs.send_after_commit("apply_retention", 0)
        db.session.commit()
        assert client.llen(queue) == 1


def test_a_denied_request_keeps_its_audit_row_but_not_its_work(browser, demo: Flask) -> None:
    """The denial is audited through the refusal; nothing else the request did stays."""
    with demo.app_context():
        before = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "access.denied"))
    browser.login("kumla@example.se")
    assert browser.client.get("/admin/").status_code == 403
    with demo.app_context():
        after = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "access.denied"))
    assert after == before + 1


@pytest.mark.committed  # the closed connection must be the app's own, not the test's
@pytest.mark.parametrize("then", ["query", "not-found", "caught-and-queried-again"])
def test_a_database_lost_mid_request_shows_the_calm_page_to_a_signed_in_person(
        probe_app: Flask, then: str) -> None:
    """Found by the compose test: the error page itself asked the dead database who was
    signed in, and the person got a bare 500."""
    from tests.web import Browser

    browser = Browser(probe_app.test_client())
    browser.login("kumla@example.se")
    response = browser.client.get(f"/prov-tappad/{then}")
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert "Tillfälligt otillgänglig" in response.get_data(as_text=True)
    assert browser.client.get("/svar/").status_code == 200  # the pool replaced the connection
