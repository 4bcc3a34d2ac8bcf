"""The outbox: what is due is written as rows (dispatch_due), each row is then sent by a
Celery task (send). The database decides what is sent; Redis only carries the ids."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Answer,
    MailKind,
    MailState,
    OutboxMessage,
    Role,
    Round,
    RoundStatus,
    Submission,
    User,
)
from webapp.services import ServiceError, audit, links, questionnaires, region
from webapp.workflows.review import ReviewState

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A row left "sending" this long belonged to a worker that died: send it again (the
# documented send-then-crash window: the mail may then arrive twice).
SENDING_TIMEOUT = dt.timedelta(minutes=10)
DIGEST_HOUR = 7  # reviewers' digest goes out from 07:00 Swedish time


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def enqueue(rnd: Round, user: User, kind: MailKind, step: str) -> OutboxMessage | None:
    """Write the row unless it exists; a savepoint keeps a lost race from spoiling the rest."""
    exists = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.round_id == rnd.id, OutboxMessage.user_id == user.id,
        OutboxMessage.kind == kind, OutboxMessage.step == step))
    if exists:
        return None
    message = OutboxMessage(round_id=rnd.id, user_id=user.id, kind=kind, step=step,
                            next_attempt_at=clock.now())
    savepoint = db.session.begin_nested()
    try:
        db.session.add(message)
        db.session.flush()
    except IntegrityError:  # another dispatcher wrote it first
        savepoint.rollback()
        return None
    savepoint.commit()
    return message


def enqueue_account(user: User, kind: MailKind, step: str) -> OutboxMessage | None:
    """A mail about a staff account (no round): one row per (person, kind, step)."""
    exists = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.round_id.is_(None), OutboxMessage.user_id == user.id,
        OutboxMessage.kind == kind, OutboxMessage.step == step))
    if exists:
        return None
    message = OutboxMessage(round_id=None, user_id=user.id, kind=kind, step=step,
                            next_attempt_at=clock.now())
    savepoint = db.session.begin_nested()
    try:
        db.session.add(message)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return None
    savepoint.commit()
    return message


def contacts_of(rnd: Round) -> list[tuple[User, int]]:
    """(contact, organisation id) for every active contact of every recipient organisation.

    Read at every dispatch, so a contact added while the round is open is invited at the next
    one (the outbox row is unique per round, person and kind: nobody gets two)."""
    recipient_ids = {o.id for o in rnd.recipients}
    # A colleague waiting for the unit's approval gets nothing yet.
    contacts = db.session.scalars(select(User).where(
        User.role == Role.CONTACT, User.active.is_(True),
        User.pending_approval.is_(False))).all()
    return [(c, o.id) for c in contacts for o in c.organisations if o.id in recipient_ids]


def _missing_sub_goals(rnd: Round) -> dict[int, set[int]]:
    """organisation id -> the round's sub-goals it has not yet submitted (or had approved)."""
    wanted = {o.id: {sg.id for sg in rnd.sub_goals_for(o)} for o in rnd.recipients}
    for organisation_id, sub_goal_id in db.session.execute(
            select(Submission.organisation_id, Answer.sub_goal_id).join(Answer)
            .where(Submission.round_id == rnd.id,
                   Answer.state.in_([ReviewState.SUBMITTED, ReviewState.APPROVED]))):
        wanted.get(organisation_id, set()).discard(sub_goal_id)
    return wanted


def _finished_organisations(rnd: Round) -> set[int]:
    """Organisations that have submitted (or had approved) every sub-goal of the round."""
    return {org for org, goals in _missing_sub_goals(rnd).items() if not goals}


def reminder_recipients(rnd: Round, people: list[tuple[User, int]]) -> set[int]:
    """Who is reminded: for each sub-goal still missing, its responsible colleague and the
    organisation's main contact. An organisation with neither (nobody has delegated) keeps
    the old way: every contact hears. One mail per person and step whatever they answer."""
    from webapp.models import Organisation, SubGoalAssignment

    missing = {org: goals for org, goals in _missing_sub_goals(rnd).items() if goals}
    if not missing:
        return set()
    responsible: dict[tuple[int, int], int] = {
        (org, sg): user for org, sg, user in db.session.execute(
            select(SubGoalAssignment.organisation_id, SubGoalAssignment.sub_goal_id,
                   SubGoalAssignment.user_id)
            .where(SubGoalAssignment.organisation_id.in_(list(missing))))}
    main = dict(db.session.execute(select(Organisation.id, Organisation.main_contact_id)
                                   .where(Organisation.id.in_(list(missing)))).all())
    members: dict[int, set[int]] = {}
    for contact, organisation_id in people:
        members.setdefault(organisation_id, set()).add(contact.id)
    chosen: set[int] = set()
    for org, goals in missing.items():
        mine = members.get(org, set())
        named = {responsible[(org, sg)] for sg in goals if (org, sg) in responsible}
        if main.get(org) is not None:
            named.add(main[org])
        elif any((org, sg) not in responsible for sg in goals):
            named |= mine  # a missing sub-goal nobody answers for: everyone hears
        # Only people who still answer for the organisation (active, not moved away).
        chosen |= named & mine or mine
    return chosen


def dispatch_due(now: dt.datetime) -> list[int]:
    """Write the rows for everything due at ``now``; return the ids of rows to send now.

    Safe to run twice at once: the unique row per (round, person, kind, step) decides."""
    today = now.astimezone(clock.STOCKHOLM).date()
    for rnd in db.session.scalars(select(Round).where(Round.status != RoundStatus.CLOSED)):
        if rnd.status is RoundStatus.SCHEDULED and rnd.opens_on <= today:
            rnd.status = RoundStatus.OPEN
            questionnaires.freeze(rnd)
            audit.record(None, "round.opened_on_schedule", "round", rnd.id, round_id=rnd.id,
                         to_state="open")
        if rnd.status is not RoundStatus.OPEN:
            continue
        people = contacts_of(rnd)
        for contact, _ in people:
            enqueue(rnd, contact, MailKind.INVITATION, rnd.opens_on.isoformat())
        due = [d for d in rnd.reminder_dates() if rnd.opens_on < d <= today]
        if due:  # only the latest due step: a late start does not send three at once
            chosen = reminder_recipients(rnd, people)
            for contact in {c.id: c for c, _ in people if c.id in chosen}.values():
                enqueue(rnd, contact, MailKind.REMINDER, due[-1].isoformat())
    if now.astimezone(clock.STOCKHOLM).hour >= DIGEST_HOUR:
        _dispatch_digests(today)
    db.session.flush()
    return list(db.session.scalars(select(OutboxMessage.id).where(or_(
        and_(OutboxMessage.state == MailState.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == MailState.SENDING,
             OutboxMessage.next_attempt_at <= now - SENDING_TIMEOUT)))))


def _dispatch_digests(today: dt.date) -> None:
    from webapp.services import overview

    for reviewer in db.session.scalars(select(User).where(
            User.role.in_([Role.REVIEWER, Role.ADMIN]), User.active.is_(True))):
        waiting = overview.queue(reviewer.id)
        if waiting:  # only when something waits
            enqueue(waiting[0].submission.round, reviewer, MailKind.DIGEST, today.isoformat())


def notify_returned(answer: Answer) -> None:
    """Contacts of the organisation hear that an answer came back with a comment."""
    submission = answer.submission
    for contact, organisation_id in contacts_of(submission.round):
        if organisation_id == submission.organisation_id:
            enqueue(submission.round, contact, MailKind.RETURNED,
                    f"answer-{answer.id}-v{answer.version}")


def notify_all_approved(answer: Answer) -> None:
    """When the last sub-goal of an organisation is approved, its contacts hear so (once)."""
    submission = answer.submission
    wanted = {sg.id for sg in submission.round.sub_goals_for(submission.organisation)}
    approved = set(db.session.scalars(select(Answer.sub_goal_id).where(
        Answer.submission_id == submission.id, Answer.state == ReviewState.APPROVED)))
    if not wanted <= approved:
        return
    for contact, organisation_id in contacts_of(submission.round):
        if organisation_id == submission.organisation_id:
            enqueue(submission.round, contact, MailKind.ALL_APPROVED,
                    f"org-{submission.organisation_id}")


def request_new_link(email: str, now: dt.datetime) -> None:
    """'Send me a new link': silent about whether the address exists; at most one mail per
    contact and round every ten minutes (the step is the ten-minute slot)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower(),
                                                User.role == Role.CONTACT,
                                                User.active.is_(True),
                                                User.pending_approval.is_(False)))
    if user is None:
        return
    slot = now.astimezone(dt.UTC).strftime("%Y%m%d%H") + str(now.minute // 10)
    org_ids = {o.id for o in user.organisations}
    for rnd in db.session.scalars(select(Round).where(Round.status == RoundStatus.OPEN)):
        if org_ids & {o.id for o in rnd.recipients}:
            enqueue(rnd, user, MailKind.NEW_LINK, slot)
    db.session.flush()


def claim(message_id: int, now: dt.datetime) -> bool:
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, or_(
            and_(OutboxMessage.state == MailState.PENDING, OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.state == MailState.SENDING,
                 OutboxMessage.next_attempt_at <= now - SENDING_TIMEOUT)))
        .values(state=MailState.SENDING, next_attempt_at=now,
                attempts=OutboxMessage.attempts + 1))
    return result.rowcount == 1  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Rendered:
    to: str
    subject: str
    text: str
    html: str


SUBJECTS = {
    MailKind.INVITATION: "Inbjudan: {round} – Uppföljning av handlingsplaner",
    MailKind.REMINDER: "Påminnelse: {round} – sista svarsdag {deadline}",
    MailKind.RETURNED: "Ett svar har returnerats: {round}",
    MailKind.DIGEST: "Svar som väntar på granskning",
    MailKind.NEW_LINK: "Din nya länk: {round}",
    MailKind.RECEIPT: "Kvitto: {round}",
    MailKind.ALL_APPROVED: "Alla era svar är godkända: {round}",
    MailKind.ACCOUNT_INVITE: "Ditt konto i Uppföljning av handlingsplaner",
    MailKind.PASSWORD_RESET: "Välj ett nytt lösenord – Uppföljning av handlingsplaner",
}


def _render_account(message: OutboxMessage) -> Rendered:
    from webapp.models import TokenPurpose
    from webapp.services import accounts

    user = message.user
    purpose = (TokenPurpose.INVITE if message.kind is MailKind.ACCOUNT_INVITE
               else TokenPurpose.PASSWORD_RESET)
    token = accounts.issue_token(user, purpose, created_by_id=user.invited_by_id
                                 if purpose is TokenPurpose.INVITE else None)
    base_url = current_app.config["PUBLIC_URL"].rstrip("/")
    context = {"user": user, "kind": message.kind.value, "link_url": f"{base_url}/konto/{token}",
               "base_url": base_url, "valid_for": accounts.lifetime_text(purpose)}
    return Rendered(user.email, SUBJECTS[message.kind],
                    render_template("mail/account.txt", **context),
                    render_template("mail/account.html", **context))


def render(message: OutboxMessage) -> Rendered:
    """The mail's text. Links are made here, at send time, so no token rests in the database."""
    if message.round is None:
        return _render_account(message)
    rnd, user = message.round, message.user
    link_url = None
    if message.kind in (MailKind.INVITATION, MailKind.REMINDER, MailKind.NEW_LINK,
                        MailKind.RETURNED):
        token = links.issue(rnd, user)
        link_url = current_app.config["PUBLIC_URL"].rstrip("/") + f"/lank/{token}"
    context = {"round": rnd, "user": user, "link_url": link_url, "kind": message.kind.value,
               "base_url": current_app.config["PUBLIC_URL"].rstrip("/"),
               "who": region.identity()}
    if message.kind is MailKind.DIGEST:
        from webapp.services import overview

        context["waiting"] = overview.queue(user.id)
    if message.kind is MailKind.RECEIPT:
        context["stockholm"] = clock.STOCKHOLM
        context["receipt"] = list(db.session.scalars(
            select(Answer).join(Submission)
            .where(Submission.round_id == rnd.id,
                   Submission.organisation_id.in_([o.id for o in user.organisations]),
                   Answer.state.in_([ReviewState.SUBMITTED, ReviewState.APPROVED]))
            .order_by(Submission.organisation_id, Answer.sub_goal_id)))
    subject = SUBJECTS[message.kind].format(round=rnd.name, deadline=rnd.deadline.isoformat())
    return Rendered(user.email, subject, render_template("mail/message.txt", **context),
                    render_template("mail/message.html", **context))


def deliver(rendered: Rendered) -> None:
    config = current_app.config
    mail = EmailMessage()
    mail["From"] = config["MAIL_FROM"]
    mail["To"] = rendered.to
    mail["Subject"] = rendered.subject
    mail["Message-ID"] = make_msgid(domain="uppfoljning.local")
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    if not config["SMTP_HOST"]:
        # Embedded default: no mail server; each mail becomes a file to open in a mail program.
        folder = Path(config["INSTANCE_PATH"]) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        name = mail["Message-ID"].strip("<>").replace("@", "_")
        (folder / f"{name}.eml").write_bytes(bytes(mail))
        return
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
        if config["SMTP_STARTTLS"]:
            # Verify the server's certificate; smtplib does not unless given a context.
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(mail)


def mark_sent(message_id: int) -> None:
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None  # noqa: S101 (narrows the type; the caller holds the row)
    message.state = MailState.SENT
    message.sent_at = clock.now()
    message.last_error = None
    db.session.flush()


def mark_failed_attempt(message_id: int, error: str) -> None:
    """Try again later with a growing pause; give up after MAX_ATTEMPTS (the admin can resend)."""
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None  # noqa: S101 (narrows the type; the caller holds the row)
    message.last_error = error[:1000]
    if message.attempts >= MAX_ATTEMPTS:
        message.state = MailState.FAILED
    else:
        message.state = MailState.PENDING
        message.next_attempt_at = clock.now() + backoff(message.attempts)
    db.session.flush()


def resend(actor: User, message: OutboxMessage) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan skicka om e-post.")
    if message.state is not MailState.FAILED:
        raise ServiceError("Bara misslyckade utskick kan skickas om.")
    message.state = MailState.PENDING
    message.attempts = 0
    message.next_attempt_at = clock.now()
    audit.record(actor, "mail.resend", "outbox_message", message.id, round_id=message.round_id)
    db.session.flush()


@dataclass(frozen=True)
class ContactStatus:
    contact: User
    organisation: str
    invited_at: dt.datetime | None
    reminders: int
    opened_at: dt.datetime | None
    finished: bool


def round_status(rnd: Round) -> tuple[list[ContactStatus], list[OutboxMessage]]:
    """Per contact: invited, reminded, opened (link used), submitted; and the round's mail log."""
    from webapp.models import PersonalLink

    messages = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.round_id == rnd.id).order_by(OutboxMessage.created_at.desc(),
                                                   OutboxMessage.id.desc())))
    opened: dict[int, dt.datetime] = {}
    for user_id, used in db.session.execute(select(PersonalLink.user_id,
                                                   PersonalLink.last_used_at).where(
            PersonalLink.round_id == rnd.id, PersonalLink.last_used_at.is_not(None))):
        opened[user_id] = max(used, opened.get(user_id, used))
    finished = _finished_organisations(rnd)
    names = {o.id: o.name for o in rnd.recipients}
    rows = []
    for contact, organisation_id in contacts_of(rnd):
        mine = [m for m in messages if m.user_id == contact.id and m.state is MailState.SENT]
        invited = [m.sent_at for m in mine if m.kind is MailKind.INVITATION]
        rows.append(ContactStatus(
            contact, names[organisation_id], invited[0] if invited else None,
            sum(1 for m in mine if m.kind is MailKind.REMINDER), opened.get(contact.id),
            organisation_id in finished))
    return sorted(rows, key=lambda r: (r.organisation, r.contact.name)), messages
