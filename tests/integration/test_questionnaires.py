"""Questionnaires as data: the unit designs a round's questions, contacts answer them with
typed values, and a round's questions are frozen when it opens."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.web import Browser, csrf_token, text_of
from webapp import clock
from webapp.extensions import db
from webapp.models import (
    ActionPlan,
    Answer,
    Organisation,
    Questionnaire,
    Round,
    RoundStatus,
    SubGoal,
    Submission,
    User,
)
from webapp.services import NotFound, mail, questionnaires
from webapp.services import answers as answer_service
from webapp.services import rounds as round_service

OPENS_IN_DAYS = 7


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _org(name: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def _sub_goal(plan_key: str, key: str) -> SubGoal:
    return db.session.scalar(select(SubGoal).join(ActionPlan).where(
        ActionPlan.key == plan_key, SubGoal.key == key))


def _scheduled_round(app: Flask, name: str = "Uppföljning nästa vecka") -> int:
    """A round that opens in a week, for Kumla and Länsdelsgrupp Söder, two sub-goals."""
    with app.app_context():
        rnd = round_service.open_round(
            _user("admin@example.se"), name=name, year=clock.today().year,
            opens_on=clock.today() + dt.timedelta(days=OPENS_IN_DAYS),
            deadline=clock.today() + dt.timedelta(days=40),
            sub_goal_ids=[_sub_goal("social-valfard", "d2").id,
                          _sub_goal("sammanhallen-vard", "d1").id],
            organisation_ids=[_org("Kumla").id, _org("Länsdelsgrupp Söder").id])
        db.session.commit()
        return rnd.id


def _open_on_schedule(app: Flask, round_id: int) -> None:
    """The dispatcher opens the round on its opening day, as beat would."""
    with app.app_context():
        opens = db.session.get(Round, round_id).opens_on
        mail.dispatch_due(dt.datetime.combine(opens, dt.time(9), tzinfo=clock.STOCKHOLM))
        db.session.commit()
        assert db.session.get(Round, round_id).status is RoundStatus.OPEN


def _designer(browser: Browser, round_id: int) -> str:
    return f"/admin/omgang/{round_id}/formular/"


def _add(browser: Browser, round_id: int, sub_goal_id: int, data: dict[str, Any],
         expect: int = 200):  # type: ignore[no-untyped-def]
    browser.get(f"/admin/omgang/{round_id}/formular/delmal/{sub_goal_id}/ny")
    fields = {"help_text": "", "options": "", "unit": "", "min_value": "", "max_value": "",
              "show_if_key": "", "show_if_value": "", **data}
    return browser.submit(fields, expect=expect)


def _question_rows(app: Flask, round_id: int) -> list[tuple]:
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        return [(q.sub_goal_id, q.key, q.label, q.kind.value, q.position)
                for q in rnd.questionnaire.questions]


TYPED_QUESTIONS = [
    {"label": "Antal deltagare", "key": "deltagare", "kind": "number", "unit": "personer",
     "min_value": "0", "max_value": "5000"},
    {"label": "Hur nåddes deltagarna?", "key": "kanal", "kind": "single_choice",
     "options": "Digitalt\nFysiskt"},
    {"label": "Vilka grupper?", "key": "grupper", "kind": "multiple_choice",
     "options": "Barn\nUnga\nÄldre"},
    {"label": "Vilket år startade arbetet?", "key": "startar", "kind": "year"},
    {"label": "Under vilka år pågår arbetet?", "key": "period", "kind": "year_range"},
    {"label": "Vem samordnar?", "key": "samordnare", "kind": "short_text"},
    {"label": "Varför digitalt?", "key": "varfor", "kind": "long_text", "required": "y",
     "show_if_key": "kanal", "show_if_value": "Digitalt"},
]


@pytest.fixture()
def designed(demo: Flask) -> tuple[int, int, Browser]:
    """A scheduled round whose Social välfärd sub-goal has one question of every type added
    through the designer, then opened on schedule."""
    round_id = _scheduled_round(demo)
    with demo.app_context():
        sub_goal_id = _sub_goal("social-valfard", "d2").id
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    for question in TYPED_QUESTIONS:
        _add(admin, round_id, sub_goal_id, question)
        assert "Frågan ”" + question["label"] + "” är tillagd." in text_of(admin.page)
    _open_on_schedule(demo, round_id)
    return round_id, sub_goal_id, admin  # a TOTP code works once: the admin stays signed in


def _answer_url(app: Flask, round_id: int, organisation: str, sub_goal_id: int) -> str:
    with app.app_context():
        return (f"/svar/omgang/{round_id}/organisation/{_org(organisation).id}"
                f"/delmal/{sub_goal_id}")


def _stored(app: Flask, round_id: int, organisation: str, sub_goal_id: int) -> Answer | None:
    with app.app_context():
        answer = db.session.scalar(select(Answer).join(Submission).where(
            Submission.round_id == round_id,
            Submission.organisation_id == _org(organisation).id,
            Answer.sub_goal_id == sub_goal_id))
        if answer is not None:
            db.session.expunge(answer)
        return answer


VALID = {"text": "Vi har startat fritidsgrupper.", "q_status": "Delvis",
         "q_deltagare": "1 250", "q_kanal": "Fysiskt", "q_grupper": ["Unga", "Barn"],
         "q_startar": "2021", "q_period_start": "2021", "q_period_end": "2024",
         "q_samordnare": "Fritidsförvaltningen"}


def test_every_question_type_is_answered_and_stored_as_a_typed_value(designed, demo) -> None:
    round_id, sub_goal_id, _ = designed
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    page = text_of(contact.get(_answer_url(demo, round_id, "Kumla", sub_goal_id)))
    for question in TYPED_QUESTIONS:
        assert question["label"] in page
    assert "Besvaras om du har svarat ”Digitalt” på ”Hur nåddes deltagarna?”" in page

    contact.submit(VALID, action=None)
    assert "Utkastet är sparat." in text_of(contact.page)
    answer = _stored(demo, round_id, "Kumla", sub_goal_id)
    assert answer is not None
    assert answer.values == {
        "text": "Vi har startat fritidsgrupper.", "status": "Delvis", "deltagare": 1250,
        "kanal": "Fysiskt", "grupper": ["Barn", "Unga"], "startar": 2021,
        "period": {"start": 2021, "end": 2024}, "samordnare": "Fritidsförvaltningen"}
    # What the reviewer and the report read: the main text, then each answered question.
    assert answer.text.startswith("Vi har startat fritidsgrupper.\n\n")
    assert "Antal deltagare: 1\u00a0250\u00a0personer" in answer.text
    assert "Under vilka år pågår arbetet?: 2021–2024" in answer.text
    # The form comes back filled with what was saved.
    again = contact.get(_answer_url(demo, round_id, "Kumla", sub_goal_id)).text
    assert 'value="1\u00a0250"' in again and 'value="Fritidsförvaltningen"' in again
    assert 'value="Barn" checked' in again and 'value="Äldre" checked' not in again


@pytest.mark.parametrize("field, raw, message", [
    ("q_deltagare", "-3", "Antal deltagare: talet får inte vara mindre än 0."),
    ("q_deltagare", "9999", "Antal deltagare: talet får inte vara större än 5 000."),
    ("q_deltagare", "många", "Antal deltagare: skriv ett tal, till exempel 12 eller 3,5."),
    ("q_kanal", "Brevduva", "Hur nåddes deltagarna?: välj ett av alternativen i listan."),
    ("q_grupper", ["Barn", "Katter"], "Vilka grupper?: välj bara bland alternativen i listan."),
    ("q_startar", "21", "Vilket år startade arbetet?: skriv ett årtal mellan 1990 och 2100"),
    ("q_period_end", "2019", "Under vilka år pågår arbetet?: slutåret kan inte ligga före "
                             "startåret."),
    ("q_status", "Grönt", "Hur går arbetet mot delmålet?: välj ett av alternativen i listan."),
])
def test_each_type_refuses_bad_input_in_swedish_and_stores_nothing(
        designed, demo, field: str, raw: Any, message: str) -> None:
    round_id, sub_goal_id, _ = designed
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    contact.get(_answer_url(demo, round_id, "Kumla", sub_goal_id))
    response = contact.submit({**VALID, field: raw}, expect=422)
    page = text_of(response)
    assert "Formuläret innehåller fel" in page and message in page
    # Nothing is lost: what the person typed is still in the form.
    assert "Vi har startat fritidsgrupper." in response.text
    assert _stored(demo, round_id, "Kumla", sub_goal_id) is None


def test_autosave_saves_the_valid_fields_and_names_the_refused_one(designed, demo) -> None:
    """One bad number does not sink the draft: the text typed beside it is saved, and the
    number is named with its message (the page shows it at the field)."""
    round_id, sub_goal_id, _ = designed
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    url = _answer_url(demo, round_id, "Kumla", sub_goal_id)
    page = contact.get(url)
    response = contact.client.post(url + "/autospara", data={
        "csrf_token": csrf_token(page), "expected_version": "", "text": "Ett utkast",
        "q_deltagare": "1e999"})
    assert response.status_code == 200
    assert response.get_json()["errors"] == {
        "q_deltagare": "Antal deltagare: skriv ett tal, till exempel 12 eller 3,5."}
    stored = _stored(demo, round_id, "Kumla", sub_goal_id)
    assert stored is not None and stored.values == {"text": "Ett utkast"}
    # A refused field keeps what was saved for it before.
    response = contact.client.post(url + "/autospara", data={
        "csrf_token": csrf_token(page), "expected_version": str(stored.version),
        "text": "Ett utkast", "q_deltagare": "12"})
    assert response.get_json()["errors"] == {}
    response = contact.client.post(url + "/autospara", data={
        "csrf_token": csrf_token(page), "expected_version": str(response.get_json()["version"]),
        "text": "Ett längre utkast", "q_deltagare": "-5"})
    assert "q_deltagare" in response.get_json()["errors"]
    assert _stored(demo, round_id, "Kumla", sub_goal_id).values == {
        "text": "Ett längre utkast", "deltagare": 12}


def test_a_required_question_blocks_submitting_only_when_its_condition_holds(
        designed, demo) -> None:
    round_id, sub_goal_id, _ = designed
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    contact.get(_answer_url(demo, round_id, "Kumla", sub_goal_id))
    refused = contact.submit({**VALID, "q_kanal": "Digitalt", "submit": "Spara och skicka in"},
                             expect=409)
    assert "Svara på ”Varför digitalt?” innan du skickar in." in text_of(refused)
    assert _stored(demo, round_id, "Kumla", sub_goal_id) is None

    contact.get(_answer_url(demo, round_id, "Kumla", sub_goal_id))
    contact.submit({**VALID, "q_kanal": "Digitalt", "q_varfor": "Lokalerna renoverades.",
                    "submit": "Spara och skicka in"})
    assert _stored(demo, round_id, "Kumla", sub_goal_id).state.value == "submitted"


def test_the_designer_refuses_bad_questions_in_swedish_and_writes_nothing(demo) -> None:
    round_id = _scheduled_round(demo)
    with demo.app_context():
        sub_goal_id = _sub_goal("social-valfard", "d2").id
    before = _question_rows(demo, round_id)
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    cases = [
        ({"label": "Form", "key": "form", "kind": "single_choice", "options": "Bara ett"},
         "Frågetypen ”Ett val” behöver minst 2 svarsalternativ. Skriv ett per rad."),
        ({"label": "Antal", "key": "antal", "kind": "number", "min_value": "10",
          "max_value": "1"}, "Den lägsta gränsen är större än den högsta."),
        ({"label": "Dubblett", "key": "status", "kind": "short_text"},
         "Det finns redan en fråga med nyckeln ”status” för delmålet."),
        ({"label": "Nyckel", "key": "Stora Bokstäver", "kind": "short_text"},
         "Nyckeln skrivs med små bokstäver a–z"),
        ({"label": "Villkor", "key": "villkor", "kind": "short_text",
          "show_if_key": "status", "show_if_value": "Kanske"},
         "Villkorets svar finns inte bland den frågans alternativ."),
        ({"label": "", "key": "tom", "kind": "short_text"}, "Skriv frågan."),
    ]
    for data, message in cases:
        response = _add(admin, round_id, sub_goal_id, data, expect=422)
        assert message in text_of(response), data
    assert _question_rows(demo, round_id) == before


def test_designer_moves_edits_and_removes_questions_until_the_round_opens(demo) -> None:
    round_id = _scheduled_round(demo)
    with demo.app_context():
        sub_goal_id = _sub_goal("social-valfard", "d2").id
        first, second = db.session.get(Round, round_id).questionnaire.questions_for(
            sub_goal_id)[:2]
        first_id, second_id = first.id, second.id
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    admin.get(_designer(admin, round_id))
    admin.submit({}, action=f"/admin/omgang/{round_id}/formular/fraga/{second_id}/upp")
    keys = [r[1] for r in _question_rows(demo, round_id) if r[0] == sub_goal_id]
    assert keys[:2] == ["status", "text"]

    admin.get(f"/admin/omgang/{round_id}/formular/fraga/{first_id}")
    admin.submit({"label": "Beskriv årets arbete"})
    assert "Beskriv årets arbete" in text_of(admin.get(_designer(admin, round_id)))

    admin.submit({}, action=f"/admin/omgang/{round_id}/formular/fraga/{second_id}/ta-bort")
    keys = [r[1] for r in _question_rows(demo, round_id) if r[0] == sub_goal_id]
    assert "status" not in keys

    _open_on_schedule(demo, round_id)
    frozen = _question_rows(demo, round_id)
    page = text_of(admin.get(_designer(admin, round_id)))
    assert "Formuläret är låst eftersom omgången har öppnats" in page
    response = _add(admin, round_id, sub_goal_id,
                    {"label": "Sen fråga", "key": "sen", "kind": "short_text"}, expect=422)
    assert "Formuläret är låst (version" in text_of(response)
    admin.get(_designer(admin, round_id))
    with demo.app_context():
        any_question = db.session.get(Round, round_id).questionnaire.questions[0].id
    admin.client.post(f"/admin/omgang/{round_id}/formular/fraga/{any_question}/ta-bort",
                      data={"csrf_token": csrf_token(admin.page)})
    assert _question_rows(demo, round_id) == frozen


def test_a_frozen_round_keeps_its_questions_when_next_years_copy_is_edited(demo) -> None:
    """Round 1 (open since the demo) is frozen; next year's round copies it as a new version.
    Editing the copy changes neither what round 1's contacts see nor what its report prints."""
    with demo.app_context():
        rnd = db.session.scalar(select(Round))
        original = rnd.questionnaire
        assert original.frozen_at is not None
        d1 = _sub_goal("social-valfard", "d1")
        label = original.questions_for(d1.id)[0].label
        new = round_service.create_next_round(_user("admin@example.se"), rnd)
        db.session.commit()
        new_id, old_id, old_version = new.id, rnd.id, original.version
        assert new.questionnaire.version == 1 == old_version  # numbered per round
        assert new.questionnaire.frozen_at is None
        assert new.questionnaire.based_on_id == original.id
        copied = new.questionnaire.questions_for(d1.id)[0].id
        d1_id = d1.id
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    admin.get(f"/admin/omgang/{new_id}/formular/fraga/{copied}")
    admin.submit({"label": "Vad har ni gjort 2027?"})

    with demo.app_context():
        assert db.session.get(Round, old_id).questionnaire.questions_for(d1_id)[0].label == label
        assert db.session.get(Round, new_id).questionnaire.questions_for(d1_id)[0].label == \
            "Vad har ni gjort 2027?"
        orebro = db.session.scalar(select(Organisation).where(Organisation.name == "Örebro"))
        assert questionnaires.questions_for(db.session.get(Round, old_id), d1)[0].label == label
    contact = Browser(demo.test_client())
    contact.login("orebro@example.se")
    page = text_of(contact.get(f"/svar/omgang/{old_id}/organisation/{orebro.id}/delmal/{d1_id}"))
    assert label in page and "Vad har ni gjort 2027?" not in page

    # The report of round 1 prints the approved answer as it was answered.
    from webapp.models import ReportJob
    from worker.report.collect import collect

    with demo.app_context():
        job = ReportJob(round_id=old_id, requested_by_id=_user("admin@example.se").id)
        db.session.add(job)
        db.session.flush()
        data = collect(job)
        texts = [a.text for ch in data.chapters for sg in ch.sub_goals for a in sg.answers]
        db.session.rollback()
    assert any("Vilka resultat har ni sett?\nFyra brukarråd" in t for t in texts), texts


def test_copying_another_rounds_questionnaire_makes_a_new_version(designed, demo) -> None:
    source_id, sub_goal_id, admin = designed
    target_id = _scheduled_round(demo, name="Extra omgång")
    admin.get(_designer(admin, target_id))
    admin.submit({"source": str(source_id)}, action=f"/admin/omgang/{target_id}/formular/kopiera")
    assert "Formuläret är kopierat från Uppföljning nästa vecka som version 2." in \
        text_of(admin.page)  # numbered per round: the round's first was version 1
    with demo.app_context():
        target = db.session.get(Round, target_id)
        source = db.session.get(Round, source_id)
        assert [q.key for q in target.questionnaire.questions_for(sub_goal_id)] == \
            [q.key for q in source.questionnaire.questions_for(sub_goal_id)]
        assert target.questionnaire.id != source.questionnaire.id
        assert target.questionnaire.based_on_id == source.questionnaire.id
        # The replaced version is gone; versions only ever grow.
        assert db.session.scalar(select(func.count(Questionnaire.id)).where(
            Questionnaire.based_on_id.is_(None), Questionnaire.is_template.is_(False))) == 0


def test_organisations_answer_only_the_plans_their_kind_answers(demo) -> None:
    """Sammanhållen vård och omsorg answered by länsdelsgrupper only: Kumla does not get it,
    Länsdelsgrupp Söder gets only it."""
    round_id = _scheduled_round(demo)
    with demo.app_context():
        plan = db.session.scalar(select(ActionPlan).where(ActionPlan.key == "sammanhallen-vard"))
        plan.answered_by = ["district"]
        social = db.session.scalar(select(ActionPlan).where(ActionPlan.key == "social-valfard"))
        social.answered_by = ["municipality"]
        db.session.commit()
        care_id = _sub_goal("sammanhallen-vard", "d1").id
        social_id = _sub_goal("social-valfard", "d2").id
        kumla, soder = _org("Kumla").id, _org("Länsdelsgrupp Söder").id
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    page = text_of(admin.get(f"/admin/omgang/{round_id}/formular/forhandsvisning"
                             f"?organisation={kumla}"))
    assert "Delmål 2 – Ökade möjligheter" in page and "Stärka det hälsofrämjande" not in page
    page = text_of(admin.get(f"/admin/omgang/{round_id}/formular/forhandsvisning"
                             f"?organisation={soder}"))
    assert "Stärka det hälsofrämjande" in page and "Delmål 2 – Ökade möjligheter" not in page

    _open_on_schedule(demo, round_id)
    grid = text_of(admin.get(f"/granskning/omgang/{round_id}"))
    assert "Kumla svarar inte på Delmål 1 – Stärka det hälsofrämjande" in grid
    assert "Länsdelsgrupp Söder svarar inte på Delmål 2 – Ökade möjligheter" in grid
    contact = Browser(demo.test_client())
    contact.login("kumla@example.se")
    overview = text_of(contact.get(f"/svar/omgang/{round_id}/organisation/{kumla}"))
    assert "Delmål 2 – Ökade möjligheter" in overview
    assert "Stärka det hälsofrämjande" not in overview
    contact.get(f"/svar/omgang/{round_id}/organisation/{kumla}/delmal/{care_id}", expect=404)
    with demo.app_context():
        submission = answer_service.get_submission(round_id, kumla)
        with pytest.raises(NotFound):
            answer_service.save_draft(_user("kumla@example.se"), submission,
                                      db.session.get(SubGoal, care_id), "Text", None)
        db.session.rollback()
    contact.get(f"/svar/omgang/{round_id}/organisation/{kumla}/delmal/{social_id}")


def test_designer_and_preview_are_for_the_unit_only(demo) -> None:
    round_id = _scheduled_round(demo)
    for email in ("granskare@example.se", "kumla@example.se"):
        person = Browser(demo.test_client())
        person.login(email)
        for url in (f"/admin/omgang/{round_id}/formular/",
                    f"/admin/omgang/{round_id}/formular/forhandsvisning?organisation=1"):
            response = person.client.get(url)
            assert response.status_code in (403, 404), (email, url)


def test_a_round_from_before_questionnaires_asks_its_one_free_text(demo) -> None:
    """A round from before questionnaires (none attached) asks its one free text."""
    with demo.app_context():
        rnd = db.session.scalar(select(Round))
        d1 = _sub_goal("social-valfard", "d1")
        rnd.questionnaire = None
        db.session.flush()
        questions = questionnaires.questions_for(rnd, d1)
        assert [(q.key, q.kind.value, q.required) for q in questions] == \
            [("text", "long_text", True)]
        db.session.rollback()


def test_copying_over_a_draft_that_another_round_copied_keeps_that_rounds_questions(
        designed, demo) -> None:
    """Round B copies round A's draft; then A copies another round over its draft. B keeps
    its questions and its record of where they came from."""
    source_id, sub_goal_id, admin = designed
    draft_a = _scheduled_round(demo, name="Omgång A")
    draft_b = _scheduled_round(demo, name="Omgång B")
    admin.get(_designer(admin, draft_b))
    admin.submit({"source": str(draft_a)}, action=f"/admin/omgang/{draft_b}/formular/kopiera")
    admin.get(_designer(admin, draft_a))
    admin.submit({"source": str(source_id)}, action=f"/admin/omgang/{draft_a}/formular/kopiera")
    assert "Formuläret är kopierat från Uppföljning nästa vecka" in text_of(admin.page)
    with demo.app_context():
        b = db.session.get(Round, draft_b)
        assert db.session.get(Questionnaire, b.questionnaire.based_on_id) is not None
        assert [q.key for q in b.questionnaire.questions_for(sub_goal_id)][:2] == \
            ["text", "status"]
