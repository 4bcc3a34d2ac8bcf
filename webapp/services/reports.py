"""Report jobs: requested in the web, claimed and built by a Celery worker."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import (
    ReportFile,
    ReportJob,
    ReportJobState,
    ReportPhase,
    ReportTemplate,
    Role,
    Round,
    User,
)
from webapp.models._types import local_today, utcnow
from webapp.services import ServiceError, audit
from worker.report.data import ReportData

MAX_ATTEMPTS = 3
REGISTRY_NUMBER = re.compile(r"^[0-9A-Za-zÅÄÖåäö/\-. ]{1,40}$")


def request_report(actor: User, rnd: Round, registry_number: str | None, *,
                   focus_area_ids: list[int] | None = None,
                   organisation_ids: list[int] | None = None,
                   include_provenance: bool = False) -> ReportJob:
    """A new version of the round's report, for all of it or a chosen part, built with the
    active template. Two requests make two versions."""
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan beställa rapporten.")
    registry_number = (registry_number or "").strip() or None
    if registry_number and not REGISTRY_NUMBER.match(registry_number):
        raise ServiceError("Diarienumret får bara innehålla bokstäver, siffror, mellanslag "
                           "och tecknen / - . (högst 40 tecken).")
    focus_area_ids, organisation_ids = focus_area_ids or [], organisation_ids or []
    if not set(focus_area_ids) <= {sg.focus_area_id for sg in rnd.sub_goals}:
        raise ServiceError("Ett av de valda insatsområdena finns inte i omgången.")
    if not set(organisation_ids) <= {o.id for o in rnd.recipients}:
        raise ServiceError("En av de valda organisationerna svarar inte i omgången.")
    template = db.session.scalar(select(ReportTemplate).where(ReportTemplate.active.is_(True)))
    job = ReportJob(round_id=rnd.id, requested_by_id=actor.id, registry_number=registry_number,
                    focus_area_ids=",".join(map(str, sorted(focus_area_ids))),
                    organisation_ids=",".join(map(str, sorted(organisation_ids))),
                    include_provenance=include_provenance,
                    template_id=template.id if template else None)
    db.session.add(job)
    db.session.flush()
    audit.record(actor, "report.request", "report_job", job.id, round_id=rnd.id)
    return job


def claim(job_id: int) -> bool:
    """Move a pending job to running. Only one worker wins: the UPDATE is conditional."""
    result = db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.state == ReportJobState.PENDING)
        .values(state=ReportJobState.RUNNING, phase=ReportPhase.COLLECTING,
                started_at=utcnow(), attempts=ReportJob.attempts + 1)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _running(job_id: int) -> ReportJob:
    job = db.session.get(ReportJob, job_id)
    if job is None or job.state is not ReportJobState.RUNNING:
        raise ServiceError("Rapportjobbet är inte påbörjat.")
    return job


def collect_data(job_id: int) -> ReportData:
    """Phase 1: the approved material, as plain data; then the job says it is writing."""
    from worker.report.collect import collect

    job = _running(job_id)
    data = collect(job)
    job.phase = ReportPhase.WRITING
    db.session.flush()
    return data


def number(job: ReportJob) -> int:
    """The report's version as people see it, counted within its round: a new round's first
    report is version 1, whatever other rounds have built (the id counts across rounds)."""
    return db.session.scalar(select(func.count(ReportJob.id)).where(
        ReportJob.round_id == job.round_id, ReportJob.id <= job.id)) or 1


def write(job_id: int, data: ReportData) -> ReportFile:
    """Phase 2: the .docx from the data and the job's template, stored as this version."""
    # Imported here: the web process never needs python-docx loaded.
    from worker.report.builder import build_docx

    job = _running(job_id)
    template = job.template.content if job.template else None
    content = build_docx(data, template=template)
    file = ReportFile(
        job_id=job.id,
        filename=f"uppfoljning-handlingsplaner-{job.round.year}-v{number(job)}-"
                 f"{local_today().isoformat()}.docx",
        sha256=hashlib.sha256(content).hexdigest(), size=len(content), content=content,
    )
    db.session.add(file)
    job.state, job.phase = ReportJobState.DONE, ReportPhase.DONE
    job.finished_at = utcnow()
    db.session.flush()
    return file


def upload_template(actor: User, name: str, filename: str, content: bytes) -> ReportTemplate:
    """Keep a .docx template if it has every style the report needs, and make it the one used."""
    from worker.report.builder import clean_template, missing_styles

    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan ladda upp en rapportmall.")
    try:
        # Sizes checked before anything is unpacked; only what a template needs is kept.
        content = clean_template(content)
        missing = missing_styles(content)
    except ValueError as error:
        raise ServiceError(str(error)) from error
    if missing:
        raise ServiceError("Mallen saknar formatmallar som rapporten använder: "
                           + ", ".join(missing) + ". Lägg till dem i Word och försök igen.")
    db.session.execute(update(ReportTemplate).values(active=False))
    template = ReportTemplate(name=name.strip() or filename, filename=filename[:200],
                              content=content, sha256=hashlib.sha256(content).hexdigest(),
                              uploaded_by_id=actor.id, active=True)
    db.session.add(template)
    db.session.flush()
    audit.record(actor, "report.template_upload", "report_template", template.id)
    return template


def use_template(actor: User, template: ReportTemplate | None) -> None:
    """Make ``template`` the one new reports use (None: the built-in look)."""
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan välja rapportmall.")
    db.session.execute(update(ReportTemplate).values(active=False))
    if template is not None:
        template.active = True
    db.session.flush()


def fail(job_id: int, reason: str) -> None:
    job = db.session.get(ReportJob, job_id)
    if job is None:
        return
    job.state, job.phase = ReportJobState.FAILED, ReportPhase.FAILED
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
            job.state, job.phase = ReportJobState.FAILED, ReportPhase.FAILED
            job.error = "Rapporten kunde inte byggas efter flera försök."
            job.finished_at = now
        else:
            job.state, job.phase = ReportJobState.PENDING, ReportPhase.QUEUED
    db.session.flush()
    return list(db.session.scalars(select(ReportJob.id).where(
        ReportJob.state == ReportJobState.PENDING,
        (ReportJob.requested_at < now - pending_after) | ReportJob.id.in_(
            [j.id for j in stale_running]))))


def latest_done_by_round() -> dict[int, ReportJob]:
    """Each round's newest finished report: what the review pages offer to download (the
    read-only role reaches reports from there; only admins build them)."""
    jobs = db.session.scalars(select(ReportJob).where(ReportJob.state == ReportJobState.DONE)
                              .order_by(ReportJob.finished_at, ReportJob.id))
    return {job.round_id: job for job in jobs}
