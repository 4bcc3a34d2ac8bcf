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


# ------------------------------------------------------------------- withdraw (contact)

def _sub_goal_url(app, municipality: str, answer: Answer) -> str:
    return (f"/svar/omgang/{_round_id(app, answer)}/organisation/"
            f"{_org_id(app, municipality)}/delmal/{answer.sub_goal_id}")


def _round_id(app, answer: Answer) -> int:
    with app.app_context():
        return db.session.get(Submission, answer.submission_id).round_id


def test_a_contact_withdraws_a_submitted_answer_and_it_is_audited(browser: Browser, demo) -> None:
    submitted = _answer(demo, "Kumla")
    assert submitted.state.value == "submitted"
    browser.login("kumla@example.se")
    page = browser.get(_sub_goal_url(demo, "Kumla", submitted))
    assert "Ingen granskare har godkänt eller returnerat svaret ännu" in text_of(page)
    response = browser.submit({}, action=browser.url + "/ta-tillbaka")
    assert "Svaret är taget tillbaka och är ett utkast igen." in text_of(response)
    assert "Spara utkast" in response.text  # the form is editable again
    now = _answer(demo, "Kumla")
    assert now.state.value == "draft" and now.submitted_at is None
    assert now.text == submitted.text  # nothing written is lost
    with demo.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "answer", AuditEvent.entity_id == submitted.id)
            .order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.from_state, event.to_state) == (
            "answer.withdraw", "submitted", "draft")
        assert event.actor.email == "kumla@example.se"
    # The reviewer no longer has it to approve.
    browser.login("granskare@example.se")
    browser.get(f"/granskning/svar/{submitted.id}")
    assert "Godkänn" not in text_of(browser.page)


def test_withdrawing_after_the_reviewer_approved_is_refused(demo) -> None:
    contact, reviewer = Browser(demo.test_client()), Browser(demo.test_client())
    submitted = _answer(demo, "Kumla")
    contact.login("kumla@example.se")
    contact.get(_sub_goal_url(demo, "Kumla", submitted))  # the button is on screen
    reviewer.login("granskare@example.se")
    reviewer.get(f"/granskning/svar/{submitted.id}")
    reviewer.submit({"approve": "Godkänn"}, action=reviewer.url)
    before = _audit_count(demo)
    response = contact.submit({}, action=contact.url + "/ta-tillbaka")
    assert "Svaret har ändrats sedan du öppnade sidan" in text_of(response)
    assert "Ta tillbaka svaret" not in text_of(response)
    assert _answer(demo, "Kumla").state.value == "approved"
    assert _audit_count(demo) == before


def test_withdrawing_an_approved_answer_is_refused_in_swedish(browser: Browser, demo) -> None:
    approved = _answer(demo, "Örebro")
    assert approved.state.value == "approved"
    browser.login("orebro@example.se")
    page = browser.get(_sub_goal_url(demo, "Örebro", approved))
    assert "Ta tillbaka svaret" not in text_of(page)
    response = browser.client.post(_sub_goal_url(demo, "Örebro", approved) + "/ta-tillbaka",
                                   data={"csrf_token": csrf_token(page),
                                         "expected_version": str(approved.version)},
                                   follow_redirects=True)
    assert "Det går inte att ta tillbaka ett svar som redan är godkänt." in text_of(response)
    assert _answer(demo, "Örebro").state.value == "approved"


def test_a_contact_cannot_withdraw_another_organisations_answer(browser: Browser, demo) -> None:
    kumla = _answer(demo, "Kumla")
    browser.login("hallsberg@example.se")
    page = browser.get("/svar/")
    # Kumla's URL, posted by Hallsberg's contact: not found, and nothing changes.
    response = browser.client.post(_sub_goal_url(demo, "Kumla", kumla) + "/ta-tillbaka",
                                   data={"csrf_token": csrf_token(page),
                                         "expected_version": str(kumla.version)})
    assert response.status_code == 404
    assert _answer(demo, "Kumla").state.value == "submitted"
