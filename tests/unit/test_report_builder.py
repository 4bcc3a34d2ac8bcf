"""Tests for worker.report.builder: build a .docx from plain data, reopen it, read it."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import pytest
from docx.oxml.ns import qn

from worker.report.builder import (
    REQUIRED_STYLES,
    TIMELINE_FILL,
    build_docx,
    clean_text,
    join_samt,
    missing_styles,
    timeline_years,
)
from worker.report.charts import status_chart_description, status_chart_png
from worker.report.data import (
    FocusAreaChapter,
    OrganisationAnswer,
    OrganisationRate,
    Provenance,
    ReportData,
    StatusRow,
    SubGoalSection,
    TextSection,
    TimelineActivity,
)

PLAN = "Handlingsplan Social välfärd 2019–2022"
TOC_PLACEHOLDER = "Högerklicka och välj Uppdatera fält för att visa innehållsförteckningen."


def make_data(**overrides) -> ReportData:
    values = dict(
        title="Uppföljning av handlingsplaner",
        unit="Område välfärd och folkhälsa",
        region="Region Örebro län",
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
                            OrganisationAnswer("Kumla", "Kumla har startat en samverkansgrupp.\n"
                                                        "Den träffas varje månad."),
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


def test_large_report_keeps_every_answer_and_paragraph():
    # 16 organisations × 20 sub-goals, 2,000 characters each written as ~30 short
    # paragraphs: ~10,000 paragraphs. How fast it builds is measured in benches/report.py.
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
    blob = build_docx(data)
    body = part_xml(blob, "word/document.xml")
    assert body.count('<w:pStyle w:val="Heading3"/>') == 16 * 20
    assert body.count("Lorem ipsum") == 16 * 20 * 27 * 2


@pytest.mark.parametrize("date", [dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 30)])
def test_date_is_printed_as_iso_day(date):
    all_text = "\n".join(texts(reopen(make_data(date=date))))
    assert "2026-01-05" in all_text
    assert "13:30" not in all_text


# --- timeline, running text, paused activities, cross-references ------------------------

SIP = "Samordnad individuell plan (SIP)"
SIP_SHORT = "Samordnad individuell plan"  # a prefix of SIP: the longer name must win
FAMILY = "Länsgemensam familjehemsutbildning"
VIOLENCE = "Våld i ungas nära relationer"
ANSWER = (f"Vi har infört {SIP} och {SIP_SHORT} i Kumla. {FAMILY} är pausad, "
          "samordnad individuell plan med liten bokstav är inget namn.")
SEE_ALSO = ["God och nära vård", "Psykisk hälsa", "Kompetensförsörjning"]


def timeline_chapter(**overrides) -> FocusAreaChapter:
    values = dict(
        name="Sårbara barn och ungas rättigheter",
        sub_goals=[SubGoalSection(plan=PLAN, title="Delmål 3 – Barns delaktighet",
                                  answers=[OrganisationAnswer("Kumla", ANSWER)])],
        activities=[
            TimelineActivity(SIP, "Region Örebro län", "Välfärd och folkhälsa", 2020, 2021, "Pågår", False),
            TimelineActivity(FAMILY, "Kumla", "Socialtjänsten", 2017, None, "Pausad", True,
                             description="Utbildning för familjehem.\nAndra raden."),
            TimelineActivity(SIP_SHORT, "Region Örebro län", None, None, None, "Pågår", False),
            TimelineActivity(VIOLENCE, "Kumla", "  ", 2022, 2030, "Planeras", True),
        ],
        see_also=SEE_ALSO,
    )
    values.update(overrides)
    return FocusAreaChapter(**values)


def timeline_data(**overrides) -> ReportData:
    values = dict(chapters=[timeline_chapter()], period=(2019, 2023), current_year=2022)
    values.update(overrides)
    return make_data(**values)


def cell_texts(row) -> list[str]:
    return ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in row._tr.tc_lst]


def fills(row) -> list[str | None]:
    out = []
    for tc in row._tr.tc_lst:
        shd = tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}")
        out.append(None if shd is None else shd.get(qn("w:fill")))
    return out


def is_header_row(row) -> bool:
    return row._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None


def runs_of(paragraph) -> list[tuple[str, bool]]:
    return [(run.text, bool(run.bold)) for run in paragraph.runs]


def test_timeline_table_has_year_columns_idag_marker_groups_filled_years_and_unit_rows():
    document = reopen(timeline_data())
    table = document.tables[0]
    rows = table.rows
    years = ["2019", "2020", "2021", "2022", "2023"]
    assert cell_texts(rows[0]) == [""] + years
    assert cell_texts(rows[1]) == ["Enhet", "", "", "", "Idag", ""]  # 2022 is the fourth year
    assert [is_header_row(r) for r in rows[:3]] == [True, True, False]

    mark, blank = "■", ""
    expected = [
        ["Region Örebro län"],
        [SIP, blank, mark, mark, blank, blank],                  # 2020–2021
        ["Enhet: Välfärd och folkhälsa", "", "", "", "", ""],
        [SIP_SHORT, mark, mark, mark, mark, mark],               # no years: the whole period
        ["Enhet: –", "", "", "", "", ""],
        ["Kumla"],                                               # groups in order of first appearance
        [FAMILY, mark, mark, mark, mark, mark],                  # 2017– clamped to 2019–2023
        ["Enhet: Socialtjänsten", "", "", "", "", ""],
        [VIOLENCE, blank, blank, blank, mark, mark],             # 2022–2030 clamped to 2022–2023
        ["Enhet: –", "", "", "", "", ""],
    ]
    assert [cell_texts(r) for r in rows[2:]] == expected

    # filled means shaded AND marked: the fill is exactly on the activity's years
    assert fills(rows[3]) == [None, None, TIMELINE_FILL, TIMELINE_FILL, None, None]
    assert fills(rows[10]) == [None, None, None, None, TIMELINE_FILL, TIMELINE_FILL]
    assert fills(rows[4]) == [None] * 6

    # the group row is one cell spanning all six grid columns, in bold
    group_tc = rows[2]._tr.tc_lst
    assert len(group_tc) == 1
    assert group_tc[0].tcPr.find(qn("w:gridSpan")).get(qn("w:val")) == "6"
    assert all(r.bold for p in rows[2].cells[0].paragraphs for r in p.runs)

    tbl_pr = table._tbl.tblPr
    assert "Sårbara barn och ungas rättigheter" in tbl_pr.find(qn("w:tblCaption")).get(qn("w:val"))
    assert tbl_pr.find(qn("w:tblDescription")).get(qn("w:val"))


def test_timeline_comes_right_after_the_chapter_heading_and_is_absent_without_activities():
    document = reopen(timeline_data())
    body = document.element.body
    heading = next(p for p in body.iter(qn("w:p"))
                   if "".join(t.text for t in p.iter(qn("w:t"))).startswith("Insatsområde"))
    following = heading.getnext()
    assert following.getnext().tag == qn("w:tbl")  # heading, caption, table
    assert document.tables[0]._tbl is following.getnext()
    assert reopen(make_data()).tables == []


def test_timeline_without_current_year_has_no_idag_and_period_none_uses_the_activities_years():
    table = reopen(timeline_data(current_year=None)).tables[0]
    assert "Idag" not in cell_texts(table.rows[1])
    derived = reopen(timeline_data(period=None, current_year=2022)).tables[0]
    # SIP 2020–2021, FAMILY 2017–, VIOLENCE –2030: columns 2017..2030
    assert cell_texts(derived.rows[0])[1] == "2017" and cell_texts(derived.rows[0])[-1] == "2030"


def test_activity_names_are_bold_in_the_answer_text_and_the_rest_is_not():
    document = reopen(timeline_data())
    answer = next(p for p in document.paragraphs if p.text == ANSWER)
    assert runs_of(answer) == [
        ("Vi har infört ", False),
        (SIP, True),
        (" och ", False),
        (SIP_SHORT, True),
        (" i Kumla. ", False),
        (FAMILY, True),
        (" är pausad, samordnad individuell plan med liten bokstav är inget namn.", False),
    ]


def test_only_the_chapters_own_activity_names_are_bold():
    other = FocusAreaChapter(
        name="Psykisk hälsa",
        sub_goals=[SubGoalSection(plan=PLAN, title="Delmål 9",
                                  answers=[OrganisationAnswer("Nora", f"Nora nämner {FAMILY}.")])],
    )
    document = reopen(timeline_data(chapters=[timeline_chapter(), other]))
    nora = next(p for p in document.paragraphs if p.text == f"Nora nämner {FAMILY}.")
    assert not any(run.bold for run in nora.runs)


def test_paused_activities_are_a_bold_bullet_list_and_descriptions_are_listed():
    paragraphs = reopen(timeline_data()).paragraphs
    i = next(i for i, p in enumerate(paragraphs) if p.text == "Följande aktiviteter har pausats:")
    bullets = paragraphs[i + 1:i + 3]
    assert [(p.style.name, p.text) for p in bullets] == [("List Bullet", FAMILY), ("List Bullet", VIOLENCE)]
    assert all(run.bold for p in bullets for run in p.runs)
    assert paragraphs[i + 3].style.name != "List Bullet"

    heading = next(k for k, p in enumerate(paragraphs) if p.text == "Aktiviteter")
    assert paragraphs[heading].style.name == "Heading 2"
    assert heading < i
    described = paragraphs[heading + 1]
    assert runs_of(described) == [(FAMILY, True), (": Utbildning för familjehem.", False)]
    assert paragraphs[heading + 2].text == "Andra raden."


def test_no_paused_list_or_activities_heading_without_paused_or_described_activities():
    chapter = timeline_chapter(activities=[
        TimelineActivity(SIP, "Region Örebro län", None, 2020, 2021, "Pågår", False)])
    all_text = texts(reopen(timeline_data(chapters=[chapter])))
    assert "Följande aktiviteter har pausats:" not in all_text
    assert "Aktiviteter" not in all_text


def test_cross_reference_sentence_ends_the_chapter_with_samt():
    paragraphs = reopen(timeline_data(chapters=[timeline_chapter(), FocusAreaChapter(name="Nästa")])).paragraphs
    next_chapter = next(i for i, p in enumerate(paragraphs) if "Nästa" in p.text)
    sentence = paragraphs[next_chapter - 1]
    assert sentence.text == (
        "Fler aktiviteter som berör insatsområdet Sårbara barn och ungas rättigheter finns också "
        "under God och nära vård, Psykisk hälsa samt Kompetensförsörjning."
    )
    assert runs_of(sentence)[0] == ("Fler aktiviteter", True)
    assert not any(bold for _, bold in runs_of(sentence)[1:])
    assert "Fler aktiviteter" not in "\n".join(texts(reopen(make_data())))


@pytest.mark.parametrize("start, end, expected", [
    (2020, 2021, [2020, 2021]),
    (None, None, [2019, 2020, 2021, 2022, 2023]),
    (2017, None, [2019, 2020, 2021, 2022, 2023]),
    (None, 2020, [2019, 2020]),
    (2022, 2030, [2022, 2023]),
    (2024, 2026, []),
    (2021, 2020, [2020, 2021]),  # reversed input is read as a range, not dropped
])
def test_timeline_years_fill_missing_ends_and_clamp_to_the_period(start, end, expected):
    activity = TimelineActivity("A", "G", None, start, end, "Pågår", False)
    assert timeline_years(activity, (2019, 2023)) == expected


@pytest.mark.parametrize("names, expected", [
    ([], ""),
    (["A"], "A"),
    (["A", "B"], "A samt B"),
    (["A", "B", "C"], "A, B samt C"),
])
def test_join_samt(names, expected):
    assert join_samt(names) == expected


# --- foreword signature, intro and closing sections, heading order -----------------------

def test_signature_intro_and_closing_sections_are_placed_around_the_chapters():
    data = timeline_data(
        foreword_signature="Anna Andersson, områdeschef",
        intro_sections=[TextSection("Pandemins påverkan", "Första.\n\nAndra."),
                        TextSection("Några utvecklingsområden", "Tredje.")],
        closing_sections=[TextSection("Avslutning", "Sista.")],
        status_rows=[StatusRow("Psykisk hälsa", 1, 0, 0, 0, 0)],
        provenance=[],
    )
    paragraphs = reopen(data).paragraphs
    t = [p.text for p in paragraphs]
    signature = t.index("Anna Andersson, områdeschef")
    assert t[signature - 1] == "Andra stycket i förordet."
    assert all(run.italic for run in paragraphs[signature].runs)
    order = [t.index(x) for x in ("Innehåll", "Pandemins påverkan", "Första.", "Andra.",
                                  "Några utvecklingsområden", "Tredje.")]
    assert order == sorted(order)
    first_chapter = next(i for i, x in enumerate(t) if x.startswith("Insatsområde"))
    assert t.index("Tredje.") < first_chapter
    later = [t.index(x) for x in ("Sammanställning av läget", "Avslutning", "Sista.", "Bilaga: Underlag")]
    assert first_chapter < later[0] and later == sorted(later)
    assert paragraphs[t.index("Pandemins påverkan")].style.name == "Heading 1"


def test_headings_never_skip_a_level_and_only_required_styles_are_used():
    data = timeline_data(
        intro_sections=[TextSection("Pandemins påverkan", "Text.")],
        status_rows=[StatusRow("Psykisk hälsa", 1, 0, 0, 0, 0)],
        provenance=[Provenance("Kumla", "Delmål 3", 2, "Greta Granskare", dt.date(2026, 3, 1))],
    )
    blob = build_docx(data)
    document = docx.Document(io.BytesIO(blob))
    levels = [int(p.style.name.split()[-1]) for p in document.paragraphs if p.style.name.startswith("Heading")]
    previous = 0
    for level in levels:
        assert level <= previous + 1, levels
        previous = level
    used = {el.get(qn("w:val")) for el in document.element.body.iter(qn("w:pStyle"), qn("w:tblStyle"))}
    required_ids = {document.styles[name].style_id for name in REQUIRED_STYLES}
    assert used <= required_ids, used - required_ids


# --- footer ------------------------------------------------------------------------

def test_footer_reads_sida_x_of_y_with_page_and_numpages_fields():
    footer = reopen(make_data()).sections[0].footer
    paragraph = footer.paragraphs[-1]
    assert paragraph.text.startswith("Sida 1 (1) | Uppföljning av handlingsplaner | Datum: 2026-04-22")
    assert paragraph.text.endswith("| Region Örebro län")
    instructions = [el.text.strip() for el in paragraph._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]


# --- status summary and chart ------------------------------------------------------------

STATUS = [StatusRow("God och nära vård", 3, 1, 0, 2, 5), StatusRow("Psykisk hälsa", 1, 2, 1, 1, 0)]
STATUS_DESCRIPTION = (
    "Diagram: antal svar per insatsområde och läge. "
    "God och nära vård: 3 godkända, 1 inskickat, 0 returnerade, 2 utkast, 5 ej påbörjade. "
    "Psykisk hälsa: 1 godkänt, 2 inskickade, 1 returnerat, 1 utkast, 0 ej påbörjade."
)


def test_status_table_and_chart_with_swedish_alt_text():
    data = make_data(status_rows=STATUS, organisation_rates=[OrganisationRate("Kumla", 85, 60)])
    blob = build_docx(data)
    document = docx.Document(io.BytesIO(blob))
    assert "Sammanställning av läget" in texts(document)

    status = next(t for t in document.tables if cell_texts(t.rows[0])[0] == "Insatsområde")
    assert cell_texts(status.rows[0]) == ["Insatsområde", "Godkända", "Inskickade", "Returnerade",
                                          "Utkast", "Ej påbörjade"]
    assert is_header_row(status.rows[0]) and not is_header_row(status.rows[1])
    assert cell_texts(status.rows[1]) == ["God och nära vård", "3", "1", "0", "2", "5"]

    rates = next(t for t in document.tables if cell_texts(t.rows[0])[0] == "Organisation")
    assert cell_texts(rates.rows[0]) == ["Organisation", "Besvarat (%)", "Godkänt (%)"]
    assert cell_texts(rates.rows[1]) == ["Kumla", "85", "60"]

    assert len(document.inline_shapes) == 1
    doc_pr = document.inline_shapes[0]._inline.find(qn("wp:docPr"))
    assert doc_pr.get("descr") == STATUS_DESCRIPTION
    assert status_chart_description(STATUS) == STATUS_DESCRIPTION
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        images = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(images) == 1 and z.read(images[0]).startswith(b"\x89PNG")


def test_no_summary_chapter_or_picture_without_status_rows():
    document = reopen(make_data())
    assert "Sammanställning av läget" not in texts(document)
    assert len(document.inline_shapes) == 0


def test_status_chart_png_is_a_16_cm_wide_png_at_150_dpi():
    png = status_chart_png(STATUS)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert 900 <= width <= 990  # 16 cm at 150 dpi ≈ 945 px
    assert status_chart_png([]).startswith(b"\x89PNG")  # no rows: still a picture, no crash


# --- provenance appendix -----------------------------------------------------------------

def test_provenance_appendix_only_when_provenance_is_given():
    assert "Bilaga: Underlag" not in texts(reopen(make_data()))

    provenance = [Provenance("Kumla", "Delmål 3 – Barns delaktighet", 2, "Greta Granskare", dt.date(2026, 3, 1)),
                  Provenance("Nora", "Delmål 4", 1, "Greta Granskare", None)]
    document = reopen(make_data(provenance=provenance))
    heading = next(p for p in document.paragraphs if p.text == "Bilaga: Underlag")
    assert heading.style.name == "Heading 1"
    table = document.tables[-1]
    assert cell_texts(table.rows[0]) == ["Organisation", "Delmål", "Version", "Granskare", "Godkänt"]
    assert is_header_row(table.rows[0])
    assert cell_texts(table.rows[1]) == ["Kumla", "Delmål 3 – Barns delaktighet", "2", "Greta Granskare", "2026-03-01"]
    assert cell_texts(table.rows[2])[-1] == "–"

    empty = reopen(make_data(provenance=[]))
    assert "Bilaga: Underlag" in texts(empty) and empty.tables == []


# --- templates ---------------------------------------------------------------------------

def make_template(*, drop_style: str | None = None) -> bytes:
    template = docx.Document()
    template.styles["Normal"].font.name = "Garamond"
    template.sections[0].header.paragraphs[0].text = "Mallens sidhuvud"
    template.sections[0].left_margin = docx.shared.Cm(3.1)
    template.add_paragraph("Mallens exempeltext som ska bort")
    buffer = io.BytesIO()
    template.save(buffer)
    blob = buffer.getvalue()
    if drop_style is None:
        return blob
    # remove the style from styles.xml by hand, as a template made elsewhere might lack it
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "word/styles.xml":
                from lxml import etree
                root = etree.fromstring(payload)
                for style in root.findall(qn("w:style")):
                    if style.find(qn("w:name")).get(qn("w:val")).lower() == drop_style.lower():
                        root.remove(style)
                payload = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            target.writestr(info, payload)
    return out.getvalue()


def test_template_styles_page_setup_and_header_are_kept_and_its_body_is_replaced():
    document = docx.Document(io.BytesIO(build_docx(timeline_data(), template=make_template())))
    assert document.styles["Normal"].font.name == "Garamond"
    assert "Mallens sidhuvud" in document.sections[0].header.paragraphs[0].text
    assert abs(document.sections[0].left_margin - docx.shared.Cm(3.1)) < docx.shared.Cm(0.01)
    all_text = texts(document)
    assert "Mallens exempeltext som ska bort" not in all_text
    assert all_text[0] == "Uppföljning av handlingsplaner"
    assert document.tables  # the timeline is there
    assert document.sections[0].footer.paragraphs[-1].text.startswith("Sida ")


def test_missing_styles_names_what_a_template_lacks():
    assert missing_styles(make_template()) == []
    assert missing_styles(make_template(drop_style="heading 3")) == ["Heading 3"]
    assert missing_styles(make_template(drop_style="Table Grid")) == ["Table Grid"]


def test_a_template_missing_a_style_still_builds_with_a_copy_of_the_default_style():
    document = docx.Document(io.BytesIO(build_docx(make_data(), template=make_template(drop_style="heading 3"))))
    kumla = next(p for p in document.paragraphs if p.text == "Kumla")
    assert kumla.style.name == "Heading 3"


def test_a_word_template_file_dotx_is_accepted():
    with zipfile.ZipFile(io.BytesIO(make_template())) as source:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                payload = source.read(info.filename)
                if info.filename == "[Content_Types].xml":
                    payload = payload.replace(b"wordprocessingml.document.main+xml",
                                              b"wordprocessingml.template.main+xml")
                target.writestr(info, payload)
    dotx = out.getvalue()
    assert missing_styles(dotx) == []
    document = docx.Document(io.BytesIO(build_docx(make_data(), template=dotx)))
    assert document.styles["Normal"].font.name == "Garamond"


@pytest.mark.parametrize("blob", [b"", b"not a word file", b"PK\x03\x04broken zip", b"%PDF-1.7\n"])
def test_unreadable_template_raises_a_swedish_value_error(blob):
    with pytest.raises(ValueError, match="Mallen kunde inte läsas"):
        missing_styles(blob)
    with pytest.raises(ValueError, match="Mallen kunde inte läsas"):
        build_docx(make_data(), template=blob)


def test_a_zip_that_is_not_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "hej")
    with pytest.raises(ValueError, match="Mallen kunde inte läsas"):
        missing_styles(buffer.getvalue())


# --- robustness of the new parts ----------------------------------------------------------

MARKUP = ["<w:p>", "{{ x }}", "**", "&amp;", "</w:t></w:r>"]


def test_huge_answer_with_control_chars_emoji_rtl_marks_and_markup_is_literal_text():
    odd_name = "Projekt <w:p> & {{ x }} **"
    piece = ("Rad\x00 med\x01\x1b kontroll 🙂 \u200f\u202eRTL\u202c\u200e <w:p> {{ x }} ** &amp; "
             f"</w:t></w:r> {odd_name} slut\ud800.\n")
    huge = (piece * (100_000 // len(piece) + 1))[:100_000]
    lines = huge.count("\n")
    chapter = timeline_chapter(
        name="Udda <tecken> & {{ kapitel }}\x07",
        sub_goals=[SubGoalSection(plan=PLAN, title="Delmål **1**", answers=[OrganisationAnswer("Örebro", huge)])],
        activities=[TimelineActivity(odd_name + "\x0b", "Grupp <b>", "Enhet &amp;", 2020, 2021, "Pågår", True,
                                     description="{{ beskrivning }} <w:p>")],
        see_also=["**Fet?**", "<w:p>"],
    )
    blob = build_docx(timeline_data(chapters=[chapter]))
    document = docx.Document(io.BytesIO(blob))
    all_text = "\n".join(texts(document))
    for illegal in ("\x00", "\x01", "\x1b", "\x0b", "\x07", "\ud800"):
        assert illegal not in all_text
    expected_line = clean_text(piece.rstrip("\n"))
    answer_lines = [p for p in document.paragraphs if p.text == expected_line]
    assert len(answer_lines) == lines
    for token in MARKUP:
        assert token in expected_line
    # the activity name is bold, even inside odd text, and nothing else is
    assert [t for t, bold in runs_of(answer_lines[0]) if bold] == [odd_name]
    assert "\u200f" in expected_line and "🙂" in expected_line
    assert all_text.count("Projekt <w:p> & {{ x }} **") >= lines
    assert "Följande aktiviteter har pausats:" in all_text
    assert "under **Fet?** samt <w:p>." in all_text
    body = part_xml(blob, "word/document.xml")
    assert "&lt;w:p&gt;" in body and "&amp;amp;" in body
    table = document.tables[0]
    assert cell_texts(table.rows[2]) == ["Grupp <b>"]
    assert cell_texts(table.rows[4])[0] == "Enhet: Enhet &amp;"


def test_full_size_report_holds_every_part():
    # 16 organisations × 13 sub-goals over 8 chapters, 160 activities, ~2,000-character
    # answers that mention activities. Its speed is measured in benches/report.py.
    organisations = [f"Organisation {o}" for o in range(16)]
    chapters = []
    for c in range(8):
        activities = [TimelineActivity(f"Aktivitet {c}.{a} om samverkan", organisations[a % 16], f"Enhet {a}",
                                       2019 + a % 4, None, "Pågår", a % 7 == 0) for a in range(20)]
        answer = "".join(f"Vi arbetar med {activities[k % 20].name} och fortsätter. Lorem ipsum åäö.\n"
                         for k in range(30))
        sub_goals = [SubGoalSection(plan=PLAN, title=f"Delmål {c}.{g}",
                                    answers=[OrganisationAnswer(o, answer) for o in organisations])
                     for g in range(2 if c < 5 else 1)]
        chapters.append(FocusAreaChapter(f"Insatsområde {c}", sub_goals, activities, SEE_ALSO))
    data = make_data(
        chapters=chapters, period=(2019, 2023), current_year=2022,
        status_rows=[StatusRow(f"Insatsområde {c}", 3, 1, 0, 2, 5) for c in range(8)],
        organisation_rates=[OrganisationRate(o, 80, 60) for o in organisations],
        provenance=[Provenance(o, f"Delmål {g}", 1, "Greta", dt.date(2026, 3, 1))
                    for o in organisations for g in range(13)],
    )
    assert sum(len(a.text) for ch in chapters for sg in ch.sub_goals for a in sg.answers) >= 13 * 16 * 2000
    blob = build_docx(data)
    body = part_xml(blob, "word/document.xml")
    assert body.count("<w:tblHeader/>") == 8 * 2 + 3  # timelines: two header rows; three summary tables


def _png_1x1() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_clean_template_keeps_the_header_logo() -> None:
    """Issue 16: only what a template needs survives the upload, and it still builds."""
    import io as _io
    import zipfile as _zipfile

    from docx import Document as _Document

    from worker.report.builder import build_docx, clean_template

    template = _Document()
    template.sections[0].header.paragraphs[0].add_run().add_picture(_io.BytesIO(_png_1x1()))
    template.add_paragraph().add_run().add_picture(_io.BytesIO(_png_1x1()))
    buffer = _io.BytesIO()
    template.save(buffer)
    before = set(_zipfile.ZipFile(buffer).namelist())
    cleaned = clean_template(buffer.getvalue())
    after = set(_zipfile.ZipFile(_io.BytesIO(cleaned)).namelist())
    header_media = {n for n in after if n.startswith("word/media/")}
    assert len(header_media) == 1 and header_media <= before
    report = _Document(_io.BytesIO(build_docx(make_data(), template=cleaned)))
    header = report.sections[0].header
    assert header.part.related_parts  # the logo is still there in the built report
