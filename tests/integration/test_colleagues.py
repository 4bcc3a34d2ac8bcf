"""Inside one organisation: the main contact invites colleagues and makes them responsible
for sub-goals; each colleague answers through their own personal link; the unit may require
approving invited colleagues first; reminders go to who answers. Nobody reaches another
organisation's people by changing an id."""
from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from sqlalchemy import func, select

from tests.delegation import answer_through_link, delegate_sub_goal
from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import (
    Answer,
    AuditEvent,
    MailKind,
    Organisation,
    OutboxMessage,
    Round,
    SubGoalAssignment,
    Submission,
    User,
)

KIM = ("Kim Kollega", "Kim.Kollega@Kumla.example.se")


def _org(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def make_main_contact(app: Flask, organisation: str, email: str) -> None:
    """What the unit does on its Personer pages (people-admin's part), done directly here."""
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == organisation))
        org.main_contact_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.commit()


def _round(app: Flask) -> Round:
    with app.app_context():
        rnd = db.session.scalar(select(Round).order_by(Round.id))
        db.session.expunge(rnd)
        return rnd


def _base(app: Flask, organisation: str) -> str:
    return f"/svar/omgang/{_round(app).id}/organisation/{_org(app, organisation)}"


def _sub_goals(app: Flask, organisation: str) -> list[tuple[int, str]]:
    with app.app_context():
        rnd = db.session.scalar(select(Round).order_by(Round.id))
        org = db.session.get(Organisation, _org(app, organisation))
        return [(sg.id, sg.title) for sg in rnd.sub_goals_for(org)]


def invite(b: Browser, base: str, name: str, email: str, expect: int = 200):
    b.get(base + "/kollegor")
    return b.submit({"name": name, "email": email, "title": "Folkhälsostrateg"},
                    action=base + "/kollegor/bjud-in", expect=expect)


def assign(b: Browser, base: str, choices: dict[int, str], expect: int = 200):
    """``choices``: sub-goal id -> the colleague's name as shown in the list."""
    page = b.get(base + "/kollegor")
    data = {}
    for sub_goal_id, name in choices.items():
        select_html = re.search(rf'<select[^>]*name="delmal_{sub_goal_id}".*?</select>',
                                page.text, re.S).group(0)
        data[f"delmal_{sub_goal_id}"] = re.search(
            rf'<option[^>]*value="(\d+)"[^>]*>{re.escape(name)}</option>', select_html).group(1)
    return b.submit(data, action=base + "/kollegor/ansvar", expect=expect)


def personal_link(app: Flask, email: str) -> str:
    """The link in the person's invitation, made as the worker makes it when it sends."""
    from webapp.services import mail

    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).join(User).where(
            func.lower(User.email) == email.lower(), OutboxMessage.kind == MailKind.INVITATION))
        assert message is not None, f"no invitation for {email}"
        rendered = mail.render(message)
        db.session.commit()
    return "/lank/" + re.search(r"/lank/([A-Za-z0-9_-]+)", rendered.text).group(1)


def follow_link(app: Flask, link: str) -> Browser:
    b = Browser(app.test_client())
    b.get(link)
    b.submit({})  # "Fortsätt": only the button signs in
    return b


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)).all()
        for e in events:
            db.session.expunge(e)
        return list(events)


def test_a_main_contact_delegates_and_the_colleague_answers_through_their_own_link(
        browser: Browser, demo: Flask) -> None:
    make_main_contact(demo, "Kumla", "kumla@example.se")
    base = _base(demo, "Kumla")
    (_, _), (d2, d2_title), *_ = _sub_goals(demo, "Kumla")
    browser.login("kumla@example.se")
    overview = browser.get(base)
    assert browser.links(re.escape(base + "/kollegor"))
    response = invite(browser, base, *KIM)
    assert "Kim Kollega är inbjuden och får ett mejl med sin personliga länk." in text_of(response)
    with demo.app_context():
        kim = db.session.scalar(select(User).where(User.email == KIM[1].lower()))
        assert kim.role.value == "contact" and not kim.pending_approval
        assert [o.name for o in kim.organisations] == ["Kumla"]
        assert kim.invited_by.email == "kumla@example.se" and kim.title == "Folkhälsostrateg"
    [event] = _audit(demo, "colleague.invite")
    assert event.round_id == _round(demo).id and event.entity_id == kim.id
    assert event.comment == "Kumla"  # no name or address: audit text is never anonymised
    # The unit sees it in the round's log.
    staff = Browser(demo.test_client())
    staff.login("granskare@example.se")
    assert "bjöd in en kollega" in text_of(staff.get(f"/granskning/omgang/{_round(demo).id}/logg"))

    response = assign(browser, base, {d2: "Kim Kollega"})
    assert "Ansvaret för delmålen är sparat." in text_of(response)
    overview = text_of(browser.get(base))
    assert f"{d2_title}" in overview and "Kim Kollega" in overview
    assert "Karin Kumla (huvudkontakt)" in overview  # the sub-goals nobody else has
    [event] = _audit(demo, "subgoal.assign")
    assert event.entity_id == d2 and event.comment.endswith("– ny ansvarig")
    assert "Kim" not in event.comment

    colleague = answer_through_link(Browser(demo.test_client()), personal_link(demo, KIM[1]),
                                    d2_title, {"text": "Kim skriver om delmål två."})
    assert colleague.url == base
    with demo.app_context():
        answer = db.session.scalar(select(Answer).join(Submission).where(
            Submission.organisation_id == _org(demo, "Kumla"), Answer.sub_goal_id == d2))
        assert answer.state.value == "submitted"
        assert answer.updated_by_id == kim.id


def test_a_colleague_who_is_not_the_main_contact_cannot_invite_or_assign(demo: Flask) -> None:
    make_main_contact(demo, "Kumla", "kumla@example.se")
    base = _base(demo, "Kumla")
    main = Browser(demo.test_client())
    main.login("kumla@example.se")
    invite(main, base, *KIM)
    kim = follow_link(demo, personal_link(demo, KIM[1]))
    page = kim.get(base + "/kollegor")
    assert "Bjud in kollegan" not in page.text and 'name="delmal_' not in page.text
    token = csrf_token(page)
    (d1, _), *_ = _sub_goals(demo, "Kumla")
    with demo.app_context():
        kim_id = db.session.scalar(select(User.id).where(User.email == KIM[1].lower()))
    for path, data in (("/kollegor/bjud-in", {"name": "Smyg", "email": "smyg@example.se"}),
                       ("/kollegor/ansvar", {f"delmal_{d1}": str(kim_id)})):
        response = kim.client.post(base + path, data={"csrf_token": token, **data})
        assert response.status_code == 403
        assert "Bara huvudkontakten för Kumla kan bjuda in kollegor" in text_of(response)
    with demo.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "smyg@example.se")) is None
        assert db.session.scalar(select(func.count(SubGoalAssignment.id))) == 0


def test_nobody_reaches_another_organisations_people_by_changing_an_id(demo: Flask) -> None:
    make_main_contact(demo, "Kumla", "kumla@example.se")
    make_main_contact(demo, "Hallsberg", "hallsberg@example.se")
    b = Browser(demo.test_client())
    b.login("kumla@example.se")
    own, other = _base(demo, "Kumla"), _base(demo, "Hallsberg")
    page = b.get(own + "/kollegor")
    token = csrf_token(page)
    assert "Hans Hallsberg" not in page.text
    # Hallsberg's pages, by changing the organisation id: not found, and nothing changes.
    assert b.client.get(other + "/kollegor").status_code == 404
    (h1, _), *_ = _sub_goals(demo, "Hallsberg")
    with demo.app_context():
        hans = db.session.scalar(select(User.id).where(User.email == "hallsberg@example.se"))
        users_before = db.session.scalar(select(func.count(User.id)))
    for path, data in (("/kollegor/bjud-in", {"name": "Smyg", "email": "smyg@example.se"}),
                       ("/kollegor/ansvar", {f"delmal_{h1}": str(hans)})):
        assert b.client.post(other + path, data={"csrf_token": token, **data}).status_code == 404
    # Another organisation's person, by changing the id in Kumla's own form.
    response = b.client.post(own + "/kollegor/ansvar",
                             data={"csrf_token": token, f"delmal_{h1}": "0",
                                   **{f"delmal_{sg}": str(hans)
                                      for sg, _ in _sub_goals(demo, "Kumla")[:1]}})
    assert response.status_code == 422
    assert "Hans Hallsberg" not in response.text
    assert "Inte ett giltigt val" in text_of(response)
    # Inviting another organisation's contact: refused without saying whose address it is.
    response = invite(b, own, "Hans", "hallsberg@example.se", expect=409)
    message = text_of(response)
    assert "Det finns redan ett konto med den e-postadressen." in message
    assert "Hallsberg" not in message.split("Det finns redan", 1)[1].split(".")[0]
    with demo.app_context():
        assert db.session.scalar(select(func.count(User.id))) == users_before
        assert db.session.scalar(select(func.count(SubGoalAssignment.id))) == 0
        assert [o.name for o in db.session.get(User, hans).organisations] == ["Hallsberg"]


def test_bad_invitations_say_why_in_swedish(browser: Browser, demo: Flask) -> None:
    make_main_contact(demo, "Kumla", "kumla@example.se")
    base = _base(demo, "Kumla")
    browser.login("kumla@example.se")
    for name, email, message in (("", "a@example.se", "Fyll i kollegans namn."),
                                 ("Anna", "", "Fyll i kollegans e-postadress."),
                                 ("Anna", "inte-en-adress", "Skriv e-postadressen som"),
                                 ("Karin", "KUMLA@example.se",
                                  "Karin Kumla finns redan bland kollegorna på Kumla.")):
        response = invite(browser, base, name, email, expect=(409, 422))
        assert message in text_of(response), (name, email)
    assert _audit(demo, "colleague.invite") == []


def test_with_approval_on_the_colleague_waits_for_the_unit(demo: Flask) -> None:
    make_main_contact(demo, "Kumla", "kumla@example.se")
    base = _base(demo, "Kumla")
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    admin.get("/admin/personer/kollegor/")
    response = admin.submit({"need_approval": "y"}, action="/admin/personer/kollegor/installning")
    assert "Nya kollegor väntar nu på ert godkännande" in text_of(response)
    assert _audit(demo, "setting.colleague_approval")[0].comment == "godkännande krävs"

    main = Browser(demo.test_client())
    main.login("kumla@example.se")
    response = invite(main, base, *KIM)
    assert "Enheten godkänner inbjudan först" in text_of(response)
    assert "Väntar på enhetens godkännande" in text_of(response)
    invite(main, base, "Ville Vänta", "ville@kumla.example.se")
    with demo.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id)).join(User).where(
            User.pending_approval.is_(True))) == 0
    # Not responsible for anything while waiting: not among the choices.
    assert "Kim Kollega</option>" not in main.get(base + "/kollegor").text

    page = admin.get("/admin/personer/kollegor/")
    assert "Kim Kollega" in text_of(page) and "Karin Kumla" in text_of(page)
    with demo.app_context():
        kim, ville = (db.session.scalar(select(User.id).where(User.email == e))
                      for e in (KIM[1].lower(), "ville@kumla.example.se"))
    response = admin.submit({}, action=f"/admin/personer/kollegor/{kim}/godkann")
    assert "Kim Kollega är godkänd och får ett mejl med sin personliga länk." in text_of(response)
    response = admin.submit({}, action=f"/admin/personer/kollegor/{ville}/avsla")
    assert "Inbjudan av Ville Vänta är avslagen." in text_of(response)
    with demo.app_context():
        assert db.session.get(User, ville) is None
        assert not db.session.get(User, kim).pending_approval
    assert [e.action for e in _audit(demo, "colleague.approve")] == ["colleague.approve"]
    assert [e.entity_id for e in _audit(demo, "colleague.refuse")] == [ville]
    # Approved: the colleague now has their own link; approving twice says it is done.
    assert follow_link(demo, personal_link(demo, KIM[1])).url == base
    response = admin.client.post(f"/admin/personer/kollegor/{kim}/godkann",
                                 data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "Kim Kollega väntar inte på godkännande" in text_of(response)


def test_reminders_go_to_the_responsible_colleague_and_the_main_contact(demo: Flask) -> None:
    from webapp.services import mail

    make_main_contact(demo, "Kumla", "kumla@example.se")
    base = _base(demo, "Kumla")
    main = Browser(demo.test_client())
    main.login("kumla@example.se")
    invite(main, base, *KIM)
    invite(main, base, "Lisa Läsare", "lisa@kumla.example.se")
    (_, _), (d2, _), *_ = _sub_goals(demo, "Kumla")
    assign(main, base, {d2: "Kim Kollega"})
    rnd = _round(demo)
    due = rnd.deadline - dt.timedelta(days=min(rnd.reminder_offsets))
    moment = dt.datetime.combine(due, dt.time(8), tzinfo=dt.UTC)
    with demo.app_context():
        for _ in range(2):  # a second dispatch writes nothing more
            mail.dispatch_due(moment)
            db.session.commit()
        reminded = db.session.scalars(select(User.email).join(OutboxMessage).where(
            OutboxMessage.kind == MailKind.REMINDER)).all()
    kumla_side = sorted(e for e in reminded if "kumla" in e.lower())
    assert kumla_side == ["kim.kollega@kumla.example.se", "kumla@example.se"]
    # Organisations where nobody has delegated keep hearing as before.
    assert {"hallsberg@example.se", "askersund@example.se"} <= set(reminded)
    assert len(reminded) == len(set(reminded))


def test_the_register_extract_and_anonymisation_cover_responsibilities(demo: Flask) -> None:
    from webapp.services import privacy

    make_main_contact(demo, "Kumla", "kumla@example.se")
    base = _base(demo, "Kumla")
    main = Browser(demo.test_client())
    main.login("kumla@example.se")
    invite(main, base, *KIM)
    (_, _), (d2, d2_title), *_ = _sub_goals(demo, "Kumla")
    assign(main, base, {d2: "Kim Kollega"})
    with demo.app_context():
        kim = db.session.scalar(select(User).where(User.email == KIM[1].lower()))
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        extract = privacy.person_data(kim)
        assert [(r["organisation"], r["sub_goal"]) for r in extract["sub_goal_responsibilities"]] == [
            ("Kumla", d2_title)]
        privacy.anonymise(admin, kim)
        db.session.commit()
    overview = text_of(main.get(base))
    assert "Kim Kollega" not in overview and "Anonymiserad" not in overview
    with demo.app_context():
        assert db.session.scalar(select(func.count(SubGoalAssignment.id))) == 0


def test_the_delegation_steps_for_the_end_to_end_test(demo: Flask) -> None:
    """tests.delegation as the empty-database test uses it: a colleague the unit already
    added (here: invited first), made responsible, answering through their own link."""
    make_main_contact(demo, "Hallsberg", "hallsberg@example.se")
    main = Browser(demo.test_client())
    main.login("hallsberg@example.se")
    overview = main.links(r"/svar/omgang/\d+/organisation/\d+")[0]
    *_, (last, title) = _sub_goals(demo, "Hallsberg")
    delegate_sub_goal(main, overview, title, "Hedda Hallsberg",
                      invite_email="hedda@hallsberg.example.se")
    answer_through_link(Browser(demo.test_client()),
                        personal_link(demo, "hedda@hallsberg.example.se"), title,
                        {"text": "Hedda svarar."})
    with demo.app_context():
        answer = db.session.scalar(select(Answer).join(Submission).where(
            Submission.organisation_id == _org(demo, "Hallsberg"), Answer.sub_goal_id == last))
        assert answer.state.value == "submitted"
        assert answer.updated_by_id == db.session.scalar(
            select(User.id).where(User.email == "hedda@hallsberg.example.se"))
