from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import Column, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, utcnow
from webapp.models.org import Organisation


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    CONTACT = "contact"

    @property
    def label(self) -> str:
        return {"admin": "Administratör", "reviewer": "Granskare", "contact": "Kontaktperson"}[
            self.value
        ]


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
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisations: Mapped[list[Organisation]] = relationship(
        secondary=user_organisations, order_by="Organisation.name"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def represents(self, organisation_id: int) -> bool:
        return any(o.id == organisation_id for o in self.organisations)
