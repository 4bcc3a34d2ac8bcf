"""Swedish error pages; a database hiccup shows a calm page, never a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from webapp.extensions import login_manager
from webapp.views import boundary

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Felaktig begäran", "Sidan kunde inte visas eftersom begäran var ofullständig."),
    403: ("Ingen behörighet", "Du har inte behörighet att se den här sidan."),
    404: ("Sidan finns inte", "Sidan finns inte, eller så har du inte tillgång till den."),
    405: ("Otillåten metod", "Det går inte att göra så på den här sidan."),
    413: ("För stor", "Det du skickade var för stort."),
    429: ("För många försök", "Du har gjort för många försök på kort tid. Vänta en stund och "
          "försök igen."),
    500: ("Något gick fel", "Ett oväntat fel inträffade. Inget av det du redan sparat har "
          "gått förlorat. Försök igen om en stund."),
    503: ("Tillfälligt otillgänglig", "Tjänsten är tillfälligt otillgänglig. Det du redan "
          "sparat finns kvar. Försök igen om en stund."),
}


def _page(code: int, detail: str | None = None, *,
          database_down: bool = False) -> tuple[str, int]:
    title, text = MESSAGES.get(code, MESSAGES[500])
    # With the database down the page must not ask who is signed in (that is a query too).
    return render_template("errors/error.html", code=code, title=title,
                           text=detail or text, database_down=database_down), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return _page(400, "Formuläret kunde inte skickas eftersom säkerhetstoken saknades "
                          "eller var ogiltig. Gå tillbaka, ladda om sidan och försök igen.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        try:
            boundary.finish_refused()  # an audited denial is kept; the view's work is not
        except SQLAlchemyError:
            return _database_down()
        if error.code == 413:
            limit = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
            return _page(413, f"Det du skickade var för stort: högst {limit} MB får skickas "
                              "på en gång. Gå tillbaka och välj en mindre fil.")
        return _page(error.code or 500)

    # A stopped or restarting database shows up as any of these, depending on when the
    # connection went: each gets the calm 503 page.
    for database_error in (OperationalError, InterfaceError, PendingRollbackError):
        app.register_error_handler(database_error, lambda error: _database_down(logged=True))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error")
        try:
            boundary.discard()
        except SQLAlchemyError:
            return _database_down()
        try:
            return _page(500)
        except SQLAlchemyError:  # the page asked who is signed in, and the database is gone
            return _database_down()


def _database_down(*, logged: bool = False) -> tuple[str, int]:
    if logged:
        log.exception("database unavailable")
    try:
        boundary.discard()
    except SQLAlchemyError:
        pass  # the connection is gone; the pool replaces it on the next request
    # Flask-Login's template context loads the user, which is a query: treat this request as
    # anonymous so the page can be drawn without the database.
    g._login_user = login_manager.anonymous_user()
    return _page(503, database_down=True)
