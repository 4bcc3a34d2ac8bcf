"""Review and approval on PostgreSQL: races, history, diff, reopen, bulk, queue, filters, log."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
import time

import docx
import pytest
from sqlalchemy import select

from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import Answer, AuditEvent, Organisation, Round, Submission, User
from webapp.services import ServiceError, assignment
from webapp.services import review as review_service
from webapp.workflows.review import InvalidTransition, ReviewAction, ReviewState


def _answer_id(app, municipality: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Answer.id).join(Submission).join(Organisation)
                                 .where(Organisation.name == municipality))


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


@pytest.mark.committed  # two threads, two connections
def test_two_reviewers_at_once_make_exactly_one_transition(demo) -> None:
    """Two connections act on the same submitted answer at the same moment."""
    answer_id = _answer_id(demo, "Kumla")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def reviewer(action: ReviewAction, email: str) -> None:
        with demo.app_context():
            actor = _user(email)
            answer = db.session.get(Answer, answer_id)
            state, version = answer.state, answer.version
            barrier.wait()
            try:
                review_service.act(actor, answer, action, expected_state=state,
                                   expected_version=version, comment="Komplettera.")
                db.session.commit()
                outcomes.append("ok")
            except (ServiceError, InvalidTransition) as refusal:
                db.session.rollback()
                outcomes.append(refusal.message)

    threads = [threading.Thread(target=reviewer, args=(ReviewAction.APPROVE,
                                                       "granskare@example.se")),
               threading.Thread(target=reviewer, args=(ReviewAction.RETURN, "admin@example.se"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == sorted(["ok", review_service.STALE_MESSAGE]), outcomes
    with demo.app_context():
        events = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "answer", AuditEvent.entity_id == answer_id,
            AuditEvent.action.in_(["answer.approve", "answer.return"]))).all()
        assert len(events) == 1


def test_history_of_return_resubmit_approve_is_complete_and_ordered(browser: Browser,
                                                                     demo) -> None:
    answer_id = _answer_id(demo, "Askersund")  # returned in the demo
    with demo.app_context():
        org_id = db.session.get(Answer, answer_id).submission.organisation_id
        sub_goal_id = db.session.get(Answer, answer_id).sub_goal_id
    browser.login("askersund@example.se")
    page = browser.get(f"/svar/omgang/1/organisation/{org_id}/delmal/{sub_goal_id}")
    assert "Beskriv gärna vilka grupper som nåtts" in page.text
    browser.submit({"text": "Fritidsgårdarna har haft öppet fler kvällar för 120 unga.",
                    "submit": "Spara och skicka in"})
    browser.logout()

    browser.login("granskare@example.se")
    page = browser.get(f"/granskning/svar/{answer_id}")
    diff = page.text.split("Ändringar sedan svaret returnerades", 1)[1].split("</section>", 1)[0]

    def strip(fragment: str) -> str:
        return re.sub(r"<[^>]+>|\[(tillagt|borttaget): |\]", "", fragment)

    added = " ".join(strip(m) for m in re.findall(r"<ins>(.*?)</ins>", diff, flags=re.S))
    removed = " ".join(strip(m) for m in re.findall(r"<del>(.*?)</del>", diff, flags=re.S))
    assert "för 120 unga." in added and "kvällar." in removed
    assert "Fritidsgårdarna" not in added + removed  # unchanged words are not marked
    browser.submit({"approve": "Godkänn"}, action=browser.url)
    page = browser.get(f"/granskning/svar/{answer_id}")
    history = text_of(page).split("Historik", 1)[1]
    steps = ["skickade in svaret", "returnerade svaret", "skickade in svaret",
             "godkände svaret"]
    positions = [history.index(steps[0])]
    for step in steps[1:]:
        positions.append(history.index(step, positions[-1] + 1))
    assert positions == sorted(positions)
    with demo.app_context():
        versions = db.session.scalars(select(AuditEvent.answer_version).where(
            AuditEvent.entity_type == "answer", AuditEvent.entity_id == answer_id)
            .order_by(AuditEvent.id)).all()
    assert versions == sorted(versions) and len(set(versions)) == 4


def _build_report(browser: Browser) -> str:
    page = browser.get("/admin/omgang/1")
    response = browser.client.post("/rapporter/omgang/1", data={
        "csrf_token": csrf_token(page), "registry_number": ""}, follow_redirects=True)
    job_url = response.request.path
    deadline = time.monotonic() + 60
    while (status := browser.client.get(f"{job_url}/status").get_json())["state"] not in (
            "done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert status["state"] == "done", status
    content = browser.client.get(status["download_url"]).data
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def test_reopened_answer_leaves_the_next_report(browser: Browser, worker, demo) -> None:
    approved = _answer_id(demo, "Örebro")
    browser.login("admin@example.se")
    assert "Örebro kommun har infört brukarråd" in _build_report(browser)

    browser.get(f"/granskning/svar/{approved}")
    response = browser.submit({"reason": "Siffrorna stämmer inte med årsredovisningen."},
                              action=f"/granskning/svar/{approved}/oppna-igen")
    assert "Svaret är öppnat igen" in text_of(response)
    assert "Örebro kommun har infört brukarråd" not in _build_report(browser)
    with demo.app_context():
        assert db.session.get(Answer, approved).state is ReviewState.RETURNED


def test_reviewer_cannot_reopen(browser: Browser, demo) -> None:
    approved = _answer_id(demo, "Örebro")
    browser.login("granskare@example.se")
    page = browser.get(f"/granskning/svar/{approved}")
    assert "Öppna svaret igen" not in page.text
    response = browser.client.post(f"/granskning/svar/{approved}/oppna-igen", data={
        "csrf_token": csrf_token(page), "reason": "x", "expected_state": "approved",
        "expected_version": "3"})
    assert response.status_code == 403


def test_bulk_approve_approves_the_unchanged_and_reports_the_changed(browser: Browser,
                                                                   demo) -> None:
    kumla = _answer_id(demo, "Kumla")
    with demo.app_context():
        # A second submitted answer: Hallsberg's draft is submitted by its contact.
        hallsberg = db.session.get(Answer, _answer_id(demo, "Hallsberg"))
        from webapp.services import answers as answer_service
        answer_service.submit(_user("hallsberg@example.se"), hallsberg, hallsberg.version)
        db.session.commit()
        hallsberg_id, hallsberg_version = hallsberg.id, hallsberg.version
        kumla_version = db.session.get(Answer, kumla).version
    browser.login("granskare@example.se")
    page = browser.get("/granskning/omgang/1")
    assert f'value="{kumla}:{kumla_version}"' in page.text
    # Between page load and the click, Hallsberg's answer is returned by someone else.
    with demo.app_context():
        other = db.session.get(Answer, hallsberg_id)
        review_service.return_for_changes(_user("admin@example.se"), other, "Vänta.",
                                          expected_state=other.state,
                                          expected_version=other.version)
        db.session.commit()
    response = browser.client.post("/granskning/omgang/1/godkann-markerade", data={
        "csrf_token": csrf_token(page), "selected": [f"{kumla}:{kumla_version}",
                                                     f"{hallsberg_id}:{hallsberg_version}"]},
        follow_redirects=True)
    text = text_of(response)
    assert "1 svar godkändes." in text
    assert "Hallsberg" in text and "Någon annan har redan ändrat" in text
    with demo.app_context():
        assert db.session.get(Answer, kumla).state is ReviewState.APPROVED
        assert db.session.get(Answer, hallsberg_id).state is ReviewState.RETURNED


def test_queue_follows_assignment_and_reassignment(browser: Browser, demo) -> None:
    kumla = _answer_id(demo, "Kumla")
    with demo.app_context():
        answer = db.session.get(Answer, kumla)
        admin, reviewer = _user("admin@example.se"), _user("granskare@example.se")
        assignment.save_assignments(admin, focus_areas={
            answer.sub_goal.focus_area_id: reviewer.id}, districts={})
        db.session.commit()
    reviewer = Browser(demo.test_client())
    reviewer.login("granskare@example.se")
    assert f"/granskning/svar/{kumla}" in reviewer.get("/granskning/min-ko").text

    browser.login("admin@example.se")
    browser.get(f"/granskning/svar/{kumla}")
    with demo.app_context():
        admin_id = _user("admin@example.se").id
    response = browser.submit({"reviewer": str(admin_id)},
                              action=f"/granskning/svar/{kumla}/granskare")
    assert "Granskaren är bytt." in text_of(response)
    assert f"/granskning/svar/{kumla}" in browser.get("/granskning/min-ko").text
    assert f"/granskning/svar/{kumla}" not in reviewer.get("/granskning/min-ko").text


def test_overview_filters_and_marks_late_organisations(browser: Browser, demo) -> None:
    browser.login("granskare@example.se")
    def table(response) -> str:
        html = response.text.split('class="table overview"', 1)[1].split("</table>", 1)[0]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    page = table(browser.get("/granskning/omgang/1?state=returned"))
    assert "Askersund" in page and "Kumla" not in page and "Örebro" not in page
    with demo.app_context():
        soder = db.session.scalar(select(Organisation.id).where(
            Organisation.name == "Länsdelsgrupp Söder"))
    page = table(browser.get(f"/granskning/omgang/1?district={soder}"))
    assert "Kumla" in page and "Askersund" in page and "Nora" not in page
    assert " Sen " not in page

    with demo.app_context():
        db.session.get(Round, 1).deadline = dt.date.today() - dt.timedelta(days=2)
        db.session.commit()
    page = browser.get("/granskning/omgang/1")
    late_rows = [row for row in page.text.split("<tr")[1:] if 'class="late"' in row]
    late = {name for name in ("Nora", "Hallsberg", "Kumla", "Örebro", "Askersund")
            if any(f">{name} <span" in r or f">{name}<" in r for r in late_rows)}
    # The demo round has five sub-goals and nobody has sent all five: everyone is late.
    assert {"Nora", "Hallsberg", "Askersund"} <= late
    assert all('<span class="badge badge-late">Sen</span>' in r for r in late_rows)


def test_audit_log_exports_csv_without_formulas(browser: Browser, demo) -> None:
    kumla = _answer_id(demo, "Kumla")
    browser.login("granskare@example.se")
    browser.get(f"/granskning/svar/{kumla}")
    browser.submit({"return_": "Returnera med kommentar",
                    "comment": "=HYPERLINK(\"http://evil\")"}, action=browser.url)
    response = browser.client.get("/granskning/omgang/1/logg.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["tid_utc", "vem", "handelse"]
    comments = [r[8] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://evil\")" in comments
    assert not any(c.startswith(("=", "+", "-", "@")) for r in rows[1:] for c in r)
    with demo.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "audit.export")) is not None


def test_contacts_hear_once_when_their_last_sub_goal_is_approved(demo) -> None:
    from webapp.models import MailKind, OutboxMessage
    from webapp.services import answers as answer_service

    with demo.app_context():
        kumla = _user("kumla@example.se")
        reviewer = _user("granskare@example.se")
        submission = answer_service.get_submission(1, kumla.organisations[0].id)
        goals = submission.round.sub_goals

        def notices() -> int:
            return len(db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == MailKind.ALL_APPROVED)).all())

        for sub_goal in goals:
            answer = answer_service.find_answer(submission, sub_goal.id) or \
                answer_service.save_draft(kumla, submission, sub_goal, "Klart.", None)
            if answer.state is ReviewState.DRAFT:
                answer_service.submit(kumla, answer, answer.version)
            assert notices() == 0  # not before the last one
            review_service.approve(reviewer, answer, expected_state=answer.state,
                                   expected_version=answer.version)
        db.session.commit()
        assert notices() == 1
        # Reopened and approved again: still one notice.
        admin = _user("admin@example.se")
        last = answer_service.find_answer(submission, goals[-1].id)
        review_service.act(admin, last, ReviewAction.REOPEN, expected_state=last.state,
                           expected_version=last.version, comment="Kontroll.")
        answer_service.submit(kumla, last, last.version)
        review_service.approve(reviewer, last, expected_state=last.state,
                               expected_version=last.version)
        db.session.commit()
        assert notices() == 1
