"""The approved answers and activities of a round as Excel (openpyxl) or CSV.

A cell that begins with = + - @ (or a tab/CR) would run as a formula in a spreadsheet; in
Excel it is stored as text, in CSV it gets a leading apostrophe."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp import clock
from webapp.extensions import db
from webapp.models import Activity, ActivityReport, Answer, Role, Round, Submission, User
from webapp.services import ServiceError, audit
from webapp.services.audit import neutralise
from webapp.workflows.review import ReviewState

ANSWER_HEADER = ["Insatsområde", "Handlingsplan", "Delmål", "Organisation", "Svar", "Version",
                 "Granskare", "Godkänt"]
ACTIVITY_HEADER = ["Organisation", "Aktivitet", "Status", "Startår", "Slutår", "Enhet",
                   "Insatsnivå", "Delmål", "Beskrivning"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _rows(rnd: Round) -> tuple[list[list[object]], list[list[object]]]:
    approved = db.session.scalars(
        select(Answer).join(Submission)
        .where(Submission.round_id == rnd.id, Answer.state == ReviewState.APPROVED)
        .options(selectinload(Answer.submission).selectinload(Submission.organisation),
                 selectinload(Answer.sub_goal))).all()
    approved_pairs = {(a.submission.organisation_id, a.sub_goal_id) for a in approved}
    reviewers = {u.id: u.name for u in db.session.scalars(select(User).where(
        User.id.in_({a.reviewed_by_id for a in approved if a.reviewed_by_id})))}
    answers = [[a.sub_goal.focus_area.name, a.sub_goal.action_plan.name, a.sub_goal.title,
                a.submission.organisation.name, a.text, a.version,
                reviewers.get(a.reviewed_by_id, ""),
                a.reviewed_at.astimezone(clock.STOCKHOLM).date().isoformat()
                if a.reviewed_at else ""]
               for a in sorted(approved, key=lambda a: (a.sub_goal.focus_area.position,
                                                        a.sub_goal_id,
                                                        a.submission.organisation.name))]
    activities = []
    for report in db.session.scalars(
            select(ActivityReport).join(Activity).where(ActivityReport.round_id == rnd.id)
            .options(selectinload(ActivityReport.activity).selectinload(Activity.organisation),
                     selectinload(ActivityReport.sub_goals))
            .order_by(Activity.organisation_id, Activity.name)):
        goals = [sg for sg in report.sub_goals
                 if (report.activity.organisation_id, sg.id) in approved_pairs]
        if goals:  # only what was reported with an approved answer
            activities.append([
                report.activity.organisation.name, report.activity.name, report.status.label,
                report.start_year or "", report.end_year or "", report.responsible_unit or "",
                report.level.label if report.level else "",
                "; ".join(sg.title for sg in goals), report.description])
    return answers, activities


def export(actor: User, rnd: Round, fmt: str) -> tuple[bytes, str, str]:
    """(content, mimetype, filename) of the round's approved material."""
    if actor.role not in (Role.ADMIN, Role.REVIEWER, Role.READER):
        raise ServiceError("Du har inte behörighet att exportera svaren.")
    answers, activities = _rows(rnd)
    stem = f"godkanda-svar-{rnd.year}-omgang-{rnd.id}"
    audit.record(actor, f"export.{fmt}", "round", rnd.id, round_id=rnd.id)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(ANSWER_HEADER)
        writer.writerows([[neutralise(v) for v in row] for row in answers])
        writer.writerow([])
        writer.writerow(ACTIVITY_HEADER)
        writer.writerows([[neutralise(v) for v in row] for row in activities])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", \
            f"{stem}.csv"
    workbook = Workbook()
    for sheet, title, header, rows in ((workbook.active, "Godkända svar", ANSWER_HEADER,
                                        answers),
                                       (workbook.create_sheet(), "Aktiviteter",
                                        ACTIVITY_HEADER, activities)):
        sheet.title = title
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([_clean(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    cell.data_type = "s"  # text, never a formula
                    cell.quotePrefix = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{stem}.xlsx"


def _clean(value: object) -> object:
    """Characters Excel's XML cannot hold are dropped rather than failing the export."""
    if not isinstance(value, str):
        return value
    from worker.report.builder import clean_text

    return clean_text(value)
