"""axe-core on the pages and states added for people inside an organisation, the read-only
role and the staff's own password: 0 violations each."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import SERVER_ENV, login
from tests.e2e.people_steps import invite_colleague, make_responsible, open_colleagues
from tests.e2e.test_accessibility import assert_accessible


def _make_main_contact(organisation: str, email: str) -> None:
    """The unit marks the main contact on its Personer pages (another part of the work);
    here straight in the live server's database."""
    path = Path(SERVER_ENV["UPPFOLJNING_INSTANCE"]) / "uppfoljning.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE organisation SET main_contact_id = (SELECT id FROM user_account "
                     "WHERE email = ?) WHERE name = ?", (email, organisation))


def test_change_password_page_and_its_errors(page: Page) -> None:
    login(page, "granskare@example.se")
    page.get_by_role("link", name="Byt lösenord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Byt lösenord")
    assert_accessible(page)
    page.get_by_label("Nuvarande lösenord").fill("inte-mitt-losenord")
    page.get_by_label("Nytt lösenord", exact=True).fill("kort")
    page.get_by_label("Nytt lösenord igen").fill("annat")
    page.get_by_role("button", name="Byt lösenord").click()
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)
    page.get_by_label("Nuvarande lösenord").fill("inte-mitt-losenord")
    page.get_by_label("Nytt lösenord", exact=True).fill("ett langt nytt losenord")
    page.get_by_label("Nytt lösenord igen").fill("ett langt nytt losenord")
    page.get_by_role("button", name="Byt lösenord").click()
    expect(page.get_by_role("alert").first).to_contain_text("Det nuvarande lösenordet stämmer inte.")
    assert_accessible(page)


def test_reader_pages(page: Page) -> None:
    login(page, "ledamot@example.se")
    page.goto("/granskning/")
    expect(page.get_by_text("Du har läsbehörighet")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Uppföljning \d{4}$")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Granskning")
    assert_accessible(page)
    page.locator("table.overview td a").first.click()
    expect(page.get_by_text("Du har läsbehörighet och kan inte godkänna")).to_be_visible()
    assert_accessible(page)


def test_withdraw_button_on_a_submitted_answer(page: Page) -> None:
    login(page, "kumla@example.se")
    page.goto("/svar/")
    page.locator(".cards a").first.click()
    page.get_by_role("row").filter(has_text="Inskickad").get_by_role("link").first.click()
    expect(page.get_by_role("button", name="Ta tillbaka svaret och ändra")).to_be_visible()
    assert_accessible(page)


def test_main_contact_pages(page: Page) -> None:
    _make_main_contact("Örebro", "orebro@example.se")
    login(page, "orebro@example.se")
    page.goto("/svar/")
    page.locator(".cards a").first.click()
    expect(page.get_by_role("columnheader", name="Ansvarig")).to_be_visible()
    assert_accessible(page)  # the overview with who answers each sub-goal
    open_colleagues(page)
    assert_accessible(page)  # the main contact's page, no colleagues yet
    page.get_by_role("button", name="Bjud in kollegan").click()
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)  # the invite form with errors
    invite_colleague(page, "Olga Kollega", "olga@orebro.example.se", "Utvecklingsledare")
    assert_accessible(page)  # a colleague listed, a select per sub-goal
    first = page.locator("form select").first.get_attribute("id")
    make_responsible(page, page.locator(f"label[for='{first}']").inner_text(), "Olga Kollega")
    assert_accessible(page)


def test_colleague_approval_page(page: Page, browser, live_server: str) -> None:  # noqa: ANN001
    _make_main_contact("Örebro", "orebro@example.se")
    login(page, "admin@example.se")
    page.get_by_role("link", name="Inbjudna kollegor").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kollegor som huvudkontakter")
    assert_accessible(page)  # nothing waiting
    page.get_by_label(re.compile("Enheten godkänner varje kollega")).check()
    page.get_by_role("button", name="Spara inställningen").click()
    expect(page.get_by_role("status").first).to_contain_text("väntar nu på ert godkännande")
    contact = browser.new_context(base_url=live_server, locale="sv-SE")
    try:
        other = contact.new_page()
        login(other, "orebro@example.se")
        other.goto("/svar/")
        other.locator(".cards a").first.click()
        open_colleagues(other)
        invite_colleague(other, "Per Väntar", "per@orebro.example.se")
        expect(other.get_by_text("Väntar på enhetens godkännande")).to_be_visible()
    finally:
        contact.close()
    page.reload()
    expect(page.get_by_role("row").filter(has_text="Per Väntar")).to_be_visible()
    assert_accessible(page)  # one waiting, with its buttons
    page.get_by_role("button", name="Godkänn Per Väntar").click()
    expect(page.get_by_role("status").first).to_contain_text("Per Väntar är godkänd")
    page.get_by_label(re.compile("Enheten godkänner varje kollega")).uncheck()
    page.get_by_role("button", name="Spara inställningen").click()
    assert_accessible(page)


def test_the_delegation_steps_for_the_end_to_end_test(page: Page, browser, live_server: str) -> None:  # noqa: ANN001
    """The helpers in people_steps, as the empty-database end-to-end test uses them (here the
    link comes from `flask issue-link` instead of the mail, since no worker runs)."""
    from tests.e2e.conftest import flask_command
    from tests.e2e.people_steps import answer_through_link, delegate_sub_goal

    # Örebro, whose other answers no later file depends on (Kumla, Askersund and Hallsberg
    # are theirs).
    _make_main_contact("Örebro", "orebro@example.se")
    login(page, "orebro@example.se")
    page.goto("/svar/")
    page.locator(".cards a").first.click()
    title = page.locator("table tbody th a").nth(2).inner_text()
    delegate_sub_goal(page, "Alva Kollega", "alva@orebro.example.se", title)
    url = flask_command("issue-link", "1", "alva@orebro.example.se").strip()
    colleague = browser.new_context(base_url=live_server, locale="sv-SE")
    try:
        other = colleague.new_page()
        answer_through_link(other, "/lank/" + url.rsplit("/", 1)[1], title,
                            {"Vad har ni gjort inom delmålet under året?":
                             "Alva har samordnat arbetet med föreningarna."})
        expect(other.get_by_role("button", name="Logga ut")).to_be_visible()
        assert "Alva Kollega" in other.locator(".who").inner_text()
    finally:
        colleague.close()
