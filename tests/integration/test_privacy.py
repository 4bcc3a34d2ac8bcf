"""Personal data (GDPR): a registerutdrag holds everything about a person and no secrets;
anonymising a contact removes who they were and keeps what they answered (public records);
retention deletes old links and sessions; the privacy and accessibility statements are public.

Admin actions run through the services (and the views, called in a request context), so the
tests do not depend on how staff sign in."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask_login import login_user
from sqlalchemy import func, select

from tests.web import Browser, csrf_token, text_of
from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Answer,
    AnswerRevision,
    AuditEvent,
    MailKind,
    MailState,
    OutboxMessage,
    PersonalLink,
    Round,
    User,
    UserSession,
)
from webapp.services import ServiceError, links, privacy, rounds

KUMLA_TEXT = "Kumla kommun har utbildat personal i MI"


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def _admin() -> User:
    return _user("admin@example.se")


def _issue(app: Flask, email: str = "kumla@example.se", round_id: int = 1) -> str:
    with app.app_context():
        token = links.issue(db.session.get(Round, round_id), _user(email))
        db.session.commit()
        return token


def _add_session(user: User, *, created: dt.datetime, last_seen: dt.datetime,
                 ended: dt.datetime | None = None, key: str) -> None:
    db.session.add(UserSession(id=key.ljust(64, "0"), user_id=user.id, via="link",
                               created_at=created, last_seen_at=last_seen, ended_at=ended))


@contextmanager
def _as_admin(app: Flask, path: str, method: str = "GET",
              data: dict[str, str] | None = None) -> Iterator[None]:
    """A request by the admin, without going through sign-in (which is about to change)."""
    with app.test_request_context(path, method=method, data=data):
        login_user(_admin())
        yield


# --- Registerutdrag -------------------------------------------------------------------------

def test_export_holds_the_persons_answers_and_no_secrets(demo) -> None:
    _issue(demo)  # a link exists: its hash must not leak into the export
    with demo.app_context():
        kumla = _user("kumla@example.se")
        kumla.phone = "019-123 45 67"
        _add_session(kumla, created=clock.now(), last_seen=clock.now(), key="a")
        db.session.commit()
        token_hashes = list(db.session.scalars(select(PersonalLink.token_hash)))
        session_ids = list(db.session.scalars(select(UserSession.id)))
        data = privacy.export_person(_admin(), kumla)
        db.session.commit()

        text = json.dumps(data, ensure_ascii=False)  # JSON-able as it is
        assert data["profile"]["name"] == "Karin Kumla"
        assert data["profile"]["email"] == "kumla@example.se"
        assert data["profile"]["phone"] == "019-123 45 67"
        assert data["profile"]["organisations"] == ["Kumla"]
        assert data["profile"]["role"] == "contact"
        assert [a["organisation"] for a in data["answers"]] == ["Kumla"]
        assert KUMLA_TEXT in data["answers"][0]["text"]
        assert data["answers"][0]["round"].startswith("Uppföljning")
        assert data["answers"][0]["sub_goal"]
        assert len(data["personal_links"]) == 1
        assert data["personal_links"][0]["use_count"] == 0
        assert len(data["sessions"]) == 1
        assert "answer.submit" in [e["action"] for e in data["audit_events"]]
        # No secrets: neither token hashes, session ids nor password hashes.
        for secret in token_hashes + session_ids + [kumla.password_hash]:
            assert secret not in text
        assert "token_hash" not in text and "password_hash" not in text
        # Nobody else's answers.
        assert "Örebro kommun" not in text and "Fritidsgårdarna" not in text
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.export"))
        assert event is not None and event.entity_id == kumla.id
        assert event.actor_id == _admin().id


def test_export_is_for_admins_only(demo) -> None:
    with demo.app_context():
        for email in ("granskare@example.se", "orebro@example.se"):
            with pytest.raises(ServiceError):
                privacy.export_person(_user(email), _user("kumla@example.se"))


def test_export_view_downloads_json_that_is_never_cached(demo, monkeypatch) -> None:
    monkeypatch.setitem(demo.config, "WTF_CSRF_ENABLED", False)  # no sign-in, so no token
    with demo.app_context():
        kumla_id = _user("kumla@example.se").id

    # Dispatched like any request, so the request boundary commits the audited export.
    with _as_admin(demo, f"/admin/personer/{kumla_id}/export", "POST"):
        response = demo.full_dispatch_request()
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="registerutdrag-{kumla_id}-')
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert KUMLA_TEXT in data["answers"][0]["text"]
    with demo.app_context():  # the request's commit kept the audit event
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "person.export")) == 1


# --- Anonymising ----------------------------------------------------------------------------

def test_anonymise_keeps_answers_and_removes_the_person(demo) -> None:
    token = _issue(demo)
    client = demo.test_client()
    page = client.get(f"/lank/{token}")
    assert client.post(f"/lank/{token}",
                       data={"csrf_token": csrf_token(page)}).status_code == 302
    assert client.get("/svar/").status_code == 200  # signed in by the link
    with demo.app_context():
        kumla = _user("kumla@example.se")
        kumla.phone = "019-123 45 67"
        _add_session(kumla, created=clock.now(), last_seen=clock.now(), key="b")
        db.session.add(OutboxMessage(round_id=1, user_id=kumla.id, kind=MailKind.REMINDER,
                                     step="3", state=MailState.PENDING))
        db.session.add(OutboxMessage(round_id=1, user_id=kumla.id, kind=MailKind.REMINDER,
                                     step="14", state=MailState.FAILED))
        db.session.add(OutboxMessage(round_id=1, user_id=kumla.id, kind=MailKind.INVITATION,
                                     step="", state=MailState.SENT, sent_at=clock.now()))
        db.session.commit()
        kumla_id = kumla.id
        answer = db.session.scalar(select(Answer).where(Answer.updated_by_id == kumla_id))
        answer_id, answer_text, answer_version = answer.id, answer.text, answer.version
        revisions_before = list(db.session.execute(
            select(AnswerRevision.id, AnswerRevision.text, AnswerRevision.author_id)
            .where(AnswerRevision.answer_id == answer_id)))

        privacy.anonymise(_admin(), kumla)
        db.session.commit()

    with demo.app_context():
        kumla = db.session.get(User, kumla_id)
        assert kumla.name == "Anonymiserad kontaktperson"
        assert kumla.email == f"anonymiserad-{kumla_id}@invalid.example"
        assert kumla.phone is None and kumla.password_hash is None
        assert kumla.totp_secret is None
        assert kumla.active is False and kumla.anonymised_at is not None
        assert kumla.organisations == []
        assert db.session.scalar(select(func.count(PersonalLink.id)).where(
            PersonalLink.user_id == kumla_id)) == 0
        open_sessions = db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == kumla_id, UserSession.ended_at.is_(None)))
        assert open_sessions == 0
        assert [m.state for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.user_id == kumla_id))] == [MailState.SENT]
        # The answer and its history are public records: untouched.
        answer = db.session.get(Answer, answer_id)
        assert answer.text == answer_text and KUMLA_TEXT in answer.text
        assert answer.version == answer_version and answer.updated_by_id == kumla_id
        assert list(db.session.execute(
            select(AnswerRevision.id, AnswerRevision.text, AnswerRevision.author_id)
            .where(AnswerRevision.answer_id == answer_id))) == revisions_before
        # No personal data in the audit trail of the anonymisation.
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "person.anonymise"))
        assert event is not None and event.entity_id == kumla_id
        assert "Karin" not in (event.comment or "") and "kumla@" not in (event.comment or "")
        # The registerutdrag now holds nothing that names the person.
        text = json.dumps(privacy.export_person(_admin(), kumla), ensure_ascii=False)
        db.session.rollback()
        assert "Karin" not in text and "kumla@example.se" not in text and "019-" not in text
    # The browser that was signed in is signed in no longer.
    assert client.get("/svar/").status_code == 302


def test_anonymise_refuses_staff_and_refuses_twice(demo) -> None:
    with demo.app_context():
        admin = _admin()
        for email in ("granskare@example.se", "admin@example.se", "ledamot@example.se"):
            with pytest.raises(ServiceError, match="Bara kontaktpersoner"):
                privacy.anonymise(admin, _user(email))
        db.session.rollback()
        assert _user("granskare@example.se").name == "Gustav Granskare"
        with pytest.raises(ServiceError, match="administratörer"):
            privacy.anonymise(_user("granskare@example.se"), _user("orebro@example.se"))
        orebro = _user("orebro@example.se")
        privacy.anonymise(admin, orebro)
        db.session.commit()
        with pytest.raises(ServiceError, match="redan anonymiserad"):
            privacy.anonymise(admin, orebro)
        db.session.rollback()
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "person.anonymise")) == 1


def test_an_anonymised_contact_cannot_sign_in_with_a_link(demo) -> None:
    token = _issue(demo)
    with demo.app_context():
        privacy.anonymise(_admin(), _user("kumla@example.se"))
        db.session.commit()
    client = demo.test_client()
    page = client.get(f"/lank/{token}")
    assert page.status_code == 404 and "Länken är inte giltig." in text_of(page)
    # Nor by posting the Fortsätt form with a valid CSRF token from another page.
    other = client.get("/lank/ny")
    response = client.post(f"/lank/{token}", data={"csrf_token": csrf_token(other)})
    assert response.status_code == 404
    assert client.get("/svar/").status_code == 302
    # Asking for a new link at the old address sends nothing.
    with demo.app_context():
        from webapp.services import mail

        mail.request_new_link("kumla@example.se", clock.now())
        db.session.commit()
        assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == MailKind.NEW_LINK)) == 0


def test_anonymise_view_needs_the_confirmation(demo, monkeypatch) -> None:
    monkeypatch.setitem(demo.config, "WTF_CSRF_ENABLED", False)

    with demo.app_context():
        kumla_id = _user("kumla@example.se").id
    path = f"/admin/personer/{kumla_id}/anonymisera"
    with _as_admin(demo, path, "POST", data={}):
        refused = demo.full_dispatch_request()
    body, status = refused.get_data(as_text=True), refused.status_code
    assert status == 422
    assert "Formuläret innehåller fel" in body and "Kryssa i rutan" in body
    assert body.count("<h1") == 1
    with demo.app_context():
        assert _user("kumla@example.se").anonymised_at is None
    with _as_admin(demo, path, "POST", data={"confirm": "y"}):
        response = demo.full_dispatch_request()
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/admin/personer/{kumla_id}")
        from flask import get_flashed_messages
        assert any("anonymiserad" in m for m in get_flashed_messages())
    with demo.app_context():
        assert db.session.get(User, kumla_id).anonymised_at is not None


# --- Admin pages (rendered in a request context) ---------------------------------------------

def test_people_page_lists_and_searches_contacts(demo) -> None:
    from webapp.views import privacy as views

    with _as_admin(demo, "/admin/personer"):
        body = views.people()
    assert body.count("<h1") == 1
    for name in ("Karin Kumla", "Olle Örebro", "Asta Askersund", "Hans Hallsberg"):
        assert name in body
    assert "Anna Andersson</a>" not in body and "Gustav Granskare" not in body
    assert 'for="q"' in body  # the search field has a label
    with _as_admin(demo, "/admin/personer?q=KUMLA"):
        body = views.people()
    assert "Karin Kumla" in body and "Olle Örebro" not in body
    with _as_admin(demo, "/admin/personer?q=%25"):  # a literal %, not a wildcard
        body = views.people()
    assert "Karin Kumla" not in body and "Ingen kontaktperson matchar" in body


def test_person_page_shows_the_data_and_the_buttons(demo) -> None:
    from webapp.views import privacy as views

    with demo.app_context():
        kumla_id = _user("kumla@example.se").id
        reviewer_id = _user("granskare@example.se").id
    with _as_admin(demo, f"/admin/personer/{kumla_id}"):
        body = views.person(kumla_id)
    assert body.count("<h1") == 1
    assert "Karin Kumla" in body and "kumla@example.se" in body
    assert f'action="/admin/personer/{kumla_id}/export"' in body
    assert f'action="/admin/personer/{kumla_id}/anonymisera"' in body
    assert 'for="confirm"' in body
    with _as_admin(demo, f"/admin/personer/{reviewer_id}"):
        body = views.person(reviewer_id)
    assert "/anonymisera" not in body and "Bara kontaktpersoner kan anonymiseras" in body


# --- Access ---------------------------------------------------------------------------------

def _id_of(app: Flask, email: str) -> int:
    with app.app_context():
        return _user(email).id


@pytest.mark.parametrize("page_of", [None, "orebro@example.se"])
def test_contact_is_refused_the_admin_pages(demo, page_of: str | None) -> None:
    url = "/admin/personer" + (f"/{_id_of(demo, page_of)}" if page_of else "")
    token = _issue(demo)
    client = demo.test_client()
    page = client.get(f"/lank/{token}")
    assert client.post(f"/lank/{token}",
                       data={"csrf_token": csrf_token(page)}).status_code == 302
    assert client.get(url).status_code == 403
    signed_in = client.get("/svar/")  # a fresh CSRF token: signing in started a new session
    for action in ("export", "anonymisera"):
        response = client.post(f"{url}/{action}", data={
            "csrf_token": csrf_token(signed_in), "confirm": "y"})
        assert response.status_code in (403, 404), (action, response.status_code)
    with demo.app_context():
        assert _user("orebro@example.se").anonymised_at is None
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.like("person.%"))) == 0


@pytest.mark.parametrize("page_of", [None, "kumla@example.se"])
def test_anonymous_visitors_are_sent_to_sign_in(browser: Browser, demo,
                                                page_of: str | None) -> None:
    url = "/admin/personer" + (f"/{_id_of(demo, page_of)}" if page_of else "")
    response = browser.client.get(url)
    assert response.status_code == 302 and "/logga-in" in response.headers["Location"]


@pytest.mark.parametrize("action", ["export", "anonymisera"])
def test_anonymous_posts_change_nothing(demo, action: str) -> None:
    kumla_id = _id_of(demo, "kumla@example.se")
    client = demo.test_client()
    page = client.get("/lank/ny")
    response = client.post(f"/admin/personer/{kumla_id}/{action}", data={
        "csrf_token": csrf_token(page), "confirm": "y"})
    assert response.status_code == 302 and "/logga-in" in response.headers["Location"]
    with demo.app_context():
        assert _user("kumla@example.se").anonymised_at is None
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.like("person.%"))) == 0


# --- Retention ------------------------------------------------------------------------------

def test_retention_deletes_dead_links_and_old_sessions_and_keeps_live_ones(demo) -> None:
    now = clock.now()
    old, fresh = now - dt.timedelta(days=31), now - dt.timedelta(days=2)
    used_old = _issue(demo)
    revoked_old = _issue(demo)
    unused_old = _issue(demo, "orebro@example.se")
    unused_fresh = _issue(demo, "askersund@example.se")
    with demo.app_context():
        by_hash = {link.token_hash: link for link in db.session.scalars(select(PersonalLink))}
        by_hash[links.hash_token(used_old)].created_at = old
        by_hash[links.hash_token(used_old)].last_used_at = old
        by_hash[links.hash_token(used_old)].use_count = 1
        by_hash[links.hash_token(unused_old)].created_at = old
        by_hash[links.hash_token(revoked_old)].revoked_at = old
        by_hash[links.hash_token(unused_fresh)].created_at = fresh
        kumla, orebro = _user("kumla@example.se"), _user("orebro@example.se")
        _add_session(kumla, created=old, last_seen=old, key="c1")                # idle, old
        _add_session(kumla, created=old, last_seen=fresh, ended=old, key="c2")   # ended long ago
        _add_session(orebro, created=old, last_seen=fresh, key="c3")              # in use
        _add_session(orebro, created=fresh, last_seen=fresh, ended=fresh, key="c4")  # ended lately
        db.session.commit()

        counts = privacy.apply_retention(now, link_days=30, session_days=30)
        db.session.commit()

        assert counts == {"links": 1, "sessions": 2}
        left = set(db.session.scalars(select(PersonalLink.token_hash)))
        assert links.hash_token(revoked_old) not in left
        # An unused link in an open round is a live invitation: it stays, however old.
        assert {links.hash_token(t) for t in (used_old, unused_old, unused_fresh)} <= left
        assert len(left) == 3
        assert sorted(db.session.scalars(select(UserSession.id))) == [
            "c3".ljust(64, "0"), "c4".ljust(64, "0")]
        # Running again deletes nothing more.
        assert privacy.apply_retention(now, link_days=30, session_days=30) == {
            "links": 0, "sessions": 0}


def test_retention_deletes_every_link_of_a_closed_round(demo) -> None:
    token = _issue(demo)
    client = demo.test_client()
    page = client.get(f"/lank/{token}")
    client.post(f"/lank/{token}", data={"csrf_token": csrf_token(page)})  # used, and fresh
    with demo.app_context():
        rounds.close_round(_admin(), db.session.get(Round, 1))
        db.session.commit()
        counts = privacy.apply_retention(clock.now(), link_days=30, session_days=30)
        db.session.commit()
        assert counts["links"] == 1
        assert db.session.scalar(select(func.count(PersonalLink.id))) == 0


def test_retention_task_uses_the_configured_days(demo) -> None:
    unused_old = _issue(demo)
    with demo.app_context():
        link = db.session.scalar(select(PersonalLink))
        link.revoked_at = clock.now() - dt.timedelta(days=40)
        db.session.commit()
        from worker.tasks import apply_retention

        apply_retention.run()
        assert db.session.scalar(select(PersonalLink).where(
            PersonalLink.token_hash == links.hash_token(unused_old))) is None


# --- Public statements ----------------------------------------------------------------------

def test_privacy_page_is_public_and_says_what_is_stored(demo) -> None:
    response = demo.test_client().get("/integritet")
    assert response.status_code == 200
    text = text_of(response)
    assert response.text.count("<h1") == 1 and 'lang="sv"' in response.text
    for words in ("Så hanterar vi dina personuppgifter", "Vilka uppgifter vi sparar",
                  "Svaren är allmänna handlingar", "offentlighetsprincipen",
                  "Rättslig grund", "allmänt intresse", "myndighetsutövning",
                  "Hur länge vi sparar uppgifterna", "Dina rättigheter", "registerutdrag",
                  "rättade", "dataskyddsombud", "telefonnummer", "e-postadress"):
        assert words in text, words


def test_accessibility_statement_is_public_and_follows_diggs_model(demo) -> None:
    response = demo.test_client().get("/tillganglighet")
    assert response.status_code == 200
    text = text_of(response)
    assert response.text.count("<h1") == 1
    for words in ("Tillgänglighet för Uppföljning av handlingsplaner",
                  "Hur tillgänglig är tjänsten?", "helt förenlig",
                  "WCAG 2.1 nivå AA", "Rapportera brister i tjänstens tillgänglighet",
                  "Tillsyn", "Myndigheten för digital förvaltning (DIGG)",
                  "Innehåll som inte är tillgängligt", "Vi känner inte till några brister",
                  "Hur vi testat tjänsten", "axe", "Redogörelsen uppdaterades senast den"):
        assert words in text, words
    assert 'href="mailto:' in response.text and "digg.se" in response.text


def test_statements_are_public_when_signed_in_too(demo) -> None:
    token = _issue(demo)
    client = demo.test_client()
    page = client.get(f"/lank/{token}")
    client.post(f"/lank/{token}", data={"csrf_token": csrf_token(page)})
    for path in ("/integritet", "/tillganglighet"):
        assert client.get(path).status_code == 200
