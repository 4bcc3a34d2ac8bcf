"""The plan file page: download the structure as YAML, upload an edited file to import it."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.forms.plan_file import PlanFileForm
from webapp.models import (
    ActionPlan,
    ActivityArea,
    FocusArea,
    Organisation,
    OrganisationKind,
    Question,
    Questionnaire,
    Role,
    SubGoal,
)
from webapp.models._types import local_today
from webapp.security import roles_required
from webapp.services import ServiceError, audit, plan_import
from webapp.services.plan_schema import PlanFileError
from webapp.views import boundary

bp = Blueprint("plan_file", __name__, url_prefix="/admin/struktur/fil")
log = logging.getLogger(__name__)


def _current_counts() -> list[tuple[str, int]]:
    """What the database holds now, so the admin sees what an import will meet."""
    def count(column, *where) -> int:  # type: ignore[no-untyped-def]
        return db.session.scalar(select(func.count(column)).where(*where)) or 0

    return [
        ("Länsdelar", count(Organisation.id, Organisation.kind == OrganisationKind.DISTRICT)),
        ("Kommuner", count(Organisation.id,
                           Organisation.kind == OrganisationKind.MUNICIPALITY)),
        ("Insatsområden", count(FocusArea.id)),
        ("Aktivitetsområden", count(ActivityArea.id)),
        ("Handlingsplaner", count(ActionPlan.id)),
        ("Delmål", count(SubGoal.id)),
        ("Standardfrågor", count(Question.id, Question.questionnaire_id.in_(
            select(Questionnaire.id).where(Questionnaire.is_template)))),
    ]


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def page():  # type: ignore[no-untyped-def]
    form = PlanFileForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        filename = (upload.filename or "planfil.yaml")[:200]
        try:
            result = plan_import.import_bytes(upload.read(), actor=current_user,
                                              source=filename)
        except PlanFileError as refusal:
            boundary.discard()
            problems = refusal.shown
            log.info("plan file %s refused for user %s: %d problems", filename,
                     current_user.id, len(refusal.problems))
        except ServiceError as refusal:
            boundary.discard()
            problems = [refusal.message]
        else:
            flash(result.summary(), "success")
            for notice in result.notices[:plan_import.MAX_NOTICES]:
                flash(notice, "info")
            return redirect(url_for(".page"))
    status = 422 if problems or form.errors else 200
    return render_template("plan_file/page.html", form=form, problems=problems,
                           counts=_current_counts()), status


@bp.route("/export.yaml")
@roles_required(Role.ADMIN)
def download():  # type: ignore[no-untyped-def]
    content = plan_import.export()
    audit.record(current_user, "plan.export", "plan_file", None)
    response = make_response(content.encode("utf-8"))
    response.headers["Content-Type"] = "application/yaml; charset=utf-8"
    filename = f"uppfoljning-struktur-{local_today().isoformat()}.yaml"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
