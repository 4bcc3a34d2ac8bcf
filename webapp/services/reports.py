"""Report jobs: requested in the web, claimed and built by a Celery worker."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import ReportFile, ReportJob, ReportJobState, Role, Round, User
from webapp.models._types import local_today, utcnow
from webapp.services import ServiceError, audit

MAX_ATTEMPTS = 3
REGISTRY_NUMBER = re.compile(r"^[0-9A-Za-zÅÄÖåäö/\-. ]{1,40}$")


def request_report(actor: User, rnd: Round, registry_number: str | None) -> ReportJob:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan beställa rapporten.")
    registry_number = (registry_number or "").strip() or None
    if registry_number and not REGISTRY_NUMBER.match(registry_number):
        raise ServiceError("Diarienumret får bara innehålla bokstäver, siffror, mellanslag "
                           "och tecknen / - . (högst 40 tecken).")
    job = ReportJob(round_id=rnd.id, requested_by_id=actor.id, registry_number=registry_number)
    db.session.add(job)
    db.session.flush()
    audit.record(actor, "report.request", "report_job", job.id, round_id=rnd.id)
    return job


def claim(job_id: int) -> bool:
    """Move a pending job to running. Only one worker wins: the UPDATE is conditional."""
    result = db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.state == ReportJobState.PENDING)
        .values(state=ReportJobState.RUNNING, started_at=utcnow(),
                attempts=ReportJob.attempts + 1)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def build(job_id: int) -> ReportFile:
    """Collect the approved answers of the job's round, build the .docx and store it."""
    # Imported here: the web process never needs python-docx loaded.
    from worker.report.builder import build_docx
    from worker.report.collect import collect

    job = db.session.get(ReportJob, job_id)
    if job is None or job.state is not ReportJobState.RUNNING:
        raise ServiceError("Rapportjobbet är inte påbörjat.")
    content = build_docx(collect(job))
    date = local_today()
    file = ReportFile(
        job_id=job.id,
        filename=f"uppfoljning-handlingsplaner-{job.round.year}-v{job.id}-{date.isoformat()}.docx",
        sha256=hashlib.sha256(content).hexdigest(), size=len(content), content=content,
    )
    db.session.add(file)
    job.state = ReportJobState.DONE
    job.finished_at = utcnow()
    db.session.flush()
    return file


def fail(job_id: int, reason: str) -> None:
    job = db.session.get(ReportJob, job_id)
    if job is None:
        return
    job.state = ReportJobState.FAILED
    job.finished_at = utcnow()
    job.error = reason[:2000]
    db.session.flush()


def release_stale(*, pending_after: dt.timedelta, running_after: dt.timedelta) -> list[int]:
    """Jobs whose Celery message was lost (pending too long) or whose worker died mid-build
    (running too long): hand them back for another try, or fail them after MAX_ATTEMPTS.
    Returns the ids to enqueue again; a duplicate message is harmless, claim() sees to that."""
    now = utcnow()
    stale_running = list(db.session.scalars(select(ReportJob).where(
        ReportJob.state == ReportJobState.RUNNING, ReportJob.started_at < now - running_after)))
    for job in stale_running:
        if job.attempts >= MAX_ATTEMPTS:
            job.state = ReportJobState.FAILED
            job.error = "Rapporten kunde inte byggas efter flera försök."
            job.finished_at = now
        else:
            job.state = ReportJobState.PENDING
    db.session.flush()
    return list(db.session.scalars(select(ReportJob.id).where(
        ReportJob.state == ReportJobState.PENDING,
        (ReportJob.requested_at < now - pending_after) | ReportJob.id.in_(
            [j.id for j in stale_running]))))
