"""Personal data: privacy and accessibility statements, and the admin's tools for a person."""
from __future__ import annotations

import datetime as dt
import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from webapp import clock
from webapp.extensions import db
from webapp.forms.privacy import AnonymiseForm, ExportForm, PersonSearchForm
from webapp.models import Role, User
from webapp.security import public, roles_required
from webapp.services import privacy, region
from webapp.views.boundary import REFUSED, attempt

bp = Blueprint("privacy", __name__)

# The day the accessibility statement was last reviewed; change it with each new assessment.
ACCESSIBILITY_STATEMENT_DATE = dt.date(2026, 11, 23)


def _contacts() -> dict[str, object]:
    config = current_app.config
    return {
        "who": region.identity(),  # the responsible authority, from the plan file
        "dpo_email": config.get("PRIVACY_DPO_EMAIL", "dataskyddsombud@example.se"),
        "accessibility_email": config.get("ACCESSIBILITY_EMAIL", "uppfoljning@example.se"),
        "link_days": config.get("RETENTION_LINK_DAYS", 30),
        "session_days": config.get("RETENTION_SESSION_DAYS", 30),
    }


# --- Public statements ----------------------------------------------------------------------

@bp.route("/integritet")
@public
def privacy_statement():  # type: ignore[no-untyped-def]
    return render_template("privacy/privacy.html", **_contacts())


@bp.route("/tillganglighet")
@public
def accessibility_statement():  # type: ignore[no-untyped-def]
    return render_template("privacy/accessibility.html",
                           statement_date=ACCESSIBILITY_STATEMENT_DATE, **_contacts())


# --- The admin's tools for a person ---------------------------------------------------------

def _person(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    return user


@bp.route("/admin/personer")
@roles_required(Role.ADMIN)
def people():  # type: ignore[no-untyped-def]
    form = PersonSearchForm(request.args)
    query = (form.q.data or "").strip() if form.validate() else ""
    return render_template("privacy/people.html", form=form, query=query,
                           people=privacy.search_contacts(query))


def _person_page(user: User, anonymise_form: AnonymiseForm | None = None) -> str:
    return render_template("privacy/person.html", person=user,
                           data=privacy.person_data(user), export_form=ExportForm(),
                           anonymise_form=anonymise_form or AnonymiseForm(formdata=None))


@bp.route("/admin/personer/<int:user_id>")
@roles_required(Role.ADMIN)
def person(user_id: int):  # type: ignore[no-untyped-def]
    return _person_page(_person(user_id))


@bp.route("/admin/personer/<int:user_id>/export", methods=["POST"])
@roles_required(Role.ADMIN)
def export(user_id: int):  # type: ignore[no-untyped-def]
    user = _person(user_id)
    if not ExportForm().validate_on_submit():
        abort(400)
    data = attempt(lambda: privacy.export_person(current_user, user))
    if data is REFUSED:
        return redirect(url_for(".person", user_id=user.id))
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = make_response(body)
    response.mimetype = "application/json"
    response.charset = "utf-8"
    stamp = clock.local_now().strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="registerutdrag-{user.id}-{stamp}.json"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/personer/<int:user_id>/anonymisera", methods=["POST"])
@roles_required(Role.ADMIN)
def anonymise(user_id: int):  # type: ignore[no-untyped-def]
    user = _person(user_id)
    form = AnonymiseForm()
    if not form.validate_on_submit():
        return _person_page(user, form), 422
    if attempt(lambda: privacy.anonymise(current_user, user)) is REFUSED:
        return redirect(url_for(".person", user_id=user.id))
    flash("Kontaktpersonen är anonymiserad. Namn, e-postadress och telefonnummer är borttagna; "
          "svaren finns kvar.", "success")
    return redirect(url_for(".person", user_id=user.id))
