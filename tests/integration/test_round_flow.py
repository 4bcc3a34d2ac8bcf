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
    assert "Rapport för Uppföljning nästa vecka, version 1" in page
    round_page = admin.get(f"/admin/omgang/{round_id}")
    assert "Frågeformulär (version 1)" in text_of(round_page)
    assert f'href="/rapporter/{new_job_id}">1</a>' in round_page.text
    assert '">3</a>' in admin.get("/admin/omgang/1").text


def test_the_designer_adds_and_edits_one_question_for_several_sub_goals(demo: Flask) -> None:
    from tests.integration.test_questionnaires import _question_rows

    round_id = _scheduled_round(demo)
    with demo.app_context():
        social, care = _sub_goal("social-valfard", "d2").id, _sub_goal("sammanhallen-vard",
                                                                         "d1").id
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    fields = {"help_text": "", "options": "", "unit": "", "min_value": "", "max_value": "",
              "show_if_key": "", "show_if_value": ""}
    admin.get(f"/admin/omgang/{round_id}/formular/delmal/{social}/ny")
    assert "Lägg till frågan också för" in text_of(admin.page)
    admin.submit({**fields, "label": "Hur många nåddes?", "key": "antal", "kind": "number",
                  "also": [str(care)]})
    assert "Frågan ”Hur många nåddes?” är tillagd för 2 delmål." in text_of(admin.page)
    rows = [r for r in _question_rows(demo, round_id) if r[1] == "antal"]
    assert sorted(r[0] for r in rows) == sorted([social, care])

    # All or nothing: the key is now taken in both, so adding it again for both adds nothing.
    admin.get(f"/admin/omgang/{round_id}/formular/delmal/{social}/ny")
    refused = admin.submit({**fields, "label": "Igen", "key": "antal", "kind": "number",
                            "also": [str(care)]}, expect=422)
    assert "Det finns redan en fråga med nyckeln ”antal”" in text_of(refused)
    assert len([r for r in _question_rows(demo, round_id) if r[1] == "antal"]) == 2

    # One edit, both sub-goals.
    with demo.app_context():
        question_id = next(q.id for q in db.session.get(Round, round_id).questionnaire.questions
                           if q.key == "antal" and q.sub_goal_id == social)
        other_id = next(q.id for q in db.session.get(Round, round_id).questionnaire.questions
                        if q.key == "antal" and q.sub_goal_id == care)
    admin.get(f"/admin/omgang/{round_id}/formular/fraga/{question_id}")
    assert "Ändra samma fråga också för" in text_of(admin.page)
    admin.submit({"label": "Hur många personer nåddes?", "also": [str(other_id)]})
    assert "Frågan är sparad för 2 delmål." in text_of(admin.page)
    labels = {r[0]: r[2] for r in _question_rows(demo, round_id) if r[1] == "antal"}
    assert labels == {social: "Hur många personer nåddes?", care: "Hur många personer nåddes?"}
