"""ReportData: the plain data the Word builder needs, with no database attached.

collect.py fills it from the approved answers; builder.py turns it into .docx bytes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrganisationAnswer:
    organisation: str          # "Kumla"
    text: str                  # the approved answer text, free Swedish prose, may hold newlines


@dataclass(frozen=True)
class SubGoalSection:
    plan: str                  # "Handlingsplan Social välfärd 2019–2022"
    title: str                 # "Delmål 1 – Ökad delaktighet för den enskilde (och närstående)"
    answers: list[OrganisationAnswer] = field(default_factory=list)


@dataclass(frozen=True)
class FocusAreaChapter:
    name: str                  # "Tillgängliga insatser med kvalitet för sårbara grupper"
    sub_goals: list[SubGoalSection] = field(default_factory=list)


@dataclass(frozen=True)
class ReportData:
    title: str                 # "Uppföljning av handlingsplaner"
    unit: str                  # "Område välfärd och folkhälsa"
    author: str
    date: dt.date
    registry_number: str | None    # Dnr, e.g. "22RS5619"
    round_name: str            # "Uppföljning 2026"
    foreword: str | None
    chapters: list[FocusAreaChapter] = field(default_factory=list)
