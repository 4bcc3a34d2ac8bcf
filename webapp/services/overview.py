"""The reviewers' overview of a round: organisations × sub-goals, filtered, counted."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import Answer, Organisation, Round, RoundStatus, SubGoal, Submission
from webapp.services import assignment
from webapp.workflows.review import ReviewState

NOT_STARTED = "not_started"
DONE_BY_CONTACT = (ReviewState.SUBMITTED, ReviewState.APPROVED)


@dataclass(frozen=True)
class Filters:
    district_id: int | None = None
    focus_area_id: int | None = None
    state: str | None = None          # a ReviewState value or NOT_STARTED
    reviewer_id: int | None = None


@dataclass
class Cell:
    sub_goal: SubGoal
    answer: Answer | None
    reviewer_id: int | None
    matches: bool
    # False where the organisation's kind does not answer the sub-goal's plan.
    asked: bool = True

    @property
    def state_key(self) -> str:
        return self.answer.state.value if self.answer else NOT_STARTED


@dataclass
class Row:
    organisation: Organisation
    cells: list[Cell]
    late: bool


@dataclass
class Overview:
    round: Round
    sub_goals: list[SubGoal]
    rows: list[Row]
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def waiting(self) -> int:
        return self.counts[ReviewState.SUBMITTED.value]


def build(rnd: Round, filters: Filters, today: dt.date) -> Overview:
    submissions = db.session.scalars(
        select(Submission).where(Submission.round_id == rnd.id)
        .options(selectinload(Submission.organisation), selectinload(Submission.answers))
    ).all()
    assigned = assignment.load()
    sub_goals = [sg for sg in rnd.sub_goals
                 if filters.focus_area_id is None or sg.focus_area_id == filters.focus_area_id]
    overview = Overview(rnd, sub_goals, [])
    for submission in sorted(submissions, key=lambda s: s.organisation.name):
        organisation = submission.organisation
        if filters.district_id and filters.district_id not in (organisation.id,
                                                              organisation.district_id):
            continue
        answers = {a.sub_goal_id: a for a in submission.answers}
        late = today > rnd.deadline and any(
            answers.get(sg.id) is None or answers[sg.id].state not in DONE_BY_CONTACT
            for sg in rnd.sub_goals_for(organisation))
        cells = []
        for sub_goal in sub_goals:
            if not sub_goal.action_plan.answered_by_kind(organisation.kind.value):
                cells.append(Cell(sub_goal, None, None, False, asked=False))
                continue
            answer = answers.get(sub_goal.id)
            reviewer_id = assigned.reviewer_id(rnd, organisation, sub_goal, answer)
            cell = Cell(sub_goal, answer, reviewer_id, True)
            cell.matches = ((filters.state is None or cell.state_key == filters.state)
                            and (filters.reviewer_id is None
                                 or reviewer_id == filters.reviewer_id))
            cells.append(cell)
        if any(c.matches for c in cells):
            overview.rows.append(Row(organisation, cells, late))
            overview.counts.update(c.state_key for c in cells if c.matches)
    return overview


def queue(reviewer_id: int) -> list[Answer]:
    """Submitted answers in open rounds that wait for this reviewer: those assigned to them,
    and those no one is assigned (until the admin sets up assignments, all are everyone's)."""
    waiting = db.session.scalars(
        select(Answer).join(Submission).join(Round)
        .where(Answer.state == ReviewState.SUBMITTED, Round.status == RoundStatus.OPEN)
        .options(selectinload(Answer.submission).selectinload(Submission.organisation),
                 selectinload(Answer.sub_goal))
        .order_by(Round.deadline, Answer.submitted_at)
    ).all()
    assigned = assignment.load()
    return [a for a in waiting
            if assigned.reviewer_id(a.submission.round, a.submission.organisation, a.sub_goal,
                                    a) in (reviewer_id, None)]
