"""Celery work a use case asks for is sent only after the transaction that wrote its row
commits, so a worker never looks for a row that is not there yet, and a rolled-back request
sends nothing. Whoever owns the transaction (the request boundary, a task, the CLI) just
commits: the hook below does the sending."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from webapp.extensions import db

log = logging.getLogger(__name__)
PENDING = "celery_after_commit"


def send_after_commit(task_name: str, row_id: int) -> None:
    """Queue ``worker.tasks.<task_name>(row_id)`` for after the current transaction commits."""
    session = db.session()  # the request's or task's own session, not the scoped proxy
    if not session.in_transaction():  # the work belongs to a transaction: its fate decides
        session.begin()
    session.info.setdefault(PENDING, []).append((task_name, row_id))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    for task_name, row_id in session.info.pop(PENDING, []):
        _send(task_name, row_id)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    # A savepoint rolled back inside a use case keeps the outer transaction's work queued.
    if not previous_transaction.nested:
        session.info.pop(PENDING, None)


def _send(task_name: str, row_id: int) -> None:
    """By name, so nothing here imports the worker. If the broker is down the row stays as it
    is and beat's dispatcher or requeue finds it again: the database, not Redis, is the truth."""
    try:
        # This app's Celery, not celery's "current" one: several apps may live in one process.
        current_app.extensions["celery"].send_task(f"worker.tasks.{task_name}", args=[row_id])
    except Exception:  # broker unreachable: picked up later from the database
        log.warning("could not enqueue %s(%s); the database keeps it", task_name, row_id,
                    exc_info=True)
