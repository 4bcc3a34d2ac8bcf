"""One rule set, seen from the pages: the plan page and the new-round page refuse the same
year with the same words, and take the same years (the round page refused 1999 before)."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.web import Browser, checkboxes, csrf_token, text_of
from webapp.extensions import db
from webapp.models import ActionPlan, Round
from webapp.models.constraints import FIRST_YEAR, LAST_YEAR

ADMIN = "admin@example.se"
MESSAGE = f"Ange ett år mellan {FIRST_YEAR} och {LAST_YEAR}."


def _post_round(browser: Browser, demo: Flask, year: int) -> tuple[int, str]:
    page = browser.get("/admin/omgang/ny")
    sub_goals = checkboxes(page.text, "sub_goals")
    organisations = checkboxes(page.text, "organisations")
    askersund = organisations["Askersund (kommun)"]
    response = browser.client.post("/admin/omgang/ny", data={
        "csrf_token": csrf_token(page), "name": f"Uppföljning {year}", "year": str(year),
        "opens_on": "2030-01-01", "deadline": "2030-02-01", "reminder_days": "3",
        "sub_goals": next(iter(sub_goals.values())), "organisations": askersund})
    return response.status_code, text_of(response)


def _rounds(demo: Flask) -> int:
    with demo.app_context():
        return db.session.scalar(select(func.count(Round.id)))


@pytest.mark.parametrize("year", [FIRST_YEAR - 1, LAST_YEAR + 1])
def test_the_plan_page_and_the_round_page_refuse_the_same_year_alike(
        browser: Browser, demo: Flask, year: int) -> None:
    browser.login(ADMIN)
    with demo.app_context():
        plan_id = db.session.scalar(select(ActionPlan.id).where(
            ActionPlan.key == "social-valfard"))
    browser.get(f"/admin/struktur/handlingsplan/{plan_id}")
    page = browser.submit({"period_start": str(year), "period_end": str(year)}, expect=422)
    assert MESSAGE in text_of(page)

    rounds = _rounds(demo)
    status, text = _post_round(browser, demo, year)
    assert status == 422 and MESSAGE in text
    assert _rounds(demo) == rounds


def test_a_round_can_follow_up_any_year_a_plan_can_have(browser: Browser, demo: Flask) -> None:
    browser.login(ADMIN)
    rounds = _rounds(demo)
    status, text = _post_round(browser, demo, 1999)
    assert status in (302, 303), text
    assert _rounds(demo) == rounds + 1
