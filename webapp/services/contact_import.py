"""Contacts in bulk: a file's rows compared with the contacts stored (the preview), then applied
exactly as previewed (the confirmation); and the same list back out.

Between the two steps nothing is stored: the preview hands the admin a signed token holding the
rows to apply and a digest of what the preview promised. Confirming recomputes the plan from
the database as it is then; if it no longer matches the digest (someone changed a contact in
between, or the import was already made) nothing is written and the admin is told why.

An import adds and updates; it never deletes, deactivates or empties anyone. An empty Titel or
Telefon cell (or no such column) leaves what is stored.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEvent, Organisation, Role, User, user_organisations
from webapp.models._types import utcnow
from webapp.services import NotFound, ServiceError, StaleState, audit, contact_file
from webapp.services.contact_file import ContactRow, OrganisationRef

TOKEN_SALT = "contact-import"  # noqa: S105 (a namespace; the key is SECRET_KEY)
TOKEN_MAX_AGE = 60 * 60  # an hour to read the preview and confirm
# The token travels in a form field; Flask refuses form fields over 500 000 bytes
# (MAX_FORM_MEMORY_SIZE). A real 5 000-row list compresses to about 60 000.
MAX_TOKEN_CHARS = 450_000

NEW, CHANGED, UNCHANGED, BAD = "new", "changed", "unchanged", "bad"
ACTION_LABELS = {NEW: "Ny", CHANGED: "Ändras", UNCHANGED: "Oförändrad", BAD: "Fel"}
IMPORT_ACTION = "contact.import"
# The contact service's own actions: an imported contact's history reads like any other's.
CONTACT_ACTIONS = ("contact.create", "contact.update")


@dataclass
class PlannedRow:
    row: ContactRow
    action: str
    changes: list[str] = field(default_factory=list)
    user_id: int | None = None

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class Preview:
    filename: str
    rows: list[PlannedRow]
    token: str = ""

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def bad(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == BAD]

    @property
    def to_apply(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action in (NEW, CHANGED)]


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan läsa in och ta ut kontaktpersoner.")


def organisation_refs() -> list[OrganisationRef]:
    return [OrganisationRef(o.id, o.name, o.code, o.active)
            for o in db.session.scalars(select(Organisation).order_by(Organisation.id))]


# --- the preview ----------------------------------------------------------------------------


def preview(actor: User, data: bytes, filename: str, *, secret: str) -> Preview:
    """What importing this file would do, row by row. Writes nothing. Raises
    ``ContactFileError`` (a ServiceError) when the file as a whole cannot be read."""
    _require_admin(actor)
    parsed = contact_file.read(data, filename, organisation_refs())
    planned = _plan(parsed.rows, parsed.columns)
    result = Preview(filename=filename, rows=planned)
    result.token = _sign(actor, result, parsed.columns, secret)
    if len(result.token) > MAX_TOKEN_CHARS:
        raise contact_file.ContactFileError(
            "Filen har för mycket nytt att läsa in i ett steg. Dela upp den i två eller fler "
            "filer och läs in dem en i taget.")
    return result


def _plan(rows: list[ContactRow], columns: Iterable[str]) -> list[PlannedRow]:
    """Each row against the contacts stored now (one query for all of them)."""
    columns = set(columns)
    emails = {r.email for r in rows if r.ok}
    users: dict[str, User] = {}
    if emails:
        found = db.session.scalars(select(User).where(func.lower(User.email).in_(emails))
                                   .options(selectinload(User.organisations)))
        users = {u.email.lower(): u for u in found}
    planned: list[PlannedRow] = []
    described: set[str] = set()  # a person's own changes are shown on their first row
    for row in rows:
        if not row.ok:
            planned.append(PlannedRow(row, BAD))
            continue
        user = users.get(row.email)
        if user is None:
            planned.append(PlannedRow(row, NEW))
            continue
        refusal = _refusal(user)
        if refusal:
            row.problems.append(refusal)
            planned.append(PlannedRow(row, BAD, user_id=user.id))
            continue
        changes = [] if row.email in described else _detail_changes(user, row, columns)
        described.add(row.email)
        if not user.represents(row.organisation_id or 0):
            changes.append(f"Läggs till som kontaktperson för {row.organisation_name}")
        planned.append(PlannedRow(row, CHANGED if changes else UNCHANGED, changes, user.id))
    return planned


def _refusal(user: User) -> str | None:
    if user.role is not Role.CONTACT:
        return (f"E-postadressen hör till ett konto med rollen {user.role.label.lower()} och "
                "kan inte läsas in som kontaktperson.")
    if user.anonymised_at is not None or not user.active:
        return ("Kontaktpersonen är inaktiverad. Aktivera kontot under Personer först om hen "
                "ska vara med igen.")
    return None


def _detail_changes(user: User, row: ContactRow, columns: set[str]) -> list[str]:
    changes = []
    if row.name != user.name:
        changes.append(f"Namn: {user.name} → {row.name}")
    for key, label in (("title", "Titel"), ("phone", "Telefon")):
        new = getattr(row, key)
        old = getattr(user, key) or ""
        if key in columns and new and new != old:
            changes.append(f"{label}: {old or '–'} → {new}")
    return changes


# --- carrying the preview to the confirmation -------------------------------------------------


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT)


def _digest(planned: Iterable[PlannedRow]) -> str:
    promise = [[p.row.line, p.action, p.user_id, p.changes] for p in planned
               if p.action in (NEW, CHANGED)]
    return hashlib.sha256(json.dumps(promise, ensure_ascii=False).encode()).hexdigest()


def _sign(actor: User, result: Preview, columns: Iterable[str], secret: str) -> str:
    rows = [[p.row.line, p.row.organisation_id, p.row.organisation_name, p.row.email,
             p.row.name, p.row.title, p.row.phone] for p in result.to_apply]
    payload = {"actor": actor.id, "file": result.filename[:200], "columns": sorted(columns),
               "rows": rows, "digest": _digest(result.rows),
               "counts": {a: result.count(a) for a in (UNCHANGED, BAD)}}
    return _serializer(secret).dumps(payload)


STALE_TOKEN = ("Förhandsgranskningen gäller inte längre (den är äldre än en timme eller "  # noqa: S105
               "ofullständig). Välj filen igen för en ny förhandsgranskning.")


def _unsign(actor: User, token: str, secret: str) -> dict:
    try:
        payload = _serializer(secret).loads(token, max_age=TOKEN_MAX_AGE)
    except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        raise ServiceError(STALE_TOKEN) from None
    if not isinstance(payload, dict) or payload.get("actor") != actor.id:
        raise ServiceError(STALE_TOKEN)
    return payload


# --- the confirmation -------------------------------------------------------------------------


@dataclass
class Applied:
    event_id: int
    created: int
    updated: int


def apply(actor: User, token: str, *, secret: str) -> Applied:
    """Apply what the preview showed, or nothing. Flushes; the caller commits."""
    _require_admin(actor)
    payload = _unsign(actor, token, secret)
    _serialise_imports()
    organisations = {o.id: o for o in db.session.scalars(select(Organisation))}
    rows = []
    for line, org_id, org_name, email, name, title, phone in payload["rows"]:
        org = organisations.get(org_id)
        row = ContactRow(line=line, organisation=org_name, name=name, email=email, title=title,
                         phone=phone, organisation_id=org_id, organisation_name=org_name)
        if org is None or not org.active or org.name != org_name:
            row.problems.append("Organisationen har ändrats.")
        rows.append(row)
    planned = _plan(rows, payload["columns"])
    if _digest(planned) != payload["digest"]:
        if rows and all(p.action == UNCHANGED for p in planned):
            raise ServiceError("Den här importen är redan gjord: alla rader är oförändrade.")
        raise StaleState("Kontaktpersonerna eller organisationerna har ändrats sedan "
                         "förhandsgranskningen, så ingenting lästes in. Välj filen igen för "
                         "att se vad som händer nu.")
    counts = {"new": sum(1 for p in planned if p.action == NEW),
              "changed": sum(1 for p in planned if p.action == CHANGED),
              **payload["counts"]}
    batch = audit.record(actor, IMPORT_ACTION, "contact_import", None,
                         comment=_summary(payload["file"], counts))
    db.session.flush()
    created, updated = _write(actor, batch, planned, organisations, set(payload["columns"]))
    try:
        db.session.flush()
    except IntegrityError:  # an address added elsewhere in the same moment
        raise StaleState("En av adresserna lades till av någon annan under tiden, så "
                         "ingenting lästes in. Välj filen igen.") from None
    return Applied(batch.id, created, updated)


def _serialise_imports() -> None:
    """Two confirmations of one preview (a double click) run one after the other, so the
    second sees the first's contacts and is refused rather than failing on a duplicate."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                           {"key": TOKEN_SALT})


def _summary(filename: str, counts: dict[str, int]) -> str:
    return (f"{filename}: {counts['new']} nya, {counts['changed']} ändrade, "
            f"{counts[UNCHANGED]} oförändrade, {counts[BAD]} rader med fel")


def _write(actor: User, batch: AuditEvent, planned: list[PlannedRow],
           organisations: dict[int, Organisation], columns: set[str]) -> tuple[int, int]:
    """Made and audited as the contact service (webapp/services/contacts.py) makes a contact
    added by hand, with the same actions and comments (field names, never values), but for
    the whole file at once: one service call per row re-flushes an ever larger session, which
    took two minutes for 5 000 rows. Memberships and audit rows go in as one multi-row
    insert each."""
    from webapp.services.contacts import FIELD_LABELS

    existing = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({p.user_id for p in planned if p.user_id}))
        .options(selectinload(User.organisations)))}
    people: dict[str, User] = {}
    notes: dict[str, list[str]] = {}
    memberships: dict[str, set[int]] = {}  # email -> organisations to add
    created: set[str] = set()
    for item in planned:
        if item.action not in (NEW, CHANGED):
            continue
        row = item.row
        org = organisations[row.organisation_id or 0]
        user = people.get(row.email)
        if user is None and item.action == NEW:
            user = User(role=Role.CONTACT, invited_by_id=actor.id, name=row.name,
                        email=row.email, title=row.title or None, phone=row.phone or None)
            db.session.add(user)
            created.add(row.email)
            notes[row.email] = []
        elif user is None:
            user = existing[item.user_id or 0]
            wanted = {"name": row.name, **{key: getattr(row, key) for key in ("title", "phone")
                                           if key in columns and getattr(row, key)}}
            changed = [key for key, value in wanted.items() if getattr(user, key) != value]
            for key in changed:
                setattr(user, key, wanted[key])
            notes[row.email] = ["Ändrat: " + ", ".join(FIELD_LABELS[k] for k in changed) + "."
                                ] if changed else []
        people[row.email] = user
        adding = memberships.setdefault(row.email, set())
        if org.id not in adding and not (user.id and user.represents(org.id)):
            # One more organisation; the ones they had stay (an import never takes away).
            adding.add(org.id)
            also = "" if row.email in created and len(adding) == 1 else " även"
            notes[row.email].append(f"Kontaktperson{also} för {org.name}.")
    db.session.flush()  # the new contacts get their ids
    links = [{"user_id": people[email].id, "organisation_id": org_id}
             for email, org_ids in memberships.items() for org_id in sorted(org_ids)]
    if links:
        db.session.execute(insert(user_organisations), links)
    prefix = f"Import {batch.id}: "
    now = utcnow()  # as AuditEvent.at's own default
    events = [{"at": now, "actor_id": actor.id, "entity_type": "user", "entity_id": user.id,
               "action": "contact.create" if email in created else "contact.update",
               "comment": (prefix + " ".join(notes[email]))[:2000]}
              for email, user in people.items()]
    if events:
        db.session.execute(insert(AuditEvent), events)
    for user in existing.values():  # their organisations were added beside the ORM
        db.session.expire(user, ["organisations"])
    return len(created), len(people) - len(created)


# --- what an import did -----------------------------------------------------------------------


@dataclass
class ImportReport:
    event: AuditEvent
    people: list[tuple[str, User | None, str]]  # (action label, contact, what happened)


def report(actor: User, event_id: int) -> ImportReport:
    _require_admin(actor)
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.action != IMPORT_ACTION:
        raise NotFound()
    prefix = f"Import {event.id}: "
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(CONTACT_ACTIONS),
                                 AuditEvent.comment.startswith(prefix, autoescape=True))
        .order_by(AuditEvent.id))
    events = list(events)
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({e.entity_id for e in events if e.entity_id})))}
    per_person: dict[int, tuple[str, list[str]]] = {}
    for e in events:  # a changed contact may have two rows (details, another organisation)
        label, notes = per_person.setdefault(e.entity_id or 0, ("Ändrad", []))
        if e.action == "contact.create":
            label = "Ny"
        per_person[e.entity_id or 0] = (label, [*notes, (e.comment or "").removeprefix(prefix)])
    people = [(label, users.get(user_id), " ".join(notes))
              for user_id, (label, notes) in per_person.items()]
    return ImportReport(event, people)


# --- the list back out ------------------------------------------------------------------------


def export(actor: User, fmt: str) -> tuple[bytes, str, str]:
    """Every active contact, one row per organisation they answer for, in the import's own
    format: importing it again changes nothing. (content, mimetype, filename)."""
    _require_admin(actor)
    contacts = db.session.scalars(
        select(User).where(User.role == Role.CONTACT, User.active.is_(True),
                           User.anonymised_at.is_(None))
        .options(selectinload(User.organisations)))
    rows = sorted(([org.name if org else "", c.name, c.email.lower(), c.title, c.phone]
                   for c in contacts for org in (c.organisations or [None])),
                  key=lambda r: (r[0], r[1].casefold(), r[2]))
    audit.record(actor, "contact.export", "contact_import", None, comment=f"{len(rows)} rader")
    stem = f"kontaktpersoner-{clock.today().isoformat()}"
    if fmt == "csv":
        return contact_file.to_csv(rows), "text/csv; charset=utf-8", f"{stem}.csv"
    return (contact_file.to_xlsx(rows),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{stem}.xlsx")
