"""ReportData: the plain data the Word builder needs, with no database attached.

collect.py fills it from the approved answers; builder.py turns it (and an optional .docx
template) into .docx bytes. Everything here is already filtered: only approved material.
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
class TimelineActivity:
    """One row of a chapter's activity timeline (an activity is printed in one chapter only)."""

    name: str                  # printed in bold wherever it occurs in the chapter's text
    group: str                 # the group row it sits under (here: the reporting organisation)
    responsible_unit: str | None   # the "Enhet" line under the activity
    start_year: int | None     # first year filled in the timeline (None: unknown)
    end_year: int | None       # last year filled (None: runs to the end of the period)
    status: str                # Swedish label: "Planeras", "Pågår", "Pausad", "Genomförd", …
    paused: bool
    description: str = ""


@dataclass(frozen=True)
class FocusAreaChapter:
    name: str                  # "Tillgängliga insatser med kvalitet för sårbara grupper"
    sub_goals: list[SubGoalSection] = field(default_factory=list)
    activities: list[TimelineActivity] = field(default_factory=list)
    # Other chapters that print activities which also serve this focus area:
    # "Fler aktiviteter som berör insatsområdet <name> finns också under A, B samt C."
    see_also: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TextSection:
    """The unit's own texts, written per round: "Pandemins påverkan", intro sections, …"""

    title: str
    body: str


@dataclass(frozen=True)
class StatusRow:
    """Sub-goal answers per focus area by review state (for the status table and chart)."""

    focus_area: str
    approved: int
    submitted: int
    returned: int
    draft: int
    not_started: int


@dataclass(frozen=True)
class OrganisationRate:
    organisation: str
    answered_percent: int      # sub-goals submitted or approved, of those asked
    approved_percent: int


@dataclass(frozen=True)
class Provenance:
    organisation: str
    sub_goal: str
    version: int
    reviewer: str
    approved_on: dt.date | None


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
    foreword_signature: str | None = None      # "Anna Andersson, områdeschef"
    intro_sections: list[TextSection] = field(default_factory=list)   # before the chapters
    closing_sections: list[TextSection] = field(default_factory=list)  # after the chapters
    period: tuple[int, int] | None = None      # timeline columns, e.g. (2019, 2023)
    current_year: int | None = None            # the "Idag" marker column
    status_rows: list[StatusRow] = field(default_factory=list)
    organisation_rates: list[OrganisationRate] = field(default_factory=list)
    provenance: list[Provenance] | None = None  # None: no appendix
    region: str = ""           # "Region Örebro län", from the plan file
