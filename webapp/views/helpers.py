from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from flask_babel import format_date, format_datetime

from webapp.workflows.review import NOT_STARTED_LABEL, ReviewState

T = TypeVar("T")


AUDIT_LABELS = {
    "answer.submit": "skickade in svaret",
    "answer.approve": "godkände svaret",
    "answer.return": "returnerade svaret",
    "answer.reopen": "öppnade svaret igen",
    "answer.reassign": "bytte granskare",
    "round.open": "öppnade omgången",
    "round.assignment_mode": "ändrade hur granskningen fördelas",
    "review.assignments": "ändrade fördelningen av granskningen",
    "audit.export": "exporterade loggen",
    "round.close": "stängde omgången",
    "round.deadline": "flyttade sista svarsdag",
    "round.opened_on_schedule": "omgången öppnades enligt schemat",
    "link.use": "loggade in med personlig länk",
    "link.revoke": "spärrade personliga länkar",
    "mail.resend": "skickade om e-post",
    "person.export": "tog ut ett registerutdrag",
    "person.anonymise": "anonymiserade en kontaktperson",
    "privacy.retention": "gallrade länkar och inloggningar",
    "user.disable": "inaktiverade ett konto",
    "user.enable": "aktiverade ett konto",
    "access.denied": "nekades åtkomst",
    "activity.save": "sparade en aktivitet",
    "round.texts": "skrev rapporttexterna",
    "report.template_upload": "laddade upp en rapportmall",
    "export.xlsx": "exporterade godkända svar (Excel)",
    "export.csv": "exporterade godkända svar (CSV)",
    "activity.remove": "tog bort en aktivitet ur omgången",
    "report.request": "beställde rapporten",
    "report.download": "laddade ner rapporten",
    "questionnaire.add": "lade till en fråga",
    "questionnaire.update": "ändrade en fråga",
    "questionnaire.move": "flyttade en fråga",
    "questionnaire.remove": "tog bort en fråga",
    "questionnaire.copy": "kopierade frågeformuläret",
    "plan.import": "läste in planfilen",
    "plan.export": "laddade ner planfilen",
}


def register(app: Flask) -> None:
    @app.template_filter("statelabel")
    def statelabel(value: str | None) -> str:
        try:
            return ReviewState(value).label if value else ""
        except ValueError:
            return value or ""

    @app.template_filter("handelse")
    def handelse(action: str) -> str:
        return AUDIT_LABELS.get(action, action)

    @app.template_filter("datum")
    def datum(value: dt.date | dt.datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return format_datetime(value, "yyyy-MM-dd 'kl.' HH:mm")
        return format_date(value, "yyyy-MM-dd")

    # A global, not a context processor: imported macros see globals only.
    app.jinja_env.globals["NOT_STARTED_LABEL"] = NOT_STARTED_LABEL
    from webapp.services.questionnaires import display_value, format_number, text_limit

    app.jinja_env.globals["display_value"] = display_value
    app.jinja_env.globals["text_limit"] = text_limit
    app.jinja_env.globals["format_number"] = format_number


class Refused:
    """What ``attempt`` returns when the service said no (its message is already flashed)."""


REFUSED = Refused()


def attempt(call: Callable[[], T]) -> T | Refused:
    """Run one service call for a view: commit if it succeeds; if it refuses, roll back and
    show its Swedish message. Enqueue Celery work only after this returns a result."""
    from flask import flash

    from webapp.extensions import db
    from webapp.services import ServiceError
    from webapp.workflows.review import InvalidTransition

    try:
        result = call()
    except (ServiceError, InvalidTransition) as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return REFUSED
    db.session.commit()
    return result


def enqueue_after_commit(task_name: str, row_id: int) -> None:
    """Send a Celery task for a committed row. If the broker is down the row stays as it is
    and beat's dispatcher or requeue finds it again: the database, not Redis, is the truth."""
    import logging

    from worker import tasks

    try:
        getattr(tasks, task_name).delay(row_id)
    except Exception:  # broker unreachable: picked up later from the database
        logging.getLogger(__name__).warning("could not enqueue %s(%s); the database keeps it",
                                            task_name, row_id, exc_info=True)
