"""What a contact types is kept exactly, or refused with a message at its field (issue 15):
numbers keep every digit, a text over its limit is refused (never cut), a leading newline
survives a save, and each question has one length rule of its own."""
from __future__ import annotations

import pytest
from flask import Flask

from tests.integration.test_questionnaires import (
    _add,
    _answer_url,
    _open_on_schedule,
    _scheduled_round,
    _stored,
    _sub_goal,
)
from tests.web import Browser, forms, text_of

QUESTIONS = [
    {"label": "Hur många deltagare nådde arbetet?", "key": "deltagare", "kind": "number",
     "min_value": "0"},
    {"label": "Vad kostade arbetet?", "key": "kostnad", "kind": "number", "unit": "kr"},
    {"label": "Kontaktperson för delmålet", "key": "kontakt", "kind": "short_text"},
]


@pytest.fixture()
def typed(demo: Flask) -> tuple[int, int]:
    """A round whose Social välfärd sub-goal asks the walk's questions, opened on schedule."""
    round_id = _scheduled_round(demo)
    with demo.app_context():
        sub_goal_id = _sub_goal("social-valfard", "d2").id
    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    for question in QUESTIONS:
        _add(admin, round_id, sub_goal_id, question)
        assert "är tillagd" in text_of(admin.page)
    _open_on_schedule(demo, round_id)
    return round_id, sub_goal_id


def _contact(app: Flask, round_id: int, sub_goal_id: int) -> tuple[Browser, str]:
    contact = Browser(app.test_client())
    contact.login("kumla@example.se")
    url = _answer_url(app, round_id, "Kumla", sub_goal_id)
    contact.get(url)
    return contact, url


def _form_fields(browser: Browser) -> dict:
    assert browser.page is not None
    return next(f for f in forms(browser.page.text) if "expected_version" in f["fields"])[
        "fields"]


def test_a_large_number_keeps_its_digits_in_form_review_and_report(typed, demo) -> None:
    round_id, sub_goal_id = typed
    contact, url = _contact(demo, round_id, sub_goal_id)
    contact.submit({"text": "Vi har byggt en mötesplats.", "q_kostnad": "12345678901",
                    "q_deltagare": "0,5"}, action=url)
    assert "Utkastet är sparat." in text_of(contact.page)
    answer = _stored(demo, round_id, "Kumla", sub_goal_id)
    assert answer.values["kostnad"] == 12345678901 and answer.values["deltagare"] == "0.5"
    # The form: Swedish grouping, every digit, and saving it again changes nothing.
    fields = _form_fields(contact)
    assert fields["q_kostnad"] == "12\u00a0345\u00a0678\u00a0901"
    assert fields["q_deltagare"] == "0,5"
    contact.submit({}, action=url)
    assert _stored(demo, round_id, "Kumla", sub_goal_id).values == answer.values
    # What the reviewer reads and the report prints (Answer.text is the report's text).
    assert "Vad kostade arbetet?: 12\u00a0345\u00a0678\u00a0901\u00a0kr" in answer.text
    assert "e+" not in answer.text
    reviewer = Browser(demo.test_client())
    reviewer.login("granskare@example.se")
    contact.submit({"submit": "Spara och skicka in"}, action=url)
    page = reviewer.get(f"/granskning/svar/{answer.id}")
    assert "Vad kostade arbetet?: 12\u00a0345\u00a0678\u00a0901\u00a0kr" in page.text


def test_a_text_over_its_limit_is_refused_whole_never_cut(typed, demo) -> None:
    round_id, sub_goal_id = typed
    contact, url = _contact(demo, round_id, sub_goal_id)
    assert "maxlength" not in contact.page.text  # a browser would cut a paste silently
    assert "Högst 300 tecken." in text_of(contact.page)  # the limit is shown before typing
    typed_value = "Anna Andersson, " + "å" * 384
    response = contact.submit({"text": "Utkast.", "q_kontakt": typed_value}, action=url,
                              expect=422)
    assert ("Kontaktperson för delmålet: högst 300 tecken, du har skrivit 400. Korta texten; "
            "inget har tagits bort.") in text_of(response)
    assert 'id="q_kontakt-error"' in response.text and 'aria-invalid="true"' in response.text
    assert _form_fields(contact)["q_kontakt"] == typed_value  # all 400, as typed
    assert _stored(demo, round_id, "Kumla", sub_goal_id) is None


def test_a_leading_newline_survives_every_save(typed, demo) -> None:
    round_id, sub_goal_id = typed
    contact, url = _contact(demo, round_id, sub_goal_id)
    text = "\n\nTvå tomma rader först, med avsikt."
    contact.submit({"text": text}, action=url)
    contact.submit({}, action=url)  # saved again from the form as the browser reads it
    contact.submit({}, action=url)
    assert _form_fields(contact)["text"] == text
    assert _stored(demo, round_id, "Kumla", sub_goal_id).values["text"] == text


def test_a_question_at_its_limit_saves_beside_other_answers(typed, demo) -> None:
    """One rule per question, shown at the field: no second limit on the whole answer."""
    round_id, sub_goal_id = typed
    contact, url = _contact(demo, round_id, sub_goal_id)
    assert "Högst 50\u00a0000 tecken." in contact.page.text
    full = "x" * 50_000
    contact.submit({"text": full, "q_utmaningar": "Många utmaningar. " * 500,
                    "q_kontakt": "Anna"}, action=url)
    assert "Utkastet är sparat." in text_of(contact.page)
    assert _stored(demo, round_id, "Kumla", sub_goal_id).values["text"] == full
    response = contact.submit({"text": full + "y"}, action=url, expect=422)
    assert ("Vad har ni gjort inom delmålet under året?: högst 50 000 tecken, du har skrivit "
            "50 001.") in text_of(response)
    assert 'id="text-error"' in response.text


def test_exports_keep_long_answers_whole_and_carry_one_typed_column_per_question(
        typed, demo) -> None:
    import csv
    import io

    import openpyxl

    round_id, sub_goal_id = typed
    contact, url = _contact(demo, round_id, sub_goal_id)
    # 41 114 characters, with a character outside the BMP (two UTF-16 units in Excel).
    long_text = ("Början. " + "Vi har arbetat vidare 😀 med brukarråden. " * 1100)[:41_106]
    long_text += " Slutet."
    assert len(long_text) == 41_114
    contact.submit({"text": long_text, "q_kostnad": "12345678901,5", "q_deltagare": "-0",
                    "q_kontakt": "=Anna", "submit": "Spara och skicka in"}, action=url)
    answer = _stored(demo, round_id, "Kumla", sub_goal_id)
    reviewer = Browser(demo.test_client())
    reviewer.login("granskare@example.se")
    reviewer.get(f"/granskning/svar/{answer.id}")
    reviewer.submit({"approve": "Godkänn"}, action=reviewer.url)
    assert "Svaret är godkänt." in text_of(reviewer.page)

    admin = Browser(demo.test_client())
    admin.login("admin@example.se")
    book = openpyxl.load_workbook(io.BytesIO(
        admin.client.get(f"/admin/omgang/{round_id}/export.xlsx").data))
    sheet = book["Godkända svar"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]]))
    continued = [h for h in header if h.startswith("Svar (fortsättning")]
    assert continued, header  # the prose did not fit one cell
    assert all(len(row[h].encode("utf-16-le")) // 2 <= 32_767 for h in ["Svar", *continued])
    assert "".join(row[h] for h in ["Svar", *continued]) == answer.text  # nothing lost
    assert row["Vad kostade arbetet? (kr)"] == 12345678901.5  # a number, not text
    assert row["Hur många deltagare nådde arbetet?"] == 0
    assert row["Kontaktperson för delmålet"] == "=Anna"
    kontakt = sheet.cell(row=2, column=header.index("Kontaktperson för delmålet") + 1)
    assert kontakt.data_type == "s"  # stored as text, never run as a formula

    csv_text = admin.client.get(f"/admin/omgang/{round_id}/export.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    header, first = rows[0], rows[1]
    assert not any("fortsättning" in h for h in header)
    record = dict(zip(header, first))
    assert record["Svar"] == answer.text  # whole
    assert record["Vad kostade arbetet? (kr)"] == "12345678901,5"
    assert record["Kontaktperson för delmålet"] == "'=Anna"
