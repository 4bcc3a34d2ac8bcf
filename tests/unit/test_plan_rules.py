"""The plan file, the plan admin pages, the round form and the questionnaire designer follow
one rule set (``webapp/models/constraints.py``): what one refuses, the others refuse, with the
same bound in the message. No database: the forms are filled as a browser would post them."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from webapp.forms.plan import PlanForm, SubGoalForm
from webapp.forms.questionnaire import QuestionForm
from webapp.forms.rounds import RoundForm
from webapp.models import ActionPlan, Question, SubGoal
from webapp.models import constraints as rules
from webapp.services import ServiceError, plan_admin, plan_schema, questionnaires
from webapp.services.plan_import import DEFAULT_DATA_FILE
from webapp.services.plan_schema import PlanFileError, parse

FILE = """\
districts:
  - {key: norr, name: Norr}
municipalities:
  - {name: Nora, code: "1884", district: norr}
focus_areas:
  - {key: fa, name: Insatsområde}
action_plans:
  - key: plan
    name: %(name)s
    period: [%(start)s, %(end)s]
    sub_goals:
      - {key: d1, focus_area: fa, title: Delmål 1}
questionnaire:
  questions:
%(questions)s"""
PERIOD_LINE = 10


def _file(*, name: str = "Plan", start: int = 2019, end: int = 2022,
          questions: str = "    - {key: q1, type: short_text, label: F}\n") -> str:
    return FILE % {"name": name, "start": start, "end": end, "questions": questions}


def _file_problems(text: str) -> list[str]:
    with pytest.raises(PlanFileError) as refusal:
        parse(text)
    return [str(p) for p in refusal.value.problems]


@pytest.fixture
def request_context() -> Iterator[None]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    with app.test_request_context(method="POST"):
        yield


def _errors(form_class: type, data: dict[str, str]) -> dict[str, list[str]]:
    form = form_class(formdata=MultiDict(data))
    for name in ("sub_goals", "organisations", "show_if_key"):  # set by the views
        if name in form and form[name].choices is None:
            form[name].choices = []
    form.validate()
    return form.errors


def _plan_form(start: int) -> dict[str, list[str]]:
    return _errors(PlanForm, {"name": "Plan", "period_start": str(start),
                              "period_end": str(max(start, 2022))})


def _round_form(year: int) -> dict[str, list[str]]:
    return _errors(RoundForm, {"name": "Uppföljning", "year": str(year)})


@pytest.mark.parametrize("year", [rules.FIRST_YEAR - 1, rules.LAST_YEAR + 1, 1900])
def test_a_year_out_of_range_is_refused_by_the_file_the_plan_page_and_the_round_page(
        request_context: None, year: int) -> None:
    bounds = f"mellan {rules.FIRST_YEAR} och {rules.LAST_YEAR}"
    text = _file(start=2019, end=year) if year > 2019 else _file(start=year, end=2022)
    problems = _file_problems(text)
    assert len(problems) == 1 and problems[0].startswith(f"Rad {PERIOD_LINE}")
    assert bounds in problems[0]
    assert _plan_form(year)["period_start"] == [f"Ange ett år {bounds}."]
    assert _round_form(year)["year"] == [f"Ange ett år {bounds}."]
    with pytest.raises(plan_admin.FieldError, match=bounds):
        plan_admin._year(year, "period_start")


# 1999 was refused by the round form and taken by the plan pages: a plan no round could follow.
@pytest.mark.parametrize("year", [rules.FIRST_YEAR, 1999, rules.LAST_YEAR])
def test_a_year_in_range_is_taken_everywhere(request_context: None, year: int) -> None:
    plan = parse(_file(start=year, end=year))
    assert plan.action_plans[0].period == (year, year)
    assert "period_start" not in _plan_form(year)
    assert "year" not in _round_form(year)
    assert plan_admin._year(year, "period_start") == year


def test_the_shipped_plans_and_their_rounds_fit_the_year_range() -> None:
    plan = parse(DEFAULT_DATA_FILE.read_text(encoding="utf-8"))
    assert all(rules.year_ok(year) for p in plan.action_plans for year in p.period)


def _one_option(kind: str) -> str:
    return f"    - {{key: val, type: {kind}, label: Val, options: [Ja]}}\n"


@pytest.mark.parametrize("kind", ["single_choice", "multiple_choice"])
def test_a_choice_with_one_option_is_refused_by_the_file_and_the_designer(kind: str) -> None:
    problems = _file_problems(_file(questions=_one_option(kind)))
    assert len(problems) == 1
    assert f"Frågetypen {kind} behöver minst 2 svarsalternativ" in problems[0]
    spec = rules.QuestionSpec(key="val", kind=kind, label="Val", options=("Ja",))
    with pytest.raises(ServiceError, match="behöver minst 2 svarsalternativ"):
        questionnaires._check_spec(spec, [], None)


@pytest.mark.parametrize("kind", ["single_choice", "multiple_choice"])
def test_a_choice_with_two_options_is_taken_by_the_file_and_the_designer(kind: str) -> None:
    plan = parse(_file(questions=f"    - {{key: val, type: {kind}, label: Val, "
                                 "options: [Ja, Nej]}\n"))
    assert plan.questions is not None
    spec = plan.questions[0]
    assert spec.options == ("Ja", "Nej")
    assert questionnaires._check_spec(spec, [], None).value == kind


def test_every_question_the_shipped_file_sets_up_the_designer_would_take() -> None:
    """The file's questions become a round's questionnaire; the designer edits them there. A
    question the file lets in and the designer refuses could never be saved again."""
    plan = parse(DEFAULT_DATA_FILE.read_text(encoding="utf-8"))
    lists = [plan.questions or (), *plan.sub_goal_questions.values()]
    for specs in lists:
        siblings: list[Question] = []
        for position, spec in enumerate(specs, start=1):
            kind = questionnaires._check_spec(spec, siblings, None)
            question = Question(position=position)
            questionnaires._apply_spec(question, spec, kind)
            siblings.append(question)


def test_the_file_and_the_designer_use_one_question_spec() -> None:
    assert plan_schema.QuestionSpec is questionnaires.QuestionSpec is rules.QuestionSpec


def test_a_label_one_character_too_long_is_refused_by_the_file_the_form_and_the_designer(
        request_context: None) -> None:
    label = "x" * (rules.QUESTION_LABEL_MAX + 1)
    problems = _file_problems(_file(
        questions=f"    - {{key: q1, type: short_text, label: {label}}}\n"))
    assert f"högst {rules.QUESTION_LABEL_MAX} tecken" in problems[0]
    errors = _errors(QuestionForm, {"label": label, "key": "q1", "kind": "short_text"})
    assert errors["label"] == [f"Högst {rules.QUESTION_LABEL_MAX} tecken."]
    with pytest.raises(ServiceError, match=f"högst {rules.QUESTION_LABEL_MAX} tecken"):
        questionnaires._check_spec(rules.QuestionSpec("q1", "short_text", label), [], None)
    assert parse(_file(questions=f"    - {{key: q1, type: short_text, label: "
                                 f"{label[:-1]}}}\n")).questions is not None


def test_a_plan_name_one_character_too_long_is_refused_by_the_file_and_the_plan_page(
        request_context: None) -> None:
    name = "x" * (rules.PLAN_NAME_MAX + 1)
    assert f"högst {rules.PLAN_NAME_MAX} tecken" in _file_problems(_file(name=name))[0]
    errors = _errors(PlanForm, {"name": name})
    assert errors["name"] == [f"Högst {rules.PLAN_NAME_MAX} tecken."]
    assert parse(_file(name=name[:-1])).action_plans[0].name == name[:-1]


def test_the_limits_are_the_database_columns(request_context: None) -> None:
    """Nothing the forms let through is cut or refused by the database."""
    assert rules.PLAN_NAME_MAX == ActionPlan.__table__.c.name.type.length
    assert rules.SUB_GOAL_TITLE_MAX == SubGoal.__table__.c.title.type.length
    assert rules.QUESTION_LABEL_MAX == Question.__table__.c.label.type.length
    errors = _errors(SubGoalForm, {"title": "x" * (SubGoal.__table__.c.title.type.length + 1)})
    assert errors["title"] == [f"Högst {SubGoal.__table__.c.title.type.length} tecken."]


def test_the_designer_says_how_many_options_a_choice_needs(request_context: None) -> None:
    form = QuestionForm(formdata=None)
    assert f"minst {rules.MIN_CHOICE_OPTIONS} alternativ" in form.options.description
