"""Activities (aktiviteter, the "cases"): long-lived pieces of work an organisation reports.

An Activity lives across rounds; each round's report of it (status, text, years, unit, level,
the sub-goals it serves) is an ActivityReport, so its history across years is kept and the
report can draw its timeline."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, str_enum, utcnow
from webapp.models.org import Organisation
from webapp.models.plan import ActivityArea, SubGoal


class ActivityStatus(enum.StrEnum):
    PLANNED = "planned"
    ONGOING = "ongoing"
    PAUSED = "paused"
    DONE = "done"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return {"planned": "Planeras", "ongoing": "Pågår", "paused": "Pausad",
                "done": "Genomförd", "ended": "Avslutad"}[self.value]


class ActivityLevel(enum.StrEnum):
    PROMOTING = "promoting"
    PREVENTIVE = "preventive"
    TREATING = "treating"

    @property
    def label(self) -> str:
        return {"promoting": "Främjande", "preventive": "Förebyggande",
                "treating": "Behandlande"}[self.value]


class Activity(db.Model):
    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    activity_area_id: Mapped[int | None] = mapped_column(ForeignKey("activity_area.id"),
                                                         index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    activity_area: Mapped[ActivityArea | None] = relationship()
    reports: Mapped[list[ActivityReport]] = relationship(back_populates="activity")


activity_report_sub_goals = Table(
    "activity_report_sub_goal",
    db.metadata,
    Column("activity_report_id", ForeignKey("activity_report.id", ondelete="CASCADE"),
           primary_key=True),
    Column("sub_goal_id", ForeignKey("sub_goal.id"), primary_key=True),
)


class ActivityReport(db.Model):
    """One round's report of an activity."""

    __tablename__ = "activity_report"
    __table_args__ = (UniqueConstraint("activity_id", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"),
                                             index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          index=True)
    status: Mapped[ActivityStatus] = mapped_column(str_enum(ActivityStatus))
    description: Mapped[str] = mapped_column(Text, default="")
    start_year: Mapped[int | None]
    end_year: Mapped[int | None]
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[ActivityLevel | None] = mapped_column(str_enum(ActivityLevel))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="reports")
    sub_goals: Mapped[list[SubGoal]] = relationship(secondary=activity_report_sub_goals,
                                                    order_by="SubGoal.id")
