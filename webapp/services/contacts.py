"""Contacts (kontaktpersoner) per organisation, managed by the unit: add, edit, move,
deactivate, and mark one per organisation as its main contact (huvudkontakt).

A person is never deleted here: answers, revisions and audit rows point at them. One who left
is deactivated, or anonymised (webapp/services/privacy.py). Audit comments name what changed,
never the values, so the log keeps no personal data an anonymisation would have removed.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import Organisation, Role, User, user_organisations
from webapp.services import ServiceError, audit
from webapp.services.accounts import check_email_free, normalise_email

# Deliberately loose: one @, something on each side, a dot in the domain, no spaces. The mail
# server is the real judge; this catches typing slips.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELD_LABELS = {"name": "namn", "email": "e-postadress", "title": "titel", "phone": "telefon"}


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan hantera kontaktpersoner.")


def _require_contact(user: User) -> None:
    if user.role is not Role.CONTACT:
        raise ServiceError("Personen är inte en kontaktperson.")
    if user.anonymised_at is not None:
        raise ServiceError("Personen är anonymiserad och kan inte ändras.")


def _clean(name: str, email: str, title: str | None, phone: str | None) -> dict[str, str | None]:
    values = {"name": " ".join(name.split()), "email": normalise_email(email),
              "title": " ".join((title or "").split()) or None,
              "phone": (phone or "").strip() or None}
    if not values["name"]:
        raise ServiceError("Fyll i namnet.")
    if not EMAIL.match(values["email"] or ""):
        raise ServiceError(f"”{values['email']}” ser inte ut som en e-postadress.")
    return values


def create_contact(actor: User, organisation: Organisation, *, name: str, email: str,
                   title: str | None = None, phone: str | None = None) -> User:
    """A new contact of ``organisation``. If a round the organisation answers is open, the
    invitation goes out at the next dispatch."""
    _require_admin(actor)
    if not organisation.active:
        raise ServiceError(f"{organisation.name} är inte aktiv och kan inte få nya "
                           "kontaktpersoner.")
    values = _clean(name, email, title, phone)
    check_email_free(values["email"] or "")
    contact = User(role=Role.CONTACT, invited_by_id=actor.id, organisations=[organisation],
                   **values)
    db.session.add(contact)
    db.session.flush()
    audit.record(actor, "contact.create", "user", contact.id,
                 comment=f"Kontaktperson för {organisation.name}.")
    db.session.flush()
    return contact


def update_contact(actor: User, contact: User, *, name: str, email: str,
                   title: str | None = None, phone: str | None = None) -> list[str]:
    """Returns the Swedish names of the fields that changed (empty: nothing to save)."""
    _require_admin(actor)
    _require_contact(contact)
    values = _clean(name, email, title, phone)
    if values["email"] != contact.email:
        check_email_free(values["email"] or "", other_than=contact.id)
    changed = [key for key, value in values.items() if getattr(contact, key) != value]
    for key in changed:
        setattr(contact, key, values[key])
    if changed:
        audit.record(actor, "contact.update", "user", contact.id,
                     comment="Ändrat: " + ", ".join(FIELD_LABELS[k] for k in changed) + ".")
    db.session.flush()
    return [FIELD_LABELS[k] for k in changed]


def move_contact(actor: User, contact: User, source: Organisation,
                 target: Organisation) -> None:
    """From one organisation to another: their answers stay with the organisation they
    answered for; if they were its main contact, it has none until the unit picks one."""
    _require_admin(actor)
    _require_contact(contact)
    if not contact.represents(source.id):
        raise ServiceError(f"{contact.name} är inte kontaktperson för {source.name}.")
    if source.id == target.id:
        raise ServiceError("Välj en annan organisation än den nuvarande.")
    if not target.active:
        raise ServiceError(f"{target.name} är inte aktiv.")
    if contact.represents(target.id):
        raise ServiceError(f"{contact.name} är redan kontaktperson för {target.name}.")
    contact.organisations = [o for o in contact.organisations if o.id != source.id] + [target]
    if source.main_contact_id == contact.id:
        source.main_contact_id = None
    audit.record(actor, "contact.move", "user", contact.id,
                 comment=f"Från {source.name} till {target.name}.")
    db.session.flush()


def set_active(actor: User, contact: User, active: bool) -> None:
    from webapp.services import accounts

    _require_admin(actor)
    _require_contact(contact)
    accounts.set_active(actor, contact, active)
    if not active:  # an inactive person cannot delegate: the organisation needs a new one
        for organisation in db.session.scalars(select(Organisation).where(
                Organisation.main_contact_id == contact.id)):
            organisation.main_contact_id = None
    db.session.flush()


def set_main_contact(actor: User, organisation: Organisation, contact: User) -> None:
    _require_admin(actor)
    _require_contact(contact)
    if not contact.represents(organisation.id):
        raise ServiceError(f"{contact.name} är inte kontaktperson för {organisation.name}.")
    if not contact.active:
        raise ServiceError(f"{contact.name} är inaktiverad och kan inte vara huvudkontakt.")
    if organisation.main_contact_id == contact.id:
        raise ServiceError(f"{contact.name} är redan huvudkontakt för {organisation.name}.")
    organisation.main_contact_id = contact.id
    audit.record(actor, "contact.main", "organisation", organisation.id,
                 comment=f"Huvudkontakt: {contact.name}.")
    db.session.flush()


def contacts_of(organisation: Organisation) -> list[User]:
    """Every contact of the organisation, the inactive ones too (they can be re-enabled)."""
    return list(db.session.scalars(
        select(User).join(user_organisations)
        .where(user_organisations.c.organisation_id == organisation.id,
               User.role == Role.CONTACT)
        .order_by(User.active.desc(), User.name, User.id)))


def has_active_contact():  # type: ignore[no-untyped-def]
    """An SQL condition on Organisation: it has at least one active contact."""
    return exists().where(
        user_organisations.c.organisation_id == Organisation.id,
        user_organisations.c.user_id == User.id, User.role == Role.CONTACT,
        User.active.is_(True), User.pending_approval.is_(False))


def without_active_contact(organisation_ids: Iterable[int]) -> list[Organisation]:
    """Of these organisations, the ones nobody would get an invitation for."""
    ids = list(organisation_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ids), ~has_active_contact())
        .order_by(Organisation.kind.desc(), Organisation.name)))


def organisations_overview() -> list[tuple[Organisation, int, int]]:
    """(organisation, active contacts, all contacts) for every active organisation."""
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.active.is_(True))
        .options(selectinload(Organisation.main_contact))
        .order_by(Organisation.kind.desc(), Organisation.name)).all()
    counts: dict[int, list[int]] = {}
    for organisation_id, active in db.session.execute(
            select(user_organisations.c.organisation_id, User.active)
            .join(User, User.id == user_organisations.c.user_id)
            .where(User.role == Role.CONTACT, User.pending_approval.is_(False))):
        entry = counts.setdefault(organisation_id, [0, 0])
        entry[1] += 1
        entry[0] += 1 if active else 0
    return [(o, *counts.get(o.id, [0, 0])) for o in organisations]  # type: ignore[misc]
