"""Logging: one line per record, JSON in production, readable text in development.

Every request gets an id (a sane incoming ``X-Request-ID`` is kept, so a proxy's id follows
the request through), returned in the ``X-Request-ID`` header and carried by every log record
written while the request runs. One access line per request says what was asked and how it
went, never with query strings, form data or the token in a personal link's path.

A small formatter of our own rather than python-json-logger: twenty lines, no dependency to
audit, and the fields are exactly the ones listed here.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import traceback
import uuid

from flask import Flask, Response, g, has_request_context, request
from werkzeug.routing import AnyConverter, IntegerConverter

ACCESS_LOGGER = "uppfoljning.access"
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# A path segment that could be a secret (personal link tokens are 43 URL-safe characters):
# used for paths that matched no route, where we cannot tell a token from a typo.
_SECRET_LOOKING = re.compile(r"[A-Za-z0-9_-]{20,}")
# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged as is.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "taskName"}
_OURS = "_uppfoljning_handler"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
                      .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = (g.get("request_id") if has_request_context() else None) or "-"
        return True


class _NoWerkzeugRequestLines(logging.Filter):
    """The development server logs each request with its full path (a personal link's token
    included); our access line replaces it. Its other messages (the address it runs on) stay."""

    _REQUEST_LINE = re.compile(r'^\S+ - - \[[^\]]*\] "')

    def filter(self, record: logging.LogRecord) -> bool:
        return not self._REQUEST_LINE.match(record.getMessage())


class TaskFilter(logging.Filter):
    """In the Celery worker: which task (name and id) wrote the line, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        from celery._state import get_current_task  # what Celery's own TaskFormatter uses

        task = get_current_task()
        if task is not None and task.request.id and not hasattr(record, "task_id"):
            record.task_id, record.task_name = task.request.id, task.name
        return True


def use_json(logger: logging.Logger) -> None:
    """Celery sets up its own handlers when the worker or beat starts; this makes them write
    our JSON lines (called from Celery's after_setup_logger signals in worker/celery_app.py)."""
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
        if not any(isinstance(f, TaskFilter) for f in handler.filters):
            handler.addFilter(TaskFilter())


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    setattr(handler, _OURS, True)
    return handler


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Our one handler on the root logger; calling again (another app in the same process)
    replaces it instead of doubling every line."""
    if log_format not in ("json", "text"):
        raise RuntimeError(f"LOG_FORMAT must be json or text, not {log_format!r}.")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    root.addHandler(make_handler(log_format))
    root.setLevel(level)
    # Alembic announces each autogenerate plugin it loads at INFO whenever Flask-Migrate's
    # commands are imported, i.e. on every `flask` command: noise to an operator.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, _NoWerkzeugRequestLines) for f in werkzeug.filters):
        werkzeug.addFilter(_NoWerkzeugRequestLines())


def loggable_path() -> str:
    """The path without its query string, with every free-text part of the route (a personal
    link's token) replaced by its name, e.g. ``/lank/<token>``; ids stay, they help."""
    rule = request.url_rule
    if rule is None:  # no route matched: hide anything long enough to be a token
        return _SECRET_LOOKING.sub("<redacted>", request.path)
    converters = rule._converters  # noqa: SLF001 (werkzeug's own map of argument -> converter)
    path = request.path
    for name, value in (request.view_args or {}).items():
        converter = converters.get(name)
        if converter is not None and not isinstance(converter, (IntegerConverter, AnyConverter)):
            path = path.replace(str(value), f"<{name}>")
    return path


def _signed_in_user_id() -> int | None:
    """Only if this request already loaded the user: asking now would be a query, and /healthz
    must never touch the database. Flask-Login keeps the loaded user in g._login_user."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return int(user.get_id())
    return None


def init_app(app: Flask) -> None:
    """Request ids and the access line. Registered before the other extensions, so the id
    exists before anything else runs (a rate-limit refusal is logged with it too)."""
    access = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        g.request_id = request_id
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration = (time.perf_counter() - started) * 1000 if started is not None else None
        path = loggable_path()
        access.info("%s %s %s", request.method, path, response.status_code, extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": round(duration, 1) if duration is not None else None,
            "user_id": _signed_in_user_id(),
        })
        return response
