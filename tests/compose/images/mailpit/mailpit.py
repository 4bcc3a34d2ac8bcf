#!/usr/bin/python3
"""A mail sink shaped like Mailpit, for the compose test: SMTP on :1025 keeps every message in
memory; HTTP on :8025 answers GET /readyz, /api/v1/messages and /api/v1/message/<ID> with the
fields of Mailpit's API that the test reads. `mailpit readyz` checks the HTTP side, like
Mailpit's own subcommand (the compose health check)."""
import email
import email.policy
import json
import sys
import threading
import time
import urllib.request
import uuid
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGES = []
LOCK = threading.Lock()


def addresses(value):
    return [{"Name": name, "Address": addr} for name, addr in getaddresses([value or ""])]


class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        with LOCK:
            MESSAGES.append({
                "ID": uuid.uuid4().hex,
                "From": addresses(msg["From"])[0] if msg["From"] else None,
                "To": addresses(msg["To"]),
                "Subject": str(msg["Subject"] or ""),
                "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "Text": text.get_content() if text is not None else "",
                "HTML": html.get_content() if html is not None else "",
            })
        return "250 Message accepted for delivery"


class Api(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        with LOCK:
            messages = list(MESSAGES)
        if path == "/readyz":
            self._json(200, {"status": "ok"})
        elif path == "/api/v1/messages":
            summary = [{k: m[k] for k in ("ID", "From", "To", "Subject", "Created")}
                       for m in reversed(messages)]  # newest first, like Mailpit
            self._json(200, {"total": len(messages), "messages": summary})
        elif path.startswith("/api/v1/message/"):
            wanted = path.rsplit("/", 1)[1]
            found = next((m for m in messages if m["ID"] == wanted), None)
            self._json(200, found) if found else self._json(404, {"error": "not found"})
        else:
            self._json(404, {"error": "not found"})


def serve():
    from aiosmtpd.controller import Controller

    controller = Controller(Sink(), hostname="0.0.0.0", port=1025)  # noqa: S104 (inside its container)
    controller.start()
    print("mailpit stand-in: SMTP on :1025, HTTP on :8025", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8025), Api).serve_forever()  # noqa: S104 (inside its container)


def readyz():
    try:
        with urllib.request.urlopen("http://127.0.0.1:8025/readyz", timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    if sys.argv[1:] == ["readyz"]:
        sys.exit(readyz())
    serve()
