"""Who may see what. Every view goes through these before it shows or changes anything."""
from __future__ import annotations

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Answer, Organisation, Role, Round, RoundStatus, Submission, User
from webapp.services import NotFound
from webapp.workflows.review import Actor


def actor_of(user: User) -> Actor:
    return Actor(user.role.value)


def is_staff(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.REVIEWER)


def reads_review(user: User) -> bool:
    """Who may read the review pages: staff, and the read-only role (which the routes let in
    on GET only)."""
    return user.role in (Role.ADMIN, Role.REVIEWER, Role.READER)


def organisation_for(user: User, organisation_id: int) -> Organisation:
    """The organisation, if ``user`` may act for it; NotFound otherwise (no hint it exists)."""
    if is_staff(user):
        organisation = db.session.get(Organisation, organisation_id)
    elif user.role is Role.CONTACT:
        # One query for "exists and is theirs": every contact page asks it.
        from webapp.models import user_organisations

        organisation = db.session.scalar(
            select(Organisation).join(user_organisations,
                                      user_organisations.c.organisation_id == Organisation.id)
            .where(Organisation.id == organisation_id, user_organisations.c.user_id == user.id))
    else:
        organisation = None
    if organisation is None:
        raise NotFound()
    return organisation


def submission_for(user: User, round_id: int, organisation_id: int) -> Submission:
    """The organisation's submission in the round, if ``user`` is a contact who may answer
    it: the round is not merely scheduled, the organisation is asked in it, and the person
    represents the organisation. One query with the round and organisation, since every
    contact page and every autosave starts here; NotFound otherwise (no hint it exists)."""
    from sqlalchemy import and_
    from sqlalchemy.orm import contains_eager

    from webapp.models import RoundRecipient, user_organisations

    if user.role is not Role.CONTACT:
        raise NotFound()
    submission = db.session.scalar(
        select(Submission)
        .join(Submission.round).join(Submission.organisation)
        .join(RoundRecipient, and_(RoundRecipient.round_id == Submission.round_id,
                                   RoundRecipient.organisation_id == Submission.organisation_id))
        .join(user_organisations,
              user_organisations.c.organisation_id == Submission.organisation_id)
        .where(Submission.round_id == round_id, Submission.organisation_id == organisation_id,
               user_organisations.c.user_id == user.id, Round.status != RoundStatus.SCHEDULED)
        .options(contains_eager(Submission.round), contains_eager(Submission.organisation)))
    if submission is None:
        raise NotFound()
    return submission


def round_for(user: User, round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise NotFound()
    if reads_review(user):
        return rnd
    if rnd.status is RoundStatus.SCHEDULED or not _answers_in(user, rnd):
        raise NotFound()
    return rnd


def _answers_in(user: User, rnd: Round) -> bool:
    """Whether one of the person's organisations is asked in the round: one query, since
    every contact page asks it."""
    from webapp.models import RoundRecipient, user_organisations

    return db.session.scalar(
        select(RoundRecipient.organisation_id)
        .join(user_organisations,
              user_organisations.c.organisation_id == RoundRecipient.organisation_id)
        .where(RoundRecipient.round_id == rnd.id, user_organisations.c.user_id == user.id)
        .limit(1)) is not None


def answer_for(user: User, answer_id: int) -> Answer:
    answer = db.session.get(Answer, answer_id)
    if answer is None:
        raise NotFound()
    if reads_review(user):
        return answer
    if user.role is Role.CONTACT and user.represents(answer.submission.organisation_id):
        return answer
    raise NotFound()

