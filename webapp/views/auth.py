"""Sign-in and sign-out. Staff: password, then a second factor (TOTP or a recovery code);
the first time, they set up their authenticator app. Contacts usually come by personal link."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import func, select

from webapp.extensions import db, limiter
from webapp.forms.auth import EmptyForm, LoginForm, SecondFactorForm
from webapp.models import User
from webapp.passwords import verify_password
from webapp.security import public, signed_in
from webapp.services import audit
from webapp.services import auth as auth_service

bp = Blueprint("auth", __name__)
PENDING = "pending_user"      # passed the password, not yet the second factor
PENDING_AT = "pending_at"
PENDING_SECRET = "pending_totp_secret"  # noqa: S105 (a session key's name)
PENDING_NEXT = "pending_next"
PENDING_SECONDS = 300


def _safe_next(target: str | None) -> str | None:
    """Only the product's own paths: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def finish_login(user: User, via: str, link_id: int | None = None) -> None:
    """A fresh session (no fixation), known to the server, for ``user``."""
    logout_user()
    session.clear()
    session["sid"] = auth_service.start_session(user, via, link_id)
    login_user(user)


def _pending_user() -> User | None:
    user_id, started = session.get(PENDING), session.get(PENDING_AT, 0)
    if not user_id or time.time() - started > PENDING_SECONDS:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def _login_key() -> str:
    """Per address and account: one office behind one NAT address does not lock itself out,
    and guessing one account's password is slowed wherever it comes from."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"login:{request.remote_addr}:{email}"


@bp.route("/logga-in", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute; 50 per hour", methods=["POST"], key_func=_login_key)
@limiter.limit("200 per minute", methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        # Always exactly one hash, whatever the account (unknown, disabled, no password):
        # the answer's timing must not tell them apart.
        password_ok = verify_password(user.password_hash if user else None,
                                      form.password.data or "")
        if user and user.active and password_ok:
            next_path = _safe_next(request.args.get("next"))
            if not user.role.is_staff:
                finish_login(user, "password")
                return redirect(next_path or url_for("main.home"))
            session.clear()
            session.update({PENDING: user.id, PENDING_AT: time.time(), PENDING_NEXT: next_path})
            return redirect(url_for(".second_factor" if user.totp_secret else ".enrol"))
        audit.record(None, "auth.login_failed", "user", user.id if user else None)
        flash("Fel e-postadress eller lösenord.", "error")
    return render_template("auth/login.html", form=form)


def _second_factor_key() -> str:
    return f"2fa:{session.get(PENDING, request.remote_addr)}"


@bp.route("/logga-in/kod", methods=["GET", "POST"])
@public
@limiter.limit("10 per 5 minutes", methods=["POST"], key_func=_second_factor_key)
def second_factor():  # type: ignore[no-untyped-def]
    user = _pending_user()
    if user is None or not user.totp_secret:
        flash("Logga in med e-post och lösenord först.", "info")
        return redirect(url_for(".login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if auth_service.verify_second_factor(user, form.code.data or ""):
            next_path = session.get(PENDING_NEXT)
            finish_login(user, "password")
            return redirect(next_path or url_for("main.home"))
        # The failed attempt is audited (committed with the request).
        flash("Koden stämmer inte. Skriv den sexsiffriga koden från appen, eller en "
              "reservkod.", "error")
    return render_template("auth/second_factor.html", form=form), 422 if form.errors else 200


@bp.route("/logga-in/aktivera", methods=["GET", "POST"])
@public
@limiter.limit("10 per 5 minutes", methods=["POST"], key_func=_second_factor_key)
def enrol():  # type: ignore[no-untyped-def]
    user = _pending_user()
    if user is None or user.totp_secret:
        return redirect(url_for(".login"))
    secret = session.setdefault(PENDING_SECRET, auth_service.new_totp_secret())
    form = SecondFactorForm()
    if form.validate_on_submit():
        codes = auth_service.confirm_enrolment(user, secret, form.code.data or "")
        if codes is not None:
            finish_login(user, "password")
            return render_template("auth/recovery_codes.html", codes=codes)
        flash("Koden stämmer inte. Kontrollera att appen visar koden för det här kontot.",
              "error")
    uri = auth_service.provisioning_uri(user, secret)
    # segno draws the URI as modules; the only text in the SVG is our constant title.
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="QR-kod för appen")
    qr = Markup(svg)  # noqa: S704
    return render_template("auth/enrol.html", form=form, secret=secret, qr=qr,
                           uri=uri), 422 if form.errors else 200


@bp.route("/logga-ut", methods=["POST"])
@signed_in
def logout():  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        if "sid" in session:
            auth_service.end_session(session["sid"])
            audit.record(current_user, "auth.logout", "user", current_user.id)
        logout_user()
        session.clear()
        flash("Du är utloggad.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/session/forlang", methods=["POST"])
@signed_in
def keep_alive():  # type: ignore[no-untyped-def]
    """The page's "Fortsätt vara inloggad" button and typing both land here (WCAG 2.2.1)."""
    # The session row's last_seen_at, touched when it was loaded, is committed with the request.
    return {"idle_seconds": current_app.config["SESSION_IDLE_MINUTES"] * 60}
