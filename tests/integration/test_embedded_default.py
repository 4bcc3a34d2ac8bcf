"""The README's run command on its embedded default (SQLite file, filesystem broker, a worker
with beat): a person can sign in, order the report over HTTP and download it; Ctrl-C stops
everything."""
from __future__ import annotations

import email
import email.policy
import http.cookiejar
import io
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import docx
import pytest

from tests.web import totp_code

PROJECT = Path(__file__).resolve().parents[2]
# Variables the integration session sets for its own app; the run command must not see them.
SERVICE_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_QUEUE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Visitor:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[str, bytes, str]:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.geturl(), response.read(), response.headers.get("Content-Type", "")

    def post(self, path: str, data: dict[str, str]) -> tuple[str, str]:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, data=body, timeout=20) as response:
            return response.geturl(), response.read().decode()


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture()
def running_product(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update({"PORT": str(port), "UPPFOLJNING_INSTANCE": str(tmp_path / "instance"),
                "DISPATCH_INTERVAL_SECONDS": "2"})
    env.pop("UPPFOLJNING_CLOCK_FILE", None)
    for name in ("SMTP_HOST", "SMTP_PORT"):
        env.pop(name, None)
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(["make", "run"], cwd=PROJECT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(base + "/halsa", timeout=2).read()
            if "ready." in log_path.read_text():
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"`make run` did not come up:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.5)
    yield base, process, tmp_path / "instance", log_path
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def test_run_command_serves_the_report_from_its_own_worker(running_product) -> None:
    base, process, instance, log_path = running_product
    assert (instance / "uppfoljning.sqlite").exists()
    visitor = Visitor(base)

    _, login_page, _ = visitor.get("/logga-in")
    url, page = visitor.post("/logga-in", {
        "csrf_token": csrf(login_page.decode()), "email": "admin@example.se",
        "password": "demo-losenord"})
    assert url.endswith("/logga-in/kod")  # staff: the second step
    url, page = visitor.post("/logga-in/kod", {"csrf_token": csrf(page), "code": totp_code()})
    assert url.endswith("/admin/") and "Uppföljningsomgångar" in page

    _, round_page, _ = visitor.get("/admin/omgang/1")
    url, job_page = visitor.post("/rapporter/omgang/1", {
        "csrf_token": csrf(round_page.decode()), "registry_number": "26RS0001"})
    assert "Rapporten byggs" in job_page
    job_path = urllib.parse.urlsplit(url).path

    deadline = time.monotonic() + 90
    while b"Ladda ner rapporten" not in visitor.get(job_path)[1]:
        assert time.monotonic() < deadline, log_path.read_text()[-4000:]
        time.sleep(0.5)
    _, content, content_type = visitor.get(f"{job_path}/ladda-ner")
    assert content_type.startswith("application/vnd.openxmlformats-officedocument")
    document = docx.Document(io.BytesIO(content))
    text = "\n".join(p.text for p in document.paragraphs)
    # The demo's approved answer is in; the demo's submitted and returned ones are not.
    assert "Örebro kommun har infört brukarråd" in text
    assert "Kumla kommun har utbildat personal" not in text
    assert "Fritidsgårdarna har haft öppet fler kvällar." not in text
    assert "Dnr: 26RS0001" in text

    # The schedule ran on the embedded broker: the demo round opened today, so each demo
    # contact got one invitation, written as a mail file since no SMTP server is configured.
    mail_folder = instance / "mail"
    deadline = time.monotonic() + 60
    def invitations() -> list[str]:
        found = []
        for path in mail_folder.glob("*.eml") if mail_folder.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["Subject"].startswith("Inbjudan"):
                found.append(message["To"])
        return found
    while len(invitations()) < 4:
        assert time.monotonic() < deadline, log_path.read_text()[-4000:]
        time.sleep(0.5)
    time.sleep(4)  # two more dispatcher runs send nothing again
    assert sorted(invitations()) == ["askersund@example.se", "hallsberg@example.se",
                                     "kumla@example.se", "orebro@example.se"]

    # Ctrl-C stops the web server and the worker.
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/halsa", timeout=2)
    leftovers = subprocess.run(["pgrep", "-f", str(instance)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "processes still running after Ctrl-C"
