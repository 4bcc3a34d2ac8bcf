"""Plan structure: action plans (handlingsplaner), focus areas (insatsområden), sub-goals (delmål)."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db


class ActionPlan(db.Model):
    __tablename__ = "action_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[int | None]
    period_end: Mapped[int | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    # Retired, never deleted: answers of earlier rounds still point here.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Which kinds of organisation answer this plan's sub-goals ("municipality", "district").
    answered_by: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: ["municipality", "district"])

    sub_goals: Mapped[list[SubGoal]] = relationship(
        back_populates="action_plan", order_by="SubGoal.position"
    )

    def answered_by_kind(self, kind: str) -> bool:
        return kind in (self.answered_by or [])


class FocusArea(db.Model):
    """One of the common insatsområden: a chapter of the follow-up report."""

    __tablename__ = "focus_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    sub_goals: Mapped[list[SubGoal]] = relationship(
        back_populates="focus_area", order_by="SubGoal.position"
    )
    activity_areas: Mapped[list[ActivityArea]] = relationship(
        back_populates="focus_area", order_by="ActivityArea.position"
    )


class SubGoal(db.Model):
    """Delmål: belongs to one action plan and is reported under one focus area."""

    __tablename__ = "sub_goal"
    __table_args__ = (UniqueConstraint("action_plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    action_plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    focus_area_id: Mapped[int] = mapped_column(ForeignKey("focus_area.id"), index=True)
    title: Mapped[str] = mapped_column(String(400))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    # Joined: who answers a sub-goal is decided by its plan, asked on every answer page.
    action_plan: Mapped[ActionPlan] = relationship(back_populates="sub_goals", lazy="joined",
                                                   innerjoin=True)
    focus_area: Mapped[FocusArea] = relationship(back_populates="sub_goals")


class ActivityArea(db.Model):
    """Aktivitetsområde: a group of activities inside a focus area (a group row of the
    report's timeline)."""

    __tablename__ = "activity_area"
    __table_args__ = (UniqueConstraint("focus_area_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    focus_area_id: Mapped[int] = mapped_column(ForeignKey("focus_area.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    focus_area: Mapped[FocusArea] = relationship(back_populates="activity_areas")
