"""Every (state, action, role) through the services, on an in-memory SQLite database:
allowed ones move the answer and write exactly one AuditEvent; forbidden ones raise and
change nothing."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select

from webapp import create_app
from webapp.config import Config
from webapp.extensions import db
from webapp.models import Answer, AuditEvent, Organisation, Role, SubGoal, User
from webapp.services import ServiceError, answers, plan_import, review, rounds
from webapp.workflows.review import InvalidTransition, ReviewAction, ReviewState

EXPECTED = {  # written out from the business rules, not read from the workflow table
    (ReviewState.DRAFT, ReviewAction.EDIT, Role.CONTACT): ReviewState.DRAFT,
    (ReviewState.DRAFT, ReviewAction.SUBMIT, Role.CONTACT): ReviewState.SUBMITTED,
    (ReviewState.RETURNED, ReviewAction.EDIT, Role.CONTACT): ReviewState.RETURNED,
    (ReviewState.RETURNED, ReviewAction.SUBMIT, Role.CONTACT): ReviewState.SUBMITTED,
    (ReviewState.SUBMITTED, ReviewAction.APPROVE, Role.REVIEWER): ReviewState.APPROVED,
    (ReviewState.SUBMITTED, ReviewAction.APPROVE, Role.ADMIN): ReviewState.APPROVED,
    (ReviewState.SUBMITTED, ReviewAction.RETURN, Role.REVIEWER): ReviewState.RETURNED,
    (ReviewState.SUBMITTED, ReviewAction.RETURN, Role.ADMIN): ReviewState.RETURNED,
    (ReviewState.APPROVED, ReviewAction.REOPEN, Role.ADMIN): ReviewState.RETURNED,
    # Before any reviewer has acted, the contact may take a submitted answer back.
    (ReviewState.SUBMITTED, ReviewAction.WITHDRAW, Role.CONTACT): ReviewState.DRAFT,
}
# Editing a draft is not a review step: it is saved, not audited.
AUDITED = {ReviewAction.SUBMIT, ReviewAction.APPROVE, ReviewAction.RETURN, ReviewAction.REOPEN,
           ReviewAction.WITHDRAW}


@pytest.fixture()
def app(tmp_path):
    app = create_app(Config(SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=str(tmp_path)))
    with app.app_context():
        db.create_all()
        plan_import.load_file()
        kumla = db.session.scalar(select(Organisation).where(Organisation.name == "Kumla"))
        for email, role, orgs in (("a@x.se", Role.ADMIN, []), ("r@x.se", Role.REVIEWER, []),
                                  ("c@x.se", Role.CONTACT, [kumla])):
            # No password: these users never sign in, and argon2 would cost seconds.
            db.session.add(User(email=email, name=email, role=role, organisations=orgs))
        admin = _user(Role.ADMIN)
        sub_goal_ids = [db.session.scalar(select(SubGoal.id).limit(1))]
        rounds.open_round(admin, name="T", year=2026, deadline=dt.date(2099, 1, 1),
                          sub_goal_ids=sub_goal_ids, organisation_ids=[kumla.id])
        db.session.commit()
        yield app


def _user(role: Role) -> User:
    return db.session.scalar(select(User).where(User.role == role))


def _answer_in(state: ReviewState) -> Answer:
    """Drive a fresh answer into ``state`` through the services themselves."""
    contact, reviewer = _user(Role.CONTACT), _user(Role.REVIEWER)
    submission = answers.get_submission(1, contact.organisations[0].id)
    sub_goal = submission.round.sub_goals[0]
    answer = answers.save_draft(contact, submission, sub_goal, "Text", None)
    if state is not ReviewState.DRAFT:
        answers.submit(contact, answer, answer.version)
    if state is ReviewState.APPROVED:
        review.approve(reviewer, answer, expected_state=answer.state,
                       expected_version=answer.version)
    if state is ReviewState.RETURNED:
        review.return_for_changes(reviewer, answer, "Mer", expected_state=answer.state,
                                  expected_version=answer.version)
    db.session.commit()
    return answer


def _fire(action: ReviewAction, actor: User, answer: Answer) -> None:
    if action is ReviewAction.EDIT:
        answers.save_draft(actor, answer.submission, answer.sub_goal, "Ny text", answer.version)
    elif action is ReviewAction.SUBMIT:
        answers.submit(actor, answer, answer.version)
    elif action is ReviewAction.WITHDRAW:
        answers.withdraw(actor, answer, answer.version)
    else:
        review.act(actor, answer, action, expected_state=answer.state,
                   expected_version=answer.version, comment="Skäl")


CASES = list(itertools.product(ReviewState, ReviewAction, (Role.CONTACT, Role.REVIEWER,
                                                            Role.ADMIN)))


@pytest.mark.parametrize(("state", "action", "role"), CASES,
                         ids=[f"{s.value}-{a.value}-{r.value}" for s, a, r in CASES])
def test_service_transition(app, state, action, role) -> None:
    with app.app_context():
        answer = _answer_in(state)
        audits_before = db.session.scalar(select(func.count(AuditEvent.id)))
        expected = EXPECTED.get((state, action, role))
        if expected is None:
            with pytest.raises((InvalidTransition, ServiceError)):
                _fire(action, _user(role), answer)
            db.session.rollback()
            fresh = db.session.get(Answer, answer.id)
            assert fresh.state is state and fresh.text == "Text"
            assert db.session.scalar(select(func.count(AuditEvent.id))) == audits_before
        else:
            _fire(action, _user(role), answer)
            db.session.commit()
            assert db.session.get(Answer, answer.id).state is expected
            written = db.session.scalar(select(func.count(AuditEvent.id))) - audits_before
            assert written == (1 if action in AUDITED else 0)


def test_four_eyes_refuses_approving_what_you_edited(app) -> None:
    with app.app_context():
        answer = _answer_in(ReviewState.SUBMITTED)
        reviewer = _user(Role.REVIEWER)
        answer.updated_by_id = reviewer.id  # as if the reviewer had edited it
        db.session.commit()
        with pytest.raises(InvalidTransition, match="själv har skrivit eller ändrat"):
            review.approve(reviewer, answer, expected_state=answer.state,
                           expected_version=answer.version)
        db.session.rollback()
        assert db.session.get(Answer, answer.id).state is ReviewState.SUBMITTED
        app.config["REVIEW_FOUR_EYES"] = False
        review.approve(reviewer, answer, expected_state=answer.state,
                       expected_version=answer.version)
        assert answer.state is ReviewState.APPROVED


def test_each_submission_keeps_a_revision(app) -> None:
    with app.app_context():
        answer = _answer_in(ReviewState.RETURNED)
        contact = _user(Role.CONTACT)
        answers.save_and_submit(contact, answer.submission, answer.sub_goal, "Text, bättre",
                                answer.version)
        db.session.commit()
        assert [r.text for r in review.revisions(answer)] == ["Text", "Text, bättre"]
