"""Database → ReportData. Only approved answers, and activities reported with them, ever
reach the document."""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    Answer,
    FocusArea,
    ReportJob,
    RoundSection,
    Submission,
    User,
)
from webapp.services import region
from webapp.workflows.review import ReviewState
from worker.report.data import (
    FocusAreaChapter,
    OrganisationAnswer,
    OrganisationRate,
    Provenance,
    ReportData,
    StatusRow,
    SubGoalSection,
    TextSection,
    TimelineActivity,
)

REPORT_TITLE = "Uppföljning av handlingsplaner"


def collect(job: ReportJob) -> ReportData:
    from flask import current_app

    rnd = job.round
    wanted_focus_areas = set(ReportJob.id_list(job.focus_area_ids))
    wanted_organisations = set(ReportJob.id_list(job.organisation_ids))
    sub_goals = sorted((sg for sg in rnd.sub_goals
                        if not wanted_focus_areas or sg.focus_area_id in wanted_focus_areas),
                       key=lambda s: (s.action_plan.position, s.position))
    organisations = [o for o in rnd.recipients
                     if not wanted_organisations or o.id in wanted_organisations]
    organisation_ids = {o.id for o in organisations}
    sub_goal_ids = {sg.id for sg in sub_goals}

    answers = [a for a in db.session.scalars(
        select(Answer).join(Submission).where(Submission.round_id == rnd.id)
        .options(selectinload(Answer.submission).selectinload(Submission.organisation)))
        if a.submission.organisation_id in organisation_ids and a.sub_goal_id in sub_goal_ids]
    approved = [a for a in answers if a.state is ReviewState.APPROVED]
    approved_pairs = {(a.submission.organisation_id, a.sub_goal_id) for a in approved}
    by_sub_goal: dict[int, list[Answer]] = defaultdict(list)
    for answer in approved:
        by_sub_goal[answer.sub_goal_id].append(answer)

    focus_areas = list(db.session.scalars(
        select(FocusArea).where(FocusArea.id.in_({sg.focus_area_id for sg in sub_goals}))
        .order_by(FocusArea.position)))
    position = {fa.id: i for i, fa in enumerate(focus_areas)}

    # Activities: printed once, in the first chapter among those they serve; only with an
    # approved answer of the same organisation to one of their sub-goals.
    printed_in: dict[int, list[TimelineActivity]] = defaultdict(list)
    serves: dict[int, set[int]] = defaultdict(set)   # focus area -> chapters printing its activities
    for report in db.session.scalars(
            select(ActivityReport).join(Activity)
            .where(ActivityReport.round_id == rnd.id,
                   Activity.organisation_id.in_(organisation_ids))
            .options(selectinload(ActivityReport.activity).selectinload(Activity.organisation),
                     selectinload(ActivityReport.sub_goals))
            .order_by(Activity.organisation_id, Activity.name)):
        organisation_id = report.activity.organisation_id
        if not any((organisation_id, sg.id) in approved_pairs for sg in report.sub_goals):
            continue  # reported only with answers that are not approved: not in the report
        # Printed in the first of the chapters it serves; the others refer to that one.
        chapters = sorted({sg.focus_area_id for sg in report.sub_goals
                           if sg.focus_area_id in position}, key=position.__getitem__)
        home = chapters[0]
        printed_in[home].append(TimelineActivity(
            name=report.activity.name,
            # The seeds group the timeline by aktivitetsområde; without one, by who reports.
            group=(report.activity.activity_area.name if report.activity.activity_area
                   else report.activity.organisation.name),
            responsible_unit=report.responsible_unit, start_year=report.start_year,
            end_year=report.end_year, status=report.status.label,
            paused=report.status is ActivityStatus.PAUSED, description=report.description))
        for other in chapters[1:]:
            serves[other].add(home)

    chapters_data = [
        FocusAreaChapter(
            name=fa.name,
            sub_goals=[
                SubGoalSection(
                    plan=sg.action_plan.name, title=sg.title,
                    answers=[OrganisationAnswer(a.submission.organisation.name, a.text)
                             for a in sorted(by_sub_goal[sg.id],
                                             key=lambda a: a.submission.organisation.name)])
                for sg in sub_goals if sg.focus_area_id == fa.id],
            activities=printed_in[fa.id],
            see_also=[f.name for f in focus_areas if f.id in serves[fa.id]],
        )
        for fa in focus_areas
    ]

    # Status per focus area and rates per organisation, over every cell asked for.
    state_of = {(a.submission.organisation_id, a.sub_goal_id): a.state.value for a in answers}
    status_rows = []
    for fa in focus_areas:
        counts = Counter(state_of.get((o.id, sg.id), "not_started")
                         for sg in sub_goals if sg.focus_area_id == fa.id for o in organisations
                         if sg.action_plan.answered_by_kind(o.kind.value))
        status_rows.append(StatusRow(fa.name, counts["approved"], counts["submitted"],
                                     counts["returned"], counts["draft"],
                                     counts["not_started"]))
    rates = []
    for organisation in sorted(organisations, key=lambda o: o.name):
        cells = [state_of.get((organisation.id, sg.id)) for sg in sub_goals
                 if sg.action_plan.answered_by_kind(organisation.kind.value)]
        total = len(cells) or 1
        rates.append(OrganisationRate(
            organisation.name,
            round(100 * sum(c in ("submitted", "approved") for c in cells) / total),
            round(100 * sum(c == "approved" for c in cells) / total)))

    provenance = None
    if job.include_provenance:
        reviewers = {u.id: u.name for u in db.session.scalars(select(User).where(
            User.id.in_({a.reviewed_by_id for a in approved if a.reviewed_by_id})))}
        titles = {sg.id: sg.title for sg in sub_goals}
        provenance = [
            Provenance(a.submission.organisation.name, titles[a.sub_goal_id], a.version,
                       reviewers.get(a.reviewed_by_id, ""),
                       a.reviewed_at.astimezone(clock.STOCKHOLM).date() if a.reviewed_at
                       else None)
            for a in sorted(approved, key=lambda a: (a.submission.organisation.name,
                                                     a.sub_goal_id))]

    sections = db.session.scalars(select(RoundSection).where(RoundSection.round_id == rnd.id)
                                  .order_by(RoundSection.position, RoundSection.id)).all()
    plans = {sg.action_plan for sg in sub_goals}
    starts = [p.period_start for p in plans if p.period_start]
    # Like the seeds: a few years back, the current year ("Idag") and the next one; at most
    # six columns, so the year headers fit the page.
    period = (max(min(starts), rnd.year - 4), rnd.year + 1) if starts else None
    who = region.identity()
    return ReportData(
        title=REPORT_TITLE,
        unit=who.unit,
        author=current_app.config["REPORT_AUTHOR"] or who.unit,
        region=who.region,
        date=clock.today(),
        registry_number=job.registry_number,
        round_name=rnd.name,
        foreword=rnd.foreword,
        foreword_signature=rnd.foreword_signature,
        chapters=chapters_data,
        intro_sections=[TextSection(s.title, s.body) for s in sections
                        if s.placement == "intro" and s.body.strip()],
        closing_sections=[TextSection(s.title, s.body) for s in sections
                          if s.placement == "closing" and s.body.strip()],
        period=period,
        current_year=rnd.year,
        status_rows=status_rows,
        organisation_rates=rates,
        provenance=provenance,
    )


