"""Sign-in, sessions, second factor, headers and configuration: what a security review checks."""
from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy import func, select

from tests.factories import UserFactory
from tests.web import Browser, csrf_token, text_of, totp_code
from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEvent, Role, User


def _user(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_sign_out_ends_the_session_on_the_server(demo) -> None:
    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    stolen = _session_cookie(b.client)
    b.logout()
    thief = demo.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/svar/").status_code == 302  # the copied cookie no longer works


def test_disabling_a_user_signs_them_out_everywhere(demo) -> None:
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    assert contact.client.get("/svar/").status_code == 200
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    page = admin.get("/admin/konton")
    kumla = _user(demo, "kumla@example.se")
    response = admin.client.post(f"/admin/konton/{kumla.id}/inaktivera",
                                 data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "inaktiverad och utloggad" in text_of(response)
    assert contact.client.get("/svar/").status_code == 302
    contact.get("/logga-in")
    response = contact.submit({"email": "kumla@example.se", "password": "demo-losenord"})
    assert "Fel e-postadress eller lösenord." in response.text


def test_sign_in_starts_a_new_session(demo) -> None:
    b = Browser(demo.test_client())
    b.get("/logga-in")
    before = _session_cookie(b.client)
    b.login("kumla@example.se")
    assert _session_cookie(b.client) != before


@pytest.mark.parametrize(("minutes", "signed_in"), [(29, True), (31, False), (60 * 13, False)])
def test_idle_and_absolute_timeouts(demo, tmp_path, monkeypatch, minutes, signed_in) -> None:
    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    clock_file = tmp_path / "now.txt"
    monkeypatch.setenv("UPPFOLJNING_CLOCK_FILE", str(clock_file))
    clock_file.write_text((dt.datetime.now(dt.UTC)
                           + dt.timedelta(minutes=minutes)).isoformat())
    assert (b.client.get("/svar/").status_code == 200) is signed_in


def test_absolute_timeout_holds_even_for_an_active_person(demo, tmp_path, monkeypatch) -> None:
    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    clock_file = tmp_path / "now.txt"
    monkeypatch.setenv("UPPFOLJNING_CLOCK_FILE", str(clock_file))
    start = dt.datetime.now(dt.UTC)
    for hours in range(1, 13):  # active every twenty minutes for twelve hours
        for minutes in (0, 20, 40):
            clock_file.write_text((start + dt.timedelta(hours=hours - 1, minutes=minutes))
                                  .isoformat())
            assert b.client.get("/svar/").status_code == 200
    clock_file.write_text((start + dt.timedelta(hours=12, minutes=5)).isoformat())
    assert b.client.get("/svar/").status_code == 302


def test_pages_warn_before_the_session_ends(demo) -> None:
    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    page = b.get("/svar/")
    assert 'id="session-warning"' in page.text and 'data-idle-seconds="1800"' in page.text
    assert "session-timeout.js" in page.text
    keep = b.client.post("/session/forlang", headers={"X-CSRFToken": csrf_token(page)})
    assert keep.status_code == 200 and keep.get_json()["idle_seconds"] == 1800


def test_staff_need_the_second_factor_and_a_code_works_once(demo) -> None:
    b = Browser(demo.test_client())
    b.get("/logga-in")
    b.submit({"email": "granskare@example.se", "password": "demo-losenord"})
    assert b.url == "/logga-in/kod"
    assert b.client.get("/granskning/").status_code == 302  # not signed in yet
    response = b.submit({"code": "000000"}, expect=200)
    assert "Koden stämmer inte" in text_of(response)
    code = totp_code()
    b.submit({"code": code})
    assert b.client.get("/granskning/").status_code == 200
    b.logout()
    # The same code again, within its 30 seconds: refused (no replay).
    b.get("/logga-in")
    b.submit({"email": "granskare@example.se", "password": "demo-losenord"})
    response = b.submit({"code": code})
    assert "Koden stämmer inte" in text_of(response)
    with demo.app_context():
        failures = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "auth.second_factor_failed"))
    assert failures == 2


def test_second_factor_page_needs_the_password_first(demo) -> None:
    client = demo.test_client()
    response = client.get("/logga-in/kod")
    assert response.status_code == 302 and response.headers["Location"].endswith("/logga-in")


def test_enrolment_then_recovery_codes_work_once(demo) -> None:
    with demo.app_context():
        UserFactory(email="ny@example.se", role=Role.REVIEWER, password="ett-langt-losenord")
        db.session.commit()
    b = Browser(demo.test_client())
    b.get("/logga-in")
    page = b.submit({"email": "ny@example.se", "password": "ett-langt-losenord"})
    assert b.url == "/logga-in/aktivera"
    assert "<svg" in page.text and "QR-kod för appen" in page.text
    secret = page.text.split('<code class="secret">', 1)[1].split("<", 1)[0]
    page = b.submit({"code": pyotp.TOTP(secret).now()})
    codes = [c.split("</code>")[0] for c in page.text.split("<li><code>")[1:]]
    assert len(codes) == 10 and len(set(codes)) == 10
    b.logout()
    for attempt in range(2):
        b.get("/logga-in")
        b.submit({"email": "ny@example.se", "password": "ett-langt-losenord"})
        b.submit({"code": codes[0]})
        signed_in = b.client.get("/granskning/").status_code == 200
        assert signed_in is (attempt == 0)  # a recovery code works once
        if signed_in:
            b.logout()


def test_second_factor_attempts_are_rate_limited(demo) -> None:
    b = Browser(demo.test_client())
    b.get("/logga-in")
    b.submit({"email": "admin@example.se", "password": "demo-losenord"})
    page = b.page
    statuses = [b.client.post("/logga-in/kod", data={"csrf_token": csrf_token(page),
                                                      "code": "111111"}).status_code
                for _ in range(11)]
    assert statuses[-1] == 429 and statuses[:10].count(429) == 0


def test_security_headers_on_every_response(demo) -> None:
    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    for path, status in (("/svar/", 200), ("/finns-inte", 404), ("/admin/", 403),
                         ("/halsa", 200)):
        response = b.client.get(path)
        assert response.status_code == status
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in response.headers  # plain http here
    secure = demo.test_client().get("/halsa", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_in_any_page(demo) -> None:
    b = Browser(demo.test_client())
    b.login("admin@example.se")
    for path in ("/admin/", "/admin/omgang/1", "/granskning/omgang/1", "/rapporter/1"):
        html = b.client.get(path).text
        for tag in html.split("<script")[1:]:
            assert tag.split(">", 1)[0].strip().startswith("src="), path


def test_session_cookie_flags(demo) -> None:
    client = demo.test_client()
    page = client.get("/logga-in")
    header = page.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_audit_records_sign_ins_failures_denials_and_no_secrets(demo) -> None:
    b = Browser(demo.test_client())
    b.get("/logga-in")
    b.submit({"email": "kumla@example.se", "password": "fel"})
    b.login("kumla@example.se")
    b.client.get("/admin/")
    with demo.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
        comments = " ".join(c or "" for c in db.session.scalars(select(AuditEvent.comment)))
    assert {"auth.login_failed", "auth.login.password", "access.denied"} <= actions
    assert "demo-losenord" not in comments and "fel" not in comments.split()


def test_secret_key_rotation_keeps_people_signed_in(demo) -> None:
    from webapp import create_app
    from webapp.config import Config

    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    cookie = _session_cookie(b.client)
    rotated = create_app(Config(SECRET_KEY="a-brand-new-secret-key-of-enough-length",
                                SECRET_KEY_FALLBACKS=[demo.config["SECRET_KEY"]]))
    client = rotated.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/svar/").status_code == 200
    stranger = create_app(Config(SECRET_KEY="a-different-secret-key-of-enough-length"))
    client = stranger.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/svar/").status_code == 302


def test_clock_file_is_ignored_in_production(monkeypatch, tmp_path) -> None:
    clock_file = tmp_path / "now.txt"
    clock_file.write_text("2040-01-01T00:00:00+00:00")
    monkeypatch.setenv("UPPFOLJNING_CLOCK_FILE", str(clock_file))
    assert clock.now().year == 2040
    monkeypatch.setenv("UPPFOLJNING_ENV", "production")
    assert clock.now().year < 2040


def test_password_guessing_is_slowed_per_account_without_locking_out_others(demo) -> None:
    b = Browser(demo.test_client())
    page = b.client.get("/logga-in")
    statuses = [b.client.post("/logga-in", data={"csrf_token": csrf_token(page),
                                                 "email": "kumla@example.se",
                                                 "password": f"gissning-{i}"}).status_code
                for i in range(11)]
    assert statuses[:10].count(429) == 0 and statuses[10] == 429
    assert "För många försök" in b.client.post("/logga-in", data={
        "csrf_token": csrf_token(page), "email": "kumla@example.se",
        "password": "demo-losenord"}).text
    other = b.client.post("/logga-in", data={"csrf_token": csrf_token(page),
                                             "email": "orebro@example.se",
                                             "password": "demo-losenord"})
    assert other.status_code == 302  # another account from the same address still gets in


def test_csp_forbids_plugins_and_base_rewrites(demo) -> None:
    csp = demo.test_client().get("/logga-in").headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert "form-action 'self'" in csp


def test_answer_text_is_shown_as_text_never_as_markup(demo) -> None:
    b = Browser(demo.test_client())
    b.login("hallsberg@example.se")
    with demo.app_context():
        from webapp.models import Organisation
        hallsberg = db.session.scalar(select(Organisation.id).where(
            Organisation.name == "Hallsberg"))
    url = f"/svar/omgang/1/organisation/{hallsberg}/delmal/1"
    b.get(url)
    b.submit({"text": '<script>alert("x")</script><img src=x onerror=alert(1)>',
              "save": "Spara utkast"}, action=url)
    page = b.get(url).text
    assert '<script>alert("x")</script>' not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_passwords_are_stored_as_argon2id(demo) -> None:
    with demo.app_context():
        hashes = db.session.scalars(select(User.password_hash).where(
            User.password_hash.is_not(None))).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_create_admin_refuses_a_short_password(demo) -> None:
    runner = demo.test_cli_runner()
    short = runner.invoke(args=["create-admin", "--email", "ny@example.se", "--name", "Ny",
                                "--password", "kort"])
    assert short.exit_code != 0 and "minst 12 tecken" in short.output
    ok = runner.invoke(args=["create-admin", "--email", "ny@example.se", "--name", "Ny",
                             "--password", "ett-tillrackligt-langt-losenord"])
    assert ok.exit_code == 0, ok.output
    with demo.app_context():
        user = db.session.scalar(select(User).where(User.email == "ny@example.se"))
        assert user.role is Role.ADMIN and user.totp_secret is None  # enrols at first sign-in


def test_sign_out_is_audited(demo) -> None:
    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    b.logout()
    with demo.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "auth.logout")) == 1
