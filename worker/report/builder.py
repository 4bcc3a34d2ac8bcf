"""Turn a ReportData into the bytes of a Word (.docx) document.

Pure: no database, no Flask. ``build_docx`` takes the plain data collected by
collect.py and returns the finished document, imitating the published
"Uppföljning av handlingsplaner" (cover, förord, innehåll, one chapter per
insatsområde).

Every string that goes into the document passes through ``clean_text`` first,
so one odd character in an answer (a NUL pasted from somewhere, a lone
surrogate from a broken browser) can never make the build fail.
"""
from __future__ import annotations

import datetime as dt
import io
import re

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from worker.report.data import ReportData

LANGUAGE = "sv-SE"
REGION = "Region Örebro län"

TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'
TOC_PLACEHOLDER = "Högerklicka och välj Uppdatera fält för att visa innehållsförteckningen."
NO_ANSWERS_CHAPTER = "Inga godkända svar för detta insatsområde."
NO_ANSWERS_SUB_GOAL = "Inga godkända svar."

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


# --- low-level XML helpers --------------------------------------------------

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


def _set_language(document) -> None:
    """Swedish proofing language for the document defaults and the Normal style."""
    styles = document.styles.element
    for lang in styles.iterfind(f"{qn('w:docDefaults')}//{qn('w:lang')}"):
        lang.set(qn("w:val"), LANGUAGE)
    rpr = document.styles["Normal"].element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)  # w:lang sits near the end of CT_RPr; Normal has no later children
    lang.set(qn("w:val"), LANGUAGE)


class _BodyWriter:
    """Appends paragraphs to the document body quickly.

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

    def paragraph(self, text: str = "", style_id: str | None = None) -> Paragraph:
        p = OxmlElement("w:p")
        if style_id:
            p.get_or_add_pPr().style = style_id
        if text:
            _append_text(p.add_r(), text)
        if self._sect_pr is not None:
            self._sect_pr.addprevious(p)
        else:
            self._body.append(p)
        return Paragraph(p, self._document._body)


def _append_text(r, text: str) -> None:
    """Fill a w:r with ``text`` (one line), tabs as w:tab (what Run.text does, without the per-char loop)."""
    for i, piece in enumerate(text.split("\t")):
        if i:
            r.add_tab()
        if piece:
            r.add_t(piece)


# --- the document ------------------------------------------------------------

def build_docx(data: ReportData) -> bytes:
    """Build the follow-up report as .docx bytes."""
    document = Document()
    styles = document.styles
    title_id = styles["Title"].style_id
    subtitle_id = styles["Subtitle"].style_id
    toc_heading_id = styles["TOC Heading"].style_id  # outline level 9: not listed in the TOC
    h1, h2, h3 = (styles[f"Heading {n}"].style_id for n in (1, 2, 3))
    body = _BodyWriter(document)
    add = body.paragraph

    title = _one_line(data.title)
    date_iso = _iso(data.date)
    round_name = _one_line(data.round_name)
    author = _one_line(data.author)

    _set_language(document)
    _set_update_fields(document)

    # A4 with comfortable margins (python-docx defaults to US Letter).
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)

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
    stamp = dt.datetime(data.date.year, data.date.month, data.date.day, tzinfo=dt.timezone.utc)
    props.created = props.modified = stamp

    # Cover.
    add(title, title_id)
    add(_one_line(data.unit), subtitle_id)
    for line in (round_name, author, date_iso):
        if line:
            add(line)
    registry_number = _one_line(data.registry_number)
    if registry_number:
        add(f"Dnr: {registry_number}")
    add().add_run().add_break(WD_BREAK.PAGE)

    # Foreword.
    foreword = _lines(data.foreword)
    if foreword:
        add("Förord", h1)
        for line in foreword:
            add(line)

    # Table of contents.
    add("Innehåll", toc_heading_id)
    _add_field(add(), TOC_INSTRUCTION, TOC_PLACEHOLDER, dirty=True)
    add().add_run().add_break(WD_BREAK.PAGE)

    # One chapter per focus area.
    for chapter in data.chapters:
        add(chapter_heading(chapter.name), h1)
        if not chapter.sub_goals:
            add(NO_ANSWERS_CHAPTER)
            continue
        for sub_goal in chapter.sub_goals:
            add(_one_line(sub_goal.title), h2)
            plan = _one_line(sub_goal.plan)
            if plan:
                run = add().add_run(plan)
                run.italic = True
                run.font.size = Pt(9)
            if not sub_goal.answers:
                add(NO_ANSWERS_SUB_GOAL)
                continue
            for answer in sub_goal.answers:
                add(_one_line(answer.organisation), h3)
                for line in _lines(answer.text):
                    add(line)

    # Footer on every page (one section, so one footer).
    footer = section.footer.paragraphs[0]
    footer.text = f"{title} | Datum: {date_iso} | {REGION} | Sida "
    _add_field(footer, "PAGE", "1")

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
