"""Review support: what each submission said (for diffs and four-eyes) and who reviews what."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, utcnow
from webapp.models.org import Organisation
from webapp.models.plan import FocusArea
from webapp.models.users import User


class AnswerRevision(db.Model):
    """The text of an answer as it was submitted. A resubmission is diffed against the one
    before it; the authors of all revisions are who "wrote or edited" it (four-eyes rule)."""

    __tablename__ = "answer_revision"
    __table_args__ = (UniqueConstraint("answer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"),
                                           index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    # The activities reported for the sub-goal as the reviewer saw them when approving or
    # returning this revision (None until reviewed): the next review is diffed against it.
    reviewed_activities: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()


class ReviewerAssignment(db.Model):
    """A reviewer is responsible for a focus area or for a district (one of the two)."""

    __tablename__ = "reviewer_assignment"
    __table_args__ = (
        # One target per row; services.assignment keeps one reviewer per target (a unique
        # constraint would not, since NULLs never collide).
        CheckConstraint("(focus_area_id IS NULL) <> (district_id IS NULL)",
                        name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                             index=True)
    focus_area_id: Mapped[int | None] = mapped_column(ForeignKey("focus_area.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))

    reviewer: Mapped[User] = relationship()
    focus_area: Mapped[FocusArea | None] = relationship()
    district: Mapped[Organisation | None] = relationship()
