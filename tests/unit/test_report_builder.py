"""Tests for worker.report.builder: build a .docx from plain data, reopen it, read it."""
from __future__ import annotations

import datetime as dt
import io
import time
import zipfile

import docx
import pytest
from docx.oxml.ns import qn

from worker.report.builder import build_docx, clean_text
from worker.report.data import FocusAreaChapter, OrganisationAnswer, ReportData, SubGoalSection

PLAN = "Handlingsplan Social välfärd 2019–2022"
TOC_PLACEHOLDER = "Högerklicka och välj Uppdatera fält för att visa innehållsförteckningen."


def make_data(**overrides) -> ReportData:
    values = dict(
        title="Uppföljning av handlingsplaner",
        unit="Område välfärd och folkhälsa",
        author="Linnea Hedkvist",
        date=dt.date(2026, 4, 22),
        registry_number="22RS5619",
        round_name="Uppföljning 2026",
        foreword="Första stycket i förordet.\n\nAndra stycket i förordet.",
        chapters=[
            FocusAreaChapter(
                name="Psykisk hälsa",
                sub_goals=[
                    SubGoalSection(
                        plan=PLAN,
                        title="Delmål 1 – Ökad delaktighet för den enskilde (och närstående)",
                        answers=[
                            OrganisationAnswer("Kumla", "Kumla har startat en samverkansgrupp.\nDen träffas varje månad."),
                            OrganisationAnswer("Länsdel Norr", "Norr har inventerat behoven."),
                        ],
                    ),
                    SubGoalSection(plan=PLAN, title="Delmål 2 – Tidiga insatser", answers=[]),
                ],
            ),
            FocusAreaChapter(name="Kompetensförsörjning", sub_goals=[]),
        ],
    )
    values.update(overrides)
    return ReportData(**values)


def reopen(data: ReportData) -> docx.document.Document:
    return docx.Document(io.BytesIO(build_docx(data)))


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def part_xml(blob: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return z.read(name).decode("utf-8")


def has_page_break(paragraph) -> bool:
    return any(br.get(qn("w:type")) == "page" for br in paragraph._p.iter(qn("w:br")))


# --- cover ----------------------------------------------------------------------

def test_cover_shows_title_unit_round_author_date_and_dnr_then_page_break():
    document = reopen(make_data())
    paragraphs = document.paragraphs
    assert paragraphs[0].style.name == "Title"
    assert paragraphs[0].text == "Uppföljning av handlingsplaner"
    cover_end = next(i for i, p in enumerate(paragraphs) if has_page_break(p))
    cover = [p.text for p in paragraphs[:cover_end]]
    assert cover[1:] == [
        "Område välfärd och folkhälsa",
        "Uppföljning 2026",
        "Linnea Hedkvist",
        "2026-04-22",
        "Dnr: 22RS5619",
    ]


def test_no_dnr_line_when_registry_number_is_none():
    document = reopen(make_data(registry_number=None))
    assert not any("Dnr" in t for t in texts(document))
    # and a blank one is treated the same
    assert not any("Dnr" in t for t in texts(reopen(make_data(registry_number="  "))))


# --- structure --------------------------------------------------------------------

def test_headings_come_in_order_with_their_heading_styles():
    document = reopen(make_data())
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "Förord"),
        ("Heading 1", 'Insatsområde "Psykisk hälsa" – aktivitetsområden och aktiviteter'),
        ("Heading 2", "Delmål 1 – Ökad delaktighet för den enskilde (och närstående)"),
        ("Heading 3", "Kumla"),
        ("Heading 3", "Länsdel Norr"),
        ("Heading 2", "Delmål 2 – Tidiga insatser"),
        ("Heading 1", 'Insatsområde "Kompetensförsörjning" – aktivitetsområden och aktiviteter'),
    ]


def test_sub_goal_has_italic_plan_line_and_organisation_heading_is_followed_by_its_answer():
    paragraphs = reopen(make_data()).paragraphs
    i = next(i for i, p in enumerate(paragraphs) if p.text.startswith("Delmål 1"))
    plan = paragraphs[i + 1]
    assert plan.text == PLAN
    assert plan.style.name == "Normal"
    assert all(run.italic for run in plan.runs)

    k = next(i for i, p in enumerate(paragraphs) if p.style.name == "Heading 3" and p.text == "Kumla")
    following = [(p.style.name, p.text) for p in paragraphs[k + 1:k + 4]]
    assert following == [
        ("Normal", "Kumla har startat en samverkansgrupp."),
        ("Normal", "Den träffas varje månad."),
        ("Heading 3", "Länsdel Norr"),
    ]


def test_empty_chapter_and_empty_sub_goal_say_there_are_no_approved_answers():
    paragraphs = reopen(make_data()).paragraphs
    chapter = next(i for i, p in enumerate(paragraphs) if "Kompetensförsörjning" in p.text)
    assert paragraphs[chapter + 1].text == "Inga godkända svar för detta insatsområde."
    sub_goal = next(i for i, p in enumerate(paragraphs) if p.text == "Delmål 2 – Tidiga insatser")
    assert paragraphs[sub_goal + 1].text == PLAN
    assert paragraphs[sub_goal + 2].text == "Inga godkända svar."


def test_foreword_paragraphs_are_split_and_omitted_when_missing():
    with_foreword = texts(reopen(make_data()))
    start = with_foreword.index("Förord")
    assert with_foreword[start + 1:start + 3] == ["Första stycket i förordet.", "Andra stycket i förordet."]
    assert "Förord" not in texts(reopen(make_data(foreword=None)))


# --- table of contents, footer, metadata ----------------------------------------

def test_toc_is_a_real_field_under_a_non_heading_title_and_word_updates_fields_on_open():
    blob = build_docx(make_data())
    document = docx.Document(io.BytesIO(blob))
    innehall = next(p for p in document.paragraphs if p.text == "Innehåll")
    assert not innehall.style.name.startswith("Heading")

    body = part_xml(blob, "word/document.xml")
    assert 'TOC \\o "1-3" \\h \\z \\u' in body
    for kind in ("begin", "separate", "end"):
        assert f'w:fldCharType="{kind}"' in body
    assert TOC_PLACEHOLDER in body
    # the TOC comes before the first chapter, followed by a page break
    paragraphs = document.paragraphs
    toc = next(i for i, p in enumerate(paragraphs) if p.text == TOC_PLACEHOLDER)
    first_chapter = next(i for i, p in enumerate(paragraphs) if p.text.startswith("Insatsområde"))
    assert toc < first_chapter
    assert any(has_page_break(p) for p in paragraphs[toc:first_chapter])

    update = document.settings.element.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"


def test_footer_has_title_date_region_and_page_field():
    blob = build_docx(make_data())
    footer = docx.Document(io.BytesIO(blob)).sections[0].footer
    text = "\n".join(p.text for p in footer.paragraphs)
    assert "Uppföljning av handlingsplaner | Datum: 2026-04-22 | Region Örebro län" in text
    assert "Sida" in text
    instructions = [el.text for p in footer.paragraphs for el in p._p.iter(qn("w:instrText"))]
    instructions += [el.get(qn("w:instr")) for p in footer.paragraphs for el in p._p.iter(qn("w:fldSimple"))]
    assert any(i and i.strip().startswith("PAGE") for i in instructions)


def test_core_properties_and_swedish_language():
    document = reopen(make_data())
    props = document.core_properties
    assert props.title == "Uppföljning av handlingsplaner"
    assert props.author == "Linnea Hedkvist"
    assert props.subject == "Uppföljning 2026"
    assert props.language == "sv-SE"
    normal_lang = document.styles["Normal"].element.find(f"{qn('w:rPr')}/{qn('w:lang')}")
    assert normal_lang is not None and normal_lang.get(qn("w:val")) == "sv-SE"


# --- robustness ------------------------------------------------------------------

ODD = "a\x00b\x0bc\x1fd\ud800e🙂 Å Ä Ö å ä ö <&>\" \u05e9\u05dc\u05d5\u05dd\tslut"


def test_odd_characters_do_not_break_the_build_and_legible_ones_survive():
    data = make_data(
        title="Uppföljning\x00 av handlingsplaner",
        registry_number="22RS\x0b5619",
        author="Åsa\ud800 Öberg",
        chapters=[
            FocusAreaChapter(
                name="Psykisk\x01 hälsa 🙂",
                sub_goals=[
                    SubGoalSection(
                        plan=PLAN + "\x0c",
                        title="Delmål <1> & \"2\"\x07",
                        answers=[
                            OrganisationAnswer("Örebro\x08", ODD),
                            OrganisationAnswer("Laxå", "x" * 20_000 + "\n\n\nsista\r\nraden\rslut"),
                        ],
                    )
                ],
            )
        ],
    )
    blob = build_docx(data)
    document = docx.Document(io.BytesIO(blob))
    all_text = "\n".join(texts(document))
    body = part_xml(blob, "word/document.xml")

    for illegal in ("\x00", "\x0b", "\x1f", "\x01", "\x07", "\x08", "\x0c", "\ud800"):
        assert illegal not in all_text
    assert "Dnr: 22RS5619" in all_text
    assert 'Insatsområde "Psykisk hälsa 🙂" – aktivitetsområden och aktiviteter' in all_text
    assert 'Delmål <1> & "2"' in all_text
    assert "&lt;&amp;&gt;" in body  # escaped, not raw markup
    answer = next(p for p in document.paragraphs if p.text.startswith("abcd"))
    assert answer.text == "abcde🙂 Å Ä Ö å ä ö <&>\" \u05e9\u05dc\u05d5\u05dd\tslut"
    assert "x" * 20_000 in all_text
    assert "sista" in all_text and "raden" in all_text and "slut" in all_text
    assert document.core_properties.author == "Åsa Öberg"
    assert document.core_properties.title == "Uppföljning av handlingsplaner"


def test_clean_text_strips_xml_illegal_characters_and_keeps_the_rest():
    assert clean_text("a\x00\x08\x0b\x0c\x0e\x1f\x7fb") == "ab"
    assert clean_text("tab\there\nnew line") == "tab\there\nnew line"
    assert clean_text("crlf\r\nand\rcr") == "crlf\nand\ncr"
    assert clean_text("lone\ud800 \udfffhalves") == "lone halves"
    assert clean_text("\ud83d\ude42") == "🙂"  # a split surrogate pair is rejoined
    assert clean_text("\ufffe\uffff") == ""
    kept = "Å Ä Ö å ä ö <&>\" 🙂 \u05e9\u05dc\u05d5\u05dd €"
    assert clean_text(kept) == kept
    assert clean_text(None) == ""


def test_large_report_builds_quickly():
    # 16 organisations × 20 sub-goals, 2,000 characters each written as ~30 short
    # paragraphs: ~10,000 paragraphs, enough to expose quadratic appending.
    answer = ("Lorem ipsum dolor sit amet, åäö ÅÄÖ. " * 2 + "\n") * 27
    assert len(answer) >= 2000
    data = make_data(
        chapters=[
            FocusAreaChapter(
                name=f"Insatsområde {c}",
                sub_goals=[
                    SubGoalSection(
                        plan=PLAN,
                        title=f"Delmål {c}.{g}",
                        answers=[OrganisationAnswer(f"Organisation {o}", answer) for o in range(16)],
                    )
                    for g in range(5)
                ],
            )
            for c in range(4)
        ]
    )
    started = time.perf_counter()
    blob = build_docx(data)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.5, f"building 16 × 20 answers took {elapsed:.2f} s"
    body = part_xml(blob, "word/document.xml")
    assert body.count('<w:pStyle w:val="Heading3"/>') == 16 * 20
    assert body.count("Lorem ipsum") == 16 * 20 * 27 * 2


@pytest.mark.parametrize("date", [dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 30)])
def test_date_is_printed_as_iso_day(date):
    all_text = "\n".join(texts(reopen(make_data(date=date))))
    assert "2026-01-05" in all_text
    assert "13:30" not in all_text
