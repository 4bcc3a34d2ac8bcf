# The two commands of this project:
#   make run   – the product on its embedded default: SQLite, a Celery worker (with beat) on an
#                embedded broker, demo data, http://127.0.0.1:5000. Ctrl-C stops both.
#   make test  – installs everything and runs the whole test suite (every tier below), with a
#                coverage summary of webapp and worker at the end.
# Test tiers (pytest markers, one folder each under tests/):
#   make test-fast         – unit: pure code (workflow, values, plan rules, report builder), seconds
#   make test-integration  – PostgreSQL, Redis and a real Celery worker
#   make test-e2e          – Chromium against the product on a database of its own
#   make test-checks       – bandit, ruff, mypy (workflows), the compose file, import contracts
#   make compose-test – the production docker-compose.yml built, run, scaled and broken on this
#                machine (Docker engine and images from Debian's packages), then removed.
PYTHON ?= python3
VENV := .venv
PORT ?= 5000
# The flask commands read it too: the seed's "Logga in på …" and `flask issue-link` print
# links to the port that is served.
export PORT
export UPPFOLJNING_INSTANCE ?= $(CURDIR)/instance
export FLASK_APP := webapp

.PHONY: run test test-fast test-integration test-e2e test-checks compose-test

$(VENV)/.installed: pyproject.toml
	@echo "Första gången: installerar Python-paketen i $(VENV) (några minuter; sker bara en gång)."
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	@echo "Installerar produktens beroenden (Flask, Celery, SQLAlchemy, ...) och testverktygen."
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@
	@echo "Installationen är klar."

run: $(VENV)/.installed
	@echo "Uppdaterar databasen i $(UPPFOLJNING_INSTANCE) ..."
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask seed-demo --if-empty
	@echo "Startar webben på http://127.0.0.1:$(PORT) och en Celery-worker. Ctrl-C stoppar båda."
	$(VENV)/bin/honcho --procfile Procfile.dev start --port $(PORT)

# The browser the end-to-end tests (tests/e2e) drive: Debian's chromium, installed once.
.PHONY: test-browser
test-browser:
	bash scripts/install-test-browser.sh

# Two processes (pytest-xdist), a module per process at a time: each has its own database,
# Celery queue and worker, and e2e server (named by process id).
XDIST ?= -n 2 --dist loadfile
# `make test` ends with a coverage summary of webapp and worker (files at 100 % left out);
# a report only, no threshold. `make test COVERAGE=` runs without it. The tiers below skip it.
COVERAGE ?= --cov --cov-report=term:skip-covered

test: $(VENV)/.installed test-browser
	$(VENV)/bin/python -m pytest $(XDIST) $(COVERAGE) $(PYTEST_ARGS)

test-fast: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m unit tests/unit $(PYTEST_ARGS)

test-integration: $(VENV)/.installed
	$(VENV)/bin/python -m pytest $(XDIST) -m integration tests/integration $(PYTEST_ARGS)

test-e2e: $(VENV)/.installed test-browser
	$(VENV)/bin/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

test-checks: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m checks tests/checks $(PYTEST_ARGS)

# The production stack for real (scripts/compose-test.sh; see docs/operations.md). As root, or
# with Docker, docker-compose and debootstrap already installed.
compose-test: $(VENV)/.installed
	bash scripts/compose-test.sh
