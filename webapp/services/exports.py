"""The approved answers and activities of a round as Excel (openpyxl) or CSV.

A cell that begins with = + - @ (or a tab/CR) would run as a formula in a spreadsheet; in
Excel it is stored as text, in CSV it gets a leading apostrophe.

Beside each answer's prose, one column per question holds the typed value (numbers as
numbers, years as integers) so the answers can be counted and compared. An Excel cell holds at
most 32 767 characters: a longer text continues in the columns after it, headed
"… (fortsättning N)", cut so that the cells put together are exactly the text. The CSV has no
such limit and keeps every text whole."""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Activity,
    ActivityReport,
    Answer,
    Question,
    QuestionType,
    Role,
    Round,
    Submission,
    User,
)
from webapp.services import ServiceError, audit, questionnaires
from webapp.services.audit import neutralise
from webapp.workflows.review import ReviewState

ANSWER_HEADER = ["Insatsområde", "Handlingsplan", "Delmål", "Organisation", "Svar", "Version",
                 "Granskare", "Godkänt"]
ACTIVITY_HEADER = ["Organisation", "Aktivitet", "Status", "Startår", "Slutår", "Enhet",
                   "Insatsnivå", "Delmål", "Beskrivning"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32_767  # characters (UTF-16 code units) in one cell


def _question_columns(rnd: Round) -> list[tuple[str, str, Question]]:
    """(header, part, question) per typed-value column: one per question key across the
    round's sub-goals, in questionnaire order; a year range is two columns (from, to)."""
    columns: list[tuple[str, str, Question]] = []
    seen: set[str] = set()
    for questions in questionnaires.questions_by_sub_goal(rnd).values():
        for q in questions:
            if q.key in seen or q.kind is QuestionType.ACTIVITIES:
                continue
            seen.add(q.key)
            if q.kind is QuestionType.YEAR_RANGE:
                columns += [(f"{q.label} (från år)", "start", q),
                            (f"{q.label} (till år)", "end", q)]
            else:
                columns.append((q.label + (f" ({q.unit})" if q.unit else ""), "", q))
    return columns


def _typed(question: Question, part: str, value: Any) -> object:
    """One typed value as a spreadsheet cell: numbers stay numbers, years integers."""
    if value in (None, "", [], {}):
        return ""
    if question.kind is QuestionType.NUMBER:
        number = questionnaires.number_value(value)
        if number is None:
            return ""
        return int(number) if number == number.to_integral_value() else number
    if question.kind is QuestionType.YEAR_RANGE:
        year = value.get(part) if isinstance(value, dict) else None
        return int(year) if year else ""
    if question.kind is QuestionType.YEAR:
        return int(value)
    if question.kind is QuestionType.MULTIPLE_CHOICE:
        return "; ".join(value)
    return str(value)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _chunks(text: str) -> list[str]:
    """``text`` in pieces Excel can hold, never splitting a character."""
    pieces = []
    while text:
        piece = text[:EXCEL_CELL_LIMIT]
        while _utf16_length(piece) > EXCEL_CELL_LIMIT:  # characters beyond the BMP count 2
            piece = piece[:-max(1, (_utf16_length(piece) - EXCEL_CELL_LIMIT) // 2)]
        pieces.append(piece)
        text = text[len(piece):]
    return pieces or [""]


def _split_long_cells(header: list[str], rows: list[list[object]]
                      ) -> tuple[list[str], list[list[object]]]:
    """Continuation columns after every column holding a text too long for one cell."""
    split_rows = [[_chunks(v) if isinstance(v, str) else [v] for v in row] for row in rows]
    widths = [max([len(row[i]) for row in split_rows], default=1) for i in range(len(header))]
    new_header: list[str] = []
    for title, width in zip(header, widths):
        new_header += [title] + [f"{title} (fortsättning {n})" for n in range(1, width)]
    new_rows = []
    for row in split_rows:
        cells: list[object] = []
        for pieces, width in zip(row, widths):
            cells += pieces + [""] * (width - len(pieces))
        new_rows.append(cells)
    return new_header, new_rows


def _rows(rnd: Round, columns: list[tuple[str, str, Question]]
          ) -> tuple[list[list[object]], list[list[object]]]:
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
               + [_typed(q, part, (a.values or {}).get(q.key)) for _, part, q in columns]
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
    columns = _question_columns(rnd)
    answer_header = ANSWER_HEADER + [title for title, _, _ in columns]
    answers, activities = _rows(rnd, columns)
    stem = f"godkanda-svar-{rnd.year}-omgang-{rnd.id}"
    audit.record(actor, f"export.{fmt}", "round", rnd.id, round_id=rnd.id)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(answer_header)
        writer.writerows([[_csv_cell(v) for v in row] for row in answers])
        writer.writerow([])
        writer.writerow(ACTIVITY_HEADER)
        writer.writerows([[neutralise(v) for v in row] for row in activities])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", \
            f"{stem}.csv"
    workbook = Workbook()
    for sheet, title, header, rows in ((workbook.active, "Godkända svar", answer_header,
                                        answers),
                                       (workbook.create_sheet(), "Aktiviteter",
                                        ACTIVITY_HEADER, activities)):
        header, rows = _split_long_cells(header, [[_clean(v) for v in row] for row in rows])
        sheet.title = title
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    cell.data_type = "s"  # text, never a formula
                    cell.quotePrefix = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{stem}.xlsx"


def _csv_cell(value: object) -> str:
    """Numbers as Swedish Excel reads them (a decimal comma, no grouping); text neutralised."""
    if isinstance(value, bool):
        return neutralise(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return neutralise(value)


def _clean(value: object) -> object:
    """Characters Excel's XML cannot hold are dropped rather than failing the export."""
    if not isinstance(value, str):
        return value
    from worker.report.builder import clean_text

    return clean_text(value)
