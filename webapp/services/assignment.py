"""Who reviews what: by the sub-goal's focus area or by the organisation's district, as the
round says; the admin can override a single answer."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import (
    Answer,
    AssignmentMode,
    FocusArea,
    Organisation,
    OrganisationKind,
    ReviewerAssignment,
    Role,
    Round,
    SubGoal,
    User,
)
from webapp.services import ServiceError, audit


@dataclass(frozen=True)
class Assignments:
    by_focus_area: dict[int, int]
    by_district: dict[int, int]

    def reviewer_id(self, rnd: Round, organisation: Organisation, sub_goal: SubGoal,
                    answer: Answer | None) -> int | None:
        if answer is not None and answer.assigned_reviewer_id:
            return answer.assigned_reviewer_id
        if rnd.assignment_mode is AssignmentMode.FOCUS_AREA:
            return self.by_focus_area.get(sub_goal.focus_area_id)
        district_id = (organisation.id if organisation.kind is OrganisationKind.DISTRICT
                       else organisation.district_id)
        return self.by_district.get(district_id) if district_id else None


def load() -> Assignments:
    rows = db.session.scalars(select(ReviewerAssignment)).all()
    return Assignments(
        by_focus_area={r.focus_area_id: r.reviewer_id for r in rows if r.focus_area_id},
        by_district={r.district_id: r.reviewer_id for r in rows if r.district_id},
    )


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan fördela granskningen.")


def _reviewer(reviewer_id: int | None) -> User | None:
    if reviewer_id is None:
        return None
    reviewer = db.session.get(User, reviewer_id)
    if reviewer is None or reviewer.role not in (Role.REVIEWER, Role.ADMIN) or not reviewer.active:
        raise ServiceError("Den valda personen kan inte granska.")
    return reviewer


def save_assignments(actor: User, *, focus_areas: dict[int, int | None],
                     districts: dict[int, int | None]) -> None:
    """Replace the assignment table: one reviewer (or none) per focus area and per district."""
    _require_admin(actor)
    valid_focus_areas = set(db.session.scalars(select(FocusArea.id)))
    valid_districts = set(db.session.scalars(select(Organisation.id).where(
        Organisation.kind == OrganisationKind.DISTRICT)))
    if not set(focus_areas) <= valid_focus_areas or not set(districts) <= valid_districts:
        raise ServiceError("Ett insatsområde eller en länsdel finns inte längre.")
    db.session.execute(delete(ReviewerAssignment))
    for focus_area_id, reviewer_id in focus_areas.items():
        if _reviewer(reviewer_id):
            db.session.add(ReviewerAssignment(reviewer_id=reviewer_id,
                                              focus_area_id=focus_area_id))
    for district_id, reviewer_id in districts.items():
        if _reviewer(reviewer_id):
            db.session.add(ReviewerAssignment(reviewer_id=reviewer_id, district_id=district_id))
    audit.record(actor, "review.assignments", "reviewer_assignment", None)
    db.session.flush()


def set_mode(actor: User, rnd: Round, mode: AssignmentMode) -> None:
    _require_admin(actor)
    rnd.assignment_mode = mode
    audit.record(actor, "round.assignment_mode", "round", rnd.id, round_id=rnd.id,
                 comment=mode.value)
    db.session.flush()


def reassign(actor: User, answer: Answer, reviewer_id: int | None) -> Answer:
    _require_admin(actor)
    reviewer = _reviewer(reviewer_id)
    answer.assigned_reviewer_id = reviewer.id if reviewer else None
    audit.record(actor, "answer.reassign", "answer", answer.id,
                 round_id=answer.submission.round_id,
                 comment=reviewer.name if reviewer else "enligt fördelningen")
    db.session.flush()
    return answer


def reviewers() -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.role.in_([Role.REVIEWER, Role.ADMIN]), User.active.is_(True)).order_by(User.name)))
