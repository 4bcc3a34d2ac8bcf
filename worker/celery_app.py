"""Worker entry point: `celery -A worker.celery_app worker` / `... beat`.

The Flask app is created here, not in tasks.py, so tasks run in its app context (the official
Flask + Celery pattern) and importing the tasks module has no side effects.
"""
from webapp import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
app = celery_app  # `celery -A worker.celery_app` finds `app` or `celery_app`
