"""Uppföljning: the annual follow-up of regional action plans."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from webapp import logs
from webapp.config import Config
from webapp.input import CleanInputRequest, DatabaseIdConverter


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    config.check()
    from webapp.views.boundary import BoundaryFlask

    app = BoundaryFlask(__name__, instance_path=config.INSTANCE_PATH)
    app.request_class = CleanInputRequest
    if config.TRUSTED_PROXY_HOPS:
        # Behind the compose proxy: the client's address (rate limits, logs) and the scheme
        # come from the proxies' X-Forwarded-For/-Proto, trusting exactly that many hops.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = config.TRUSTED_PROXY_HOPS
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    app.config.from_mapping(config.as_mapping())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _prepare_embedded_broker(app)
    logs.configure(config.LOG_FORMAT)
    logs.init_app(app)  # first: every later hook and log line has the request id
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def _prepare_embedded_broker(app: Flask) -> None:
    """kombu's filesystem transport needs its folders to exist before anyone publishes."""
    options = app.config["CELERY"].get("broker_transport_options", {})
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from webapp import models  # noqa: F401  (register the tables with the metadata)
    from webapp.celery_setup import celery_init_app
    from webapp.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=lambda: "sv",
                   timezone_selector=lambda: "Europe/Stockholm")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Logga in för att fortsätta."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):  # type: ignore[no-untyped-def]
        """Only a session the server still knows: signed out, disabled, idle or too old
        sessions end here, whatever the cookie says."""
        import datetime as dt

        from flask import session

        from webapp.services import auth

        sid = session.get("sid")
        if not sid or not user_id.isdigit():
            return None
        user_session = auth.current_session(
            sid, int(user_id),
            idle=dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]),
            absolute=dt.timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]))
        if user_session is None:
            session.clear()
            return None
        return user_session.user  # last_seen_at, touched, is committed with the request

    celery_init_app(app)


def register_blueprints(app: Flask) -> None:
    from webapp.views import (
        account,
        admin,
        auth,
        colleagues,
        contact_import,
        links,
        main,
        people,
        plan,
        plan_file,
        privacy,
        questionnaire,
        reports,
        respond,
        review,
    )

    for module in (auth, links, main, privacy, respond, review, admin, questionnaire, reports,
                   plan_file, plan, people, contact_import, account, colleagues):
        app.register_blueprint(module.bp)


def register_security_headers(app: Flask) -> None:
    from webapp.views.headers import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from webapp.views import boundary, errors

    errors.register(app)
    boundary.register(app)


def register_template_helpers(app: Flask) -> None:
    from webapp.views.helpers import register

    register(app)


def register_cli(app: Flask) -> None:
    from webapp.cli import register

    register(app)
