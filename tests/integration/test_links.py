"""Personal links: only a button press signs in; bad, old or foreign links are refused in
Swedish; a link opens its own round and organisation only."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.web import csrf_token, text_of
from webapp.extensions import db
from webapp.models import Organisation, PersonalLink, Round, User
from webapp.services import links, rounds


def _issue(app, email: str = "kumla@example.se", round_id: int = 1) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        token = links.issue(db.session.get(Round, round_id), user)
        db.session.commit()
        return token


def _org(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def _press_continue(client, token: str):
    page = client.get(f"/lank/{token}")
    return client.post(f"/lank/{token}", data={"csrf_token": csrf_token(page)})


def test_scanner_get_and_head_do_not_sign_in(demo) -> None:
    token = _issue(demo)
    scanner = demo.test_client()
    for method in (scanner.head, scanner.get):
        response = method(f"/lank/{token}")
        assert response.status_code == 200
        assert response.headers["Referrer-Policy"] == "strict-origin"  # no path, no token
        assert response.headers["Cache-Control"] == "no-store"
    assert "Fortsätt" in scanner.get(f"/lank/{token}").text
    assert scanner.get("/svar/").status_code == 302  # still signed out
    with demo.app_context():
        link = db.session.scalar(select(PersonalLink))
        assert link.use_count == 0 and link.last_used_at is None


def test_pressing_continue_signs_in_without_the_token_in_the_address(demo) -> None:
    token = _issue(demo)
    client = demo.test_client()
    response = _press_continue(client, token)
    assert response.status_code == 302
    assert token not in response.headers["Location"]
    assert response.headers["Location"].startswith("/svar/omgang/1/organisation/")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Kumla" in page.text
    # Other organisations stay closed.
    assert client.get(f"/svar/omgang/1/organisation/{_org(demo, 'Örebro')}").status_code == 404


def test_tampered_link_is_refused(demo) -> None:
    token = _issue(demo)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    client = demo.test_client()
    response = client.get(f"/lank/{tampered}")
    assert response.status_code == 404
    assert "Länken är inte giltig." in text_of(response)
    assert client.get("/lank/kort").status_code == 404


def test_revoked_link_is_refused(browser, demo) -> None:
    token = _issue(demo)
    browser.login("admin@example.se")
    page = browser.get("/admin/omgang/1/utskick")
    with demo.app_context():
        kumla = db.session.scalar(select(User.id).where(User.email == "kumla@example.se"))
    response = browser.client.post(f"/admin/omgang/1/lankar/{kumla}/sparra",
                                   data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "spärrade" in text_of(response)
    response = demo.test_client().get(f"/lank/{token}")
    assert response.status_code == 404 and "Länken har spärrats." in text_of(response)


def test_link_stops_working_when_the_round_closes_even_if_used_before(demo) -> None:
    token = _issue(demo)
    assert _press_continue(demo.test_client(), token).status_code == 302
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        rounds.close_round(admin, db.session.get(Round, 1))
        db.session.commit()
    client = demo.test_client()
    response = client.get(f"/lank/{token}")
    assert response.status_code == 404
    assert "Uppföljningsomgången är avslutad" in text_of(response)
    page = client.get(f"/lank/{token}")
    assert client.post(f"/lank/{token}", data={"csrf_token": csrf_token(page)}).status_code == 404


def test_a_link_opens_its_own_round_only(demo) -> None:
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        other = rounds.create_next_round(admin, db.session.get(Round, 1))
        other.opens_on = dt.date.today()
        other.status = other.status.OPEN
        db.session.commit()
        other_id = other.id
    client = demo.test_client()
    _press_continue(client, _issue(demo, round_id=1))
    kumla = _org(demo, "Kumla")
    assert client.get(f"/svar/omgang/1/organisation/{kumla}").status_code == 200
    assert client.get(f"/svar/omgang/{other_id}/organisation/{kumla}").status_code == 404
    assert "Uppföljning" in client.get("/svar/").text


def test_new_link_request_is_silent_and_rate_limited(demo) -> None:
    client = demo.test_client()
    texts = []
    for email in ("kumla@example.se", "finns-inte@example.se"):
        page = client.get("/lank/ny")
        response = client.post("/lank/ny", data={"csrf_token": csrf_token(page),
                                                  "email": email}, follow_redirects=True)
        texts.append(re.findall(r'role="status">([^<]*)<', response.text))
    assert texts[0] == texts[1] and "Om adressen finns hos oss" in texts[0][0]
    with demo.app_context():
        from webapp.models import MailKind, OutboxMessage
        recipients = db.session.scalars(select(User.email).join(OutboxMessage.user).where(
            OutboxMessage.kind == MailKind.NEW_LINK)).all()
        assert recipients == ["kumla@example.se"]  # one, for the address that exists
    statuses = []
    for _ in range(5):
        page = client.get("/lank/ny")
        statuses.append(client.post("/lank/ny", data={"csrf_token": csrf_token(page),
                                                      "email": "x@example.se"}).status_code)
    assert 429 in statuses
    page = client.get("/lank/ny")
    limited = client.post("/lank/ny", data={"csrf_token": csrf_token(page),
                                            "email": "x@example.se"})
    assert limited.status_code == 429 and "För många försök" in text_of(limited)


@pytest.mark.parametrize("path", ["/lank/ny"])
def test_new_link_page_needs_no_sign_in(demo, path: str) -> None:
    assert demo.test_client().get(path).status_code == 200


def test_pressing_continue_works_over_https_with_the_referer_a_browser_sends(demo) -> None:
    """Behind the TLS proxy the request is https, and Flask-WTF then wants a same-origin
    Referer. A browser sends what the page's Referrer-Policy allows: the origin only."""
    token = _issue(demo)
    client = demo.test_client()
    page = client.get(f"/lank/{token}", base_url="https://localhost")
    policy = page.headers["Referrer-Policy"]
    referer = {"no-referrer": None, "strict-origin": "https://localhost/",
               "origin": "https://localhost/"}.get(policy, f"https://localhost/lank/{token}")
    assert referer is None or token not in referer
    headers = {"Referer": referer} if referer else {}
    response = client.post(f"/lank/{token}", base_url="https://localhost", headers=headers,
                           data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"].startswith("/svar/omgang/1/organisation/")
