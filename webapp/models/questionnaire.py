"""Questionnaires (enkät, frågeformulär): the questions asked per sub-goal, as data.

A round owns one questionnaire version. It is frozen when the round opens, so a round's
contacts, reviewers and report always see the questions that were answered; later rounds get a
copy (a new version) to edit. The template (``is_template``) holds the default question set
that new rounds start from; its questions have no sub-goal and apply to every one.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models._types import UTCDateTime, str_enum, utcnow
from webapp.models.plan import SubGoal

# The traffic light of the "status" question type, best first.
STATUS_OPTIONS = ("På god väg", "Delvis", "Inte på väg", "Ej påbörjat")


class QuestionType(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMBER = "number"
    YEAR = "year"
    YEAR_RANGE = "year_range"
    STATUS = "status"
    ACTIVITIES = "activities"

    @property
    def label(self) -> str:
        return {
            "short_text": "Kort text", "long_text": "Lång text",
            "single_choice": "Ett val", "multiple_choice": "Flera val", "number": "Tal",
            "year": "År", "year_range": "Årsintervall", "status": "Status (trafikljus)",
            "activities": "Aktivitetslista",
        }[self.value]

    @property
    def has_options(self) -> bool:
        return self in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)


class Questionnaire(db.Model):
    __tablename__ = "questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Shown to people as "version N", counted per round: a round's first questionnaire is
    # version 1 and a copy over it the next number (the template keeps its own count).
    version: Mapped[int] = mapped_column()
    is_template: Mapped[bool] = mapped_column(default=False, server_default=false())
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire.id"))
    frozen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="questionnaire", order_by="(Question.sub_goal_id, Question.position)",
        cascade="all, delete-orphan")

    def questions_for(self, sub_goal_id: int) -> list[Question]:
        return [q for q in self.questions if q.sub_goal_id == sub_goal_id]


class Question(db.Model):
    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("questionnaire_id", "sub_goal_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True)
    # None only in the template: the question applies to every sub-goal.
    sub_goal_id: Mapped[int | None] = mapped_column(ForeignKey("sub_goal.id"))
    # Stable within a sub-goal: answers store their values under it.
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionType] = mapped_column(str_enum(QuestionType))
    label: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str | None] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(default=False)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit: Mapped[str | None] = mapped_column(String(40))
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    # Show this question only when the question ``show_if_key`` has the answer
    # ``show_if_value`` (for multiple choice: includes it).
    show_if_key: Mapped[str | None] = mapped_column(String(40))
    show_if_value: Mapped[str | None] = mapped_column(String(200))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")
    sub_goal: Mapped[SubGoal | None] = relationship()

    @property
    def choices(self) -> list[str]:
        if self.kind is QuestionType.STATUS:
            return list(STATUS_OPTIONS)
        return list(self.options or [])

    @property
    def field_name(self) -> str:
        """The form field's name; "text" stays "text" so the main text keeps its field."""
        return self.key if self.key == "text" else f"q_{self.key}"
