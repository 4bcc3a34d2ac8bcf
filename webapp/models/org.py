"""Organisations that answer: municipalities (kommuner) and districts (länsdelsgrupper)."""
from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import str_enum


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

    district: Mapped[Organisation | None] = relationship(remote_side=[id])

    @property
    def kind_label(self) -> str:
        return "Kommun" if self.kind is OrganisationKind.MUNICIPALITY else "Länsdelsgrupp"
