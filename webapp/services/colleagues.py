"""Inside one organisation: the main contact (huvudkontakt) invites colleagues and makes
them responsible for sub-goals ("ansvarig för delmålet"); the unit may require approving
each invited colleague first.

Every function takes the actor and checks they may act for *this* organisation: an id from
another organisation in a form or a URL is refused as if it did not exist.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from webapp.extensions import db
from webapp.models import (
    AppSetting,
    MailKind,
    Organisation,
    OutboxMessage,
    Role,
    Round,
    RoundStatus,
    SubGoalAssignment,
    User,
    user_organisations,
)
from webapp.models.people import COLLEAGUE_INVITES_NEED_APPROVAL
from webapp.services import NotFound, ServiceError, audit

NOT_MAIN_CONTACT = ("Bara huvudkontakten för {org} kan bjuda in kollegor och fördela "
                    "delmålen. Kontakta huvudkontakten om något behöver ändras.")


def is_main_contact(user: User, organisation: Organisation) -> bool:
    return (user.role is Role.CONTACT and organisation.main_contact_id == user.id
            and user.represents(organisation.id))


def _require_main_contact(actor: User, organisation: Organisation) -> None:
    if not actor.represents(organisation.id):
        raise NotFound()
    if not is_main_contact(actor, organisation):
        raise ServiceError(NOT_MAIN_CONTACT.format(org=organisation.name))


def colleagues(organisation: Organisation, *, include_pending: bool = False) -> list[User]:
    """The organisation's active contacts (and, if asked, those waiting for approval)."""
    query = (select(User).join(user_organisations, user_organisations.c.user_id == User.id)
             .where(user_organisations.c.organisation_id == organisation.id,
                    User.role == Role.CONTACT, User.active.is_(True),
                    User.anonymised_at.is_(None)).order_by(User.name))
    if not include_pending:
        query = query.where(User.pending_approval.is_(False))
    return list(db.session.scalars(query))


def responsible_by_sub_goal(organisation_id: int) -> dict[int, User]:
    """sub-goal id -> the colleague answering it for the organisation (kept across rounds).
    Someone deactivated since answers nothing: the main contact has those sub-goals again."""
    rows = db.session.execute(
        select(SubGoalAssignment.sub_goal_id, User)
        .join(User, User.id == SubGoalAssignment.user_id)
        .where(SubGoalAssignment.organisation_id == organisation_id, User.active.is_(True)))
    return {sub_goal_id: user for sub_goal_id, user in rows}


# --- the unit's setting ----------------------------------------------------------------------

def invites_need_approval() -> bool:
    setting = db.session.get(AppSetting, COLLEAGUE_INVITES_NEED_APPROVAL)
    return setting is not None and setting.value == "1"


def set_invites_need_approval(actor: User, on: bool) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan ändra inställningen.")
    setting = db.session.get(AppSetting, COLLEAGUE_INVITES_NEED_APPROVAL)
    if setting is None:
        setting = AppSetting(key=COLLEAGUE_INVITES_NEED_APPROVAL, value="0")
        db.session.add(setting)
    setting.value = "1" if on else "0"
    audit.record(actor, "setting.colleague_approval", "app_setting", None,
                 comment="godkännande krävs" if on else "inget godkännande krävs")
    db.session.flush()


# --- inviting a colleague --------------------------------------------------------------------

@dataclass(frozen=True)
class Invited:
    user: User
    mail_ids: list[int]  # invitations to send after the commit (none while pending)


def _open_rounds_for(organisation: Organisation) -> list[Round]:
    rounds = db.session.scalars(select(Round).where(Round.status == RoundStatus.OPEN)
                                .order_by(Round.deadline))
    return [r for r in rounds if any(o.id == organisation.id for o in r.recipients)]


def _invite_to_open_rounds(user: User, organisation: Organisation) -> list[int]:
    """The colleague's own invitation (with their own personal link, made at send time) for
    every open round the organisation answers: the same row the dispatcher would write, so
    the next dispatch does not send a second one."""
    from webapp.services import mail

    ids = []
    for rnd in _open_rounds_for(organisation):
        message = mail.enqueue(rnd, user, MailKind.INVITATION, rnd.opens_on.isoformat())
        if message is not None:
            ids.append(message.id)
    return ids


def invite(actor: User, organisation: Organisation, name: str, email: str,
           title: str | None = None) -> Invited:
    """A new contact of the same organisation, invited by its main contact."""
    _require_main_contact(actor, organisation)
    name, email = name.strip(), email.strip().lower()
    title = (title or "").strip() or None
    if not name or not email:
        raise ServiceError("Fyll i kollegans namn och e-postadress.")
    existing = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if existing is not None:
        if existing.represents(organisation.id):
            raise ServiceError(f"{existing.name} finns redan bland kollegorna på "
                               f"{organisation.name}.")
        # Whose address it is stays unsaid: it may be another organisation's contact.
        raise ServiceError("Det finns redan ett konto med den e-postadressen. Kontakta enheten "
                           "som samordnar uppföljningen om personen ska svara för er.")
    pending = invites_need_approval()
    colleague = User(email=email, name=name, title=title, role=Role.CONTACT, active=True,
                     pending_approval=pending, invited_by_id=actor.id,
                     organisations=[organisation])
    db.session.add(colleague)
    db.session.flush()
    rounds = _open_rounds_for(organisation)
    audit.record(actor, "colleague.invite", "user", colleague.id,
                 round_id=rounds[0].id if rounds else None,
                 # Who it is lives in the user row (anonymisation reaches it), not here.
                 comment=organisation.name + (", väntar på godkännande" if pending else ""))
    mail_ids = [] if pending else _invite_to_open_rounds(colleague, organisation)
    db.session.flush()
    return Invited(colleague, mail_ids)


# --- the unit approves or refuses ------------------------------------------------------------

def pending() -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.pending_approval.is_(True), User.role == Role.CONTACT).order_by(User.created_at)))


def recent_invites(limit: int = 20) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.invited_by_id.is_not(None), User.role == Role.CONTACT)
        .order_by(User.created_at.desc(), User.id.desc()).limit(limit)))


def _pending_colleague(actor: User, user_id: int) -> User:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan godkänna kollegor.")
    user = db.session.get(User, user_id)
    if user is None or user.role is not Role.CONTACT:
        raise NotFound()
    if not user.pending_approval:
        raise ServiceError(f"{user.name} väntar inte på godkännande (redan hanterad).")
    return user


def approve(actor: User, user_id: int) -> Invited:
    user = _pending_colleague(actor, user_id)
    user.pending_approval = False
    audit.record(actor, "colleague.approve", "user", user.id)
    mail_ids = [i for organisation in user.organisations
                for i in _invite_to_open_rounds(user, organisation)]
    db.session.flush()
    return Invited(user, mail_ids)


def refuse(actor: User, user_id: int) -> str:
    """An invited colleague the unit does not want: the row goes (they never signed in and
    nothing points at them); the log keeps that it happened, without their name."""
    user = _pending_colleague(actor, user_id)
    name = user.name
    audit.record(actor, "colleague.refuse", "user", user.id)
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user.id))
    db.session.delete(user)
    db.session.flush()
    return name


# --- who is responsible for which sub-goal ----------------------------------------------------

def assign(actor: User, organisation: Organisation, rnd: Round,
           choices: Mapping[int, int | None]) -> int:
    """Set "ansvarig för delmålet" for the round's sub-goals (sub-goal id -> colleague id, or
    None for nobody). Returns how many changed. A sub-goal outside the round or a person
    outside the organisation is refused, and nothing is written."""
    _require_main_contact(actor, organisation)
    offered = {sg.id: sg for sg in rnd.sub_goals_for(organisation)}
    people = {u.id for u in colleagues(organisation)}
    for sub_goal_id, user_id in choices.items():
        if sub_goal_id not in offered:
            raise ServiceError("Ett av delmålen finns inte i omgången.")
        if user_id is not None and user_id not in people:
            raise ServiceError("Den valda personen finns inte bland era kollegor.")
    current = {a.sub_goal_id: a for a in db.session.scalars(select(SubGoalAssignment).where(
        SubGoalAssignment.organisation_id == organisation.id,
        SubGoalAssignment.sub_goal_id.in_(list(choices))))}
    changed = 0
    for sub_goal_id, user_id in choices.items():
        row = current.get(sub_goal_id)
        if (row.user_id if row else None) == user_id:
            continue
        changed += 1
        if user_id is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(SubGoalAssignment(organisation_id=organisation.id,
                                             sub_goal_id=sub_goal_id, user_id=user_id,
                                             assigned_by_id=actor.id))
        else:
            row.user_id, row.assigned_by_id = user_id, actor.id
        # No names in the comment: audit text is never anonymised, user rows are.
        audit.record(actor, "subgoal.assign", "sub_goal", sub_goal_id, round_id=rnd.id,
                     comment=f"{organisation.name}: {offered[sub_goal_id].title}"
                             + (" – ny ansvarig" if user_id else " – ingen ansvarig"))
    db.session.flush()
    return changed
