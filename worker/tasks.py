"""Thin Celery tasks: take ids, call a service, own the transaction."""
from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from webapp.extensions import db
from webapp.services import reports

log = logging.getLogger(__name__)

# A job still pending after a minute lost its message; one running for ten minutes lost its
# worker. Both are sent again; claim() makes a duplicate message harmless.
PENDING_AFTER = dt.timedelta(minutes=1)
RUNNING_AFTER = dt.timedelta(minutes=10)


@shared_task(name="worker.tasks.build_report", ignore_result=True)
def build_report(job_id: int) -> None:
    if not reports.claim(job_id):
        db.session.rollback()
        log.info("report job %s already claimed or finished", job_id)
        return
    db.session.commit()  # others now see it running
    try:
        reports.build(job_id)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("report job %s failed", job_id)
        reports.fail(job_id, f"Rapporten kunde inte byggas: {type(error).__name__}.")
        db.session.commit()


@shared_task(name="worker.tasks.requeue_pending_report_jobs", ignore_result=True)
def requeue_pending_report_jobs() -> None:
    """Beat: find report jobs whose message was lost and send them again, from the database."""
    job_ids = reports.release_stale(pending_after=PENDING_AFTER, running_after=RUNNING_AFTER)
    db.session.commit()
    for job_id in job_ids:
        build_report.delay(job_id)
