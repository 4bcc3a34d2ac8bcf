"""A round (uppföljningsomgång): one periodic follow-up, its sub-goals and its recipients."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, str_enum, utcnow
from webapp.models.org import Organisation
from webapp.models.plan import SubGoal
from webapp.models.questionnaire import Questionnaire


class RoundStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # opens on opens_on, when the dispatcher sends the invitations
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"scheduled": "Planerad", "open": "Öppen", "closed": "Stängd"}[self.value]


class AssignmentMode(enum.StrEnum):
    FOCUS_AREA = "focus_area"
    DISTRICT = "district"

    @property
    def label(self) -> str:
        return {"focus_area": "Per insatsområde", "district": "Per länsdel"}[self.value]


class Round(db.Model):
    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    opens_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    # Days before the deadline a reminder goes out; negative numbers are days after it.
    reminder_days: Mapped[str] = mapped_column(String(100), default="14,3,-1",
                                               server_default="14,3,-1")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[RoundStatus] = mapped_column(
        str_enum(RoundStatus),
        default=RoundStatus.OPEN,
    )
    foreword: Mapped[str | None] = mapped_column(Text)
    foreword_signature: Mapped[str | None] = mapped_column(String(200))
    # How answers find their reviewer in this round: by the sub-goal's focus area or by the
    # answering organisation's district (see services.assignment).
    assignment_mode: Mapped[AssignmentMode] = mapped_column(
        str_enum(AssignmentMode),
        default=AssignmentMode.FOCUS_AREA, server_default="focus_area",
    )
    # Frozen when the round opens: its answers always render against it.
    questionnaire_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    questionnaire: Mapped[Questionnaire | None] = relationship()
    sub_goals: Mapped[list[SubGoal]] = relationship(
        secondary="round_sub_goal", order_by="SubGoal.id"
    )
    recipients: Mapped[list[Organisation]] = relationship(
        secondary="round_recipient", order_by="Organisation.name"
    )

    def sub_goals_for(self, organisation: Organisation) -> list[SubGoal]:
        """The round's sub-goals this organisation answers (by its kind, per action plan)."""
        return [sg for sg in self.sub_goals
                if sg.action_plan.answered_by_kind(organisation.kind.value)]

    @property
    def reminder_offsets(self) -> list[int]:
        return parse_reminder_days(self.reminder_days)

    def reminder_dates(self) -> list[dt.date]:
        return sorted(self.deadline - dt.timedelta(days=d) for d in self.reminder_offsets)


def parse_reminder_days(text: str) -> list[int]:
    """"14, 3, -1" -> [14, 3, -1]; raises ValueError on anything else."""
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]
    return sorted({int(p) for p in parts}, reverse=True)


class RoundSection(db.Model):
    """The unit's own texts for a round's report: intro sections before the chapters
    ("Pandemins påverkan", "Insatser och insatsnivåer" …) and closing ones after them."""

    __tablename__ = "round_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          index=True)
    placement: Mapped[str] = mapped_column(String(10))  # "intro" or "closing"
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")


class RoundSubGoal(db.Model):
    __tablename__ = "round_sub_goal"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), primary_key=True
    )
    sub_goal_id: Mapped[int] = mapped_column(ForeignKey("sub_goal.id"), primary_key=True)


class RoundRecipient(db.Model):
    __tablename__ = "round_recipient"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
