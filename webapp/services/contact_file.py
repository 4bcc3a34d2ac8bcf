"""A contact list as Swedish units keep it (CSV or Excel) in, checked rows out; and back out.

Pure: bytes and a file name in, ``ContactFile`` out; no Flask, no database. The organisations
to match against are handed in as plain values (``OrganisationRef``), so the whole file can be
checked here and the service only compares with the contacts already stored.

What Swedish users produce, and what is done about it:
- Excel's "CSV (semikolonavgränsad)" (``;``) as well as comma and tab separated text: the
  separator is whichever one makes the first line read as known column names;
- UTF-8 with or without a BOM, Windows-1252 (Excel's ANSI on Swedish Windows), UTF-16 with a
  BOM (Excel's "Unicode-text");
- blank rows, spaces (and non-breaking spaces) around values, e-mail addresses in any case;
- a cell that begins with = + - @ is text; an apostrophe this product put before such a cell
  on export is taken off again, so export → import changes nothing.

The work is bounded before it starts: at most ``MAX_BYTES`` of file, ``MAX_ROWS`` rows, and an
.xlsx whose parts would unpack to more than ``MAX_UNPACKED_BYTES`` is refused unread.
"""
from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from webapp.services import ServiceError

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
ROWS_TEXT = f"{MAX_ROWS:,}".replace(",", "\u00a0")  # "5 000", as Swedish writes it
# A 5 000-row list unpacks to well under 5 MB; a "zip bomb" to far more.
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
# Physical rows read at most, blank ones included (a sheet with one cell far down is no list).
MAX_LINES = 10 * MAX_ROWS
# Rows read before the heading row must have turned up (a title or a note above it is fine).
HEADER_SEARCH_ROWS = 10
# Columns read per row: a list has five; a sheet with thousands of columns is not one.
MAX_COLUMNS = 50
MAX_LENGTHS = {"name": 200, "email": 254, "title": 200, "phone": 40, "organisation": 200}

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Column headings, compared after ``_heading`` (lower case, no punctuation or spaces).
FIELDS = ("organisation", "name", "email", "title", "phone")
LABELS = {"organisation": "Organisation", "name": "Namn", "email": "E-post", "title": "Titel",
          "phone": "Telefon"}
EXPORT_HEADER = [LABELS[f] for f in FIELDS]
ALIASES: dict[str, tuple[str, ...]] = {
    "organisation": ("organisation", "organisationsnamn", "org", "kommun", "kommunnamn",
                     "kommunkod", "kod", "scbkod", "kommunnummer", "lansdel",
                     "lansdelsgrupp", "organization", "municipality", "municipalitycode",
                     "municipalityname"),
    "name": ("namn", "fulltnamn", "fullstandigtnamn", "foroochefternamn", "kontaktperson",
             "kontakt", "person", "name", "fullname", "contact"),
    "email": ("epost", "epostadress", "mejl", "mejladress", "mail", "mailadress", "email",
              "emailadress", "emailaddress"),
    "title": ("titel", "befattning", "yrkestitel", "tjanst", "title", "jobtitle", "position"),
    "phone": ("telefon", "telefonnummer", "tel", "telnr", "mobil", "mobilnummer",
              "mobiltelefon", "phone", "phonenumber", "telephone", "mobile"),
    # A name in two columns is common in lists taken from a staff system.
    "first_name": ("fornamn", "firstname", "givenname"),
    "last_name": ("efternamn", "lastname", "surname", "familyname"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


class ContactFileError(ServiceError):
    """The file as a whole cannot be read; nothing in it is used."""


@dataclass(frozen=True)
class OrganisationRef:
    """An organisation as the file may name it: by name, by SCB code, or (districts) by the
    name without "Länsdelsgrupp"."""

    id: int
    name: str
    code: str | None = None
    active: bool = True


@dataclass
class ContactRow:
    """One row of the file with content. ``line`` is the row number a person sees in Excel
    (or the line in a text editor). ``problems`` are Swedish reasons; empty means usable."""

    line: int
    organisation: str = ""
    name: str = ""
    email: str = ""
    title: str = ""
    phone: str = ""
    organisation_id: int | None = None
    organisation_name: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ContactFile:
    rows: list[ContactRow]
    kind: str  # "xlsx" or "csv"
    # Which optional columns the file has: a missing column changes nothing in the database.
    columns: frozenset[str] = frozenset()

    @property
    def good(self) -> list[ContactRow]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[ContactRow]:
        return [r for r in self.rows if not r.ok]


# --- reading -------------------------------------------------------------------------------------


def read(data: bytes, filename: str, organisations: Iterable[OrganisationRef]) -> ContactFile:
    """Every row of the file, checked; raises ContactFileError if the file cannot be used."""
    if not data:
        raise ContactFileError("Filen är tom.")
    if len(data) > MAX_BYTES:
        raise ContactFileError(f"Filen är för stor ({_megabytes(len(data))}). En kontaktlista "
                               f"får vara högst {_megabytes(MAX_BYTES)} och {ROWS_TEXT} rader; "
                               "dela upp den i flera filer.")
    kind = _kind(data, filename)
    lines = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(_decode(data))
    rows, columns = _records(lines)
    check(rows, organisations)
    return ContactFile(rows=rows, kind=kind, columns=columns)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",").replace(",0 MB", " MB")


NOT_A_LIST = ("Filen är inte en kontaktlista som går att läsa. Spara listan i Excel som "
              "Excel-arbetsbok (.xlsx) eller som CSV (semikolonavgränsad) och välj den igen.")


def _kind(data: bytes, filename: str) -> str:
    """What the file is, from its content; the name only decides nothing by itself."""
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the old binary .xls (and .doc)
        raise ContactFileError("Filen är i Excels äldre format (.xls). Öppna den i Excel, "
                               "spara som Excel-arbetsbok (.xlsx) och välj den igen.")
    if name.endswith((".xlsx", ".xlsm")):
        raise ContactFileError("Filen heter .xlsx men är ingen Excel-arbetsbok. " + NOT_A_LIST)
    return "csv"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return _text(data, "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _text(data, "utf-16")
    if b"\x00" in data:  # no text file holds NUL; images, PDFs and Word files do
        raise ContactFileError(NOT_A_LIST)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: Excel's "CSV" on a Swedish Windows writes Windows-1252.
        return _text(data, "cp1252")


def _text(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ContactFileError(NOT_A_LIST) from None
    # Control characters other than tab and line breaks mean a binary file.
    controls = sum(1 for ch in text[:10_000] if ch < " " and ch not in "\t\r\n")
    if controls > 3:
        raise ContactFileError(NOT_A_LIST)
    return text


Line = tuple[int, list[object]]  # (row number as a person sees it, cell values)


def _csv_rows(text: str) -> Iterator[Line]:
    sample = text[:20_000]
    delimiter = _delimiter(sample)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, cells[:MAX_COLUMNS]
            start = reader.line_num + 1
    except csv.Error:
        # Only a cell over 128 kB long (the csv module's limit) gets here.
        raise ContactFileError(f"Rad {start} kunde inte läsas: en cell är orimligt lång. "
                               + NOT_A_LIST) from None


def _delimiter(sample: str) -> str:
    """The separator that makes the first rows read as known column names; Excel in Swedish
    writes ``;``, other programs ``,`` and "Unicode-text" a tab."""
    best, best_score = ";", -1
    head = sample.splitlines()[:HEADER_SEARCH_ROWS]
    for candidate in (";", ",", "\t"):
        score = 0
        for cells in csv.reader(head, delimiter=candidate):
            score = max(score, sum(1 for c in cells if _heading(c) in _ALIAS_TO_FIELD))
        if score > best_score:
            best, best_score = candidate, score
    return best


def _xlsx_rows(data: bytes) -> Iterator[Line]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            is_workbook = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ContactFileError(NOT_A_LIST) from None
    if not is_workbook:  # a .docx, an .ods, any zip
        raise ContactFileError(NOT_A_LIST)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ContactFileError("Excel-filen innehåller mycket mer än en kontaktlista. Kopiera "
                               "raderna till en ny arbetsbok och välj den i stället.")
    try:
        # data_only: a formula cell gives the value Excel last showed; nothing is evaluated.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, XML errors)
        raise ContactFileError(NOT_A_LIST) from None
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True),
                                       start=1):
            yield number, list(cells)
    except ContactFileError:
        raise
    except Exception:
        raise ContactFileError(NOT_A_LIST) from None
    finally:
        workbook.close()


def _heading(value: object) -> str:
    """A column heading as compared: lower case, å ä ö as a o o, letters only."""
    text = unicodedata.normalize("NFKD", _cell(value).lower())
    return "".join(ch for ch in text if ch.isalnum() and ch.isascii())


def _cell(value: object) -> str:
    """A cell as text: numbers as Excel shows them (1880, not 1880.0), spaces trimmed (the
    non-breaking ones too), the export's protective apostrophe removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "SANT" if value else "FALSKT"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\xa0", " ").strip()
    if text.startswith("'") and text[1:2] in FORMULA_START:
        text = text[1:]
    return " ".join(text.split())


TOO_MANY_ROWS = (f"Filen har fler än {ROWS_TEXT} rader. Dela upp den i flera filer med högst "
                 f"{ROWS_TEXT} rader i varje.")


def _records(lines: Iterable[Line]) -> tuple[list[ContactRow], frozenset[str]]:
    columns: dict[str, list[int]] | None = None
    rows: list[ContactRow] = []
    seen = 0
    for number, cells in lines:
        if number > MAX_LINES:
            raise ContactFileError(TOO_MANY_ROWS)
        values = [_cell(c) for c in cells]
        if not any(values):
            continue  # blank rows anywhere are nothing
        if columns is None:
            columns = _columns(values)
            if columns is None:
                seen += 1
                if seen >= HEADER_SEARCH_ROWS:
                    break
            continue
        if len(rows) >= MAX_ROWS:
            raise ContactFileError(TOO_MANY_ROWS)
        rows.append(_row(number, values, columns))
    if columns is None:
        raise ContactFileError(
            "Hittar inte kolumnrubrikerna. Första raden ska ha rubrikerna Organisation "
            "(eller Kommun), Namn och E-post, och gärna Titel och Telefon.")
    if not rows:
        raise ContactFileError("Filen har rubriker men inga kontaktpersoner.")
    present = frozenset(f for f in ("title", "phone") if columns.get(f))
    return rows, present


def _columns(values: Sequence[str]) -> dict[str, list[int]] | None:
    """Which cells hold which field, if this row is the heading row."""
    found: dict[str, list[int]] = {}
    for index, value in enumerate(values):
        name = _ALIAS_TO_FIELD.get(_heading(value))
        if name:
            found.setdefault(name, []).append(index)
    has_name = "name" in found or "first_name" in found or "last_name" in found
    if "email" not in found or not has_name:
        return None
    if "organisation" not in found:
        raise ContactFileError(
            "Kolumnen Organisation (eller Kommun) saknas. Ange för varje kontaktperson "
            "kommunens eller länsdelsgruppens namn, eller kommunkoden.")
    return found


def _row(number: int, values: Sequence[str], columns: dict[str, list[int]]) -> ContactRow:
    def first(name: str) -> str:
        for index in columns.get(name, ()):
            if index < len(values) and values[index]:
                return values[index]
        return ""

    name = first("name") or " ".join(filter(None, (first("first_name"), first("last_name"))))
    return ContactRow(line=number, organisation=first("organisation"), name=name,
                      email=first("email"), title=first("title"), phone=first("phone"))


# --- checking ------------------------------------------------------------------------------------


def check(rows: list[ContactRow], organisations: Iterable[OrganisationRef]) -> None:
    """Add each row's problems, with a Swedish reason a person can act on."""
    directory = _Directory(organisations)
    first_line: dict[tuple[str, int | None], int] = {}
    person: dict[str, ContactRow] = {}
    for row in rows:
        for key, limit in MAX_LENGTHS.items():
            if len(getattr(row, key)) > limit:
                row.problems.append(f"{LABELS.get(key, 'Namn')} är för långt "
                                    f"(högst {limit} tecken).")
        if not row.organisation:
            row.problems.append("Organisation saknas.")
        else:
            found = directory.find(row.organisation)
            if isinstance(found, str):
                row.problems.append(found)
            else:
                row.organisation_id, row.organisation_name = found.id, found.name
        if not row.name:
            row.problems.append("Namn saknas.")
        if not row.email:
            row.problems.append("E-postadress saknas.")
        else:
            email = _email(row.email)
            if email is None:
                row.problems.append(f"E-postadressen ”{row.email}” är inte giltig.")
            else:
                row.email = email
        if row.problems:
            continue
        key = (row.email, row.organisation_id)
        if key in first_line:
            row.problems.append(f"Samma e-postadress och organisation finns redan på rad "
                                f"{first_line[key]}.")
            continue
        first_line[key] = row.line
        # One person may answer for several organisations: the same address on several
        # rows is fine as long as the rows say the same about the person.
        earlier = person.setdefault(row.email, row)
        if earlier is not row and _details(earlier) != _details(row):
            row.problems.append(f"Samma e-postadress finns redan på rad {earlier.line} med "
                                "andra uppgifter (namn, titel eller telefon).")


def _details(row: ContactRow) -> tuple[str, str, str]:
    return row.name, row.title, row.phone


def _email(value: str) -> str | None:
    """The address in lower case (as stored), or None if it cannot be an address."""
    if " " in value or len(value) > MAX_LENGTHS["email"]:
        return None
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized.lower()


def _plain(name: str) -> str:
    return " ".join(name.casefold().split())


class _Directory:
    """Finds an organisation by name or SCB code, forgiving case, extra spaces and the words
    "kommun" and "länsdelsgrupp" that lists often add or leave out."""

    def __init__(self, organisations: Iterable[OrganisationRef]) -> None:
        self.exact: dict[str, OrganisationRef] = {}
        self.loose: dict[str, list[OrganisationRef]] = {}
        for org in organisations:
            self.exact[_plain(org.name)] = org
            if org.code:
                self.exact[org.code.strip()] = org
            for loose in self._loose_keys(org.name):
                self.loose.setdefault(loose, []).append(org)

    @staticmethod
    def _loose_keys(name: str) -> set[str]:
        plain = _plain(name)
        stripped = re.sub(r"^(länsdelsgrupp(?:en)?|länsdel)\s+|\s+(kommun|kommuns)$", "", plain)
        return {plain, stripped}

    def find(self, value: str) -> OrganisationRef | str:
        plain = _plain(value)
        keys = self._loose_keys(value)
        org = self.exact.get(plain) or next(
            (self.exact[k] for k in sorted(keys) if k in self.exact), None)
        if org is None:
            candidates = {o.id: o for key in keys for o in self.loose.get(key, [])}
            if len(candidates) == 1:
                org = next(iter(candidates.values()))
        if org is None:
            what = "kommunkod" if plain.isdigit() else "kommun eller organisation"
            message = f"Okänd {what}: ”{value}”."
            close = difflib.get_close_matches(plain, [k for k in self.exact if not k.isdigit()],
                                              n=1, cutoff=0.75)
            if close:
                message += f" Menade du {self.exact[close[0]].name}?"
            return message
        if not org.active:
            return f"{org.name} är avvecklad och kan inte få nya kontaktpersoner."
        return org


# --- writing -------------------------------------------------------------------------------------

ExportRow = Sequence[str | None]  # in the order of EXPORT_HEADER


def neutralise(value: str | None) -> str:
    """A cell for CSV: one that a spreadsheet would run as a formula gets an apostrophe in
    front (OWASP's advice for CSV injection); ``read`` takes it off again."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(rows: Iterable[ExportRow]) -> bytes:
    """Semicolon-separated UTF-8 with a BOM: what Swedish Excel opens with å ä ö intact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Iterable[ExportRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Kontaktpersoner"
    sheet.append(EXPORT_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([value or None for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it begins with
                if cell.value.startswith(FORMULA_START):
                    cell.quotePrefix = True  # and Excel keeps it text when it is edited
    for letter, width in zip("ABCDE", (24, 28, 34, 28, 18)):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
