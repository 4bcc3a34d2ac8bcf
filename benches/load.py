"""Load test: contacts answering (page + autosave), reviewers browsing, against gunicorn +
PostgreSQL + a Celery worker, with /halsa as the same-run baseline.

    .venv/bin/python benches/load.py [--quick]

Everything is local (127.0.0.1) and bounded: its own PostgreSQL database (dropped at the end),
Redis db 9 and its own Celery queue (db 9 flushed at the end), every phase has a time limit.
Results go to docs/benchmarks.md between <!-- load:start --> and <!-- load:end -->.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/9"
N_CONTACTS = 200
N_REVIEWERS = 3
LEVELS = (10, 50, 200)
AUTOSAVE_EVERY = 3.0
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"

PID = os.getpid()
DB_NAME = f"uppf_bench_{PID}"
QUEUE = f"uppf_bench_{PID}"
INSTANCE = Path(tempfile.mkdtemp(prefix=f"uppf_bench_{PID}_"))
ENV = {
    **os.environ,
    "UPPFOLJNING_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}",
    "CELERY_BROKER_URL": REDIS_URL,
    "CELERY_QUEUE": QUEUE,
    "RATELIMIT_STORAGE_URI": REDIS_URL,
    "UPPFOLJNING_INSTANCE": str(INSTANCE),
    "PUBLIC_URL": "http://127.0.0.1:5000",
    # The bench's clients speak plain http to loopback: a Secure cookie would never return.
    "SERVED_OVER_PLAIN_HTTP": "1",
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- topology ------------------------------------------------------------------------------

def pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run_cli(*args: str, timeout: float = 180) -> None:
    env = {**ENV, "UPPFOLJNING_ENV": "development"}
    subprocess.run([str(VENV_BIN / "flask"), "--app", "webapp", *args], cwd=ROOT, env=env,
                   check=True, timeout=timeout, stdout=subprocess.DEVNULL)


def app_setup():  # type: ignore[no-untyped-def]
    """In-process: the app on our database (extra users, all sub-goals in the round)."""
    os.environ.update({k: ENV[k] for k in ("UPPFOLJNING_ENV", "SECRET_KEY", "DATABASE_URL",
                                             "CELERY_BROKER_URL", "CELERY_QUEUE",
                                             "RATELIMIT_STORAGE_URI", "UPPFOLJNING_INSTANCE")})
    sys.path.insert(0, str(ROOT))
    from webapp import create_app

    return create_app()


def add_users_and_pairs(app) -> dict:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Answer, Role, Round, SubGoal, Submission, User
    from webapp.passwords import hash_password
    from webapp.services.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
    from webapp.workflows.review import contact_can_edit

    with app.app_context():
        rnd = db.session.get(Round, 1)
        # Every sub-goal in the demo round: 19 x 12 (organisation, sub-goal) pairs, so each
        # virtual contact writes its own answer (conflicts are then real, not manufactured).
        rnd.sub_goals = list(db.session.scalars(select(SubGoal).order_by(SubGoal.id)))
        db.session.flush()
        # The round's questionnaire asks about its sub-goals: give the enlarged round the
        # default questions for all 19 (the demo's answers keep their keys).
        from webapp.services import questionnaires

        old_questionnaire = rnd.questionnaire
        rnd.questionnaire = None
        db.session.flush()
        db.session.delete(old_questionnaire)
        questionnaires.create_for_round(rnd)
        questionnaires.freeze(rnd)
        db.session.flush()
        municipalities = sorted((o for o in rnd.recipients if o.code), key=lambda o: o.name)
        subs = {s.organisation_id: s for s in db.session.scalars(
            select(Submission).where(Submission.round_id == rnd.id))}
        states = {(a.submission.organisation_id, a.sub_goal_id): a.state
                  for a in db.session.scalars(select(Answer))}
        password_hash = hash_password(DEMO_PASSWORD)  # computed once, reused
        contacts = []
        per_org_next: dict[int, int] = defaultdict(int)
        sg_ids = [sg.id for sg in rnd.sub_goals]
        for i in range(N_CONTACTS):
            org = municipalities[i % len(municipalities)]
            # the next sub-goal of this organisation that a contact can edit
            while True:
                sg = sg_ids[per_org_next[org.id] % len(sg_ids)]
                per_org_next[org.id] += 1
                if contact_can_edit(states.get((org.id, sg))):
                    break
            email = f"bench-kontakt-{i:03d}@example.se"
            db.session.add(User(email=email, name=f"Bench Kontakt {i}", role=Role.CONTACT,
                                password_hash=password_hash, organisations=[org]))
            assert org.id in subs
            contacts.append({"email": email, "org": org.id, "sg": sg})
        reviewers = ["granskare@example.se"]
        for i in range(N_REVIEWERS - 1):
            email = f"bench-granskare-{i}@example.se"
            db.session.add(User(email=email, name=f"Bench Granskare {i}", role=Role.REVIEWER,
                                password_hash=password_hash, totp_secret=DEMO_TOTP_SECRET))
            reviewers.append(email)
        db.session.commit()
        pairs = len({(c["org"], c["sg"]) for c in contacts})
        return {"round_id": rnd.id, "contacts": contacts, "reviewers": reviewers,
                "n_sub_goals": len(sg_ids), "distinct_pairs": pairs, "password": DEMO_PASSWORD,
                "totp_secret": DEMO_TOTP_SECRET}


class Servers:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []
        self.port = free_port()
        self.logs = INSTANCE / "logs"
        self.logs.mkdir(exist_ok=True)

    def start(self) -> None:
        gunicorn = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-w", "4", "-b", f"{HOST}:{self.port}",
             "--timeout", "60", "webapp:create_app()"],
            cwd=ROOT, env=ENV, stdout=open(self.logs / "gunicorn.out", "w"),
            stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(gunicorn)
        worker = subprocess.Popen(
            [str(VENV_BIN / "celery"), "-A", "worker.celery_app", "worker", "--pool", "solo",
             "-Q", QUEUE, "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=ROOT, env=ENV, stdout=open(self.logs / "worker.out", "w"),
            stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(worker)
        deadline = time.time() + 60
        import urllib.request
        while time.time() < deadline:
            if gunicorn.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + (self.logs / "gunicorn.out").read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/halsa", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /halsa within 60 s")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


# --- measurements ----------------------------------------------------------------------------

class Recorder:
    def __init__(self) -> None:
        self.samples: dict[str, list[tuple[float, int | str]]] = defaultdict(list)
        self.error_examples: dict[str, list[str]] = defaultdict(list)

    def add(self, endpoint: str, latency: float, status: int | str, detail: str = "") -> None:
        self.samples[endpoint].append((latency, status))
        if (isinstance(status, str) or status >= 400) and status != 409:
            if len(self.error_examples[endpoint]) < 3:
                self.error_examples[endpoint].append(f"{status} {detail}"[:200])

    def summary(self, duration: float) -> dict[str, dict]:
        out = {}
        for endpoint, samples in sorted(self.samples.items()):
            lat = sorted(s[0] for s in samples)
            errors = sum(1 for _, st in samples if isinstance(st, str) or (st >= 400 and st != 409))
            conflicts = sum(1 for _, st in samples if st == 409)
            out[endpoint] = {
                "n": len(samples), "rps": len(samples) / duration,
                "p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99),
                "errors": errors, "conflicts": conflicts,
                "examples": self.error_examples.get(endpoint, []),
            }
        return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k] * 1000


INPUT_RE = re.compile(r"<input[^>]*>", re.S)


def field(html: str, name: str) -> str | None:
    for tag in INPUT_RE.findall(html):
        if f'name="{name}"' in tag:
            m = re.search(r'value="([^"]*)"', tag)
            return m.group(1) if m else ""
    return None


async def timed(client, rec: Recorder | None, endpoint: str, method: str, url: str,
                **kw):  # type: ignore[no-untyped-def]
    import httpx

    t0 = time.perf_counter()
    try:
        resp = await client.request(method, url, **kw)
    except httpx.HTTPError as error:
        if rec is not None:
            rec.add(endpoint, time.perf_counter() - t0, type(error).__name__, str(error))
        return None
    if rec is not None:
        rec.add(endpoint, time.perf_counter() - t0, resp.status_code,
                resp.text[:150].replace("\n", " ") if resp.status_code >= 400 else "")
    return resp


# --- virtual people ------------------------------------------------------------------------

class Contact:
    def __init__(self, base: str, info: dict, round_id: int) -> None:
        import httpx

        self.info = info
        self.client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
        self.overview = f"/svar/omgang/{round_id}/organisation/{info['org']}"
        self.page = f"{self.overview}/delmal/{info['sg']}"
        self.autosave = f"{self.page}/autospara"
        self.text = f"Bench {info['email']}:"
        self.csrf = ""
        self.version = ""

    async def login(self, password: str) -> bool:
        resp = await self.client.get("/logga-in")
        csrf = field(resp.text, "csrf_token")
        for _ in range(3):
            resp = await self.client.post("/logga-in", data={
                "csrf_token": csrf, "email": self.info["email"], "password": password})
            if resp.status_code == 429:
                await asyncio.sleep(5)
                continue
            return resp.status_code == 302 and "logga-in" not in resp.headers.get("location", "")
        return False

    async def load_page(self, rec: Recorder | None) -> bool:
        resp = await timed(self.client, rec, "GET sub-goal page", "GET", self.page)
        if resp is None or resp.status_code != 200:
            return False
        self.csrf = field(resp.text, "csrf_token") or self.csrf
        self.version = field(resp.text, "expected_version") or ""
        m = re.search(r"<textarea[^>]*>(.*?)</textarea>", resp.text, re.S)
        if m and m.group(1).strip():
            import html as htmlmod
            self.text = htmlmod.unescape(m.group(1)).lstrip("\n")[-2000:]
        return True

    async def save(self, rec: Recorder) -> None:
        self.text += " " + random.choice(["Vi", "har", "arbetat", "med", "delaktighet",
                                          "brukarråd", "uppföljning", "och", "resultat."])
        resp = await timed(self.client, rec, "POST autosave", "POST", self.autosave, data={
            "csrf_token": self.csrf, "text": self.text, "expected_version": self.version})
        if resp is None:
            return
        if resp.status_code == 200:
            self.version = str(resp.json()["version"])
        elif resp.status_code == 409:
            await self.load_page(rec)  # as the page would: reload, take the newer version

    async def submit(self, rec: Recorder) -> None:
        await timed(self.client, rec, "POST save+submit", "POST", self.page, data={
            "csrf_token": self.csrf, "text": self.text + " Klart.",
            "expected_version": self.version, "submit": "Spara och skicka in"})

    async def session(self, rec: Recorder, deadline: float, submit_at: float | None,
                      arrival: float) -> None:
        await asyncio.sleep(random.uniform(0, arrival))  # arrivals spread over the start
        if time.time() >= deadline:
            return
        await timed(self.client, rec, "GET overview", "GET", self.overview)
        if not await self.load_page(rec):
            return
        while True:
            await asyncio.sleep(random.uniform(AUTOSAVE_EVERY - 0.5, AUTOSAVE_EVERY + 0.5))
            now = time.time()
            if submit_at is not None and now >= submit_at:
                await self.submit(rec)
                return
            if now >= deadline:
                return
            await self.save(rec)


class Reviewer:
    def __init__(self, base: str, email: str, round_id: int) -> None:
        import httpx

        self.email = email
        self.client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
        self.url = f"/granskning/omgang/{round_id}"

    async def login(self, password: str, totp_secret: str) -> bool:
        import pyotp

        resp = await self.client.get("/logga-in")
        resp = await self.client.post("/logga-in", data={
            "csrf_token": field(resp.text, "csrf_token"), "email": self.email,
            "password": password})
        if resp.status_code != 302 or "/logga-in/kod" not in resp.headers.get("location", ""):
            return False
        resp = await self.client.get("/logga-in/kod")
        resp = await self.client.post("/logga-in/kod", data={
            "csrf_token": field(resp.text, "csrf_token"),
            "code": pyotp.TOTP(totp_secret).now()})
        return resp.status_code == 302 and "logga-in" not in resp.headers.get("location", "")

    async def session(self, rec: Recorder, deadline: float) -> None:
        await asyncio.sleep(random.uniform(0, 2))
        while time.time() < deadline:
            await timed(self.client, rec, "GET review overview", "GET", self.url)
            await asyncio.sleep(random.uniform(1.5, 2.5))


# --- phases ----------------------------------------------------------------------------------

async def sign_in_everyone(contacts: list[Contact], reviewers: list[Reviewer], setup: dict,
                           limit: float) -> None:
    """One sign-in per virtual person, paced at ~170/min (the cap is 200/min per address)."""
    gap = 0.35
    t_end = time.time() + limit

    async def one(i: int, person) -> bool:  # type: ignore[no-untyped-def]
        await asyncio.sleep(i * gap)
        if time.time() > t_end:
            return False
        if isinstance(person, Reviewer):
            return await person.login(setup["password"], setup["totp_secret"])
        return await person.login(setup["password"])

    people = [*reviewers, *contacts]
    results = await asyncio.gather(*(one(i, p) for i, p in enumerate(people)))
    failed = [getattr(p, "email", None) or p.info["email"] for p, ok in zip(people, results) if not ok]
    if failed:
        raise RuntimeError(f"{len(failed)} sign-ins failed, e.g. {failed[:3]}")


async def level_phase(contacts: list[Contact], reviewers: list[Reviewer], users: int,
                      duration: float, submit_share: float = 0.0) -> tuple[dict, float]:
    rec = Recorder()
    t0 = time.time()
    deadline = t0 + duration
    tasks = []
    for c in contacts[:users]:
        submit_at = None
        if submit_share and random.random() < submit_share:
            submit_at = deadline - random.uniform(1.0, 4.0)
        tasks.append(c.session(rec, deadline, submit_at, arrival=min(10.0, duration / 3)))
    tasks += [r.session(rec, deadline) for r in reviewers]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 90)
    elapsed = max(duration, time.time() - t0)
    return rec.summary(elapsed), elapsed


async def saturation_phase(kind: str, contacts: list[Contact], base: str, concurrency: int,
                           duration: float) -> dict:
    """Closed loop, no think time: the most the server gives this endpoint."""
    import httpx

    rec = Recorder()
    deadline = time.time() + duration
    t0 = time.time()
    cpu0 = time.process_time()

    async def loop_halsa() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            while time.time() < deadline:
                await timed(client, rec, "GET /halsa", "GET", "/halsa")

    async def loop_page(c: Contact) -> None:
        while time.time() < deadline:
            await c.load_page(rec)

    async def loop_save(c: Contact) -> None:
        await c.load_page(None)
        while time.time() < deadline:
            await c.save(rec)

    if kind == "halsa":
        tasks = [loop_halsa() for _ in range(concurrency)]
    elif kind == "page":
        tasks = [loop_page(c) for c in contacts[:concurrency]]
    else:
        tasks = [loop_save(c) for c in contacts[:concurrency]]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 90)
    wall = max(duration, time.time() - t0)
    summary = rec.summary(wall)
    # How busy the load generator itself was (1.0 = one full core): near 1 means client-bound.
    for s in summary.values():
        s["client_cpu"] = (time.process_time() - cpu0) / wall
    return summary


class ReportBuilder(threading.Thread):
    """Requests report builds back to back, in-process through the app's services (as the
    admin's button does): request_report + commit, then build_report.delay(job_id)."""

    def __init__(self, app, round_id: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.app, self.round_id = app, round_id
        self.stop_event = threading.Event()
        self.requested = self.done = self.failed = 0
        self.build_seconds: list[float] = []
        self.error: str | None = None

    def run(self) -> None:
        from sqlalchemy import select

        from webapp.extensions import db
        from webapp.models import ReportJob, Round, User
        from webapp.services import reports
        from worker.tasks import build_report

        try:
            with self.app.app_context():
                admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
                while not self.stop_event.is_set():
                    rnd = db.session.get(Round, self.round_id)
                    job = reports.request_report(admin, rnd, None)
                    db.session.commit()
                    job_id = job.id
                    build_report.delay(job_id)
                    self.requested += 1
                    t0 = time.time()
                    while not self.stop_event.is_set() and time.time() - t0 < 120:
                        db.session.rollback()
                        state = db.session.get(ReportJob, job_id).state.value
                        if state in ("done", "failed"):
                            if state == "done":
                                self.done += 1
                                self.build_seconds.append(time.time() - t0)
                            else:
                                self.failed += 1
                            break
                        time.sleep(0.25)
                db.session.remove()
        except Exception as error:  # recorded, shown in the report
            self.error = f"{type(error).__name__}: {error}"


# --- output ----------------------------------------------------------------------------------

def table(summary: dict) -> list[str]:
    lines = ["| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors | 409 conflicts |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for ep, s in summary.items():
        lines.append(f"| {ep} | {s['n']} | {s['rps']:.1f} | {s['p50']:.0f} | {s['p95']:.0f} | "
                     f"{s['p99']:.0f} | {s['errors']} | {s['conflicts']} |")
    return lines


def print_summary(title: str, summary: dict) -> None:
    print(f"\n== {title}")
    print("\n".join(table(summary)))
    for ep, s in summary.items():
        for ex in s["examples"]:
            print(f"   error {ep}: {ex}")


def write_doc(body: str) -> None:
    block = f"{START}\n{body.rstrip()}\n{END}"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def rps(summary: dict, endpoint: str) -> float:
    return summary.get(endpoint, {}).get("rps", 0.0)


def errors_of(summary: dict) -> int:
    return sum(s["errors"] for s in summary.values())


# --- main ------------------------------------------------------------------------------------

async def run_load(setup: dict, app, base: str, quick: bool) -> dict:  # type: ignore[no-untyped-def]
    level_s = 15.0 if quick else 45.0
    sat_s = 8.0 if quick else 20.0
    sat_conc = 16
    contacts = [Contact(base, info, setup["round_id"]) for info in setup["contacts"]]
    reviewers = [Reviewer(base, email, setup["round_id"]) for email in setup["reviewers"]]
    results: dict = {"levels": {}, "saturation": {}, "level_s": level_s, "sat_s": sat_s,
                     "sat_conc": sat_conc}
    try:
        log(f"signing in {len(contacts)} contacts + {len(reviewers)} reviewers (paced)")
        t0 = time.time()
        await sign_in_everyone(contacts, reviewers, setup, limit=150)
        results["login_s"] = time.time() - t0
        log(f"signed in in {results['login_s']:.0f} s")

        # Warm-up: every contact loads its page once (templates, connection pools).
        await asyncio.gather(*(c.load_page(None) for c in contacts[:sat_conc]))

        for kind, name in (("halsa", "baseline /halsa"), ("page", "sub-goal page"),
                           ("save", "autosave")):
            log(f"saturation: {name}, {sat_conc} clients, {sat_s:.0f} s")
            results["saturation"][kind] = await saturation_phase(kind, contacts, base,
                                                                 sat_conc, sat_s)
            print_summary(f"saturation {name}", results["saturation"][kind])

        for users in LEVELS:
            if users == 200:
                log(f"level 50 users + report builds, {level_s:.0f} s")
                builder = ReportBuilder(app, setup["round_id"])
                builder.start()
                summary, elapsed = await level_phase(contacts, reviewers, 50, level_s)
                builder.stop_event.set()
                builder.join(timeout=30)
                results["report"] = {"summary": summary, "requested": builder.requested,
                                     "done": builder.done, "failed": builder.failed,
                                     "build_s": builder.build_seconds, "error": builder.error}
                print_summary("50 users + report builds", summary)
                print(f"   report builds: requested {builder.requested}, done {builder.done}, "
                      f"failed {builder.failed}, error {builder.error}")
                # Saturation of the page while a report builds, too.
                builder = ReportBuilder(app, setup["round_id"])
                builder.start()
                await asyncio.sleep(1)
                results["saturation"]["page+report"] = await saturation_phase(
                    "page", contacts, base, sat_conc, sat_s)
                builder.stop_event.set()
                builder.join(timeout=30)
                print_summary("saturation sub-goal page + report builds",
                              results["saturation"]["page+report"])
            log(f"level {users} users, {level_s:.0f} s")
            summary, elapsed = await level_phase(contacts, reviewers, users, level_s,
                                                 submit_share=0.15 if users == 200 else 0.0)
            results["levels"][users] = summary
            print_summary(f"{users} users", summary)
    finally:
        await asyncio.gather(*(c.client.aclose() for c in contacts),
                             *(r.client.aclose() for r in reviewers), return_exceptions=True)
    return results


def render(results: dict, setup: dict, command: str, started: str, wall: float) -> str:
    sat = results["saturation"]
    base = rps(sat["halsa"], "GET /halsa")
    page = rps(sat["page"], "GET sub-goal page")
    save = rps(sat["save"], "POST autosave")
    lv = results["levels"]
    err200 = errors_of(lv.get(200, {}))
    normal50 = lv.get(50, {})
    rep = results.get("report", {})
    rep50 = rep.get("summary", {})
    page_eps = ("GET sub-goal page", "GET overview", "POST autosave", "GET review overview")
    tot_normal = sum(rps(normal50, e) for e in page_eps)
    tot_report = sum(rps(rep50, e) for e in page_eps)
    report_ratio = tot_report / tot_normal if tot_normal else 0.0
    sat_page_rep = rps(sat.get("page+report", {}), "GET sub-goal page")
    targets = [
        ("sub-goal page ≥ 1/10 of /halsa (saturation req/s)", page / base if base else 0, 0.1,
         f"{page:.1f} / {base:.1f}"),
        ("autosave ≥ 1/5 of /halsa (saturation req/s)", save / base if base else 0, 0.2,
         f"{save:.1f} / {base:.1f}"),
        ("no error at 200 users", float(err200 == 0), 1.0, f"{err200} errors"),
        ("pages with report builds ≥ 0.8 × normal 50-user phase (req/s)", report_ratio, 0.8,
         f"{tot_report:.1f} / {tot_normal:.1f}"),
    ]
    out = []
    out.append("## Load test (`benches/load.py`)\n")
    out.append(f"- Date: {started} (wall time {wall/60:.1f} min)")
    out.append(f"- Command: `{command}`" + (" — **quick mode** (15 s levels)" if "--quick" in command else ""))
    out.append(f"- Machine: {os.cpu_count()} cores, "
               f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB RAM, "
               f"{platform.platform()}, Python {platform.python_version()}; PostgreSQL and Redis "
               "shared with other developers' test runs at the same time (noise possible); the "
               "load generator (one asyncio + httpx process) runs on the same 2 cores.")
    out.append(f"- Topology: gunicorn 4 sync workers (`webapp:create_app()`, "
               f"UPPFOLJNING_ENV=production), 1 Celery worker (`--pool solo`), own PostgreSQL "
               f"database, Redis db 9 (broker + rate limits). Demo seed + {len(setup['contacts'])} "
               f"extra contacts over 12 municipalities (one password hash reused) + "
               f"{len(setup['reviewers'])} reviewers; round 1 extended to all "
               f"{setup['n_sub_goals']} sub-goals so each virtual contact has its own answer "
               f"({setup['distinct_pairs']} distinct organisation × sub-goal pairs).")
    out.append(f"- Scenario per virtual contact: GET overview, GET its sub-goal page (csrf_token "
               f"and expected_version parsed), then an autosave POST every ~{AUTOSAVE_EVERY:.0f} s "
               f"(±0.5 s) with growing text and the returned version; at 200 users ~15 % end with "
               f"\"Spara och skicka in\". Arrivals are spread over the first "
               f"{min(10.0, results['level_s'] / 3):.0f} s of each level. "
               f"{len(setup['reviewers'])} reviewers GET "
               f"`/granskning/omgang/1` every ~2 s. Each level {results['level_s']:.0f} s. "
               f"Every person signed in once, paced at ~170/min "
               f"({results.get('login_s', 0):.0f} s).")
    out.append(f"- Ratios: the user levels are paced by think time, so their req/s is the offered "
               f"load, not capacity. The throughput targets therefore use saturation phases in "
               f"the same run: {results['sat_conc']} closed-loop clients, no think time, "
               f"{results['sat_s']:.0f} s each, for `/halsa`, the sub-goal page and autosave.")
    out.append("")
    out.append("### Saturation (same run)\n")
    for key, title in (("halsa", "baseline `/halsa`"), ("page", "sub-goal page GET"),
                       ("save", "autosave POST"), ("page+report", "sub-goal page GET while report builds run")):
        if key in sat:
            out.append(f"**{title}**\n")
            out.extend(table(sat[key]))
            cpu = next(iter(sat[key].values()), {}).get("client_cpu")
            if cpu is not None:
                out.append(f"\nLoad generator CPU during this phase: {cpu:.2f} core.")
            out.append("")
    for users in LEVELS:
        if users == 200 and rep50:
            out.append("### 50 users with report builds running\n")
            out.extend(table(rep50))
            out.append("")
            bs = rep.get("build_s") or []
            out.append(f"Report builds: requested {rep.get('requested')}, done {rep.get('done')}, "
                       f"failed {rep.get('failed')}"
                       + (f", median build {statistics.median(bs):.1f} s" if bs else "")
                       + (f"; builder error: {rep['error']}" if rep.get("error") else "") + ".\n")
        if users in lv:
            out.append(f"### {users} concurrent users\n")
            out.extend(table(lv[users]))
            out.append("")
    out.append("### Ratios and targets\n")
    out.append("| target | measured | ratio | threshold | result |")
    out.append("|---|---|---:|---:|---|")
    for name, value, threshold, detail in targets:
        out.append(f"| {name} | {detail} | {value:.3f} | {threshold:.2f} | "
                   f"{'PASS' if value >= threshold else 'FAIL'} |")
    if sat_page_rep and page:
        out.append(f"\nSub-goal page saturation throughput while reports build: "
                   f"{sat_page_rep:.1f} vs {page:.1f} req/s without (ratio "
                   f"{sat_page_rep / page:.2f}).")
    errs = []
    for label, summ in [*((f"{u} users", s) for u, s in lv.items()), ("50 users + report", rep50),
                        *((f"saturation {k}", s) for k, s in sat.items())]:
        for ep, s in summ.items():
            for ex in s["examples"]:
                errs.append(f"- {label}, {ep}: {ex}")
    if errs:
        out.append("\nErrors seen (first examples):\n")
        out.extend(errs[:20])
    results["targets"] = targets
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="15 s levels, 8 s saturation")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    command = ".venv/bin/python benches/load.py" + (" --quick" if args.quick else "")
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    t_start = time.time()
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    servers: Servers | None = None
    app = None
    try:
        r.flushdb()
        log(f"creating database {DB_NAME}")
        pg_exec(f'CREATE DATABASE "{DB_NAME}"')
        run_cli("db", "upgrade")
        run_cli("seed-demo")
        app = app_setup()
        import logging
        logging.getLogger("httpx").setLevel(logging.WARNING)
        setup = add_users_and_pairs(app)
        log(f"seeded: {len(setup['contacts'])} contacts, {setup['distinct_pairs']} pairs")
        servers = Servers()
        servers.start()
        base = f"http://{HOST}:{servers.port}"
        log(f"gunicorn on {base}, worker on queue {QUEUE}")
        results = asyncio.run(asyncio.wait_for(run_load(setup, app, base, args.quick),
                                               timeout=1500))
        body = render(results, setup, command, started, time.time() - t_start)
        print("\n" + body)
        for name, value, threshold, detail in results["targets"]:
            print(f"{'PASS' if value >= threshold else 'FAIL'}: {name} ({detail}, {value:.3f})")
        if not args.no_doc:
            write_doc(body)
            log(f"wrote {DOC.relative_to(ROOT)}")
        return 0
    finally:
        log("tearing down")
        if servers is not None:
            servers.stop()
            for name in ("gunicorn.out", "worker.out"):
                text = (servers.logs / name).read_text(errors="replace")
                bad = [ln for ln in text.splitlines() if "Traceback" in ln or "ERROR" in ln]
                if bad:
                    print(f"{name}: {len(bad)} error lines, last: {bad[-1][:200]}")
        if app is not None:
            from webapp.extensions import db
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        try:
            pg_exec(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        except Exception as error:  # noqa: BLE001
            print(f"could not drop {DB_NAME}: {error}")
        r.flushdb()
        shutil.rmtree(INSTANCE, ignore_errors=True)
        log("done")


if __name__ == "__main__":
    sys.exit(main())
