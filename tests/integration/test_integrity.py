"""What is printed is what was reviewed (issue 16): activities under an approved sub-goal are
locked, reviewers see (and approve) the activities with the answer, and copy-forward reads the
link's own round only. Over HTTP against PostgreSQL, as the outside probe did it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    Organisation,
    Round,
    RoundStatus,
    SubGoal,
    User,
)
from webapp.services import rounds

LOCKED = "som redan är godkänt"


def _org(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def _base(app, name: str = "Örebro", round_id: int = 1) -> str:
    return f"/svar/omgang/{round_id}/organisation/{_org(app, name)}"


def _reported(app, name: str, description: str, sub_goal_ids: list[int],
              round_id: int = 1) -> int:
    """An activity Örebro reported under ``sub_goal_ids`` before they were approved."""
    with app.app_context():
        activity = Activity(organisation_id=_org(app, "Örebro"), name=name)
        report = ActivityReport(activity=activity, round_id=round_id,
                                status=ActivityStatus.ONGOING, description=description,
                                start_year=2021, end_year=2024)
        report.sub_goals = [db.session.get(SubGoal, i) for i in sub_goal_ids]
        db.session.add_all([activity, report])
        db.session.commit()
        return report.id


def _report(app, report_id: int) -> tuple[str, str] | None:
    with app.app_context():
        report = db.session.get(ActivityReport, report_id)
        return (report.activity.name, report.description) if report else None


def _form(**fields) -> dict:
    data = {"name": "Brukarråd", "description": "Ny text som ingen granskat.",
            "status": "ongoing", "start_year": "2021", "end_year": "2024",
            "responsible_unit": "Socialtjänsten", "level": "preventive", "sub_goals": ["1"]}
    data.update(fields)
    return data


def test_an_activity_of_an_approved_sub_goal_cannot_change(browser: Browser, demo) -> None:
    """Örebro's sub-goal 1 is approved: its activity can be neither saved, removed nor
    joined by a new one; the refusal says why and nothing changes."""
    report_id = _reported(demo, "Brukarråd", "Granskad text.", [1])
    browser.login("orebro@example.se")
    base = _base(demo)

    page = browser.get(f"{base}/aktiviteter/{report_id}")
    assert LOCKED in text_of(page)
    assert 'name="description"' not in page.text  # no form that would be refused
    listing = browser.get(f"{base}/aktiviteter")
    assert f"/aktiviteter/{report_id}/ta-bort" not in listing.text
    token = csrf_token(listing)

    saved = browser.client.post(f"{base}/aktiviteter/{report_id}",
                                data={"csrf_token": token, **_form(name="Nytt namn")},
                                follow_redirects=True)
    assert "Aktiviteten hör till Delmål 1, som redan är godkänt" in text_of(saved)
    assert _report(demo, report_id) == ("Brukarråd", "Granskad text.")

    added = browser.client.post(f"{base}/aktiviteter/ny",
                                data={"csrf_token": token, **_form(name="Smygaktivitet")},
                                follow_redirects=True)
    assert "Delmål 1" in text_of(added) and LOCKED in text_of(added)
    with demo.app_context():
        assert db.session.scalar(select(Activity).where(Activity.name == "Smygaktivitet")) \
            is None

    removed = browser.client.post(f"{base}/aktiviteter/{report_id}/ta-bort",
                                  data={"csrf_token": token}, follow_redirects=True)
    assert LOCKED in text_of(removed)
    assert _report(demo, report_id) == ("Brukarråd", "Granskad text.")

    # Under a sub-goal that is still a draft, the same contact may work as before.
    other = browser.client.post(f"{base}/aktiviteter/ny",
                                data={"csrf_token": token,
                                      **_form(name="Fritidsbank", sub_goals=["2"])})
    assert other.status_code == 302


def test_an_activity_serving_an_approved_and_an_open_sub_goal_is_locked(browser: Browser,
                                                                       demo) -> None:
    report_id = _reported(demo, "Mötesplats", "Granskad.", [1, 2])
    browser.login("orebro@example.se")
    base = _base(demo)
    page = browser.get(f"{base}/aktiviteter")
    response = browser.client.post(
        f"{base}/aktiviteter/{report_id}",
        data={"csrf_token": csrf_token(page), **_form(name="Mötesplats", sub_goals=["2"])},
        follow_redirects=True)
    assert LOCKED in text_of(response)
    with demo.app_context():
        assert [sg.id for sg in db.session.get(ActivityReport, report_id).sub_goals] == [1, 2]


def test_carry_forward_into_an_approved_sub_goal_is_refused(browser: Browser, demo) -> None:
    earlier_id = _reported(demo, "Brukarråd", "Förra årets text.", [1])
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        old = db.session.get(Round, 1)
        new = rounds.create_next_round(admin, old)
        new.opens_on, new.status = dt.date.today(), RoundStatus.OPEN
        db.session.commit()
        new_id = new.id
        # Sub-goal 1 is approved in the new round too.
        from webapp.services import answers, review
        orebro = db.session.scalar(select(User).where(User.email == "orebro@example.se"))
        reviewer = db.session.scalar(select(User).where(User.email == "granskare@example.se"))
        answer = answers.save_and_submit(
            orebro, answers.get_submission(new_id, _org(demo, "Örebro")),
            db.session.get(SubGoal, 1), {"text": "Årets svar.", "status": "På god väg"}, None)
        review.approve(reviewer, answer, expected_state=answer.state,
                       expected_version=answer.version)
        db.session.commit()
    browser.login("orebro@example.se")
    base = _base(demo, round_id=new_id)
    page = browser.get(f"{base}/aktiviteter")
    assert "hör till ett delmål som redan är godkänt i år" in text_of(page)
    assert f"/aktiviteter/{earlier_id}/uppdatera" not in page.text  # no button to be refused
    response = browser.client.post(f"{base}/aktiviteter/{earlier_id}/uppdatera",
                                   data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert LOCKED in text_of(response)
    with demo.app_context():
        assert db.session.scalar(select(ActivityReport).where(
            ActivityReport.round_id == new_id)) is None


def _answer_id(app, organisation: str, sub_goal_id: int) -> int:
    from webapp.models import Answer, Submission
    with app.app_context():
        return db.session.scalar(select(Answer.id).join(Submission).where(
            Submission.organisation_id == _org(app, organisation),
            Answer.sub_goal_id == sub_goal_id))


def _edit_activity(browser: Browser, base: str, report_id: int, description: str) -> None:
    browser.get(f"{base}/aktiviteter/{report_id}")
    browser.submit({"description": description, "sub_goals": ["1"]}, action=None)
    assert "är sparad" in text_of(browser.page), text_of(browser.page)[:600]


def test_the_reviewer_sees_the_activities_and_their_changes_and_approves_what_was_seen(
        demo) -> None:
    kumla, reviewer = Browser(demo.test_client()), Browser(demo.test_client())
    kumla.login("kumla@example.se")
    reviewer.login("granskare@example.se")
    base = _base(demo, "Kumla")
    kumla.get(f"{base}/aktiviteter/ny")
    kumla.submit(_form(name="MI-utbildning", description="Två kurser i MI."), action=None)
    with demo.app_context():
        report_id = db.session.scalar(select(ActivityReport.id))
    answer_url = f"/granskning/svar/{_answer_id(demo, 'Kumla', 1)}"

    page = text_of(reviewer.get(answer_url))
    assert "Aktiviteter" in page and "MI-utbildning" in page and "Två kurser i MI." in page
    reviewer.submit({"comment": "Hur många deltog?", "return_": "Returnera med kommentar"},
                    action=answer_url)

    _edit_activity(kumla, base, report_id, "Tre kurser i MI, 40 deltagare.")
    kumla.get(f"{base}/delmal/1")
    kumla.submit({"submit": "Spara och skicka in"}, action=f"{base}/delmal/1")

    page = reviewer.get(answer_url)
    assert "Ändringar i aktiviteterna sedan förra granskningen" in text_of(page)
    assert "<del><span class=\"visually-hidden\">[borttaget: </span>Två" in page.text
    assert "[tillagt: </span>Tre" in page.text

    # The contact changes the activity while the reviewer reads: approving what the reviewer
    # did not see is refused, and the page then shows what is there now.
    _edit_activity(kumla, base, report_id, "Fyra kurser i MI.")
    refused = reviewer.submit({"approve": "Godkänn"}, action=answer_url, expect=409)
    assert "Aktiviteterna har ändrats sedan du öppnade sidan" in text_of(refused)
    assert "Fyra kurser i MI." in text_of(refused)
    reviewer.submit({"approve": "Godkänn"}, action=answer_url)
    assert "Svaret är godkänt." in text_of(reviewer.page)

    # Approved: the contact can no longer change it, and the export carries what was seen.
    kumla.get(f"{base}/aktiviteter/{report_id}")
    assert LOCKED in text_of(kumla.page)
    csv_text = reviewer.client.get("/admin/omgang/1/export.csv").data.decode("utf-8-sig")
    assert "Fyra kurser i MI." in csv_text


def test_export_and_word_report_carry_only_reviewed_activity_text(browser: Browser, worker,
                                                                  demo) -> None:
    import io
    import time

    import docx
    import openpyxl

    from webapp.services import activities, answers, review

    with demo.app_context():
        kumla = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
        reviewer = db.session.scalar(select(User).where(User.email == "granskare@example.se"))
        submission = answers.get_submission(1, _org(demo, "Kumla"))
        report = activities.save(kumla, submission, activities.ActivityInput(
            "MI-utbildning", "Granskad beskrivning.", ActivityStatus.ONGOING, 2021, 2023,
            "Socialtjänsten", None, [1]))
        answer = answers.find_answer(submission, 1)
        review.approve(reviewer, answer, expected_state=answer.state,
                       expected_version=answer.version)
        db.session.commit()
        report_id = report.id
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    base = _base(demo, "Kumla")
    token = csrf_token(contact.get(f"{base}/aktiviteter"))
    contact.client.post(f"{base}/aktiviteter/{report_id}", data={
        "csrf_token": token, **_form(name="MI-utbildning", description="ÄNDRAD EFTER GODKÄNNANDE")})
    contact.client.post(f"{base}/aktiviteter/ny", data={
        "csrf_token": token, **_form(name="Smyg", description="ALDRIG GRANSKAD",
                                     sub_goals=["1", "2"])})
    assert contact.client.post(f"{base}/aktiviteter/ny", data={
        "csrf_token": token, **_form(name="Utkast", description="INTE GRANSKAD ÄN",
                                     sub_goals=["2"])}).status_code == 302

    browser.login("admin@example.se")
    csv_text = browser.client.get("/admin/omgang/1/export.csv").data.decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(browser.client.get("/admin/omgang/1/export.xlsx").data))
    xlsx_text = "\n".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row)
    page = browser.get("/admin/omgang/1")
    response = browser.client.post("/rapporter/omgang/1", data={
        "csrf_token": csrf_token(page), "registry_number": ""}, follow_redirects=True)
    job_url = response.request.path
    deadline = time.monotonic() + 60
    while (status := browser.client.get(f"{job_url}/status").get_json())["state"] not in (
            "done", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    document = docx.Document(io.BytesIO(browser.client.get(status["download_url"]).data))
    word_text = "\n".join([p.text for p in document.paragraphs] + [
        c.text for t in document.tables for row in t.rows for c in row.cells])
    for text in (csv_text, xlsx_text, word_text):
        assert "Granskad beskrivning." in text or "MI-utbildning" in text
        for unreviewed in ("ÄNDRAD EFTER GODKÄNNANDE", "ALDRIG GRANSKAD", "INTE GRANSKAD ÄN"):
            assert unreviewed not in text
    assert "Granskad beskrivning." in csv_text and "Granskad beskrivning." in xlsx_text


def _link_session(app, email: str, round_id: int):
    from webapp.services import links
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        token = links.issue(db.session.get(Round, round_id), user)
        db.session.commit()
    client = app.test_client()
    page = client.get(f"/lank/{token}")
    assert client.post(f"/lank/{token}", data={"csrf_token": csrf_token(page)}).status_code == 302
    return client, token


def test_a_round_one_link_session_cannot_copy_a_later_rounds_activity(demo) -> None:
    """Copy-forward takes an earlier round's report only: a later (closed) round's report of
    the same organisation is out of reach by id."""
    from webapp.services import activities, answers
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        kumla = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
        later = rounds.create_next_round(admin, db.session.get(Round, 1))
        later.opens_on, later.status = dt.date.today(), RoundStatus.OPEN
        db.session.flush()
        report = activities.save(kumla, answers.get_submission(later.id, _org(demo, "Kumla")),
                                 activities.ActivityInput(
                                     "Omgång två", "Text från omgång två.", ActivityStatus.DONE,
                                     2022, 2023, None, None, [2]))
        later.status = RoundStatus.CLOSED
        db.session.commit()
        later_report = report.id
    client, _ = _link_session(demo, "kumla@example.se", 1)
    base = _base(demo, "Kumla")
    page = client.get(f"{base}/aktiviteter")
    assert "Omgång två" not in page.text
    response = client.post(f"{base}/aktiviteter/{later_report}/uppdatera",
                           data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert response.status_code == 404
    assert "Text från omgång två." not in response.text
    with demo.app_context():
        assert db.session.scalar(select(ActivityReport).where(ActivityReport.round_id == 1)) \
            is None


def _autosave(client, base: str, page) -> int:
    return client.post(f"{base}/delmal/2/autospara", data={
        "csrf_token": csrf_token(page), "text": "Sparat i en gammal session.",
        "expected_version": ""}).status_code


def test_revoking_a_link_ends_the_sessions_started_with_it(browser: Browser, demo) -> None:
    client, _ = _link_session(demo, "kumla@example.se", 1)
    base = _base(demo, "Kumla")
    page = client.get(f"{base}/delmal/2")
    assert page.status_code == 200
    browser.login("admin@example.se")
    admin_page = browser.get("/admin/omgang/1/utskick")
    with demo.app_context():
        kumla = db.session.scalar(select(User.id).where(User.email == "kumla@example.se"))
    browser.client.post(f"/admin/omgang/1/lankar/{kumla}/sparra",
                        data={"csrf_token": csrf_token(admin_page)})
    assert client.get(f"{base}/delmal/2").status_code == 302  # to the sign-in page
    assert _autosave(client, base, page) in (302, 400, 401)
    from webapp.models import Answer, Submission
    with demo.app_context():
        assert db.session.scalar(select(Answer).join(Submission).where(
            Submission.organisation_id == _org(demo, "Kumla"), Answer.sub_goal_id == 2)) is None


def test_closing_the_round_ends_its_link_sessions(browser: Browser, demo) -> None:
    client, _ = _link_session(demo, "kumla@example.se", 1)
    base = _base(demo, "Kumla")
    page = client.get(f"{base}/delmal/2")
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        rounds.close_round(admin, db.session.get(Round, 1))
        db.session.commit()
    assert client.get(f"{base}/delmal/2").status_code == 302
    assert client.get("/svar/").status_code == 302
    assert _autosave(client, base, page) in (302, 400, 401)
