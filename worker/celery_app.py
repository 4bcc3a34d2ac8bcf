"""Worker entry point: `celery -A worker.celery_app worker` / `... beat`.

The Flask app is created here, not in tasks.py, so tasks run in its app context (the official
Flask + Celery pattern) and importing the tasks module has no side effects.
"""
import logging

from celery.signals import after_setup_logger, after_setup_task_logger

from webapp import create_app, logs

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
app = celery_app  # `celery -A worker.celery_app` finds `app` or `celery_app`


@after_setup_logger.connect
@after_setup_task_logger.connect
def _json_logs(logger: logging.Logger, **_: object) -> None:
    """Celery replaces the app's log handlers with its own at start; in production (or with
    LOG_FORMAT=json) those write the same JSON lines as the web, with the task's name and id."""
    if flask_app.config["LOG_FORMAT"] == "json":
        logs.use_json(logger)
