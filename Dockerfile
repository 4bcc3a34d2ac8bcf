# syntax=docker/dockerfile:1
# One image for every project service in docker-compose.yml: migrate, web, worker and beat
# differ only in their command.
#
# Install mode: the source lives in /app and is installed with `pip install -e .` (editable).
# The app finds its runtime files relative to the source tree, not to site-packages:
#   webapp/__init__.py              -> Path(__file__).parent.parent / "migrations"
#   webapp/services/plan_import.py  -> .../data/region-orebro-lan.yaml
# A plain `pip install .` would put webapp/ in site-packages, where ../migrations and ../data
# do not exist; the editable install keeps `import webapp` resolving to /app/webapp.
# BASE_IMAGE: any Debian-based image with Python 3.11 as `python` and `pip` on PATH.
# scripts/compose-test.sh builds on a local stand-in made from Debian's packages (no image
# registry is reachable there).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=webapp \
    UPPFOLJNING_INSTANCE=/tmp/uppfoljning

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a source edit does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself (everything .dockerignore lets through: webapp, worker, data, migrations, ...).
COPY . .
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# Root owns the code; the app only writes to its scratch instance dir under /tmp.
USER app

EXPOSE 8000

# No --access-logfile: the app logs each request itself (JSON, request id, no tokens).
CMD ["gunicorn", "--workers", "4", "--bind", "0.0.0.0:8000", "webapp:create_app()"]
