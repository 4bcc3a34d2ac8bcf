"""HTTP steps for "a main contact delegates a sub-goal to a colleague, who answers through
their own link", for tests driving the app with tests.web.Browser (e.g. the empty-database
end-to-end test). The organisation needs a main contact first (the unit marks one).

    from tests.delegation import answer_through_link, delegate_sub_goal

    # Karin (main contact) is signed in, on her organisation's overview (contact.url):
    delegate_sub_goal(contact, contact.url, "Delmål 5", "Kalle Kumla")
    # or invite a new colleague first: ..., "Kalle Kumla", invite_email="kalle@kumla.example"
    invitation = wait_for_mail(inbox, "kalle.kumla@kumla.example", "Inbjudan")
    kalle = answer_through_link(Browser(app.test_client()), link_in(invitation, "/lank/"),
                                "Delmål 5", {"text": ANSWER})
"""
from __future__ import annotations

import html
import re

from tests.web import Browser, text_of


def _overview_path(url: str) -> str:
    found = re.search(r"/svar/omgang/\d+/organisation/\d+", url)
    assert found, f"not an organisation's overview: {url}"
    return found.group(0)


def invite_colleague(main: Browser, overview_url: str, name: str, email: str,
                     title: str = "") -> None:
    base = _overview_path(overview_url)
    main.get(base + "/kollegor")
    response = main.submit({"name": name, "email": email, "title": title},
                           action=base + "/kollegor/bjud-in")
    assert f"{name} är inbjuden" in text_of(response), text_of(response)[:500]


def make_responsible(main: Browser, overview_url: str, sub_goal_prefix: str,
                     colleague_name: str) -> None:
    """Choose ``colleague_name`` in the select of the sub-goal whose title starts with
    ``sub_goal_prefix`` (the other sub-goals keep what they had), and save."""
    base = _overview_path(overview_url)
    page = main.get(base + "/kollegor").text
    labels = {html.unescape(t).strip(): f for f, t in
              re.findall(r'<label for="(delmal_\d+)">(.*?)</label>', page, re.S)}
    field = next((f for t, f in labels.items() if t.startswith(sub_goal_prefix)), None)
    assert field, f"no sub-goal starting with {sub_goal_prefix!r} among {list(labels)}"
    select = re.search(rf'<select[^>]*name="{field}".*?</select>', page, re.S).group(0)
    value = re.search(rf'<option[^>]*value="(\d+)"[^>]*>{re.escape(html.escape(colleague_name))}'
                      r'</option>', select)
    assert value, f"{colleague_name} is not among the colleagues to choose"
    response = main.submit({field: value.group(1)}, action=base + "/kollegor/ansvar")
    assert "Ansvaret för delmålen är sparat." in text_of(response)


def delegate_sub_goal(main: Browser, overview_url: str, sub_goal_prefix: str,
                      colleague_name: str, *, invite_email: str | None = None) -> None:
    """The main contact (signed in) makes a colleague responsible for a sub-goal, inviting
    them first when ``invite_email`` is given; the overview then names them."""
    if invite_email:
        invite_colleague(main, overview_url, colleague_name, invite_email)
    make_responsible(main, overview_url, sub_goal_prefix, colleague_name)
    overview = main.get(_overview_path(overview_url)).text
    row = next(r for r in re.findall(r"<tr>.*?</tr>", overview, re.S)
               if sub_goal_prefix in html.unescape(r))
    assert html.escape(colleague_name) in row, row


def answer_through_link(colleague: Browser, link: str, sub_goal_prefix: str,
                        fields: dict[str, str]) -> Browser:
    """The colleague opens their personal link, presses Fortsätt, opens the sub-goal and
    submits ``fields`` (the question fields by name, e.g. {"text": ...})."""
    colleague.get(link)
    colleague.submit({})  # "Fortsätt": only the button signs in
    overview = colleague.page.text
    href = next(h for h, t in re.findall(
        r'<a href="(/svar/omgang/\d+/organisation/\d+/delmal/\d+)">(.*?)</a>', overview, re.S)
        if html.unescape(t).strip().startswith(sub_goal_prefix))
    colleague.get(href)
    response = colleague.submit({**fields, "submit": "Spara och skicka in"}, action=href)
    assert "är inskickat för granskning" in text_of(response), text_of(response)[:500]
    return colleague
