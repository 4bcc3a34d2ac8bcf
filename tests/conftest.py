"""Test tiers, one pytest marker each, given by the folder a test lives in:

- ``unit`` (tests/unit): pure code, no database server, no network; `make test-fast`
- ``integration`` (tests/integration): PostgreSQL, Redis, a real Celery worker
- ``e2e`` (tests/e2e): Chromium against the product on a database of its own
- ``checks`` (tests/checks): bandit, ruff, mypy (workflows), the compose file, import contracts
"""
from pathlib import Path

import pytest

TIERS = ("unit", "integration", "e2e", "checks")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in TIERS:
            item.add_marker(getattr(pytest.mark, folder))
