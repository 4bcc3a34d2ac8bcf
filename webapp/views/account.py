"""The signed-in staff member's own account: change their password."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from webapp.extensions import limiter
from webapp.forms.auth import MIN_PASSWORD_LENGTH, ChangePasswordForm
from webapp.models import Role
from webapp.security import roles_required
from webapp.services import auth as auth_service
from webapp.views.boundary import REFUSED, attempt

bp = Blueprint("account", __name__, url_prefix="/konto")


def _password_key() -> str:
    """Per person: guessing the current password from a left-open session is slowed."""
    return f"password:{getattr(current_user, 'id', None) or request.remote_addr}"


@bp.route("/losenord", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.REVIEWER, Role.READER)
@limiter.limit("10 per 15 minutes", methods=["POST"], key_func=_password_key)
def password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        result = attempt(lambda: auth_service.change_password(
            current_user, form.current.data or "", form.new.data or "",
            keep_sid=session.get("sid")))
        if result is not REFUSED:
            flash("Lösenordet är bytt. Du är utloggad på andra enheter och webbläsare; där "
                  "loggar du in med det nya lösenordet och koden från appen.", "success")
            return redirect(url_for("main.home"))
        return render_template("account/password.html", form=form,
                               min_length=MIN_PASSWORD_LENGTH), 422
    return render_template("account/password.html", form=form,
                           min_length=MIN_PASSWORD_LENGTH), 422 if form.errors else 200
