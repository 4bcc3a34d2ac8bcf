"""Who may see what. Every view goes through these before it shows or changes anything."""
from __future__ import annotations

from webapp.extensions import db
from webapp.models import Answer, Organisation, Role, Round, RoundStatus, User
from webapp.services import NotFound
from webapp.workflows.review import Actor


def actor_of(user: User) -> Actor:
    return Actor(user.role.value)


def is_staff(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.REVIEWER)


def organisation_for(user: User, organisation_id: int) -> Organisation:
    """The organisation, if ``user`` may act for it; NotFound otherwise (no hint it exists)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    if is_staff(user) or (user.role is Role.CONTACT and user.represents(organisation.id)):
        return organisation
    raise NotFound()


def round_for(user: User, round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise NotFound()
    if is_staff(user):
        return rnd
    recipient_ids = {o.id for o in rnd.recipients}
    if (rnd.status is RoundStatus.SCHEDULED
            or not any(o.id in recipient_ids for o in user.organisations)):
        raise NotFound()
    return rnd


def answer_for(user: User, answer_id: int) -> Answer:
    answer = db.session.get(Answer, answer_id)
    if answer is None:
        raise NotFound()
    if is_staff(user):
        return answer
    if user.role is Role.CONTACT and user.represents(answer.submission.organisation_id):
        return answer
    raise NotFound()

