"""The contact's side end to end: the keyboard alone, autosave when the tab is closed, a
conflict between two browsers, axe on every respondent page and state, and the layout at
320 px and 640 px.

The e2e database is shared by the whole session and earlier files change Kumla's and
Askersund's answers, so these tests work as Hallsberg's contact and write only to sub-goals
3, 4 and 5 (rows 2, 3, 4 of the overview); each test checks the state it starts from. Tests
run in file order. When Askersund's answer is no longer returned, the reviewer returns
Hallsberg's sub-goal 3 for the "returned" state. The last test submits every ready Hallsberg
answer from the check page, so the demo draft of sub-goal 1 ends up submitted too.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import login
from tests.e2e.test_accessibility import assert_accessible

HALLSBERG = "hallsberg@example.se"
# One story in file order: the keyboard, autosave and conflict tests leave sub-goals 3-5 in
# the states the axe tests after them check. The database is restored before the first.
pytestmark = pytest.mark.e2e_story

KEYBOARD_ROW, AUTOSAVE_ROW, CONFLICT_ROW = 2, 3, 4  # sub-goals 3, 4 and 5
NOT_STARTED = "Ej påbörjad"
MAX_TABS = 60
AUTOSAVE_WAIT = 10_000  # ms: autosave fires 3 s after the last keystroke


# --- Helpers --------------------------------------------------------------------------------

# Sign-in is rate-limited per account (10 a minute): like a person who stays signed in, the
# contact signs in once and later tests reuse that session's cookies.
_SESSIONS: dict[str, list] = {}


def sign_in(page: Page, email: str = HALLSBERG) -> None:
    if email in _SESSIONS:
        page.context.add_cookies(_SESSIONS[email])
        page.goto("/svar/")
        if page.get_by_role("button", name="Logga ut").count():
            return
        page.context.clear_cookies()  # the session has ended: sign in again
    login(page, email)
    _SESSIONS[email] = page.context.cookies()


def open_overview(page: Page) -> str:
    """The contact's overview of round 1 (Hallsberg has one open round); returns its URL."""
    page.goto("/svar/")
    href = page.locator(".cards a").first.get_attribute("href")
    assert href, "Mina svar lists no round"
    page.goto(href)
    expect(page.get_by_role("table")).to_be_visible()
    return href


def row_state(page: Page, row: int) -> str:
    return page.locator("table tbody tr").nth(row).locator(".badge").inner_text().strip()


def sub_goal_href(page: Page, row: int) -> str:
    href = page.locator("table tbody th a").nth(row).get_attribute("href")
    assert href
    return href


def sub_goal_title(page: Page, row: int) -> str:
    return page.locator("table tbody th a").nth(row).inner_text().strip()


def open_sub_goal(page: Page, row: int, expected_state: str | None = None) -> str:
    """From the overview to one sub-goal's page; checks its state first when asked."""
    open_overview(page)
    if expected_state is not None:
        state = row_state(page, row)
        assert state == expected_state, (
            f"Hallsberg's sub-goal {row + 1} is {state!r}, this test needs {expected_state!r}: "
            "another test has changed it")
    href = sub_goal_href(page, row)
    page.goto(href)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return href


def answer_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Vad har ni gjort inom delmålet under året?")


def autosave_status(page: Page) -> Locator:
    return page.locator("#autosave-status")


def flash(page: Page) -> Locator:
    return page.locator(".messages [role=status], .messages [role=alert]")


def is_focused(locator: Locator) -> bool:
    return bool(locator.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target: Locator, what: str) -> None:
    """Press Tab until ``target`` has the focus (and fail if it never gets it)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if is_focused(target):
            expect(target).to_be_focused()
            return
    current = page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{what} was not reached within {MAX_TABS} Tab presses "
                         f"(focus is on {current})")


# --- 1. The keyboard alone --------------------------------------------------------------------

def test_contact_completes_a_sub_goal_and_an_activity_with_the_keyboard_only(page: Page) -> None:
    sign_in(page)
    page.goto("/svar/")  # the only navigation that is not a key press

    # Mina svar → the round's overview.
    round_link = page.locator(".cards a").first
    tab_to(page, round_link, "The round's link on Mina svar")
    page.keyboard.press("Enter")
    expect(page.get_by_role("table")).to_be_visible()
    assert row_state(page, KEYBOARD_ROW) == NOT_STARTED, "sub-goal 3 is not fresh"
    target_href = sub_goal_href(page, KEYBOARD_ROW)
    title = sub_goal_title(page, KEYBOARD_ROW)

    # Overview → sub-goal 3, by Tab and Enter.
    link = page.locator(f'table tbody th a[href="{target_href}"]')
    tab_to(page, link, "Sub-goal 3's link")
    expect(page.locator(":focus")).to_have_attribute("href", target_href)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    # Type the answer, then Tab to "Spara och skicka in" and press Enter.
    tab_to(page, answer_box(page), "The answer's textarea")
    text = "Skrivet med tangentbordet: Hallsberg har startat en samverkansgrupp för unga."
    page.keyboard.type(text)
    expect(answer_box(page)).to_have_value(text)
    submit = page.get_by_role("button", name="Spara och skicka in")
    tab_to(page, submit, "The 'Spara och skicka in' button")
    expect(page.locator(":focus")).to_have_value("Spara och skicka in")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Back on the overview: the sub-goal is submitted.
    expect(flash(page)).to_contain_text("är inskickat för granskning")
    expect(page.locator("table tbody tr").nth(KEYBOARD_ROW).locator(".badge")) \
        .to_have_text("Inskickad")

    # Overview → activities → "Lägg till en aktivitet".
    activities_link = page.get_by_role("link", name="Visa och rapportera aktiviteter")
    tab_to(page, activities_link, "The link to the activities")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Aktiviteter")
    add = page.get_by_role("link", name="Lägg till en aktivitet")
    tab_to(page, add, "'Lägg till en aktivitet'")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Aktivitetens namn")).to_be_visible()

    # The activity's form, field by field.
    name = "Samverkansgrupp för unga (tangentbord)"
    tab_to(page, page.get_by_label("Aktivitetens namn"), "The activity's name")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Beskrivning: vad har gjorts och med vilket resultat?")).to_be_focused()
    page.keyboard.type("Tio träffar under året med unga från tre skolor.")
    page.keyboard.press("Tab")
    status = page.get_by_label("Status")
    expect(status).to_be_focused()
    for _ in range(3):  # Planeras → Pågår → Pausad → Genomförd
        page.keyboard.press("ArrowDown")
    expect(status).to_have_value("done")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Startår")).to_be_focused()
    page.keyboard.type("2023")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Slutår")).to_be_focused()
    page.keyboard.type("2025")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Enhet (vem driver aktiviteten)")).to_be_focused()
    page.keyboard.type("Fritidsenheten")
    page.keyboard.press("Tab")
    level = page.get_by_label("Insatsnivå")
    expect(level).to_be_focused()
    for _ in range(2):  # Ingen angiven → Främjande → Förebyggande
        page.keyboard.press("ArrowDown")
    expect(level).to_have_value("preventive")
    box = page.get_by_role("group", name="Delmål som aktiviteten bidrar till") \
        .get_by_role("checkbox", name=title)
    tab_to(page, box, "Sub-goal 3's checkbox")
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    save = page.get_by_role("button", name="Spara aktiviteten")
    tab_to(page, save, "The 'Spara aktiviteten' button")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(flash(page)).to_have_text(f"Aktiviteten {name} är sparad.")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name))
    expect(row).to_contain_text("Genomförd")
    expect(row).to_contain_text("2023–2025")


# --- 2. Autosave, and the beacon when the tab is closed ------------------------------------

def test_autosave_keeps_the_text_when_the_tab_is_closed_mid_sentence(page: Page) -> None:
    sign_in(page)
    href = open_sub_goal(page, AUTOSAVE_ROW, expected_state=NOT_STARTED)
    box = answer_box(page)
    first = "Vi har kartlagt behoven hos äldre i Hallsberg."
    rest = " Nästa steg är att starta en"  # mid-sentence
    box.press_sequentially(first)  # typing, no save button
    expect(autosave_status(page)).to_have_text(re.compile(r"^Sparat kl\. \d\d:\d\d$"),
                                               timeout=AUTOSAVE_WAIT)
    box.press_sequentially(rest)
    context = page.context
    page.close(run_before_unload=True)  # well within the 3 s before the next autosave

    again = context.new_page()
    again.goto(href)
    # At most the text typed after the last autosave may be lost...
    value = answer_box(again).input_value()
    assert value.startswith(first), f"the autosaved text is lost: {value!r}"
    # ...and the beacon sent on closing saves that too (it may land just after this GET).
    deadline = time.monotonic() + 5
    while value != first + rest and time.monotonic() < deadline:
        again.wait_for_timeout(250)
        again.reload()
        value = answer_box(again).input_value()
    assert value == first + rest, f"the beacon on closing did not save the last text: {value!r}"
    expect(again.locator("main .meta .badge")).to_have_text("Utkast")


# --- 3. Two people on the same answer ----------------------------------------------------------

def test_conflict_between_two_browsers(page: Page, browser: Browser, live_server: str) -> None:
    a = page
    sign_in(a)
    href = open_sub_goal(a, CONFLICT_ROW, expected_state=NOT_STARTED)
    context_b = browser.new_context(base_url=live_server, locale="sv-SE")
    context_b.set_default_timeout(10_000)
    try:
        b = context_b.new_page()
        login(b, HALLSBERG)
        b.goto(href)
        expect(answer_box(b)).to_have_value("")

        text_a = "A:s text. Vi har haft fyra dialogmöten med föreningslivet."
        answer_box(a).fill(text_a)
        a.get_by_role("button", name="Spara utkast").click()
        expect(flash(a)).to_have_text("Utkastet är sparat.")

        # B writes on the old version: autosave stops and says why.
        text_b = "B:s text. Föreningarna har fått stöd att söka bidrag."
        answer_box(b).press_sequentially(text_b)
        expect(autosave_status(b)).to_contain_text("Någon annan har sparat det här svaret",
                                                   timeout=AUTOSAVE_WAIT)

        # B saves with the button: nothing is overwritten, B sees A's text and chooses.
        with b.expect_response(lambda r: r.request.method == "POST") as response:
            b.get_by_role("button", name="Spara utkast").click()
        assert response.value.status == 409
        conflict = b.get_by_role("alert").filter(
            has=b.get_by_role("heading", name="Någon annan har sparat svaret medan du skrev"))
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text(text_a)
        expect(conflict.get_by_role("link", name="Använd den sparade texten")).to_be_visible()
        expect(answer_box(b)).to_have_value(text_b)
        expect(b.get_by_role("button", name="Spara utkast")).to_have_count(0)

        b.get_by_role("button", name="Spara min text").click()
        expect(flash(b)).to_have_text("Utkastet är sparat.")
        expect(answer_box(b)).to_have_value(text_b)
        expect(b.get_by_role("heading", name="Någon annan har sparat svaret medan du skrev")) \
            .to_have_count(0)

        a.reload()
        expect(answer_box(a)).to_have_value(text_b)
    finally:
        context_b.close()


# --- 4. axe on every respondent page and state -----------------------------------------------

def test_axe_overview_check_page_and_print_view(page: Page) -> None:
    sign_in(page)
    page.goto("/svar/")
    assert_accessible(page)
    overview = open_overview(page)
    assert_accessible(page)
    page.goto(overview + "/kontrollera")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("delmål saknar svar")
    expect(summary.get_by_role("link").first).to_be_visible()
    assert_accessible(page)
    page.goto(overview + "/utskrift")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hallsberg")
    assert_accessible(page)


def test_axe_empty_answer_and_refused_submit(page: Page) -> None:
    sign_in(page)
    open_overview(page)
    empty = [r for r in range(page.locator("table tbody tr").count())
             if row_state(page, r) == NOT_STARTED]
    if not empty:
        pytest.skip(reason="Hallsberg has no sub-goal left that is not started")
    page.goto(sub_goal_href(page, empty[0]))
    expect(answer_box(page)).to_have_value("")
    expect(page.get_by_role("heading", name="Aktiviteter inom delmålet")).to_be_visible()
    expect(page.get_by_role("link", name="Lägg till en aktivitet")).to_be_visible()
    expect(page.get_by_role("heading", name="Ert godkända svar från förra omgången")) \
        .to_be_visible()
    assert_accessible(page)

    # "Spara och skicka in" with nothing written: refused with an error, nothing saved.
    page.get_by_role("button", name="Spara och skicka in").click()
    expect(page.get_by_role("alert").first).to_contain_text("Skriv ett svar")
    expect(answer_box(page)).to_be_visible()
    assert_accessible(page)


def test_axe_answer_after_autosave(page: Page) -> None:
    sign_in(page)
    open_sub_goal(page, AUTOSAVE_ROW, expected_state="Utkast")
    answer_box(page).press_sequentially(" Till")
    expect(autosave_status(page)).to_contain_text("Sparat kl.", timeout=AUTOSAVE_WAIT)
    assert_accessible(page)


def test_axe_conflict(page: Page) -> None:
    """Two tabs of one browser: the server sees the same thing as two colleagues."""
    sign_in(page)
    href = open_sub_goal(page, CONFLICT_ROW, expected_state="Utkast")
    other = page.context.new_page()
    other.goto(href)
    answer_box(other).fill("Den andra flikens text.")
    other.get_by_role("button", name="Spara utkast").click()
    expect(flash(other)).to_have_text("Utkastet är sparat.")
    answer_box(page).fill("Den första flikens text.")
    page.get_by_role("button", name="Spara utkast").click()
    expect(page.get_by_role("heading", name="Någon annan har sparat svaret medan du skrev")) \
        .to_be_visible()
    assert_accessible(page)


def test_axe_submitted_answer_is_read_only(page: Page) -> None:
    sign_in(page)
    open_sub_goal(page, KEYBOARD_ROW, expected_state="Inskickad")
    expect(answer_box(page)).to_have_count(0)
    expect(page.get_by_role("heading", name="Ditt svar")).to_be_visible()
    expect(page.get_by_text("kan inte ändras just nu")).to_be_visible()
    expect(page.get_by_role("link", name="Samverkansgrupp för unga (tangentbord)")).to_be_visible()
    assert_accessible(page)


def _return_hallsbergs_submitted_answer(page: Page) -> bool:
    """The reviewer returns Hallsberg's submitted sub-goal 3; True when it worked."""
    open_overview(page)
    if row_state(page, KEYBOARD_ROW) != "Inskickad":
        return False
    title = sub_goal_title(page, KEYBOARD_ROW)
    page.context.clear_cookies()
    login(page, "granskare@example.se")
    page.goto("/granskning/omgang/1")
    page.get_by_role("link", name=f"Hallsberg, {title}").click()
    page.get_by_label("Kommentar till kontaktpersonen").fill(
        "Berätta gärna hur många unga som deltog.")
    page.get_by_role("button", name="Returnera med kommentar").click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.context.clear_cookies()
    sign_in(page)
    open_overview(page)
    return row_state(page, KEYBOARD_ROW) == "Returnerad med kommentar"


def test_axe_returned_answer(page: Page) -> None:
    sign_in(page, "askersund@example.se")
    open_overview(page)
    returned = page.get_by_role("row").filter(has_text="se kommentaren")
    if returned.count() == 0:
        print("Askersund's answer is no longer returned (test_accessibility.py resubmits it); "
              "the reviewer returns Hallsberg's submitted sub-goal 3 instead.")
        page.context.clear_cookies()
        sign_in(page)
        if not _return_hallsbergs_submitted_answer(page):
            pytest.skip(reason="No returned answer: Askersund's was resubmitted by an earlier "
                               "test and Hallsberg's sub-goal 3 could not be returned")
        returned = page.get_by_role("row").filter(has_text="se kommentaren")
    returned.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Granskarens kommentar")).to_be_visible()
    expect(answer_box(page)).to_be_editable()
    assert_accessible(page)


def test_axe_activities_list_and_form_with_errors(page: Page) -> None:
    sign_in(page)
    overview = open_overview(page)
    page.goto(overview + "/aktiviteter")
    expect(page.get_by_role("link", name="Lägg till en aktivitet")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Lägg till en aktivitet").click()
    assert_accessible(page)  # the empty form
    page.get_by_label("Aktivitetens namn").fill("Baklänges i tiden")
    page.get_by_label("Startår").fill("2025")
    page.get_by_label("Slutår").fill("2020")
    page.get_by_role("group", name="Delmål som aktiviteten bidrar till") \
        .get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Spara aktiviteten").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Slutåret kan inte ligga före startåret.")
    expect(page.get_by_label("Slutår")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


# --- 5. Layout: 320 px wide, and 640 px (200 % zoom of a 1280 px window) ------------------------

TOO_WIDE = """(limit) => {
    const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string'
            ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.right <= limit + 1) continue;
        const parent = el.parentElement;
        if (parent && parent !== document.body && parent.getBoundingClientRect().right > limit + 1)
            continue;  // only the outermost element that sticks out
        out.push(`${describe(el)} (right edge at ${Math.round(r.right)} px, ` +
                 `${Math.round(r.width)} px wide) in ${describe(parent)}`);
    }
    return out;
}"""


def assert_no_horizontal_scroll(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width + 1:
        culprits = page.evaluate(TOO_WIDE, width)
        pytest.fail(f"{page.url} scrolls horizontally at {width} px: the document is "
                    f"{scroll_width} px wide. Too wide:\n- " + "\n- ".join(culprits[:10]),
                    pytrace=False)


def assert_form_fits(page: Page, width: int) -> None:
    for control in (answer_box(page), page.get_by_role("button", name="Spara utkast"),
                    page.get_by_role("button", name="Spara och skicka in")):
        expect(control).to_be_visible()
        box = control.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (
            f"{control} is outside the {width} px viewport: {box}")


def _editable_sub_goal(page: Page) -> str:
    """The URL of a sub-goal Hallsberg can still edit (drafts and not started ones)."""
    open_overview(page)
    for row in range(page.locator("table tbody tr").count()):
        if row_state(page, row) in (NOT_STARTED, "Utkast", "Returnerad med kommentar"):
            return sub_goal_href(page, row)
    pytest.skip(reason="Hallsberg has no editable sub-goal left")


def test_overview_at_320_px(page: Page) -> None:
    """The overview's table may scroll in a container of its own, never the page."""
    sign_in(page)
    page.set_viewport_size({"width": 320, "height": 800})
    open_overview(page)
    assert_no_horizontal_scroll(page, 320)


def test_sub_goal_page_at_320_px(page: Page) -> None:
    sign_in(page)
    href = _editable_sub_goal(page)
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(href)
    expect(answer_box(page)).to_be_visible()
    assert_no_horizontal_scroll(page, 320)
    assert_form_fits(page, 320)


def test_form_fits_at_640_px(page: Page) -> None:
    sign_in(page)
    href = _editable_sub_goal(page)
    page.set_viewport_size({"width": 640, "height": 400})
    page.goto(href)
    assert_form_fits(page, 640)
    assert_no_horizontal_scroll(page, 640)


# --- Last: check, submit everything that is ready, the receipt ----------------------------------

def test_check_page_submits_ready_sub_goals_and_shows_the_receipt(page: Page) -> None:
    sign_in(page)
    overview = open_overview(page)
    page.get_by_role("link", name="Kontrollera och skicka in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kontrollera och skicka in")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("delmål saknar svar")
    # Each missing answer links to its sub-goal's field.
    first_missing = summary.get_by_role("link").first
    expect(first_missing).to_have_attribute("href", re.compile(r"/delmal/\d+#text$"))
    assert_accessible(page)

    button = page.get_by_role("button", name=re.compile(r"^Skicka in \d+ färdiga delmål$"))
    count = int(re.search(r"\d+", button.inner_text()).group())  # type: ignore[union-attr]
    assert count >= 1
    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kvitto: Hallsberg")
    expect(page).to_have_url(re.compile(r"/kvitto$"))
    expect(flash(page)).to_contain_text("Inskickat:")
    assert_accessible(page)

    page.goto(overview)
    for row in (AUTOSAVE_ROW, CONFLICT_ROW):
        expect(page.locator("table tbody tr").nth(row).locator(".badge")).to_have_text("Inskickad")


def test_a_save_pressed_during_an_autosave_is_not_a_conflict(page: Page) -> None:
    """The button waits for the autosave in flight and then saves with its version."""
    sign_in(page)
    href = _editable_sub_goal(page)
    page.goto(href)
    box = answer_box(page)
    box.fill("")
    box.type("Först en mening.")
    # Hold the autosave request in flight while the person presses the button.
    release = []
    page.route("**/autospara", lambda route: release.append(route))
    page.wait_for_timeout(3500)  # the autosave fires and is held
    assert release, "the autosave did not fire"
    page.get_by_role("button", name="Spara utkast").click()
    release[0].continue_()
    page.unroute("**/autospara")
    expect(page.locator(".messages [role=status]")).to_have_text("Utkastet är sparat.")
    expect(page.get_by_role("heading", name="Någon annan har sparat svaret medan du skrev")) \
        .to_have_count(0)
