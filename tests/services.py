"""Where the integration tests find PostgreSQL and Redis, and what to say when they can't."""
from __future__ import annotations

import os

import pytest

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start "
                  "(or set TEST_POSTGRES_URL)",
    "Redis": 'redis-server --daemonize yes --port 6379 --save "" (or set TEST_REDIS_URL)',
}


def require(service: str, error: Exception) -> None:
    """A missing service is a failure with directions, never a silent skip."""
    pytest.fail(f"{service} is not reachable ({error}). Start it: {HOW_TO_START[service]}",
                pytrace=False)


def sqlalchemy_url(libpq_url: str, database: str) -> str:
    base, _, _ = libpq_url.rpartition("/")
    return base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + database
