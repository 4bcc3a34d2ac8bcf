"""A small browser over Flask's test client: reads forms the way a person would fill them,
CSRF token included (CSRF stays on in the tests)."""
from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._current = {"action": a.get("action"), "fields": {}}
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and a.get("name"):
            if a.get("type") in ("checkbox", "radio", "submit"):
                return
            self._current["fields"][a["name"]] = a.get("value") or ""
        elif tag == "textarea" and self._current is not None and a.get("name"):
            self._textarea = a["name"]
            self._current["fields"][a["name"]] = ""
        elif tag == "select" and self._current is not None and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and self._current is not None:
            # Like a browser: the selected option, or else the first one.
            fields = self._current["fields"]
            if "selected" in a or self._select not in fields:
                fields[self._select] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self._current is not None:
            self._current["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            if self._textarea and self._current is not None:
                # Browsers drop the one newline that follows <textarea>.
                value = self._current["fields"][self._textarea]
                self._current["fields"][self._textarea] = value.removeprefix("\n").removeprefix("\r\n")
            self._textarea = None


def forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.page: TestResponse | None = None
        self.url: str = "/"

    def get(self, url: str, expect: int = 200) -> TestResponse:
        response = self.client.get(url, follow_redirects=True)
        assert response.status_code == expect, (url, response.status_code)
        self.page, self.url = response, response.request.path
        return response

    def submit(self, data: dict[str, Any], *, form_index: int = -1, action: str | None = None,
               expect: int | tuple[int, ...] = 200) -> TestResponse:
        """Fill the page's form (its hidden fields kept) with ``data`` and post it."""
        assert self.page is not None
        page_forms = [f for f in forms(self.page.text) if f["fields"].get("csrf_token")]
        chosen = next((f for f in page_forms if action and f["action"] == action),
                      None) or page_forms[form_index]
        payload = {**chosen["fields"], **data}
        target = chosen["action"] or self.url
        response = self.client.post(target, data=payload, follow_redirects=True)
        expected = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in expected, (target, response.status_code, response.text[:2000])
        self.page, self.url = response, response.request.path
        return response

    def login(self, email: str, password: str = "demo-losenord") -> TestResponse:
        """Sign in as a person would, with the authenticator app's code for staff."""
        self.client.get("/")  # reset
        self.get("/logga-in")
        response = self.submit({"email": email, "password": password})
        assert "Fel e-postadress" not in response.text
        if self.url == "/logga-in/kod":
            response = self.submit({"code": totp_code()})
            if "Koden stämmer inte" in response.text:
                # This person's code of this half-minute was used already (a code works
                # once): like a person, wait for the app's next code.
                time.sleep(30 - time.time() % 30 + 0.5)
                response = self.submit({"code": totp_code()})
            assert "Koden stämmer inte" not in response.text, "TOTP code refused"
        return response

    def logout(self) -> None:
        self.get("/")
        self.submit({}, action="/logga-ut")

    def links(self, pattern: str) -> list[str]:
        assert self.page is not None
        return re.findall(f'href="({pattern})"', self.page.text)


def text_of(response: TestResponse) -> str:
    """The page's visible text, roughly: tags removed, whitespace folded."""
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", response.text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)

    return re.sub(r"\s+", " ", html.unescape(text))


def checkboxes(html_text: str, name: str) -> dict[str, str]:
    """label text -> value of each checkbox called ``name``."""
    inputs = dict(re.findall(
        rf'<input[^>]*id="([^"]+)"[^>]*name="{name}"[^>]*value="([^"]*)"', html_text))
    labels = dict(re.findall(r'<label for="([^"]+)">(.*?)</label>', html_text, flags=re.S))
    return {html.unescape(labels[i]).strip(): v for i, v in inputs.items() if i in labels}


def csrf_token(response: TestResponse) -> str:
    """The page's CSRF token, as a person's browser would send it with any form."""
    return next(f["fields"]["csrf_token"] for f in forms(response.text)
                if f["fields"].get("csrf_token"))


def totp_code() -> str:
    import pyotp

    from webapp.services.demo import DEMO_TOTP_SECRET

    return pyotp.TOTP(DEMO_TOTP_SECRET).now()
