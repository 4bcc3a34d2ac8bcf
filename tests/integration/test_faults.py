"""Fault injection: the broker, the database and the worker die while people work.

These tests stop, kill and restart servers, so they never touch the shared services other
developers use. Each test starts PRIVATE instances on free loopback ports and stops them in
its teardown, even on failure:

- a private ``redis-server`` (no persistence) as the Celery broker, killed and restarted on the
  same port (tests 1, 3, 4);
- a private PostgreSQL 15 cluster (initdb/pg_ctl run as the ``postgres`` OS user, trust auth,
  socket and data in a temporary folder), restarted with ``pg_ctl restart -m fast`` (test 2);
- real Celery worker processes, each in its own process group so ``SIGKILL`` takes the
  embedded beat with it;
- a loopback SMTP server (aiosmtpd) whose first message is slow, to kill a worker mid-send.

Tests 1, 3 and 4 keep their data in databases of their own that they create on the shared
PostgreSQL (``make_database``); that server is only used, never stopped or restarted.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import psycopg
import pytest
import redis
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.integration.conftest import PROJECT
from tests.integration.test_mail_schedule import Inbox, SmtpServer, free_port
from tests.web import Browser, csrf_token, forms, text_of
from webapp.extensions import db
from webapp.models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    Answer,
    MailKind,
    MailState,
    Organisation,
    OutboxMessage,
    ReportFile,
    ReportJob,
    ReportJobState,
    ReportPhase,
    Role,
    Round,
    Submission,
    User,
)
from webapp.workflows.review import ReviewState

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SWEDISH_503 = "Tillfälligt otillgänglig"
SWEDISH_500 = "Något gick fel"


# --------------------------------------------------------------------------- helpers


def wait_for(condition: Callable[[], object], seconds: float, what: str,
             interval: float = 0.2) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {seconds} s waiting for {what}"
        time.sleep(interval)


@pytest.fixture()
def cleanup() -> Iterator[list[Callable[[], None]]]:
    """Teardown actions, run last-in first-out whatever the test did; none may stop the rest."""
    actions: list[Callable[[], None]] = []
    yield actions
    for action in reversed(actions):
        try:
            action()
        except Exception as error:  # noqa: BLE001 (teardown goes on)
            print(f"teardown: {action!r} failed: {error!r}", file=sys.stderr)


@pytest.fixture(autouse=True)
def _keep_the_default_celery_app() -> Iterator[None]:
    """create_app() makes its Celery app the current and default one; the session's app (and
    other test modules) must get theirs back, not ours pointing at a stopped private Redis."""
    from celery import _state

    saved = (_state.default_app, _state._tls.current_app)
    yield
    _state.default_app, _state._tls.current_app = saved


class PrivateRedis:
    """A redis-server of our own that can be killed and brought back on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.folder / "redis.log").open("a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)

        def up() -> bool:
            assert self.process is not None and self.process.poll() is None, \
                (self.folder / "redis.log").read_text()[-2000:]
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False
        wait_for(up, 15, "the private redis-server", 0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture()
def private_redis(tmp_path: Path, cleanup) -> PrivateRedis:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder)
    cleanup.append(server.stop)
    server.start()
    return server


class PrivatePostgres:
    """A PostgreSQL cluster of our own (run as the postgres OS user), trust auth on loopback."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="uppf-faults-pg-"))
        os.chmod(self.root, 0o755)
        shutil.chown(self.root, "postgres", "postgres")
        self.data, self.port = self.root / "data", free_port()

    def _run(self, *args: object, timeout: float = 60) -> None:
        as_root = os.geteuid() == 0
        command = (["runuser", "-u", "postgres", "--"] if as_root else []) + [str(a) for a in args]
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True,
                                check=False, timeout=timeout)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:],
                                        self.log())

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    @property
    def options(self) -> str:
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off")

    def init_and_start(self) -> None:
        self._run(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self.start()

    def halt(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-t", "60", "-m", "fast", "stop")

    def start(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w",
                  "-t", "60", "-o", self.options, "start")

    def restart(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w",
                  "-t", "60", "-m", "fast", "-o", self.options, "restart")

    def libpq_url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-t", "30", "-m",
                          "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class Worker:
    """A real Celery worker process (optionally with beat), in a process group of its own so
    that SIGKILL takes the embedded beat process down with it, as a dying container would."""

    def __init__(self, env: dict[str, str], folder: Path, *, beat: bool = False) -> None:
        self.env, self.folder, self.beat = env, folder, beat
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.log_path = self.folder / f"worker-{self.starts}.log"
        command = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
                   "--pool", "solo", "--loglevel", "INFO", "--without-gossip",
                   "--without-mingle", "--without-heartbeat"]
        if self.beat:  # a fresh schedule file each start: a killed beat may leave a torn one
            command += ["--beat", "--schedule", str(self.folder / f"beat-{self.starts}")]
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(command, cwd=PROJECT, env={**os.environ, **self.env},
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited:\n{self.log_path.read_text()[-3000:]}")
            return "ready." in self.log_path.read_text()
        wait_for(ready, 60, "the Celery worker")

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        try:  # whatever is left of the group (the beat child), and the worker if it hung
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def tail(self) -> str:
        return self.log_path.read_text()[-3000:]


def build_app(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], cleanup, *,
              seed: bool = True) -> Flask:
    """The app under test, configured from ``env`` (Config reads the environment when built),
    migrated, and seeded with the demo data."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.config import Config
    from webapp.services import demo as demo_data

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = create_app(Config())
    app.config["TESTING"] = True

    def dispose() -> None:
        with app.app_context():
            db.engine.dispose()
    cleanup.append(dispose)
    with app.app_context():
        upgrade()
        if seed:
            demo_data.seed()
            db.session.commit()
    return app


def base_env(tmp_path: Path, purpose: str) -> dict[str, str]:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return {"CELERY_QUEUE": f"uppfoljning-faults-{purpose}-{os.getpid()}",
            "UPPFOLJNING_INSTANCE": str(instance)}


def kumla_base(app: Flask) -> tuple[str, list[int]]:
    """Kumla's submission URL in the demo round, and the round's sub-goals in order."""
    with app.app_context():
        org = db.session.scalar(select(Organisation.id).where(Organisation.name == "Kumla"))
        rnd = db.session.get(Round, 1)
        return f"/svar/omgang/1/organisation/{org}", [sg.id for sg in rnd.sub_goals]


def kumla_answers(app: Flask) -> dict[int, tuple[str, ReviewState, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Answer.sub_goal_id, Answer.text, Answer.state, Answer.version)
            .join(Submission).join(Organisation).where(Organisation.name == "Kumla"))
        return {sg: (text, state, version) for sg, text, state, version in rows}


def request_report(admin: Browser) -> tuple[str, object]:
    page = admin.get("/admin/omgang/1")
    started = time.monotonic()
    response = admin.client.post("/rapporter/omgang/1", follow_redirects=True,
                                 data={"csrf_token": csrf_token(page), "registry_number": ""})
    took = time.monotonic() - started
    assert response.status_code == 200, response.text[:1000]
    return response.request.path, (response, took)


def job_of(app: Flask, job_url: str) -> ReportJob:
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        job = db.session.get(ReportJob, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def files_of(app: Flask, job_id: int) -> list[tuple[int, str, bytes]]:
    from sqlalchemy.orm import undefer

    with app.app_context():
        return [(f.size, f.sha256, f.content) for f in db.session.scalars(
            select(ReportFile).where(ReportFile.job_id == job_id)
            .options(undefer(ReportFile.content)))]


# ---------------------------------------------------------- 1. the broker is down


def test_redis_down_contacts_save_and_submit_and_a_report_request_is_kept(
        tmp_path, monkeypatch, make_database, private_redis, cleanup) -> None:
    env = {**base_env(tmp_path, "redis"), "DATABASE_URL": make_database("faults_redis"),
           "CELERY_BROKER_URL": private_redis.url}
    app = build_app(monkeypatch, env, cleanup)
    base, goals = kumla_base(app)
    before = kumla_answers(app)
    assert before[goals[0]][1] is ReviewState.SUBMITTED and goals[1] not in before

    private_redis.stop()  # the broker is gone for everything below
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(private_redis.url, socket_connect_timeout=0.5).ping()

    contact = Browser(app.test_client())
    contact.login("kumla@example.se")
    # A draft with the button, an autosave, and "save and submit" on a third sub-goal.
    url = f"{base}/delmal/{goals[1]}"
    contact.get(url)
    page = contact.submit({"text": "Utkast skrivet medan Redis låg nere.",
                           "save": "Spara utkast"}, action=url)
    assert "Utkastet är sparat." in text_of(page)
    page = contact.get(f"{base}/delmal/{goals[2]}")
    saved = contact.client.post(f"{base}/delmal/{goals[2]}/autospara", data={
        "csrf_token": csrf_token(page), "text": "Autosparat utan broker.",
        "expected_version": ""})
    assert saved.status_code == 200 and saved.get_json()["version"] >= 1
    url = f"{base}/delmal/{goals[3]}"
    contact.get(url)
    contact.submit({"text": "Inskickat direkt utan broker.",
                    "submit": "Spara och skicka in"}, action=url)
    assert contact.url == base
    # Check and submit: both drafts go in at once; the receipt page shows.
    check = f"{base}/kontrollera"
    contact.get(check)
    contact.submit({}, action=check)
    assert contact.url == f"{base}/kvitto", contact.url

    after = kumla_answers(app)
    assert after[goals[0]] == before[goals[0]]  # untouched
    assert {g: (after[g][0], after[g][1]) for g in goals[1:4]} == {
        goals[1]: ("Utkast skrivet medan Redis låg nere.", ReviewState.SUBMITTED),
        goals[2]: ("Autosparat utan broker.", ReviewState.SUBMITTED),
        goals[3]: ("Inskickat direkt utan broker.", ReviewState.SUBMITTED)}
    with app.app_context():  # the receipts wait in the outbox (the database), not in Redis
        assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == MailKind.RECEIPT)) >= 1

    admin = Browser(app.test_client())
    admin.login("admin@example.se")
    job_url, (response, took) = request_report(admin)
    assert took < 30, f"the report request hung {took:.1f} s on the dead broker"
    assert "Rapporten byggs" in text_of(response)
    job = job_of(app, job_url)
    assert (job.state, job.phase, job.attempts) == (ReportJobState.PENDING, ReportPhase.QUEUED,
                                                    0)

    # Redis comes back (empty: the message never got there). The beat's requeue finds jobs
    # pending longer than PENDING_AFTER (1 minute): age the request instead of waiting.
    private_redis.start()
    with app.app_context():
        row = db.session.get(ReportJob, job.id)
        row.requested_at = row.requested_at - dt.timedelta(minutes=2)
        db.session.commit()
    worker = Worker(env, tmp_path)
    cleanup.append(worker.stop)
    worker.start()
    app.extensions["celery"].send_task("worker.tasks.requeue_pending_report_jobs")

    def done() -> bool:
        return job_of(app, job_url).state in (ReportJobState.DONE, ReportJobState.FAILED)
    wait_for(done, 90, "the report job to finish", 0.3)
    finished = job_of(app, job_url)
    assert (finished.state, finished.attempts) == (ReportJobState.DONE, 1), worker.tail()
    files = files_of(app, job.id)
    assert len(files) == 1
    size, sha256, content = files[0]
    assert size == len(content) > 1000 and hashlib.sha256(content).hexdigest() == sha256
    assert admin.client.get(f"{job_url}/status").get_json()["download_url"]


# ------------------------------------------------- 2. PostgreSQL restarts under load


def start_pg_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 cleanup) -> tuple[PrivatePostgres, Flask]:
    """The app on a private PostgreSQL cluster (migrated, demo data), which the test may stop
    and restart at will."""
    cluster = PrivatePostgres()
    cleanup.append(cluster.stop)
    cluster.init_and_start()
    with psycopg.connect(cluster.libpq_url("postgres"), autocommit=True,
                         connect_timeout=5) as conn:
        conn.execute('CREATE DATABASE "faults"')
    env = {**base_env(tmp_path, "pg"),
           "DATABASE_URL": cluster.libpq_url("faults").replace(
               "postgresql://", "postgresql+psycopg://", 1),
           "CELERY_BROKER_URL": "memory://"}  # autosave never talks to the broker
    return cluster, build_app(monkeypatch, env, cleanup)


def test_postgres_restart_under_autosave_load_recovers_and_writes_nothing_half(
        tmp_path, monkeypatch, cleanup) -> None:
    cluster, app = start_pg_app(tmp_path, monkeypatch, cleanup)
    base, goals = kumla_base(app)
    contact = Browser(app.test_client())
    contact.login("kumla@example.se")
    page = contact.get(f"{base}/delmal/{goals[1]}")
    token = csrf_token(page)
    url = f"{base}/delmal/{goals[1]}/autospara"
    filler = " Åtgärder för barn och unga i Örebro län." * 900  # ~38 000 characters

    sent: dict[str, int] = {}
    # (request no., outcome, version): outcome is the status, or "escaped" when the exception
    # left Flask (a WSGI server answers that with its own bare 500; see the xfail test below).
    results: list[tuple[int, int | str, int | None]] = []
    problems: list[str] = []
    stop = threading.Event()

    def current_version() -> str:
        try:
            response = contact.client.get(f"{base}/delmal/{goals[1]}")
        except OperationalError:
            return ""
        if response.status_code != 200:
            return ""
        return next(f["fields"] for f in forms(response.text)
                    if "expected_version" in f["fields"])["expected_version"]

    def load() -> None:
        version = ""
        number = 0
        try:
            while not stop.is_set() and number < 5000:
                number += 1
                text = f"Svar nummer {number}:{filler}"
                sent[text] = number
                try:
                    response = contact.client.post(url, data={
                        "csrf_token": token, "text": text, "expected_version": version})
                except OperationalError:
                    results.append((number, "escaped", None))
                    version = current_version()  # did it commit? the page knows
                    time.sleep(0.005)
                    continue
                if response.status_code == 200:
                    saved = response.get_json()["version"]
                    results.append((number, 200, saved))
                    version = str(saved)
                    continue
                results.append((number, response.status_code, None))
                body = text_of(response)
                if response.status_code == 409:
                    # A save whose commit went through while its connection died: the next
                    # one is stale and refused, never applied over it. Reload and go on.
                    version = current_version()
                elif response.status_code not in (500, 503) or "Traceback" in response.text \
                        or not (SWEDISH_503 in body or SWEDISH_500 in body):
                    problems.append(f"request {number}: {response.status_code} "
                                    f"{response.text[:500]!r}")
                else:
                    version = current_version()
                time.sleep(0.005)
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            import traceback

            problems.append(f"request {number} raised {error!r}\n{traceback.format_exc()}")

    thread = threading.Thread(target=load, daemon=True)
    cleanup.append(lambda: (stop.set(), thread.join(timeout=30)))
    thread.start()

    def successes(since: int = 0) -> int:
        return sum(1 for r in results[since:] if r[1] == 200)
    wait_for(lambda: successes() >= 15 or problems, 30, "autosaves before the restart", 0.05)
    restart_started = len(results)
    cluster.restart()
    restart_done = len(results)
    wait_for(lambda: successes(restart_done) >= 20 or problems, 40,
             "autosaves after the restart", 0.05)
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert problems == [], "\n".join(problems)

    outcomes = Counter(str(outcome) for _, outcome, _ in results)
    failed = [r for r in results if r[1] != 200]
    print(f"\nautosaves: {len(results)} requests, outcomes {dict(outcomes)}; the restart "
          f"spanned requests {restart_started + 1}-{restart_done}")
    assert failed, "no request met the restart: the test proved nothing"
    assert all(r[0] > restart_started for r in failed), "failures before the restart"
    # Later requests succeed: the pool dropped its dead connections (pool_pre_ping).
    tail = results[-20:]
    assert all(r[1] == 200 for r in tail), tail
    # Versions move forward only.
    versions = [v for _, s, v in results if s == 200]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    # Nothing half-written: the stored text is exactly the last text saved, whole.
    last_number, _, last_version = next(r for r in reversed(results) if r[1] == 200)
    stored_text, stored_state, stored_version = kumla_answers(app)[goals[1]]
    assert stored_text in sent, "the stored text is not one of the texts sent"
    assert sent[stored_text] == last_number
    assert stored_text == f"Svar nummer {last_number}:{filler}"
    assert (stored_version, stored_state) == (last_version, ReviewState.DRAFT)


def test_while_postgres_is_down_a_signed_in_person_gets_the_swedish_503_page(
        tmp_path, monkeypatch, cleanup) -> None:
    cluster, app = start_pg_app(tmp_path, monkeypatch, cleanup)
    base, goals = kumla_base(app)
    contact = Browser(app.test_client())
    contact.login("kumla@example.se")
    page = contact.get(f"{base}/delmal/{goals[1]}")
    cluster.halt()
    try:
        outcomes = []
        for send in (lambda: contact.client.get(f"{base}/delmal/{goals[1]}"),
                     lambda: contact.client.post(f"{base}/delmal/{goals[1]}/autospara", data={
                         "csrf_token": csrf_token(page), "text": "Medan databasen är nere.",
                         "expected_version": ""})):
            try:
                response = send()
                outcomes.append((response.status_code, text_of(response)))
            except OperationalError as error:
                outcomes.append(("escaped", type(error).__name__))
    finally:
        cluster.start()
    assert all(status == 503 and SWEDISH_503 in body and "Traceback" not in body
               for status, body in outcomes), outcomes

# -------------------------------------------- 3. a worker dies during a report build


def _many_approved_activities(app: Flask, count: int) -> None:
    """Örebro's approved answer gets ``count`` activities: a build long enough to kill."""
    with app.app_context():
        orebro = db.session.scalar(select(Organisation).where(Organisation.name == "Örebro"))
        approved = db.session.scalar(select(Answer).join(Submission).where(
            Submission.organisation_id == orebro.id, Answer.state == ReviewState.APPROVED))
        sub_goal = approved.sub_goal
        for number in range(count):
            db.session.add(ActivityReport(
                activity=Activity(organisation_id=orebro.id, name=f"Aktivitet {number:05d}"),
                round_id=1, status=ActivityStatus.ONGOING, start_year=2021, end_year=2026,
                responsible_unit="Socialtjänsten", sub_goals=[sub_goal],
                description=f"Aktivitet {number} har genomförts med goda resultat. " * 6))
        db.session.commit()


def test_worker_killed_during_a_report_build_finishes_the_job_exactly_once(
        tmp_path, monkeypatch, make_database, private_redis, cleanup) -> None:
    env = {**base_env(tmp_path, "build"), "DATABASE_URL": make_database("faults_build"),
           "CELERY_BROKER_URL": private_redis.url}
    app = build_app(monkeypatch, env, cleanup)
    _many_approved_activities(app, 3000)
    worker = Worker(env, tmp_path)
    cleanup.append(worker.stop)
    worker.start()

    admin = Browser(app.test_client())
    admin.login("admin@example.se")
    job_url, _ = request_report(admin)
    job_id = job_of(app, job_url).id
    wait_for(lambda: job_of(app, job_url).state is not ReportJobState.PENDING, 30,
             "the worker to claim the job", 0.02)
    running = job_of(app, job_url)
    assert running.state is ReportJobState.RUNNING, (running.state, worker.tail())
    assert running.phase in (ReportPhase.COLLECTING, ReportPhase.WRITING)
    time.sleep(0.5)  # well inside the build
    assert job_of(app, job_url).state is ReportJobState.RUNNING, "build too short to kill"
    worker.kill9()
    killed_in = job_of(app, job_url)
    assert (killed_in.state, killed_in.attempts) == (ReportJobState.RUNNING, 1)
    assert files_of(app, job_id) == []

    from webapp.services import reports as report_service
    from worker.tasks import PENDING_AFTER, RUNNING_AFTER

    with app.app_context():
        # On the production cut-offs it is not stale yet: it would be in ten minutes.
        assert report_service.release_stale(pending_after=PENDING_AFTER,
                                            running_after=RUNNING_AFTER) == []
        db.session.rollback()
        # The beat's database path, with the clock's worth of waiting skipped.
        ids = report_service.release_stale(pending_after=dt.timedelta(0),
                                           running_after=dt.timedelta(0))
        db.session.commit()
    assert ids == [job_id]
    released = job_of(app, job_url)
    assert (released.state, released.phase) == (ReportJobState.PENDING, ReportPhase.QUEUED)
    celery = app.extensions["celery"]
    for job in ids:
        celery.send_task("worker.tasks.build_report", args=[job])
        celery.send_task("worker.tasks.build_report", args=[job])  # a duplicate is harmless

    worker.start()
    wait_for(lambda: job_of(app, job_url).state in (ReportJobState.DONE, ReportJobState.FAILED),
             120, "the report job to finish after the kill", 0.3)
    time.sleep(1)  # the duplicate message is handled too
    finished = job_of(app, job_url)
    assert (finished.state, finished.phase, finished.attempts) == (
        ReportJobState.DONE, ReportPhase.DONE, 2), worker.tail()
    files = files_of(app, job_id)
    assert len(files) == 1
    size, sha256, content = files[0]
    assert size == len(content) and hashlib.sha256(content).hexdigest() == sha256
    with app.app_context():
        assert db.session.scalar(select(func.count(ReportFile.id))) == 1
        assert db.session.scalar(select(func.count(ReportJob.id)).where(
            ReportJob.state == ReportJobState.RUNNING)) == 0


# ------------------------------------------------- 4. a worker dies while sending mail


class SlowFirstInbox(Inbox):
    """Keeps every message; the first one is accepted slowly, so the sender can be killed
    after the server has the mail but before it hears "250 OK" (the send-then-crash window)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight: str | None = None
        self.first_started = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append(message)
        if self.in_flight is None:
            self.in_flight = message["To"]
            self.first_started.set()
            await asyncio.sleep(4)
        return "250 OK"


def test_worker_killed_while_sending_invitations_everyone_gets_one_at_most_one_twice(
        tmp_path, monkeypatch, make_database, private_redis, cleanup) -> None:
    from webapp.services import plan_import, rounds

    clock_file = tmp_path / "now.txt"
    clock_file.write_text("2030-03-09T08:00:00+01:00")
    handler = SlowFirstInbox()
    smtp = SmtpServer(handler, free_port())
    smtp.start()
    cleanup.append(smtp.stop)
    env = {**base_env(tmp_path, "mail"), "DATABASE_URL": make_database("faults_mail"),
           "CELERY_BROKER_URL": private_redis.url, "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(smtp.port), "DISPATCH_INTERVAL_SECONDS": "1",
           "UPPFOLJNING_CLOCK_FILE": str(clock_file)}
    app = build_app(monkeypatch, env, cleanup, seed=False)
    contacts = {"kumla@example.se": "Kumla", "kumla2@example.se": "Kumla",
                "orebro@example.se": "Örebro", "orebro2@example.se": "Örebro",
                "askersund@example.se": "Askersund"}
    with app.app_context():
        plan_import.load_file()
        orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
        admin = User(email="admin@example.se", name="admin", role=Role.ADMIN)
        db.session.add(admin)
        for email, org in contacts.items():
            db.session.add(User(email=email, name=email.split("@")[0], role=Role.CONTACT,
                                organisations=[orgs[org]]))
        db.session.flush()
        goals = [sg.id for sg in plan_import_sub_goals()]
        rounds.open_round(admin, name="Uppföljning 2030", year=2030,
                          opens_on=dt.date(2030, 3, 10), deadline=dt.date(2030, 3, 31),
                          reminder_days="14,3", sub_goal_ids=goals,
                          organisation_ids=[orgs[n].id for n in set(contacts.values())])
        db.session.commit()

    worker = Worker(env, tmp_path, beat=True)
    cleanup.append(worker.stop)
    worker.start()
    time.sleep(2)  # beats before the opening date: nothing goes out
    assert handler.messages == []
    clock_file.write_text("2030-03-10T08:00:00+01:00")
    assert handler.first_started.wait(30), f"no mail reached the server:\n{worker.tail()}"
    worker.kill9()  # while the server holds the first mail and has not answered yet
    in_flight = handler.in_flight
    assert in_flight in contacts and len(handler.messages) == 1

    def invitations() -> Counter[str]:
        return handler.to("Inbjudan")

    def rows() -> dict[str, MailState]:
        with app.app_context():
            return {email: state for email, state in db.session.execute(
                select(User.email, OutboxMessage.state).join(User, OutboxMessage.user_id == User.id)
                .where(OutboxMessage.kind == MailKind.INVITATION))}
    assert rows()[in_flight] is MailState.SENDING

    worker.start()  # same clock: the row left "sending" is not yet the dead worker's to redo
    wait_for(lambda: set(invitations()) == set(contacts), 40, "the other invitations")
    time.sleep(3)
    assert invitations() == Counter({c: 1 for c in contacts})
    assert rows()[in_flight] is MailState.SENDING

    clock_file.write_text("2030-03-10T08:11:00+01:00")  # past SENDING_TIMEOUT (10 minutes)
    wait_for(lambda: invitations()[in_flight] == 2, 40, "the in-flight invitation again")
    time.sleep(3)  # more beats: nothing more goes out
    assert invitations() == Counter({c: 2 if c == in_flight else 1 for c in contacts})
    assert len(handler.messages) == len(contacts) + 1
    assert set(rows().values()) == {MailState.SENT} and len(rows()) == len(contacts)


def plan_import_sub_goals() -> list:
    from webapp.models import SubGoal

    return list(db.session.scalars(select(SubGoal).order_by(SubGoal.id).limit(2)))
