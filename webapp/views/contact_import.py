"""Contacts in bulk (Personer → Läs in från fil): upload → preview → confirm; and export."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, url_for
from flask_login import current_user

from webapp.forms.contact_import import ConfirmImportForm, ContactFileForm
from webapp.models import Role
from webapp.security import roles_required
from webapp.services import NotFound, ServiceError, contact_file, contact_import
from webapp.views.boundary import REFUSED, attempt

bp = Blueprint("contact_import", __name__, url_prefix="/admin/personer")
log = logging.getLogger(__name__)


def _limits() -> dict[str, object]:
    return {"max_rows": contact_file.ROWS_TEXT, "max_mb": contact_file.MAX_BYTES // 2**20}


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def upload():  # type: ignore[no-untyped-def]
    form = ContactFileForm()
    problem = None
    if form.validate_on_submit():
        upload_file = form.file.data
        filename = (upload_file.filename or "kontakter")[:200]
        try:
            # Reads and compares only: nothing is written until the admin confirms.
            result = contact_import.preview(current_user, upload_file.read(), filename,
                                            secret=current_app.config["SECRET_KEY"])
        except ServiceError as refusal:
            problem = refusal.message
            log.info("contact file %r refused for user %s: %s", filename, current_user.id,
                     refusal.message)
        else:
            return render_template("contact_import/preview.html", preview=result,
                                   form=ConfirmImportForm(token=result.token))
    status = 422 if problem or form.errors else 200
    return render_template("contact_import/upload.html", form=form, problem=problem,
                           **_limits()), status


@bp.route("/import/bekrafta", methods=["POST"])
@roles_required(Role.ADMIN)
def confirm():  # type: ignore[no-untyped-def]
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        return render_template("contact_import/upload.html", form=ContactFileForm(),
                               problem=contact_import.STALE_TOKEN, **_limits()), 422
    applied = attempt(lambda: contact_import.apply(current_user, form.token.data or "",
                                                   secret=current_app.config["SECRET_KEY"]))
    if applied is REFUSED:
        return redirect(url_for(".upload"))
    return redirect(url_for(".result", import_id=applied.event_id))


@bp.route("/import/<int:import_id>")
@roles_required(Role.ADMIN)
def result(import_id: int):  # type: ignore[no-untyped-def]
    try:
        done = contact_import.report(current_user, import_id)
    except NotFound:
        abort(404)
    return render_template("contact_import/result.html", done=done)


@bp.route("/export.<any(xlsx, csv):fmt>")
@roles_required(Role.ADMIN)
def export(fmt: str):  # type: ignore[no-untyped-def]
    exported = attempt(lambda: contact_import.export(current_user, fmt))
    if exported is REFUSED:
        return redirect(url_for(".upload"))
    content, mimetype, filename = exported
    response = make_response(content)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
