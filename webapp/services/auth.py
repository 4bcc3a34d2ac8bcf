"""Sign-in: server-side sessions and the staff's second factor (TOTP with recovery codes)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from webapp import clock
from webapp.extensions import db
from webapp.models import PersonalLink, RecoveryCode, RoundStatus, User, UserSession
from webapp.services import audit

RECOVERY_CODES = 10
# last_seen_at is written at most this often: a request does not cost a write each time.
TOUCH_EVERY = dt.timedelta(seconds=60)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(user: User, via: str, link_id: int | None = None) -> str:
    """A new server-side session; returns the random id for the cookie (only its hash is kept).
    ``link_id``: the personal link it was opened with, which it lives no longer than."""
    sid = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(UserSession(id=_digest(sid), user_id=user.id, via=via, created_at=now,
                               last_seen_at=now, link_id=link_id))
    audit.record(user, f"auth.login.{via}", "user", user.id)
    db.session.flush()
    return sid


def end_session(sid: str) -> None:
    db.session.execute(update(UserSession).where(
        UserSession.id == _digest(sid), UserSession.ended_at.is_(None))
        .values(ended_at=clock.now()))


def end_all_sessions(user: User) -> None:
    db.session.execute(update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=clock.now()))


def end_other_sessions(user: User, keep_sid: str | None) -> None:
    """Every live session of ``user`` except the one behind ``keep_sid`` (the cookie's id)."""
    query = update(UserSession).where(UserSession.user_id == user.id,
                                      UserSession.ended_at.is_(None))
    if keep_sid:
        query = query.where(UserSession.id != _digest(keep_sid))
    db.session.execute(query.values(ended_at=clock.now()))


def change_password(user: User, current: str, new: str, *, keep_sid: str | None) -> None:
    """A staff member's own new password: the current one proves it is them. Their other
    sessions end (a stolen session does not outlive the change); the second factor stays."""
    from webapp.passwords import hash_password, verify_password
    from webapp.services import ServiceError

    if not user.role.is_staff:
        raise ServiceError("Kontaktpersoner loggar in med sin personliga länk och har inget "
                           "lösenord att byta.")
    if not verify_password(user.password_hash, current):
        raise ServiceError("Det nuvarande lösenordet stämmer inte.")
    if new == current:
        raise ServiceError("Det nya lösenordet ska skilja sig från det nuvarande.")
    user.password_hash = hash_password(new)
    end_other_sessions(user, keep_sid)
    audit.record(user, "user.password_change", "user", user.id)
    db.session.flush()


def current_session(sid: str, user_id: int, *, idle: dt.timedelta,
                    absolute: dt.timedelta) -> UserSession | None:
    """The live session behind the cookie, or None when it ended, idled or grew too old."""
    # The person comes in the same query: this runs on every request.
    user_session = db.session.get(UserSession, _digest(sid), options=[
        joinedload(UserSession.user),
        joinedload(UserSession.link).joinedload(PersonalLink.round)])
    now = clock.now()
    if (user_session is None or user_session.user_id != user_id
            or user_session.ended_at is not None or not user_session.user.active
            or now - user_session.last_seen_at > idle
            or now - user_session.created_at > absolute):
        return None
    link = user_session.link
    if link is not None and (link.revoked_at is not None
                             or link.round.status is RoundStatus.CLOSED):
        # A link session lives no longer than its link: revoked, or its round closed.
        return None
    if now - user_session.last_seen_at > TOUCH_EVERY:
        user_session.last_seen_at = now
    return user_session


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email,
                                               issuer_name="Uppföljning av handlingsplaner")


def _accept_totp(user: User, secret: str, code: str) -> bool:
    """A code of the current step (±1 for clock drift), never one already used."""
    # ASCII digits only: "²".isdigit() is true, and compare_digest refuses non-ASCII text.
    code = "".join(ch for ch in code if ch in "0123456789")
    totp = pyotp.TOTP(secret)
    now = clock.now()
    for drift in (-1, 0, 1):
        moment = now + dt.timedelta(seconds=30 * drift)
        step = totp.timecode(moment)
        if secrets.compare_digest(totp.at(moment), code) and step > (user.totp_last_step or -1):
            return _claim_step(user, step)
    return False


def _claim_step(user: User, step: int) -> bool:
    """Mark ``step`` used in one conditional UPDATE: of requests posting the same code at
    once, the row lock lets exactly one match (the others re-check and find it used)."""
    claimed = db.session.execute(
        update(User).where(User.id == user.id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def confirm_enrolment(user: User, secret: str, code: str) -> list[str] | None:
    """Switch on the second factor if ``code`` proves the app has ``secret``; return the
    recovery codes (shown once), or None if the code was wrong."""
    if not _accept_totp(user, secret, code):
        audit.record(user, "auth.totp_enrol_failed", "user", user.id)
        return None
    user.totp_secret = secret
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    for code_value in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(code_value)))
    audit.record(user, "auth.totp_enrolled", "user", user.id)
    db.session.flush()
    return codes


def verify_second_factor(user: User, code: str) -> bool:
    """A TOTP code, or an unused recovery code (used up by this)."""
    if user.totp_secret and _accept_totp(user, user.totp_secret, code):
        return True
    cleaned = code.strip().lower().replace(" ", "").replace("-", "")
    # Used up in one conditional UPDATE: posted twice at once, it signs in once.
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _digest(cleaned),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=clock.now()).execution_options(synchronize_session=False))
    if used.rowcount == 1:  # type: ignore[attr-defined]
        audit.record(user, "auth.recovery_code_used", "user", user.id)
        return True
    audit.record(user, "auth.second_factor_failed", "user", user.id)
    return False


def set_active(actor: User, user: User, active: bool) -> None:
    """Disabling ends every session of the person at once."""
    from webapp.models import Role
    from webapp.services import ServiceError

    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan ändra konton.")
    if user.id == actor.id and not active:
        raise ServiceError("Du kan inte inaktivera ditt eget konto.")
    user.active = active
    if not active:
        end_all_sessions(user)
    audit.record(actor, "user.enable" if active else "user.disable", "user", user.id)
    db.session.flush()
