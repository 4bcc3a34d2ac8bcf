"""The contact's activities (cases): reported per round, carried forward from last round."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Activity,
    ActivityArea,
    ActivityLevel,
    ActivityReport,
    ActivityStatus,
    Answer,
    FocusArea,
    Round,
    RoundStatus,
    SubGoal,
    Submission,
    User,
)
from webapp.services import NotFound, ServiceError, audit
from webapp.workflows.review import ReviewState

MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class ActivityInput:
    name: str
    description: str
    status: ActivityStatus
    start_year: int | None
    end_year: int | None
    responsible_unit: str | None
    level: ActivityLevel | None
    sub_goal_ids: list[int]
    activity_area_id: int | None = None


def this_round(submission: Submission) -> list[ActivityReport]:
    return list(db.session.scalars(
        select(ActivityReport).join(Activity)
        .where(ActivityReport.round_id == submission.round_id,
               Activity.organisation_id == submission.organisation_id)
        .options(selectinload(ActivityReport.activity), selectinload(ActivityReport.sub_goals))
        .order_by(Activity.name)))


def from_last_round(submission: Submission) -> list[ActivityReport]:
    """Each activity's latest report from an earlier round, if not yet reported this round."""
    reported = {r.activity_id for r in this_round(submission)}
    earlier = db.session.scalars(
        select(ActivityReport).join(Activity).join(Round)
        .where(Activity.organisation_id == submission.organisation_id,
               ActivityReport.round_id != submission.round_id,
               Round.created_at < submission.round.created_at)
        .options(selectinload(ActivityReport.activity), selectinload(ActivityReport.sub_goals))
        .order_by(Round.year.desc(), Round.created_at.desc()))
    latest: dict[int, ActivityReport] = {}
    for report in earlier:
        latest.setdefault(report.activity_id, report)
    return [r for r in latest.values() if r.activity_id not in reported]


def approved_sub_goals(submission: Submission) -> dict[int, SubGoal]:
    """The sub-goals whose answer is approved in this submission, by id. Their activities
    were approved with the answer and so are locked until the answer is opened again."""
    return {a.sub_goal_id: a.sub_goal for a in db.session.scalars(
        select(Answer).where(Answer.submission_id == submission.id,
                             Answer.state == ReviewState.APPROVED)
        .options(selectinload(Answer.sub_goal)))}


def _short(sub_goal: SubGoal) -> str:
    return sub_goal.title.split(" – ")[0]


def is_locked(report: ActivityReport, approved: dict[int, SubGoal]) -> bool:
    return any(sg.id in approved for sg in report.sub_goals)


def locked_reason(report: ActivityReport, approved: dict[int, SubGoal]) -> str | None:
    """Why the contact cannot change this activity in this round, or None."""
    goals = [approved[sg.id] for sg in report.sub_goals if sg.id in approved]
    if not goals:
        return None
    names = ", ".join(_short(sg) for sg in goals)
    verb = "som redan är godkänt" if len(goals) == 1 else "som redan är godkända"
    return (f"Aktiviteten hör till {names}, {verb}. Be granskaren öppna svaret igen om "
            "den behöver ändras.")


def _check_unlocked(submission: Submission, report: ActivityReport | None,
                    sub_goal_ids: list[int]) -> None:
    """What a reviewer approved does not change behind their back: no activity of an
    approved sub-goal changes, and none is added to one, until the answer is reopened."""
    approved = approved_sub_goals(submission)
    if report is not None and (reason := locked_reason(report, approved)):
        raise ServiceError(reason)
    goals = [approved[i] for i in sorted(set(sub_goal_ids)) if i in approved]
    if goals:
        names = ", ".join(_short(sg) for sg in goals)
        verb = "som redan är godkänt" if len(goals) == 1 else "som redan är godkända"
        raise ServiceError(f"Aktiviteten kan inte kopplas till {names}, {verb}. Be "
                           "granskaren öppna svaret igen om aktiviteten ska redovisas där.")


def earlier_report(submission: Submission, report_id: int) -> ActivityReport:
    """An activity's latest report from an earlier round of the same organisation: the only
    thing copy-forward may read. Another organisation's, this round's or a later round's
    report is NotFound (a link session reads its own round, and what came before it)."""
    found = next((r for r in from_last_round(submission) if r.id == report_id), None)
    if found is None:
        raise NotFound()
    return found


def _check(submission: Submission, data: ActivityInput) -> None:
    if submission.round.status is not RoundStatus.OPEN:
        raise ServiceError("Uppföljningsomgången är stängd och kan inte längre ändras.")
    if not data.name.strip():
        raise ServiceError("Ge aktiviteten ett namn.")
    for year in (data.start_year, data.end_year):
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            raise ServiceError(f"Ange år mellan {MIN_YEAR} och {MAX_YEAR}.")
    if data.start_year and data.end_year and data.end_year < data.start_year:
        raise ServiceError("Slutåret kan inte ligga före startåret.")
    allowed = {sg.id for sg in submission.round.sub_goals_for(submission.organisation)}
    if not data.sub_goal_ids:
        raise ServiceError("Välj minst ett delmål som aktiviteten bidrar till.")
    if not set(data.sub_goal_ids) <= allowed:
        raise ServiceError("Aktiviteten kan bara kopplas till delmål i den här omgången.")
    if data.activity_area_id is not None and data.activity_area_id not in {
            area.id for area in activity_areas_for(submission)}:
        raise ServiceError("Välj ett aktivitetsområde i listan.")


def activity_areas_for(submission: Submission) -> list[ActivityArea]:
    """The active activity areas of the focus areas this organisation answers under."""
    focus_area_ids = {sg.focus_area_id
                      for sg in submission.round.sub_goals_for(submission.organisation)}
    return list(db.session.scalars(
        select(ActivityArea).join(FocusArea)
        .where(ActivityArea.focus_area_id.in_(focus_area_ids), ActivityArea.active.is_(True))
        .order_by(FocusArea.position, ActivityArea.position)))


def save(actor: User, submission: Submission, data: ActivityInput,
         report: ActivityReport | None = None,
         activity: Activity | None = None) -> ActivityReport:
    """Update ``report``; or create this round's report of ``activity`` (carried forward) or
    of a new activity."""
    _check(submission, data)
    if report is not None and (report.round_id != submission.round_id
                               or report.activity.organisation_id != submission.organisation_id):
        raise NotFound()
    _check_unlocked(submission, report, data.sub_goal_ids)
    if report is None:
        if activity is None:
            activity = Activity(organisation_id=submission.organisation_id,
                                name=data.name.strip())
            db.session.add(activity)
        report = ActivityReport(activity=activity, round_id=submission.round_id,
                                status=data.status)
        db.session.add(report)
    report.activity.name = data.name.strip()
    report.activity.activity_area_id = data.activity_area_id
    report.status = data.status
    report.description = data.description.replace("\r\n", "\n")
    report.start_year, report.end_year = data.start_year, data.end_year
    report.responsible_unit = (data.responsible_unit or "").strip() or None
    report.level = data.level
    report.sub_goals = [sg for sg in submission.round.sub_goals_for(submission.organisation)
                        if sg.id in data.sub_goal_ids]
    report.updated_by_id, report.updated_at = actor.id, clock.now()
    db.session.flush()
    audit.record(actor, "activity.save", "activity_report", report.id,
                 round_id=submission.round_id)
    return report


def carry_forward(actor: User, submission: Submission, earlier: ActivityReport) -> ActivityReport:
    """Start this round's report of an activity from its last one, for updating."""
    if earlier.id not in {r.id for r in from_last_round(submission)}:
        raise NotFound()
    if any(r.activity_id == earlier.activity_id for r in this_round(submission)):
        raise ServiceError("Aktiviteten finns redan i den här omgången.")
    allowed = {sg.id for sg in submission.round.sub_goals_for(submission.organisation)}
    open_goals = sorted(allowed - set(approved_sub_goals(submission)))
    goals = [sg.id for sg in earlier.sub_goals if sg.id in allowed] or open_goals[:1]
    return save(actor, submission, ActivityInput(
        earlier.activity.name, earlier.description, earlier.status, earlier.start_year,
        earlier.end_year, earlier.responsible_unit, earlier.level, goals),
        activity=earlier.activity)


def remove(actor: User, submission: Submission, report: ActivityReport) -> None:
    """Take the activity out of this round (its earlier reports stay)."""
    if (report.round_id != submission.round_id
            or report.activity.organisation_id != submission.organisation_id):
        raise NotFound()
    if submission.round.status is not RoundStatus.OPEN:
        raise ServiceError("Uppföljningsomgången är stängd och kan inte längre ändras.")
    _check_unlocked(submission, report, [])
    audit.record(actor, "activity.remove", "activity_report", report.id,
                 round_id=submission.round_id)
    db.session.delete(report)
    db.session.flush()


def for_answer(answer: Answer) -> list[ActivityReport]:
    """The activities reported this round for the answer's sub-goal: reviewed with it."""
    return [r for r in this_round(answer.submission)
            if any(sg.id == answer.sub_goal_id for sg in r.sub_goals)]


def as_text(reports: list[ActivityReport]) -> str:
    """The activities as the reviewer reads them, one block each: what a review snapshot
    keeps and what the next review is diffed against."""
    blocks = []
    for r in sorted(reports, key=lambda r: (r.activity.name, r.id)):
        years = (f"{r.start_year or ''}–{r.end_year or ''}"
                 if r.start_year or r.end_year else "")
        facts = [f for f in (r.status.label, years, r.responsible_unit,
                             r.level.label if r.level else None) if f]
        blocks.append(f"{r.activity.name} ({', '.join(facts)})\n{r.description}".rstrip())
    return "\n\n".join(blocks)


def fingerprint(text: str) -> str:
    """A short digest of ``as_text``: the review form carries it, so a reviewer approves the
    activities they saw, not ones changed since the page was loaded."""
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:32]
