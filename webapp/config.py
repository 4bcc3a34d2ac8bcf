"""Settings from environment variables.

The defaults run the embedded setup: a SQLite file and kombu's filesystem transport, so a
fresh machine needs neither PostgreSQL nor Redis. Production sets DATABASE_URL and
CELERY_BROKER_URL (see docker-compose.yml).
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"

DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 (refused in production)


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    def __init__(self, **overrides: object) -> None:
        instance = Path(os.environ.get("UPPFOLJNING_INSTANCE", DEFAULT_INSTANCE))
        self.INSTANCE_PATH = str(instance)
        self.ENV_NAME = os.environ.get("UPPFOLJNING_ENV", "development")
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
        # Rotation: the new key signs, the old ones (comma-separated) are still accepted.
        self.SECRET_KEY_FALLBACKS = [k for k in os.environ.get(
            "SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]
        self.DEBUG = _bool("FLASK_DEBUG", False)
        self.SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
        self.SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
        self.RETENTION_LINK_DAYS = int(os.environ.get("RETENTION_LINK_DAYS", "30"))
        self.RETENTION_SESSION_DAYS = int(os.environ.get("RETENTION_SESSION_DAYS", "30"))
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'uppfoljning.sqlite'}"
        )
        # pre_ping: a restarted PostgreSQL must not fail the next request with a dead connection.
        # hide_parameters in production: a failed statement's log line must not carry what
        # people wrote (answers, names, addresses).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True,
                                          "hide_parameters": self.ENV_NAME == "production"}
        # One JSON object per log line in production (for a log collector), text otherwise.
        self.LOG_FORMAT = os.environ.get(
            "LOG_FORMAT", "json" if self.ENV_NAME == "production" else "text").strip().lower()
        self.WTF_CSRF_TIME_LIMIT = None  # a form left open for hours must still submit
        self.BABEL_DEFAULT_LOCALE = "sv"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # Set only where browsers reach the product over plain http (a closed trial): then a
        # Secure cookie would never be sent back. TLS ending at a proxy in front of the app is
        # no reason: the browser still speaks https, so the cookie must stay Secure.
        self.SERVED_OVER_PLAIN_HTTP = _bool("SERVED_OVER_PLAIN_HTTP", False)
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # How many reverse proxies in front set X-Forwarded-For/-Proto (0: none, the headers
        # are ignored; a client could forge them). The compose proxy is one.
        self.TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
        # One cap for every request body: a report template may carry a logo, and a contact
        # list to import may be a few MB. Larger bodies get the Swedish 413 page (see
        # docs/security.md, V5 file upload).
        self.MAX_CONTENT_LENGTH = 10 * 1024 * 1024
        # Empty: the report's author is the unit the plan file names.
        self.REPORT_AUTHOR = os.environ.get("REPORT_AUTHOR", "")
        # Mail: with no SMTP_HOST (the embedded default) mails are written as .eml files to
        # instance/mail/ instead of sent.
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "")
        self.SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
        self.SMTP_USER = os.environ.get("SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
        self.MAIL_FROM = os.environ.get("MAIL_FROM",
                                        "Uppföljning av handlingsplaner <noreply@example.se>")
        # Where the links in mails point (the address people reach the product at).
        # Without PUBLIC_URL, the address `make run` serves (its PORT), so links printed by
        # the CLI or mailed by the worker lead to this instance.
        self.PUBLIC_URL = os.environ.get(
            "PUBLIC_URL", f"http://127.0.0.1:{os.environ.get('PORT', '5000')}")
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        # With the shared storage (Redis) down, count in this process's memory instead of
        # failing every sign-in with a 500; the shared counts resume when Redis is back.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # Addresses printed on the privacy and accessibility statements.
        self.PRIVACY_DPO_EMAIL = os.environ.get("PRIVACY_DPO_EMAIL",
                                                "dataskyddsombud@example.se")
        self.ACCESSIBILITY_EMAIL = os.environ.get("ACCESSIBILITY_EMAIL",
                                                  "uppfoljning@example.se")
        # "argon2id" (the default) or "insecure-fast-for-tests" (argon2's cheapest parameters,
        # for test suites that seed and sign in hundreds of times); production refuses the latter.
        self.PASSWORD_HASHING = os.environ.get("PASSWORD_HASHING", "argon2id").strip()
        # Four-eyes rule: nobody approves an answer they wrote or edited.
        self.REVIEW_FOUR_EYES = _bool("REVIEW_FOUR_EYES", True)

        broker_dir = instance / "broker"
        broker_url = os.environ.get("CELERY_BROKER_URL", "filesystem://")
        celery: dict[str, object] = {
            "broker_url": broker_url,
            # The database is the truth about jobs; Celery results are never read.
            "task_ignore_result": True,
            "task_serializer": "json",
            "accept_content": ["json"],
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_default_queue": os.environ.get("CELERY_QUEUE", "uppfoljning"),
            "broker_connection_retry_on_startup": True,
            "timezone": "Europe/Stockholm",
            "beat_schedule": {
                "dispatch-mail": {
                    "task": "worker.tasks.dispatch_mail",
                    "schedule": float(os.environ.get("DISPATCH_INTERVAL_SECONDS", "60")),
                },
                "apply-retention": {
                    "task": "worker.tasks.apply_retention",
                    "schedule": 3600.0,
                },
                "requeue-pending-report-jobs": {
                    "task": "worker.tasks.requeue_pending_report_jobs",
                    "schedule": 60.0,
                },
            },
        }
        if broker_url.startswith(("redis://", "rediss://")):
            # An unacknowledged task (acks_late) goes back to the queue after this long if its
            # worker vanished; longer than any report build, shorter than people's patience.
            celery["broker_transport_options"] = {"visibility_timeout": 1800}
        if broker_url.startswith("filesystem://"):
            celery["broker_transport_options"] = {
                "data_folder_in": str(broker_dir),
                "data_folder_out": str(broker_dir),
                "processed_folder": str(broker_dir / "processed"),
                # Otherwise kombu writes its exchange table to ./control wherever it runs.
                "control_folder": str(broker_dir / "control"),
                "store_processed": False,
            }
        self.CELERY = celery
        self.BEAT_SCHEDULE_FILE = str(instance / "celerybeat-schedule")
        for key, value in overrides.items():
            setattr(self, key, value)

    @property
    def is_production(self) -> bool:
        return self.ENV_NAME == "production"

    def check(self) -> None:
        """Refuse to run in production on development defaults."""
        if self.PASSWORD_HASHING not in ("argon2id", "insecure-fast-for-tests"):
            raise RuntimeError(f"PASSWORD_HASHING={self.PASSWORD_HASHING!r} is unknown: "
                               "use argon2id.")
        if not self.is_production:
            return
        if self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of at least 32 "
                               "characters in production (UPPFOLJNING_ENV=production).")
        if self.DEBUG:
            raise RuntimeError("FLASK_DEBUG must be off in production.")
        if DEV_SECRET_KEY in self.SECRET_KEY_FALLBACKS:
            raise RuntimeError("The development key may not be a SECRET_KEY_FALLBACKS entry.")
        if self.PASSWORD_HASHING != "argon2id":  # noqa: S105 (an algorithm's name)
            raise RuntimeError("PASSWORD_HASHING must be argon2id in production: the test "
                               "profile's hashes are cheap to crack.")
        if not self.SESSION_COOKIE_SECURE and not self.SERVED_OVER_PLAIN_HTTP:
            raise RuntimeError(
                "SESSION_COOKIE_SECURE=1 must be set in production, so the session cookie is "
                "sent over https only (also when TLS ends at a proxy in front of the app). If "
                "browsers really reach this deployment over plain http, say so with "
                "SERVED_OVER_PLAIN_HTTP=1.")

    def as_mapping(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}
