"""The production docker-compose.yml, running: used over HTTPS through its proxy as people
would, scaled, and broken. Started by scripts/compose-test.sh (`make compose-test`), which
brings the stack up and sets the COMPOSE_* variables this module reads; the tests run in file
order and build on each other (one stack, one database).

People: `flask create-admin` makes the admin (who enrols TOTP on first sign-in, as a real
admin does); the reviewer and the contacts come from `flask seed-demo`, since the product has
no page to create them yet. The round, the invitation mail, the answer, the review and the
report are all done through the product over HTTP.
"""
from __future__ import annotations

import io
import json
import os
import re
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = [pytest.mark.compose, pytest.mark.timeout(900)]

BASE_URL = os.environ.get("COMPOSE_TEST_BASE_URL", "")
MAIL_URL = os.environ.get("COMPOSE_TEST_MAIL_URL", "")
if not BASE_URL or not MAIL_URL:
    pytest.skip(reason="needs the stack that scripts/compose-test.sh starts (make compose-test)",
                allow_module_level=True)

import docx  # noqa: E402
import httpx  # noqa: E402
import pyotp  # noqa: E402

from tests.web import checkboxes, forms  # noqa: E402
from webapp.services.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET  # noqa: E402

ADMIN_EMAIL = "drift@example.se"
ADMIN_PASSWORD = "compose-test-losenord"
ROUND = "Uppföljning 2027"
SUB_GOAL = "Delmål 5 – Sårbara barn får det stöd de behöver"
ANSWER = "Kumla har genomfört familjehemsutbildningen med 14 familjehem (svar genom compose)."


# --- helpers -------------------------------------------------------------------------------------


def compose(*args: str, check: bool = True, timeout: float = 300) -> str:
    """docker-compose on the test's stack (COMPOSE_FILE and COMPOSE_PROJECT_NAME come from
    the script's environment)."""
    result = subprocess.run(["docker-compose", *args], capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"docker-compose {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout


def container_ids(service: str) -> list[str]:
    return compose("ps", "-q", service).split()


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True,
                          timeout=120).stdout


def wait_for(condition: Callable[[], Any], seconds: float, what: str, every: float = 1.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(every)


def text_of(html_text: str) -> str:
    import html

    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html_text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


class Browser:
    """A person's browser over HTTPS through the proxy: cookies, forms with their CSRF token."""

    def __init__(self, ca: str) -> None:
        self.client = httpx.Client(base_url=BASE_URL, verify=ssl.create_default_context(cafile=ca),
                                   follow_redirects=True, timeout=30)
        self.page: httpx.Response | None = None
        self.url = "/"

    def get(self, url: str, expect: int = 200) -> httpx.Response:
        response = self.client.get(url)
        assert response.status_code == expect, (url, response.status_code, response.text[:500])
        self.page, self.url = response, response.url.path
        return response

    def submit(self, data: dict[str, Any], *, action: str | None = None,
               expect: int = 200) -> httpx.Response:
        assert self.page is not None
        page_forms = [f for f in forms(self.page.text) if f["fields"].get("csrf_token")]
        chosen = next((f for f in page_forms if action and f["action"] == action),
                      None) or page_forms[-1]
        response = self.client.post(chosen["action"] or self.url,
                                    data={**chosen["fields"], **data},
                                    headers=self._referer())
        assert response.status_code == expect, (chosen["action"], response.status_code,
                                                response.text[:2000])
        self.page, self.url = response, response.url.path
        return response

    def _referer(self) -> dict[str, str]:
        """What a browser sends as Referer under the page's Referrer-Policy (all same-origin
        here); Flask-WTF refuses a POST over https without one."""
        assert self.page is not None
        policy = self.page.headers.get("Referrer-Policy", "strict-origin-when-cross-origin")
        if policy == "no-referrer":
            return {}
        if policy in ("origin", "strict-origin"):
            return {"Referer": BASE_URL + "/"}
        return {"Referer": str(self.page.url)}

    def links(self, pattern: str) -> list[str]:
        assert self.page is not None
        return re.findall(f'href="({pattern})"', self.page.text)


def staff_login(b: Browser, email: str, password: str, secret: str) -> None:
    b.get("/logga-in")
    b.submit({"email": email, "password": password})
    assert b.url == "/logga-in/kod", b.url
    response = b.submit({"code": pyotp.TOTP(secret).now()})
    assert "Koden stämmer inte" not in response.text


def mails_to(address: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{MAIL_URL}/api/v1/messages", timeout=10) as response:
        listing = json.load(response)
    found = []
    for summary in listing["messages"]:
        if any(to["Address"] == address for to in summary["To"]):
            with urllib.request.urlopen(f"{MAIL_URL}/api/v1/message/{summary['ID']}",
                                        timeout=10) as response:
                found.append(json.load(response))
    return found


def request_report(admin: Browser, round_url: str, dnr: str) -> str:
    admin.get(round_url)
    action = re.search(r'action="(/rapporter/omgang/\d+)"', admin.page.text).group(1)
    response = admin.submit({"registry_number": dnr}, action=action)
    assert "Rapporten byggs" in text_of(response.text)
    return admin.url


def job_status(b: Browser, job_url: str) -> dict[str, Any]:
    return b.client.get(f"{job_url}/status").json()


def report_text(b: Browser, status: dict[str, Any]) -> str:
    download = b.client.get(status["download_url"])
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    return "\n".join(p.text for p in docx.Document(io.BytesIO(download.content)).paragraphs)


# --- the shared state of the run -----------------------------------------------------------------


class Run:
    ca: str
    admin: Browser
    reviewer: Browser
    round_url: str


RUN = Run()


@pytest.fixture(scope="module", autouse=True)
def stack(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Trust exactly the proxy's own local CA (Caddy makes it on its first start).
    root = "/data/caddy/pki/authorities/local/root.crt"
    ca = tmp_path_factory.mktemp("ca") / "caddy-root.crt"
    wait_for(lambda: subprocess.run(["docker-compose", "exec", "-T", "proxy", "test", "-s", root],
                                    capture_output=True).returncode == 0,
             60, "the proxy's local CA")
    ca.write_text(compose("exec", "-T", "proxy", "cat", root))
    RUN.ca = str(ca)


# --- 1. the product, used through the stack -------------------------------------------------------


def test_ready_through_the_proxy_over_https() -> None:
    client = httpx.Client(base_url=BASE_URL, verify=ssl.create_default_context(cafile=RUN.ca), timeout=10)

    def ready() -> bool:
        try:
            return client.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(ready, 180, "/readyz to answer 200 through the proxy")
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and set(body["checks"]) >= {"database", "broker"}
    # The session cookie is https-only behind the TLS proxy.
    page = client.get("/logga-in")
    assert page.status_code == 200
    cookie = page.headers.get("set-cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie, cookie


def test_people_are_created_with_the_operators_commands() -> None:
    compose("exec", "-T", "web", "flask", "seed-demo")
    out = compose("exec", "-T", "web", "flask", "create-admin", "--email", ADMIN_EMAIL,
                  "--name", "Driftansvarig", "--password", ADMIN_PASSWORD)
    assert ADMIN_EMAIL in out


def test_admin_enrols_totp_and_opens_a_round() -> None:
    admin = RUN.admin = Browser(RUN.ca)
    admin.get("/logga-in")
    admin.submit({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert admin.url == "/logga-in/aktivera", admin.url
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', admin.page.text).group(1)
    response = admin.submit({"code": pyotp.TOTP(secret).now()})
    assert "Koden stämmer inte" not in response.text

    page = admin.get("/admin/omgang/ny")
    sub_goals = checkboxes(page.text, "sub_goals")
    organisations = checkboxes(page.text, "organisations")
    response = admin.submit({
        "name": ROUND, "year": "2027",
        "deadline": time.strftime("%Y-%m-%d", time.localtime(time.time() + 20 * 86400)),
        "sub_goals": [next(v for k, v in sub_goals.items() if k.startswith(SUB_GOAL))],
        "organisations": [organisations["Kumla (kommun)"]],
    })
    assert f"Omgången {ROUND} är öppen." in text_of(response.text)
    RUN.round_url = admin.url


def test_contact_answers_through_the_link_in_the_mail_the_sink_received() -> None:
    def invitation() -> str | None:
        for mail in mails_to("kumla@example.se"):
            if mail["Subject"].startswith(f"Inbjudan: {ROUND}"):
                match = re.search(r"https://\S+/lank/[\w-]+", mail["Text"])
                assert match, mail["Text"]
                return match.group(0)
        return None

    # Beat hands the outbox to a worker every DISPATCH_INTERVAL_SECONDS (60 s by default).
    link = wait_for(invitation, 180, "the invitation to reach the mail sink", 3)
    assert link.startswith(BASE_URL + "/lank/"), link

    contact = Browser(RUN.ca)
    page = contact.get(link.removeprefix(BASE_URL))
    assert "Fortsätt" in page.text
    contact.submit({})
    answer_url = contact.links(r"/svar/omgang/\d+/organisation/\d+/delmal/\d+")[0]
    contact.get(answer_url)
    response = contact.submit({"text": ANSWER, "submit": "Spara och skicka in"})
    assert "är inskickat för granskning" in text_of(response.text)


def test_reviewer_approves() -> None:
    b = RUN.reviewer = Browser(RUN.ca)
    staff_login(b, "granskare@example.se", DEMO_PASSWORD, DEMO_TOTP_SECRET)
    rounds = b.get("/granskning/")
    round_link = next(link for link in b.links(r"/granskning/omgang/\d+")
                      if ROUND in rounds.text.split(link, 1)[1][:100])
    page = b.get(round_link)
    answer = re.search(r'href="(/granskning/svar/\d+)">(?:(?!</a>).)*– Kumla,', page.text,
                       flags=re.S).group(1)
    b.get(answer)
    response = b.submit({"approve": "Godkänn"}, action=b.url)
    assert "Svaret är godkänt." in text_of(response.text)


def test_admin_builds_the_report_and_downloads_it() -> None:
    admin = RUN.admin
    job_url = request_report(admin, RUN.round_url, "27RS0042")
    status = wait_for(lambda: (s := job_status(admin, job_url))["state"] in ("done", "failed")
                      and s, 120, "the worker to build the report", 0.5)
    assert status["state"] == "done", status
    text = report_text(admin, status)
    assert ANSWER in text and "Dnr: 27RS0042" in text


# --- 2. scaled out behind the proxy ---------------------------------------------------------------


def test_two_web_containers_behind_the_proxy_and_two_workers() -> None:
    compose("up", "-d", "--no-build", "--scale", "web=2", "--scale", "worker=2", timeout=600)
    webs, workers = container_ids("web"), container_ids("worker")
    assert (len(webs), len(workers), len(container_ids("beat"))) == (2, 2, 1)

    def healthy() -> bool:
        states = [docker("inspect", "-f", "{{.State.Health.Status}}", c).strip()
                  for c in webs + workers]
        return all(state == "healthy" for state in states)

    wait_for(healthy, 240, "both web and both worker containers to be healthy", 3)

    # Requests through the one proxy reach both web containers: each logs the request ids
    # of the requests it served.
    client = httpx.Client(base_url=BASE_URL, verify=ssl.create_default_context(cafile=RUN.ca), timeout=10)
    marker = f"compose-scale-{time.time_ns()}"
    for i in range(20):
        assert client.get("/readyz", headers={"X-Request-Id": f"{marker}-{i}"}).status_code == 200
    time.sleep(1)
    served = [docker("logs", c).count(marker) + _stderr_count(c, marker) for c in webs]
    assert all(n > 0 for n in served), served

    # The signed-in admin's session is in the database, so any web container serves it.
    for _ in range(6):
        assert RUN.admin.get(RUN.round_url).status_code == 200


def _stderr_count(container: str, marker: str) -> int:
    result = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
    return result.stderr.count(marker)


# --- 3. broken ------------------------------------------------------------------------------------


def test_postgres_restart_under_load_answers_503_naming_the_database_then_recovers() -> None:
    client = httpx.Client(base_url=BASE_URL, verify=ssl.create_default_context(cafile=RUN.ca), timeout=15)
    seen: list[tuple[int, str]] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():  # /readyz, and a signed-in page (which needs the database)
            for path in ("/readyz", RUN.round_url):
                try:
                    response = client.get(path) if path == "/readyz" else RUN.admin.client.get(path)
                    seen.append((response.status_code, path + " " + response.text[:3000]))
                except httpx.HTTPError as error:
                    seen.append((0, f"{path} {error!r}"))
            time.sleep(0.1)

    threads = [threading.Thread(target=load, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(2)
    compose("stop", "-t", "10", "db")
    time.sleep(5)
    compose("start", "db")
    wait_for(lambda: client.get("/readyz").status_code == 200, 120,
             "/readyz to answer 200 again after the database came back", 1)
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join(30)

    statuses = [s for s, _ in seen]
    assert 0 not in statuses, [t for s, t in seen if s == 0][:3]
    assert 500 not in statuses and 502 not in statuses, [t[:300] for s, t in seen if s >= 500][:3]
    down = [t for s, t in seen if s == 503 and t.startswith("/readyz")]
    assert down, "no 503 from /readyz while the database was stopped"
    assert all("database" in json.loads(t.split(" ", 1)[1])["failing"] for t in down), down[:2]
    pages_down = [t for s, t in seen if s == 503 and not t.startswith("/readyz")]
    assert pages_down and all("Tillfälligt otillgänglig" in t for t in pages_down), pages_down[:1]

    # Recovered: every web container's every gunicorn worker serves again (pool_pre_ping
    # replaces the dead connections), and the admin is still signed in (sessions live in the
    # database, which kept them).
    def recovered() -> bool:
        return all(RUN.admin.client.get(RUN.round_url).status_code == 200 and
                   client.get("/readyz").status_code == 200 for _ in range(10))

    wait_for(recovered, 60, "20 requests in a row to succeed after the restart", 1)
    assert ROUND in RUN.admin.get(RUN.round_url).text


def test_with_redis_stopped_pages_are_served_and_queued_work_is_picked_up_after() -> None:
    admin = RUN.admin
    compose("stop", "-t", "5", "redis")
    try:
        client = httpx.Client(base_url=BASE_URL, verify=ssl.create_default_context(cafile=RUN.ca), timeout=15)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "broker" in ready.json()["failing"], ready.text
        assert admin.get(RUN.round_url).status_code == 200
        job_url = request_report(admin, RUN.round_url, "27RS0043")
        time.sleep(3)
        assert job_status(admin, job_url)["state"] == "pending"
    finally:
        compose("start", "redis")
    # Beat finds the job still pending in the database and sends it again.
    status = wait_for(lambda: (s := job_status(admin, job_url))["state"] in ("done", "failed")
                      and s, 240, "the queued report to be built after Redis came back", 2)
    assert status["state"] == "done", status
    assert "Dnr: 27RS0043" in report_text(admin, status)
    assert client.get("/readyz").status_code == 200


def psql(sql: str) -> str:
    return compose("exec", "-T", "db", "psql", "-U", "uppfoljning", "-d", "uppfoljning",
                   "-tAc", sql).strip()


# Beat's requeue (worker/tasks.py) sends a job again once it has been *running* for ten
# minutes; the test does not wait ten minutes: it runs that same task in a web container with
# the cut-off at zero, the clock's worth of waiting skipped.
REQUEUE_NOW = (
    "import datetime as dt, worker.tasks as t; from worker.celery_app import flask_app; "
    "t.RUNNING_AFTER = dt.timedelta(0); "
    "ctx = flask_app.app_context(); ctx.push(); t.requeue_pending_report_jobs()"
)


def test_workers_killed_during_a_report_build_the_report_is_built_once() -> None:
    admin = RUN.admin
    for attempt in range(5):
        workers = container_ids("worker")
        job_url = request_report(admin, RUN.round_url, f"27RS01{attempt:02d}")
        job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
        status = wait_for(lambda url=job_url: (s := job_status(admin, url))["state"] != "pending"
                          and s,
                          60, "a worker to claim the report job", 0.01)
        if status["state"] == "running":
            # SIGKILL, no warm shutdown: whichever worker holds the build dies inside it.
            docker("kill", *workers)
            if job_status(admin, job_url)["state"] == "running":
                break
        # This small report was built before the kill landed: fresh workers (whose first
        # build is slower) and again.
        compose("up", "-d", "--no-build", "--scale", "web=2", "--scale", "worker=2", timeout=600)
    else:
        pytest.fail("five report builds each finished before the workers could be killed")
    time.sleep(1)
    assert job_status(admin, job_url)["state"] == "running", "the build was not interrupted"
    assert psql(f"select count(*) from report_file where job_id = {job_id}") == "0"

    compose("up", "-d", "--no-build", "--scale", "web=2", "--scale", "worker=2", timeout=600)
    compose("exec", "-T", "web", "python", "-c", REQUEUE_NOW)
    status = wait_for(lambda: (s := job_status(admin, job_url))["state"] in ("done", "failed")
                      and s, 180, "the killed build to be finished by a worker", 1)
    assert status["state"] == "done", status
    assert "Dnr: 27RS01" in report_text(admin, status)
    assert psql(f"select count(*) from report_file where job_id = {job_id}") == "1"
    assert psql(f"select attempts from report_job where id = {job_id}") == "2"
    assert psql("select count(*) from report_job where state = 'running'") == "0"
