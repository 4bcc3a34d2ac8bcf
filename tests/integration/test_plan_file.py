"""The YAML plan file on PostgreSQL: import, refusal with line numbers (and nothing written),
idempotence, export and round trip, the CLI and the admin page."""
from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text

from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import (
    ActionPlan,
    ActivityArea,
    AuditEvent,
    FocusArea,
    Organisation,
    OrganisationKind,
    Questionnaire,
    QuestionType,
    SubGoal,
)
from webapp.services import plan_import
from webapp.services.plan_import import DEFAULT_DATA_FILE
from webapp.services.plan_schema import PlanFileError

DEFAULT = DEFAULT_DATA_FILE.read_text(encoding="utf-8")
STRUCTURE = ("organisation", "focus_area", "activity_area", "action_plan", "sub_goal",
             "questionnaire", "question")


def _truncate() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture()
def empty(app: Flask) -> Iterator[Flask]:
    """A migrated database with every table empty, inside an app context."""
    with app.app_context():
        _truncate()
        yield app
        db.session.rollback()


def _dump(tables: tuple[str, ...] | None = None) -> dict[str, list[tuple]]:
    """Every row of every (or the named) table, sorted: equal dumps, unchanged database."""
    dump = {}
    for table in db.metadata.sorted_tables:
        if tables is None or table.name in tables:
            rows = db.session.execute(select(table)).all()
            dump[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return dump


def _counts() -> dict[str, int]:
    return {name: len(rows) for name, rows in _dump(STRUCTURE).items()}


def _line_of(source: str, fragment: str) -> int:
    """1-based number of the first line of ``source`` that contains ``fragment``."""
    return next(i for i, line in enumerate(source.splitlines(), start=1) if fragment in line)


def _structure() -> dict[str, object]:
    """The structure by names, ids left out: what two databases must agree on."""
    plans = db.session.scalars(select(ActionPlan).order_by(ActionPlan.position)).all()
    template = db.session.scalar(select(Questionnaire).where(Questionnaire.is_template))
    return {
        "organisations": sorted(
            (o.kind.value, o.key, o.code, o.name, o.active, o.district.key if o.district else None)
            for o in db.session.scalars(select(Organisation))),
        "focus_areas": [(f.key, f.name, f.active, [(a.key, a.name, a.active)
                                                   for a in f.activity_areas])
                        for f in db.session.scalars(select(FocusArea)
                                                    .order_by(FocusArea.position))],
        "plans": [(p.key, p.name, p.period_start, p.period_end, p.decided_by, p.answered_by,
                   p.active, [(s.key, s.title, s.focus_area.key, s.description, s.active)
                              for s in p.sub_goals]) for p in plans],
        "questions": sorted(
            (q.sub_goal.key if q.sub_goal else "", q.position, q.key, q.kind.value, q.label,
             q.help_text, q.required, q.options, q.unit, q.min_value, q.max_value,
             q.show_if_key, q.show_if_value) for q in template.questions),
    }


# --- import --------------------------------------------------------------------------------

def test_the_default_file_gives_the_whole_structure(empty) -> None:
    result = plan_import.load_file()
    db.session.commit()
    assert result.counts == {"districts": 4, "municipalities": 12, "focus_areas": 8,
                             "activity_areas": 5, "action_plans": 4, "sub_goals": 19,
                             "questions": 7}
    assert db.session.scalar(select(func.count(ActionPlan.id))) == 4
    assert db.session.scalar(select(func.count(FocusArea.id))) == 8
    assert db.session.scalar(select(func.count(SubGoal.id))) == 19
    plans = {p.key: p for p in db.session.scalars(select(ActionPlan))}
    numbered = {key: [s.key for s in plans[key].sub_goals
                      if re.match(r"Delmål \d+ – ", s.title)] for key in plans}
    assert numbered == {"social-valfard": [f"d{n}" for n in range(1, 9)],
                        "sammanhallen-vard": [f"d{n}" for n in range(1, 6)],
                        "jamlik-halsa": [], "psykisk-halsa": []}
    assert [s.title for s in plans["social-valfard"].sub_goals][3] == \
        "Delmål 4 – Våldsfria nära relationer"
    assert (plans["psykisk-halsa"].period_start, plans["psykisk-halsa"].period_end,
            plans["psykisk-halsa"].decided_by) == (2020, 2023, None)
    assert all(p.answered_by == ["municipality", "district"] and p.active
               for p in plans.values())
    districts = db.session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.DISTRICT)).all()
    assert sorted(d.key for d in districts) == ["norr", "orebro", "soder", "vaster"]
    municipalities = {o.name: o for o in db.session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.MUNICIPALITY))}
    assert len(municipalities) == 12
    assert municipalities["Örebro"].code == "1880"
    assert municipalities["Hällefors"].district.key == "norr"
    areas = {f.key: [a.name for a in f.activity_areas]
             for f in db.session.scalars(select(FocusArea))}
    assert areas["god-och-nara-vard"] == [
        "Länsgemensam utvecklingsstrategi för omställningen till en god och nära vård",
        "Covid19", "Samordnad individuell plan (SIP)", "ViSam förvaltning och utveckling"]
    assert areas["skolan"] == ["Föräldraskapsstöd"] and areas["kompetens"] == []
    template = db.session.scalar(select(Questionnaire).where(Questionnaire.is_template))
    assert template.version == 1
    assert [(q.position, q.key, q.sub_goal_id) for q in template.questions] == [
        (1, "text", None), (2, "status", None), (3, "resultat", None),
        (4, "utmaningar", None), (5, "omvarld", None), (6, "nasta-steg", None),
        (7, "aktiviteter", None)]
    assert template.questions[0].required and template.questions[1].kind is QuestionType.STATUS
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "plan.import")) == 1


def test_importing_the_same_file_again_changes_nothing(empty) -> None:
    plan_import.load_file()
    db.session.commit()
    before, counts = _dump(STRUCTURE), _counts()
    writes: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.split()[0] in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = plan_import.load_file()
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert not result.changed and "Inget behövde ändras" in result.summary()
    assert [w.split()[2] for w in writes] == ["audit_event"]  # the import is audited, no more
    assert _dump(STRUCTURE) == before and _counts() == counts
    assert db.session.scalar(select(func.count(Questionnaire.id))) == 1


def test_names_change_rows_are_found_by_their_keys(empty) -> None:
    plan_import.load_file()
    db.session.commit()
    ids = {o.name: o.id for o in db.session.scalars(select(Organisation))}
    goal_id = db.session.scalar(select(SubGoal.id).join(ActionPlan).where(
        ActionPlan.key == "social-valfard", SubGoal.key == "d4"))
    edited = (DEFAULT
              .replace('"Länsdelsgrupp Norr"', '"Länsdelsgrupp Söder"', 1)
              .replace('{key: soder,  name: "Länsdelsgrupp Söder"}',
                       '{key: soder,  name: "Länsdelsgrupp Norr"}')  # two names swap places
              .replace("{name: Laxå,", "{name: Laxå kommun,")
              .replace("Delmål 4 – Våldsfria nära relationer", "Delmål 4 – Våldsfrihet")
              .replace('district: soder}', 'district: norr}', 1))  # Askersund moves
    result = plan_import.load(edited)
    db.session.commit()
    assert result.created == 0 and result.updated == 5
    by_key = {o.key: o for o in db.session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.DISTRICT))}
    assert by_key["norr"].name == "Länsdelsgrupp Söder" and by_key["norr"].id == ids[
        "Länsdelsgrupp Norr"]
    assert by_key["soder"].name == "Länsdelsgrupp Norr"
    laxa = db.session.get(Organisation, ids["Laxå"])
    assert laxa.name == "Laxå kommun"
    assert db.session.get(Organisation, ids["Askersund"]).district.key == "norr"
    assert db.session.get(SubGoal, goal_id).title == "Delmål 4 – Våldsfrihet"


def test_districts_from_before_keys_are_found_by_name(empty) -> None:
    old = Organisation(name="Länsdelsgrupp Norr", kind=OrganisationKind.DISTRICT)
    db.session.add(old)
    db.session.commit()
    plan_import.load_file()
    db.session.commit()
    assert db.session.get(Organisation, old.id).key == "norr"
    assert db.session.scalar(select(func.count(Organisation.id)).where(
        Organisation.kind == OrganisationKind.DISTRICT)) == 4


def test_retired_items_stay_and_missing_ones_are_left_alone(empty) -> None:
    plan_import.load_file()
    db.session.commit()
    edited = (DEFAULT
              .replace('{key: d8, focus_area: kompetens,',
                       '{key: d8, active: false, focus_area: kompetens,')
              .replace('{key: covid19,     name: "Covid19"}',
                       '{key: covid19,     name: "Covid19", active: false}')
              .replace('      - {key: rod,  focus_area: psykisk-halsa, title: "Röd nivå – '
                       'Hållbara stöd till dem som behöver"}\n', ''))
    result = plan_import.load(edited)
    db.session.commit()
    goals = {(s.action_plan.key, s.key): s for s in db.session.scalars(select(SubGoal))}
    assert len(goals) == 19
    assert goals[("social-valfard", "d8")].active is False
    assert goals[("psykisk-halsa", "rod")].active is True  # not in the file: left as it was
    assert any("Röd nivå" in n and "active: false" in n for n in result.notices)
    assert db.session.scalar(select(ActivityArea.active).where(ActivityArea.key == "covid19")) \
        is False
    exported = plan_import.export()
    assert "title: Delmål 8 – Kompetensbehovet inom den sociala välfärden är tillgodosett, " \
           "active: false}" in exported
    assert "{key: covid19, name: Covid19, active: false}" in exported


QUESTIONS_FOR_D1 = """
  sub_goals:
    social-valfard/d1:
      - key: brukarrad
        type: single_choice
        label: "Har ni brukarråd?"
        required: true
        options: ["Ja", "Nej", "Planeras"]
      - key: antal
        type: number
        label: "Hur många möten hölls?"
        unit: möten
        min: 0
        max: 100
        show_if: {question: brukarrad, answer: "Ja"}
"""


def test_a_sub_goal_can_have_its_own_questions(empty) -> None:
    plan_import.load(DEFAULT + QUESTIONS_FOR_D1)
    db.session.commit()
    d1 = db.session.scalar(select(SubGoal).join(ActionPlan).where(
        ActionPlan.key == "social-valfard", SubGoal.key == "d1"))
    template = db.session.scalar(select(Questionnaire).where(Questionnaire.is_template))
    own = template.questions_for(d1.id)
    assert [(q.position, q.key, q.kind) for q in own] == [
        (1, "brukarrad", QuestionType.SINGLE_CHOICE), (2, "antal", QuestionType.NUMBER)]
    assert own[0].options == ["Ja", "Nej", "Planeras"] and own[0].required
    assert (own[1].unit, own[1].min_value, own[1].max_value) == ("möten", 0, 100)
    assert (own[1].show_if_key, own[1].show_if_value) == ("brukarrad", "Ja")
    assert len([q for q in template.questions if q.sub_goal_id is None]) == 7
    before = _dump(STRUCTURE)
    again = plan_import.load(DEFAULT + QUESTIONS_FOR_D1)
    db.session.commit()
    assert not again.changed and _dump(STRUCTURE) == before
    exported = plan_import.export()
    assert "social-valfard/d1:" in exported and "options: [Ja, Nej, Planeras]" in exported
    dropped = plan_import.load(DEFAULT)  # the file is the template: the own set goes
    db.session.commit()
    assert dropped.deleted == 2 and template.questions_for(d1.id) == []
    assert db.session.scalar(select(func.count(Questionnaire.id))) == 1


# --- refusals ------------------------------------------------------------------------------

def _unknown_key(source: str) -> tuple[str, int]:
    fragment = 'title: "Delmål 3 – Människor'
    return source.replace(fragment, "titel" + fragment[5:]), _line_of(source, fragment)


def _duplicate_name(source: str) -> tuple[str, int]:
    return source.replace("{name: Degerfors,", "{name: Askersund,"), _line_of(source, "Degerfors")


def _missing_title(source: str) -> tuple[str, int]:
    title = ', title: "Delmål 4 – Våldsfria nära relationer"'
    return source.replace(title, ""), _line_of(source, title)


def _bad_year(source: str) -> tuple[str, int]:
    line = _line_of(source, "period: [2020, 2023]")
    return source.replace("period: [2020, 2023]", "period: [2020, 20233]"), line


def _syntax_error(source: str) -> tuple[str, int]:
    fragment = '  - {key: norr,   name: "Länsdelsgrupp Norr"}'
    return source.replace(fragment, fragment[:-1]), _line_of(source, fragment)


def _duplicate_sub_goal_key(source: str) -> tuple[str, int]:
    fragment = "{key: d2, focus_area: sarbara-grupper,"
    return (source.replace(fragment, "{key: d1, focus_area: sarbara-grupper,"),
            _line_of(source, fragment))


def _unknown_focus_area(source: str) -> tuple[str, int]:
    fragment = "{key: d7, focus_area: arbetsliv,"
    return source.replace(fragment, "{key: d7, focus_area: arbetslivet,"), _line_of(
        source, fragment)


def _duplicate_question_key(source: str) -> tuple[str, int]:
    return source.replace("- key: utmaningar", "- key: resultat"), _line_of(
        source, "- key: utmaningar")


BROKEN: dict[str, tuple[Callable[[str], tuple[str, int]], str]] = {
    "unknown key": (_unknown_key, "Okänd nyckel ”titel” i delmålet. Menade du ”title”?"),
    "duplicate name": (_duplicate_name, "Kommunen ”Askersund” finns redan på rad "
                       f"{_line_of(DEFAULT, '{name: Askersund,')}."),
    "missing title": (_missing_title, "Delmålet saknar title."),
    "bad year": (_bad_year, "period ska vara två årtal mellan 1990 och 2100"),
    "syntax error": (_syntax_error, "YAML-syntaxfel"),
    "duplicate sub-goal key": (_duplicate_sub_goal_key, "Delmålet ”d1” finns redan på rad"),
    "unknown focus area": (_unknown_focus_area, "Insatsområdet ”arbetslivet” finns inte"),
    "duplicate question key": (_duplicate_question_key, "Frågan ”resultat” finns redan på"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_is_refused_by_line_and_nothing_is_written(empty, case: str) -> None:
    plan_import.load_file()
    db.session.commit()
    before = _dump()
    transform, message = BROKEN[case]
    broken, line = transform(DEFAULT)
    assert broken != DEFAULT
    with pytest.raises(PlanFileError) as refusal:
        plan_import.load(broken)
    db.session.rollback()
    assert len(refusal.value.problems) == 1, refusal.value.message
    problem = refusal.value.problems[0]
    assert problem.line == line, refusal.value.message
    assert str(problem).startswith(f"Rad {line}") and message in str(problem)
    assert "inget har ändrats" in refusal.value.message
    assert _dump() == before


def test_into_an_empty_database_too_nothing_is_written(empty) -> None:
    broken, _ = _missing_title(DEFAULT)
    with pytest.raises(PlanFileError):
        plan_import.load(broken)
    db.session.rollback()
    assert all(rows == [] for rows in _dump().values())


def test_every_error_is_listed_not_just_the_first(empty) -> None:
    broken = DEFAULT
    expected = []
    for transform in (_unknown_key, _duplicate_name, _bad_year, _unknown_focus_area):
        broken, line = transform(broken)
        expected.append(line)
    with pytest.raises(PlanFileError) as refusal:
        plan_import.load(broken)
    assert [p.line for p in refusal.value.problems] == sorted(expected)


def test_a_name_held_by_an_organisation_outside_the_file_is_refused(empty) -> None:
    db.session.add(Organisation(name="Kumla", kind=OrganisationKind.MUNICIPALITY, code="9999"))
    db.session.commit()
    before = _dump()
    with pytest.raises(PlanFileError) as refusal:
        plan_import.load_file()
    db.session.rollback()
    assert refusal.value.problems[0].line == _line_of(DEFAULT, "{name: Kumla,")
    assert "Namnet ”Kumla” används redan" in refusal.value.message
    assert _dump() == before


# --- export --------------------------------------------------------------------------------

def test_export_imports_back_to_the_same_structure_and_text(empty) -> None:
    plan_import.load(DEFAULT + QUESTIONS_FOR_D1.replace("social-valfard/d1",
                                                        "sammanhallen-vard/d2"))
    db.session.commit()
    first = plan_import.export()
    structure = _structure()
    assert "Örebro" in first and "\\u" not in first  # Swedish letters as they are
    assert first.index("key: god-och-nara-vard") < first.index("key: psykisk-halsa")
    again = plan_import.load(first)  # the export describes exactly what is there
    db.session.commit()
    assert not again.changed

    _truncate()
    result = plan_import.load(first)
    db.session.commit()
    assert result.counts["sub_goals"] == 19 and result.counts["questions"] == 9
    assert plan_import.export() == first
    assert _structure() == structure


# --- CLI ---------------------------------------------------------------------------------

def test_cli_imports_exports_and_refuses_with_exit_status_1(empty, tmp_path) -> None:
    runner = empty.test_cli_runner()
    result = runner.invoke(args=["import-plan", str(DEFAULT_DATA_FILE)])
    assert result.exit_code == 0, result.output
    assert "4 handlingsplaner" in result.output and "19 delmål" in result.output
    exported = runner.invoke(args=["export-plan"])
    assert exported.exit_code == 0 and exported.output == plan_import.export()
    out = tmp_path / "plan.yaml"
    assert runner.invoke(args=["export-plan", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == exported.output

    before = _dump()
    broken, line = _bad_year(DEFAULT)
    bad = tmp_path / "trasig.yaml"
    bad.write_text(broken, encoding="utf-8")
    refused = runner.invoke(args=["import-plan", str(bad)])
    assert refused.exit_code == 1
    assert f"Rad {line}, kolumn" in refused.output and "inget har ändrats" in refused.output
    assert _dump() == before


# --- the admin page ------------------------------------------------------------------------

def _upload(browser: Browser, content: bytes,
            filename: str = "plan.yaml"):  # type: ignore[no-untyped-def]
    page = browser.get("/admin/struktur/fil")
    return browser.client.post("/admin/struktur/fil", data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data", follow_redirects=True)


def _structure_dump(app: Flask) -> dict[str, list[tuple]]:
    with app.app_context():
        return _dump(STRUCTURE)


def _imports_audited(app: Flask) -> list[tuple[str | None, str | None]]:
    with app.app_context():
        return [(e.actor.email if e.actor else None, e.comment) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "plan.import")
            .order_by(AuditEvent.id))]


def test_admin_downloads_the_file(browser: Browser, demo) -> None:
    browser.login("admin@example.se")
    page = browser.get("/admin/struktur/fil")
    assert 'href="/admin/struktur/fil/export.yaml"' in page.text
    response = browser.client.get("/admin/struktur/fil/export.yaml")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/yaml")
    assert re.fullmatch(r'attachment; filename="uppfoljning-struktur-\d{4}-\d{2}-\d{2}\.yaml"',
                        response.headers["Content-Disposition"])
    with demo.app_context():
        assert response.get_data(as_text=True) == plan_import.export()
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "plan.export")) == 1


def test_admin_uploads_an_edited_file(browser: Browser, demo) -> None:
    browser.login("admin@example.se")
    edited = DEFAULT.replace("Delmål 4 – Våldsfria nära relationer", "Delmål 4 – Våldsfrihet")
    response = _upload(browser, edited.encode("utf-8"))
    assert response.status_code == 200 and response.request.path == "/admin/struktur/fil"
    page = text_of(response)
    assert "Planfilen är inläst: 4 länsdelar, 12 kommuner, 8 insatsområden" in page
    assert "ändrade: 1" in page
    with demo.app_context():
        assert db.session.scalar(select(func.count(SubGoal.id)).where(
            SubGoal.title == "Delmål 4 – Våldsfrihet")) == 1
    assert [actor for actor, _ in _imports_audited(demo)] == [None, "admin@example.se"]
    assert "plan.yaml" in _imports_audited(demo)[-1][1]


def test_admin_upload_of_a_broken_file_lists_the_errors_and_writes_nothing(
        browser: Browser, demo) -> None:
    browser.login("admin@example.se")
    before, audited = _structure_dump(demo), _imports_audited(demo)
    broken, line = _missing_title(DEFAULT)
    broken, year_line = _bad_year(broken)
    response = _upload(browser, broken.encode("utf-8"))
    assert response.status_code == 422
    page = text_of(response)
    assert "Planfilen lästes inte in – inget har ändrats" in page
    assert f"Rad {line}, kolumn 9: Delmålet saknar title." in page
    assert f"Rad {year_line}, kolumn 13: period ska vara" in page
    assert _structure_dump(demo) == before and _imports_audited(demo) == audited

    not_utf8 = _upload(browser, "Länsdel: Väster".encode("latin-1"))
    assert not_utf8.status_code == 422 and "inte sparad som UTF-8" in text_of(not_utf8)
    wrong_kind = _upload(browser, b"districts: []", filename="plan.docx")
    assert wrong_kind.status_code == 422 and "måste vara en YAML-fil" in text_of(wrong_kind)
    too_big = _upload(browser, b"#" * (1024 * 1024 + 1))
    assert too_big.status_code == 422 and "högst 1 MB" in text_of(too_big)
    assert _structure_dump(demo) == before and _imports_audited(demo) == audited


@pytest.mark.parametrize("email", ["kumla@example.se", "granskare@example.se"])
def test_only_admins_reach_the_plan_file(demo, email: str) -> None:
    browser = Browser(demo.test_client())
    browser.login(email)
    before = _structure_dump(demo)
    assert browser.client.get("/admin/struktur/fil").status_code == 403
    assert browser.client.get("/admin/struktur/fil/export.yaml").status_code == 403
    response = browser.client.post("/admin/struktur/fil", data={
        "csrf_token": csrf_token(browser.page),
        "file": (io.BytesIO(DEFAULT.replace("Kumla", "Kumla2").encode()), "plan.yaml")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    assert _structure_dump(demo) == before
