"""The admin's round page: a scheduled round can be opened at once (its questionnaire freezes,
which the page says first), and closing asks for a second step that says what stops."""
from __future__ import annotations

from flask import Flask

from tests.integration.test_questionnaires import _add, _scheduled_round, _sub_goal
from tests.web import Browser, text_of
from webapp.extensions import db
from webapp.models import Round, RoundStatus


def test_a_scheduled_round_is_opened_now_and_its_questionnaire_freezes(demo: Flask) -> None:
    round_id = _scheduled_round(demo)
    with demo.app_context():
        sub_goal_id = _sub_goal("social-valfard", "d2").id
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    page = text_of(admin.get(f"/admin/omgang/{round_id}"))
    assert "Då låses frågeformuläret" in page
    _add(admin, round_id, sub_goal_id, {"label": "Antal deltagare", "key": "antal",
                                        "kind": "number"})
    admin.get(f"/admin/omgang/{round_id}")
    page = text_of(admin.submit({}, action=f"/admin/omgang/{round_id}/oppna-nu"))
    assert "är öppen. Frågeformuläret är låst" in page
    with demo.app_context():
        rnd = db.session.get(Round, round_id)
        assert rnd.status is RoundStatus.OPEN and rnd.questionnaire.frozen_at is not None
        assert any(q.key == "antal" for q in rnd.questionnaire.questions)
    assert "Öppna nu" not in text_of(admin.get(f"/admin/omgang/{round_id}"))
    # The contacts answer the question that was added the same day.
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    home = contact.get("/svar/")
    assert "Uppföljning nästa vecka" in text_of(home)


def test_closing_a_round_takes_a_second_step_that_says_what_stops(demo: Flask) -> None:
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    round_page = admin.get("/admin/omgang/1")
    assert 'action="/admin/omgang/1/stang"' not in round_page.text  # no one-click close
    confirm = text_of(admin.get("/admin/omgang/1/stang"))
    assert "slutar de personliga länkarna till omgången att fungera" in confirm
    with demo.app_context():
        assert db.session.get(Round, 1).status is RoundStatus.OPEN
    done = text_of(admin.submit({}, action="/admin/omgang/1/stang"))
    assert "är stängd. Personliga länkar fungerar inte längre." in done
    with demo.app_context():
        assert db.session.get(Round, 1).status is RoundStatus.CLOSED


def test_report_and_questionnaire_versions_are_numbered_per_round(demo: Flask) -> None:
    from sqlalchemy import select

    from webapp.models import User
    from webapp.services import reports

    round_id = _scheduled_round(demo)
    with demo.app_context():
        admin_user = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        for _ in range(3):  # round 1 has three reports
            reports.request_report(admin_user, db.session.get(Round, 1), None)
        new_job = reports.request_report(admin_user, db.session.get(Round, round_id), None)
        db.session.commit()
        new_job_id = new_job.id
        assert new_job_id == 4
        assert db.session.get(Round, round_id).questionnaire.version == 1
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    page = text_of(admin.get(f"/rapporter/{new_job_id}"))
    assert f"Rapport för Uppföljning nästa vecka, version 1" in page
    round_page = admin.get(f"/admin/omgang/{round_id}")
    assert "Frågeformulär (version 1)" in text_of(round_page)
    assert f'href="/rapporter/{new_job_id}">1</a>' in round_page.text
    assert '">3</a>' in admin.get("/admin/omgang/1").text
