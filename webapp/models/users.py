from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, str_enum, utcnow
from webapp.models.org import Organisation


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    CONTACT = "contact"
    READER = "reader"  # read-only, e.g. committee members

    @property
    def label(self) -> str:
        return {"admin": "Administratör", "reviewer": "Granskare", "contact": "Kontaktperson",
                "reader": "Läsbehörighet"}[self.value]

    @property
    def is_staff(self) -> bool:
        """Signs in with a password and a second factor."""
        return self in (Role.ADMIN, Role.REVIEWER, Role.READER)


# A contact can answer for several organisations; an organisation has several contacts.
user_organisations = Table(
    "user_organisation",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        str_enum(Role)
    )
    phone: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(200))  # e.g. "folkhälsostrateg"
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Second factor for staff (TOTP, RFC 6238); the last accepted time step stops a replay.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    # Set when a contact who left is anonymised (their answers stay, as public records).
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A colleague invited by a main contact while the unit requires approval: no mail, no
    # way in, until the unit approves.
    pending_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    organisations: Mapped[list[Organisation]] = relationship(
        secondary=user_organisations, order_by="Organisation.name"
    )
    invited_by: Mapped[User | None] = relationship(remote_side=[id],
                                                    foreign_keys=[invited_by_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def represents(self, organisation_id: int) -> bool:
        return any(o.id == organisation_id for o in self.organisations)


class RecoveryCode(db.Model):
    """One-time codes for a staff member who lost their authenticator; stored hashed."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class UserSession(db.Model):
    """A signed-in session, known to the server: signing out or disabling the user ends it,
    so a copied cookie stops working. The cookie holds a random id; this row its hash."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    via: Mapped[str] = mapped_column(String(20))  # "password" or "link"
    # The personal link a "link" session was opened with: revoking it, or closing its round,
    # ends the session at once (see services.auth.current_session).
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("personal_link.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    link: Mapped[PersonalLink | None] = relationship()  # noqa: F821 (in models.mail)


class TokenPurpose(enum.StrEnum):
    INVITE = "invite"  # a new staff member chooses a first password
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose) "Glömt lösenordet?"


class AccountToken(db.Model):
    """A one-time link for a staff account: random, only its sha256 stored, expires, single
    use (claimed with a conditional UPDATE … WHERE used_at IS NULL AND expires_at > now)."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
