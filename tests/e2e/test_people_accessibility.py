"""axe-core on every page and state of the "Personer" section, of choosing a password from a
one-time link, and of "Glömt lösenordet?"; plus the round pages' warning about organisations
without a contact."""
from __future__ import annotations

import re
import subprocess
import sys

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PROJECT, SERVER_ENV, login
from tests.e2e.test_accessibility import assert_accessible


def _issue_invite_token(email: str) -> str:
    """What the invitation mail would carry (no worker runs in these tests)."""
    code = (
        "from sqlalchemy import select\n"
        "from webapp import create_app\n"
        "from webapp.extensions import db\n"
        "from webapp.models import TokenPurpose, User\n"
        "from webapp.services import accounts\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    user = db.session.scalar(select(User).where(User.email == {email!r}))\n"
        "    print('TOKEN=' + accounts.issue_token(user, TokenPurpose.INVITE))\n"
        "    db.session.commit()\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=SERVER_ENV,
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"TOKEN=(\S+)", result.stdout)
    assert match, result.stderr[-2000:]
    return match.group(1)


def test_staff_pages(page: Page) -> None:
    login(page, "admin@example.se")
    page.goto("/admin/personal")
    assert_accessible(page)
    page.get_by_role("button", name="Skapa kontot och skicka inbjudan").click()
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)
    page.get_by_label("Namn").fill("Axel Tillgänglig")
    page.get_by_label("E-postadress").fill("axel.tillganglig@region.example")
    page.get_by_label("Roll").select_option(label="Granskare")
    page.get_by_role("button", name="Skapa kontot och skicka inbjudan").click()
    expect(page.get_by_role("status").first).to_contain_text("Kontot för Axel Tillgänglig")
    assert_accessible(page)  # the new person's page: invitation not yet answered
    page.get_by_role("button", name="Byt roll").click()  # same role: a refusal
    expect(page.get_by_role("alert").first).to_contain_text("har redan rollen")
    assert_accessible(page)
    page.goto("/admin/personal")
    page.get_by_role("link", name="Anna Andersson").click()  # one's own account
    assert_accessible(page)


def test_choosing_a_password_from_the_link(page: Page) -> None:
    login(page, "admin@example.se")
    page.goto("/admin/personal")
    page.get_by_label("Namn").fill("Lösa Lösenordsson")
    page.get_by_label("E-postadress").fill("losa@region.example")
    page.get_by_role("button", name="Skapa kontot och skicka inbjudan").click()
    page.context.clear_cookies()
    token = _issue_invite_token("losa@region.example")
    page.goto(f"/konto/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Välj lösenord")
    assert_accessible(page)
    page.get_by_label("Nytt lösenord").fill("kort")
    page.get_by_label("Samma lösenord igen").fill("annat")
    page.get_by_role("button", name="Spara lösenordet").click()
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)
    page.get_by_label("Nytt lösenord").fill("ett långt och bra lösenord")
    page.get_by_label("Samma lösenord igen").fill("ett långt och bra lösenord")
    page.get_by_role("button", name="Spara lösenordet").click()
    expect(page).to_have_url(re.compile(r"/logga-in/aktivera$"))
    assert_accessible(page)
    page.goto(f"/konto/{token}")  # used: the link no longer works
    expect(page.get_by_role("heading", level=1)).to_have_text("Länken fungerar inte längre")
    assert_accessible(page)


def test_forgot_password(page: Page) -> None:
    page.goto("/logga-in")
    page.get_by_role("link", name="Glömt lösenordet?").click()
    assert_accessible(page)
    page.get_by_role("button", name="Skicka länk").click()
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)
    page.get_by_label("E-postadress").fill("finns-inte@example.se")
    page.get_by_role("button", name="Skicka länk").click()
    expect(page.get_by_role("status").first).to_contain_text("Om adressen hör till ett konto")
    assert_accessible(page)


def test_contact_pages(page: Page) -> None:
    login(page, "admin@example.se")
    page.goto("/")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Personer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontaktpersoner")
    assert_accessible(page)  # with the warning about organisations without contacts
    page.get_by_role("link", name="Laxå").click()
    assert_accessible(page)  # no contacts yet
    page.get_by_role("button", name="Spara kontaktpersonen").click()
    expect(page.get_by_role("alert").first).to_contain_text("Formuläret innehåller fel")
    assert_accessible(page)
    page.get_by_label("Namn").fill("Lisa Laxå")
    page.get_by_label("E-postadress").fill("lisa@laxa.example")
    page.get_by_label("Titel (frivillig)").fill("Folkhälsostrateg")
    page.get_by_role("button", name="Spara kontaktpersonen").click()
    expect(page.get_by_role("status").first).to_contain_text("Lisa Laxå är kontaktperson")
    assert_accessible(page)  # with a contact and the main-contact form
    page.get_by_role("button", name="Gör till huvudkontakt").click()
    expect(page.get_by_role("status").first).to_contain_text("huvudkontakt för Laxå")
    page.get_by_role("link", name="Lisa Laxå").click()
    assert_accessible(page)  # edit, move, deactivate
    page.get_by_label("E-postadress").fill("kumla@example.se")  # someone else's address
    page.get_by_role("button", name="Spara kontaktpersonen").click()
    expect(page.get_by_role("alert").first).to_contain_text("används redan")
    assert_accessible(page)


def test_round_pages_warn_about_organisations_without_contact(page: Page) -> None:
    login(page, "admin@example.se")
    for path in ("/admin/omgang/ny", "/admin/omgang/1"):
        page.goto(path)
        expect(page.get_by_role("region", name=re.compile("saknar aktiv kontaktperson"))) \
            .to_be_visible()
        assert_accessible(page)
