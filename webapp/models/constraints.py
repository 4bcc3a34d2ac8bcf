"""One set of rules for the plan structure and its questions.

The plan file (``services/plan_schema.py``), the plan admin pages (``services/plan_admin.py``,
``forms/plan.py``), the round form (``forms/rounds.py``) and the questionnaire designer
(``forms/questionnaire.py``, ``services/questionnaires.py``) all read their bounds here, so
what one of them accepts the others accept too. It lives beside the models because the text
lengths are the models' column sizes, and because forms, services and the file reader may all
import the models layer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, String

from webapp.models.org import Organisation
from webapp.models.plan import ActionPlan, ActivityArea, FocusArea, SubGoal
from webapp.models.questionnaire import Question, QuestionType
from webapp.models.rounds import Round


def _length(column: Column[Any]) -> int:
    """The size of a String column: what the database would refuse beyond."""
    assert isinstance(column.type, String) and column.type.length, column  # noqa: S101 (import-time check of our own models)
    return column.type.length


# --- Years --------------------------------------------------------------------------------------
# Plan periods, round years and year answers share one range. Regional action plans of this
# kind start with the regional development strategies of the 1990s (the oldest programme in
# the material is 2012–2015, the shipped plans 2019–2023), so a year before 1990 is a slip
# (1019 for 2019), not a plan; a round follows up a plan's year, so it takes the same range.
FIRST_YEAR, LAST_YEAR = 1990, 2100
YEAR_MESSAGE = f"Ange ett år mellan {FIRST_YEAR} och {LAST_YEAR}."


def year_ok(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


# --- Text lengths: the column sizes -------------------------------------------------------------
KEY_MAX = _length(ActionPlan.__table__.c.key)
PLAN_NAME_MAX = _length(ActionPlan.__table__.c.name)
DECIDED_BY_MAX = _length(ActionPlan.__table__.c.decided_by)
FOCUS_AREA_NAME_MAX = _length(FocusArea.__table__.c.name)
SUB_GOAL_TITLE_MAX = _length(SubGoal.__table__.c.title)
ACTIVITY_AREA_NAME_MAX = _length(ActivityArea.__table__.c.name)
ORGANISATION_NAME_MAX = _length(Organisation.__table__.c.name)
ROUND_NAME_MAX = _length(Round.__table__.c.name)
REMINDER_DAYS_MAX = _length(Round.__table__.c.reminder_days)
QUESTION_KEY_MAX = _length(Question.__table__.c.key)
QUESTION_LABEL_MAX = _length(Question.__table__.c.label)
QUESTION_UNIT_MAX = _length(Question.__table__.c.unit)
SHOW_IF_VALUE_MAX = _length(Question.__table__.c.show_if_value)
# An option is what a show_if answer is compared with, so it fits the same column.
OPTION_MAX = SHOW_IF_VALUE_MAX

# Text columns have no size in the database; these are the product's. A sub-goal's
# description is a paragraph or two printed under its heading in the report (the admin page
# allowed 5 000, the file 20 000: a description the page could not save again was a trap).
# Help text is read beside one field while answering (the designer allowed 2 000, the file
# 5 000; the shipped help texts are under 100).
SUB_GOAL_DESCRIPTION_MAX = 5_000
QUESTION_HELP_MAX = 2_000

KEY_PATTERN = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{KEY_MAX - 1}}}")
QUESTION_KEY_PATTERN = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{QUESTION_KEY_MAX - 1}}}")


# SCB's municipality codes are four digits (0114 Upplands Väsby … 2584 Kiruna).
MUNICIPALITY_CODE_PATTERN = re.compile(r"[0-9]{4}")


def too_long(max_length: int) -> str:
    return f"Högst {max_length:,} tecken.".replace(",", "\N{NO-BREAK SPACE}")


# --- Questions ----------------------------------------------------------------------------------
# A choice between fewer than two answers asks nothing (the file allowed one, the designer
# two); a single yes-or-no is Ja and Nej.
MIN_CHOICE_OPTIONS = 2


def options_problem(kind: QuestionType, options: tuple[str, ...] | list[str], *,
                    type_name: str | None = None) -> str | None:
    """The Swedish refusal for a question's options (trimmed, without empty ones), or None.
    The file and the designer both ask this; ``type_name`` is how the asker names the type
    (the file: ``single_choice``; the designer: the label in its list, the default)."""
    choice_names = " och ".join(f"”{t.label}”" for t in QuestionType if t.has_options)
    if not kind.has_options:
        return f"Bara frågetyperna {choice_names} har svarsalternativ." if options else None
    if len(options) < MIN_CHOICE_OPTIONS:
        name = type_name or f"”{kind.label}”"
        return f"Frågetypen {name} behöver minst {MIN_CHOICE_OPTIONS} svarsalternativ."
    return None


@dataclass(frozen=True)
class QuestionSpec:
    """One question as the plan file and the designer describe it, before it is a row. The
    field names are the ``Question`` columns'. ``kind`` is a ``QuestionType`` value: the file
    reader gives the enum, the designer the form's text, checked by the service."""

    key: str
    kind: str
    label: str
    help_text: str | None = None
    required: bool = False
    options: tuple[str, ...] = ()
    unit: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    show_if_key: str | None = None
    show_if_value: str | None = None

    @property
    def show_if(self) -> tuple[str, str] | None:
        """(question key, answer) when the question is shown only after that answer."""
        if self.show_if_key is None or self.show_if_value is None:
            return None
        return self.show_if_key, self.show_if_value
