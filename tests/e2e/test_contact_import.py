"""Contacts from an Excel file, in a real browser: every page and state of the import has
zero axe violations; the bad rows are named with their row numbers; after the corrected file
is confirmed, the result page lists who was added."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import login
from tests.e2e.test_accessibility import assert_accessible
from tests.fixtures.contact_files import BAD_LINES, write_contacts_xlsx

FILE_LABEL = "Fil med kontaktpersoner (.xlsx eller .csv)"


def test_import_pages_upload_preview_with_bad_rows_and_result(page: Page,
                                                               tmp_path: Path) -> None:
    login(page, "admin@example.se")
    page.goto("/admin/kontaktpersoner")
    page.get_by_role("link", name="Läs in kontaktpersoner från Excel eller CSV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Läs in kontaktpersoner")
    assert_accessible(page)

    # A file that is no contact list: refused on the upload page, in Swedish.
    not_a_list = tmp_path / "brev.csv"
    not_a_list.write_bytes(b"Hej!\nHar en lista till dig.\n")
    page.get_by_label(FILE_LABEL).set_input_files(str(not_a_list))
    page.get_by_role("button", name="Förhandsgranska").click()
    expect(page.get_by_role("alert")).to_contain_text("Hittar inte kolumnrubrikerna")
    assert_accessible(page)

    # The list with two bad rows: the preview names them; nothing is saved yet.
    page.get_by_label(FILE_LABEL).set_input_files(
        str(write_contacts_xlsx(tmp_path / "kontakter.xlsx", bad_rows=True)))
    page.get_by_role("button", name="Förhandsgranska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Förhandsgranska import")
    bad = page.get_by_role("region", name="2 rader med fel – de läses inte in")
    expect(bad).to_contain_text(f"Rad {BAD_LINES[0]} (Per Holm): Okänd kommun")
    expect(bad).to_contain_text(f"Rad {BAD_LINES[1]} (Sara Berg): E-postadressen")
    assert_accessible(page)

    # The corrected list, confirmed.
    page.get_by_role("link", name="Välj en annan fil").click()
    page.get_by_label(FILE_LABEL).set_input_files(
        str(write_contacts_xlsx(tmp_path / "kontakter-rattad.xlsx", bad_rows=False)))
    page.get_by_role("button", name="Förhandsgranska").click()
    expect(page.get_by_role("status").first).to_contain_text("0 med fel")
    page.get_by_role("button", name="Läs in 5 nya och ändra 0").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importen är klar")
    expect(page.get_by_role("table")).to_contain_text("anna.lind@lekeberg.se")
    assert_accessible(page)

    # The same file again: nothing to do.
    page.goto("/admin/personer/import")
    page.get_by_label(FILE_LABEL).set_input_files(str(tmp_path / "kontakter-rattad.xlsx"))
    page.get_by_role("button", name="Förhandsgranska").click()
    expect(page.get_by_text("Ingenting att läsa in")).to_be_visible()
    assert_accessible(page)
