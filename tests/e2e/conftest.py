"""End-to-end fixtures: the real app served by ``flask run`` on a free port, driven by a real
(headless) Chromium through Playwright.

Every test that opens a ``page`` starts from the demo data as seeded: the server's SQLite
database is copied back from a pristine copy first (SQLite's backup API, so the running
server's connections see the restored file), so no test depends on what another changed.
A module marked ``e2e_story`` is one story told in order: restored before its first test.

The browser is Debian's chromium at /usr/bin/chromium: Playwright's own browser download
cannot work on this project's machines. ``make test`` installs it first with
scripts/install-test-browser.sh.
"""
from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "demo-losenord"
# Set by other test sessions (integration tests, a developer's shell): the server under test
# must run the embedded default, on its own SQLite file, whatever the caller's environment.
CLEARED_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_QUEUE", "UPPFOLJNING_ENV",
               "SECRET_KEY", "SESSION_COOKIE_SECURE", "FLASK_APP", "FLASK_DEBUG")

# What the flask command is: the one beside the interpreter that runs the tests (.venv/bin).
FLASK = Path(sys.executable).parent / "flask"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVER_ENV: dict[str, str] = {}
# The live database and its copy as seeded (set by live_server).
DATABASES: dict[str, Path] = {}


def _copy_database(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def restore_database() -> None:
    """The live server's database back to the demo data as seeded, keeping the staff's
    signed-in sessions: they sign in once per run (see ``login``), as before."""
    live = DATABASES["live"]
    with closing(sqlite3.connect(live)) as db:
        cursor = db.execute(
            "SELECT s.* FROM user_session s JOIN user_account u ON u.id = s.user_id "
            "WHERE s.ended_at IS NULL AND u.role IN ('admin', 'reviewer', 'reader')")
        columns = [c[0] for c in cursor.description]
        staff_sessions = cursor.fetchall()
    _copy_database(DATABASES["pristine"], live)
    with closing(sqlite3.connect(live)) as db, db:
        db.executemany(f"INSERT INTO user_session ({', '.join(columns)}) "
                       f"VALUES ({', '.join('?' for _ in columns)})", staff_sessions)


def flask_command(*args: str) -> str:
    """Run a flask command against the live server's database; returns its output."""
    return _flask(*args, env=SERVER_ENV)


def _flask(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run([str(FLASK), "--app", "webapp", *args], cwd=PROJECT, env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"`flask --app webapp {' '.join(args)}` failed ({result.returncode}):\n"
                    f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The product on the embedded default (SQLite in a tmp dir), with the demo data.
    Returns its base URL. No worker: nothing here builds a report."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update(UPPFOLJNING_INSTANCE=str(instance), DEMO_PASSWORD=PASSWORD,
               PYTHONUNBUFFERED="1",
               # argon2's cheapest parameters for the seed and sign-ins; production refuses it.
               PASSWORD_HASHING="insecure-fast-for-tests")
    SERVER_ENV.update(env)
    _flask("db", "upgrade", env=env)
    _flask("seed-demo", env=env)
    DATABASES["live"] = instance / "uppfoljning.sqlite"
    DATABASES["pristine"] = instance / "seeded.sqlite"
    _copy_database(DATABASES["live"], DATABASES["pristine"])

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = instance / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(FLASK), "--app", "webapp", "run", "--host", "127.0.0.1", "--port", str(port),
             "--no-reload"],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{base_url}/halsa", timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"The web server did not answer GET /halsa on {base_url}:\n"
                                f"{log_path.read_text()[-3000:]}")
                time.sleep(0.1)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the end-to-end tests drive Debian's chromium. "
                    "Install it with `bash scripts/install-test-browser.sh` "
                    "(`make test` runs it first).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# The story module whose tests have run since the last restore, if any.
_STORY: dict[str, str | None] = {"module": None}


@pytest.fixture()
def page(browser: Browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context per test (no cookies carried over), on the live server,
    with the demo data as seeded: before each test, or, in a module marked ``e2e_story``
    (its tests one story in file order, each building on the last), before its first."""
    if request.node.get_closest_marker("e2e_story") is None:
        restore_database()
        _STORY["module"] = None
    elif _STORY["module"] != request.module.__name__:
        restore_database()
        _STORY["module"] = request.module.__name__
    context = browser.new_context(base_url=live_server, locale="sv-SE")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


# Staff sessions already signed in, by email. A TOTP code works once (replay protection), so
# the suite signs each staff member in once, like a person who stays signed in.
_STAFF_SESSIONS: dict[str, list] = {}


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in the way a person does: the form's labels, then the button; staff then type
    the code from their authenticator app."""
    if email in _STAFF_SESSIONS:
        page.context.add_cookies(_STAFF_SESSIONS[email])
        page.goto("/")
        expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
        return
    page.goto("/logga-in")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()
    if "/logga-in/kod" in page.url:
        from tests.web import totp_code

        page.get_by_label("Engångskod").fill(totp_code())
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_load_state()
        expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
        _STAFF_SESSIONS[email] = page.context.cookies()
        return
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()
