from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_babel import format_date, format_datetime

from webapp.workflows.review import NOT_STARTED_LABEL


AUDIT_LABELS = {
    "answer.submit": "skickade in svaret",
    "answer.approve": "godkände svaret",
    "answer.return": "returnerade svaret",
    "answer.reopen": "öppnade svaret igen",
    "round.open": "öppnade omgången",
    "report.request": "beställde rapporten",
    "report.download": "laddade ner rapporten",
}


def register(app: Flask) -> None:
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
