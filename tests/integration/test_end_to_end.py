"""Steps 1–4 of the product, over HTTP, on PostgreSQL, with the report built by a real
Celery worker process over Redis."""
from __future__ import annotations

import datetime as dt
import io
import re
import time

import docx
from sqlalchemy import select

from tests.web import Browser, checkboxes, text_of
from webapp.extensions import db
from webapp.models import Answer

SUB_GOAL = "Delmål 5 – Sårbara barn får det stöd de behöver"
CHAPTER = 'Insatsområde "Sårbara barn och ungas rättigheter" – aktivitetsområden och aktiviteter'
KUMLA_DRAFT = "Kumla har börjat med familjehemsutbildning."
KUMLA_FINAL = ("Kumla har genomfört den länsgemensamma familjehemsutbildningen med 14 "
               "familjehem. Barnens röst: ”Det blev tryggare” – 100 % nöjda & <inga> avbrott.")
OREBRO_RETURNED = "Örebro skickar en text som granskaren returnerar och som aldrig godkänns."


def answer_page(b: Browser, contact: str, round_name: str = "Uppföljning 2027") -> str:
    b.login(contact)
    home = b.get("/svar/")
    overview = next(link for link in b.links(r"/svar/omgang/\d+/organisation/\d+")
                    if round_name in home.text.split(link, 1)[1][:200])
    b.get(overview)
    return b.links(r"/svar/omgang/\d+/organisation/\d+/delmal/\d+")[0]


def review(b: Browser, organisation: str, *, approve: bool, comment: str = "") -> None:
    """``b`` is the reviewer's own browser, signed in once (a TOTP code works only once)."""
    rounds = b.get("/granskning/")
    round_link = next(link for link in b.links(r"/granskning/omgang/\d+")
                      if "Uppföljning 2027" in rounds.text.split(link, 1)[1][:100])
    page = b.get(round_link)
    link = re.search(rf'href="(/granskning/svar/\d+)">(?:(?!</a>).)*– {organisation},',
                     page.text, flags=re.S).group(1)
    b.get(link)
    review_form = 'class="review-form"' in b.page.text
    assert review_form, "the answer offers no review actions"
    if approve:
        response = b.submit({"approve": "Godkänn"}, action=b.url)
        assert "Svaret är godkänt." in text_of(response)
    else:
        response = b.submit({"return_": "Returnera med kommentar", "comment": comment},
                            action=b.url)
        assert "Svaret är returnerat med din kommentar." in text_of(response)


def test_round_answer_review_and_report(browser: Browser, worker, demo) -> None:
    b = browser  # the contacts' browser
    admin, reviewer = Browser(demo.test_client()), Browser(demo.test_client())
    admin.login("admin@example.se")
    reviewer.login("granskare@example.se")
    # 1. The admin opens a round for one sub-goal, answered by Kumla and Örebro.
    page = admin.get("/admin/omgang/ny")
    sub_goals = checkboxes(page.text, "sub_goals")
    organisations = checkboxes(page.text, "organisations")
    chosen_goal = next(v for label, v in sub_goals.items() if label.startswith(SUB_GOAL))
    response = admin.submit({
        "name": "Uppföljning 2027", "year": "2027",
        "deadline": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
        "sub_goals": [chosen_goal],
        "organisations": [organisations["Kumla (kommun)"], organisations["Örebro (kommun)"]],
    })
    assert "Omgången Uppföljning 2027 är öppen." in text_of(response)
    round_url = admin.url

    # 2. Kumla's contact writes a draft, comes back to it, then submits.
    url = answer_page(b, "kumla@example.se")
    b.get(url)
    response = b.submit({"text": KUMLA_DRAFT, "save": "Spara utkast"})
    assert "Utkastet är sparat." in text_of(response)
    b.logout()
    b.login("kumla@example.se")
    page = b.get(url)
    assert KUMLA_DRAFT in page.text and "Utkast" in text_of(page)
    response = b.submit({"submit": "Spara och skicka in"})
    assert "är inskickat för granskning" in text_of(response)
    b.logout()

    # Örebro submits too; its answer will be returned and never approved.
    url_orebro = answer_page(b, "orebro@example.se")
    b.get(url_orebro)
    b.submit({"text": OREBRO_RETURNED, "submit": "Spara och skicka in"})
    b.logout()

    # 3. The reviewer returns both; Kumla sees the comment, edits, resubmits; approved.
    review(reviewer, "Kumla", approve=False, comment="Hur många familjehem deltog?")
    review(reviewer, "Örebro", approve=False, comment="Beskriv resultatet.")
    b.login("kumla@example.se")
    page = b.get(url)
    assert "Granskarens kommentar" in page.text and "Hur många familjehem deltog?" in page.text
    response = b.submit({"text": KUMLA_FINAL, "submit": "Spara och skicka in"})
    assert "är inskickat för granskning" in text_of(response)
    b.logout()
    review(reviewer, "Kumla", approve=True)

    # 4. The admin asks for the report; the worker builds it; the page offers the download.
    b = admin
    b.get(round_url)
    report_action = re.search(r'action="(/rapporter/omgang/\d+)"', b.page.text).group(1)
    response = b.submit({"registry_number": "27RS0042"}, action=report_action)
    assert "Rapporten byggs" in text_of(response)
    job_url = b.url
    deadline = time.monotonic() + 60
    while True:
        status = b.client.get(f"{job_url}/status").get_json()
        if status["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert status["state"] == "done", status
    page = b.get(job_url)
    assert "Ladda ner rapporten (.docx)" in page.text
    download = b.client.get(status["download_url"])
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")

    document = docx.Document(io.BytesIO(download.data))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    everything = "\n".join(text for _, text in paragraphs)
    chapter = paragraphs.index(("Heading 1", CHAPTER))
    goal = paragraphs.index(("Heading 2", SUB_GOAL), chapter)
    kumla = paragraphs.index(("Heading 3", "Kumla"), goal)
    assert paragraphs[kumla + 1][1] == KUMLA_FINAL
    assert "Dnr: 27RS0042" in everything
    assert OREBRO_RETURNED not in everything
    assert ("Heading 3", "Örebro") not in paragraphs
    assert KUMLA_DRAFT not in everything

    with demo.app_context():
        states = {a.text: a.state.value for a in db.session.scalars(select(Answer))}
    assert states[KUMLA_FINAL] == "approved" and states[OREBRO_RETURNED] == "returned"
