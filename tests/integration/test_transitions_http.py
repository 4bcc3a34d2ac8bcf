"""Illegal transitions are refused with a clear Swedish message and change nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import Answer, AuditEvent, Organisation, Submission


def _answer(app, municipality: str) -> Answer:
    with app.app_context():
        answer = db.session.scalar(
            select(Answer).join(Submission).join(Organisation)
            .where(Organisation.name == municipality))
        db.session.expunge(answer)
        return answer


def _audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)))



def test_approving_a_draft_is_refused_and_nothing_changes(browser: Browser, demo) -> None:
    draft = _answer(demo, "Hallsberg")
    assert draft.state.value == "draft"
    browser.login("granskare@example.se")
    browser.get("/granskning/")
    before = _audit_count(demo)
    response = browser.client.post(f"/granskning/svar/{draft.id}", data={
        "csrf_token": csrf_token(browser.page), "approve": "Godkänn", "expected_state": "draft",
        "expected_version": str(draft.version)})
    assert response.status_code == 409
    assert "Det går inte att godkänna ett svar som är ett utkast." in text_of(response)
    assert _answer(demo, "Hallsberg").state.value == "draft"
    assert _audit_count(demo) == before


def test_returning_without_a_comment_is_refused(browser: Browser, demo) -> None:
    submitted = _answer(demo, "Kumla")
    browser.login("granskare@example.se")
    browser.get(f"/granskning/svar/{submitted.id}")
    response = browser.submit({"return_": "Returnera med kommentar", "comment": "   "},
                              action=browser.url, expect=409)
    assert "Skriv en kommentar som förklarar varför." in text_of(response)
    assert _answer(demo, "Kumla").state.value == "submitted"


def test_a_contact_cannot_approve_its_own_answer(browser: Browser, demo) -> None:
    submitted = _answer(demo, "Kumla")
    browser.login("kumla@example.se")
    browser.get("/svar/")
    response = browser.client.post(f"/granskning/svar/{submitted.id}", data={
        "csrf_token": csrf_token(browser.page), "approve": "Godkänn", "expected_state": "submitted",
        "expected_version": str(submitted.version)})
    assert response.status_code == 403
    assert "Du har inte behörighet" in text_of(response)
    assert _answer(demo, "Kumla").state.value == "submitted"


def test_second_reviewer_acting_on_a_stale_page_changes_nothing(demo) -> None:
    first, second = Browser(demo.test_client()), Browser(demo.test_client())
    submitted = _answer(demo, "Kumla")
    for b, email in ((first, "granskare@example.se"), (second, "admin@example.se")):
        b.login(email)
        b.get(f"/granskning/svar/{submitted.id}")
    first.submit({"approve": "Godkänn"}, action=first.url)
    response = second.submit({"return_": "Returnera med kommentar", "comment": "Sent."},
                             action=second.url, expect=409)
    assert "Någon annan har redan ändrat det här svaret." in text_of(response)
    assert _answer(demo, "Kumla").state.value == "approved"
    with demo.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "answer", AuditEvent.entity_id == submitted.id)).all()
    assert actions == ["answer.submit", "answer.approve"]


def test_submitted_answer_is_locked_for_the_contact(browser: Browser, demo) -> None:
    submitted = _answer(demo, "Kumla")
    browser.login("kumla@example.se")
    url = f"/svar/omgang/1/organisation/{_org_id(demo, 'Kumla')}/delmal/{submitted.sub_goal_id}"
    page = browser.get(url)
    assert "Spara utkast" not in page.text
    response = browser.client.post(url, data={
        "csrf_token": csrf_token(browser.page), "text": "Ändrad i efterhand",
        "expected_version": str(submitted.version), "save": "Spara utkast"})
    assert response.status_code == 409
    assert "Det går inte att spara ett svar som redan är inskickat." in text_of(response)
    assert "Ändrad i efterhand" in response.text  # the typed text is not lost
    assert _answer(demo, "Kumla").text != "Ändrad i efterhand"


def _org_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))
