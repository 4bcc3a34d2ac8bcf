"""Invitations, reminders and notices through a real worker with beat over Redis, to a real
SMTP server on loopback (aiosmtpd), with the clock moved by the test for every process."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text

from tests.integration.conftest import PROJECT
from webapp.extensions import db
from webapp.models import MailKind, MailState, Organisation, OutboxMessage, Role, SubGoal, User
from webapp.services import answers, mail, plan_import, review, rounds

STOCKHOLM = dt.timezone(dt.timedelta(hours=1))


class Inbox:
    """An SMTP server's handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, subject_prefix: str) -> Counter[str]:
        return Counter(m["To"] for m in self.messages if m["Subject"].startswith(subject_prefix))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


class SmtpServer:
    """A loopback SMTP server that can go down and come back on the same port."""

    def __init__(self, handler: Inbox, port: int) -> None:
        self.handler, self.port, self.controller = handler, port, None

    def start(self) -> None:
        # A stopped Controller cannot start again: each start makes a new one.
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="module")
def inbox(smtp_port: int):
    handler = Inbox()
    server = SmtpServer(handler, smtp_port)
    server.start()
    yield handler, server
    server.stop()


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "now.txt"
    path.write_text("2030-03-09T08:00:00+01:00")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UPPFOLJNING_CLOCK_FILE", str(path))
        yield path


def set_clock(path: Path, moment: str) -> None:
    path.write_text(moment)


@pytest.fixture(scope="module")
def mail_worker(integration_env, app, inbox, smtp_port, clock_file, tmp_path_factory):
    """A worker with beat: dispatches every second, sends over SMTP to the test's server."""
    folder = tmp_path_factory.mktemp("mailworker")
    log_path = folder / "worker.log"
    env = {**os.environ, **integration_env, "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(smtp_port), "DISPATCH_INTERVAL_SECONDS": "1",
           "UPPFOLJNING_CLOCK_FILE": str(clock_file),
           "CELERY_QUEUE": integration_env["CELERY_QUEUE"] + "-mail"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--beat",
             "--schedule", str(folder / "beat-schedule"), "--pool", "solo", "--loglevel",
             "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    yield process, log_path
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture()
def world(app, mail_worker, inbox, clock_file):
    """Plan data, two Kumla contacts and one in Örebro, and a round that opens 2030-03-10."""
    set_clock(clock_file, "2030-03-09T08:00:00+01:00")
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        plan_import.load_file()
        orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
        people = {}
        for email, role, org in (("admin@example.se", Role.ADMIN, None),
                                 ("granskare@example.se", Role.REVIEWER, None),
                                 ("kumla@example.se", Role.CONTACT, "Kumla"),
                                 ("kumla2@example.se", Role.CONTACT, "Kumla"),
                                 ("orebro@example.se", Role.CONTACT, "Örebro")):
            people[email] = User(email=email, name=email.split("@")[0], role=role,
                                 organisations=[orgs[org]] if org else [])
            db.session.add(people[email])
        db.session.flush()
        goals = db.session.scalars(select(SubGoal.id).order_by(SubGoal.id).limit(2)).all()
        rnd = rounds.open_round(people["admin@example.se"], name="Uppföljning 2030", year=2030,
                                opens_on=dt.date(2030, 3, 10), deadline=dt.date(2030, 3, 31),
                                reminder_days="14,3", sub_goal_ids=list(goals),
                                organisation_ids=[orgs["Kumla"].id, orgs["Örebro"].id])
        db.session.commit()
        round_id = rnd.id
    inbox[0].messages.clear()
    return round_id


def wait_for(condition, seconds: float = 25.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


CONTACTS = {"kumla@example.se", "kumla2@example.se", "orebro@example.se"}


def test_invitations_go_out_once_per_contact_on_the_opening_date(world, inbox, clock_file,
                                                                  app) -> None:
    handler, _ = inbox
    time.sleep(3)  # three beats before the opening date
    assert handler.messages == []
    set_clock(clock_file, "2030-03-10T08:00:00+01:00")
    wait_for(lambda: set(handler.to("Inbjudan")) == CONTACTS)
    time.sleep(3)  # more beats: nothing more goes out
    assert handler.to("Inbjudan") == Counter({c: 1 for c in CONTACTS})
    invitation = next(m for m in handler.messages if m["To"] == "kumla@example.se")
    body = invitation.get_body(("plain",)).get_content()
    assert "Uppföljning 2030" in body and "/lank/" in body
    html = invitation.get_body(("html",)).get_content()
    assert 'lang="sv"' in html
    token = body.split("/lank/", 1)[1].split()[0]
    client = app.test_client()
    assert "Fortsätt" in client.get(f"/lank/{token}").text


def test_reminders_go_only_to_organisations_that_have_not_submitted(world, inbox, clock_file,
                                                                    app) -> None:
    handler, _ = inbox
    set_clock(clock_file, "2030-03-10T08:00:00+01:00")
    wait_for(lambda: len(handler.to("Inbjudan")) == 3)
    with app.app_context():
        orebro = db.session.scalar(select(User).where(User.email == "orebro@example.se"))
        submission = answers.get_submission(world, orebro.organisations[0].id)
        for sub_goal in submission.round.sub_goals:
            answers.save_and_submit(orebro, submission, sub_goal, "Klart.", None)
        db.session.commit()
    set_clock(clock_file, "2030-03-28T08:00:00+01:00")  # three days before the deadline
    wait_for(lambda: len(handler.to("Påminnelse")) == 2)
    # Örebro's answers wait for review: each reviewer gets one digest that day, no more.
    wait_for(lambda: len(handler.to("Svar som väntar")) == 2)
    time.sleep(3)
    assert handler.to("Påminnelse") == Counter({"kumla@example.se": 1, "kumla2@example.se": 1})
    assert handler.to("Svar som väntar") == Counter({"granskare@example.se": 1,
                                                     "admin@example.se": 1})
    digest = next(m for m in handler.messages if m["Subject"].startswith("Svar som väntar"))
    assert "Örebro" in digest.get_body(("plain",)).get_content()


def test_two_dispatchers_at_once_send_nothing_twice(world, inbox, clock_file, app) -> None:
    handler, _ = inbox
    set_clock(clock_file, "2030-03-17T08:00:00+01:00")  # opening passed, first reminder due
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            with app.app_context():
                for _ in range(5):
                    mail.dispatch_due(dt.datetime(2030, 3, 17, 8, tzinfo=STOCKHOLM))
                    db.session.commit()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    wait_for(lambda: len(handler.to("Påminnelse")) == 3 and len(handler.to("Inbjudan")) == 3)
    time.sleep(3)
    assert handler.to("Inbjudan") == Counter({c: 1 for c in CONTACTS})
    assert handler.to("Påminnelse") == Counter({c: 1 for c in CONTACTS})
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert len(rows) == 6 and all(r.state is MailState.SENT for r in rows)


def test_mail_waits_while_smtp_is_down_and_arrives_once_after(world, inbox, clock_file, app,
                                                              smtp_port) -> None:
    handler, controller = inbox
    set_clock(clock_file, "2030-03-10T08:00:00+01:00")
    wait_for(lambda: len(handler.to("Inbjudan")) == 3)
    controller.stop()
    try:
        with app.app_context():
            kumla = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
            reviewer = db.session.scalar(select(User).where(User.role == Role.REVIEWER))
            submission = answers.get_submission(world, kumla.organisations[0].id)
            answer = answers.save_and_submit(kumla, submission, submission.round.sub_goals[0],
                                             "Vi har gjort mycket.", None)
            review.return_for_changes(reviewer, answer, "Mer detaljer, tack.",
                                      expected_state=answer.state,
                                      expected_version=answer.version)
            db.session.commit()

        def failed_and_waiting() -> bool:
            # A row can be mid-attempt (``sending``) when another has failed twice: wait until
            # no attempt is under way, rather than sample one in flight.
            with app.app_context():
                rows = db.session.scalars(select(OutboxMessage).where(
                    OutboxMessage.kind == MailKind.RETURNED)).all()
                return (sum(r.attempts for r in rows) >= 2
                        and all(r.state is not MailState.SENDING for r in rows))
        wait_for(failed_and_waiting)
        with app.app_context():
            rows = db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == MailKind.RETURNED)).all()
            assert {r.state for r in rows} == {MailState.PENDING}
            assert all(r.last_error for r in rows)
    finally:
        controller.start()
    set_clock(clock_file, "2030-03-10T10:00:00+01:00")  # past the backoff
    wait_for(lambda: len(handler.to("Ett svar har returnerats")) == 2)
    time.sleep(3)
    assert handler.to("Ett svar har returnerats") == Counter(
        {"kumla@example.se": 1, "kumla2@example.se": 1})
