"""Contacts from a file, over HTTP against PostgreSQL: preview writes nothing, confirming
writes exactly what was shown, the same file again changes nothing, export → import is a no-op,
and only the admin gets in."""
from __future__ import annotations

import io
import re
import secrets
import time

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from tests.fixtures.contact_files import contacts_xlsx
from tests.web import Browser, csrf_token, text_of
from webapp.extensions import db
from webapp.models import AuditEvent, User

UPLOAD = "/admin/personer/import"
CONFIRM = "/admin/personer/import/bekrafta"

LIST = ("Kommun;Namn;E-post;Titel;Telefon\r\n"
        "Kumla;Karin Kumla;KUMLA@example.se;Folkhälsostrateg;\r\n"     # demo contact: a title
        "1880;Olle Örebro;orebro@example.se;;\r\n"                     # demo contact: as is
        "Hällefors;Åsa Öberg ;Asa.Oberg@Hellefors.se;Socialchef;0591-641 00\r\n"
        ";;;;\r\n"
        "Nora;=HYPERLINK(\"x\");formel@nora.se;@SUM(A1);+46 587 811 00\r\n"
        "Kumal;Bo Lind;bo@kumla.se;;\r\n"                              # line 7: misspelt
        "Laxå;Cia Berg;cia.berg.laxa.se;;\r\n")                        # line 8: not an address


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(User.id))),
                db.session.scalar(text("SELECT count(*) FROM user_organisation")),
                db.session.scalar(select(func.count(AuditEvent.id))))


def _admin(app: Flask) -> Browser:
    browser = Browser(app.test_client())
    browser.login("admin@example.se")
    return browser


def _upload(browser: Browser, data: bytes, filename: str = "kontakter.csv", *,
            expect: int = 200):
    page = browser.get(UPLOAD)
    response = browser.client.post(UPLOAD, data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")
    assert response.status_code == expect, (response.status_code, text_of(response)[:1500])
    browser.page = response
    return response


def _confirm(browser: Browser):
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', browser.page.text)
    assert token, "the preview has no confirm button"
    return browser.client.post(CONFIRM, data={"csrf_token": csrf_token(browser.page),
                                              "token": token.group(1)},
                               follow_redirects=True)


def _row(response, line: int) -> str:
    match = re.search(rf"<tr>\s*<th scope=\"row\">{line}</th>(.*?)</tr>", response.text, re.S)
    assert match, f"no row {line} in the preview"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def _contact(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            _ = [o.name for o in user.organisations]
            db.session.expunge(user)
        return user


def test_preview_writes_nothing_and_shows_every_row(demo: Flask) -> None:
    browser = _admin(demo)
    before = _counts(demo)
    preview = _upload(browser, LIST.encode("cp1252"))
    assert _counts(demo) == before, "the preview wrote something"
    page = text_of(preview)
    assert "6 rader: 2 nya, 1 ändras, 1 oförändrade och 2 med fel" in page, page[:800]
    assert _row(preview, 2).startswith("Ändras Kumla Karin Kumla kumla@example.se")
    assert "Titel: – → Folkhälsostrateg" in _row(preview, 2)
    assert _row(preview, 3).startswith("Oförändrad Örebro")
    assert _row(preview, 4).startswith("Ny Hällefors Åsa Öberg asa.oberg@hellefors.se")
    assert "Rad 7 (Bo Lind): Okänd kommun eller organisation: ”Kumal”. Menade du Kumla?" in page
    assert "Rad 8 (Cia Berg): E-postadressen ”cia.berg.laxa.se” är inte giltig." in page
    assert "Läs in 2 nya och ändra 1" in page


def test_confirm_writes_what_the_preview_showed_and_again_changes_nothing(demo: Flask) -> None:
    browser = _admin(demo)
    users, memberships, events = _counts(demo)
    _upload(browser, LIST.encode("cp1252"))
    done = _confirm(browser)
    assert done.status_code == 200 and done.request.path.startswith(UPLOAD + "/")
    assert "Importen är klar" in text_of(done)
    assert _counts(demo)[:2] == (users + 2, memberships + 2)

    asa = _contact(demo, "asa.oberg@hellefors.se")
    assert (asa.name, asa.title, asa.phone, asa.role.value, asa.active) == (
        "Åsa Öberg", "Socialchef", "0591-641 00", "contact", True)
    assert [o.name for o in asa.organisations] == ["Hällefors"]
    formula = _contact(demo, "formel@nora.se")
    assert (formula.name, formula.title, formula.phone) == ('=HYPERLINK("x")', "@SUM(A1)",
                                                           "+46 587 811 00")
    assert _contact(demo, "kumla@example.se").title == "Folkhälsostrateg"
    assert _contact(demo, "bo@kumla.se") is None  # a bad row is not read in

    with demo.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("contact.import%")).order_by(AuditEvent.id)).all()
    # One row for the import, one per contact added or changed.
    assert sorted(actions) == ["contact.import"]
    with demo.app_context():
        batch = db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "contact.import"))
        per_contact = db.session.execute(
            select(AuditEvent.action, User.email, AuditEvent.comment)
            .join(User, User.id == AuditEvent.entity_id)
            .where(AuditEvent.comment.like("Import %"))).all()
    assert sorted(per_contact) == [
        ("contact.create", "asa.oberg@hellefors.se", f"Import {batch}: Kontaktperson för Hällefors."),
        ("contact.create", "formel@nora.se", f"Import {batch}: Kontaktperson för Nora."),
        ("contact.update", "kumla@example.se", f"Import {batch}: Ändrat: titel."),
    ]
    result = text_of(done)
    assert "Åsa Öberg asa.oberg@hellefors.se Ny Kontaktperson för Hällefors." in result
    assert "Karin Kumla kumla@example.se Ändrad Ändrat: titel." in result

    # The same file again: every good row unchanged, nothing to confirm, nothing written.
    before = _counts(demo)
    again = _upload(browser, LIST.encode("cp1252"))
    assert "4 oförändrade och 2 med fel" in text_of(again)
    assert "Ingenting att läsa in" in text_of(again)
    assert 'name="token"' not in again.text
    assert _counts(demo) == before


def test_confirming_twice_writes_once(demo: Flask) -> None:
    browser = _admin(demo)
    preview = _upload(browser, LIST.encode("utf-8"))
    assert _confirm(browser).status_code == 200
    after_first = _counts(demo)
    browser.page = preview
    second = _confirm(browser)
    assert "Den här importen är redan gjord" in text_of(second)
    assert _counts(demo) == after_first


def test_a_change_between_preview_and_confirm_stops_the_import(demo: Flask) -> None:
    browser = _admin(demo)
    _upload(browser, LIST.encode("utf-8"))
    with demo.app_context():  # someone else edits Karin meanwhile
        karin = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
        karin.title = "Utvecklingsledare"
        db.session.commit()
    before = _counts(demo)
    refused = _confirm(browser)
    assert "har ändrats sedan förhandsgranskningen" in text_of(refused)
    assert _counts(demo) == before
    assert _contact(demo, "asa.oberg@hellefors.se") is None


def test_an_edited_token_is_refused_and_writes_nothing(demo: Flask) -> None:
    browser = _admin(demo)
    preview = _upload(browser, LIST.encode("utf-8"))
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview.text).group(1)
    before = _counts(demo)
    middle = len(token) // 2
    edited = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    for forged in (edited, token[:-4] + "AAAA", "x" * 100_000, ""):
        response = browser.client.post(CONFIRM, data={"csrf_token": csrf_token(preview),
                                                      "token": forged},
                                       follow_redirects=True)
        assert response.status_code in (200, 422)
        assert "Förhandsgranskningen" in text_of(response), text_of(response)[:500]
    assert _counts(demo) == before


def test_staff_addresses_and_inactive_contacts_are_bad_rows(demo: Flask) -> None:
    with demo.app_context():
        hans = db.session.scalar(select(User).where(User.email == "hallsberg@example.se"))
        hans.active = False
        db.session.commit()
    browser = _admin(demo)
    preview = _upload(browser, (b"Kommun;Namn;E-post\nKumla;Gustav;granskare@example.se\n"
                                b"Hallsberg;Hans Hallsberg;hallsberg@example.se\n"))
    assert "rollen granskare och kan inte läsas in som kontaktperson" in _row(preview, 2)
    assert "Kontaktpersonen är inaktiverad" in _row(preview, 3)
    assert 'name="token"' not in preview.text


def test_a_contact_gets_a_second_organisation_and_keeps_the_first(demo: Flask) -> None:
    browser = _admin(demo)
    _upload(browser, b"Kommun;Namn;E-post\nLaxa;Karin Kumla;kumla@example.se\n")
    assert "Okänd kommun" in text_of(browser.page)  # "Laxa" is not Laxå: said, not guessed
    preview = _upload(browser, "Kommun;Namn;E-post\nLaxå;Karin Kumla;kumla@example.se\n"
                      .encode())
    assert "Läggs till som kontaktperson för Laxå" in _row(preview, 2)
    _confirm(browser)
    assert [o.name for o in _contact(demo, "kumla@example.se").organisations] == ["Kumla",
                                                                                 "Laxå"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(demo: Flask, fmt: str) -> None:
    browser = _admin(demo)
    _upload(browser, LIST.encode("utf-8"))
    _confirm(browser)
    exported = browser.client.get(f"/admin/personer/export.{fmt}")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    if fmt == "csv":
        assert exported.data.startswith(b"\xef\xbb\xbfOrganisation;Namn;E-post;Titel;Telefon")
        assert "Nora;\"'=HYPERLINK(\"\"x\"\")\";formel@nora.se;'@SUM(A1);'+46 587 811 00" \
            in exported.data.decode("utf-8-sig")
    else:
        sheet = load_workbook(io.BytesIO(exported.data)).active
        cells = {c.value: c for row in sheet.iter_rows() for c in row}
        assert cells['=HYPERLINK("x")'].data_type == "s"
    before = _counts(demo)
    again = _upload(browser, exported.data, f"kontakter.{fmt}")
    page = text_of(again)
    assert "0 nya, 0 ändras" in page and "0 med fel" in page, page[:600]
    assert "Ingenting att läsa in" in page
    assert _counts(demo)[:2] == before[:2]


def test_the_fixture_workbook_has_two_bad_rows(demo: Flask) -> None:
    """What the end-to-end test uses: an .xlsx with two bad rows, then the corrected one."""
    browser = _admin(demo)
    preview = _upload(browser, contacts_xlsx(bad_rows=True), "kontakter.xlsx")
    assert "2 rader med fel" in text_of(preview)
    fixed = _upload(browser, contacts_xlsx(bad_rows=False), "kontakter.xlsx")
    assert "0 med fel" in text_of(fixed)
    _confirm(browser)
    assert _contact(demo, "anna.lind@lekeberg.se").organisations[0].name == "Lekeberg"


# --- bad input: the whole file ----------------------------------------------------------------


UNREADABLE = [
    (b"Kommun;Namn;E-post\n" + b"Kumla;Anna;anna@kumla.se\n" * 240_000, "stor.csv",
     "Filen är för stor: en kontaktlista får vara högst 2 MB."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 4000, "bild.xlsx",
     "Filen heter .xlsx men är ingen Excel-arbetsbok."),
    (b"%PDF-1.7\n\x00\x00binary", "lista.csv", "Filen är inte en kontaktlista"),
    (b"Kommun;Namn;E-post\n" + "".join(
        f"Kumla;Person {i};p{i}@kumla.se\n" for i in range(10_000)).encode(),
     "tiotusen.csv", "Filen har fler än 5 000 rader."),  # text_of makes the NBSP a space
    (b"Kommun;Namn;E-post\n", "tom.csv", "Filen har rubriker men inga kontaktpersoner."),
    # Under 2 MB, but 5 000 new rows of random text: too much to carry to the confirmation.
    (b"Kommun;Namn;E-post\n" + "".join(
        f"Kumla;{secrets.token_urlsafe(110)};p{i}@kumla.se\n" for i in range(5000)).encode(),
     "slump.csv", "Filen har för mycket nytt att läsa in i ett steg."),
    (b"Hello", "brev.docx", "Filen måste vara en Excel-arbetsbok (.xlsx) eller en CSV-fil"),
]


def test_files_that_cannot_be_read_are_refused_in_swedish(demo: Flask) -> None:
    """A 5 MB file, a file that is no spreadsheet, 10 000 rows, …: a Swedish refusal on the
    upload page (422), never a 500, nothing written."""
    browser = _admin(demo)
    before = _counts(demo)
    assert len(UNREADABLE[0][0]) > 5 * 1024 * 1024
    for data, filename, message in UNREADABLE:
        response = _upload(browser, data, filename, expect=422)
        assert message in text_of(response), (filename, text_of(response)[:800])
    page = browser.get(UPLOAD)
    response = browser.client.post(UPLOAD, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "Välj en fil med kontaktpersoner." in text_of(response)
    assert _counts(demo) == before
    # And an import's result page that does not exist is "not found".
    assert browser.client.get(f"{UPLOAD}/1").status_code == 404
    assert browser.client.get(f"{UPLOAD}/{2**31}").status_code == 404


# --- who gets in ------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["kumla@example.se", "granskare@example.se",
                                   "ledamot@example.se"])
def test_only_the_admin_may_import_or_export(demo: Flask, email: str) -> None:
    admin = _admin(demo)
    _upload(admin, LIST.encode("utf-8"))
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', admin.page.text).group(1)
    with demo.app_context():
        event = db.session.scalar(select(func.max(AuditEvent.id))) or 1
    browser = Browser(demo.test_client())
    browser.login(email)
    before = _counts(demo)
    token_for_form = csrf_token(browser.page)
    for url in (UPLOAD, "/admin/personer/export.csv", "/admin/personer/export.xlsx",
                f"{UPLOAD}/{event}"):
        assert browser.client.get(url).status_code == 403, url
    upload = browser.client.post(UPLOAD, data={
        "csrf_token": token_for_form, "file": (io.BytesIO(LIST.encode()), "k.csv")},
        content_type="multipart/form-data")
    assert upload.status_code == 403
    confirm = browser.client.post(CONFIRM, data={"csrf_token": token_for_form, "token": token})
    assert confirm.status_code == 403
    after = _counts(demo)
    assert after[:2] == before[:2]



def test_a_full_list_of_5000_new_contacts_is_read_in(demo: Flask) -> None:
    """The largest list allowed, all new: previewed and confirmed within the request."""
    rows = "".join(f"{('Kumla', 'Nora', '1880', 'Hällefors')[i % 4]};Person {i} Personsson;"
                   f"person.{i}@kommun.se;Handläggare;019-{i:06d}\r\n" for i in range(5000))
    data = ("\ufeffKommun;Namn;E-post;Titel;Telefon\r\n" + rows).encode()
    browser = _admin(demo)
    users = _counts(demo)[0]
    started = time.monotonic()
    preview = _upload(browser, data)
    previewed = time.monotonic()
    assert "5000 rader: 5000 nya" in text_of(preview)
    done = _confirm(browser)
    print(f"\n5 000 new contacts: preview {previewed - started:.1f} s, "
          f"confirm {time.monotonic() - previewed:.1f} s, page {len(preview.data)} bytes")
    assert "Importen är klar" in text_of(done)
    assert _counts(demo)[0] == users + 5000
