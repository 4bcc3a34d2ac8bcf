"""Readiness checks for /readyz: can this process reach what it needs to serve people?

Each check runs in a thread of its own and all of them together get at most
``TIMEOUT_SECONDS``: a black-holed database or Redis makes the probe answer "timeout" in time
instead of hanging the load balancer's request. The answer names the failing check in plain
words; the details (host names, driver messages) go to the log only, since /readyz is public.
"""
from __future__ import annotations

import contextvars
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from flask import Flask
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0
REDIS_SOCKET_TIMEOUT = 1.5


class CheckFailed(Exception):
    """A check's plain-words reason, safe to show to anyone."""


@dataclass
class Result:
    status: str  # "ok", "fel" or "ej kontrollerad"
    ms: float | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status}
        if self.ms is not None:
            out["ms"] = self.ms
        if self.reason:
            out["reason"] = self.reason
        return out


def _database(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
    except Exception as error:
        log.warning("readiness: database check failed: %r", error)
        raise CheckFailed("databasen svarar inte") from None


def _redis(url: str, what: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_SOCKET_TIMEOUT,
                                  socket_timeout=REDIS_SOCKET_TIMEOUT)
    try:
        client.ping()
    except Exception as error:
        log.warning("readiness: %s (Redis) check failed: %r", what, error)
        raise CheckFailed(f"{what}: Redis svarar inte") from None
    finally:
        client.close()


def _folder(path: str) -> None:
    """The embedded broker's folder: it must exist and take a new file (that is a publish)."""
    folder = Path(path)
    if not folder.is_dir():
        raise CheckFailed("kömappen saknas")
    try:
        fd, name = tempfile.mkstemp(prefix=".readyz-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as error:
        log.warning("readiness: broker folder %s not writable: %r", folder, error)
        raise CheckFailed("kömappen går inte att skriva i") from None


def checks_for(app: Flask, engine: Engine) -> dict[str, Callable[[], None] | None]:
    """name -> check; None means "nothing to check for this setting" (e.g. memory storage)."""
    celery = app.config["CELERY"]
    broker = str(celery["broker_url"])
    checks: dict[str, Callable[[], None] | None] = {"database": lambda: _database(engine)}
    if broker.startswith(("redis://", "rediss://")):
        checks["broker"] = lambda: _redis(broker, "kön")
    elif broker.startswith("filesystem://"):
        folder = celery["broker_transport_options"]["data_folder_in"]
        checks["broker"] = lambda: _folder(folder)
    else:
        checks["broker"] = None
    # Sign-in counts its attempts here; with the storage gone, sign-in cannot work.
    storage = str(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
    if storage.startswith(("redis://", "rediss://")):
        checks["ratelimit"] = lambda: _redis(storage, "inloggningsräknaren")
    return checks


def run(checks: dict[str, Callable[[], None] | None],
        timeout: float = TIMEOUT_SECONDS) -> dict[str, Result]:
    """Every check at once, in daemon threads; a check still running at the deadline fails
    as a timeout (its thread is left to finish on its own)."""
    results: dict[str, Result] = {}
    threads: dict[str, threading.Thread] = {}

    def runner(name: str, check: Callable[[], None]) -> None:
        started = time.perf_counter()
        try:
            check()
        except CheckFailed as failure:
            results[name] = Result("fel", reason=str(failure))
        except Exception as error:  # a bug in a check is a failed check, never a 500
            log.exception("readiness: check %s crashed", name)
            results[name] = Result("fel", reason=f"oväntat fel ({type(error).__name__})")
        else:
            results[name] = Result("ok", ms=round((time.perf_counter() - started) * 1000, 1))

    for name, check in checks.items():
        if check is None:
            results[name] = Result("ej kontrollerad")
            continue
        # In a copy of this context, so the check's log lines carry the request id.
        thread = threading.Thread(target=contextvars.copy_context().run,
                                  args=(runner, name, check), daemon=True,
                                  name=f"readyz-{name}")
        threads[name] = thread
        thread.start()
    deadline = time.monotonic() + timeout
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("readiness: check %s timed out after %.1f s", name, timeout)
            results[name] = Result("fel", reason=f"svarade inte inom {timeout:g} s")
    return {name: results[name] for name in checks}
