"""The unit's "Personer" section over HTTP: staff accounts (invitation mail, one-time link,
password, second factor), "Glömt lösenordet?", contacts per organisation, the main contact,
warnings for organisations nobody would be invited for, and invitations for contacts added
while a round is open."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.web import Browser, text_of
from webapp.extensions import db
from webapp.models import (
    AccountToken,
    AuditEvent,
    MailKind,
    Organisation,
    OutboxMessage,
    RecoveryCode,
    Role,
    Round,
    User,
    UserSession,
)
from webapp.services import mail


def _admin_browser(app: Flask) -> Browser:
    b = Browser(app.test_client())
    b.login("admin@example.se")
    return b


def _user(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        db.session.expunge(user)
        return user


def _org(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _mail_link(app: Flask, email: str, kind: MailKind) -> str:
    """Render the newest outbox mail of that kind as the worker would; return its link."""
    with app.app_context():
        message = db.session.scalar(
            select(OutboxMessage).join(User).where(User.email == email,
                                                   OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id.desc()))
        assert message is not None, f"no {kind} mail to {email}"
        assert message.round_id is None
        rendered = mail.render(message)
        db.session.commit()
    assert email == rendered.to
    match = re.search(r"https?://[^\s]+/konto/([A-Za-z0-9_\-]+)", rendered.text)
    assert match, rendered.text
    return "/konto/" + match.group(1)


def _create_staff(admin: Browser, name: str, email: str, role: str = "reviewer") -> None:
    admin.get("/admin/personal")
    response = admin.submit({"name": name, "email": email, "role": role, "title": ""})
    assert f"Kontot för {name} är skapat" in text_of(response)


def _choose_password_and_enrol(app: Flask, link: str, password: str = "ett långt lösenord") \
        -> Browser:
    person = Browser(app.test_client())
    page = person.get(link)
    assert "Välj lösenord" in text_of(page)
    response = person.submit({"password": password, "confirm": password})
    assert person.url == "/logga-in/aktivera", text_of(response)[:500]
    secret = re.search(r"([A-Z2-7]{32})", text_of(response))
    assert secret, "the enrolment page shows the secret for manual entry"
    response = person.submit({"code": pyotp.TOTP(secret.group(1)).now()})
    assert "reservkod" in text_of(response).lower()
    return person


def test_admin_creates_a_reviewer_who_chooses_a_password_and_enrols(demo) -> None:
    admin = _admin_browser(demo)
    _create_staff(admin, "Greta Granskare", "  Greta.Granskare@Region.SE ")
    greta = _user(demo, "greta.granskare@region.se")  # stored trimmed, lower-case
    assert greta.role is Role.REVIEWER and greta.password_hash is None
    assert "user.create" in _actions(demo)

    link = _mail_link(demo, greta.email, MailKind.ACCOUNT_INVITE)
    token = link.rsplit("/", 1)[1]
    with demo.app_context():
        rows = db.session.scalars(select(AccountToken).where(
            AccountToken.user_id == greta.id)).all()
        # Stored hashed: the row holds the sha256, never the token.
        assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
        assert rows[0].expires_at - rows[0].created_at == dt.timedelta(days=7)

    # Opening the link (as a mail scanner does) uses nothing up.
    Browser(demo.test_client()).get(link)
    person = Browser(demo.test_client())
    person.get(link)
    short = person.submit({"password": "kort", "confirm": "kort"}, expect=422)
    assert "minst 12" in text_of(short)
    person.get(link)
    differ = person.submit({"password": "ett långt lösenord", "confirm": "ett annat lösenord"},
                           expect=422)
    assert "Lösenorden är inte likadana." in text_of(differ)

    reviewer = _choose_password_and_enrol(demo, link)
    assert reviewer.client.get("/granskning/").status_code == 200
    # Single use: the link is spent.
    again = Browser(demo.test_client()).get(link, expect=404)
    assert "Länken fungerar inte längre" in text_of(again)
    # And the password works from the sign-in page, with the second factor.
    b = Browser(demo.test_client())
    b.get("/logga-in")
    b.submit({"email": "greta.granskare@region.se", "password": "ett långt lösenord"})
    assert b.url == "/logga-in/kod"
    assert {"user.password_set", "auth.totp_enrolled"} <= set(_actions(demo))


def test_an_expired_invitation_link_does_not_work(demo, tmp_path, monkeypatch) -> None:
    admin = _admin_browser(demo)
    _create_staff(admin, "Lina Läsare", "lina@region.se", role="reader")
    link = _mail_link(demo, "lina@region.se", MailKind.ACCOUNT_INVITE)
    clock_file = tmp_path / "now.txt"
    monkeypatch.setenv("UPPFOLJNING_CLOCK_FILE", str(clock_file))
    clock_file.write_text((dt.datetime.now(dt.UTC)
                           + dt.timedelta(days=7, minutes=1)).isoformat())
    page = Browser(demo.test_client()).get(link, expect=404)
    assert "Länken fungerar inte längre" in text_of(page)
    assert _user(demo, "lina@region.se").password_hash is None


def test_a_link_used_in_one_tab_is_refused_in_the_other(demo) -> None:
    admin = _admin_browser(demo)
    _create_staff(admin, "Tove Tvåflik", "tove@region.se")
    link = _mail_link(demo, "tove@region.se", MailKind.ACCOUNT_INVITE)
    first, second = Browser(demo.test_client()), Browser(demo.test_client())
    first.get(link)
    second.get(link)
    first.submit({"password": "första lösenordet", "confirm": "första lösenordet"})
    response = second.submit({"password": "andra lösenordet!", "confirm": "andra lösenordet!"},
                             expect=404)
    assert "Länken fungerar inte längre" in text_of(response)
    b = Browser(demo.test_client())
    b.get("/logga-in")
    b.submit({"email": "tove@region.se", "password": "första lösenordet"})
    assert b.url == "/logga-in/aktivera"


def test_forgot_password_says_the_same_for_unknown_addresses(demo) -> None:
    answers = []
    for email in ("granskare@example.se", "finns-inte@example.se", "kumla@example.se"):
        b = Browser(demo.test_client())
        b.get("/logga-in")
        assert b.links("/glomt-losenord")
        b.get("/glomt-losenord")
        answers.append(text_of(b.submit({"email": email})))
    assert answers[0] == answers[1] == answers[2]
    assert "Om adressen hör till ett konto" in answers[0]
    with demo.app_context():
        mails = db.session.execute(select(User.email).join(OutboxMessage).where(
            OutboxMessage.kind == MailKind.PASSWORD_RESET)).scalars().all()
    # Only the staff member: contacts have no password, unknown addresses get nothing.
    assert mails == ["granskare@example.se"]


def test_forgot_password_is_rate_limited(demo) -> None:
    b = Browser(demo.test_client())
    b.get("/glomt-losenord")
    for _ in range(5):
        b.get("/glomt-losenord")
        b.submit({"email": "finns-inte@example.se"})
    b.get("/glomt-losenord")
    response = b.submit({"email": "finns-inte@example.se"}, expect=429)
    assert "För många försök" in text_of(response)


def test_a_reset_password_still_needs_the_second_factor(demo) -> None:
    b = Browser(demo.test_client())
    b.get("/glomt-losenord")
    b.submit({"email": "granskare@example.se"})
    link = _mail_link(demo, "granskare@example.se", MailKind.PASSWORD_RESET)
    with demo.app_context():
        token = db.session.scalar(select(AccountToken).where(
            AccountToken.token_hash == hashlib.sha256(link.rsplit("/", 1)[1].encode())
            .hexdigest()))
        assert token.expires_at - token.created_at == dt.timedelta(hours=1)
    person = Browser(demo.test_client())
    page = person.get(link)
    assert "Välj nytt lösenord" in text_of(page)
    person.submit({"password": "nytt långt lösenord", "confirm": "nytt långt lösenord"})
    assert person.url == "/logga-in/kod"
    # Not signed in before the code.
    assert person.client.get("/granskning/").status_code == 302
    assert "Koden stämmer inte" in text_of(person.submit({"code": "000000"}))
    assert person.client.get("/granskning/").status_code == 302
    # The old password no longer works; the new one does, with the code.
    b = Browser(demo.test_client())
    b.get("/logga-in")
    assert "Fel e-postadress" in text_of(b.submit({"email": "granskare@example.se",
                                                    "password": "demo-losenord"}))
    b.login("granskare@example.se", "nytt långt lösenord")
    assert b.client.get("/granskning/").status_code == 200
    assert "user.password_reset" in _actions(demo)


def test_change_role_and_its_refusals(demo) -> None:
    admin = _admin_browser(demo)
    reviewer = _user(demo, "granskare@example.se")
    signed_in = Browser(demo.test_client())
    signed_in.login("granskare@example.se")
    admin.get(f"/admin/personal/{reviewer.id}")
    response = admin.submit({"role": "reader"}, action=f"/admin/personal/{reviewer.id}/roll")
    assert "har nu rollen läsbehörighet" in text_of(response)
    assert _user(demo, "granskare@example.se").role is Role.READER
    assert signed_in.client.get("/granskning/").status_code == 302  # signed out
    response = admin.submit({"role": "reader"}, action=f"/admin/personal/{reviewer.id}/roll")
    assert "har redan rollen läsbehörighet" in text_of(response)
    response = admin.client.post(f"/admin/personal/{reviewer.id}/roll", data={
        "role": "contact", "csrf_token": _csrf(admin)}, follow_redirects=True)
    assert "Inte ett giltigt val" in text_of(response)
    assert _user(demo, "granskare@example.se").role is Role.READER
    me = _user(demo, "admin@example.se")
    page = admin.get(f"/admin/personal/{me.id}")
    assert "Det här är ditt eget konto" in text_of(page)
    response = admin.client.post(f"/admin/personal/{me.id}/roll", data={
        "role": "reviewer", "csrf_token": _csrf(admin)}, follow_redirects=True)
    assert "Du kan inte ändra din egen roll" in text_of(response)
    assert _user(demo, "admin@example.se").role is Role.ADMIN
    assert _actions(demo).count("user.role") == 1


def _csrf(b: Browser) -> str:
    from tests.web import csrf_token

    assert b.page is not None
    return csrf_token(b.page)


def test_reset_second_factor_makes_them_enrol_again(demo) -> None:
    reviewer = _user(demo, "granskare@example.se")
    with demo.app_context():
        for n in range(3):
            db.session.add(RecoveryCode(user_id=reviewer.id, code_hash=f"{n:064d}"))
        db.session.commit()
    signed_in = Browser(demo.test_client())
    signed_in.login("granskare@example.se")
    admin = _admin_browser(demo)
    admin.get(f"/admin/personal/{reviewer.id}")
    response = admin.submit({}, action=f"/admin/personal/{reviewer.id}/tvastegsverifiering")
    assert "är återställd och hen är utloggad" in text_of(response)
    with demo.app_context():
        user = db.session.get(User, reviewer.id)
        assert user.totp_secret is None
        assert db.session.scalar(select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == reviewer.id)) == 0
        assert db.session.scalar(select(func.count(UserSession.id)).where(
            UserSession.user_id == reviewer.id, UserSession.ended_at.is_(None))) == 0
    assert signed_in.client.get("/granskning/").status_code == 302
    b = Browser(demo.test_client())
    b.get("/logga-in")
    b.submit({"email": "granskare@example.se", "password": "demo-losenord"})
    assert b.url == "/logga-in/aktivera"  # the password still counts; the app is set up again
    assert "user.reset_second_factor" in _actions(demo)


def test_disable_and_enable_staff_and_keep_one_admin(demo) -> None:
    admin = _admin_browser(demo)
    reader = _user(demo, "ledamot@example.se")
    admin.get(f"/admin/personal/{reader.id}")
    response = admin.submit({}, action=f"/admin/personal/{reader.id}/inaktivera")
    assert "inaktiverad och utloggad" in text_of(response)
    assert _user(demo, "ledamot@example.se").active is False
    response = admin.submit({}, action=f"/admin/personal/{reader.id}/aktivera")
    assert "är aktiverad" in text_of(response)
    assert _user(demo, "ledamot@example.se").active is True
    me = _user(demo, "admin@example.se")
    response = admin.client.post(f"/admin/personal/{me.id}/inaktivera",
                                 data={"csrf_token": _csrf(admin)}, follow_redirects=True)
    assert "Du kan inte inaktivera ditt eget konto." in text_of(response)
    assert _actions(demo).count("user.disable") == 1


def test_staff_form_refuses_bad_input_in_swedish(demo) -> None:
    admin = _admin_browser(demo)
    admin.get("/admin/personal")
    response = admin.submit({"name": "", "email": "inte-en-adress", "role": "reviewer"},
                            expect=422)
    assert "Fyll i namnet." in text_of(response)
    assert "Skriv en e-postadress som namn@exempel.se." in text_of(response)
    admin.get("/admin/personal")
    response = admin.submit({"name": "Dubblett", "email": "Kumla@Example.se ",
                             "role": "admin"})
    assert "används redan av" in text_of(response)
    with demo.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(
            User.name == "Dubblett")) == 0


# --- contacts ---------------------------------------------------------------------------------

def test_contacts_add_edit_move_main_and_deactivate(demo) -> None:
    admin = _admin_browser(demo)
    page = admin.get("/admin/kontaktpersoner")
    assert "Laxå" in text_of(page)
    laxa, nora = _org(demo, "Laxå"), _org(demo, "Nora")
    admin.get(f"/admin/kontaktpersoner/organisation/{laxa}")
    response = admin.submit({"name": "Lars Laxå", "email": " Lars.Laxa@Laxa.SE",
                             "title": "Folkhälsostrateg", "phone": "0584-123 45"})
    assert "Lars Laxå är kontaktperson för Laxå" in text_of(response)
    admin.submit({"name": "Lotta Laxå", "email": "lotta@laxa.se", "title": "", "phone": ""})
    lars = _user(demo, "lars.laxa@laxa.se")
    assert lars.role is Role.CONTACT and lars.title == "Folkhälsostrateg"

    # Duplicate email, any case: a Swedish message and nothing written.
    response = admin.submit({"name": "Lars igen", "email": "LARS.laxa@laxa.se", "title": "",
                             "phone": ""})
    assert "används redan av Lars Laxå (kontaktperson för Laxå)" in text_of(response)
    with demo.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(
            User.name == "Lars igen")) == 0

    # Main contact.
    admin.get(f"/admin/kontaktpersoner/organisation/{laxa}")
    response = admin.submit({"contact": str(lars.id)},
                            action=f"/admin/kontaktpersoner/organisation/{laxa}/huvudkontakt")
    assert "Lars Laxå är huvudkontakt för Laxå" in text_of(response)
    with demo.app_context():
        assert db.session.get(Organisation, laxa).main_contact_id == lars.id

    # Edit.
    admin.get(f"/admin/kontaktpersoner/{lars.id}")
    response = admin.submit({"name": "Lars Laxå", "email": "lars@laxa.se",
                             "title": "Utvecklingsledare", "phone": ""},
                            action=None, form_index=1)
    assert "Ändringarna är sparade (e-postadress, titel, telefon)" in text_of(response)
    lars = _user(demo, "lars@laxa.se")
    assert lars.title == "Utvecklingsledare" and lars.phone is None

    # Move to Nora: no longer Laxå's main contact.
    admin.get(f"/admin/kontaktpersoner/{lars.id}")
    response = admin.submit({"source": str(laxa), "target": str(nora)},
                            action=f"/admin/kontaktpersoner/{lars.id}/flytta")
    assert "flyttad från Laxå till Nora" in text_of(response)
    with demo.app_context():
        user = db.session.get(User, lars.id)
        assert [o.name for o in user.organisations] == ["Nora"]
        assert db.session.get(Organisation, laxa).main_contact_id is None

    # Deactivate and re-enable; never deleted.
    response = admin.submit({}, action=f"/admin/kontaktpersoner/{lars.id}/inaktivera")
    assert "inaktiverad och får inga fler utskick" in text_of(response)
    response = admin.submit({}, action=f"/admin/kontaktpersoner/{lars.id}/aktivera")
    assert "Lars Laxå är aktiverad." in text_of(response)

    actions = _actions(demo)
    for action in ("contact.create", "contact.main", "contact.update", "contact.move",
                   "user.disable", "user.enable"):
        assert action in actions, action
    # The log names what changed, never the values.
    with demo.app_context():
        comments = db.session.scalars(select(AuditEvent.comment).where(
            AuditEvent.action == "contact.update")).all()
        assert comments == ["Ändrat: e-postadress, titel, telefon."]


def test_contact_form_refuses_bad_input_in_swedish(demo) -> None:
    admin = _admin_browser(demo)
    laxa = _org(demo, "Laxå")
    admin.get(f"/admin/kontaktpersoner/organisation/{laxa}")
    response = admin.submit({"name": "Namn", "email": "ingen-snabel-a", "title": "x" * 201,
                             "phone": "=1+1"}, expect=422)
    text = text_of(response)
    assert "Skriv en e-postadress som namn@exempel.se." in text
    assert "Titeln får ha högst 200 tecken." in text
    assert "Telefonnumret får bara innehålla" in text


def test_a_contact_cannot_be_moved_elsewhere_by_changing_ids(demo) -> None:
    admin = _admin_browser(demo)
    kumla = _user(demo, "kumla@example.se")
    admin.get(f"/admin/kontaktpersoner/{kumla.id}")
    response = admin.submit({"source": str(_org(demo, "Nora")), "target": str(_org(demo, "Laxå"))},
                            action=f"/admin/kontaktpersoner/{kumla.id}/flytta")
    assert "Inte ett giltigt val" in text_of(response)
    with demo.app_context():
        assert [o.name for o in db.session.get(User, kumla.id).organisations] == ["Kumla"]
    # A staff member is not a contact: the contact pages do not know them.
    reviewer = _user(demo, "granskare@example.se")
    admin.get(f"/admin/kontaktpersoner/{reviewer.id}", expect=404)


@pytest.mark.parametrize("email", ["kumla@example.se", "granskare@example.se",
                                   "ledamot@example.se"])
def test_only_admins_reach_personer(demo, email) -> None:
    b = Browser(demo.test_client())
    b.login(email)
    laxa = _org(demo, "Laxå")
    for path in ("/admin/personal", "/admin/kontaktpersoner",
                 f"/admin/kontaktpersoner/organisation/{laxa}"):
        assert b.client.get(path).status_code == 403, path
    assert b.client.post("/admin/personal", data={"name": "X", "email": "x@x.se",
                                                   "role": "admin"}).status_code in (400, 403)
    with demo.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(
            User.email == "x@x.se")) == 0


# --- rounds -----------------------------------------------------------------------------------

def test_new_round_and_round_page_warn_about_organisations_without_contact(demo) -> None:
    admin = _admin_browser(demo)
    page = text_of(admin.get("/admin/omgang/ny"))
    assert "saknar aktiv kontaktperson" in page
    assert "Laxå (kommun, ingen aktiv kontaktperson)" in page
    assert "Kumla (kommun)" in page  # has a contact
    page = text_of(admin.get("/admin/omgang/1"))
    assert "saknar aktiv kontaktperson" in page and "Laxå" in page
    # Once Laxå has a contact it drops out of the warning.
    laxa = _org(demo, "Laxå")
    admin.get(f"/admin/kontaktpersoner/organisation/{laxa}")
    admin.submit({"name": "Lars Laxå", "email": "lars@laxa.se", "title": "", "phone": ""})
    page = admin.get("/admin/omgang/1").text
    warning = re.search(r'id="saknar-kontakt".*?</div>', page, flags=re.S)
    assert warning and "Laxå" not in warning.group(0)


def test_a_contact_added_to_an_open_round_is_invited_once_at_the_next_dispatch(demo) -> None:
    from webapp import clock

    with demo.app_context():
        mail.dispatch_due(clock.now())
        db.session.commit()
    admin = _admin_browser(demo)
    laxa = _org(demo, "Laxå")
    admin.get(f"/admin/kontaktpersoner/organisation/{laxa}")
    response = admin.submit({"name": "Lars Laxå", "email": "lars@laxa.se", "title": "",
                             "phone": ""})
    assert "får hen inbjudan vid nästa utskick" in text_of(response)
    lars = _user(demo, "lars@laxa.se")
    with demo.app_context():
        for _ in range(2):  # a duplicated beat
            mail.dispatch_due(clock.now())
            db.session.commit()
        invitations = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == MailKind.INVITATION)).all()
        assert [m.round_id for m in invitations if m.user_id == lars.id] == [1]
        per_person = [(m.round_id, m.user_id) for m in invitations]
        assert len(per_person) == len(set(per_person))
        assert db.session.get(Round, 1) is not None


# --- personal data ----------------------------------------------------------------------------

def test_export_and_anonymise_cover_title_links_and_main_contact(demo) -> None:
    from webapp.models import SubGoal, SubGoalAssignment
    from webapp.services import privacy

    admin = _admin_browser(demo)
    laxa = _org(demo, "Laxå")
    admin.get(f"/admin/kontaktpersoner/organisation/{laxa}")
    admin.submit({"name": "Lars Laxå", "email": "lars@laxa.se", "title": "Strateg",
                  "phone": ""})
    lars = _user(demo, "lars@laxa.se")
    admin.get(f"/admin/kontaktpersoner/organisation/{laxa}")
    admin.submit({"contact": str(lars.id)},
                 action=f"/admin/kontaktpersoner/organisation/{laxa}/huvudkontakt")
    with demo.app_context():
        sub_goal = db.session.scalars(select(SubGoal).order_by(SubGoal.id)).first()
        db.session.add(SubGoalAssignment(organisation_id=laxa, sub_goal_id=sub_goal.id,
                                         user_id=lars.id))
        db.session.commit()
        data = privacy.person_data(db.session.get(User, lars.id))
        assert data["profile"]["title"] == "Strateg"
        assert data["profile"]["main_contact_of"] == ["Laxå"]
        assert data["sub_goal_responsibilities"][0]["organisation"] == "Laxå"
        admin_user = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        privacy.anonymise(admin_user, db.session.get(User, lars.id))
        db.session.commit()
        user = db.session.get(User, lars.id)
        assert user.title is None
        assert db.session.get(Organisation, laxa).main_contact_id is None
        assert db.session.scalar(select(func.count(SubGoalAssignment.id)).where(
            SubGoalAssignment.user_id == lars.id)) == 0

    # A staff member's one-time links are in their registerutdrag, as times only.
    _create_staff(admin, "Greta Granskare", "greta@region.se")
    _mail_link(demo, "greta@region.se", MailKind.ACCOUNT_INVITE)
    with demo.app_context():
        greta = db.session.scalar(select(User).where(User.email == "greta@region.se"))
        links = privacy.person_data(greta)["account_links"]
        assert [link["purpose"] for link in links] == ["invite"]
        assert "token_hash" not in links[0]


def test_a_failed_account_mail_shows_and_can_be_sent_again(demo) -> None:
    from webapp.models import MailState

    admin = _admin_browser(demo)
    _create_staff(admin, "Frida Felpost", "frida@region.se")
    frida = _user(demo, "frida@region.se")
    with demo.app_context():
        message = db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.user_id == frida.id))
        message.state, message.last_error = MailState.FAILED, "SMTPRecipientsRefused"
        message_id = message.id
        db.session.commit()
    page = admin.get(f"/admin/personal/{frida.id}")
    assert "Misslyckades (SMTPRecipientsRefused)" in text_of(page)
    response = admin.submit({}, action=f"/admin/utskick/{message_id}/skicka-igen")
    assert admin.url == f"/admin/personal/{frida.id}"
    assert "skickas igen" in text_of(response)
    with demo.app_context():
        assert db.session.get(OutboxMessage, message_id).state is MailState.PENDING


def test_the_unit_decides_whether_invited_colleagues_need_approval(demo) -> None:
    from webapp.models import AppSetting
    from webapp.services import app_settings

    admin = _admin_browser(demo)
    page = admin.get("/admin/kontaktpersoner")
    checkbox = re.search(r'<input[^>]*name="need_approval"[^>]*>', page.text).group(0)
    assert "checked" not in checkbox  # off until the unit turns it on
    response = admin.submit({"need_approval": "y"},
                            action="/admin/kontaktpersoner/installning")
    assert "Inbjudna kollegor måste nu godkännas av enheten." in text_of(response)
    with demo.app_context():
        assert db.session.get(AppSetting, "colleague_invites_need_approval").value == "1"
        assert app_settings.get_bool("colleague_invites_need_approval") is True
    response = admin.submit({"need_approval": "y"},
                            action="/admin/kontaktpersoner/installning")
    assert "Inställningen är oförändrad." in text_of(response)
    checkbox = re.search(r'<input[^>]*name="need_approval"[^>]*>', admin.page.text).group(0)
    assert "checked" in checkbox
    response = admin.submit({}, action="/admin/kontaktpersoner/installning")
    assert "Inbjudna kollegor får sin länk direkt." in text_of(response)
    assert _actions(demo).count("setting.change") == 2
