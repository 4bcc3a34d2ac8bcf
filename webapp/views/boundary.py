"""One transaction per request, as indico's ``RH`` does it.

A view loads, authorizes, validates and calls a service; it never commits. When the view
returns a response below 400 the boundary commits once; Celery work the request queued is
sent after that commit (``webapp.services.jobs``), never before. A response of 400 or
more, a refusal or an exception rolls back everything the request wrote, unless the request
asked to ``keep`` a record of the refusal (an audited denial or failed sign-in).

Services raise ``ServiceError`` or ``InvalidTransition`` to say no; a view either catches the
refusal with ``attempt`` (and shows its page again) or lets it escape, and the error handler
shows the Swedish message.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, flash, g, redirect, request
from flask.typing import ResponseReturnValue

from webapp.extensions import db
from webapp.services import ServiceError, jobs
from webapp.workflows.review import InvalidTransition

T = TypeVar("T")
REFUSALS = (ServiceError, InvalidTransition)


class Refused:
    """What ``attempt`` returns when the service said no (its message is already flashed)."""


REFUSED = Refused()


class BoundaryFlask(Flask):
    """Flask with the request boundary: the view's response decides commit or roll back.

    The commit runs inside ``dispatch_request`` so that a failure there (a lost race, a
    database that went away) reaches the same error handlers as one raised by the view."""

    def dispatch_request(self) -> ResponseReturnValue:
        response = self.make_response(super().dispatch_request())
        if response.status_code < 400:
            commit()
        else:
            discard()
        return response


def attempt(call: Callable[[], T]) -> T | Refused:
    """Run one service call for a view. If it refuses, roll the request's work back and
    flash its Swedish message; the caller shows its page again."""
    try:
        return call()
    except REFUSALS as refusal:
        discard()
        flash(refusal.message, "error")
        return REFUSED


def enqueue_after_commit(task_name: str, row_id: int) -> None:
    """Queue Celery work for a row the request wrote: sent after the request's commit,
    dropped on a roll back (``webapp.services.jobs``), so it may be called before either."""
    jobs.send_after_commit(task_name, row_id)


def keep() -> None:
    """Commit what the session holds now even though the request ends in a refusal: the
    audit row of a denial or of a failed sign-in must outlive the request's roll back."""
    g.keep_through_refusal = True


def commit() -> None:
    """The request's one commit; Celery work queued by its services is sent after it."""
    db.session.commit()


def discard() -> None:
    """Roll back the request's work so far; nothing it queued for Celery is sent."""
    db.session.rollback()


def finish_refused() -> None:
    """For error handlers: the request ends in a refusal; keep only what it asked to keep."""
    if g.pop("keep_through_refusal", False):
        db.session.commit()
    else:
        db.session.rollback()


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    @app.errorhandler(InvalidTransition)
    def refused(refusal: ServiceError | InvalidTransition) -> Response:
        """A refusal no view caught: roll back, say why, and go back where the person was."""
        discard()
        flash(refusal.message, "error")
        return redirect(_back(), 303)


def _back() -> str:
    """The page the form was on (same site only), else the start page."""
    referrer = request.referrer
    if referrer:
        parts = urlsplit(referrer)
        if parts.netloc == request.host and parts.path.startswith("/"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"
