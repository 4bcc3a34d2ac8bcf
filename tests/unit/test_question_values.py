"""Each question type reads the form into a typed value, or refuses with a Swedish message."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from webapp.models import Question, QuestionType
from webapp.services.questionnaires import missing_required, parse, render_text, visible


def q(key: str, kind: QuestionType, **kw) -> Question:  # type: ignore[no-untyped-def]
    return Question(key=key, kind=kind, label=kw.pop("label", key.capitalize()),
                    options=kw.pop("options", []), required=kw.pop("required", False), **kw)


NUMBER = q("antal", QuestionType.NUMBER, label="Antal deltagare", unit="personer",
           min_value=0, max_value=1000)
CHOICE = q("form", QuestionType.SINGLE_CHOICE, label="Form", options=["Digitalt", "Fysiskt"])
MANY = q("grupper", QuestionType.MULTIPLE_CHOICE, label="Grupper",
         options=["Barn", "Unga", "Äldre"])
YEAR = q("start", QuestionType.YEAR, label="Startår")
RANGE = q("period", QuestionType.YEAR_RANGE, label="Period")
STATUS = q("status", QuestionType.STATUS, label="Status")
SHORT = q("namn", QuestionType.SHORT_TEXT, label="Namn")
TEXT = q("text", QuestionType.LONG_TEXT, label="Vad har gjorts?", required=True)


def parsed(question: Question, **fields: object):  # type: ignore[no-untyped-def]
    return parse([question], MultiDict(fields))


@pytest.mark.parametrize("raw, value", [("12", 12), ("3,5", "3.5"), (" 1 000 ", 1000),
                                        ("0", 0), ("12345678901", 12345678901),
                                        ("12\u00a0345\u00a0678\u00a0901,25", "12345678901.25"),
                                        ("0,1", "0.1")])
def test_number_is_stored_exactly(raw: str, value: int | str) -> None:
    """Whole numbers as ints, others as their exact decimal text: never a float, which would
    turn 12345678901 into 1,23456789e+10 or 0,1 into 0,1000000000000000055."""
    result = parsed(q("antal", QuestionType.NUMBER), q_antal=raw)
    assert result.errors == {} and result.values == {"antal": value}
    assert type(result.values["antal"]) is type(value)


@pytest.mark.parametrize("raw, message", [
    ("-1", "Antal deltagare: talet får inte vara mindre än 0."),
    ("1001", "Antal deltagare: talet får inte vara större än 1\u00a0000."),
    ("1e309", "Antal deltagare: skriv ett tal, till exempel 12 eller 3,5."),
    ("1e3", "Antal deltagare: skriv ett tal, till exempel 12 eller 3,5."),
    ("Infinity", "Antal deltagare: skriv ett tal, till exempel 12 eller 3,5."),
    ("NaN", "Antal deltagare: skriv ett tal, till exempel 12 eller 3,5."),
    ("tolv", "Antal deltagare: skriv ett tal, till exempel 12 eller 3,5."),
])
def test_number_out_of_bounds_or_not_a_number_is_refused(raw: str, message: str) -> None:
    result = parsed(NUMBER, q_antal=raw)
    assert result.values == {} and result.errors == {"q_antal": message}


def test_single_choice_accepts_only_an_offered_option() -> None:
    assert parsed(CHOICE, q_form="Fysiskt").values == {"form": "Fysiskt"}
    refused = parsed(CHOICE, q_form="Per brev")
    assert refused.values == {}
    assert refused.errors == {"q_form": "Form: välj ett av alternativen i listan."}


def test_multiple_choice_keeps_the_offered_order_and_refuses_others() -> None:
    result = parse([MANY], MultiDict([("q_grupper", "Äldre"), ("q_grupper", "Barn")]))
    assert result.values == {"grupper": ["Barn", "Äldre"]}
    refused = parse([MANY], MultiDict([("q_grupper", "Barn"), ("q_grupper", "Katter")]))
    assert refused.errors == {"q_grupper": "Grupper: välj bara bland alternativen i listan."}


def test_status_is_the_traffic_light() -> None:
    assert parsed(STATUS, q_status="Delvis").values == {"status": "Delvis"}
    assert "q_status" in parsed(STATUS, q_status="Grönt").errors


@pytest.mark.parametrize("raw", ["22", "20222", "1800", "år 2022", "2022.0"])
def test_year_must_be_a_plausible_four_digit_year(raw: str) -> None:
    assert parsed(YEAR, q_start=raw).errors == {
        "q_start": "Startår: skriv ett årtal mellan 1990 och 2100, till exempel 2022."}


def test_year_range_is_stored_as_start_and_end() -> None:
    assert parsed(RANGE, q_period_start="2021", q_period_end="2023").values == {
        "period": {"start": 2021, "end": 2023}}
    assert parsed(RANGE, q_period_start="2021").values == {
        "period": {"start": 2021, "end": None}}


def test_year_range_ending_before_it_starts_is_refused() -> None:
    result = parsed(RANGE, q_period_start="2023", q_period_end="2021")
    assert result.values == {}
    assert result.errors == {"q_period": "Period: slutåret kan inte ligga före startåret."}


def test_texts_have_limits_and_short_text_is_one_line() -> None:
    assert parsed(SHORT, q_namn="Två\nrader").values == {"namn": "Två rader"}
    assert parsed(SHORT, q_namn="x" * 400).errors == {
        "q_namn": "Namn: högst 300 tecken, du har skrivit 400. Korta texten; inget har tagits "
                  "bort."}
    assert parsed(TEXT, text="x" * 50_001).errors == {
        "text": "Vad har gjorts?: högst 50\u00a0000 tecken, du har skrivit 50\u00a0001. Korta "
                "texten; inget har tagits bort."}
    assert parsed(TEXT, text="\nFörsta raden var tom.").values == {
        "text": "\nFörsta raden var tom."}
    assert parsed(TEXT, text="rad 1\r\nrad 2").values == {"text": "rad 1\nrad 2"}


def test_empty_fields_store_nothing_and_required_is_checked_separately() -> None:
    result = parse([TEXT, NUMBER], MultiDict({"text": "  ", "q_antal": ""}))
    assert result.values == {} and result.errors == {}
    assert missing_required([TEXT, NUMBER], result.values) == [TEXT]


def test_a_conditional_question_counts_only_when_its_condition_holds() -> None:
    follow_up = q("varfor", QuestionType.LONG_TEXT, label="Varför?", required=True,
                  show_if_key="form", show_if_value="Digitalt")
    questions = [CHOICE, follow_up]
    assert visible(questions, {"form": "Fysiskt"}) == [CHOICE]
    assert missing_required(questions, {"form": "Fysiskt"}) == []
    assert missing_required(questions, {"form": "Digitalt"}) == [follow_up]


def test_the_prose_rendering_puts_the_main_text_first_as_written() -> None:
    values = {"text": "Vi har startat brukarråd.", "status": "Delvis", "antal": 3.5,
              "period": {"start": 2021, "end": 2023}, "grupper": ["Barn", "Unga"]}
    assert render_text([TEXT, STATUS, NUMBER, RANGE, MANY], values) == (
        "Vi har startat brukarråd.\n\nStatus: Delvis\n\nAntal deltagare: 3,5\u00a0personer"
        "\n\nPeriod: 2021–2023\n\nGrupper: Barn, Unga")


@pytest.mark.parametrize("stored, shown", [
    (12345678901, "12\u00a0345\u00a0678\u00a0901"), ("1234.5", "1\u00a0234,5"),
    ("0.1", "0,1"), (3.5, "3,5"), (-5, "-5"),
])
def test_numbers_are_shown_in_swedish_with_every_digit(stored: object, shown: str) -> None:
    from webapp.services.questionnaires import display_value, form_values

    plain = q("kostnad", QuestionType.NUMBER, label="Kostnad")
    assert display_value(plain, stored) == shown
    assert form_values([plain], {"kostnad": stored}) == {"q_kostnad": shown}
    # What the form shows is read back as the same value.
    assert parsed(plain, q_kostnad=shown).values == {"kostnad": stored if not isinstance(
        stored, float) else "3.5"}
