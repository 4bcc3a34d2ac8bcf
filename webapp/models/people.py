"""Who answers what inside an organisation, and settings the unit edits."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, utcnow
from webapp.models.org import Organisation
from webapp.models.plan import SubGoal
from webapp.models.users import User


class SubGoalAssignment(db.Model):
    """"Ansvarig för delmålet": the colleague who answers a sub-goal for an organisation.
    Not tied to a round, so it carries over to the next one."""

    __tablename__ = "sub_goal_assignment"
    __table_args__ = (UniqueConstraint("organisation_id", "sub_goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"))
    sub_goal_id: Mapped[int] = mapped_column(ForeignKey("sub_goal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    sub_goal: Mapped[SubGoal] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


class AppSetting(db.Model):
    """A setting the unit edits in the UI (not deployment configuration). Values are strings;
    a missing key means the default."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


# Keys, with their defaults when the row is absent.
COLLEAGUE_INVITES_NEED_APPROVAL = "colleague_invites_need_approval"  # "1" / "0", default "0"
