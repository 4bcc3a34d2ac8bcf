"""What is printed is what was reviewed (issue 16): activities under an approved sub-goal are
locked, reviewers see (and approve) the activities with the answer, and copy-forward reads the
link's own round only. Over HTTP against PostgreSQL, as the outside probe did it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import (Activity, ActivityReport, ActivityStatus, Organisation, Round,
                           RoundStatus, SubGoal, User)
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
    response = browser.client.post(f"{base}/aktiviteter/{earlier_id}/uppdatera",
                                   data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert LOCKED in text_of(response)
    with demo.app_context():
        assert db.session.scalar(select(ActivityReport).where(
            ActivityReport.round_id == new_id)) is None
