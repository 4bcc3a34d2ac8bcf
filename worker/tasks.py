"""Thin Celery tasks: take ids, call a service, own the transaction."""
from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from webapp import clock
from webapp.extensions import db
from webapp.models import OutboxMessage
from webapp.services import mail, reports

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
    db.session.commit()  # others now see it running (collecting)
    try:
        data = reports.collect_data(job_id)
        db.session.commit()  # the page now says it is writing
        reports.write(job_id, data)
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


@shared_task(name="worker.tasks.dispatch_mail", ignore_result=True)
def dispatch_mail() -> None:
    """Beat: write what is due as outbox rows, then send them, from the database."""
    message_ids = mail.dispatch_due(clock.now())
    db.session.commit()
    for message_id in message_ids:
        send_mail.delay(message_id)


@shared_task(name="worker.tasks.send_mail", ignore_result=True)
def send_mail(message_id: int) -> None:
    if not mail.claim(message_id, clock.now()):
        db.session.rollback()
        return
    db.session.commit()
    try:
        rendered = mail.render(db.session.get(OutboxMessage, message_id))
        # The link in the mail must exist before the mail can arrive.
        db.session.commit()
        mail.deliver(rendered)
    except Exception as error:  # SMTP down, refused, timed out: try again later
        db.session.rollback()
        log.warning("mail %s not sent: %s", message_id, error)
        mail.mark_failed_attempt(message_id, f"{type(error).__name__}: {error}")
        db.session.commit()
        return
    mail.mark_sent(message_id)
    db.session.commit()


@shared_task(name="worker.tasks.apply_retention", ignore_result=True)
def apply_retention() -> None:
    """Beat: delete personal links and sessions that are no longer needed (GDPR retention)."""
    from flask import current_app

    from webapp.services import privacy

    config = current_app.config
    counts = privacy.apply_retention(clock.now(),
                                     link_days=int(config.get("RETENTION_LINK_DAYS", 30)),
                                     session_days=int(config.get("RETENTION_SESSION_DAYS", 30)))
    db.session.commit()
    log.info("retention: deleted %s", counts)
