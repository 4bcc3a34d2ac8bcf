"""Every route declares who may use it, and nobody else gets in, by GET or by POST.

Adding a route without @public, @signed_in or @roles_required fails the first test."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from tests.web import Browser, csrf_token
from webapp.extensions import db
from webapp.models import (
    ActionPlan,
    ActivityArea,
    Answer,
    FocusArea,
    MailState,
    Organisation,
    OutboxMessage,
    ReportJob,
    Role,
    Round,
    SubGoal,
)
from webapp.security import ACCESS

ROLE_LOGINS = {
    Role.ADMIN: "admin@example.se",
    Role.REVIEWER: "granskare@example.se",
    Role.READER: "ledamot@example.se",
    Role.CONTACT: "kumla@example.se",
}


def _rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _url(app: Flask, rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():  # noqa: SLF001 (werkzeug's own map)
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x" * 43
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _rule_access(app: Flask, rule: Rule):
    return getattr(app.view_functions[rule.endpoint], ACCESS, None)


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    undeclared = [r.rule for r in _rules(app) if _rule_access(app, r) is None]
    assert undeclared == [], f"routes without an access rule: {undeclared}"


def _allowed(access, role: Role | None, method: str) -> bool:
    if access == "public":
        return True
    if role is None:
        return False
    if access == "signed_in":
        return True
    roles, readers = access
    return role in roles or (readers and role is Role.READER and method == "GET")


def _state(app: Flask) -> tuple:
    with app.app_context():
        return (
            sorted(db.session.execute(select(Answer.id, Answer.state, Answer.version,
                                             Answer.text)).all()),
            sorted(db.session.execute(select(Round.id, Round.status, Round.deadline)).all()),
            db.session.scalar(select(func.count(ReportJob.id))),
            db.session.scalar(select(func.count(OutboxMessage.id)).where(
                OutboxMessage.state != MailState.SENT)),
            # The plan structure pages (/admin/struktur) rename, reorder, retire and add.
            sorted(db.session.execute(select(ActionPlan.id, ActionPlan.name, ActionPlan.position,
                                             ActionPlan.active)).all()),
            sorted(str(a) for a in db.session.scalars(select(ActionPlan.answered_by))),
            sorted(db.session.execute(select(SubGoal.id, SubGoal.title, SubGoal.position,
                                             SubGoal.active)).all()),
            sorted(db.session.execute(select(FocusArea.id, FocusArea.name, FocusArea.position,
                                             FocusArea.active)).all()),
            db.session.scalar(select(func.count(ActivityArea.id))),
            sorted(db.session.execute(select(Organisation.id, Organisation.name,
                                             Organisation.district_id,
                                             Organisation.active)).all()),
        )


@pytest.mark.parametrize("role", [None, Role.CONTACT, Role.READER, Role.REVIEWER, Role.ADMIN],
                         ids=["anonymous", "contact", "reader", "reviewer", "admin"])
def test_no_way_in_by_get_or_post_for_those_not_allowed(demo: Flask, role: Role | None) -> None:
    b = Browser(demo.test_client())
    if role is not None:
        b.login(ROLE_LOGINS[role])
    # A valid CSRF token for this browser, so a refusal is about the role, not the token.
    token = csrf_token(b.client.get("/logga-in") if role is None else b.page)
    before = _state(demo)
    checked = 0
    for rule in _rules(demo):
        access = _rule_access(demo, rule)
        url = _url(demo, rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            if _allowed(access, role, method):
                continue
            if method == "GET":
                response = b.client.get(url)
            else:
                response = b.client.post(url, data={"csrf_token": token})
            checked += 1
            if role is None:
                assert response.status_code == 302, (method, url, response.status_code)
                assert "/logga-in" in response.headers["Location"], (method, url)
            else:
                assert response.status_code == 403, (role, method, url, response.status_code)
    assert checked > 0 or role is Role.ADMIN
    assert _state(demo) == before, "a refused request changed something"


def test_every_post_needs_a_csrf_token(demo: Flask) -> None:
    b = Browser(demo.test_client())
    b.login("admin@example.se")
    for rule in _rules(demo):
        if "POST" in rule.methods:
            response = b.client.post(_url(demo, rule), data={})
            assert response.status_code == 400, (rule.rule, response.status_code)
            assert "säkerhetstoken" in response.text, rule.rule


def test_no_get_changes_anything(demo: Flask) -> None:
    """The admin may GET every page; doing so changes no answer, round, job or mail."""
    b = Browser(demo.test_client())
    b.login("admin@example.se")
    before = _state(demo)
    for rule in _rules(demo):
        if "GET" in rule.methods and rule.endpoint not in ("auth.login",):
            b.client.get(_url(demo, rule))
    assert _state(demo) == before


def test_the_reader_reads_what_the_readme_promises(demo: Flask) -> None:
    """Läsbehörighet: the review overview, answers, the log and reports, by GET, for real:
    a page, not a 403 or a 404 behind the allowed route. POST stays refused (above)."""
    b = Browser(demo.test_client())
    b.login(ROLE_LOGINS[Role.READER])
    with demo.app_context():
        answer_id = db.session.scalar(select(Answer.id).where(Answer.state != "draft")
                                      .order_by(Answer.id))
        round_id = db.session.scalar(select(Round.id).order_by(Round.id))
    before = _state(demo)
    reader_routes = [r for r in _rules(demo) if "GET" in r.methods
                     and _allowed(_rule_access(demo, r), Role.READER, "GET")
                     and _rule_access(demo, r) not in ("public", "signed_in")]
    reached = set()
    for rule in reader_routes:
        response = b.client.get(_url(demo, rule))
        if rule.endpoint.startswith("reports."):
            # No report is built in the demo: the job is missing, not forbidden.
            assert response.status_code == 404, (rule.rule, response.status_code)
            continue
        assert response.status_code == 200, (rule.rule, response.status_code)
        reached.add(rule.endpoint)
    assert {"review.rounds", "review.round_overview", "review.answer", "review.audit_log",
            "review.audit_log_csv", "admin.export_answers"} <= reached
    # What the pages show the reader: everything to read, nothing to press.
    page = b.get(f"/granskning/omgang/{round_id}")
    assert "Godkänn markerade" not in page.text and 'name="selected"' not in page.text
    page = b.get(f"/granskning/svar/{answer_id}")
    assert "Du har läsbehörighet" in page.text
    assert "<form" not in page.text.split("<main", 1)[1]
    assert _state(demo) == before


def test_the_reader_finds_and_downloads_a_built_report(demo: Flask) -> None:
    """A finished report (stored as the worker stores one) is offered on the review page."""
    import hashlib

    from webapp.models import ReportFile, ReportJobState
    from webapp.models._types import utcnow

    content = b"PK\x03\x04 a stored report"
    with demo.app_context():
        job = ReportJob(round_id=db.session.scalar(select(Round.id).order_by(Round.id)),
                        state=ReportJobState.DONE, finished_at=utcnow())
        db.session.add(job)
        db.session.flush()
        db.session.add(ReportFile(job_id=job.id, filename="uppfoljning.docx", size=len(content),
                                  sha256=hashlib.sha256(content).hexdigest(), content=content))
        db.session.commit()
        job_id = job.id
    b = Browser(demo.test_client())
    b.login(ROLE_LOGINS[Role.READER])
    b.get("/granskning/")
    assert b.links(f"/rapporter/{job_id}/ladda-ner") == [f"/rapporter/{job_id}/ladda-ner"]
    response = b.client.get(f"/rapporter/{job_id}/ladda-ner")
    assert response.status_code == 200 and response.data == content
    assert b.client.get(f"/rapporter/{job_id}").status_code == 200
