"""The plan file's validation, without a database: each rule, with its line number."""
from __future__ import annotations

import pytest

from webapp.models import QuestionType
from webapp.services.plan_import import DEFAULT_DATA_FILE, import_bytes
from webapp.services.plan_schema import MAX_SHOWN, PlanFileError, parse

HEAD = """\
districts:
  - {key: norr, name: Norr}
municipalities:
  - {name: Nora, code: "1884", district: norr}
focus_areas:
  - {key: fa, name: Insatsområde}
action_plans:
  - key: plan
    name: Plan
    period: [2019, 2022]
    sub_goals:
      - {key: d1, focus_area: fa, title: Delmål 1}
questionnaire:
  questions:
"""
FIRST_QUESTION_LINE = HEAD.count("\n") + 1


def _problems(text: str) -> list[str]:
    with pytest.raises(PlanFileError) as refusal:
        parse(text)
    return [str(p) for p in refusal.value.problems]


def _questions(*lines: str) -> str:
    return HEAD + "".join(f"    {line}\n" for line in lines)


def test_the_shipped_file_is_valid() -> None:
    plan = parse(DEFAULT_DATA_FILE.read_text(encoding="utf-8"))
    assert len(plan.action_plans) == 4 and plan.questions is not None
    assert [q.key for q in plan.questions][:2] == ["text", "status"]


def test_a_minimal_file_with_a_question() -> None:
    plan = parse(_questions("- {key: q1, type: short_text, label: Fråga}"))
    assert plan.questions[0].kind is QuestionType.SHORT_TEXT
    assert plan.action_plans[0].answered_by == ("municipality", "district")


@pytest.mark.parametrize(("question", "message"), [
    ("- {key: Q1, type: short_text, label: F}", "får bara innehålla små bokstäver"),
    ("- {key: " + "q" * 41 + ", type: short_text, label: F}", "för lång: högst 40 tecken"),
    ("- {key: q1, type: essay, label: F}", "Okänd frågetyp ”essay”"),
    ("- {key: q1, type: single_choice, label: F}", "behöver minst 2 svarsalternativ"),
    ("- {key: q1, type: multiple_choice, label: F, options: []}", "Skriv dem under options"),
    ("- {key: q1, type: single_choice, label: F, options: [Ja]}", "minst 2 svarsalternativ"),
    ("- {key: q1, type: single_choice, label: F, options: [a, a]}", "”a” står två gånger"),
    ("- {key: q1, type: long_text, label: F, options: [a]}", "options gäller bara"),
    ("- {key: q1, type: long_text, label: F, unit: kr}", "unit gäller bara frågor av typen"),
    ("- {key: q1, type: number, label: F, min: 5, max: 1}", "min får inte vara större"),
    ("- {key: q1, type: number, label: F, min: många}", "min ska vara ett tal"),
    ("- {key: q1, type: short_text, label: F, required: kanske}", "true eller false"),
    ("- {key: q1, type: short_text, label: F, show_if: {question: q0, answer: x}}",
     "som inte finns före den här frågan"),
    ("- {key: q1, type: short_text}", "Frågan saknar label."),
    ("- {key: q1, type: short_text, label: F, hjälp: x}", "Okänd nyckel ”hjälp” i frågan"),
])
def test_each_question_rule_names_its_line(question: str, message: str) -> None:
    problems = _problems(_questions(question))
    assert len(problems) == 1 and problems[0].startswith(f"Rad {FIRST_QUESTION_LINE}"), problems
    assert message in problems[0]


def test_show_if_refers_to_an_earlier_question_and_one_of_its_answers() -> None:
    plan = parse(_questions(
        "- {key: status, type: status, label: S}",
        "- {key: val, type: single_choice, label: V, options: [Ja, Nej]}",
        "- {key: why, type: long_text, label: W, show_if: {question: val, answer: Ja}}",
        "- {key: how, type: long_text, label: H, show_if: {question: status, answer: Delvis}}",
    ))
    assert [q.show_if for q in plan.questions] == [None, None, ("val", "Ja"),
                                                   ("status", "Delvis")]
    wrong_answer = ("- {key: why, type: long_text, label: W, "
                    "show_if: {question: val, answer: Kanske}}")
    later = "- {key: later, type: long_text, label: L, show_if: {question: last, answer: x}}"
    problems = _problems(_questions(
        "- {key: val, type: single_choice, label: V, options: [Ja, Nej]}", wrong_answer, later,
        "- {key: last, type: short_text, label: X}",
    ))
    # Columns count the four spaces of indentation the helper adds.
    assert [p.split(":")[0] for p in problems] == [
        f"Rad {FIRST_QUESTION_LINE + 1}, kolumn {wrong_answer.index('Kanske') + 5}",
        f"Rad {FIRST_QUESTION_LINE + 2}, kolumn {later.index('last') + 5}"]
    assert "”Kanske” är inget svarsalternativ" in problems[0]


def test_per_sub_goal_questions_must_name_a_sub_goal_of_the_file() -> None:
    text = _questions("- {key: q1, type: short_text, label: F}") + (
        "  sub_goals:\n"
        "    plan/d1:\n"
        "      - {key: own, type: year, label: År}\n"
        "    plan/d9:\n"
        "      - {key: own, type: year, label: År}\n")
    problems = _problems(text)
    assert len(problems) == 1 and "”plan/d9” är inget delmål i filen" in problems[0]
    plan = parse(text.split("    plan/d9:")[0])
    assert [q.key for q in plan.sub_goal_questions[("plan", "d1")]] == ["own"]


@pytest.mark.parametrize("period", ["[2019]", "[2019, 2020, 2021]", "[2022, 2019]",
                                    "[1899, 2000]", "[1989, 2000]", "[2019, 2101]", '["2019", 2022]',
                                    "2019-2022", "[2019.5, 2022]"])
def test_a_period_is_two_years_in_order(period: str) -> None:
    problems = _problems(_questions("- {key: q1, type: short_text, label: F}").replace(
        "period: [2019, 2022]", f"period: {period}"))
    assert len(problems) == 1 and problems[0].startswith("Rad 10, kolumn 13: period ska")


@pytest.mark.parametrize(("before", "after", "line", "message"), [
    ('code: "1884"', 'code: "18"', 4, "fyra siffror"),
    ('code: "1884"', "code: 1884", None, None),  # unquoted is still the code
    ("district: norr}", "district: syd}", 4, "Länsdelen ”syd” finns inte"),
    ("{name: Nora,", "{name: Norr,", 4, "används redan av länsdelen på rad 2"),
    ("    period: [2019, 2022]\n", "    period: [2019, 2022]\n    answered_by: [kommun]\n", 11,
     "answered_by ska vara en lista"),
    ("    period: [2019, 2022]\n", "    period: [2019, 2022]\n    answered_by: []\n", 11,
     "answered_by ska vara en lista"),
    ("{key: d1, focus_area: fa, title: Delmål 1}", "{key: d1, focus_area: fa, title: 2020}",
     12, "ska vara text; sätt citattecken"),
    ("{key: d1, focus_area: fa, title: Delmål 1}", "{key: d1, focus_area: fa, title: ''}",
     12, "title är tom"),
    ("{key: fa, name: Insatsområde}", "{key: fa, name: Insatsområde, name: Igen}", 6,
     "Nyckeln ”name” står två gånger"),
    ("  - key: plan\n", "  - key: Plan 1\n", 8, "får bara innehålla små bokstäver"),
    ("districts:\n", "county: Örebro län\ndistrikt: []\ndistricts:\n", 2,
     "Okänd nyckel ”distrikt” i filen. Menade du ”districts”?"),
])
def test_organisations_and_plans(before: str, after: str, line: int | None,
                                 message: str | None) -> None:
    text = _questions("- {key: q1, type: short_text, label: F}").replace(before, after, 1)
    assert text != _questions("- {key: q1, type: short_text, label: F}")
    if line is None:
        assert parse(text).municipalities[0].code == "1884"
        return
    problems = _problems(text)
    assert len(problems) == 1 and problems[0].startswith(f"Rad {line}"), problems
    assert message in problems[0]


def test_missing_sections_and_odd_shapes() -> None:
    assert _problems("") == ["Filen är tom."]
    assert "ska vara en tabell" in _problems("- a\n")[0]
    problems = _problems("districts: []\n")
    assert problems == ["Rad 1, kolumn 1: Filen saknar municipalities, focus_areas, "
                        "action_plans."]
    not_a_list = _problems("districts: norr\nmunicipalities: []\nfocus_areas: []\n"
                           "action_plans: []\n")
    assert not_a_list == ["Rad 1, kolumn 12: districts (länsdelar) ska vara en lista (rader "
                          "som börjar med ”- ”)."]


def test_aliases_are_refused_rather_than_expanded() -> None:
    text = _questions("- &q {key: q1, type: short_text, label: F}", "- *q")
    problems = _problems(text)
    assert any("Ankare och alias" in p for p in problems)


def test_syntax_errors_point_where_the_unclosed_bracket_opened() -> None:
    text = HEAD.replace("{key: fa, name: Insatsområde}", "{key: fa, name: Insatsområde")
    problems = _problems(text)
    assert len(problems) == 1 and problems[0].startswith("Rad 6, kolumn 5: YAML-syntaxfel")
    assert "Felet märktes på rad 7" in problems[0]
    tab = _problems(HEAD.replace("    name: Plan", "\tname: Plan"))
    assert tab[0].startswith("Rad 9, kolumn 1: YAML-syntaxfel: ett tecken som inte får")


def test_many_errors_are_all_counted_and_the_first_twenty_shown() -> None:
    lines = [f"- {{key: q{n}, type: nope, label: F}}" for n in range(25)]
    with pytest.raises(PlanFileError) as refusal:
        parse(_questions(*lines))
    assert len(refusal.value.problems) == 25
    assert refusal.value.message.startswith("Planfilen lästes inte in (25 fel); inget har "
                                            "ändrats.")
    assert len(refusal.value.shown) == MAX_SHOWN + 1
    assert refusal.value.shown[-1] == "… och 5 fel till."


def test_a_file_not_in_utf8_is_refused_before_anything_else() -> None:
    with pytest.raises(PlanFileError, match="inte sparad som UTF-8"):
        import_bytes("Örebro".encode("latin-1"))


def test_an_item_with_errors_is_not_also_reported_as_an_unknown_reference() -> None:
    text = _questions(
        "- {key: val, type: single_choice, label: V}",  # no options
        "- {key: why, type: long_text, label: W, show_if: {question: val, answer: Ja}}",
        "- {key: self, type: long_text, label: S, show_if: {question: self, answer: x}}",
    ).replace("{key: fa, name: Insatsområde}", "{key: fa, name: ''}").replace(
        "{key: norr, name: Norr}", "{key: norr, name: Norr, active: ja}")
    problems = _problems(text)
    assert [p.split(":")[0].split(",")[0] for p in problems] == [
        "Rad 2", "Rad 6", f"Rad {FIRST_QUESTION_LINE}", f"Rad {FIRST_QUESTION_LINE + 2}"]
    assert "”self”, som inte finns före den här frågan" in problems[-1]
