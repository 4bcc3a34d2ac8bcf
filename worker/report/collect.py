"""Database → ReportData. Only approved answers ever reach the document."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import Answer, FocusArea, ReportJob, SubGoal, Submission
from webapp.models._types import local_today
from webapp.workflows.review import ReviewState
from worker.report.data import FocusAreaChapter, OrganisationAnswer, ReportData, SubGoalSection

REPORT_TITLE = "Uppföljning av handlingsplaner"
REPORT_UNIT = "Område välfärd och folkhälsa"


def collect(job: ReportJob) -> ReportData:
    from flask import current_app

    rnd = job.round
    approved = db.session.scalars(
        select(Answer).join(Submission)
        .where(Submission.round_id == rnd.id, Answer.state == ReviewState.APPROVED)
        .options(selectinload(Answer.submission).selectinload(Submission.organisation))
    )
    by_sub_goal: dict[int, list[Answer]] = defaultdict(list)
    for answer in approved:
        by_sub_goal[answer.sub_goal_id].append(answer)

    sub_goals = sorted(rnd.sub_goals, key=lambda s: (s.action_plan.position, s.position))
    by_focus_area: dict[int, list[SubGoal]] = defaultdict(list)
    for sub_goal in sub_goals:
        by_focus_area[sub_goal.focus_area_id].append(sub_goal)
    focus_areas = db.session.scalars(
        select(FocusArea).where(FocusArea.id.in_(by_focus_area)).order_by(FocusArea.position)
    )
    chapters = [
        FocusAreaChapter(
            name=fa.name,
            sub_goals=[
                SubGoalSection(
                    plan=sg.action_plan.name,
                    title=sg.title,
                    answers=[
                        OrganisationAnswer(a.submission.organisation.name, a.text)
                        for a in sorted(by_sub_goal[sg.id],
                                        key=lambda a: a.submission.organisation.name)
                    ],
                )
                for sg in by_focus_area[fa.id]
            ],
        )
        for fa in focus_areas
    ]
    return ReportData(
        title=REPORT_TITLE,
        unit=REPORT_UNIT,
        author=current_app.config["REPORT_AUTHOR"],
        date=local_today(),
        registry_number=job.registry_number,
        round_name=rnd.name,
        foreword=rnd.foreword,
        chapters=chapters,
    )
