"""Report jobs: request (admin), follow progress, download a stored version."""
from __future__ import annotations

import io

from flask import Blueprint, abort, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import undefer

from webapp.extensions import db
from webapp.forms.reports import report_scope_form
from webapp.models import ReportFile, ReportJob, Role, Round
from webapp.security import roles_required
from webapp.services import audit
from webapp.services import reports as report_service
from webapp.views.boundary import REFUSED, attempt, enqueue_after_commit

bp = Blueprint("reports", __name__, url_prefix="/rapporter")




@bp.route("/omgang/<int:round_id>", methods=["POST"])
@roles_required(Role.ADMIN)
def request_report(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    form = report_scope_form(rnd)
    from webapp.views.admin import round_page

    if not form.validate_on_submit():  # shown again, holding what was typed
        return round_page(rnd, report_form=form, status=422)
    job = attempt(lambda: report_service.request_report(
        current_user, rnd, form.registry_number.data,
        focus_area_ids=form.focus_areas.data or [],
        organisation_ids=form.organisations.data or [],
        include_provenance=bool(form.include_provenance.data)))
    if job is REFUSED:
        return round_page(rnd, report_form=form, status=422)
    enqueue_after_commit("build_report", job.id)
    return redirect(url_for(".job", job_id=job.id))


@bp.route("/<int:job_id>")
@roles_required(Role.ADMIN, readers=True)
def job(job_id: int):  # type: ignore[no-untyped-def]
    current = db.get_or_404(ReportJob, job_id)
    return render_template("reports/job.html", job=current,
                           number=report_service.number(current))


@bp.route("/<int:job_id>/status")
@roles_required(Role.ADMIN, readers=True)
def job_status(job_id: int):  # type: ignore[no-untyped-def]
    current = db.get_or_404(ReportJob, job_id)
    return {
        "state": current.state.value,
        "label": current.phase.label,
        "error": current.error,
        "download_url": url_for(".download", job_id=current.id) if current.file else None,
    }


@bp.route("/<int:job_id>/ladda-ner")
@roles_required(Role.ADMIN, readers=True)
def download(job_id: int):  # type: ignore[no-untyped-def]
    file = db.session.scalar(
        db.select(ReportFile).where(ReportFile.job_id == db.get_or_404(ReportJob, job_id).id)
        .options(undefer(ReportFile.content)))
    if file is None:
        abort(404)
    audit.record(current_user, "report.download", "report_job", job_id)

    response = send_file(io.BytesIO(file.content), as_attachment=True,
                         download_name=file.filename,
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "wordprocessingml.document")
    response.headers["Cache-Control"] = "no-store"
    return response
