"""Turn a ReportData (and optionally a .docx template) into the bytes of a Word document.

Pure: no database, no Flask. ``build_docx`` takes the plain data collected by
collect.py and returns the finished document, imitating the published
"Uppföljning av handlingsplaner": cover, förord, innehåll, the unit's own
sections, one chapter per insatsområde (activity timeline, the organisations'
answers with the activity names in bold, paused activities, cross-references),
a summary of the state of the round (table and chart), closing sections and an
optional appendix listing where every approved answer came from.

Every string that goes into the document passes through ``clean_text`` first,
so one odd character in an answer (a NUL pasted from somewhere, a lone
surrogate from a broken browser) can never make the build fail.

Paragraphs and tables are built as XML elements and inserted directly (see
``_BodyWriter``): python-docx's ``add_paragraph`` and ``table.cell()`` are
quadratic, and a full report has ~10,000 paragraphs and hundreds of table rows.
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import re
import zipfile

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.parser import oxml_parser
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from worker.report.data import FocusAreaChapter, ReportData, TextSection, TimelineActivity

LANGUAGE = "sv-SE"

TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'
TOC_PLACEHOLDER = "Högerklicka och välj Uppdatera fält för att visa innehållsförteckningen."
NO_ANSWERS_CHAPTER = "Inga godkända svar för detta insatsområde."
NO_ANSWERS_SUB_GOAL = "Inga godkända svar."

ACTIVITIES_HEADING = "Aktiviteter"
PAUSED_INTRO = "Följande aktiviteter har pausats:"
SEE_ALSO_LEAD = "Fler aktiviteter"
STATUS_HEADING = "Sammanställning av läget"
STATUS_HEADERS = ("Insatsområde", "Godkända", "Inskickade", "Returnerade", "Utkast", "Ej påbörjade")
RATES_HEADERS = ("Organisation", "Besvarat (%)", "Godkänt (%)")
PROVENANCE_HEADING = "Bilaga: Underlag"
PROVENANCE_HEADERS = ("Organisation", "Delmål", "Version", "Granskare", "Godkänt")
NO_PROVENANCE = "Rapporten bygger inte på några godkända svar."

TIMELINE_UNIT_LABEL = "Enhet"
TIMELINE_TODAY = "Idag"
TIMELINE_MARK = "■"  # printed in every filled year cell: the fill is never the only signal
TIMELINE_FILL = "9DC3E6"  # light blue; black text on it has a contrast ratio above 10:1
GROUP_FILL = "F2F2F2"
MAX_TIMELINE_YEARS = 30

TEMPLATE_UNREADABLE = "Mallen kunde inte läsas. Ladda upp ett Word-dokument (.docx eller .dotx)."

# The styles the builder uses, by their (English, built-in) style names. A template
# must define all of them; ``missing_styles`` tells which ones it lacks.
REQUIRED_STYLES: tuple[str, ...] = (
    "Normal",
    "Title",
    "Subtitle",
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "TOC Heading",
    "List Bullet",
    "Caption",
    "Table Grid",
)
_TABLE_STYLES = frozenset({"Table Grid"})

# Characters XML 1.0 does not allow (C0 controls except tab/LF/CR, surrogates,
# U+FFFE/U+FFFF), plus DEL and the C1 controls, which are legal XML but have no
# business in a Word document and render as boxes.
_ILLEGAL_XML = re.compile(
    "[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_NEWLINES = re.compile("\r\n?")
_LINE_BREAKS_AND_TABS = re.compile(r"\s*[\n\t]\s*")


def clean_text(s: str | None) -> str:
    """Return ``s`` with every character that cannot go into a .docx removed.

    Tabs and newlines are kept; CR LF and lone CR become LF. A correctly paired
    surrogate (e.g. an emoji that arrived as two UTF-16 halves) is rejoined, a
    lone one is dropped. ``None`` gives "".
    """
    if s is None:
        return ""
    if not isinstance(s, str):
        s = str(s)
    if _SURROGATE.search(s):
        # Rejoin valid high+low pairs into one code point, drop the lone halves.
        s = s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    s = _NEWLINES.sub("\n", s)
    return _ILLEGAL_XML.sub("", s)


def _one_line(s: str | None) -> str:
    """clean_text for names and titles: newlines and tabs (and the space around them) become one space."""
    return _LINE_BREAKS_AND_TABS.sub(" ", clean_text(s)).strip()


def _lines(s: str | None) -> list[str]:
    """clean_text, split on newlines, blank lines dropped; other characters kept as they are."""
    return [line for line in clean_text(s).split("\n") if line.strip()]


def _iso(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def chapter_heading(name: str) -> str:
    """The Heading 1 text of a focus-area chapter."""
    return f'Insatsområde "{_one_line(name)}" – aktivitetsområden och aktiviteter'


def join_samt(names: list[str]) -> str:
    """"A", "A samt B", "A, B samt C": a Swedish enumeration."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} samt {names[-1]}"


def see_also_sentence(chapter_name: str, see_also: list[str]) -> str:
    """The cross-reference sentence at the end of a chapter ("" when there is nothing to refer to)."""
    names = [n for n in (_one_line(x) for x in see_also) if n]
    if not names:
        return ""
    return (f"{SEE_ALSO_LEAD} som berör insatsområdet {_one_line(chapter_name)} "
            f"finns också under {join_samt(names)}.")


def timeline_years(activity: TimelineActivity, period: tuple[int, int]) -> list[int]:
    """The years of ``period`` the activity runs: a missing start or end means the period's
    start or end; the result is clamped to the period (empty if the activity lies outside)."""
    first, last = period
    start = first if activity.start_year is None else int(activity.start_year)
    end = last if activity.end_year is None else int(activity.end_year)
    if start > end:
        start, end = end, start
    return list(range(max(start, first), min(end, last) + 1))


# --- templates and styles ----------------------------------------------------------

# A template is a zip: every part's unpacked size and compression ratio is checked before
# anything is unpacked or parsed, and only the parts a template needs are kept.
TEMPLATE_MAX_PARTS = 300
TEMPLATE_MAX_PART_BYTES = 20 * 1024 * 1024
TEMPLATE_MAX_TOTAL_BYTES = 50 * 1024 * 1024
TEMPLATE_MAX_RATIO = 100  # deflated XML is ~5-20x; a zip bomb is ~1000x
TEMPLATE_TOO_BIG = ("Mallen är för stor uppackad: en del av filen packas upp till mer än "
                    f"{TEMPLATE_MAX_PART_BYTES // (1024 * 1024)} MB, eller alla delar tillsammans "
                    f"till mer än {TEMPLATE_MAX_TOTAL_BYTES // (1024 * 1024)} MB. Spara om mallen i "
                    "Word utan stora inbäddade filer och försök igen.")
TEMPLATE_TOO_MANY_PARTS = (f"Mallen har för många delar (högst {TEMPLATE_MAX_PARTS}). Spara om "
                           "den i Word som ett vanligt dokument och försök igen.")
# What a template needs: styles, numbering, theme, settings, font table, headers and footers
# with their relationships (the pictures they use are added from those), package metadata,
# and the main document (its last section carries page setup and the header references).
_TEMPLATE_PARTS = re.compile(
    r"\[Content_Types\]\.xml|_rels/\.rels|docProps/(core|app)\.xml"
    r"|word/(document|styles|numbering|settings|fontTable|webSettings|stylesWithEffects)\.xml"
    r"|word/theme/theme\d+\.xml|word/(header|footer)\d+\.xml"
    r"|word/_rels/(document|header\d+|footer\d+)\.xml\.rels")
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _rels_target(rels_name: str, target: str) -> str:
    """The part name a relationship in ``rels_name`` points at."""
    import posixpath

    if target.startswith("/"):
        return target.lstrip("/")
    # word/_rels/x.xml.rels -> word; _rels/.rels -> the package root
    source_dir = posixpath.dirname(posixpath.dirname(rels_name))
    return posixpath.normpath(posixpath.join(source_dir, target))


def clean_template(blob: bytes) -> bytes:
    """The template reduced to what a template needs, after checking every zip part's
    declared size and compression ratio (zipfile never unpacks beyond the declared size).
    ValueError (Swedish) for a zip bomb, too many parts, or something that is not a .docx."""
    try:
        source = zipfile.ZipFile(io.BytesIO(blob))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ValueError(TEMPLATE_UNREADABLE) from error
    with source:
        infos = source.infolist()
        if len(infos) > TEMPLATE_MAX_PARTS:
            raise ValueError(TEMPLATE_TOO_MANY_PARTS)
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if (info.file_size > TEMPLATE_MAX_PART_BYTES or total > TEMPLATE_MAX_TOTAL_BYTES
                    or (info.file_size > 1024 * 1024 and ratio > TEMPLATE_MAX_RATIO)):
                raise ValueError(TEMPLATE_TOO_BIG)
        names = {info.filename for info in infos}
        keep = {n for n in names if _TEMPLATE_PARTS.fullmatch(n)}
        try:
            # The pictures the headers and footers use.
            for rels in [n for n in keep if re.fullmatch(r"word/_rels/(header|footer)\d+\.xml\.rels", n)]:
                root = etree.fromstring(source.read(rels), _SAFE_XML)
                for rel in root.iter(f"{{{_RELS_NS}}}Relationship"):
                    target = _rels_target(rels, rel.get("Target") or "")
                    if rel.get("TargetMode") != "External" and target.startswith("word/media/") \
                            and target in names:
                        keep.add(target)
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target_zip:
                for info in infos:
                    if info.filename not in keep:
                        continue
                    payload = source.read(info.filename)
                    if info.filename.endswith(".rels"):
                        payload = _prune_rels(info.filename, payload, keep)
                    target_zip.writestr(info, payload)
        except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, OSError) as error:
            raise ValueError(TEMPLATE_UNREADABLE) from error
    return out.getvalue()


def _prune_rels(rels_name: str, payload: bytes, keep: set[str]) -> bytes:
    """Drop relationships to parts that were not kept (python-docx would look for them)."""
    root = etree.fromstring(payload, _SAFE_XML)
    for rel in list(root.iter(f"{{{_RELS_NS}}}Relationship")):
        if rel.get("TargetMode") != "External" \
                and _rels_target(rels_name, rel.get("Target") or "") not in keep:
            root.remove(rel)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _dotx_as_docx(blob: bytes) -> bytes | None:
    """A Word template (.dotx) is a .docx with another content type: rewrite that one entry."""
    template_type = b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    document_type = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    with zipfile.ZipFile(io.BytesIO(blob)) as source:
        content_types = source.read("[Content_Types].xml")
        if template_type not in content_types:
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                payload = source.read(info.filename)
                if info.filename == "[Content_Types].xml":
                    payload = payload.replace(template_type, document_type)
                target.writestr(info, payload)
    return out.getvalue()


def _open_template(template: bytes):
    """The template as a python-docx Document; ValueError (Swedish) if it cannot be read."""
    if not isinstance(template, (bytes, bytearray, memoryview)) or not template:
        raise ValueError(TEMPLATE_UNREADABLE)
    blob = clean_template(bytes(template))  # also for templates stored before the check
    try:
        # A .dotx is rewritten as a .docx first; anything else is read as it is.
        return Document(io.BytesIO(_dotx_as_docx(blob) or blob))
    except Exception as error:  # zip, XML and package errors all mean "not a usable .docx"
        raise ValueError(TEMPLATE_UNREADABLE) from error


def _style_type(name: str):
    return WD_STYLE_TYPE.TABLE if name in _TABLE_STYLES else WD_STYLE_TYPE.PARAGRAPH


def _find_style(document, name: str):
    """The style called ``name`` (of the right type), or None.

    Case-insensitive: Word stores some built-in names in lower case ("heading 1", "caption").
    """
    wanted = name.lower()
    kind = {WD_STYLE_TYPE.TABLE: "table", WD_STYLE_TYPE.PARAGRAPH: "paragraph"}[_style_type(name)]
    for el in document.styles.element.iterfind(qn("w:style")):
        name_el = el.find(qn("w:name"))
        if name_el is None or (name_el.get(qn("w:val")) or "").lower() != wanted:
            continue
        if (el.get(qn("w:type")) or "paragraph") == kind:
            return el
    return None


def missing_styles(template: bytes) -> list[str]:
    """The names of the REQUIRED_STYLES that ``template`` does not define, in REQUIRED_STYLES order.

    Raises ValueError (with a Swedish message) if the bytes are not a readable .docx/.dotx.
    """
    document = _open_template(template)
    return [name for name in REQUIRED_STYLES if _find_style(document, name) is None]


@functools.lru_cache(maxsize=1)
def _default_styles_xml() -> bytes:
    from lxml import etree

    return etree.tostring(Document().styles.element)


def _copy_default_style(document, name: str):
    """Add python-docx's built-in definition of ``name`` to ``document`` (a template that lacks it).

    The admin UI refuses such templates; this keeps a build with one anyway from failing.
    The copy drops its list numbering (the numbering definitions are not copied) and the
    links to styles the template may not have.
    """
    from docx.oxml import parse_xml

    defaults = parse_xml(_default_styles_xml())
    source = next(
        el for el in defaults.iterfind(qn("w:style"))
        if el.find(qn("w:name")) is not None
        and (el.find(qn("w:name")).get(qn("w:val")) or "").lower() == name.lower()
    )
    style = copy.deepcopy(source)
    styles = document.styles.element
    existing_ids = {el.get(qn("w:styleId")) for el in styles.iterfind(qn("w:style"))}
    style_id = style.get(qn("w:styleId"))
    while style_id in existing_ids:
        style_id += "X"
    style.set(qn("w:styleId"), style_id)
    for tag in ("w:link", "w:next", "w:basedOn"):
        el = style.find(qn(tag))
        if el is not None and el.get(qn("w:val")) not in existing_ids:
            style.remove(el)
    for num_pr in style.iter(qn("w:numPr")):
        num_pr.getparent().remove(num_pr)
    styles.append(style)
    return style


def _style_ids(document) -> dict[str, str]:
    """Name → style id for every REQUIRED_STYLES entry (adding python-docx's definition if missing)."""
    ids = {}
    for name in REQUIRED_STYLES:
        el = _find_style(document, name)
        if el is None:
            el = _copy_default_style(document, name)
        ids[name] = el.get(qn("w:styleId"))
    return ids


def _clear_body(document) -> None:
    """Remove the template's content, keeping the final section properties (page size, margins,
    header and footer references)."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


# --- low-level XML helpers --------------------------------------------------

# Elements are made with lxml directly (still through python-docx's parser, so they get
# its element classes): python-docx's OxmlElement and get_or_add_* cost ~10 µs a call.
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{_W_NS}}}"
_W_NSMAP = {"w": _W_NS}
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_MAKE_ELEMENT = oxml_parser.makeelement


def _el(tag: str, parent=None, **attrs):
    """A new w:<tag> element with w: attributes (keywords without the prefix: ``val="x"``)."""
    attrib = {_W + k: str(v) for k, v in attrs.items()}
    if parent is None:
        return _MAKE_ELEMENT(_W + tag, attrib, nsmap=_W_NSMAP)
    return etree.SubElement(parent, _W + tag, attrib)


def _add_field(paragraph, instruction: str, placeholder: str, dirty: bool = False) -> None:
    """Append a complex field (fldChar begin / instrText / separate / result / end).

    ``dirty`` marks the field as needing recalculation when Word opens the file.
    """

    def fld_char(kind: str):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if dirty and kind == "begin":
            el.set(qn("w:dirty"), "true")
        run._r.append(el)

    fld_char("begin")
    instr_run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    instr_run._r.append(instr)
    fld_char("separate")
    paragraph.add_run(placeholder)
    fld_char("end")


# Elements that come after w:updateFields in CT_Settings (ECMA-376 schema order).
_SETTINGS_AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids",
    "mathPr", "attachedSchema", "themeFontLang", "clrSchemeMapping",
    "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade",
    "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
    "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
)


def _set_update_fields(document) -> None:
    """<w:updateFields w:val="true"/> in settings.xml: Word refreshes the TOC on open."""
    settings = document.settings.element
    existing = settings.find(qn("w:updateFields"))
    if existing is None:
        existing = OxmlElement("w:updateFields")
        successors = {qn(f"w:{name}") for name in _SETTINGS_AFTER_UPDATE_FIELDS}
        successors.add(qn("m:mathPr"))
        for child in settings:
            if child.tag in successors:
                child.addprevious(existing)
                break
        else:
            settings.append(existing)
    existing.set(qn("w:val"), "true")

    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), LANGUAGE)


_RPR_AFTER_LANG = frozenset(qn(f"w:{t}") for t in ("eastAsianLayout", "specVanish", "oMath"))


def _set_language(document) -> None:
    """Swedish proofing language for the document defaults and the Normal style."""
    styles = document.styles.element
    for lang in styles.iterfind(f"{qn('w:docDefaults')}//{qn('w:lang')}"):
        lang.set(qn("w:val"), LANGUAGE)
    rpr = document.styles["Normal"].element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        successor = next((c for c in rpr if c.tag in _RPR_AFTER_LANG), None)
        if successor is not None:
            successor.addprevious(lang)  # schema order (a template's Normal may have these)
        else:
            rpr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)


def _append_text(r, text: str) -> None:
    """Fill a w:r with ``text`` (one line), tabs as w:tab (what Run.text does, without the per-char loop)."""
    for i, piece in enumerate(text.split("\t")):
        if i:
            etree.SubElement(r, _W + "tab")
        if piece:
            t = etree.SubElement(r, _W + "t")
            t.text = piece
            if piece[0].isspace() or piece[-1].isspace():
                t.set(_XML_SPACE, "preserve")


def _add_run(p, text: str, *, bold: bool = False, italic: bool = False, size: float | None = None):
    """Append a run with ``text`` (already cleaned, one line) to the w:p ``p``."""
    r = etree.SubElement(p, _W + "r")
    if bold or italic or size:
        rpr = etree.SubElement(r, _W + "rPr")  # children in schema order: b, i, sz
        if bold:
            etree.SubElement(rpr, _W + "b")
        if italic:
            etree.SubElement(rpr, _W + "i")
        if size:
            etree.SubElement(rpr, _W + "sz", {_W + "val": str(round(size * 2))})
    if text:
        _append_text(r, text)
    return r


class _BodyWriter:
    """Appends paragraphs and tables to the document body quickly.

    python-docx's ``Document.add_paragraph`` looks up ``w:sectPr`` with a linear
    scan of the body and resolves the style by scanning styles.xml, for every
    paragraph: quadratic in the number of paragraphs. A full report has ~10,000
    paragraphs, so we build the ``w:p`` elements ourselves and insert them
    before the section properties we located once.
    """

    def __init__(self, document):
        self._document = document
        self._body = document.element.body
        self._sect_pr = self._body.find(qn("w:sectPr"))

    def insert(self, element):
        if self._sect_pr is not None:
            self._sect_pr.addprevious(element)
        else:
            self._body.append(element)
        return element

    def paragraph(self, text: str = "", style_id: str | None = None) -> Paragraph:
        p = _el("p")
        if style_id:
            _el("pStyle", _el("pPr", p), val=style_id)
        if text:
            _append_text(etree.SubElement(p, _W + "r"), text)
        self.insert(p)
        return Paragraph(p, self._document._body)

    def rich(self, segments: list[tuple[str, bool]], style_id: str | None = None) -> Paragraph:
        """A paragraph of (text, bold) segments."""
        paragraph = self.paragraph(style_id=style_id)
        for text, bold in segments:
            if text:
                _add_run(paragraph._p, text, bold=bold)
        return paragraph


# --- running text: activity names in bold -----------------------------------------

@functools.lru_cache(maxsize=512)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern:
    # Alternation is tried left to right at each position: longest names first, so
    # "Samordnad individuell plan (SIP)" wins over "Samordnad individuell plan".
    return re.compile("|".join(map(re.escape, names)))


class _Highlighter:
    """Splits cleaned text into (text, bold) segments: every occurrence of a name is bold."""

    PREFIX = 6

    def __init__(self, names: list[str]):
        self.names = sorted({n for n in names if n}, key=lambda n: (-len(n), n))
        # Names indexed by their first characters: a text is checked only against names whose
        # prefix occurs in it, so the work grows with the text, not with texts × names.
        self.by_prefix: dict[str, list[str]] = {}
        for name in self.names:
            self.by_prefix.setdefault(name[:self.PREFIX], []).append(name)
        self.prefix_lengths = sorted({len(p) for p in self.by_prefix})

    def candidates(self, text: str) -> list[str]:
        grams = {text[i:i + k] for k in self.prefix_lengths for i in range(len(text) - k + 1)}
        found = {n for prefix in grams.intersection(self.by_prefix)
                 for n in self.by_prefix[prefix] if n in text}
        return sorted(found, key=lambda n: (-len(n), n))

    def segments(self, line: str, names: list[str] | None = None) -> list[tuple[str, bool]]:
        present = [n for n in (self.names if names is None else names) if n in line]
        if not present:
            return [(line, False)]
        out: list[tuple[str, bool]] = []
        pos = 0
        for match in _names_pattern(tuple(present)).finditer(line):
            if match.start() > pos:
                out.append((line[pos:match.start()], False))
            out.append((match.group(), True))
            pos = match.end()
        if pos < len(line):
            out.append((line[pos:], False))
        return out


# --- tables ------------------------------------------------------------------------

def _cell(width: int, text: str = "", *, bold: bool = False, italic: bool = False,
          size: float | None = 9, fill: str | None = None, span: int = 1, align: str | None = None,
          keep_next: bool = False):
    """A w:tc with one compact paragraph."""
    tc = _el("tc")
    tc_pr = _el("tcPr", tc)
    _el("tcW", tc_pr, w=width, type="dxa")
    if span > 1:
        _el("gridSpan", tc_pr, val=span)
    if fill:
        _el("shd", tc_pr, val="clear", color="auto", fill=fill)
    p = _el("p", tc)
    p_pr = _el("pPr", p)
    if keep_next:
        _el("keepNext", p_pr)
    _el("spacing", p_pr, before=0, after=0)
    if align:
        _el("jc", p_pr, val=align)
    if text:
        _add_run(p, text, bold=bold, italic=italic, size=size)
    return tc


def _row(cells, *, header: bool = False):
    tr = _el("tr")
    tr_pr = _el("trPr", tr)
    _el("cantSplit", tr_pr)
    if header:
        _el("tblHeader", tr_pr)  # repeated at the top of every page; read as headers
    for tc in cells:
        tr.append(tc)
    return tr


def _table(widths: list[int], style_id: str, caption: str, description: str):
    """An empty w:tbl with its grid, style, fixed layout and accessible caption/description."""
    tbl = _el("tbl")
    tbl_pr = _el("tblPr", tbl)
    _el("tblStyle", tbl_pr, val=style_id)
    _el("tblW", tbl_pr, w=sum(widths), type="dxa")
    _el("tblLayout", tbl_pr, type="fixed")
    _el("tblLook", tbl_pr, val="04A0", firstRow=1, lastRow=0, firstColumn=1, lastColumn=0,
        noHBand=0, noVBand=1)
    _el("tblCaption", tbl_pr, val=caption)
    _el("tblDescription", tbl_pr, val=description)
    grid = _el("tblGrid", tbl)
    for width in widths:
        _el("gridCol", grid, w=width)
    return tbl


def _widths(total: int, weights: list[float]) -> list[int]:
    scale = total / sum(weights)
    widths = [int(w * scale) for w in weights]
    widths[0] += total - sum(widths)
    return widths


def _data_table(headers, rows, widths, style_id, caption, description, numeric=frozenset()):
    """A plain table: one repeating header row, then one row per entry."""
    tbl = _table(widths, style_id, caption, description)
    tbl.append(_row([_cell(w, h, bold=True) for w, h in zip(widths, headers)], header=True))
    for values in rows:
        tbl.append(_row([
            _cell(w, v, align="right" if i in numeric else None)
            for i, (w, v) in enumerate(zip(widths, values))
        ]))
    return tbl


def _chapter_period(data: ReportData, activities: list[TimelineActivity]) -> tuple[int, int] | None:
    """The timeline's columns: ``data.period``, or else the span of the known years."""
    if data.period is not None:
        first, last = (int(y) for y in data.period)
    else:
        known = [int(y) for a in activities for y in (a.start_year, a.end_year) if y is not None]
        if data.current_year is not None:
            known.append(int(data.current_year))
        if not known:
            return None
        first, last = min(known), max(known)
    if first > last:
        first, last = last, first
    return max(first, last - MAX_TIMELINE_YEARS + 1), last


def _timeline_table(data: ReportData, chapter: FocusAreaChapter, text_width: int, style_id: str):
    activities = list(chapter.activities)
    period = _chapter_period(data, activities)
    years = list(range(period[0], period[1] + 1)) if period else []
    n = len(years)
    if n:
        year_width = max(500, min(1134, int(text_width * 0.55 / n)))  # 0.9–2 cm
        name_width = max(2835, text_width - n * year_width)
    else:
        year_width, name_width = 0, text_width
    widths = [name_width] + [year_width] * n
    columns = 1 + n
    current = int(data.current_year) if data.current_year is not None else None

    name = _one_line(chapter.name)
    span = f"{years[0]}–{years[-1]}" if years else ""
    description = (
        f"Aktiviteterna inom insatsområdet {name}, grupperade, med en kolumn per år {span}. "
        f"Åren då en aktivitet pågår är fyllda och markerade med {TIMELINE_MARK}. "
        "Under varje aktivitet står den ansvariga enheten."
    )
    if current in years:
        description += f" Idag: {current}."
    tbl = _table(widths, style_id, f"Tidslinje: {name}", description)

    tbl.append(_row(
        [_cell(name_width)] + [_cell(year_width, str(y), bold=True, align="center") for y in years],
        header=True,
    ))
    tbl.append(_row(
        [_cell(name_width, TIMELINE_UNIT_LABEL, bold=True)]
        + [_cell(year_width, TIMELINE_TODAY if y == current else "", bold=True, align="center")
           for y in years],
        header=True,
    ))

    groups: dict[str, list[TimelineActivity]] = {}
    for activity in activities:
        groups.setdefault(_one_line(activity.group), []).append(activity)
    for group, members in groups.items():
        if group:
            tbl.append(_row([_cell(sum(widths), group, bold=True, fill=GROUP_FILL, span=columns,
                                   keep_next=True)]))
        for activity in members:
            filled = set(timeline_years(activity, period)) if period else set()
            tbl.append(_row(
                [_cell(name_width, _one_line(activity.name), keep_next=True)]
                + [_cell(year_width, TIMELINE_MARK, fill=TIMELINE_FILL, align="center")
                   if y in filled else _cell(year_width) for y in years]
            ))
            unit = _one_line(activity.responsible_unit) or "–"
            tbl.append(_row(
                [_cell(name_width, f"{TIMELINE_UNIT_LABEL}: {unit}", italic=True, size=8)]
                + [_cell(year_width) for _ in years]
            ))
    return tbl


# --- the document ------------------------------------------------------------

def _text_width_twips(section) -> int:
    try:
        width = section.page_width - section.left_margin - section.right_margin
    except TypeError:  # a template section without page size or margins
        width = None
    if not width or width <= 0:
        width = Cm(16)
    return int(width / 635)  # EMU → twentieths of a point


def _write_footer(section, title: str, date_iso: str, region: str) -> None:
    """"Sida X (Y) | <title> | Datum: yyyy-mm-dd | <region>" in the primary footer.

    The footer's text paragraphs are replaced; paragraphs holding a picture (a logo in a
    template's footer) and tables are kept.
    """
    footer = section.footer
    if footer.is_linked_to_previous:
        footer.is_linked_to_previous = False
    ftr = footer._element
    p_pr = None
    for child in list(ftr):
        if child.tag == qn("w:p") and not child.xpath(".//w:drawing | .//w:pict | .//w:object"):
            if p_pr is None and child.pPr is not None:
                p_pr = copy.deepcopy(child.pPr)
                for sect_pr in p_pr.iterfind(qn("w:sectPr")):
                    p_pr.remove(sect_pr)
            ftr.remove(child)
    p = OxmlElement("w:p")
    if p_pr is not None:
        p.append(p_pr)
    ftr.append(p)
    paragraph = Paragraph(p, footer)
    paragraph.add_run("Sida ")
    _add_field(paragraph, "PAGE", "1")
    paragraph.add_run(" (")
    _add_field(paragraph, "NUMPAGES", "1")
    paragraph.add_run(f") | {title} | Datum: {date_iso}" + (f" | {region}" if region else ""))
    for r in p.iterfind(qn("w:r")):  # 9 pt: the line fits the width of an A4 page
        rpr = r.get_or_add_rPr()
        rpr.get_or_add_sz().val = Pt(9)


def build_docx(data: ReportData, template: bytes | None = None) -> bytes:
    """Build the follow-up report as .docx bytes.

    With ``template`` (the bytes of a .docx or .dotx), its styles, page setup, headers
    and pictures are kept and its body content is replaced; ValueError if it cannot be read.
    """
    if template is not None:
        document = _open_template(template)
        _clear_body(document)
    else:
        document = Document()
    style = _style_ids(document)
    h1, h2, h3 = style["Heading 1"], style["Heading 2"], style["Heading 3"]
    caption_id = style["Caption"]
    table_style = style["Table Grid"]
    body = _BodyWriter(document)
    add = body.paragraph

    title = _one_line(data.title)
    date_iso = _iso(data.date)
    round_name = _one_line(data.round_name)
    author = _one_line(data.author)

    _set_language(document)
    _set_update_fields(document)

    section = document.sections[-1]
    if template is None:
        # A4 with comfortable margins (python-docx defaults to US Letter).
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin = section.bottom_margin = Cm(2.5)
    text_width = _text_width_twips(section)

    # Core properties. Dates follow the report date, so the same data gives
    # the same metadata.
    props = document.core_properties
    props.title = title
    props.author = author
    props.last_modified_by = author
    props.subject = round_name
    props.language = LANGUAGE
    props.keywords = ""
    props.comments = ""
    props.revision = 1
    stamp = dt.datetime(data.date.year, data.date.month, data.date.day, tzinfo=dt.UTC)
    props.created = props.modified = stamp

    # Cover.
    add(title, style["Title"])
    add(_one_line(data.unit), style["Subtitle"])
    for line in (round_name, author, date_iso):
        if line:
            add(line)
    registry_number = _one_line(data.registry_number)
    if registry_number:
        add(f"Dnr: {registry_number}")
    add().add_run().add_break(WD_BREAK.PAGE)

    # Foreword, signed.
    foreword = _lines(data.foreword)
    if foreword:
        add("Förord", h1)
        for line in foreword:
            add(line)
        signature = _one_line(data.foreword_signature)
        if signature:
            _add_run(add()._p, signature, italic=True)

    # Table of contents (TOC Heading has outline level 9: not listed in the TOC).
    add("Innehåll", style["TOC Heading"])
    _add_field(add(), TOC_INSTRUCTION, TOC_PLACEHOLDER, dirty=True)
    add().add_run().add_break(WD_BREAK.PAGE)

    def text_sections(sections: list[TextSection]) -> None:
        for text_section in sections:
            heading = _one_line(text_section.title)
            if heading:
                add(heading, h1)
            for line in _lines(text_section.body):
                add(line)

    text_sections(data.intro_sections)

    # One chapter per focus area.
    for chapter in data.chapters:
        add(chapter_heading(chapter.name), h1)
        activities = list(chapter.activities)
        if activities:
            name = _one_line(chapter.name)
            add(f"Tidslinje för aktiviteterna inom insatsområdet {name}", caption_id)
            body.insert(_timeline_table(data, chapter, text_width, table_style))

        highlighter = _Highlighter([_one_line(a.name) for a in activities])
        if not chapter.sub_goals:
            add(NO_ANSWERS_CHAPTER)
        for sub_goal in chapter.sub_goals:
            add(_one_line(sub_goal.title), h2)
            plan = _one_line(sub_goal.plan)
            if plan:
                _add_run(add()._p, plan, italic=True, size=9)
            if not sub_goal.answers:
                add(NO_ANSWERS_SUB_GOAL)
                continue
            for answer in sub_goal.answers:
                add(_one_line(answer.organisation), h3)
                text = clean_text(answer.text)
                names = highlighter.candidates(text)
                for line in _lines(text):
                    if names:
                        body.rich(highlighter.segments(line, names))
                    else:
                        add(line)

        described = [a for a in activities if clean_text(a.description).strip()]
        paused = list(dict.fromkeys(n for n in (_one_line(a.name) for a in activities if a.paused) if n))
        if described or paused:
            add(ACTIVITIES_HEADING, h2)
        for activity in described:
            first, *rest = _lines(activity.description)
            body.rich([(_one_line(activity.name), True), (": " + first, False)])
            for line in rest:
                add(line)
        if paused:
            add(PAUSED_INTRO)
            for name in paused:
                body.rich([(name, True)], style["List Bullet"])

        sentence = see_also_sentence(chapter.name, chapter.see_also)
        if sentence:
            body.rich([(SEE_ALSO_LEAD, True), (sentence[len(SEE_ALSO_LEAD):], False)])

    # The state of the round: table, chart, response rates.
    if data.status_rows or data.organisation_rates:
        add(STATUS_HEADING, h1)
    if data.status_rows:
        from worker.report.charts import status_chart_description, status_chart_png

        rows = list(data.status_rows)
        add("Antal delmålssvar per insatsområde och läge", caption_id)
        body.insert(_data_table(
            STATUS_HEADERS,
            [[_one_line(r.focus_area)] + [str(int(v or 0)) for v in
             (r.approved, r.submitted, r.returned, r.draft, r.not_started)] for r in rows],
            _widths(text_width, [4, 2.4, 2.4, 2.4, 2.4, 2.4]),
            table_style,
            "Sammanställning av läget",
            "Antal delmålssvar per insatsområde: godkända, inskickade, returnerade, utkast och ej påbörjade.",
            numeric=frozenset(range(1, 6)),
        ))
        picture = add()
        picture.paragraph_format.keep_with_next = True
        run = picture.add_run()
        run.add_picture(io.BytesIO(status_chart_png(rows)), width=min(Cm(16), text_width * 635))
        doc_pr = run._r.find(f".//{qn('wp:docPr')}")
        doc_pr.set("descr", clean_text(status_chart_description(rows)))
        doc_pr.set("title", "Diagram: läget per insatsområde")
        add("Diagram: antal delmålssvar per insatsområde och läge", caption_id)
    if data.organisation_rates:
        add("Andel besvarade och godkända delmål per organisation", caption_id)
        body.insert(_data_table(
            RATES_HEADERS,
            [[_one_line(r.organisation), str(int(r.answered_percent or 0)),
              str(int(r.approved_percent or 0))]
             for r in data.organisation_rates],
            _widths(text_width, [6, 2.5, 2.5]),
            table_style,
            "Svarsfrekvens per organisation",
            "Andel av de efterfrågade delmålen som varje organisation har besvarat respektive "
            "fått godkända, i procent.",
            numeric=frozenset({1, 2}),
        ))

    text_sections(data.closing_sections)

    # Appendix: where each approved answer came from.
    if data.provenance is not None:
        add(PROVENANCE_HEADING, h1)
        if not data.provenance:
            add(NO_PROVENANCE)
        else:
            add("Godkända svar som rapporten bygger på", caption_id)
            body.insert(_data_table(
                PROVENANCE_HEADERS,
                [[_one_line(p.organisation), _one_line(p.sub_goal), str(p.version), _one_line(p.reviewer),
                  _iso(p.approved_on) if p.approved_on else "–"] for p in data.provenance],
                _widths(text_width, [3, 5.4, 1.9, 3.1, 2.6]),
                table_style,
                "Underlag",
                "Varje godkänt svar i rapporten: organisation, delmål, version, granskare och datum för godkännandet.",
                numeric=frozenset({2}),
            ))

    # Footer on every page (the last section's primary footer; earlier sections link to it).
    _write_footer(section, title, date_iso, _one_line(data.region))

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
