"""Outgoing mail (an outbox row per message) and personal links for contacts."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, str_enum, utcnow
from webapp.models.rounds import Round
from webapp.models.users import User


class MailKind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    RETURNED = "returned"
    DIGEST = "digest"
    NEW_LINK = "new_link"
    RECEIPT = "receipt"
    ALL_APPROVED = "all_approved"
    # Staff accounts, not tied to a round: the row's round_id is NULL.
    ACCOUNT_INVITE = "account_invite"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a mail kind)

    @property
    def label(self) -> str:
        return {"invitation": "Inbjudan", "reminder": "Påminnelse",
                "returned": "Returnerat svar", "digest": "Sammanfattning till granskare",
                "new_link": "Ny länk", "receipt": "Kvitto",
                "all_approved": "Alla svar godkända",
                "account_invite": "Nytt konto", "password_reset": "Nytt lösenord"}[self.value]


class MailState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"pending": "Väntar", "sending": "Skickas", "sent": "Skickat",
                "failed": "Misslyckades"}[self.value]


class OutboxMessage(db.Model):
    """One mail to one person. Unique per (round, person, kind, step): a duplicated beat, a
    retried task or a restarted worker can never make a second row, so never a second mail.
    Account mails have no round; their step names the occasion, so they stay one per step."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "kind", "step"),
        # NULLs are distinct in a unique constraint, so account mails get their own index.
        Index("uq_outbox_message_account_mail", "user_id", "kind", "step", unique=True,
              postgresql_where=text("round_id IS NULL"), sqlite_where=text("round_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                                 index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[MailKind] = mapped_column(
        str_enum(MailKind))
    step: Mapped[str] = mapped_column(String(60))
    state: Mapped[MailState] = mapped_column(
        str_enum(MailState),
        default=MailState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    round: Mapped[Round | None] = relationship()
    user: Mapped[User] = relationship()


class PersonalLink(db.Model):
    """A contact's personal way in for one round. Only a hash of the token is stored; the
    token itself exists only in the mail that carried it."""

    __tablename__ = "personal_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    use_count: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship()
    user: Mapped[User] = relationship()
