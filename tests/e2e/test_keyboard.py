"""One flow with the keyboard alone: skip link, then write and save a draft."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import login

MAX_TABS = 40


def focused(page: Page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
                text: (el.innerText || el.value || '').trim()};
    }""")


def tab_until(page: Page, matches, what: str) -> dict:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        current = focused(page)
        if matches(current):
            return current
    raise AssertionError(f"{what} was not reached within {MAX_TABS} Tab presses")


def test_contact_saves_a_draft_with_the_keyboard(page: Page) -> None:
    login(page, "kumla@example.se")
    page.goto("/svar/")
    page.locator(".cards a").first.click()
    answer_url = page.locator("table tbody th a").nth(2).get_attribute("href")
    assert answer_url
    page.goto(answer_url)
    expect(page.get_by_label("Vad har ni gjort inom delmålet under året?")).to_be_visible()

    # The skip link is the first Tab stop, and it moves focus to the main content.
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "a" and first["text"] == "Hoppa till innehållet", first
    expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # From main, Tab reaches the answer's textarea; type in it.
    tab_until(page, lambda f: f["tag"] == "textarea", "The answer's textarea")
    expect(page.get_by_label("Vad har ni gjort inom delmålet under året?")).to_be_focused()
    text = "Skrivet med tangentbordet: vi har startat ett brukarråd."
    page.keyboard.type(text)

    # The next stops lead to "Spara utkast"; Enter on it saves the draft.
    tab_until(page, lambda f: f["tag"] in ("button", "input") and f["text"] == "Spara utkast",
              "The 'Spara utkast' button")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.locator(".messages [role=status]")).to_have_text("Utkastet är sparat.")
    expect(page.get_by_label("Vad har ni gjort inom delmålet under året?")).to_have_value(text)
