"""axe-core (WCAG 2.1 A and AA rules) on the pages each audience uses, in the states that
matter: empty forms, forms with errors, a returned answer, an error page."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()


def assert_accessible(page: Page) -> None:
    """Zero axe violations, Swedish as the page language, a title and exactly one h1."""
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "sv", page.url
    assert page.title().strip(), f"{page.url}: empty <title>"
    assert page.locator("h1").count() == 1, f"{page.url}: expected exactly one <h1>"
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                     "resultTypes": ["violations"]})
    violations = results.response["violations"]
    if violations:
        lines = [f"{len(violations)} axe violation(s) on {page.url}:"]
        for v in violations:
            for node in v["nodes"]:
                lines.append(f"- {v['id']} ({v['impact']}) {', '.join(map(str, node['target']))}"
                             f": {v['help']}\n    {node.get('html', '')[:200]}")
        pytest.fail("\n".join(lines), pytrace=False)


# --- Signed out ---------------------------------------------------------------------------

def test_login_page(page: Page) -> None:
    page.goto("/logga-in")
    assert_accessible(page)


def test_login_page_with_form_errors(page: Page) -> None:
    page.goto("/logga-in")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)


def test_login_page_with_wrong_password(page: Page) -> None:
    page.goto("/logga-in")
    page.get_by_label("E-postadress").fill("kumla@example.se")
    page.get_by_label("Lösenord").fill("fel-losenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_contain_text("Fel e-postadress eller lösenord.")
    assert_accessible(page)


def test_not_found_page(page: Page) -> None:
    response = page.goto("/finns-inte")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    assert_accessible(page)


# --- Contact ------------------------------------------------------------------------------

def _open_overview(page: Page) -> None:
    page.goto("/svar/")
    page.locator(".cards a").first.click()
    expect(page.get_by_role("table")).to_be_visible()


def _open_sub_goal(page: Page, row: int) -> None:
    _open_overview(page)
    page.locator("table tbody th a").nth(row).click()
    expect(page.get_by_label("Vad har ni gjort inom delmålet under året?")).to_be_visible()


def test_contact_home(page: Page) -> None:
    login(page, "kumla@example.se")
    page.goto("/svar/")
    assert_accessible(page)


def test_contact_round_overview(page: Page) -> None:
    login(page, "kumla@example.se")
    _open_overview(page)
    assert_accessible(page)


def test_contact_answer_page(page: Page) -> None:
    login(page, "kumla@example.se")
    _open_sub_goal(page, 1)  # Kumla has not started this one
    assert_accessible(page)
    # The error state: submitting an empty answer is refused, the form stays.
    page.get_by_role("button", name="Spara och skicka in").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label("Vad har ni gjort inom delmålet under året?")).to_be_visible()
    assert_accessible(page)


def test_contact_returned_answer(page: Page) -> None:
    login(page, "askersund@example.se")
    _open_overview(page)
    page.get_by_role("row").filter(has_text="se kommentaren").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Granskarens kommentar")).to_be_visible()
    assert_accessible(page)


# --- Reviewer -----------------------------------------------------------------------------

def test_reviewer_rounds(page: Page) -> None:
    login(page, "granskare@example.se")
    page.goto("/granskning/")
    assert_accessible(page)


def test_reviewer_round_overview_and_answer(page: Page) -> None:
    login(page, "granskare@example.se")
    page.goto("/granskning/omgang/1")
    assert_accessible(page)
    # Kumla's submitted answer: the page with the review form (comment, approve, return).
    page.locator("table tbody a").filter(has_text="Inskickad").first.click()
    expect(page.get_by_label("Kommentar till kontaktpersonen")).to_be_visible()
    expect(page.get_by_role("heading", name="Svaret")).to_be_visible()
    assert_accessible(page)


# --- Administrator ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/", "/admin/omgang/ny", "/admin/omgang/1"])
def test_admin_pages(page: Page, path: str) -> None:
    login(page, "admin@example.se")
    page.goto(path)
    assert_accessible(page)


# --- Review tools ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/granskning/min-ko", "/granskning/omgang/1/logg",
                                  "/granskning/omgang/1?state=submitted",
                                  "/granskning/omgang/1?state=nonsense&district=x"])
def test_review_tool_pages(page: Page, path: str) -> None:
    login(page, "granskare@example.se")
    page.goto(path)
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/admin/granskare"])
def test_admin_assignment_page(page: Page, path: str) -> None:
    login(page, "admin@example.se")
    page.goto(path)
    assert_accessible(page)


def test_admin_on_an_approved_answer_sees_reopen_and_reassign(page: Page) -> None:
    login(page, "admin@example.se")
    page.goto("/granskning/omgang/1")
    page.locator("table tbody a").filter(has_text="Godkänd").first.click()
    expect(page.get_by_label("Skäl till att öppna svaret igen")).to_be_visible()
    expect(page.get_by_label("Granskare för det här svaret")).to_be_visible()
    assert_accessible(page)


def test_resubmission_diff_page(page: Page) -> None:
    """Runs last in this file: it resubmits Askersund's returned answer."""
    login(page, "askersund@example.se")
    _open_overview(page)
    page.get_by_role("row").filter(has_text="se kommentaren").get_by_role("link").click()
    page.get_by_label("Vad har ni gjort inom delmålet under året?").fill(
        "Fritidsgårdarna har haft öppet fler kvällar för 120 unga.")
    page.get_by_role("button", name="Spara och skicka in").click()
    expect(page.get_by_role("status").first).to_contain_text("inskickat för granskning")
    page.context.clear_cookies()
    login(page, "granskare@example.se")
    page.goto("/granskning/omgang/1?state=submitted")
    page.get_by_role("link", name="Askersund").first.click()
    expect(page.get_by_role("heading", name="Ändringar sedan svaret returnerades")).to_be_visible()
    expect(page.locator(".diff ins")).to_contain_text("120 unga")
    assert_accessible(page)


# --- Personal links and mail ------------------------------------------------------------------

def test_personal_link_pages(page: Page) -> None:
    from tests.e2e.conftest import flask_command

    url = flask_command("issue-link", "1", "kumla@example.se").strip()
    token = url.rsplit("/", 1)[1]
    page.goto(f"/lank/{token}")
    expect(page.get_by_role("button", name="Fortsätt")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/lank/{token[:-3]}xyz")
    expect(page.get_by_role("heading", level=1)).to_have_text("Länken fungerar inte")
    assert_accessible(page)
    page.goto("/lank/ny")
    assert_accessible(page)
    page.get_by_role("button", name="Skicka en ny länk").click()  # empty: error state
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page)


def test_signing_in_with_a_personal_link(page: Page) -> None:
    from tests.e2e.conftest import flask_command

    url = flask_command("issue-link", "1", "orebro@example.se").strip()
    page.goto("/lank/" + url.rsplit("/", 1)[1])
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Örebro")
    assert "/lank/" not in page.url


def test_admin_mail_page(page: Page) -> None:
    login(page, "admin@example.se")
    page.goto("/admin/omgang/1/utskick")
    assert_accessible(page)


# --- Sign-in, accounts and personal data ------------------------------------------------------

@pytest.mark.parametrize("path", ["/integritet", "/tillganglighet"])
def test_public_statements(page: Page, path: str) -> None:
    page.goto(path)
    assert_accessible(page)


def test_second_factor_page(page: Page) -> None:
    page.goto("/logga-in")
    page.get_by_label("E-postadress").fill("ledamot@example.se")
    page.get_by_label("Lösenord").fill("demo-losenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_label("Engångskod")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Engångskod").fill("000000")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert").first).to_contain_text("Koden stämmer inte")
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/admin/konton", "/admin/personer",
                                  "/admin/omgang/1/rapporttexter", "/admin/rapportmall"])
def test_admin_account_pages(page: Page, path: str) -> None:
    login(page, "admin@example.se")
    page.goto(path)
    assert_accessible(page)


# --- Plan structure -------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/admin/struktur/", "/admin/struktur/insatsomraden", "/admin/struktur/organisationer",
    "/admin/struktur/handlingsplan/1", "/admin/struktur/handlingsplan/1/nytt-delmal",
    "/admin/struktur/delmal/1", "/admin/struktur/insatsomrade/nytt",
    "/admin/struktur/insatsomrade/1", "/admin/struktur/insatsomrade/1/nytt-aktivitetsomrade",
    "/admin/struktur/lansdel/ny", "/admin/struktur/kommun/ny",
    "/admin/struktur/organisation/1", "/admin/struktur/organisation/5"])
def test_plan_structure_pages(page: Page, path: str) -> None:
    login(page, "admin@example.se")
    page.goto(path)
    assert_accessible(page)


def test_plan_structure_forms_with_errors(page: Page) -> None:
    """Refused forms: nothing is saved, so the shared server's data stays as it was."""
    login(page, "admin@example.se")
    page.goto("/admin/struktur/kommun/ny")
    page.get_by_role("button", name="Lägg till kommunen").click()
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)
    page.goto("/admin/struktur/handlingsplan/1")
    page.get_by_label("Handlingsplanens namn").fill("")
    page.get_by_label("Gäller till och med år").fill("1800")
    page.get_by_role("button", name="Spara handlingsplanen").click()
    expect(page.get_by_role("alert").first).to_contain_text("Ge handlingsplanen ett namn.")
    assert_accessible(page)
    page.goto("/admin/struktur/")
    plan = page.locator("#handlingsplan-1")
    plan.get_by_label("Kommuner").uncheck()
    plan.get_by_label("Länsdelsgrupper").uncheck()
    plan.get_by_role("button", name=re.compile("^Spara vilka som svarar")).click()
    expect(page.get_by_role("alert").first).to_contain_text("Välj minst en")
    assert_accessible(page)


def test_plan_structure_shows_a_retired_sub_goal(page: Page) -> None:
    """Retires a sub-goal no round uses, checks the greyed row, then reactivates it."""
    login(page, "admin@example.se")
    page.goto("/admin/struktur/")
    page.get_by_role("button", name=re.compile("^Avveckla Röd nivå")).click()
    expect(page.get_by_role("status").first).to_contain_text("är avvecklat")
    expect(page.get_by_role("row").filter(has_text="Röd nivå")).to_contain_text("Avvecklad")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Återaktivera Röd nivå")).click()
    expect(page.get_by_role("status").first).to_contain_text("är återaktiverat")


def test_session_warning_is_accessible_when_shown(page: Page) -> None:
    login(page, "kumla@example.se")
    page.goto("/svar/")
    page.evaluate("document.getElementById('session-warning').hidden = false")
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page)


def test_plan_file_page_and_its_refusal(page: Page, tmp_path) -> None:
    login(page, "admin@example.se")
    page.goto("/admin/struktur/fil")
    assert_accessible(page)
    broken = tmp_path / "plan.yaml"
    broken.write_text("districts:\n  - {key: norr, name: Norr\n", encoding="utf-8")
    page.get_by_label("Planfil (.yaml)").set_input_files(str(broken))
    page.get_by_role("button", name="Läs in planfilen").click()
    expect(page.get_by_role("alert").first).to_contain_text("Planfilen lästes inte in")
    expect(page.get_by_role("alert").first).to_contain_text("Rad 2, kolumn 5")
    assert_accessible(page)


def test_activities_beside_an_approved_sub_goal_and_on_the_review_page(page: Page) -> None:
    """Issue 16: an approved sub-goal is offered disabled, with the reason, in the activity
    form; the reviewer's page lists the activities that are reviewed with the answer."""
    login(page, "orebro@example.se")  # Örebro's sub-goal 1 is approved in the demo
    _open_overview(page)
    page.get_by_role("link", name="Visa och rapportera aktiviteter").click()
    page.get_by_role("link", name="Lägg till en aktivitet").click()
    expect(page.get_by_text("Godkända delmål kan inte få fler aktiviteter")).to_be_visible()
    expect(page.locator("input[name=sub_goals][disabled]")).to_have_count(1)
    assert_accessible(page)
    page.context.clear_cookies()
    login(page, "kumla@example.se")  # Kumla's sub-goal 1 is submitted
    _open_overview(page)
    page.get_by_role("link", name="Visa och rapportera aktiviteter").click()
    page.get_by_role("link", name="Lägg till en aktivitet").click()
    page.get_by_label("Aktivitetens namn").fill("MI-utbildning")
    page.locator("input[name=sub_goals]").first.check()
    page.get_by_role("button", name=re.compile("Spara")).click()
    expect(page.get_by_role("status").first).to_contain_text("är sparad")
    page.context.clear_cookies()
    login(page, "granskare@example.se")
    page.goto("/granskning/omgang/1")
    page.locator("table tbody tr").filter(has_text="Kumla").locator("a").filter(
        has_text="Inskickad").first.click()
    expect(page.get_by_role("heading", name="Aktiviteter för delmålet")).to_be_visible()
    expect(page.get_by_role("heading", name="MI-utbildning")).to_be_visible()
    assert_accessible(page)
