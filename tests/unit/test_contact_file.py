"""Reading a contact list the way Swedish units save one: each quirk with a real file."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from webapp.services.contact_file import (
    EXPORT_HEADER,
    MAX_BYTES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    ContactFileError,
    OrganisationRef,
    read,
    to_csv,
    to_xlsx,
)

ORGS = [
    OrganisationRef(1, "Kumla", "1881"),
    OrganisationRef(2, "Örebro", "1880"),
    OrganisationRef(3, "Hällefors", "1863"),
    OrganisationRef(4, "Länsdelsgrupp Norr"),
    OrganisationRef(5, "Länsdelsgrupp Örebro"),
    OrganisationRef(6, "Gamla kommunen", "1899", active=False),
]


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _one(data: bytes, filename: str = "kontakter.csv"):
    parsed = read(data, filename, ORGS)
    return parsed


def _refusal(data: bytes, filename: str = "kontakter.csv") -> str:
    with pytest.raises(ContactFileError) as refusal:
        read(data, filename, ORGS)
    return refusal.value.message


# --- encodings and separators ----------------------------------------------------------------


def test_excel_semicolon_csv_in_windows_1252() -> None:
    """Excel on a Swedish Windows, "CSV (semikolonavgränsad)": ; and Windows-1252."""
    data = _csv("Kommun;Namn;E-post;Titel;Telefon\n"
                "Hällefors;Åsa Öberg;asa.oberg@hellefors.se;Socialchef;0591-641 00\n",
                "cp1252")
    assert b"\xc5sa \xd6berg" in data  # really cp1252 bytes
    row = _one(data).rows[0]
    assert (row.line, row.organisation_id, row.name, row.email, row.title, row.phone) == (
        2, 3, "Åsa Öberg", "asa.oberg@hellefors.se", "Socialchef", "0591-641 00")
    assert row.ok


def test_utf8_with_a_bom_and_comma_separated() -> None:
    data = b"\xef\xbb\xbf" + _csv("Organisation,Namn,E-post\nÖrebro,Örjan Åkesson,orjan@orebro.se\n")
    parsed = _one(data)
    assert [(r.organisation_name, r.name) for r in parsed.rows] == [("Örebro", "Örjan Åkesson")]
    assert parsed.columns == frozenset()  # no Titel or Telefon column: those are left alone


def test_utf8_without_a_bom() -> None:
    row = _one(_csv("Kommun;Namn;E-post\nKumla;Märta Ek;marta@kumla.se\n")).rows[0]
    assert row.name == "Märta Ek"


def test_utf16_tab_separated_unicode_text_from_excel() -> None:
    data = "Kommun\tNamn\tE-post\r\nKumla\tÄlva Ek\talva@kumla.se\r\n".encode("utf-16")
    assert _one(data, "kontakter.txt").rows[0].name == "Älva Ek"


def test_a_comma_inside_a_semicolon_file_stays_in_its_cell() -> None:
    data = _csv('Kommun;Namn;E-post;Titel\nKumla;Ek, Anna;anna@kumla.se;"Chef; IFO"\n')
    row = _one(data).rows[0]
    assert (row.name, row.title) == ("Ek, Anna", "Chef; IFO")


# --- what people leave in their lists --------------------------------------------------------


def test_blank_rows_trailing_spaces_and_mixed_case_emails() -> None:
    data = _csv("\n;;\n Kommun ; NAMN ;e-postadress\n\n"
                "Kumla ;  Anna   Ek\u00a0;  Anna.EK@Kumla.SE \n;;\n\n"
                "1880;Bo Lind;BO@OREBRO.SE\n;;\n")
    parsed = _one(data)
    assert [(r.line, r.name, r.email, r.organisation_name) for r in parsed.rows] == [
        (5, "Anna Ek", "anna.ek@kumla.se", "Kumla"),
        (8, "Bo Lind", "bo@orebro.se", "Örebro"),
    ]


def test_english_headings_and_a_title_row_above_the_list() -> None:
    data = _csv("Kontaktpersoner 2025\n\nMunicipality;Name;Email;Job title;Phone\n"
                "Kumla;Anna Ek;anna@kumla.se;Manager;+46 19 58 80 00\n")
    row = _one(data).rows[0]
    assert (row.line, row.title, row.phone) == (4, "Manager", "+46 19 58 80 00")


def test_first_and_last_name_in_two_columns() -> None:
    row = _one(_csv("Förnamn;Efternamn;Kommun;Mejl\nAnna;Ek;Kumla;anna@kumla.se\n")).rows[0]
    assert row.name == "Anna Ek"


def test_organisation_by_code_name_or_with_kommun_and_lansdelsgrupp_words() -> None:
    data = _csv("Kommun;Namn;E-post\n1881;A;a@x.se\nKumla kommun;B;b@x.se\nkumla;C;c@x.se\n"
                "Norr;D;d@x.se\nLänsdelsgrupp Örebro;E;e@x.se\nÖrebro;F;f@x.se\n"
                "Örebro kommun;G;g@x.se\n")
    assert [r.organisation_id for r in _one(data).rows] == [1, 1, 1, 4, 5, 2, 2]


# --- bad rows, each with its line and a Swedish reason ----------------------------------------


def test_each_bad_row_says_why_on_its_line() -> None:
    data = _csv("Kommun;Namn;E-post\n"
                "Kumla;Anna Ek;anna@kumla.se\n"       # 2 fine
                "Kumal;Bo Lind;bo@kumla.se\n"          # 3 misspelt municipality
                "9999;Cia;cia@x.se\n"                  # 4 unknown code
                "Kumla;Dan;dan.kumla.se\n"             # 5 not an address
                "Kumla;;eva@kumla.se\n"                # 6 no name
                "Kumla;Fia;\n"                         # 7 no address
                ";Gun;gun@x.se\n"                      # 8 no organisation
                "Kumla;Anna Ek;ANNA@kumla.se\n"        # 9 the same as line 2
                "Örebro;Anna Eklund;anna@kumla.se\n"   # 10 same address, other person
                "Gamla kommunen;Hans;hans@x.se\n")     # 11 a retired organisation
    reasons = {r.line: r.problems for r in _one(data).rows}
    assert reasons[2] == []
    assert reasons[3] == ["Okänd kommun eller organisation: ”Kumal”. Menade du Kumla?"]
    assert reasons[4] == ["Okänd kommunkod: ”9999”."]
    assert reasons[5] == ["E-postadressen ”dan.kumla.se” är inte giltig."]
    assert reasons[6] == ["Namn saknas."]
    assert reasons[7] == ["E-postadress saknas."]
    assert reasons[8] == ["Organisation saknas."]
    assert reasons[9] == ["Samma e-postadress och organisation finns redan på rad 2."]
    assert reasons[10] == ["Samma e-postadress finns redan på rad 2 med andra uppgifter "
                           "(namn, titel eller telefon)."]
    assert reasons[11] == ["Gamla kommunen är avvecklad och kan inte få nya kontaktpersoner."]


def test_one_person_for_two_organisations_is_two_good_rows() -> None:
    data = _csv("Kommun;Namn;E-post\nKumla;Anna Ek;anna@x.se\nÖrebro;Anna Ek;anna@x.se\n")
    assert [r.ok for r in _one(data).rows] == [True, True]


def test_overlong_values_are_bad_rows_not_errors() -> None:
    row = _one(_csv(f"Kommun;Namn;E-post;Telefon\nKumla;{'x' * 201};a@x.se;{'1' * 41}\n")).rows[0]
    assert row.problems == ["Namn är för långt (högst 200 tecken).",
                            "Telefon är för långt (högst 40 tecken)."]


# --- formulas are text ------------------------------------------------------------------------


def test_formula_looking_cells_are_kept_as_text() -> None:
    data = _csv('Kommun;Namn;E-post;Titel;Telefon\n'
                'Kumla;"=HYPERLINK(""http://x"";""klicka"")";a@kumla.se;@SUM(A1);+46 19 1\n'
                "Kumla;-Bo;b@kumla.se;'=1+1;'+46 19 2\n")
    first, second = _one(data).rows
    assert (first.name, first.title, first.phone) == ('=HYPERLINK("http://x";"klicka")',
                                                      "@SUM(A1)", "+46 19 1")
    # The apostrophe our own CSV export puts before such a cell is taken off again.
    assert (second.name, second.title, second.phone) == ("-Bo", "=1+1", "+46 19 2")


def test_xlsx_formulas_are_never_evaluated() -> None:
    """A text cell beginning with = stays text; a real formula gives only what Excel last
    showed (openpyxl writes none, so the cell is empty: a missing name)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kommun", "Namn", "E-post"])
    sheet.append(["Kumla", "=1+1", "a@kumla.se"])
    sheet.append(["Kumla", "=2+2", "b@kumla.se"])
    sheet["B3"].data_type = "s"  # typed into Excel as text ('=2+2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    first, second = _one(buffer.getvalue(), "lista.xlsx").rows
    assert first.problems == ["Namn saknas."]
    assert second.name == "=2+2" and second.ok


# --- Excel files ------------------------------------------------------------------------------


def test_xlsx_made_with_openpyxl() -> None:
    data = _xlsx([["Kontaktlista"], [], ["Kommunkod", "Namn", "E-post", "Titel", "Telefon"],
                  [1881, " Anna Ek ", "Anna@Kumla.se", "Chef", 19123456],
                  [None, None, None, None, None],
                  [1863.0, "Åsa Öberg", "asa@hellefors.se", None, "0591-641 00"]])
    parsed = _one(data, "lista.xlsx")
    assert parsed.kind == "xlsx"
    assert [(r.line, r.organisation_name, r.name, r.email, r.phone) for r in parsed.rows] == [
        (4, "Kumla", "Anna Ek", "anna@kumla.se", "19123456"),
        (6, "Hällefors", "Åsa Öberg", "asa@hellefors.se", "0591-641 00"),
    ]


def test_xlsx_recognised_by_content_whatever_its_name() -> None:
    data = _xlsx([["Kommun", "Namn", "E-post"], ["Kumla", "Anna", "a@kumla.se"]])
    assert _one(data, "lista.csv").rows[0].name == "Anna"


# --- export, and back in ----------------------------------------------------------------------

EXPORT_ROWS = [
    ["Hällefors", "Åsa Öberg", "asa@hellefors.se", "Socialchef", "+46 591 641 00"],
    ["Kumla", "=Anna", "anna@kumla.se", None, "-"],
    ["Länsdelsgrupp Norr", "@Bo", "bo@x.se", "+chef", None],
]


def test_csv_export_is_semicolons_with_a_bom_and_no_formulas() -> None:
    data = to_csv(EXPORT_ROWS)
    assert data.startswith(b"\xef\xbb\xbfOrganisation;Namn;E-post;Titel;Telefon\r\n")
    text = data.decode("utf-8-sig")
    assert "Kumla;'=Anna;anna@kumla.se;;'-\r\n" in text
    assert "'+46 591 641 00" in text and ";'@Bo;" in text


def test_xlsx_export_writes_formula_looking_cells_as_text() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(EXPORT_ROWS))).active
    assert [c.value for c in sheet[1]] == EXPORT_HEADER
    assert sheet["B3"].value == "=Anna" and sheet["B3"].data_type == "s"
    assert sheet["E2"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(to_xlsx(EXPORT_ROWS))) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reads_back_as_the_same_rows(fmt: str) -> None:
    data = to_csv(EXPORT_ROWS) if fmt == "csv" else to_xlsx(EXPORT_ROWS)
    rows = read(data, f"export.{fmt}", ORGS).rows
    assert [[r.organisation_name, r.name, r.email, r.title or None, r.phone or None]
            for r in rows] == EXPORT_ROWS
    assert all(r.ok for r in rows)


# --- whole files refused, with a Swedish reason, in bounded time -------------------------------


@pytest.mark.parametrize("data, filename", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\x00\x00stream", "lista.pdf"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "bild.png"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "gammal.xls"),
    (b"PK\x03\x04 not really a zip", "lista.xlsx"),
    (b"just some text", "lista.xlsx"),
    (b"Hej!\nHar en lista till dig.\n", "lista.csv"),
    (b"", "tom.csv"),
    (b"Kommun;Namn;E-post\n", "bara-rubriker.csv"),
    (b"Namn;E-post\nAnna;a@x.se\n", "utan-kommun.csv"),
])
def test_files_that_are_not_contact_lists_are_refused(data: bytes, filename: str) -> None:
    message = _refusal(data, filename)
    assert any(word in message for word in ("Filen", "Kolumnen", "kolumnrubrikerna")), message


def test_a_docx_is_not_a_spreadsheet() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert "inte en kontaktlista" in _refusal(buffer.getvalue(), "brev.docx")


def test_a_file_over_the_size_limit_is_refused_unread() -> None:
    data = b"Kommun;Namn;E-post\n" + b"Kumla;Anna;a@kumla.se\n" * (MAX_BYTES // 20)
    assert len(data) > MAX_BYTES
    assert _refusal(data).startswith("Filen är för stor (")


def test_more_rows_than_the_limit_are_refused() -> None:
    lines = "".join(f"Kumla;Person {i};p{i}@kumla.se\n" for i in range(10_000))
    message = _refusal(_csv("Kommun;Namn;E-post\n" + lines))
    assert message.startswith("Filen har fler än 5\u00a0000 rader.")
    # Exactly the limit is fine.
    at_limit = "".join(f"Kumla;Person {i};p{i}@kumla.se\n" for i in range(MAX_ROWS))
    assert len(read(_csv("Kommun;Namn;E-post\n" + at_limit), "a.csv", ORGS).rows) == MAX_ROWS


def test_an_xlsx_that_unpacks_to_far_more_than_a_list_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (MAX_UNPACKED_BYTES + 1))
    assert len(buffer.getvalue()) < MAX_BYTES
    assert "mycket mer än en kontaktlista" in _refusal(buffer.getvalue(), "bomb.xlsx")


def test_an_xlsx_with_one_cell_far_down_is_refused() -> None:
    workbook = Workbook()
    workbook.active.append(["Kommun", "Namn", "E-post"])
    workbook.active["A1000000"] = "Kumla"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert _refusal(buffer.getvalue(), "lang.xlsx").startswith("Filen har fler än")


def test_a_cell_longer_than_csv_allows_is_refused() -> None:
    data = _csv('Kommun;Namn;E-post\nKumla;"' + "x" * 200_000 + '";a@x.se\n')
    assert "orimligt lång" in _refusal(data)


def test_an_xlsx_with_xml_entity_expansion_is_refused() -> None:
    """"Billion laughs": openpyxl parses through defusedxml (a dependency for this reason),
    which refuses entity declarations instead of expanding them."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "defusedxml must be installed: openpyxl expands XML entities without it"
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    sheet = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol0 "lol">' + entities + "]>"
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
             "</sheetData></worksheet>")
    source = io.BytesIO(_xlsx([["Kommun", "Namn", "E-post"], ["Kumla", "Anna", "a@x.se"]]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(buffer, "w") as bomb:
        for item in original.infolist():
            is_sheet = item.filename == "xl/worksheets/sheet1.xml"
            bomb.writestr(item, sheet if is_sheet else original.read(item))
    assert "inte en kontaktlista" in _refusal(buffer.getvalue(), "skratt.xlsx")
