"""What a contact types is kept exactly, or refused next to the field (issue 15), in the
browser, with last round's long approved answer beside the form.

The admin creates next year's round, adds two questions the same day and opens it with
"Öppna nu"; Örebro's contact (whose long answer to sub-goal 1 was approved last round) then
answers sub-goal 1 of the new round through its five states — empty, with errors, draft,
submitted, returned — with axe on each. Tests run in file order and share that round; this
file runs after the other e2e files, which work in round 1 only.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login
from tests.e2e.test_accessibility import assert_accessible

OREBRO = "orebro@example.se"
AUTOSAVE_WAIT = 10_000  # ms: autosave fires 3 s after the last change
SUB_GOAL = re.compile(r"^Delmål 1 – Ökad")
STATE: dict[str, str] = {}  # the new round's pages, found by the first test
pytestmark = pytest.mark.e2e_story  # one story: the database is restored before it, not between


def _answer_page(page: Page) -> None:
    assert "answer" in STATE, "the first test in this file did not open the round"
    page.context.clear_cookies()
    login(page, OREBRO)
    page.goto(STATE["answer"])
    expect(page.get_by_role("heading", level=1)).to_have_text(SUB_GOAL)


def _status(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#autosave-status")


def test_admin_adds_questions_and_opens_next_years_round_now(page: Page) -> None:
    login(page, "admin@example.se")
    page.goto("/admin/omgang/1")
    with page.expect_navigation():
        page.get_by_role("button", name="Skapa nästa års omgång").click()
    round_url = page.url
    expect(page.get_by_role("heading", name="Öppna nu")).to_be_visible()
    expect(page.get_by_text("Då låses frågeformuläret")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("^Frågeformulär")).click()
    for label, key, kind, minimum in (("Hur många deltagare nådde arbetet?", "deltagare",
                                       "Tal", "0"),
                                      ("Kontaktperson för delmålet", "kontakt", "Kort text",
                                       "")):
        page.get_by_role("link", name=re.compile("^Lägg till en fråga för Delmål 1 – Ökad")).click()
        page.get_by_label("Frågan", exact=True).fill(label)
        page.get_by_label("Nyckel").fill(key)
        page.get_by_label("Typ").select_option(label=kind)
        if minimum:
            page.get_by_label("Lägsta tillåtna tal").fill(minimum)
        page.get_by_role("button", name="Spara frågan").click()
        expect(page.get_by_role("status").first).to_contain_text(f"Frågan ”{label}” är tillagd.")

    # Closing is a second step that says what stops working; here the admin goes back.
    page.goto(round_url)
    page.get_by_role("link", name="Stäng omgången…").click()
    expect(page.get_by_text("slutar de personliga länkarna till omgången att fungera")) \
        .to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Nej, gå tillbaka").click()

    page.get_by_role("button", name="Öppna nu").click()
    expect(page.get_by_role("status").first).to_contain_text("Frågeformuläret är låst")
    round_name = page.get_by_role("heading", level=1).inner_text()

    page.context.clear_cookies()
    login(page, OREBRO)
    page.goto("/svar/")
    page.locator(".cards a").filter(has_text=round_name).click()
    page.get_by_role("link", name=SUB_GOAL).first.click()
    STATE["answer"] = page.url.split("#")[0]


def test_empty_answer_with_a_long_previous_answer_copied_per_question(page: Page) -> None:
    _answer_page(page)
    previous = page.get_by_role("region", name="Förra omgångens svar")
    expect(previous).to_contain_text("Träff 10:")
    assert previous.evaluate("el => el.scrollHeight > el.clientHeight"), \
        "the previous answer is not long enough to scroll: the test would prove nothing"
    assert_accessible(page)  # state 1: empty

    # The scrolling region is reached by keyboard.
    page.get_by_role("heading", level=1).click()
    for _ in range(80):
        page.keyboard.press("Tab")
        if previous.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("#previous-text was not reached with Tab")

    main = page.get_by_role("textbox", name="Vad har ni gjort inom delmålet under året?")
    results = page.get_by_role("textbox", name="Vilka resultat har ni sett?")
    previous.get_by_role("button", name="Kopiera till mitt svar: Vilka resultat har ni sett?") \
        .click()
    expect(results).to_have_value(re.compile(r"^Fyra brukarråd har träffats.*Träff 10: ",
                                              re.S))
    expect(main).to_have_value("")  # each question into its own field, not all into one
    previous.get_by_role("button", name="Kopiera till mitt svar: Hur går arbetet mot delmålet?") \
        .click()
    expect(page.get_by_role("radio", name="På god väg")).to_be_checked()
    expect(_status(page)).to_contain_text("Sparat kl.", timeout=AUTOSAVE_WAIT)
    page.reload()
    expect(results).to_have_value(re.compile(r"^Fyra brukarråd har träffats.*Träff 10: ",
                                              re.S))
    expect(main).to_have_value("")


def test_one_bad_number_does_not_sink_the_autosave(page: Page) -> None:
    _answer_page(page)
    number = page.get_by_role("textbox", name="Hur många deltagare nådde arbetet?")
    next_steps = page.get_by_role("textbox", name="Vilka är nästa steg?")
    number.fill("-5")
    next_steps.fill("Vi bjuder in äldreomsorgens brukare.")
    expect(_status(page)).to_contain_text("utom 1 fält med fel", timeout=AUTOSAVE_WAIT)
    # At the field, described by it, and listed at the top.
    error = page.locator("#q_deltagare-error")
    expect(error).to_contain_text("Hur många deltagare nådde arbetet?: talet får inte vara "
                                  "mindre än 0.")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_have_attribute("aria-describedby", re.compile(r"\bq_deltagare-error\b"))
    summary = page.locator("#field-errors")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(re.compile("mindre än 0"))
    expect(number).to_have_value("-5")  # what was typed stays in the field
    assert_accessible(page)  # state 2: with errors

    page.reload()
    expect(next_steps).to_have_value("Vi bjuder in äldreomsorgens brukare.")

    number.fill("12345678901")
    expect(_status(page)).to_have_text(re.compile(r"^Sparat kl\. \d\d:\d\d$"),
                                       timeout=AUTOSAVE_WAIT)
    expect(page.locator("#q_deltagare-error")).to_have_count(0)
    expect(summary).to_be_hidden()
    page.reload()
    expect(number).to_have_value("12\u00a0345\u00a0678\u00a0901")


def test_a_limit_is_shown_before_typing_and_nothing_is_cut(page: Page) -> None:
    _answer_page(page)
    contact = page.get_by_role("textbox", name="Kontaktperson för delmålet")
    expect(page.locator("#q_kontakt-count")).to_contain_text("Högst 300 tecken.")
    expect(contact).to_have_attribute("aria-describedby", re.compile(r"\bq_kontakt-count\b"))
    long_value = "Anna Andersson, " + "Ö" * 384
    contact.fill(long_value)
    expect(contact).to_have_value(long_value)  # all 400: the browser cut nothing
    expect(page.locator("#q_kontakt-count")).to_contain_text("Du har 100 tecken för mycket.")

    main = page.get_by_role("textbox", name="Vad har ni gjort inom delmålet under året?")
    main.fill("\nEn tom rad först, med avsikt.")
    page.get_by_role("button", name="Spara utkast").click()
    expect(page.locator("#q_kontakt-error")).to_contain_text(
        "högst 300 tecken, du har skrivit 400. Korta texten; inget har tagits bort.")
    expect(contact).to_have_value(long_value)
    expect(main).to_have_value("\nEn tom rad först, med avsikt.")
    assert_accessible(page)

    contact.fill("Anna Andersson")
    page.get_by_role("button", name="Spara utkast").click()
    expect(page.get_by_role("status").first).to_have_text("Utkastet är sparat.")
    expect(main).to_have_value("\nEn tom rad först, med avsikt.")  # kept on save and reload
    page.reload()
    expect(main).to_have_value("\nEn tom rad först, med avsikt.")
    assert_accessible(page)  # state 3: draft


def test_submitted_and_returned_with_the_long_previous_answer(page: Page) -> None:
    _answer_page(page)
    page.get_by_role("button", name="Spara och skicka in").click()
    expect(page.get_by_role("status").first).to_contain_text("är inskickat för granskning")
    page.goto(STATE["answer"])
    expect(page.get_by_role("heading", name="Ditt svar")).to_be_visible()
    expect(page.get_by_text("12\u00a0345\u00a0678\u00a0901")).to_be_visible()
    assert_accessible(page)  # state 4: submitted

    page.context.clear_cookies()
    login(page, "granskare@example.se")
    round_id = re.search(r"/omgang/(\d+)/", STATE["answer"]).group(1)
    page.goto(f"/granskning/omgang/{round_id}")
    page.get_by_role("link", name=re.compile(r"Örebro, Delmål 1 – Ökad")).click()
    page.get_by_label("Kommentar till kontaktpersonen").fill("Hur många nåddes av rådet?")
    page.get_by_role("button", name="Returnera med kommentar").click()
    expect(page.get_by_role("status").first).to_be_visible()

    _answer_page(page)
    expect(page.get_by_role("heading", name="Granskarens kommentar")).to_be_visible()
    expect(page.get_by_role("region", name="Förra omgångens svar")).to_contain_text("Träff 10:")
    assert_accessible(page)  # state 5: returned


def test_an_activity_year_that_is_not_a_year_is_refused_and_kept(page: Page) -> None:
    _answer_page(page)
    page.get_by_role("link", name="Lägg till en aktivitet").first.click()
    page.get_by_label("Aktivitetens namn").fill("Brukarråd i äldreomsorgen")
    start, end = page.get_by_label("Startår"), page.get_by_label("Slutår")
    start.press_sequentially("2021-2023")
    end.press_sequentially("1e309")
    page.get_by_role("button", name="Spara aktiviteten").click()
    expect(page.locator("#start_year-error")).to_contain_text(
        "Skriv ett år i varje fält: startåret i Startår och slutåret i Slutår.")
    expect(page.locator("#end_year-error")).to_contain_text(
        "Skriv ett år med fyra siffror mellan 1990 och 2100")
    expect(start).to_have_value("2021-2023")  # shown back exactly as typed
    expect(end).to_have_value("1e309")
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)

    start.fill("2021")
    end.fill("2023")
    page.get_by_role("button", name="Spara aktiviteten").click()
    # Back to the sub-goal the contact came from, with the activity listed there.
    expect(page.get_by_role("heading", level=1)).to_have_text(SUB_GOAL)
    expect(page.get_by_role("status").first).to_have_text(
        "Aktiviteten Brukarråd i äldreomsorgen är sparad.")
    expect(page.get_by_role("link", name="Brukarråd i äldreomsorgen")).to_be_visible()
