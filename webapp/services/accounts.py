"""Staff accounts (administratör, granskare, läsbehörighet): created by the unit, first
password chosen through a one-time link in a mail, second factor enrolled at first sign-in.
The same one-time links serve "Glömt lösenordet?".

A one-time link is random (secrets.token_urlsafe), only its sha256 is stored, it expires, and
it is used once: claiming it is a conditional UPDATE … WHERE used_at IS NULL AND expires_at >
now, so two tabs (or two requests racing) cannot both use it. The token itself is made when
the mail is rendered (at send time) and exists only in that mail.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, select, update

from webapp import clock
from webapp.extensions import db
from webapp.models import AccountToken, MailKind, RecoveryCode, Role, TokenPurpose, User
from webapp.services import ServiceError, audit
from webapp.services import auth as auth_service

STAFF_ROLES = (Role.ADMIN, Role.REVIEWER, Role.READER)
PASSWORD_MIN = 12
PASSWORD_MAX = 200
TOKEN_LIFETIME = {
    TokenPurpose.INVITE: dt.timedelta(days=7),
    TokenPurpose.PASSWORD_RESET: dt.timedelta(hours=1),
}


def lifetime_text(purpose: TokenPurpose) -> str:
    hours = int(TOKEN_LIFETIME[purpose].total_seconds() // 3600)
    if hours % 24 == 0 and hours > 24:
        return f"{hours // 24} dagar"
    return "en timme" if hours == 1 else f"{hours} timmar"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan hantera konton.")


def email_taken(email: str, *, other_than: int | None = None) -> User | None:
    statement = select(User).where(func.lower(User.email) == normalise_email(email))
    if other_than is not None:
        statement = statement.where(User.id != other_than)
    return db.session.scalar(statement)


def check_email_free(email: str, *, other_than: int | None = None) -> None:
    existing = email_taken(email, other_than=other_than)
    if existing is not None:
        where = ""
        if existing.role is Role.CONTACT and existing.organisations:
            where = " (kontaktperson för " + ", ".join(o.name for o in existing.organisations) + ")"
        elif existing.role.is_staff:
            where = f" ({existing.role.label.lower()})"
        raise ServiceError(f"E-postadressen {normalise_email(email)} används redan av "
                           f"{existing.name}{where}. Varje person har en egen adress.")


def _enqueue_account_mail(user: User, kind: MailKind, step: str) -> int | None:
    """An outbox row without a round; the partial unique index (user, kind, step) decides."""
    from webapp.services import mail

    message = mail.enqueue_account(user, kind, step)
    return message.id if message is not None else None


def create_staff(actor: User, *, name: str, email: str, role: Role,
                 title: str | None = None) -> tuple[User, int | None]:
    """A new staff member, without a password: the mail (returned outbox id) carries a link to
    choose one. Returns the user and the outbox row to send after the commit."""
    _require_admin(actor)
    if role not in STAFF_ROLES:
        raise ServiceError("Välj en roll för personalen: administratör, granskare eller "
                           "läsbehörighet.")
    name = name.strip()
    if not name:
        raise ServiceError("Fyll i namnet.")
    check_email_free(email)
    user = User(name=name, email=normalise_email(email), role=role,
                title=(title or "").strip() or None, invited_by_id=actor.id)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, to_state=role.value)
    message_id = _enqueue_account_mail(user, MailKind.ACCOUNT_INVITE,
                                       f"invite-{clock.now():%Y%m%d%H%M%S}")
    db.session.flush()
    return user, message_id


def resend_invitation(actor: User, user: User) -> int | None:
    """A new mail with a new link, for a staff member who never chose a password."""
    _require_admin(actor)
    if not user.role.is_staff:
        raise ServiceError("Kontaktpersoner får sina personliga länkar med omgångens utskick.")
    if user.password_hash is not None:
        raise ServiceError(f"{user.name} har redan valt ett lösenord. Vid behov kan hen "
                           "använda ”Glömt lösenordet?” på inloggningssidan.")
    if not user.active:
        raise ServiceError("Kontot är inaktiverat. Aktivera det först.")
    message_id = _enqueue_account_mail(user, MailKind.ACCOUNT_INVITE,
                                       f"invite-{clock.now():%Y%m%d%H%M%S}")
    if message_id is None:
        raise ServiceError("En inbjudan skickades nyss. Vänta en stund och försök igen.")
    audit.record(actor, "user.invite_resend", "user", user.id)
    db.session.flush()
    return message_id


def _other_active_admins(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)) or 0


def change_role(actor: User, user: User, role: Role) -> None:
    _require_admin(actor)
    if not user.role.is_staff or role not in STAFF_ROLES:
        raise ServiceError("Bara personalens roller kan ändras här: administratör, granskare "
                           "eller läsbehörighet.")
    if user.id == actor.id:
        raise ServiceError("Du kan inte ändra din egen roll. Be en annan administratör.")
    if user.role is role:
        raise ServiceError(f"{user.name} har redan rollen {role.label.lower()}. Välj en annan "
                           "roll.")
    if user.role is Role.ADMIN and _other_active_admins(user) == 0:
        raise ServiceError("Det måste finnas minst en aktiv administratör.")
    before = user.role
    user.role = role
    # The new role applies from the next sign-in: the old sessions carried the old one.
    auth_service.end_all_sessions(user)
    audit.record(actor, "user.role", "user", user.id, from_state=before.value,
                 to_state=role.value)
    db.session.flush()


def reset_second_factor(actor: User, user: User) -> None:
    """The person lost their phone: their TOTP secret and recovery codes go, their sessions
    end; at the next sign-in (password still needed) they set up the app again."""
    _require_admin(actor)
    if not user.role.is_staff:
        raise ServiceError("Kontaktpersoner har ingen tvåstegsverifiering.")
    if user.id == actor.id:
        raise ServiceError("Du kan inte återställa din egen tvåstegsverifiering. "
                           "Be en annan administratör.")
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    auth_service.end_all_sessions(user)
    audit.record(actor, "user.reset_second_factor", "user", user.id)
    db.session.flush()


def set_active(actor: User, user: User, active: bool) -> None:
    """Disable or re-enable a staff account or a contact (sessions end at once)."""
    _require_admin(actor)
    if user.anonymised_at is not None:
        raise ServiceError("Personen är anonymiserad och kan inte aktiveras igen.")
    if user.id == actor.id and not active:
        raise ServiceError("Du kan inte inaktivera ditt eget konto.")
    if user.active is active:
        raise ServiceError(f"{user.name} är redan {'aktiv' if active else 'inaktiverad'}.")
    if not active and user.role is Role.ADMIN and _other_active_admins(user) == 0:
        raise ServiceError("Det måste finnas minst en aktiv administratör.")
    auth_service.set_active(actor, user, active)


# --- one-time links ---------------------------------------------------------------------------

def issue_token(user: User, purpose: TokenPurpose, *,
                created_by_id: int | None = None) -> str:
    """A new one-time link token; only its hash is stored. Returns the token for the mail."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_digest(token),
                                created_at=now, expires_at=now + TOKEN_LIFETIME[purpose],
                                created_by_id=created_by_id))
    db.session.flush()
    return token


def valid_token(token: str) -> AccountToken | None:
    """The unused, unexpired token row behind ``token`` (reading only: a GET of the link, which
    mail scanners do, must not use it up)."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _digest(token)))
    if (row is None or row.used_at is not None or row.expires_at <= clock.now()
            or not row.user.active or not row.user.role.is_staff):
        return None
    return row


def validate_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ServiceError(f"Lösenordet måste ha minst {PASSWORD_MIN} tecken.")
    if len(password) > PASSWORD_MAX:
        raise ServiceError(f"Lösenordet får ha högst {PASSWORD_MAX} tecken.")
    if not password.strip():
        raise ServiceError("Lösenordet får inte bara bestå av mellanslag.")


def use_token(token: str, password: str) -> User:
    """Claim the link once and set the password. The person still needs their second factor
    (or enrols one) before they are signed in."""
    from webapp.passwords import hash_password

    validate_password(password)
    row = valid_token(token)
    if row is None:
        raise ServiceError("Länken fungerar inte längre. Den kan ha använts redan eller vara "
                           "för gammal. Be om en ny med ”Glömt lösenordet?”.")
    now = clock.now()
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None),
               AccountToken.expires_at > now)
        .values(used_at=now))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ServiceError("Länken har redan använts.")
    user = row.user
    # Older links of the same person stop working too: only the newest mail counts.
    db.session.execute(update(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.used_at.is_(None)).values(used_at=now))
    user.password_hash = hash_password(password)
    auth_service.end_all_sessions(user)  # whoever knew the old password is signed out
    audit.record(user, "user.password_set" if row.purpose is TokenPurpose.INVITE
                 else "user.password_reset", "user", user.id)
    db.session.flush()
    return user


def request_password_reset(email: str, now: dt.datetime) -> int | None:
    """"Glömt lösenordet?": silent about whether the address exists. One mail per person every
    ten minutes at most (the step is the ten-minute slot). Returns the outbox row to send."""
    user = db.session.scalar(select(User).where(
        func.lower(User.email) == normalise_email(email)[:254],
        User.role.in_(STAFF_ROLES), User.active.is_(True)))
    if user is None:
        return None
    slot = now.astimezone(dt.UTC).strftime("%Y%m%d%H") + str(now.minute // 10)
    message_id = _enqueue_account_mail(user, MailKind.PASSWORD_RESET, f"reset-{slot}")
    if message_id is not None:
        audit.record(None, "user.password_reset_requested", "user", user.id)
    db.session.flush()
    return message_id
