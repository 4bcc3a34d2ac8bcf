"""The unit designs next year's questionnaire in a browser: pages pass axe, a conditional
question appears only when its condition is chosen, and the preview shows what a given
organisation will answer."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import login
from tests.e2e.test_accessibility import assert_accessible


def test_designing_next_years_questionnaire_with_a_conditional_question(page: Page) -> None:
    login(page, "admin@example.se")
    page.goto("/admin/omgang/1")
    page.get_by_role("link", name=re.compile("^Frågeformulär")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Frågeformulär för")
    expect(page.get_by_text("Formuläret är låst eftersom omgången har öppnats")).to_be_visible()
    assert_accessible(page)

    page.goto("/admin/omgang/1")
    with page.expect_navigation():
        page.get_by_role("button", name="Skapa nästa års omgång").click()
    page.get_by_role("link", name=re.compile("^Frågeformulär")).click()
    expect(page.get_by_text("Frågorna kan ändras tills omgången öppnas.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("^Lägg till en fråga för Delmål 1 – Ökad")).click()
    page.get_by_role("button", name="Spara frågan").click()
    expect(page.get_by_role("alert").first).to_contain_text("Skriv frågan.")
    assert_accessible(page)
    page.get_by_label("Frågan", exact=True).fill("Hur nåddes deltagarna?")
    page.get_by_label("Nyckel").fill("kanal")
    page.get_by_label("Typ").select_option(label="Ett val")
    page.get_by_label("Alternativ (ett per rad)").fill("Digitalt\nFysiskt")
    page.get_by_role("button", name="Spara frågan").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Frågan ”Hur nåddes deltagarna?” är tillagd.")

    page.get_by_role("link", name=re.compile("^Lägg till en fråga för Delmål 1 – Ökad")).click()
    page.get_by_label("Frågan", exact=True).fill("Varför digitalt?")
    page.get_by_label("Nyckel").fill("varfor")
    page.get_by_label("Visa bara när frågan").select_option(label="Hur nåddes deltagarna?")
    page.get_by_label("har svaret").fill("Digitalt")
    page.get_by_role("button", name="Spara frågan").click()
    expect(page.get_by_role("status").first).to_contain_text("är tillagd")
    row = page.get_by_role("row").filter(has_text="Varför digitalt?")
    expect(row).to_contain_text("när ”kanal” är ”Digitalt”")

    page.get_by_label("Förhandsvisa formuläret för").select_option(label="Kumla")
    page.get_by_role("button", name="Förhandsvisa").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Förhandsvisning för Kumla")
    assert_accessible(page)
    section = page.get_by_role("form", name=re.compile("^Förhandsvisning av Delmål 1 – Ökad"))
    follow_up = section.get_by_label(re.compile("^Varför digitalt"))
    expect(follow_up).to_be_hidden()
    section.get_by_role("radio", name="Digitalt").check()
    expect(follow_up).to_be_visible()
    section.get_by_role("radio", name="Fysiskt").check()
    expect(follow_up).to_be_hidden()
