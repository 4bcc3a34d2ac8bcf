"""Hostile input into every form of the product, as each kind of person sees it.

For each role (signed out, contact, reviewer, admin) a crawler follows the product's own links
and collects every ``<form method="post">`` (plus the answer page's autosave, which posts the
same fields from script). Each field then gets every class of hostile value once (overlong,
control characters, markup, SQL, template syntax, right-to-left override, numbers out of range),
and each form is also posted with every field duplicated and with unknown extra fields. Every
post carries a valid CSRF token, so what is tested is the form, not the token check.

What a person would notice, asserted for every post:
- never a 5xx (no "Något gick fel" page, no stack trace);
- a refusal (4xx, or the page shown again with an error) says what is wrong in Swedish;
- a refused form shown again holds what was typed, exactly: every text field that got a
  hostile value and comes back on the page shows that value (less the control characters the
  product removes from all input on purpose, see webapp/input.py), never cut or changed;
- a refused request changes nothing in the database. "Nothing" is every row of every table,
  except what records that someone *tried*: the ``audit_event`` table (denials and failed
  sign-ins are audited on purpose) and ``user_session.last_seen_at`` (moves with every
  request). A session that starts or ends does count. Rate-limit counts live in the
  limiter's storage, not in the database.

An accepted request may change the database; the sweep then puts the database back exactly as
it was (every table, sessions included), so each post meets the same demo state: a hostile
value that was accepted does not turn every later post into a "not editable any more" refusal.
"""
from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import redis
from flask import Flask
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.web import Browser, text_of
from webapp.extensions import db
from webapp.views.errors import MESSAGES

# --- hostile values ---------------------------------------------------------------------------

HOSTILE: dict[str, list[str]] = {
    "overlong": ["Å" + "x" * 99_999],
    # All three in one value, so every field meets NUL (which PostgreSQL refuses) too.
    "control": ["före\x00mitt\x07klocka\x1b[31mröd"],
    "markup": ["<script>alert(1)</script>"],
    "sql": ["'; DROP TABLE answer; --"],
    "template": ["{{ 7*7 }} {% debug %}"],
    "rtl": ["\u202etxt.exe"],
    # 2**31 and 10**20 overflow PostgreSQL's integer; "²" is a digit to str.isdigit() but not
    # to int().
    "number": ["-1", str(10**20), "1e309", "NaN", "²"],
}
CLASSES = list(HOSTILE)

ROLES = {
    "anonymous": None,
    "contact": "kumla@example.se",
    "reviewer": "granskare@example.se",
    "admin": "admin@example.se",
}

# What records attempts, not outcomes (see the module docstring): the audit trail, and when
# each session was last seen. That a session starts or ends is not noise.
NOISE_TABLES = {"audit_event"}
NOISE_COLUMNS = {"user_session": {"last_seen_at"}}

# Markers of a refusal a person can read: a form error, an error flash, an error page.
ERROR_PAGE_TITLES = {title for title, _ in MESSAGES.values()}
ERROR_MARKERS = re.compile(
    # A hidden summary (the answer page keeps one for autosave's field errors) is no refusal.
    r'class="(?:error-summary|error-text|message message-error)"(?![^>]*\bhidden\b)'
    r'|class="conflict"[^>]*'
    r'role="alert"|<h1>(?:'
    + "|".join(map(re.escape, ERROR_PAGE_TITLES)) + ")</h1>")
SWEDISH = re.compile(r"[åäöÅÄÖ]|\b(?:och|att|är|inte|för|som|måste|kan|ett|en|minst|högst|"
                     r"fyll|välj|skriv|ange|tecken|finns|saknas|ogiltig)\b", re.I)
ENGLISH = re.compile(r"\b(?:the|this|field|is required|invalid|not a valid|must be|choice|"
                     r"please|between|characters? long|error|value)\b", re.I)


# --- reading forms the way a browser does ------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea", "select" or "button"
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    maxlength: int | None = None  # a browser cuts what is typed beyond it, without a word


@dataclass
class Form:
    page: str
    action: str
    enctype: str
    fields: list[Field]

    def field_names(self) -> list[str]:
        seen: list[str] = []
        for f in self.fields:
            if f.name not in seen and f.name != "csrf_token":
                seen.append(f.name)
        return seen

    def baseline(self) -> MultiDict:
        """What a browser sends when the form is submitted with its first button as it is."""
        data: MultiDict = MultiDict()
        button_sent = False
        for f in self.fields:
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    data.add(f.name, f.value or "on")
            elif f.kind in ("submit", "button"):
                if not button_sent:
                    data.add(f.name, f.value)
                    button_sent = True
            elif f.kind == "select":
                if f.value or f.options:
                    data.add(f.name, f.value if f.value else f.options[0])
            elif f.kind == "file":
                continue
            else:
                data.add(f.name, f.value)
        return data

    def key(self) -> tuple[str, tuple[str, ...]]:
        """Same form on another record (another answer, another user): the same form."""
        return re.sub(r"\d+", "N", self.action), tuple(sorted(self.field_names()))


def _maxlength(attrs: dict[str, str]) -> int | None:
    value = attrs.get("maxlength", "")
    return int(value) if value.isdigit() else None


class _FormParser(HTMLParser):
    """Links, and every POST form with its fields (the answer page's autosave included)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: list[Form] = []  # the open form, and its autosave twin if it has one
        self._select: Field | None = None
        self._textarea: Field | None = None

    def _add(self, f: Field) -> None:
        for form in self._form:
            form.fields.append(f)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = []
            if a.get("method", "get").lower() == "post":
                action = urljoin(self.page, a.get("action") or self.page)
                self._form.append(Form(self.page, action, a.get("enctype", ""), []))
                if a.get("data-autosave-url"):  # the same fields, posted by autosave.js
                    self._form.append(Form(self.page, urljoin(self.page,
                                                              a["data-autosave-url"]), "", []))
                self.forms.extend(self._form)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value = a.get("value", "")
        elif not self._form or not a.get("name"):
            return
        elif tag == "input":
            self._add(Field(a["name"], a.get("type", "text").lower(), a.get("value", ""),
                            "checked" in a, maxlength=_maxlength(a)))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._add(Field(a["name"], "button", a.get("value", "")))
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea", maxlength=_maxlength(a))
            self._add(self._textarea)
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._add(self._select)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            # Browsers read CR LF as one newline, and drop the one that follows <textarea>.
            self._textarea.value = self._textarea.value.replace("\r\n", "\n").removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = []


def parse(page: str, html_text: str) -> _FormParser:
    parser = _FormParser(page)
    parser.feed(html_text)
    return parser


# Not followed: downloads (not pages) and another site.
SKIP_LINK = re.compile(r"\.(?:csv|xlsx)$|/ladda-ner$|^/static/")
PAGES_PER_PATTERN = 4
MAX_PAGES = 120


def crawl(client: Any, start: list[str]) -> tuple[list[Form], int]:
    """Every POST form on the pages reachable from ``start`` by the product's own links (query
    strings dropped, at most four pages per URL pattern: answers in other states show other
    forms, a fifth answer page shows nothing new)."""
    queue, seen, per_pattern = list(start), set(), {}
    forms: dict[tuple, Form] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        pattern = re.sub(r"\d+", "N", url)
        per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
        if per_pattern[pattern] > PAGES_PER_PATTERN:
            continue
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.request.path
        parsed = parse(page, response.text)
        for form in parsed.forms:
            forms.setdefault(form.key(), form)
        for href in parsed.links:
            parts = urlsplit(urljoin(page, href))
            if parts.netloc or not parts.path.startswith("/") or SKIP_LINK.search(parts.path):
                continue
            if parts.path not in seen:
                queue.append(parts.path)
    return list(forms.values()), len(seen)


# --- the database, whole -------------------------------------------------------------------------

Snapshot = dict[str, list[tuple]]


class Database:
    """The whole database as the sweep compares it: one digest per table, computed by
    PostgreSQL in one query (md5 over every row in primary-key order), so a post costs one
    round trip to check; rows are fetched only for a table whose digest moved."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            self.tables = {t.name: t for t in db.metadata.sorted_tables}
        parts = []
        for name, table in self.tables.items():
            if name in NOISE_TABLES:
                continue
            columns = ", ".join(f't."{c.name}"' for c in self._columns(name))
            order = ", ".join(f't."{c.name}"' for c in table.primary_key.columns)
            parts.append(f"SELECT '{name}', md5(coalesce(string_agg(ROW({columns})::text, "
                         f"E'\\n' ORDER BY {order}), '')) FROM \"{name}\" t")
        self._digest_sql = text(" UNION ALL ".join(parts))
        self.digests = self.digest()
        self.rows = self.fetch(list(self.tables), with_noise=True)  # what restore puts back

    def _columns(self, name: str, with_noise: bool = False) -> list:
        skip = () if with_noise else NOISE_COLUMNS.get(name, ())
        return [c for c in self.tables[name].columns if c.name not in skip]

    def digest(self) -> dict[str, str]:
        with self.app.app_context(), db.engine.connect() as conn:
            return {name: digest for name, digest in conn.execute(self._digest_sql)}

    def fetch(self, names: list[str], with_noise: bool = False) -> Snapshot:
        with self.app.app_context(), db.engine.connect() as conn:
            return {name: [tuple(r) for r in conn.execute(
                select(*self._columns(name, with_noise))
                .order_by(*self.tables[name].primary_key.columns))] for name in names}

    def changed(self) -> list[str]:
        now = self.digest()
        return [name for name, digest in self.digests.items() if now[name] != digest]

    def differences(self, names: list[str]) -> list[str]:
        """What changed in these tables, in a few words and rows, for the failure message."""
        before = {name: self._plain(name) for name in names}
        after = self.fetch(names)
        out = []
        for name in names:
            # repr: rows may hold JSON values (dicts), which a set cannot hold as they are.
            old, new = set(map(repr, before[name])), set(map(repr, after[name]))
            gone, added = sorted(old - new, key=repr)[:2], sorted(new - old, key=repr)[:2]
            out.append(f"{name}: -{len(old - new)} +{len(new - old)} rows; "
                       f"was {_short(gone)}, now {_short(added)}")
        return out

    def _plain(self, name: str) -> list[tuple]:
        """The saved rows of ``name`` without the noise columns (as ``fetch`` returns them)."""
        keep = [i for i, c in enumerate(self.tables[name].columns)
                if c.name not in NOISE_COLUMNS.get(name, ())]
        return [tuple(row[i] for i in keep) for row in self.rows[name]]

    def restore(self, names: list[str]) -> None:
        """Put these tables back exactly as they were when the sweep began."""
        with self.app.app_context(), db.engine.begin() as conn:
            # Foreign keys (and their cascades) are triggers: off for this transaction (the
            # tests run as superuser), since every row goes back as it was.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for name in names:
                table = self.tables[name]
                conn.execute(table.delete())
                if self.rows[name]:
                    keys = [c.name for c in table.columns]
                    conn.execute(table.insert(), [dict(zip(keys, r)) for r in self.rows[name]])


def _short(rows: list[tuple]) -> str:
    return repr([tuple(v[:60] + "…" if isinstance(v, str) and len(v) > 60 else v for v in r)
                 for r in rows])[:400]


# --- posting ---------------------------------------------------------------------------------------


@dataclass
class Attempt:
    form: Form
    label: str  # which field got which class, e.g. "text=control"
    payload: MultiDict
    # The one field that got a hostile value, and the value (None: several fields changed).
    field: str | None = None
    typed: str | None = None


# Fields whose value a person types and expects to see again when the form is refused.
# (Passwords are never shown back; hidden fields, choices and files are not typed.)
TYPED_KINDS = {"text", "textarea", "search", "email", "url", "tel", "number", "date"}


def attempts(form: Form, offset: int) -> Iterator[Attempt]:
    """Each field gets every hostile value (each number fails a different parser, so all of
    them); then every field twice, and unknown extra fields."""
    base = form.baseline()
    kinds = {f.name: f.kind for f in form.fields}
    names = form.field_names()
    for name in names:
        for cls in CLASSES:
            for value in HOSTILE[cls]:
                payload = base.copy()
                payload.setlist(name, [_upload(value)] if kinds[name] == "file" else [value])
                yield Attempt(form, f"{name}={cls} {value[:12]!r}", payload,
                              field=name if kinds[name] in TYPED_KINDS else None,
                              typed=value)
    doubled = base.copy()
    for i, name in enumerate(names):
        if kinds[name] != "file":
            cls = CLASSES[(i + offset) % len(CLASSES)]
            doubled.add(name, HOSTILE[cls][0])
    yield Attempt(form, "every field twice", doubled)
    extra = base.copy()
    for key, value in (("role", "admin"), ("state", "approved"), ("is_admin", "1"),
                       ("organisation_id", str(10**20)), ("user_id", "-1"),
                       ("okänt_fält", HOSTILE["markup"][0]), ("version", "NaN")):
        extra.add(key, value)
    yield Attempt(form, "unknown extra fields", extra)


def _upload(value: str) -> tuple[io.BytesIO, str]:
    """A file field gets the hostile value as its file name and as its content."""
    return io.BytesIO(value.encode("utf-8", "surrogatepass")), value[:1000] + ".docx"


@dataclass
class Outcome:
    status: int
    refused: bool
    messages: list[str]
    body: str
    path: str  # where the browser ended up


def error_messages(response: TestResponse) -> list[str]:
    """The texts a person reads as "this did not work" on the page (or in autosave's JSON)."""
    if response.mimetype == "application/json":
        data = response.get_json(silent=True) or {}
        # Autosave names each refused field in "errors" (and saves the valid ones).
        return ([str(data[k]) for k in ("error", "message") if data.get(k)]
                + [str(m) for m in (data.get("errors") or {}).values()])
    html_text = response.text
    found = re.findall(r'<p class="error-text"[^>]*>(.*?)</p>', html_text, re.S)
    found += re.findall(r'<div class="message message-error"[^>]*>(.*?)</div>', html_text, re.S)
    summary = re.search(r'<div class="error-summary".*?</div>', html_text, re.S)
    if summary:
        found += re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)
    # The answer page's "someone else saved first" box: its heading and explanation (the
    # texts inside it are what people wrote, not messages).
    conflict = re.search(r'<section class="conflict"[^>]*role="alert">\s*<h2[^>]*>(.*?)</h2>'
                         r"\s*<p>(.*?)</p>", html_text, re.S)
    if conflict:
        found += [conflict.group(1), conflict.group(2)]
    page = re.search(r"<h1>(.*?)</h1>\s*<p>(.*?)</p>", html_text, re.S)
    if page and page.group(1) in ERROR_PAGE_TITLES:  # the error page
        found += [page.group(1), page.group(2)]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip() for m in found]


def post(client: Any, attempt: Attempt) -> Outcome:
    response = client.post(attempt.form.action, data=attempt.payload, follow_redirects=True)
    chain = [r.status_code for r in response.history] + [response.status_code]
    messages = error_messages(response)
    data = response.get_json(silent=True) if response.mimetype == "application/json" else None
    # An autosave that names refused fields in "errors" but saved the valid ones (200) is
    # partly accepted: its messages are checked, and it may change the database.
    json_error = data is not None and any((data or {}).get(k) for k in ("error", "message"))
    refused = (any(400 <= code < 500 for code in chain) or json_error
               or bool(ERROR_MARKERS.search(response.text)))
    return Outcome(max(chain), refused, messages, response.text, response.request.path)


def not_shown_back(attempt: Attempt, outcome: Outcome) -> list[str]:
    """A refused form shown again must hold the hostile value exactly as typed. Only pages
    that show the same field again count: a refusal that redirects to a page with a flash
    has no field to fill."""
    from webapp.input import clean

    if attempt.field is None or attempt.typed is None or outcome.body.startswith("{"):
        return []
    again = [f for form in parse(outcome.path, outcome.body).forms for f in form.fields
             if f.name == attempt.field and f.kind in TYPED_KINDS]
    if not again:
        return []
    expected = clean(attempt.typed)
    cut = [f.maxlength for f in again if f.maxlength is not None and len(expected) > f.maxlength]
    if cut:  # the server showed it whole, but the browser would cut it to maxlength
        return [f"the field has maxlength={cut[0]}: a browser cuts the {len(expected)} "
                "typed characters without a word"]
    if any(f.value == expected for f in again):
        return []
    shown = again[0].value
    return [f"shown back as {shown[:40]!r} ({len(shown)} characters), typed "
            f"{expected[:40]!r} ({len(expected)} characters)"]


def not_swedish(messages: list[str]) -> list[str]:
    """Messages that a Swedish reader would not read as Swedish (English ones, mainly)."""
    return [m for m in messages
            if m and (ENGLISH.search(m) or not SWEDISH.search(m))]


# --- the sweep ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="module")
def _keep_the_default_celery_app() -> Iterator[None]:
    """create_app() makes its Celery app the default one; other tests must get theirs back."""
    from celery import _state

    saved = (_state.default_app, _state._tls.current_app)
    yield
    _state.default_app, _state._tls.current_app = saved


@pytest.fixture(scope="module")
def sweep_app(app: Flask) -> Iterator[Flask]:
    """The demo data, seeded once for the sweeps (each sweep signs in afresh and compares
    against the database as it found it), served by an app whose Celery messages go to a
    queue of its own: an accepted report request or mail must not reach a worker another test
    started, which would change the database under the sweep's feet. The queue is emptied
    afterwards."""
    from webapp import create_app
    from webapp.config import Config
    from webapp.extensions import limiter
    from webapp.services import demo as demo_data

    with app.app_context():  # what the demo fixture does, once for the module
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        demo_data.seed()
        db.session.commit()
    config = Config()
    config.CELERY = {**config.CELERY,
                     "task_default_queue": f"uppfoljning-sweep-{os.getpid()}"}
    swept = create_app(config)
    swept.config["TESTING"] = True
    limiter.reset()
    yield swept
    try:
        swept.extensions["celery"].control.purge()
    except redis.RedisError as error:  # the queue dies with the test database anyway
        print(f"could not purge the sweep's queue: {error!r}")


def _session_cookie(client: Any) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def _put_session_cookie(client: Any, value: str | None) -> None:
    if value is None:
        client.delete_cookie("session")
    else:
        client.set_cookie("session", value)


def sweep(app: Flask, client: Any, forms: list[Form], role: str, *,
          signed_in: bool = True) -> None:
    from webapp.extensions import limiter

    assert forms, f"{role}: the crawl found no forms"
    started = time.monotonic()
    database = Database(app)
    cookie = _session_cookie(client)
    failures: list[str] = []
    counts = {"posts": 0, "refused": 0, "accepted": 0}
    for index, form in enumerate(forms):
        for attempt in attempts(form, index):
            limiter.reset()  # every hostile value reaches the form, not the rate limit
            outcome = post(client, attempt)
            counts["posts"] += 1
            changed = database.changed()
            where = f"{role}: POST {form.action} [{attempt.label}]"
            if signed_in and outcome.path == "/logga-in" and "/logga-ut" not in form.action:
                failures.append(f"{where}: the sweep lost its session (its own mistake)")
            elif "säkerhetstoken" in outcome.body:
                failures.append(f"{where}: CSRF refused (the sweep's own mistake)")
            elif HOSTILE["markup"][0] in outcome.body:
                failures.append(f"{where}: the markup came back unescaped")
            elif outcome.status >= 500:
                failures.append(f"{where}: {outcome.status} "
                                f"{text_of_body(outcome.body)[:200]}")
            elif outcome.refused:
                counts["refused"] += 1
                if not outcome.messages:
                    failures.append(f"{where}: refused ({outcome.status}) without a message")
                for message in not_swedish(outcome.messages):
                    failures.append(f"{where}: not Swedish: {message[:200]!r}")
                for change in database.differences(changed):
                    failures.append(f"{where}: refused, yet changed {change}")
                for problem in not_shown_back(attempt, outcome):
                    failures.append(f"{where}: the refused value was not kept: {problem}")
            else:
                counts["accepted"] += 1
                for message in not_swedish(outcome.messages):
                    failures.append(f"{where}: not Swedish: {message[:200]!r}")
            if changed:
                database.restore(changed)
            _put_session_cookie(client, cookie)
    took = time.monotonic() - started
    print(f"\n{role}: {len(forms)} forms, {counts['posts']} posts "
          f"({counts['refused']} refused, {counts['accepted']} accepted) in {took:.1f} s")
    for form in forms:
        print(f"  {form.action}  fields: {', '.join(form.field_names())}")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def text_of_body(body: str) -> str:
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def _signed_in(app: Flask, email: str) -> Browser:
    browser = Browser(app.test_client())
    browser.login(email)
    assert browser.url != "/logga-in", f"{email} could not sign in"
    return browser


def test_signed_out_forms(sweep_app: Flask) -> None:
    from webapp.models import Round, TokenPurpose, User
    from webapp.services import accounts, links

    with sweep_app.app_context():
        kumla = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
        token = links.issue(db.session.get(Round, 1), kumla)
        reviewer = db.session.scalar(select(User).where(User.email == "granskare@example.se"))
        account_token = accounts.issue_token(reviewer, TokenPurpose.PASSWORD_RESET)
        db.session.commit()
    client = sweep_app.test_client()
    forms, pages = crawl(client, ["/logga-in", "/lank/ny", f"/lank/{token}", "/integritet",
                                  "/tillganglighet", f"/konto/{account_token}"])
    assert {re.sub(r"/(lank|konto)/[A-Za-z0-9_-]{20,}$", r"/\1/<token>",
                   urlsplit(f.action).path)
            for f in forms} >= {"/logga-in", "/lank/ny", "/lank/<token>", "/glomt-losenord",
                                "/konto/<token>"}
    sweep(sweep_app, client, forms, "signed out", signed_in=False)


def test_second_factor_form(sweep_app: Flask) -> None:
    browser = Browser(sweep_app.test_client())
    browser.get("/logga-in")
    browser.submit({"email": "admin@example.se", "password": "demo-losenord"})
    assert browser.url == "/logga-in/kod"
    forms, _ = crawl(browser.client, ["/logga-in/kod"])
    forms = [f for f in forms if f.action.endswith("/logga-in/kod")]
    assert len(forms) == 1
    sweep(sweep_app, browser.client, forms, "second factor", signed_in=False)


def test_contact_forms(sweep_app: Flask) -> None:
    """Hallsberg has a draft (so "Kontrollera och skicka in" has its button) and, made here the
    way a contact makes one, an activity (so its edit and remove forms show)."""
    browser = _signed_in(sweep_app, "hallsberg@example.se")
    overview = browser.links(r"/svar/omgang/\d+/organisation/\d+")[0]
    browser.get(overview + "/aktiviteter/ny")
    sub_goal = re.search(r'name="sub_goals"[^>]*value="(\d+)"', browser.page.text).group(1)
    browser.submit({"name": "Brukarråd", "description": "Startade i mars.", "status": "ongoing",
                    "level": "", "sub_goals": sub_goal, "start_year": "2024", "end_year": ""})
    assert "Aktiviteten Brukarråd är sparad." in text_of(browser.page)
    forms, pages = crawl(browser.client, ["/"])
    actions = {re.sub(r"\d+", "N", f.action) for f in forms}
    assert {"/svar/omgang/N/organisation/N/kontrollera",
            "/svar/omgang/N/organisation/N/aktiviteter/N/ta-bort"} <= actions, actions
    print(f"\ncontact: crawled {pages} pages")
    sweep(sweep_app, browser.client, forms, "contact")


def test_main_contact_forms(sweep_app: Flask) -> None:
    """Kumla's contact as its main contact, with a colleague invited: the invite form and the
    sub-goal responsibility form."""
    from webapp.models import Organisation, User

    with sweep_app.app_context():
        kumla = db.session.scalar(select(Organisation).where(Organisation.name == "Kumla"))
        kumla.main_contact_id = db.session.scalar(
            select(User.id).where(User.email == "kumla@example.se"))
        db.session.commit()
    browser = _signed_in(sweep_app, "kumla@example.se")
    overview = browser.links(r"/svar/omgang/\d+/organisation/\d+")[0]
    browser.get(overview + "/kollegor")
    browser.submit({"name": "Kim Kollega", "email": "kim@kumla.example.se", "title": ""},
                   action=overview + "/kollegor/bjud-in")
    assert "Kim Kollega är inbjuden" in text_of(browser.page)
    forms, pages = crawl(browser.client, [overview + "/kollegor"])
    forms = [f for f in forms if "/kollegor/" in f.action]
    assert {re.sub(r"\d+", "N", f.action) for f in forms} == {
        "/svar/omgang/N/organisation/N/kollegor/bjud-in",
        "/svar/omgang/N/organisation/N/kollegor/ansvar"}
    sweep(sweep_app, browser.client, forms, "main contact")


def test_colleague_approval_forms(sweep_app: Flask) -> None:
    """The unit's approval page with one colleague waiting (approve, refuse, the setting)."""
    from webapp.models import AppSetting, Organisation, Role, User
    from webapp.models.people import COLLEAGUE_INVITES_NEED_APPROVAL

    with sweep_app.app_context():
        kumla = db.session.scalar(select(Organisation).where(Organisation.name == "Kumla"))
        db.session.merge(AppSetting(key=COLLEAGUE_INVITES_NEED_APPROVAL, value="1"))
        db.session.add(User(email="vanta@kumla.example.se", name="Vera Väntar",
                            role=Role.CONTACT, pending_approval=True, organisations=[kumla]))
        db.session.commit()
    browser = _signed_in(sweep_app, "admin@example.se")
    forms, _ = crawl(browser.client, ["/admin/personer/kollegor/"])
    forms = [f for f in forms if f.action.startswith("/admin/personer/kollegor/")]
    assert {re.sub(r"\d+", "N", f.action) for f in forms} == {
        "/admin/personer/kollegor/installning", "/admin/personer/kollegor/N/godkann",
        "/admin/personer/kollegor/N/avsla"}
    sweep(sweep_app, browser.client, forms, "colleague approval")


def test_withdraw_form(sweep_app: Flask) -> None:
    """Kumla's answer is submitted and not yet reviewed, so its page offers "Ta tillbaka"."""
    browser = _signed_in(sweep_app, "kumla@example.se")
    forms, pages = crawl(browser.client, ["/"])
    forms = [f for f in forms if f.action.endswith("/ta-tillbaka")]
    assert forms, f"no withdraw form on the {pages} pages crawled"
    sweep(sweep_app, browser.client, forms, "contact (withdraw)")


@pytest.mark.parametrize("role, email", [("reviewer", "granskare@example.se"),
                                         ("admin", "admin@example.se")])
def test_staff_forms(sweep_app: Flask, role: str, email: str) -> None:
    start = ["/"]
    if role == "admin":
        # The questionnaire designer has forms only while a round is scheduled: next year's
        # round gives it some, and the crawl starts there.
        from webapp.models import Role, Round, User
        from webapp.services import accounts, rounds

        with sweep_app.app_context():
            admin = db.session.scalar(select(User).where(User.email == email))
            upcoming = rounds.create_next_round(admin, db.session.get(Round, 1))
            # Under Personer: a staff member who has not yet chosen a password (so the page
            # offers a new invitation) and a contact's page; the crawl's page budget runs out
            # before it reaches them from "/".
            invited, _ = accounts.create_staff(admin, name="Ny Granskare",
                                               email="ny.granskare@example.se",
                                               role=Role.REVIEWER)
            kumla = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
            db.session.commit()
            start = [f"/admin/omgang/{upcoming.id}/formular/",
                     f"/admin/personal/{invited.id}", f"/admin/kontaktpersoner/{kumla.id}", "/"]
    browser = _signed_in(sweep_app, email)
    forms, pages = crawl(browser.client, start)
    actions = {re.sub(r"\d+", "N", f.action) for f in forms}
    assert "/konto/losenord" in {urlsplit(f.action).path for f in forms}, actions
    if role == "admin":
        assert {"/admin/omgang/N/formular/delmal/N/ny", "/admin/omgang/N/formular/fraga/N",
                "/admin/omgang/N/formular/fraga/N/ta-bort",
                "/admin/omgang/N/formular/kopiera", "/admin/personal/N/roll",
                "/admin/personal/N/inbjudan", "/admin/personal/N/tvastegsverifiering",
                "/admin/personal/N/inaktivera", "/admin/kontaktpersoner/N",
                "/admin/kontaktpersoner/N/flytta", "/admin/kontaktpersoner/N/inaktivera",
                "/admin/personal", "/admin/kontaktpersoner/organisation/N"} <= actions, actions
    print(f"\n{role}: crawled {pages} pages")
    sweep(sweep_app, browser.client, forms, role)


def test_a_stale_version_on_a_sub_goal_without_an_answer_says_why(demo: Flask) -> None:
    from tests.web import csrf_token

    browser = _signed_in(demo, "kumla@example.se")
    url = browser.links(r"/svar/omgang/\d+/organisation/\d+")[0] + "/delmal/2"
    page = browser.get(url)
    response = browser.client.post(url, data={
        "csrf_token": csrf_token(page), "text": "Vår text.", "expected_version": "3",
        "save": "Spara utkast"})
    assert response.status_code == 409
    assert error_messages(response), "a refused save must say why"


def test_control_characters_are_removed_and_the_rest_is_kept(demo: Flask) -> None:
    """What a person pasted is saved without the invisible control characters PostgreSQL and
    the Word report cannot hold; tabs, line breaks and every visible character stay."""
    from tests.web import csrf_token
    from webapp.models import Answer, Organisation, Submission

    browser = _signed_in(demo, "hallsberg@example.se")
    url = browser.links(r"/svar/omgang/\d+/organisation/\d+")[0] + "/delmal/1"
    page = browser.get(url)
    version = re.search(r'name="expected_version" type="hidden" value="(\d*)"', page.text)
    saved = browser.client.post(url + "/autospara", data={
        "csrf_token": csrf_token(page), "expected_version": version.group(1),
        "text": "Rad\x00 ett\x07\x1b[0m\tmed tabb\nRad två \u202e<b>åäö</b>\x0c"})
    assert saved.status_code == 200, saved.text
    with demo.app_context():
        text_now = db.session.scalar(select(Answer.text).join(Submission).join(Organisation)
                                     .where(Organisation.name == "Hallsberg",
                                            Answer.sub_goal_id == 1))
    assert text_now == "Rad ett[0m\tmed tabb\nRad två \u202e<b>åäö</b>"


def test_ids_beyond_the_database_integer_are_not_found(demo: Flask) -> None:
    """An id too large for PostgreSQL's integer in any route's address is a Swedish 404 page
    (or the 403 of a route that is not the admin's), never a 500."""
    from tests.web import csrf_token

    browser = _signed_in(demo, "admin@example.se")
    token = csrf_token(browser.page)
    checked = 0
    for rule in demo.url_map.iter_rules():
        ints = [n for n, c in rule._converters.items()  # noqa: SLF001
                if type(c).__name__ == "DatabaseIdConverter"]
        if not ints:
            continue
        for big in (2**31, 10**20):
            path = rule.rule
            for name, converter in rule._converters.items():  # noqa: SLF001
                value = str(big) if name in ints else sorted(getattr(converter, "items",
                                                                     ["x" * 43]))[0]
                path = re.sub(rf"<[^>]*:?{name}>", value, path)
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = (browser.client.get(path) if method == "GET"
                            else browser.client.post(path, data={"csrf_token": token}))
                checked += 1
                assert response.status_code in (403, 404), (method, path, response.status_code)
                assert "Sidan finns inte" in response.text or "Ingen behörighet" in response.text
    assert checked > 40


def test_an_odd_sub_goal_in_the_new_activity_address_is_ignored(demo: Flask) -> None:
    browser = _signed_in(demo, "kumla@example.se")
    overview = browser.links(r"/svar/omgang/\d+/organisation/\d+")[0]
    response = browser.client.get(overview + "/aktiviteter/ny?delmal=²")
    assert response.status_code == 200


def test_approve_selected_with_a_superscript_digit_is_refused_calmly(demo: Flask) -> None:
    """"²".isdigit() is true but int("²") raises: the bulk approval's "answer:version" values
    are checked as ASCII digits (the sweep's single values never had the colon)."""
    from tests.web import csrf_token

    browser = _signed_in(demo, "granskare@example.se")
    page = browser.get("/granskning/omgang/1")
    response = browser.client.post("/granskning/omgang/1/godkann-markerade", data={
        "csrf_token": csrf_token(page), "selected": ["²:1", "1:²"]}, follow_redirects=True)
    assert response.status_code == 200
    assert "Markera minst ett inskickat svar att godkänna." in text_of(response)
