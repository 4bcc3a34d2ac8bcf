"""No one sees what isn't theirs: a contact in Kumla cannot read or change Örebro's answers
by changing an id in the URL, nor reach staff pages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web import Browser, csrf_token
from webapp.extensions import db
from webapp.models import Answer, Organisation, Submission


def _ids(app, municipality: str) -> tuple[int, int, int]:
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == municipality))
        answer = db.session.scalar(select(Answer).join(Submission)
                                   .where(Submission.organisation_id == org.id))
        return org.id, answer.sub_goal_id, answer.id


def test_kumla_cannot_read_orebros_answer_by_url(browser: Browser, demo) -> None:
    orebro_id, sub_goal_id, answer_id = _ids(demo, "Örebro")
    browser.login("kumla@example.se")
    own = browser.get("/svar/")
    main = own.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Kumla" in main and "Örebro" not in main
    for url in (f"/svar/omgang/1/organisation/{orebro_id}",
                f"/svar/omgang/1/organisation/{orebro_id}/delmal/{sub_goal_id}"):
        response = browser.client.get(url)
        assert response.status_code == 404, url
        assert "Brukare och närstående" not in response.text
    assert browser.client.get(f"/granskning/svar/{answer_id}").status_code == 403


def test_kumla_cannot_change_orebros_answer_by_form_post(browser: Browser, demo) -> None:
    orebro_id, sub_goal_id, answer_id = _ids(demo, "Örebro")
    kumla_id, kumla_goal, _ = _ids(demo, "Kumla")
    browser.login("kumla@example.se")
    browser.get(f"/svar/omgang/1/organisation/{kumla_id}/delmal/{kumla_goal}")
    # Kumla's own valid form (with its CSRF token), posted at Örebro's URL.
    response = browser.client.post(
        f"/svar/omgang/1/organisation/{orebro_id}/delmal/{sub_goal_id}",
        data={"csrf_token": csrf_token(browser.page), "text": "Kapat av Kumla", "expected_version": "2",
              "save": "Spara utkast"})
    assert response.status_code == 404
    review = browser.client.post(f"/granskning/svar/{answer_id}", data={
        "csrf_token": csrf_token(browser.page), "approve": "Godkänn", "expected_state": "approved",
        "expected_version": "1"})
    assert review.status_code == 403
    with demo.app_context():
        answer = db.session.get(Answer, answer_id)
        assert "Kapat av Kumla" not in answer.text and answer.state.value == "approved"



@pytest.mark.parametrize("url", ["/admin/", "/admin/omgang/ny", "/admin/omgang/1",
                                 "/admin/struktur/", "/admin/struktur/organisationer",
                                 "/granskning/", "/granskning/omgang/1", "/rapporter/1",
                                 "/rapporter/1/status", "/rapporter/1/ladda-ner"])
def test_contact_is_kept_out_of_staff_pages(browser: Browser, url: str) -> None:
    browser.login("kumla@example.se")
    assert browser.client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/", "/svar/", "/admin/", "/granskning/omgang/1",
                                 "/rapporter/1/ladda-ner"])
def test_anonymous_visitors_are_sent_to_sign_in(browser: Browser, url: str) -> None:
    response = browser.client.get(url)
    assert response.status_code == 302 and "/logga-in" in response.headers["Location"]


def test_reviewer_cannot_open_rounds_or_order_reports(browser: Browser) -> None:
    browser.login("granskare@example.se")
    assert browser.client.get("/admin/omgang/ny").status_code == 403
    assert browser.client.post("/rapporter/omgang/1", data={}).status_code in (400, 403)


def test_sign_in_redirects_only_to_own_paths(browser: Browser) -> None:
    browser.get("/logga-in?next=https://evil.example/")
    response = browser.client.post("/logga-in?next=https://evil.example/", data={
        "csrf_token": csrf_token(browser.page), "email": "kumla@example.se",
        "password": "demo-losenord"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_wrong_password_is_refused_in_swedish(browser: Browser) -> None:
    browser.get("/logga-in")
    response = browser.submit({"email": "kumla@example.se", "password": "fel"})
    assert "Fel e-postadress eller lösenord." in response.text
    assert browser.client.get("/svar/").status_code == 302
