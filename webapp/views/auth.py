from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.forms.auth import EmptyForm, LoginForm
from webapp.models import User
from webapp.security import verify_password
from webapp.services import audit

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only the product's own paths: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/logga-in", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user and user.active and verify_password(user.password_hash, form.password.data or ""):
            login_user(user)
            audit.record(user, "auth.login", "user", user.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        if user is None:
            verify_password(None, form.password.data or "")
        audit.record(user, "auth.login_failed", "user", user.id if user else None)
        db.session.commit()
        flash("Fel e-postadress eller lösenord.", "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logga-ut", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        logout_user()
        flash("Du är utloggad.", "info")
    return redirect(url_for("auth.login"))
