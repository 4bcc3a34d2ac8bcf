"""Steps a person takes in the browser, for end-to-end tests that start from an empty
database: a main contact delegates a sub-goal to a colleague, who answers through their own
personal link.

    from tests.e2e.people_steps import delegate_sub_goal, link_from_mail, answer_through_link

    login(page, main_contact_email)          # or follow the main contact's own link
    delegate_sub_goal(page, "Kim Kollega", "kim@kumla.example.se", "Delmål 2 …")
    # the invitation is an outbox row; once the worker has sent it (embedded default: a
    # .eml file in <UPPFOLJNING_INSTANCE>/mail), the colleague's link is in it:
    url = link_from_mail(Path(instance) / "mail", "kim@kumla.example.se")
    answer_through_link(other_page, url, "Delmål 2 …", {"Vad har ni gjort …?": "…"})

The organisation must have a main contact first (the unit marks one on its Personer pages).
"""
from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from playwright.sync_api import Page, expect


def open_colleagues(page: Page) -> None:
    """From the organisation's overview (where a signed-in contact lands)."""
    page.get_by_role("link", name="Kollegor och vem som ansvarar för vilket delmål").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kollegor och ansvar")


def invite_colleague(page: Page, name: str, email: str, title: str = "") -> None:
    page.get_by_label("Namn", exact=True).fill(name)
    page.get_by_label("E-postadress").fill(email)
    if title:
        page.get_by_label("Titel (frivilligt)").fill(title)
    page.get_by_role("button", name="Bjud in kollegan").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text(
        f"{name} är inbjuden")


def make_responsible(page: Page, sub_goal_title: str, colleague_name: str) -> None:
    """On the colleagues page: the select labelled with the sub-goal's title."""
    page.get_by_label(sub_goal_title, exact=True).select_option(label=colleague_name)
    page.get_by_role("button", name="Spara vem som ansvarar").click()
    expect(page.get_by_role("status").first).to_contain_text("Ansvaret för delmålen är sparat.")


def delegate_sub_goal(page: Page, colleague_name: str, colleague_email: str,
                      sub_goal_title: str) -> None:
    """A signed-in main contact, on their overview: invite the colleague, make them
    responsible for the sub-goal, and back to the overview, which names them."""
    open_colleagues(page)
    invite_colleague(page, colleague_name, colleague_email)
    make_responsible(page, sub_goal_title, colleague_name)
    page.get_by_role("link", name=re.compile("Tillbaka till översikten")).click()
    row = page.get_by_role("row").filter(has_text=sub_goal_title)
    expect(row).to_contain_text(colleague_name)


def link_from_mail(folder: Path, email: str, timeout: float = 30.0) -> str:
    """The personal link in the newest mail to ``email`` among the .eml files the embedded
    default writes (the worker must be running to send them)."""
    deadline = time.monotonic() + timeout
    while True:
        for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime,
                           reverse=True):
            message = message_from_bytes(path.read_bytes(), policy=default_policy)
            if message["To"].lower() == email.lower():
                body = message.get_body(("plain",)).get_content()
                found = re.search(r"https?://\S+/lank/[A-Za-z0-9_-]+", body)
                if found:
                    return found.group(0)
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail with a personal link to {email} in {folder}")
        time.sleep(0.5)


def answer_through_link(page: Page, url: str, sub_goal_title: str,
                        fields: dict[str, str]) -> None:
    """The colleague opens their link, presses Fortsätt, fills the sub-goal's questions
    (label -> text) and submits it."""
    page.goto(url)
    page.get_by_role("button", name="Fortsätt").click()
    page.get_by_role("link", name=sub_goal_title, exact=True).click()
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Spara och skicka in").click()
    expect(page.get_by_role("status").first).to_contain_text("är inskickat för granskning")
