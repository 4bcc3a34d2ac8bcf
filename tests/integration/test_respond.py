"""The respondent's form on PostgreSQL: autosave, conflicts, validation, activities across
rounds, last round's answer, check and submit, receipts, print view."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import (
    ActivityReport,
    Answer,
    MailKind,
    Organisation,
    OutboxMessage,
    Round,
    RoundStatus,
    Submission,
    User,
)
from webapp.services import rounds


def _org(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def _base(app, name: str = "Hallsberg", round_id: int = 1) -> str:
    return f"/svar/omgang/{round_id}/organisation/{_org(app, name)}"


def _answer(app, name: str, sub_goal_id: int) -> Answer | None:
    with app.app_context():
        answer = db.session.scalar(select(Answer).join(Submission).join(Organisation).where(
            Organisation.name == name, Answer.sub_goal_id == sub_goal_id))
        if answer is not None:
            db.session.expunge(answer)
        return answer


def test_autosave_creates_then_updates_and_refuses_a_stale_version(browser: Browser,
                                                                  demo) -> None:
    browser.login("hallsberg@example.se")
    page = browser.get(_base(demo) + "/delmal/3")
    assert 'data-autosave-url' in page.text and 'role="status"' in page.text
    url = _base(demo) + "/delmal/3/autospara"
    token = csrf_token(page)
    first = browser.client.post(url, data={"csrf_token": token, "text": "Första meningen.",
                                           "expected_version": ""})
    assert first.status_code == 200 and first.get_json()["saved_at"]
    version = first.get_json()["version"]
    second = browser.client.post(url, data={"csrf_token": token, "text": "Första. Andra.",
                                            "expected_version": str(version)})
    assert second.status_code == 200 and second.get_json()["version"] > version
    stale = browser.client.post(url, data={"csrf_token": token, "text": "Gammal flik",
                                           "expected_version": str(version)})
    assert stale.status_code == 409 and stale.get_json()["conflict"] is True
    assert _answer(demo, "Hallsberg", 3).text == "Första. Andra."
    missing_token = browser.client.post(url, data={"text": "x", "expected_version": ""})
    assert missing_token.status_code == 400


def test_autosave_refuses_a_submitted_answer_and_another_organisation(browser: Browser,
                                                                     demo) -> None:
    browser.login("kumla@example.se")
    page = browser.get(_base(demo, "Kumla") + "/delmal/2")
    token = csrf_token(page)
    submitted = _answer(demo, "Kumla", 1)
    response = browser.client.post(_base(demo, "Kumla") + "/delmal/1/autospara", data={
        "csrf_token": token, "text": "Ändrad", "expected_version": str(submitted.version)})
    assert response.status_code == 409 and "inskickat" in response.get_json()["error"]
    other = browser.client.post(_base(demo, "Örebro") + "/delmal/2/autospara", data={
        "csrf_token": token, "text": "Intrång", "expected_version": ""})
    assert other.status_code == 404
    assert _answer(demo, "Örebro", 2) is None


def test_stale_save_shows_both_texts_and_loses_nothing(demo) -> None:
    a, b = Browser(demo.test_client()), Browser(demo.test_client())
    url = _base(demo) + "/delmal/1"  # Hallsberg's draft
    for person in (a, b):
        person.login("hallsberg@example.se")
        person.get(url)
    a.submit({"text": "Kollega A:s text.", "save": "Spara utkast"}, action=url)
    response = b.submit({"text": "Kollega B:s text.", "save": "Spara utkast"}, action=url,
                        expect=409)
    page = text_of(response)
    assert "Någon annan har sparat svaret medan du skrev" in page
    assert "Kollega A:s text." in page and "Kollega B:s text." in response.text
    # No autosave on this page: only B's explicit choice may overwrite A's text.
    assert "autosave.js" not in response.text
    assert _answer(demo, "Hallsberg", 1).text == "Kollega A:s text."
    # B keeps their own text: the form now carries the current version.
    b.submit({"save": "Spara min text"}, action=url)
    assert _answer(demo, "Hallsberg", 1).text == "Kollega B:s text."


def _activity(browser: Browser, base: str, **fields) -> object:
    page = browser.get(base + "/aktiviteter/ny")
    data = {"csrf_token": csrf_token(page), "name": "Familjecentral", "description": "Öppnad.",
            "status": "ongoing", "start_year": "2021", "end_year": "2024",
            "responsible_unit": "Socialtjänsten", "level": "preventive", "sub_goals": ["1"]}
    data.update(fields)
    return browser.client.post(base + "/aktiviteter/ny", data=data)


def test_activity_validation_refuses_and_stores_nothing(browser: Browser, demo) -> None:
    browser.login("hallsberg@example.se")
    base = _base(demo)
    for fields, message in (({"end_year": "2019"}, "Slutåret kan inte ligga före startåret."),
                            ({"status": "kanske"}, "Inte ett giltigt val"),
                            ({"sub_goals": ["1", "999"]}, None),
                            ({"sub_goals": []}, "Välj minst ett delmål."),
                            ({"start_year": "1200"}, "Skriv ett år med fyra siffror mellan "
                                                     "1990 och 2100, till exempel 2021."),
                            ({"start_year": "1e309"}, "Skriv ett år med fyra siffror"),
                            ({"start_year": "2021-2023"}, "Skriv ett år i varje fält"),
                            ({"name": ""}, "Ge aktiviteten ett namn.")):
        response = _activity(browser, base, **fields)
        assert response.status_code == 422, fields
        if message:
            assert message in text_of(response), fields
    with demo.app_context():
        assert db.session.scalar(select(func.count(ActivityReport.id))) == 0


def test_activities_of_another_organisation_are_out_of_reach(browser: Browser, demo) -> None:
    browser.login("hallsberg@example.se")
    assert _activity(browser, _base(demo)).status_code == 302
    with demo.app_context():
        report_id = db.session.scalar(select(ActivityReport.id))
    kumla = Browser(demo.test_client())
    kumla.login("kumla@example.se")
    page = kumla.get(_base(demo, "Kumla") + "/aktiviteter")
    assert kumla.client.get(_base(demo, "Kumla") + f"/aktiviteter/{report_id}").status_code == 404
    removed = kumla.client.post(_base(demo, "Kumla") + f"/aktiviteter/{report_id}/ta-bort",
                                data={"csrf_token": csrf_token(page)})
    assert removed.status_code == 404
    assert kumla.client.get(_base(demo) + "/aktiviteter").status_code == 404


def test_last_rounds_activities_and_answer_carry_into_the_next_round(browser: Browser,
                                                                     demo) -> None:
    browser.login("orebro@example.se")
    # Under sub-goal 2: sub-goal 1 is approved, and an approved sub-goal takes no new activity.
    assert _activity(browser, _base(demo, "Örebro"), name="Brukarråd",
                     sub_goals=["2"]).status_code == 302
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        new = rounds.create_next_round(admin, db.session.get(Round, 1))
        new.opens_on, new.status = dt.date.today(), RoundStatus.OPEN
        db.session.commit()
        new_id = new.id
    base = _base(demo, "Örebro", new_id)
    page = browser.get(base + "/delmal/1")
    assert "Ert godkända svar från förra omgången" in page.text
    assert "Örebro kommun har infört brukarråd" in page.text  # last round's approved text
    listing = browser.get(base + "/aktiviteter")
    assert "Från förra omgången" in listing.text and "Brukarråd" in listing.text
    with demo.app_context():
        earlier_id = db.session.scalar(select(ActivityReport.id))
    response = browser.client.post(base + f"/aktiviteter/{earlier_id}/uppdatera",
                                   data={"csrf_token": csrf_token(listing)},
                                   follow_redirects=True)
    assert "hämtad från förra omgången" in text_of(response)
    assert 'value="Brukarråd"' in response.text and 'value="Socialtjänsten"' in response.text
    with demo.app_context():
        reports = db.session.scalars(select(ActivityReport).order_by(ActivityReport.id)).all()
        assert [r.round_id for r in reports] == [1, new_id]
        assert reports[0].activity_id == reports[1].activity_id  # one activity, two years


def test_check_page_lists_missing_and_submits_only_what_is_ready(browser: Browser,
                                                                 demo) -> None:
    browser.login("hallsberg@example.se")
    page = browser.get(_base(demo) + "/kontrollera")
    assert "4 delmål saknar svar" in text_of(page)
    assert f'href="{_base(demo)}/delmal/2#text"' in page.text
    response = browser.submit({}, action=None)
    assert "Kvitto: Hallsberg" in text_of(response)
    with demo.app_context():
        states = {a.sub_goal_id: a.state.value for a in db.session.scalars(
            select(Answer).join(Submission).join(Organisation)
            .where(Organisation.name == "Hallsberg"))}
        receipts = db.session.scalars(select(User.email).join(OutboxMessage.user).where(
            OutboxMessage.kind == MailKind.RECEIPT,
            User.email == "hallsberg@example.se")).all()
    assert states == {1: "submitted"}
    assert len(receipts) == 1  # one receipt for the one submit


def test_returned_sub_goal_alone_opens_and_resubmits(browser: Browser, demo) -> None:
    browser.login("askersund@example.se")
    base = _base(demo, "Askersund")
    page = browser.get(base + "/delmal/2")
    assert "Granskarens kommentar" in page.text and "Spara utkast" in page.text
    browser.submit({"text": "Fler kvällar för 120 unga.", "submit": "Spara och skicka in"},
                   action=base + "/delmal/2")
    assert _answer(demo, "Askersund", 2).state.value == "submitted"
    assert "Spara utkast" not in browser.get(base + "/delmal/2").text


def test_print_view_has_every_answer_and_a_print_stylesheet(browser: Browser, demo) -> None:
    browser.login("kumla@example.se")
    page = browser.get(_base(demo, "Kumla") + "/utskrift")
    assert "Kumla kommun har utbildat personal i MI" in page.text
    assert page.text.count("<h2") >= 5  # one per sub-goal, and activities
    css = browser.client.get("/static/app.css").text
    assert "@media print" in css


def test_an_activity_is_grouped_under_an_activity_area_in_the_report(browser: Browser,
                                                                     demo) -> None:
    """Activity areas (aktivitetsområden) of the focus areas the organisation answers under
    are offered; the report's timeline groups the activity under its area."""
    from webapp.models import ActivityArea, ReportJob, SubGoal
    from worker.report.collect import collect

    browser.login("hallsberg@example.se")
    base = _base(demo)
    with demo.app_context():
        care = db.session.scalar(select(SubGoal).where(SubGoal.title.like(
            "Delmål 1 – Stärka det hälsofrämjande%")))
        sip = db.session.scalar(select(ActivityArea).where(ActivityArea.key == "sip"))
        parenting = db.session.scalar(select(ActivityArea).where(
            ActivityArea.key == "foraldraskapsstod"))
        care_id, sip_id, parenting_id = care.id, sip.id, parenting.id
    page = browser.get(base + "/aktiviteter/ny").text
    assert "Samordnad individuell plan (SIP) (God och nära vård)" in page
    assert "Föräldraskapsstöd (Förstärka" not in page  # skolan is not in this round

    refused = _activity(browser, base, sub_goals=[str(care_id)],
                        activity_area=str(parenting_id))
    assert refused.status_code == 422
    assert "Inte ett giltigt val" in text_of(refused)
    saved = _activity(browser, base, name="SIP-samordnare", sub_goals=[str(care_id)],
                      activity_area=str(sip_id))
    assert saved.status_code == 302

    with demo.app_context():
        report = db.session.scalar(select(ActivityReport))
        assert report.activity.activity_area_id == sip_id
        # Only activities with an approved answer reach the report: approve one.
        from webapp.services import answers, review

        contact = db.session.scalar(select(User).where(User.email == "hallsberg@example.se"))
        reviewer = db.session.scalar(select(User).where(User.email == "granskare@example.se"))
        submission = answers.get_submission(1, report.activity.organisation_id)
        answer = answers.save_and_submit(contact, submission, db.session.get(SubGoal, care_id),
                                         "Vi har anställt SIP-samordnare.", None)
        review.approve(reviewer, answer, expected_state=answer.state,
                       expected_version=answer.version)
        job = ReportJob(round_id=1, requested_by_id=reviewer.id)
        db.session.add(job)
        db.session.flush()
        data = collect(job)
        db.session.rollback()
    groups = {a.name: a.group for ch in data.chapters for a in ch.activities}
    assert groups == {"SIP-samordnare": "Samordnad individuell plan (SIP)"}
