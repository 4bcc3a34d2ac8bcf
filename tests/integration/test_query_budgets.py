"""Query budgets: the number of SQL statements a page runs must not grow with the data.

Each page is measured on the demo data, then again after adding many more organisations
(as the round's recipients, with answers in every state), sub-goals in the round and
activities. A page whose count grows with the rows is an N+1 query."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event, select

from tests.web import Browser
from webapp.extensions import db
from webapp.models import (
    ActionPlan,
    Activity,
    ActivityReport,
    ActivityStatus,
    Answer,
    AnswerRevision,
    Organisation,
    OrganisationKind,
    Round,
    RoundRecipient,
    RoundSubGoal,
    SubGoal,
    Submission,
    User,
)
from webapp.models.activities import activity_report_sub_goals
from webapp.workflows.review import ReviewState

ROUND_ID = 1
EXTRA_ORGANISATIONS = 40
EXTRA_SUB_GOALS = 10
EXTRA_ACTIVITIES = 50
# Constant-size lookups (one more distinct action plan, say) may add a statement or two.
TOLERANCE = 2


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs (the engine is shared by
    all app contexts, the test client's requests included)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def measure(app: Flask, browser: Browser, url: str) -> list[str]:
    browser.get(url)  # warm-up: the first request may load things once per process
    with counting(app) as statements:
        browser.get(url)
    return list(statements)


def _shape(statement: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"%\(\w+\)s|\?|\d+", "?", statement)).strip()[:160]


def repeated(statements: list[str]) -> list[tuple[str, int]]:
    return [(s, n) for s, n in Counter(map(_shape, statements)).most_common() if n > 1]


def ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        kumla = db.session.scalar(select(Organisation.id).where(Organisation.name == "Kumla"))
        first_sub_goal = db.session.get(Round, ROUND_ID).sub_goals[0].id
        kumla_answer = db.session.scalar(
            select(Answer.id).join(Submission)
            .where(Submission.organisation_id == kumla, Answer.sub_goal_id == first_sub_goal))
        return {"kumla": kumla, "sub_goal": first_sub_goal, "answer": kumla_answer}


def grow(app: Flask, batch: int) -> dict[str, int]:
    """Many more recipients with answers, sub-goals in the round, and Kumla's activities."""
    states = [ReviewState.DRAFT, ReviewState.SUBMITTED, ReviewState.APPROVED,
              ReviewState.RETURNED]
    with app.app_context():
        rnd = db.session.get(Round, ROUND_ID)
        kumla = db.session.scalar(select(Organisation).where(Organisation.name == "Kumla"))
        writer = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
        reviewer = db.session.scalar(select(User).where(User.email == "granskare@example.se"))
        template = rnd.sub_goals[0]
        plan = db.session.get(ActionPlan, template.action_plan_id)
        for n in range(EXTRA_SUB_GOALS):
            sub_goal = SubGoal(key=f"extra-{batch}-{n}", action_plan_id=plan.id,
                               focus_area_id=template.focus_area_id,
                               title=f"Extra delmål {batch}.{n}", description="Tillagt för mätning.",
                               position=1000 + 100 * batch + n)
            db.session.add(sub_goal)
            db.session.flush()
            db.session.add(RoundSubGoal(round_id=rnd.id, sub_goal_id=sub_goal.id))
        db.session.flush()
        db.session.expire(rnd)
        sub_goals = rnd.sub_goals
        districts = db.session.scalars(select(Organisation.id).where(
            Organisation.kind == OrganisationKind.DISTRICT)).all()
        for n in range(EXTRA_ORGANISATIONS):
            org = Organisation(name=f"Extrakommun {batch}.{n:02d}", kind=OrganisationKind.MUNICIPALITY,
                               code=f"9{batch}{n:02d}", district_id=districts[n % len(districts)]
                               if districts else None)
            db.session.add(org)
            db.session.flush()
            db.session.add(RoundRecipient(round_id=rnd.id, organisation_id=org.id))
            submission = Submission(round_id=rnd.id, organisation_id=org.id)
            db.session.add(submission)
            db.session.flush()
            for i, sub_goal in enumerate(sub_goals):
                if (n + i) % 5 == 4:
                    continue  # some not started
                state = states[(n + i) % len(states)]
                answer = Answer(submission_id=submission.id, sub_goal_id=sub_goal.id,
                                state=state, text=f"Svar {n}/{i}", updated_by_id=writer.id)
                if state is not ReviewState.DRAFT:
                    answer.reviewed_by_id = reviewer.id if state in (
                        ReviewState.APPROVED, ReviewState.RETURNED) else None
                db.session.add(answer)
                db.session.flush()
                if state is not ReviewState.DRAFT:
                    db.session.add(AnswerRevision(answer_id=answer.id, number=1,
                                                  text=answer.text, author_id=writer.id))
        kumla_submission = db.session.scalar(select(Submission).where(
            Submission.round_id == rnd.id, Submission.organisation_id == kumla.id))
        existing = {a.sub_goal_id for a in kumla_submission.answers}
        for i, sub_goal in enumerate(sub_goals):
            if sub_goal.id not in existing:
                db.session.add(Answer(submission_id=kumla_submission.id,
                                      sub_goal_id=sub_goal.id, state=states[i % 4] if i % 4 != 1
                                      else ReviewState.DRAFT,
                                      text=f"Kumla {i}", updated_by_id=writer.id))
        for n in range(EXTRA_ACTIVITIES):
            activity = Activity(organisation_id=kumla.id, name=f"Aktivitet {batch}.{n:02d}")
            db.session.add(activity)
            db.session.flush()
            report = ActivityReport(activity_id=activity.id, round_id=rnd.id,
                                    status=list(ActivityStatus)[n % len(ActivityStatus)],
                                    description=f"Beskrivning {n}", start_year=2020,
                                    updated_by_id=writer.id)
            db.session.add(report)
            db.session.flush()
            # Every activity serves the measured sub-goal, some another one as well.
            linked = {sub_goals[0].id, sub_goals[n % len(sub_goals)].id}
            db.session.execute(activity_report_sub_goals.insert(), [
                {"activity_report_id": report.id, "sub_goal_id": sg} for sg in linked])
        db.session.commit()
        return {"recipients": len(rnd.recipients), "sub_goals": len(sub_goals)}


PAGES: dict[str, tuple[str, Callable[[dict[str, int]], str]]] = {
    "contact_overview": ("kumla@example.se",
                         lambda i: f"/svar/omgang/{ROUND_ID}/organisation/{i['kumla']}"),
    "contact_sub_goal": ("kumla@example.se",
                         lambda i: f"/svar/omgang/{ROUND_ID}/organisation/{i['kumla']}"
                                   f"/delmal/{i['sub_goal']}"),
    "review_round_overview": ("granskare@example.se", lambda i: f"/granskning/omgang/{ROUND_ID}"),
    "review_answer": ("granskare@example.se", lambda i: f"/granskning/svar/{i['answer']}"),
}


def _budget(page: str, demo: Flask, browser: Browser) -> None:
    person, url_of = PAGES[page]
    browser.login(person)  # once: staff codes work once
    url = url_of(ids(demo))
    before = measure(demo, browser, url)
    size = grow(demo, 1)
    after = measure(demo, browser, url)
    double = grow(demo, 2)
    after_double = measure(demo, browser, url)
    print(f"\n{page}: {len(before)} statements on the demo data; {len(after)} with "
          f"{size['recipients']} recipients, {size['sub_goals']} sub-goals, "
          f"{EXTRA_ACTIVITIES} activities for Kumla; {len(after_double)} with "
          f"{double['recipients']} recipients, {double['sub_goals']} sub-goals, "
          f"{2 * EXTRA_ACTIVITIES} activities")
    assert len(after) <= len(before) + TOLERANCE, (
        f"{page} ({url}) runs {len(before)} statements on the demo data but {len(after)} "
        f"with more rows; repeated statements: {repeated(after)[:5]}")
    # Twice the added rows again: a constant page runs exactly as many statements.
    assert len(after_double) == len(after), (
        f"{page} ({url}) grows with the data: {len(after)} -> {len(after_double)} statements; "
        f"repeated statements: {repeated(after_double)[:5]}")


def test_contact_overview_query_count_is_constant(demo: Flask, browser: Browser) -> None:
    _budget("contact_overview", demo, browser)


def test_contact_sub_goal_page_query_count_is_constant(demo: Flask, browser: Browser) -> None:
    _budget("contact_sub_goal", demo, browser)


def test_review_round_overview_query_count_is_constant(demo: Flask, browser: Browser) -> None:
    _budget("review_round_overview", demo, browser)


def test_review_answer_page_query_count_is_constant(demo: Flask, browser: Browser) -> None:
    _budget("review_answer", demo, browser)
