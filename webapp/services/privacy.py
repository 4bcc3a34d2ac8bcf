"""Personal data (GDPR): what is stored about a person (registerutdrag), anonymising a contact
who left, and deleting what is no longer needed (retention).

Answers and their revisions are public records (allmänna handlingar): anonymising a contact
never changes them, only the person's own data.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import selectinload

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    AccountToken,
    Answer,
    AnswerRevision,
    AuditEvent,
    MailState,
    Organisation,
    OutboxMessage,
    PersonalLink,
    Role,
    Round,
    RoundStatus,
    SubGoalAssignment,
    Submission,
    User,
    UserSession,
)
from webapp.services import ServiceError, audit

ANONYMOUS_NAME = "Anonymiserad kontaktperson"


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan hantera personuppgifter.")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def anonymised_email(user: User) -> str:
    return f"anonymiserad-{user.id}@invalid.example"


def search_contacts(query: str = "", *, limit: int = 200) -> list[User]:
    """Contacts, by name; ``query`` matches part of the name or the email address."""
    statement = select(User).where(User.role == Role.CONTACT)
    words = query.strip()
    if words:
        # The user's text is a literal, not a pattern: escape LIKE's wildcards.
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(User.name.ilike(pattern, escape="\\"),
                                        User.email.ilike(pattern, escape="\\")))
    statement = statement.options(selectinload(User.organisations))
    return list(db.session.scalars(statement.order_by(User.name, User.id).limit(limit)))


def person_data(user: User) -> dict[str, Any]:
    """Everything stored about ``user``, datetimes as they are (export_person makes it JSON).
    Never a secret: no password or TOTP secret, no token or session hashes, no session ids.
    Reading only; export_person is the audited registerutdrag."""
    links = db.session.scalars(
        select(PersonalLink).where(PersonalLink.user_id == user.id)
        .options(selectinload(PersonalLink.round))
        .order_by(PersonalLink.created_at, PersonalLink.id))
    sessions = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id)
        .order_by(UserSession.created_at))
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id)
        .options(selectinload(OutboxMessage.round))
        .order_by(OutboxMessage.created_at, OutboxMessage.id))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor_id == user.id)
        .order_by(AuditEvent.at, AuditEvent.id))
    revisions = db.session.execute(
        select(AnswerRevision, Answer).join(Answer, AnswerRevision.answer_id == Answer.id)
        .where(AnswerRevision.author_id == user.id)
        .options(selectinload(Answer.submission).selectinload(Submission.round),
                 selectinload(Answer.submission).selectinload(Submission.organisation),
                 selectinload(Answer.sub_goal))
        .order_by(AnswerRevision.created_at, AnswerRevision.id))
    # Drafts they saved but never submitted have no revision yet; reviews they made are
    # theirs too (review comments).
    edited = db.session.scalars(
        select(Answer).where(or_(Answer.updated_by_id == user.id,
                                 Answer.reviewed_by_id == user.id))
        .options(selectinload(Answer.submission).selectinload(Submission.round),
                 selectinload(Answer.submission).selectinload(Submission.organisation),
                 selectinload(Answer.sub_goal))
        .order_by(Answer.id))

    def where(answer: Answer) -> dict[str, Any]:
        return {"round": answer.submission.round.name,
                "organisation": answer.submission.organisation.name,
                "sub_goal": answer.sub_goal.title}

    edited_answers = list(edited)
    tokens = db.session.scalars(
        select(AccountToken).where(AccountToken.user_id == user.id)
        .order_by(AccountToken.created_at, AccountToken.id))
    # "Ansvarig för delmålet", as a main contact made them.
    assignments = list(db.session.scalars(
        select(SubGoalAssignment).where(SubGoalAssignment.user_id == user.id)
        .options(selectinload(SubGoalAssignment.organisation),
                 selectinload(SubGoalAssignment.sub_goal))
        .order_by(SubGoalAssignment.id)))
    main_contact_of = db.session.scalars(
        select(Organisation.name).where(Organisation.main_contact_id == user.id)
        .order_by(Organisation.name))
    return {
        "profile": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "phone": user.phone,
            "title": user.title,
            "role": user.role.value,
            "role_label": user.role.label,
            "organisations": [o.name for o in user.organisations],
            "created_at": user.created_at,
            "active": user.active,
            "anonymised_at": user.anonymised_at,
            # Whether they exist, never what they are.
            "has_password": user.password_hash is not None,
            "has_second_factor": user.totp_secret is not None,
            "main_contact_of": list(main_contact_of),
            "pending_approval": user.pending_approval,
            "invited_by": user.invited_by.name if user.invited_by else None,
        },
        # One-time links for choosing a password: when, never the link itself.
        "account_links": [
            {"purpose": t.purpose.value, "created_at": t.created_at,
             "expires_at": t.expires_at, "used_at": t.used_at}
            for t in tokens
        ],
        "sub_goal_responsibilities": [
            {"organisation": a.organisation.name, "sub_goal": a.sub_goal.title,
             "since": a.created_at}
            for a in assignments
        ],
        "sessions": [
            {"via": s.via, "created_at": s.created_at,
             "last_seen_at": s.last_seen_at, "ended_at": s.ended_at}
            for s in sessions
        ],
        "personal_links": [
            {"round": link.round.name, "created_at": link.created_at,
             "last_used_at": link.last_used_at, "use_count": link.use_count,
             "revoked_at": link.revoked_at}
            for link in links
        ],
        "mail": [
            {"kind": m.kind.value, "kind_label": m.kind.label, "round": m.round.name if m.round else None,
             "state": m.state.value, "state_label": m.state.label,
             "created_at": m.created_at, "sent_at": m.sent_at}
            for m in messages
        ],
        "audit_events": [
            {"action": e.action, "at": e.at, "comment": e.comment} for e in events
        ],
        "answers": [
            {**where(answer), "revision": revision.number, "text": revision.text,
             "submitted_at": revision.created_at}
            for revision, answer in revisions
        ],
        "answers_last_edited": [
            {**where(a), "state": a.state.value, "state_label": a.state.label, "text": a.text,
             "updated_at": a.updated_at}
            for a in edited_answers if a.updated_by_id == user.id
        ],
        "reviews": [
            {**where(a), "state": a.state.value, "state_label": a.state.label,
             "reviewed_at": a.reviewed_at, "review_comment": a.review_comment}
            for a in edited_answers if a.reviewed_by_id == user.id
        ],
    }


def export_person(actor: User, user: User) -> dict[str, Any]:
    """A registerutdrag: everything stored about ``user``. The export itself is audited."""
    _require_admin(actor)
    data = _jsonable({"exported_at": clock.now(), **person_data(user)})
    audit.record(actor, "person.export", "user", user.id)
    db.session.flush()
    return data


def anonymise(actor: User, user: User) -> None:
    """A contact who left: remove who they were, keep what they answered (public records)."""
    _require_admin(actor)
    if user.anonymised_at is not None:
        raise ServiceError("Personen är redan anonymiserad.")
    if user.role is not Role.CONTACT:
        raise ServiceError("Bara kontaktpersoner kan anonymiseras. Personal med inloggning "
                           "stängs av i stället, så att granskningar och beslut går att följa.")
    now = clock.now()
    user.name = ANONYMOUS_NAME
    user.email = anonymised_email(user)
    user.phone = None
    user.title = None
    user.password_hash = None
    user.totp_secret = None
    user.totp_last_step = None
    user.active = False
    user.anonymised_at = now
    user.organisations = []
    links = db.session.execute(delete(PersonalLink).where(PersonalLink.user_id == user.id))
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    # Who answers what is about the organisation's future work; an anonymised person does none.
    assignments = db.session.execute(
        delete(SubGoalAssignment).where(SubGoalAssignment.user_id == user.id))
    db.session.execute(update(Organisation).where(Organisation.main_contact_id == user.id)
                       .values(main_contact_id=None))
    sessions = db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id,
                                  UserSession.ended_at.is_(None))
        .values(ended_at=now))
    mail = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                    OutboxMessage.state.in_([MailState.PENDING,
                                                             MailState.FAILED])))
    removed = {"links": links.rowcount, "mail": mail.rowcount,  # type: ignore[attr-defined]
               "sessions": sessions.rowcount,  # type: ignore[attr-defined]
               "assignments": assignments.rowcount}  # type: ignore[attr-defined]
    # Counts only: the audit log must not keep what was just removed.
    audit.record(actor, "person.anonymise", "user", user.id, comment=(
        f"Borttaget: {removed['links']} länkar, {removed['mail']} väntande utskick, "
        f"{removed['assignments']} delmålsansvar; "
        f"{removed['sessions']} inloggningar avslutade."))
    db.session.flush()


def apply_retention(now: dt.datetime, *, link_days: int, session_days: int) -> dict[str, int]:
    """Delete what is no longer needed: personal links that can no longer work (their round
    is closed, or they were revoked more than ``link_days`` ago); sessions ended or last
    seen more than ``session_days`` ago. An unused link in an open round is a live
    invitation and stays. Returns how many of each were deleted."""
    link_cutoff = now - dt.timedelta(days=link_days)
    session_cutoff = now - dt.timedelta(days=session_days)
    closed_rounds = select(Round.id).where(Round.status == RoundStatus.CLOSED)
    links = db.session.execute(
        delete(PersonalLink).where(or_(
            PersonalLink.revoked_at < link_cutoff,
            PersonalLink.round_id.in_(closed_rounds)))
        .execution_options(synchronize_session=False))
    sessions = db.session.execute(
        delete(UserSession).where(or_(UserSession.ended_at < session_cutoff,
                                      UserSession.last_seen_at < session_cutoff))
        .execution_options(synchronize_session=False))
    counts = {"links": links.rowcount, "sessions": sessions.rowcount}  # type: ignore[attr-defined]
    if any(counts.values()):
        audit.record(None, "privacy.retention", "personal_data", None,
                     comment=f"Borttaget: {counts['links']} länkar, "
                             f"{counts['sessions']} inloggningar.")
    db.session.flush()
    return counts

