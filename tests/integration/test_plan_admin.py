"""The unit edits the plan structure on PostgreSQL: rename, reorder, retire and reactivate,
add, move a municipality, who answers a plan; refusals write nothing; others get no way in."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.web import Browser, checkboxes, csrf_token, text_of
from webapp.extensions import db
from webapp.models import (
    ActionPlan,
    ActivityArea,
    Answer,
    AuditEvent,
    FocusArea,
    Organisation,
    OrganisationKind,
    Role,
    SubGoal,
    Submission,
    User,
)
from webapp.security import ACCESS
from webapp.services import ServiceError, plan_admin

ADMIN = "admin@example.se"


def _get(app: Flask, model: type, **where: Any) -> Any:
    with app.app_context():
        row = db.session.scalar(select(model).filter_by(**where))
        assert row is not None, (model, where)
        db.session.expunge(row)
        return row


def _structure(app: Flask) -> tuple:
    """Everything the plan structure pages may change, to show a refusal changed nothing."""
    with app.app_context():
        return tuple(sorted(db.session.execute(select(*columns)).all()) for columns in (
            (ActionPlan.id, ActionPlan.name, ActionPlan.position, ActionPlan.active,
             ActionPlan.period_start, ActionPlan.period_end, ActionPlan.decided_by),
            (SubGoal.id, SubGoal.key, SubGoal.title, SubGoal.description, SubGoal.position,
             SubGoal.active),
            (FocusArea.id, FocusArea.name, FocusArea.position, FocusArea.active),
            (ActivityArea.id, ActivityArea.name, ActivityArea.position, ActivityArea.active),
            (Organisation.id, Organisation.name, Organisation.code, Organisation.district_id,
             Organisation.active),
        )) + (sorted(str(p) for p in db.session.scalars(select(ActionPlan.answered_by))),)


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)).all()
        for event in events:
            db.session.expunge(event)
        return list(events)


def _structure_audit_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.entity_type.in_(plan_admin.STRUCTURE_ENTITY_TYPES)))


def _positions(app: Flask, plan_key: str) -> list[tuple[str, int]]:
    with app.app_context():
        plan = db.session.scalar(select(ActionPlan).where(ActionPlan.key == plan_key))
        return [(sg.key, sg.position) for sg in plan.sub_goals]


# --- Rename -----------------------------------------------------------------------------------

def test_admin_renames_plan_sub_goal_focus_area_and_organisation(browser: Browser,
                                                                  demo: Flask) -> None:
    plan = _get(demo, ActionPlan, key="social-valfard")
    goal = _get(demo, SubGoal, action_plan_id=plan.id, key="d1")
    focus_area = _get(demo, FocusArea, key="kompetens")
    kumla = _get(demo, Organisation, name="Kumla")
    browser.login(ADMIN)
    page = browser.get("/admin/struktur/")
    assert "Planstruktur" in page.text and plan.name in page.text

    browser.get(f"/admin/struktur/handlingsplan/{plan.id}")
    browser.submit({"name": "Handlingsplan Social välfärd 2023–2026", "period_start": "2023",
                    "period_end": "2026", "decided_by": "Regionstyrelsen"})
    assert browser.url == "/admin/struktur/"
    assert "Handlingsplan Social välfärd 2023–2026 är sparad." in text_of(browser.page)

    browser.get(f"/admin/struktur/delmal/{goal.id}")
    browser.submit({"title": "Delmål 1 – Delaktighet för den enskilde",
                    "description": "Brukare och närstående är med och påverkar."})
    browser.get(f"/admin/struktur/insatsomrade/{focus_area.id}")
    browser.submit({"name": "Kompetensförsörjning i välfärden"})
    browser.get(f"/admin/struktur/organisation/{kumla.id}")
    browser.submit({"name": "Kumla kommun", "district_id": str(kumla.district_id)})

    with demo.app_context():
        saved = db.session.get(ActionPlan, plan.id)
        assert (saved.name, saved.period_start, saved.period_end, saved.decided_by) == (
            "Handlingsplan Social välfärd 2023–2026", 2023, 2026, "Regionstyrelsen")
        saved_goal = db.session.get(SubGoal, goal.id)
        assert saved_goal.title == "Delmål 1 – Delaktighet för den enskilde"
        assert saved_goal.description == "Brukare och närstående är med och påverkar."
        assert saved_goal.key == "d1"  # the stable key stays; answers keep pointing here
        assert db.session.get(FocusArea, focus_area.id).name == "Kompetensförsörjning i välfärden"
        assert db.session.get(Organisation, kumla.id).name == "Kumla kommun"
    # The round that already has the sub-goal shows its new title.
    page = browser.get("/granskning/omgang/1")
    assert "Delmål 1 – Delaktighet för den enskilde" in page.text

    [plan_event] = _audit(demo, "action_plan.update")
    assert plan_event.entity_id == plan.id and plan_event.actor_id is not None
    assert "2019–2022 → 2023–2026" in plan_event.comment
    assert "Regionstyrelsen" in plan_event.comment
    [goal_event] = _audit(demo, "sub_goal.update")
    assert "Delaktighet för den enskilde" in goal_event.comment
    assert "ny beskrivning" in goal_event.comment
    [fa_event] = _audit(demo, "focus_area.rename")
    assert fa_event.comment == ("Bytte namn på insatsområdet ”Kompetensförsörjning” till "
                                "”Kompetensförsörjning i välfärden”.")
    [org_event] = _audit(demo, "organisation.rename")
    assert org_event.comment == "Bytte namn på kommunen ”Kumla” till ”Kumla kommun”."
    # The overview lists the latest changes, readable.
    assert "Bytte namn på kommunen ”Kumla” till ”Kumla kommun”." in text_of(
        browser.get("/admin/struktur/"))


def test_saving_without_changes_writes_no_audit_event(browser: Browser, demo: Flask) -> None:
    focus_area = _get(demo, FocusArea, key="kompetens")
    browser.login(ADMIN)
    browser.get(f"/admin/struktur/insatsomrade/{focus_area.id}")
    browser.submit({})
    assert "Inget var ändrat" in text_of(browser.page)
    assert _audit(demo, "focus_area.rename") == []


@pytest.mark.parametrize(("url_of", "data", "message"), [
    (lambda ids: f"/admin/struktur/handlingsplan/{ids['plan']}", {"name": "  "},
     "Ge handlingsplanen ett namn."),
    (lambda ids: f"/admin/struktur/handlingsplan/{ids['plan']}", {"name": "x" * 301},
     "Högst 300 tecken."),
    (lambda ids: f"/admin/struktur/handlingsplan/{ids['plan']}",
     {"period_start": "2024", "period_end": "2020"}, "Slutåret kan inte ligga före startåret."),
    (lambda ids: f"/admin/struktur/handlingsplan/{ids['plan']}", {"period_start": "1850"},
     "Ange ett år mellan 1990 och 2100."),
    (lambda ids: f"/admin/struktur/handlingsplan/{ids['plan']}", {"period_end": "tjugo"},
     "Skriv året med fyra siffror"),
    (lambda ids: f"/admin/struktur/handlingsplan/{ids['plan']}",
     {"name": "handlingsplan SAMMANHÅLLEN vård och omsorg 2019–2022"},
     "Det finns redan en handlingsplan som heter ”Handlingsplan Sammanhållen vård och omsorg "
     "2019–2022”."),
    (lambda ids: f"/admin/struktur/delmal/{ids['goal']}",
     {"title": "Delmål 2 – Ökade möjligheter till meningsfull fritid och social samvaro"},
     "Det finns redan ett delmål som heter"),
    (lambda ids: f"/admin/struktur/insatsomrade/{ids['focus_area']}", {"name": "Psykisk hälsa"},
     "Det finns redan ett insatsområde som heter ”Psykisk hälsa”."),
    (lambda ids: f"/admin/struktur/organisation/{ids['kumla']}", {"name": "Örebro"},
     "Namnet ”Örebro” används redan av kommunen."),
    (lambda ids: f"/admin/struktur/organisation/{ids['kumla']}", {"name": ""},
     "Ge kommunen ett namn."),
], ids=["empty", "too-long", "years-reversed", "year-out-of-range", "year-not-a-number",
        "duplicate-plan", "duplicate-sub-goal", "duplicate-focus-area", "duplicate-name",
        "empty-municipality"])
def test_invalid_edits_are_refused_in_swedish_and_change_nothing(
        browser: Browser, demo: Flask, url_of, data: dict[str, str], message: str) -> None:
    plan = _get(demo, ActionPlan, key="social-valfard")
    kumla = _get(demo, Organisation, name="Kumla")
    ids = {"plan": plan.id, "goal": _get(demo, SubGoal, action_plan_id=plan.id, key="d1").id,
           "focus_area": _get(demo, FocusArea, key="kompetens").id, "kumla": kumla.id}
    browser.login(ADMIN)
    before, audited = _structure(demo), _structure_audit_count(demo)
    browser.get(url_of(ids))
    # The district select is sent as a browser would (tests.web reads inputs only).
    page = browser.submit({"district_id": str(kumla.district_id), **data}, expect=422)
    assert "Formuläret innehåller fel" in page.text
    assert message in text_of(page)
    assert 'aria-invalid="true"' in page.text
    assert _structure(demo) == before and _structure_audit_count(demo) == audited


# --- Reorder ----------------------------------------------------------------------------------

def test_move_up_and_down_keeps_positions_dense(browser: Browser, demo: Flask) -> None:
    plan = _get(demo, ActionPlan, key="social-valfard")
    d1 = _get(demo, SubGoal, action_plan_id=plan.id, key="d1")
    d3 = _get(demo, SubGoal, action_plan_id=plan.id, key="d3")
    d8 = _get(demo, SubGoal, action_plan_id=plan.id, key="d8")
    browser.login(ADMIN)
    page = browser.get("/admin/struktur/")
    # No JavaScript needed: plain buttons in forms; the first cannot go up, the last not down.
    assert f'action="/admin/struktur/delmal/{d1.id}/upp"' not in page.text
    assert f'action="/admin/struktur/delmal/{d8.id}/ned"' not in page.text
    browser.submit({}, action=f"/admin/struktur/delmal/{d3.id}/upp")
    assert "Delmålet ”Delmål 3 – Människor lever ett liv fritt från missbruk och beroende” "\
           "är flyttat upp." in text_of(browser.page)
    assert _positions(demo, "social-valfard") == [
        ("d1", 1), ("d3", 2), ("d2", 3), ("d4", 4), ("d5", 5), ("d6", 6), ("d7", 7), ("d8", 8)]
    browser.submit({}, action=f"/admin/struktur/delmal/{d1.id}/ned")
    assert _positions(demo, "social-valfard") == [
        ("d3", 1), ("d1", 2), ("d2", 3), ("d4", 4), ("d5", 5), ("d6", 6), ("d7", 7), ("d8", 8)]
    # Other plans' order is untouched.
    assert _positions(demo, "sammanhallen-vard") == [(f"d{i}", i) for i in range(1, 6)]
    [first, second] = _audit(demo, "sub_goal.reorder")
    assert first.comment.endswith("upp till plats 2 av 8.")
    assert second.comment.endswith("ned till plats 2 av 8.")

    # A stale button (the item is already first) is refused in Swedish, nothing moves.
    page = browser.client.post(f"/admin/struktur/delmal/{d3.id}/upp",
                               data={"csrf_token": csrf_token(browser.page)},
                               follow_redirects=True)
    assert "står redan först" in text_of(page)
    assert _positions(demo, "social-valfard")[0] == ("d3", 1)
    assert len(_audit(demo, "sub_goal.reorder")) == 2

    # Focus areas (the report's chapters) are ordered the same way.
    focus_area = _get(demo, FocusArea, key="psykisk-halsa")
    browser.get("/admin/struktur/insatsomraden")
    browser.submit({}, action=f"/admin/struktur/insatsomrade/{focus_area.id}/upp")
    with demo.app_context():
        order = db.session.scalars(select(FocusArea.key).order_by(FocusArea.position)).all()
        assert order[:2] == ["psykisk-halsa", "god-och-nara-vard"]
        assert sorted(db.session.scalars(select(FocusArea.position))) == list(range(1, 9))


# --- Retire and reactivate --------------------------------------------------------------------

def test_retired_sub_goal_is_not_offered_for_a_new_round_but_old_rounds_keep_it(
        browser: Browser, demo: Flask) -> None:
    plan = _get(demo, ActionPlan, key="social-valfard")
    d1 = _get(demo, SubGoal, action_plan_id=plan.id, key="d1")
    with demo.app_context():
        answers_before = db.session.scalar(select(func.count(Answer.id)).where(
            Answer.sub_goal_id == d1.id))
    assert answers_before >= 2  # Örebro's approved answer, Kumla's submitted one
    browser.login(ADMIN)
    new_round = browser.get("/admin/omgang/ny")
    assert d1.title in " ".join(checkboxes(new_round.text, "sub_goals"))

    browser.get("/admin/struktur/")
    browser.submit({}, action=f"/admin/struktur/delmal/{d1.id}/avveckla")
    assert "är avvecklat. Det erbjuds inte i nya omgångar" in text_of(browser.page)
    row = browser.page.text.split(f'id="delmal-{d1.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Avvecklad" in row and 'class="hint"' in browser.page.text.split(
        f'id="delmal-{d1.id}"', 1)[1][:20]
    assert f'action="/admin/struktur/delmal/{d1.id}/ateraktivera"' in row

    with demo.app_context():
        goal = db.session.get(SubGoal, d1.id)
        assert goal is not None and goal.active is False  # retired, never deleted
        assert db.session.scalar(select(func.count(Answer.id)).where(
            Answer.sub_goal_id == d1.id)) == answers_before

    # Not offered where a new round is set up …
    new_round = browser.get("/admin/omgang/ny")
    offered = checkboxes(new_round.text, "sub_goals")
    assert offered and not any(d1.title in label for label in offered)
    # … and a hand-made post with its id is refused by the form.
    response = browser.client.post("/admin/omgang/ny", data={
        "csrf_token": csrf_token(new_round), "name": "Extra", "year": "2030",
        "opens_on": "2030-01-01", "deadline": "2030-02-01", "reminder_days": "3",
        "sub_goals": str(d1.id), "organisations": str(_get(demo, Organisation, name="Kumla").id)})
    assert response.status_code == 422

    # The existing round and its answers still show it.
    overview = browser.get("/granskning/omgang/1")
    assert d1.title in overview.text
    answer_id = _answer_id(demo, "Örebro", d1.id)
    assert d1.title in browser.get(f"/granskning/svar/{answer_id}").text

    # Reactivated, it is offered again.
    browser.get("/admin/struktur/")
    browser.submit({}, action=f"/admin/struktur/delmal/{d1.id}/ateraktivera")
    assert "är återaktiverat" in text_of(browser.page)
    assert any(d1.title in label for label in checkboxes(
        browser.get("/admin/omgang/ny").text, "sub_goals"))
    assert [e.comment for e in _audit(demo, "sub_goal.retire")] == [
        f"Avvecklade delmålet ”{d1.title}”."]
    assert [e.comment for e in _audit(demo, "sub_goal.reactivate")] == [
        f"Återaktiverade delmålet ”{d1.title}”."]


def _answer_id(app: Flask, organisation: str, sub_goal_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Answer.id).join(Submission).join(Organisation).where(
            Organisation.name == organisation, Answer.sub_goal_id == sub_goal_id))


def test_retired_plan_and_inactive_municipality_are_not_offered(browser: Browser,
                                                                 demo: Flask) -> None:
    care = _get(demo, ActionPlan, key="sammanhallen-vard")
    nora = _get(demo, Organisation, name="Nora")
    browser.login(ADMIN)
    browser.get("/admin/struktur/")
    browser.submit({}, action=f"/admin/struktur/handlingsplan/{care.id}/avveckla")
    assert "Handlingsplanen ”" in text_of(browser.page) and "är avvecklad." in text_of(
        browser.page)
    browser.get("/admin/struktur/organisationer")
    browser.submit({}, action=f"/admin/struktur/organisation/{nora.id}/avveckla")
    page = browser.get("/admin/omgang/ny")
    assert not any(care.name in label for label in checkboxes(page.text, "sub_goals"))
    assert not any(label.startswith("Nora") for label in checkboxes(page.text, "organisations"))
    # Round 1 keeps the plan's sub-goal it already asks about.
    with demo.app_context():
        first_care_goal = db.session.scalar(select(SubGoal.title).where(
            SubGoal.action_plan_id == care.id, SubGoal.key == "d1"))
    assert first_care_goal in browser.get("/admin/omgang/1").text
    assert len(_audit(demo, "action_plan.retire")) == 1
    assert len(_audit(demo, "organisation.retire")) == 1


def test_district_with_active_municipalities_cannot_be_retired(browser: Browser,
                                                                demo: Flask) -> None:
    norr = _get(demo, Organisation, name="Länsdelsgrupp Norr")
    browser.login(ADMIN)
    browser.get("/admin/struktur/organisationer")
    before = _structure(demo)
    browser.submit({}, action=f"/admin/struktur/organisation/{norr.id}/avveckla")
    assert "Flytta dem till en annan länsdel eller avveckla dem först." in text_of(browser.page)
    assert "Hällefors" in text_of(browser.page).split("Flytta dem")[0]
    assert _structure(demo) == before and _audit(demo, "organisation.retire") == []


# --- Add --------------------------------------------------------------------------------------

def test_add_sub_goal_with_a_key_from_its_title_and_refuse_a_duplicate(browser: Browser,
                                                                       demo: Flask) -> None:
    plan = _get(demo, ActionPlan, key="social-valfard")
    focus_area = _get(demo, FocusArea, key="aldrande")
    browser.login(ADMIN)
    browser.get("/admin/struktur/")
    browser.get(f"/admin/struktur/handlingsplan/{plan.id}/nytt-delmal")
    browser.submit({"title": "Delmål 9 – Trygg och säker äldreomsorg",
                    "focus_area": str(focus_area.id), "description": "Nytt från 2025."})
    assert "är tillagt sist" in text_of(browser.page)
    with demo.app_context():
        goal = db.session.scalar(select(SubGoal).where(
            SubGoal.action_plan_id == plan.id,
            SubGoal.key == "delmal-9-trygg-och-saker-aldreomsorg"))
        assert goal is not None and goal.position == 9 and goal.active
        assert goal.focus_area_id == focus_area.id and goal.description == "Nytt från 2025."
    assert any("Delmål 9 – Trygg och säker äldreomsorg" in label for label in checkboxes(
        browser.get("/admin/omgang/ny").text, "sub_goals"))
    [event] = _audit(demo, "sub_goal.add")
    assert event.comment == (f"Lade till delmålet ”Delmål 9 – Trygg och säker äldreomsorg” i "
                             f"{plan.name}, under insatsområdet {focus_area.name}.")

    # The same title again (other case and spacing): refused, nothing written.
    before, audited = _structure(demo), _structure_audit_count(demo)
    browser.get(f"/admin/struktur/handlingsplan/{plan.id}/nytt-delmal")
    page = browser.submit({"title": "delmål 9 –  trygg och säker ÄLDREOMSORG",
                           "focus_area": str(focus_area.id)}, expect=422)
    assert ("Det finns redan ett delmål som heter ”Delmål 9 – Trygg och säker äldreomsorg” i "
            "handlingsplanen.") in text_of(page)
    assert 'href="#title"' in page.text  # the error summary leads to the field
    assert _structure(demo) == before and _structure_audit_count(demo) == audited
    # Empty title and no focus area: both said, nothing written.
    page = browser.submit({"title": "", "focus_area": "0"}, expect=422)
    assert "Ge delmålet en rubrik." in text_of(page) and "Välj ett insatsområde." in text_of(page)
    assert _structure(demo) == before

    # The same title in another plan is fine, and a retired title is pointed out.
    with demo.app_context():
        care = db.session.scalar(select(ActionPlan).where(ActionPlan.key == "sammanhallen-vard"))
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        fa = db.session.get(FocusArea, focus_area.id)
        copy = plan_admin.add_sub_goal(admin, care, title="Delmål 9 – Trygg och säker äldreomsorg",
                                       description="", focus_area=fa)
        assert copy.key == "delmal-9-trygg-och-saker-aldreomsorg" and copy.position == 6
        plan_admin.set_active(admin, copy, False)
        with pytest.raises(ServiceError, match="Det är avvecklat; återaktivera det i stället."):
            plan_admin.add_sub_goal(admin, care, title="Delmål 9 – Trygg och säker äldreomsorg",
                                    description="", focus_area=fa)
        db.session.rollback()


def test_sub_goal_keys_stay_unique_within_the_plan(demo: Flask) -> None:
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        plan = db.session.scalar(select(ActionPlan).where(ActionPlan.key == "psykisk-halsa"))
        fa = db.session.scalar(select(FocusArea).where(FocusArea.key == "psykisk-halsa"))
        first = plan_admin.add_sub_goal(admin, plan, title="Gul", description="", focus_area=fa)
        second = plan_admin.add_sub_goal(admin, plan, title="Gul!", description="",
                                         focus_area=fa)
        assert (first.key, second.key) == ("gul-2", "gul-3")  # "gul" is taken by the plan file
        assert [sg.position for sg in plan.sub_goals] == [1, 2, 3, 4, 5]
        db.session.rollback()


def test_add_focus_area_activity_area_district_and_municipality(browser: Browser,
                                                               demo: Flask) -> None:
    browser.login(ADMIN)
    browser.get("/admin/struktur/insatsomrade/nytt")
    browser.submit({"name": "Digital välfärd"})
    focus_area = _get(demo, FocusArea, name="Digital välfärd")
    assert focus_area.position == 9 and focus_area.key == "digital-valfard"
    browser.get(f"/admin/struktur/insatsomrade/{focus_area.id}/nytt-aktivitetsomrade")
    browser.submit({"name": "Välfärdsteknik"})
    browser.get(f"/admin/struktur/insatsomrade/{focus_area.id}/nytt-aktivitetsomrade")
    browser.submit({"name": "E-hälsa"})
    with demo.app_context():
        areas = db.session.scalars(select(ActivityArea).where(
            ActivityArea.focus_area_id == focus_area.id).order_by(ActivityArea.position)).all()
        assert [(a.name, a.position) for a in areas] == [("Välfärdsteknik", 1), ("E-hälsa", 2)]
        first_area = areas[0].id
    page = browser.get("/admin/struktur/insatsomraden")
    assert "Välfärdsteknik" in page.text
    browser.submit({}, action=f"/admin/struktur/aktivitetsomrade/{first_area}/ned")
    browser.get(f"/admin/struktur/aktivitetsomrade/{first_area}")
    page = browser.submit({"name": "e-HÄLSA"}, expect=422)
    assert "Det finns redan ett aktivitetsområde som heter ”E-hälsa” i insatsområdet." in \
        text_of(page)

    browser.get("/admin/struktur/lansdel/ny")
    browser.submit({"name": "Länsdelsgrupp Mitt"})
    mitt = _get(demo, Organisation, name="Länsdelsgrupp Mitt")
    assert mitt.kind is OrganisationKind.DISTRICT and mitt.key == "lansdelsgrupp-mitt"

    browser.get("/admin/struktur/kommun/ny")
    browser.submit({"name": "Nyby", "code": "1899", "district_id": str(mitt.id)})
    nyby = _get(demo, Organisation, name="Nyby")
    assert (nyby.kind, nyby.code, nyby.district_id, nyby.active) == (
        OrganisationKind.MUNICIPALITY, "1899", mitt.id, True)
    page = browser.get("/admin/struktur/organisationer")
    assert "Nyby" in page.text.split(f'id="organisation-{mitt.id}"', 1)[1]
    assert any(label.startswith("Nyby") for label in checkboxes(
        browser.get("/admin/omgang/ny").text, "organisations"))
    for action in ("focus_area.add", "activity_area.add", "activity_area.reorder",
                   "organisation.add"):
        assert _audit(demo, action), action
    assert [e.comment for e in _audit(demo, "organisation.add")] == [
        "Lade till länsdelsgruppen ”Länsdelsgrupp Mitt”.",
        "Lade till kommunen ”Nyby” (kommunkod 1899) i Länsdelsgrupp Mitt."]


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "Nyby", "code": "1880"}, "Kommunkoden 1880 används redan av Örebro."),
    ({"name": "kumla", "code": "1899"}, "Namnet ”Kumla” används redan av kommunen."),
    ({"name": "Länsdelsgrupp norr", "code": "1899"},
     "Namnet ”Länsdelsgrupp Norr” används redan av länsdelsgruppen."),
    ({"name": "Nyby", "code": "18a9"}, "Kommunkoden är fyra siffror, till exempel 1880."),
    ({"name": "Nyby", "code": "18990"}, "Kommunkoden är fyra siffror, till exempel 1880."),
    ({"name": "Nyby", "code": "1899", "district_id": "0"}, "Välj en länsdel."),
    ({"name": "", "code": ""}, "Ge kommunen ett namn."),
], ids=["duplicate-code", "duplicate-name", "name-of-a-district", "letters", "five-digits",
        "no-district", "empty"])
def test_add_municipality_refuses_duplicates_and_bad_codes(
        browser: Browser, demo: Flask, data: dict[str, str], message: str) -> None:
    norr = _get(demo, Organisation, name="Länsdelsgrupp Norr")
    browser.login(ADMIN)
    before, audited = _structure(demo), _structure_audit_count(demo)
    browser.get("/admin/struktur/kommun/ny")
    page = browser.submit({"district_id": str(norr.id), **data}, expect=422)
    assert "Formuläret innehåller fel" in page.text and message in text_of(page)
    assert _structure(demo) == before and _structure_audit_count(demo) == audited


# --- Move a municipality, who answers a plan --------------------------------------------------

def test_move_municipality_to_another_district(browser: Browser, demo: Flask) -> None:
    kumla = _get(demo, Organisation, name="Kumla")
    soder = _get(demo, Organisation, name="Länsdelsgrupp Söder")
    norr = _get(demo, Organisation, name="Länsdelsgrupp Norr")
    assert kumla.district_id == soder.id
    browser.login(ADMIN)

    def review_rows(district: Organisation) -> str:
        return browser.get(f"/granskning/omgang/1?district={district.id}").text

    assert '<th scope="row">Kumla' in review_rows(soder)
    assert '<th scope="row">Kumla' not in review_rows(norr)

    browser.get(f"/admin/struktur/organisation/{kumla.id}")
    browser.submit({"district_id": str(norr.id)})
    assert "Kommunen Kumla är sparad och hör till Länsdelsgrupp Norr." in text_of(browser.page)
    assert "Kumla" in browser.page.text.split(f'id="organisation-{norr.id}"', 1)[1].split(
        "</section>", 1)[0]
    assert _get(demo, Organisation, name="Kumla").district_id == norr.id
    # The review overview's district filter follows at once.
    assert '<th scope="row">Kumla' in review_rows(norr)
    assert '<th scope="row">Kumla' not in review_rows(soder)
    [event] = _audit(demo, "organisation.move")
    assert event.comment == ("Flyttade kommunen ”Kumla” från Länsdelsgrupp Söder till "
                             "Länsdelsgrupp Norr.")
    assert _audit(demo, "organisation.rename") == []


def test_municipality_cannot_move_to_a_retired_district(demo: Flask) -> None:
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        mitt = plan_admin.add_district(admin, name="Länsdelsgrupp Mitt")
        plan_admin.set_active(admin, mitt, False)
        db.session.commit()
        kumla = db.session.scalar(select(Organisation).where(Organisation.name == "Kumla"))
        soder_id = kumla.district_id
        with pytest.raises(plan_admin.FieldError, match="Välj en länsdel som inte är avvecklad"):
            plan_admin.update_organisation(admin, kumla, name="Kumla kommun", district=mitt)
        db.session.rollback()
        kumla = db.session.scalar(select(Organisation).where(Organisation.code == "1881"))
        assert (kumla.name, kumla.district_id) == ("Kumla", soder_id)  # nothing half-written


def test_change_who_answers_a_plan(browser: Browser, demo: Flask) -> None:
    plan = _get(demo, ActionPlan, key="jamlik-halsa")
    browser.login(ADMIN)
    page = browser.get("/admin/struktur/")
    action = f"/admin/struktur/handlingsplan/{plan.id}/besvaras-av"
    assert f'id="besvaras-av-{plan.id}-municipality"' in page.text
    assert "Kommuner" in page.text and "Länsdelsgrupper" in page.text

    # None chosen: refused with the error beside the checkboxes, nothing written.
    before = _structure(demo)
    page = browser.submit({}, action=action, expect=422)
    assert "Välj minst en av Kommuner och Länsdelsgrupper." in text_of(page)
    assert f'href="#besvaras-av-{plan.id}"' in page.text
    assert _structure(demo) == before and _audit(demo, "action_plan.answered_by") == []

    browser.get("/admin/struktur/")
    browser.submit({"answered_by": "municipality"}, action=action)
    assert "besvaras av kommuner." in text_of(browser.page)
    with demo.app_context():
        saved = db.session.get(ActionPlan, plan.id)
        assert saved.answered_by == ["municipality"]
        assert saved.answered_by_kind("municipality") and not saved.answered_by_kind("district")
    page = browser.get("/admin/struktur/")
    form = page.text.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    assert 'value="municipality" id' in form and 'value="municipality" id="besvaras-av-' \
        f'{plan.id}-municipality" checked' in form
    assert f'id="besvaras-av-{plan.id}-district">' in form  # not checked
    [event] = _audit(demo, "action_plan.answered_by")
    assert event.comment == (f"Handlingsplanen ”{plan.name}” besvaras nu av kommuner "
                             "(förut kommuner och länsdelsgrupper).")


# --- Who may do this --------------------------------------------------------------------------

@pytest.mark.parametrize(("email", "role"), [("granskare@example.se", Role.REVIEWER),
                                              ("ledamot@example.se", Role.READER),
                                              ("kumla@example.se", Role.CONTACT)],
                         ids=["reviewer", "reader", "contact"])
def test_only_admins_reach_the_plan_structure(demo: Flask, email: str, role: Role) -> None:
    from tests.integration.test_route_matrix import _url

    b = Browser(demo.test_client())
    b.login(email)
    token = csrf_token(b.page)
    assert "Planstruktur" not in b.page.text
    before, audited = _structure(demo), _structure_audit_count(demo)
    rules = [r for r in demo.url_map.iter_rules() if r.endpoint.startswith("plan.")]
    assert len(rules) == 16
    for rule in rules:
        assert getattr(demo.view_functions[rule.endpoint], ACCESS) == (
            frozenset({Role.ADMIN}), False)
        url = _url(demo, rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = (b.client.get(url) if method == "GET" else
                        b.client.post(url, data={"csrf_token": token, "name": "Kapat",
                                                 "answered_by": "district"}))
            assert response.status_code in (403, 404), (role, method, url)
            assert "Kapat" not in response.text
    assert _structure(demo) == before and _structure_audit_count(demo) == audited
    with demo.app_context():  # the refusals themselves are audited
        denied = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "access.denied", AuditEvent.comment.like("% /admin/struktur/%")))
    assert denied >= len(rules)


def test_services_refuse_anyone_but_an_admin(demo: Flask) -> None:
    with demo.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == "granskare@example.se"))
        focus_area = db.session.scalar(select(FocusArea).where(FocusArea.key == "kompetens"))
        with pytest.raises(ServiceError, match="Bara administratörer"):
            plan_admin.rename_focus_area(reviewer, focus_area, name="Annat")
        with pytest.raises(ServiceError, match="Bara administratörer"):
            plan_admin.set_active(reviewer, focus_area, False)
        db.session.rollback()


def test_next_years_round_leaves_out_a_retired_sub_goal(browser: Browser, demo: Flask) -> None:
    from webapp.models import Round, User
    from webapp.services import rounds

    plan = _get(demo, ActionPlan, key="social-valfard")
    d1 = _get(demo, SubGoal, action_plan_id=plan.id, key="d1")
    browser.login(ADMIN)
    browser.get("/admin/struktur/")
    browser.submit({}, action=f"/admin/struktur/delmal/{d1.id}/avveckla")
    with demo.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        old = db.session.get(Round, 1)
        new = rounds.create_next_round(admin, old)
        db.session.commit()
        assert d1.id in {sg.id for sg in old.sub_goals}
        assert d1.id not in {sg.id for sg in new.sub_goals}
        assert len(new.sub_goals) == len(old.sub_goals) - 1
        assert new.questionnaire.questions_for(d1.id) == []
