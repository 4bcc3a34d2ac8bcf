"""The contact's side: write a draft, submit it."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from webapp.extensions import db
from webapp.models import (
    Answer,
    AnswerRevision,
    Organisation,
    Question,
    QuestionType,
    Round,
    RoundStatus,
    SubGoal,
    Submission,
    User,
)
from webapp.models._types import utcnow
from webapp.services import NotFound, ServiceError, StaleState, audit, questionnaires
from webapp.services.access import actor_of
from webapp.workflows import review
from webapp.workflows.review import InvalidTransition, ReviewAction, ReviewState


def get_submission(round_id: int, organisation_id: int) -> Submission:
    submission = db.session.scalar(select(Submission).where(
        Submission.round_id == round_id, Submission.organisation_id == organisation_id))
    if submission is None:
        raise NotFound()
    return submission


def find_answer(submission: Submission, sub_goal_id: int) -> Answer | None:
    return db.session.scalar(select(Answer).where(
        Answer.submission_id == submission.id, Answer.sub_goal_id == sub_goal_id))


def _check_round_open(rnd: Round) -> None:
    if rnd.status is not RoundStatus.OPEN:
        raise ServiceError("Uppföljningsomgången är stängd och svaren kan inte längre ändras.")


def _check_sub_goal_in_round(rnd: Round, organisation: Organisation,
                             sub_goal: SubGoal) -> None:
    if sub_goal not in rnd.sub_goals_for(organisation):
        raise NotFound()


def _activity_counts(submission: Submission) -> dict[int, int]:
    """Activities reported this round, per sub-goal (for a required activity list)."""
    from webapp.services import activities

    counts: dict[int, int] = {}
    for report in activities.this_round(submission):
        for sub_goal in report.sub_goals:
            counts[sub_goal.id] = counts.get(sub_goal.id, 0) + 1
    return counts


def missing(answer: Answer) -> list[Question]:
    """The required questions this answer leaves unanswered."""
    questions = questionnaires.questions_for(answer.submission.round, answer.sub_goal)
    counts = (_activity_counts(answer.submission)
              if any(q.kind is QuestionType.ACTIVITIES and q.required for q in questions)
              else {})
    return questionnaires.missing_required(questions, answer.values or {},
                                           counts.get(answer.sub_goal_id, 0))


def complete(submission: Submission, candidates: Sequence[Answer]) -> set[int]:
    """Ids of the answers that could be submitted as they are: something written and every
    required question answered. Two queries for the whole submission, not two per answer."""
    questions = questionnaires.questions_by_sub_goal(submission.round)
    counts = _activity_counts(submission)
    return {a.id for a in candidates
            if (a.text.strip() or a.values) and not questionnaires.missing_required(
                questions.get(a.sub_goal_id, []), a.values or {}, counts.get(a.sub_goal_id, 0))}


def save_draft(actor: User, submission: Submission, sub_goal: SubGoal,
               values: Mapping[str, Any] | str, expected_version: int | None,
               questions: Sequence[Question] | None = None,
               keep_stored: Collection[str] = ()) -> Answer:
    """Save the typed values (see services.questionnaires.parse; a plain string is the main
    text alone). ``expected_version`` is the version the writer started from (None when they
    started from an empty answer); a mismatch raises StaleState.

    ``keep_stored``: question keys whose field was refused (an autosave with one bad number):
    their stored value stays and every other field is saved. Validity is the submit's rule.
    Each question has its own length limit (services.questionnaires.MAX_TEXT), checked at
    its field; the answer as a whole has none, so no second limit can refuse it unnamed."""
    _check_round_open(submission.round)
    _check_sub_goal_in_round(submission.round, submission.organisation, sub_goal)
    if isinstance(values, str):
        values = {"text": values.replace("\r\n", "\n")} if values.strip() else {}
    if questions is None:
        questions = questionnaires.questions_for(submission.round, sub_goal)
    known = {q.key for q in questions}
    if set(values) - known:
        raise ServiceError("Svaret innehåller en fråga som inte finns i formuläret.")
    answer = find_answer(submission, sub_goal.id)
    if answer is not None and keep_stored:
        values = {**values, **{k: v for k, v in (answer.values or {}).items()
                               if k in keep_stored}}
    text = questionnaires.render_text(questions, values)
    if answer is None:
        if expected_version not in (None, 0):
            raise StaleState("Svaret har tagits bort eller ändrats av någon annan.")
        review.apply(ReviewState.DRAFT, ReviewAction.EDIT, actor_of(actor))
        answer = Answer(submission=submission, sub_goal=sub_goal, state=ReviewState.DRAFT)
        db.session.add(answer)
    else:
        review.apply(answer.state, ReviewAction.EDIT, actor_of(actor))
        if expected_version != answer.version:
            raise StaleState("Någon annan har sparat det här svaret medan du skrev. "
                             "Kopiera din text, ladda om sidan och för in dina ändringar.")
    answer.values = dict(values)
    answer.text = text
    answer.updated_by_id = actor.id
    answer.updated_at = utcnow()
    _flush_or_stale()
    return answer


def _flush_or_stale() -> None:
    """The version column makes the UPDATE conditional: if another save committed after this
    one read the row, nothing matches and it is the same conflict as a stale version."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleState("Någon annan har sparat det här svaret medan du skrev. Kopiera din "
                         "text, ladda om sidan och för in dina ändringar.") from error


def submit(actor: User, answer: Answer, expected_version: int) -> Answer:
    _check_round_open(answer.submission.round)
    if expected_version != answer.version:
        raise StaleState("Svaret har ändrats sedan du öppnade sidan. Kontrollera texten och "
                         "skicka in igen.")
    if not answer.text.strip() and not answer.values:
        raise ServiceError("Skriv ett svar innan du skickar in.")
    unanswered = missing(answer)
    if unanswered:
        raise ServiceError("Svara på " + ", ".join(f"”{q.label}”" for q in unanswered)
                           + " innan du skickar in.")
    transition = review.apply(answer.state, ReviewAction.SUBMIT, actor_of(actor))
    answer.state = transition.to_state
    answer.submitted_at = utcnow()
    answer.updated_by_id = actor.id
    _flush_or_stale()
    # What the reviewer is asked to approve, kept as it was: the next resubmission is diffed
    # against it, and its authors are who wrote the answer (four-eyes rule).
    revisions = db.session.scalar(select(func.count(AnswerRevision.id))
                                  .where(AnswerRevision.answer_id == answer.id))
    db.session.add(AnswerRevision(answer_id=answer.id, number=(revisions or 0) + 1,
                                  text=answer.text, author_id=actor.id))
    audit.record(actor, "answer.submit", "answer", answer.id,
                 round_id=answer.submission.round_id, from_state=transition.from_state,
                 to_state=transition.to_state, answer_version=answer.version)
    return answer


def withdraw(actor: User, answer: Answer, expected_version: int) -> Answer:
    """Take a submitted answer back to a draft, while no reviewer has approved or returned it
    (either would have moved it out of "submitted"). The version seen must still be current:
    a reviewer acting meanwhile wins and the contact is told."""
    _check_round_open(answer.submission.round)
    if expected_version != answer.version:
        raise StaleState("Svaret har ändrats sedan du öppnade sidan, till exempel av en "
                         "granskare. Sidan visar nu det aktuella läget.")
    transition = review.apply(answer.state, ReviewAction.WITHDRAW, actor_of(actor))
    answer.state = transition.to_state
    answer.submitted_at = None
    answer.updated_by_id = actor.id
    answer.updated_at = utcnow()
    _flush_or_stale()
    audit.record(actor, "answer.withdraw", "answer", answer.id,
                 round_id=answer.submission.round_id, from_state=transition.from_state,
                 to_state=transition.to_state, answer_version=answer.version)
    return answer


__all__ = ["InvalidTransition", "find_answer", "get_submission", "save_draft", "submit",
           "withdraw"]


def submit_ready(actor: User, submission: Submission) -> list[Answer]:
    """Submit every sub-goal that has text and is still the contact's to send; then a receipt."""
    _check_round_open(submission.round)
    editable = list(db.session.scalars(select(Answer).where(
        Answer.submission_id == submission.id,
        Answer.state.in_([ReviewState.DRAFT, ReviewState.RETURNED]))))
    finished = complete(submission, editable)
    ready = [a for a in editable if a.id in finished]
    if not ready:
        raise ServiceError("Det finns inget färdigt delmål att skicka in. Skriv ett svar först.")
    submitted = [submit(actor, answer, answer.version) for answer in ready]
    send_receipt(actor, submission)
    return submitted


def send_receipt(actor: User, submission: Submission) -> None:
    """A receipt by email to whoever submitted (one per submit, keyed by the moment)."""
    from webapp import clock
    from webapp.models import MailKind
    from webapp.services import mail

    mail.enqueue(submission.round, actor, MailKind.RECEIPT,
                 f"org-{submission.organisation_id}-{clock.now():%Y%m%dT%H%M%S%f}")


def save_and_submit(actor: User, submission: Submission, sub_goal: SubGoal,
                    values: Mapping[str, Any] | str, expected_version: int | None) -> Answer:
    """The form's "Spara och skicka in": what the contact sees is what gets submitted."""
    answer = save_draft(actor, submission, sub_goal, values, expected_version)
    submitted = submit(actor, answer, answer.version)
    send_receipt(actor, submission)
    return submitted
