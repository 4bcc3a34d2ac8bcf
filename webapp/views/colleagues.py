"""The unit's side of colleagues invited by main contacts: approve or refuse those waiting,
and the setting that makes them wait."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from webapp.forms.auth import EmptyForm
from webapp.forms.colleagues import ApprovalSettingForm
from webapp.models import Role
from webapp.security import roles_required
from webapp.services import colleagues
from webapp.views.boundary import REFUSED, attempt, enqueue_after_commit

bp = Blueprint("colleagues", __name__, url_prefix="/admin/personer/kollegor")


@bp.route("/")
@roles_required(Role.ADMIN)
def pending():  # type: ignore[no-untyped-def]
    setting = ApprovalSettingForm(need_approval=colleagues.invites_need_approval())
    return render_template("admin/people_pending.html", waiting=colleagues.pending(),
                           recent=colleagues.recent_invites(), setting_form=setting,
                           button=EmptyForm())


@bp.route("/installning", methods=["POST"])
@roles_required(Role.ADMIN)
def setting():  # type: ignore[no-untyped-def]
    form = ApprovalSettingForm()
    if not form.validate_on_submit():
        abort(400)
    on = bool(form.need_approval.data)
    if attempt(lambda: colleagues.set_invites_need_approval(current_user, on)) is not REFUSED:
        flash("Nya kollegor väntar nu på ert godkännande innan de får sin länk." if on else
              "Nya kollegor får sin länk direkt när huvudkontakten bjuder in dem.", "success")
    return redirect(url_for(".pending"))


@bp.route("/<int:user_id>/godkann", methods=["POST"])
@roles_required(Role.ADMIN)
def approve(user_id: int):  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        abort(400)
    approved = attempt(lambda: colleagues.approve(current_user, user_id))
    if approved is not REFUSED:
        for message_id in approved.mail_ids:
            enqueue_after_commit("send_mail", message_id)
        flash(f"{approved.user.name} är godkänd och får ett mejl med sin personliga länk.",
              "success")
    return redirect(url_for(".pending"))


@bp.route("/<int:user_id>/avsla", methods=["POST"])
@roles_required(Role.ADMIN)
def refuse(user_id: int):  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = attempt(lambda: colleagues.refuse(current_user, user_id))
    if name is not REFUSED:
        flash(f"Inbjudan av {name} är avslagen. Personen får inget mejl.", "success")
    return redirect(url_for(".pending"))
