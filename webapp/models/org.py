"""Organisations that answer: municipalities (kommuner) and districts (länsdelsgrupper)."""
from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import str_enum

if TYPE_CHECKING:
    from webapp.models.users import User


class OrganisationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    DISTRICT = "district"


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Stable identifier from the plan file (districts); municipalities are matched by code.
    key: Mapped[str | None] = mapped_column(String(80), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        str_enum(OrganisationKind)
    )
    # SCB kommunkod for municipalities.
    code: Mapped[str | None] = mapped_column(String(10), unique=True)
    # The district a municipality belongs to; configuration data, since regions reorganise.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The huvudkontakt: the one contact who delegates sub-goals and invites colleagues.
    main_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    district: Mapped[Organisation | None] = relationship(remote_side=[id])
    main_contact: Mapped[User | None] = relationship(foreign_keys=[main_contact_id])

    @property
    def kind_label(self) -> str:
        return "Kommun" if self.kind is OrganisationKind.MUNICIPALITY else "Länsdelsgrupp"
