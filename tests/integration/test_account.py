"""Staff change their own password: the current one first, the new one twice; other
sessions end; the second factor still applies afterwards."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from tests.web import Browser, text_of, totp_code
from webapp.extensions import db
from webapp.models import AuditEvent, User

EMAIL = "granskare@example.se"
NEW = "korp sommar fyrtio"


def _next_code_window(app: Flask) -> None:
    """A TOTP code works once; a second sign-in by the same person in the same 30 seconds
    stands for one in the next window."""
    with app.app_context():
        db.session.execute(update(User).where(User.email == EMAIL).values(totp_last_step=None))
        db.session.commit()


def _change(b: Browser, current: str, new: str, repeat: str, expect: int = 200):
    b.get("/konto/losenord")
    return b.submit({"current": current, "new": new, "repeat": repeat}, expect=expect)


def test_refusals_say_why_in_swedish_and_change_nothing(browser: Browser, demo: Flask) -> None:
    browser.login(EMAIL)
    with demo.app_context():
        before = db.session.scalar(select(User.password_hash).where(User.email == EMAIL))
    cases = [
        ("fel-losenord-123", NEW, NEW, "Det nuvarande lösenordet stämmer inte."),
        ("demo-losenord", NEW, NEW + "x", "Lösenorden är inte lika."),
        ("demo-losenord", "kort", "kort", "Det nya lösenordet ska vara 12–200 tecken."),
        ("demo-losenord", "", "", "Fyll i ett nytt lösenord."),
        ("", NEW, NEW, "Fyll i ditt nuvarande lösenord."),
        ("demo-losenord", "demo-losenord", "demo-losenord",
         "Det nya lösenordet ska skilja sig från det nuvarande."),
    ]
    for current, new, repeat, message in cases:
        response = _change(browser, current, new, repeat, expect=422)
        assert message in text_of(response), (current, new, repeat)
    with demo.app_context():
        assert db.session.scalar(select(User.password_hash).where(User.email == EMAIL)) == before
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "user.password_change")) is None


def test_change_ends_other_sessions_and_keeps_the_second_factor(demo: Flask) -> None:
    here, elsewhere = Browser(demo.test_client()), Browser(demo.test_client())
    elsewhere.login(EMAIL)
    _next_code_window(demo)
    here.login(EMAIL)
    response = _change(here, "demo-losenord", NEW, NEW)
    assert "Lösenordet är bytt." in text_of(response)
    # This session goes on; the other one is signed out.
    assert here.client.get("/granskning/").status_code == 200
    other = elsewhere.client.get("/granskning/")
    assert other.status_code == 302 and "/logga-in" in other.headers["Location"]
    with demo.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "user.password_change"))
        assert event.actor.email == EMAIL and event.entity_id == event.actor_id
    # The old password no longer works; the new one still asks for the code from the app.
    fresh = Browser(demo.test_client())
    fresh.get("/logga-in")
    response = fresh.submit({"email": EMAIL, "password": "demo-losenord"})
    assert "Fel e-postadress eller lösenord." in text_of(response)
    fresh.submit({"email": EMAIL, "password": NEW})
    assert fresh.url == "/logga-in/kod"
    assert fresh.client.get("/granskning/").status_code == 302  # not in yet
    _next_code_window(demo)
    fresh.submit({"code": totp_code()})
    assert fresh.client.get("/granskning/").status_code == 200


def test_every_staff_role_can_change_and_contacts_cannot(demo: Flask) -> None:
    for email in ("admin@example.se", "ledamot@example.se"):
        b = Browser(demo.test_client())
        b.login(email)
        assert "Byt lösenord" in b.get("/").text
        assert b.get("/konto/losenord").status_code == 200
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    assert "Byt lösenord" not in contact.get("/").text
    assert contact.client.get("/konto/losenord").status_code == 403
