from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Organisation, Role, Round, RoundStatus, SubGoal, Submission, User
from webapp.services import ServiceError, audit


def open_round(actor: User, *, name: str, year: int, deadline: dt.date,
               sub_goal_ids: list[int], organisation_ids: list[int]) -> Round:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan öppna en uppföljningsomgång.")
    if not sub_goal_ids:
        raise ServiceError("Välj minst ett delmål.")
    if not organisation_ids:
        raise ServiceError("Välj minst en organisation som ska svara.")
    sub_goals = list(db.session.scalars(select(SubGoal).where(SubGoal.id.in_(sub_goal_ids))))
    organisations = list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(organisation_ids),
                                   Organisation.active.is_(True))))
    if len(sub_goals) != len(set(sub_goal_ids)) or len(organisations) != len(set(organisation_ids)):
        raise ServiceError("Några av de valda delmålen eller organisationerna finns inte längre.")
    rnd = Round(name=name.strip(), year=year, deadline=deadline, status=RoundStatus.OPEN,
                created_by_id=actor.id, sub_goals=sub_goals, recipients=organisations)
    db.session.add(rnd)
    db.session.flush()
    for organisation in organisations:
        db.session.add(Submission(round_id=rnd.id, organisation_id=organisation.id))
    audit.record(actor, "round.open", "round", rnd.id, round_id=rnd.id, to_state="open",
                 comment=rnd.name)
    db.session.flush()
    return rnd
