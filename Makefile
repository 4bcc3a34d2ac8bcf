# The two commands of this project:
#   make run   – the product on its embedded default: SQLite, a Celery worker (with beat) on an
#                embedded broker, demo data, http://127.0.0.1:5000. Ctrl-C stops both.
#   make test  – installs everything and runs the whole test suite.
#   make compose-test – the production docker-compose.yml built, run, scaled and broken on this
#                machine (Docker engine and images from Debian's packages), then removed.
PYTHON ?= python3
VENV := .venv
PORT ?= 5000
export UPPFOLJNING_INSTANCE ?= $(CURDIR)/instance
export FLASK_APP := webapp

.PHONY: run test compose-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask seed-demo --if-empty
	$(VENV)/bin/honcho --procfile Procfile.dev start --port $(PORT)

# The browser the end-to-end tests (tests/e2e) drive: Debian's chromium, installed once.
.PHONY: test-browser
test-browser:
	bash scripts/install-test-browser.sh

test: $(VENV)/.installed test-browser
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# The production stack for real (scripts/compose-test.sh; see docs/operations.md). As root, or
# with Docker, docker-compose and debootstrap already installed.
compose-test: $(VENV)/.installed
	bash scripts/compose-test.sh
