"""The report through the worker: scope, versions, phases, idempotent builds, templates, and
the Excel/CSV export of the same approved material."""
from __future__ import annotations

import datetime as dt
import io
import time

import docx
import openpyxl
from sqlalchemy import func, select

from tests.web import Browser, csrf_token
from webapp.extensions import db
from webapp.models import (
    ActivityReport,
    ActivityStatus,
    Organisation,
    ReportFile,
    ReportJob,
    ReportJobState,
    ReportTemplate,
    Round,
    User,
)
from webapp.services import activities, answers
from webapp.services import reports as report_service
from webapp.services import review as review_service


def _wait_done(browser: Browser, job_url: str) -> dict:
    deadline = time.monotonic() + 60
    while (status := browser.client.get(f"{job_url}/status").get_json())["state"] not in (
            "done", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    return status


def _request(browser: Browser, **fields) -> tuple[str, dict]:
    page = browser.get("/admin/omgang/1")
    data = {"csrf_token": csrf_token(page), "registry_number": ""}
    data.update(fields)
    response = browser.client.post("/rapporter/omgang/1", data=data, follow_redirects=True)
    assert response.status_code == 200, response.text[:500]
    job_url = response.request.path
    return job_url, _wait_done(browser, job_url)


def _text(browser: Browser, status: dict) -> tuple[str, docx.Document]:
    document = docx.Document(io.BytesIO(browser.client.get(status["download_url"]).data))
    return "\n".join(p.text for p in document.paragraphs), document


def _approve_kumla_with_an_activity(app) -> None:
    """Kumla's submitted answer gets an activity that also serves another focus area."""
    with app.app_context():
        kumla = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
        reviewer = db.session.scalar(select(User).where(User.email == "granskare@example.se"))
        submission = answers.get_submission(1, kumla.organisations[0].id)
        goals = [sg.id for sg in submission.round.sub_goals]
        activities.save(kumla, submission, activities.ActivityInput(
            "MI-utbildning", "Två kurser.", ActivityStatus.PAUSED, 2021, 2023,
            "Socialtjänsten", None, [goals[0], goals[-1]]))
        answer = answers.find_answer(submission, goals[0])
        review_service.approve(reviewer, answer, expected_state=answer.state,
                               expected_version=answer.version)
        db.session.commit()


def test_report_has_activities_paused_list_and_cross_reference(browser: Browser, worker,
                                                                demo) -> None:
    _approve_kumla_with_an_activity(demo)
    browser.login("admin@example.se")
    _, status = _request(browser, registry_number="26RS0100", include_provenance="y")
    assert status["state"] == "done"
    text, document = _text(browser, status)
    assert "Kumla kommun har utbildat personal i MI" in text
    assert "Följande aktiviteter har pausats:" in text and "MI-utbildning" in text
    assert "finns också under" in text
    assert "Bilaga: Underlag" in text and "Gustav Granskare" in "\n".join(
        c.text for t in document.tables for row in t.rows for c in row.cells)
    tables = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "Idag" in tables and "MI-utbildning" in tables


def test_a_chosen_part_of_the_round(browser: Browser, worker, demo) -> None:
    browser.login("admin@example.se")
    with demo.app_context():
        kumla = db.session.scalar(select(Organisation.id).where(Organisation.name == "Kumla"))
    _, status = _request(browser, organisations=[str(kumla)])
    text, _ = _text(browser, status)
    assert "Örebro kommun har infört brukarråd" not in text  # Örebro was not chosen


def test_two_requests_make_two_versions_with_their_own_checksums(browser: Browser, worker,
                                                                 demo) -> None:
    browser.login("admin@example.se")
    first, a = _request(browser, registry_number="26RS1")
    second, b = _request(browser, registry_number="26RS2")
    assert first != second
    with demo.app_context():
        files = db.session.scalars(select(ReportFile).order_by(ReportFile.id)).all()
        assert len(files) == 2 and all(len(f.sha256) == 64 for f in files)
    assert "Dnr: 26RS1" in _text(browser, a)[0] and "Dnr: 26RS2" in _text(browser, b)[0]


def test_a_task_delivered_twice_builds_once(demo) -> None:
    from worker.tasks import build_report

    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        job = report_service.request_report(admin, db.session.get(Round, 1), None)
        db.session.commit()
        job_id = job.id
        build_report.run(job_id)
        build_report.run(job_id)  # the duplicate finds the job claimed and does nothing
        assert db.session.scalar(select(func.count(ReportFile.id))) == 1
        assert db.session.get(ReportJob, job_id).state is ReportJobState.DONE


def test_a_job_stuck_running_is_built_again_or_failed_never_left(demo) -> None:
    from worker.tasks import build_report

    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        job = report_service.request_report(admin, db.session.get(Round, 1), None)
        db.session.commit()
        assert report_service.claim(job.id)  # a worker took it …
        db.session.commit()                  # … and was SIGKILLed before finishing
        stale = dt.timedelta(seconds=0)
        ids = report_service.release_stale(pending_after=stale, running_after=stale)
        db.session.commit()
        assert job.id in ids and db.session.get(ReportJob, job.id).state is ReportJobState.PENDING
        build_report.run(job.id)
        assert db.session.get(ReportJob, job.id).state is ReportJobState.DONE
        # After MAX_ATTEMPTS the job is failed with a reason instead of retried for ever.
        other = report_service.request_report(admin, db.session.get(Round, 1), None)
        db.session.commit()
        for _ in range(report_service.MAX_ATTEMPTS):
            assert report_service.claim(other.id)
            db.session.commit()
            report_service.release_stale(pending_after=stale, running_after=stale)
            db.session.commit()
        failed = db.session.get(ReportJob, other.id)
        assert failed.state is ReportJobState.FAILED and "flera försök" in failed.error


def test_template_missing_a_style_is_refused_by_name(browser: Browser, demo) -> None:
    from docx import Document

    template = Document()
    styles = template.styles.element
    for style in list(styles):
        if style.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}styleId") \
                == "Heading3":
            styles.remove(style)
    buffer = io.BytesIO()
    template.save(buffer)
    browser.login("admin@example.se")
    page = browser.get("/admin/rapportmall")
    response = browser.client.post("/admin/rapportmall", data={
        "csrf_token": csrf_token(page), "name": "Utan rubrik 3",
        "file": (io.BytesIO(buffer.getvalue()), "mall.docx")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Mallen saknar formatmallar" in response.text and "Heading 3" in response.text
    not_docx = browser.client.post("/admin/rapportmall", data={
        "csrf_token": csrf_token(page), "name": "Trasig",
        "file": (io.BytesIO(b"not a zip"), "mall.docx")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Mallen" in not_docx.text or "Word" in not_docx.text
    with demo.app_context():
        assert db.session.scalar(select(func.count(ReportTemplate.id))) == 0


def test_a_good_template_is_used_for_the_next_report(browser: Browser, worker, demo) -> None:
    from docx import Document

    template = Document()
    template.styles["Normal"].font.name = "Garamond"
    buffer = io.BytesIO()
    template.save(buffer)
    browser.login("admin@example.se")
    page = browser.get("/admin/rapportmall")
    response = browser.client.post("/admin/rapportmall", data={
        "csrf_token": csrf_token(page), "name": "Regionens mall",
        "file": (io.BytesIO(buffer.getvalue()), "regionen.docx")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "används för nya rapporter" in response.text
    _, status = _request(browser)
    _, document = _text(browser, status)
    assert document.styles["Normal"].font.name == "Garamond"


def test_export_has_the_approved_answers_and_no_formulas(browser: Browser, demo) -> None:
    _approve_kumla_with_an_activity(demo)
    with demo.app_context():
        report = db.session.scalar(select(ActivityReport))
        report.description = '=HYPERLINK("http://evil.example","klicka")'
        db.session.commit()
    browser.login("admin@example.se")
    xlsx = browser.client.get("/admin/omgang/1/export.xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    answers_sheet, activities_sheet = book["Godkända svar"], book["Aktiviteter"]
    texts = [row[4] for row in answers_sheet.iter_rows(min_row=2, values_only=True)]
    assert any("Örebro kommun har infört brukarråd" in t for t in texts)
    assert not any("Fritidsgårdarna" in t for t in texts)  # returned, not approved
    description = activities_sheet.cell(row=2, column=9)
    assert description.data_type == "s" and description.value.startswith("=HYPERLINK")
    csv_text = browser.client.get("/admin/omgang/1/export.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "\n=HYPERLINK" not in csv_text
