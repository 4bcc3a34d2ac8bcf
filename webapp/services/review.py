"""The reviewer's side: approve, return with a comment, reopen."""
from __future__ import annotations

from webapp.extensions import db
from webapp.models import Answer, User
from webapp.models._types import utcnow
from webapp.services import StaleState, audit
from webapp.services.access import actor_of
from webapp.workflows import review
from webapp.workflows.review import ReviewAction, ReviewState


def act(actor: User, answer: Answer, action: ReviewAction, *, expected_state: ReviewState,
        expected_version: int, comment: str | None = None) -> Answer:
    """Fire a review action on the answer the reviewer saw (state and version).

    If someone else acted in between, StaleState: nothing happens twice. The row's version
    column makes the UPDATE conditional too, so two concurrent reviewers cannot both win.
    """
    if answer.state != expected_state or answer.version != expected_version:
        raise StaleState("Någon annan har redan ändrat det här svaret. Sidan visar nu det "
                         "aktuella läget.")
    comment = (comment or "").strip() or None
    transition = review.apply(answer.state, action, actor_of(actor), comment)
    answer.state = transition.to_state
    answer.reviewed_by_id = actor.id
    answer.reviewed_at = utcnow()
    if action in (ReviewAction.RETURN, ReviewAction.REOPEN):
        answer.review_comment = comment
    db.session.flush()
    audit.record(actor, f"answer.{action.value}", "answer", answer.id,
                 round_id=answer.submission.round_id, from_state=transition.from_state,
                 to_state=transition.to_state, answer_version=answer.version, comment=comment)
    return answer


def approve(actor: User, answer: Answer, *, expected_state: ReviewState,
            expected_version: int) -> Answer:
    return act(actor, answer, ReviewAction.APPROVE, expected_state=expected_state,
               expected_version=expected_version)


def return_for_changes(actor: User, answer: Answer, comment: str, *,
                       expected_state: ReviewState, expected_version: int) -> Answer:
    return act(actor, answer, ReviewAction.RETURN, expected_state=expected_state,
               expected_version=expected_version, comment=comment)
