"""The reviewer's side: approve, return with a comment, reopen, bulk approve."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from webapp.extensions import db
from webapp.models import Answer, AnswerRevision, Round, Submission, User
from webapp.models._types import utcnow
from webapp.services import ServiceError, StaleState, activities, audit, mail
from webapp.services.access import actor_of
from webapp.workflows import review
from webapp.workflows.review import InvalidTransition, ReviewAction, ReviewState

STALE_MESSAGE = "Någon annan har redan ändrat det här svaret. Sidan visar nu det aktuella läget."


def authors(answer: Answer) -> set[int]:
    """Everyone who wrote or edited the answer."""
    ids = set(db.session.scalars(select(AnswerRevision.author_id)
                                 .where(AnswerRevision.answer_id == answer.id)))
    ids.add(answer.updated_by_id)
    return {i for i in ids if i is not None}


def act(actor: User, answer: Answer, action: ReviewAction, *, expected_state: ReviewState,
        expected_version: int, comment: str | None = None,
        expected_activities: str | None = None) -> Answer:
    """Fire a review action on the answer the reviewer saw (state and version, and the
    fingerprint of the activities when the page showed them).

    If someone else acted in between, StaleState: nothing happens twice. The row's version
    column makes the UPDATE conditional too, so two concurrent reviewers cannot both win.
    The activities reported for the sub-goal are part of what is reviewed: approving or
    returning keeps them, as seen, on the revision (see ``reviewed_activities``).
    """
    if answer.state != expected_state or answer.version != expected_version:
        raise StaleState(STALE_MESSAGE)
    seen = activities.as_text(activities.for_answer(answer))
    if expected_activities is not None and activities.fingerprint(seen) != expected_activities:
        raise StaleState("Aktiviteterna har ändrats sedan du öppnade sidan. Sidan visar nu "
                         "de aktuella aktiviteterna; granska dem och försök igen.")
    comment = (comment or "").strip() or None
    # Read before the answer changes: a query after that would flush it outside the
    # StaleDataError guard below.
    latest = db.session.scalar(select(AnswerRevision)
                               .where(AnswerRevision.answer_id == answer.id)
                               .order_by(AnswerRevision.number.desc()).limit(1))
    transition = review.apply(answer.state, action, actor_of(actor), comment)
    if (action is ReviewAction.APPROVE and current_app.config["REVIEW_FOUR_EYES"]
            and actor.id in authors(answer)):
        raise InvalidTransition("Du kan inte godkänna ett svar som du själv har skrivit eller "
                                "ändrat. Be en annan granskare godkänna det.")
    answer.state = transition.to_state
    answer.reviewed_by_id = actor.id
    answer.reviewed_at = utcnow()
    if action in (ReviewAction.RETURN, ReviewAction.REOPEN):
        answer.review_comment = comment
    if latest is not None and action in (ReviewAction.APPROVE, ReviewAction.RETURN):
        latest.reviewed_activities = seen
    try:
        db.session.flush()
    except StaleDataError as error:  # another transaction changed the row first
        raise StaleState(STALE_MESSAGE) from error
    audit.record(actor, f"answer.{action.value}", "answer", answer.id,
                 round_id=answer.submission.round_id, from_state=transition.from_state,
                 to_state=transition.to_state, answer_version=answer.version, comment=comment)
    if transition.to_state is ReviewState.RETURNED:
        mail.notify_returned(answer)
    elif transition.to_state is ReviewState.APPROVED:
        mail.notify_all_approved(answer)
    return answer


def approve(actor: User, answer: Answer, *, expected_state: ReviewState,
            expected_version: int) -> Answer:
    return act(actor, answer, ReviewAction.APPROVE, expected_state=expected_state,
               expected_version=expected_version)


def return_for_changes(actor: User, answer: Answer, comment: str, *,
                       expected_state: ReviewState, expected_version: int) -> Answer:
    return act(actor, answer, ReviewAction.RETURN, expected_state=expected_state,
               expected_version=expected_version, comment=comment)


@dataclass(frozen=True)
class BulkResult:
    approved: list[Answer]
    refused: list[tuple[Answer | None, str]]


def bulk_approve(actor: User, rnd: Round, selection: list[tuple[int, int]]) -> BulkResult:
    """Approve each (answer id, version seen) of the round; one refusal does not stop the rest
    and leaves nothing half-done (a savepoint per answer)."""
    approved: list[Answer] = []
    refused: list[tuple[Answer | None, str]] = []
    for answer_id, version in selection:
        answer = db.session.get(Answer, answer_id)
        if answer is None or answer.submission.round_id != rnd.id:
            refused.append((None, "Ett av de markerade svaren finns inte i omgången."))
            continue
        savepoint = db.session.begin_nested()
        try:
            act(actor, answer, ReviewAction.APPROVE, expected_state=ReviewState.SUBMITTED,
                expected_version=version)
        except (ServiceError, InvalidTransition) as refusal:
            savepoint.rollback()
            refused.append((answer, refusal.message))
        else:
            savepoint.commit()
            approved.append(answer)
    return BulkResult(approved, refused)


def previous_approved(current_round: Round, organisation_id: int,
                      sub_goal_id: int) -> Answer | None:
    """Last round's approved answer of the same organisation to the same sub-goal."""
    return db.session.scalar(
        select(Answer).join(Submission).join(Round)
        .where(Submission.organisation_id == organisation_id,
               Answer.sub_goal_id == sub_goal_id,
               Answer.state == ReviewState.APPROVED,
               Round.id != current_round.id,
               Round.year <= current_round.year,
               Round.created_at < current_round.created_at)
        .order_by(Round.year.desc(), Round.created_at.desc()).limit(1))


def revisions(answer: Answer) -> list[AnswerRevision]:
    return list(db.session.scalars(select(AnswerRevision)
                                   .where(AnswerRevision.answer_id == answer.id)
                                   .order_by(AnswerRevision.number)))


def last_reviewed_activities(answer: Answer) -> str | None:
    """The activities as they were at the answer's last review (None: never reviewed with
    them): what the review page diffs today's activities against."""
    return db.session.scalar(select(AnswerRevision.reviewed_activities)
                             .where(AnswerRevision.answer_id == answer.id,
                                    AnswerRevision.reviewed_activities.is_not(None))
                             .order_by(AnswerRevision.number.desc()).limit(1))
