"""Answers (svar) and submissions (inlämningar)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, str_enum, utcnow
from webapp.models.org import Organisation
from webapp.models.plan import SubGoal
from webapp.models.rounds import Round
from webapp.workflows.review import ReviewState

AnswerState = ReviewState


class Submission(db.Model):
    """All answers of one organisation in one round. Its state is derived from the answers."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("round_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[Round] = relationship()
    organisation: Mapped[Organisation] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="submission")


class Answer(db.Model):
    """One organisation's answer for one sub-goal in one round: the unit of review."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("submission_id", "sub_goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    sub_goal_id: Mapped[int] = mapped_column(ForeignKey("sub_goal.id"), index=True)
    state: Mapped[ReviewState] = mapped_column(
        str_enum(ReviewState),
        default=ReviewState.DRAFT,
    )
    # The typed value of each question, by question key, against the round's frozen
    # questionnaire (see webapp.services.questionnaires).
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    # The answer as prose, rendered from ``values`` when saved: what reviewers diff, the
    # report prints and exports carry.
    text: Mapped[str] = mapped_column(Text, default="")
    # Bumped on every write; a save or a review action carries the version it started from,
    # so a stale writer is detected instead of silently overwriting.
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_comment: Mapped[str | None] = mapped_column(Text)
    # Set by the admin to override who reviews this answer (see services.assignment).
    assigned_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    submission: Mapped[Submission] = relationship(back_populates="answers")
    sub_goal: Mapped[SubGoal] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Answer {self.id} {self.state} v{self.version}>"


