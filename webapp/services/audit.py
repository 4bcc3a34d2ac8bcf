from __future__ import annotations

from webapp.extensions import db
from webapp.models import AuditEvent, User


def record(actor: User | None, action: str, entity_type: str, entity_id: int | None, *,
           round_id: int | None = None, from_state: str | None = None,
           to_state: str | None = None, answer_version: int | None = None,
           comment: str | None = None) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None, action=action, entity_type=entity_type,
        entity_id=entity_id, round_id=round_id, from_state=from_state, to_state=to_state,
        answer_version=answer_version, comment=comment,
    )
    db.session.add(event)
    return event


def round_log(round_id: int) -> list[AuditEvent]:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.round_id == round_id)
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.at, AuditEvent.id)))


def neutralise(value: object) -> str:
    """Spreadsheet programs run a cell that starts with = + - @ (or a tab/CR) as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_round_csv(actor: User, round_id: int) -> str:
    """The round's audit log as CSV (semicolon-separated, as Swedish Excel expects)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["tid_utc", "vem", "handelse", "typ", "id", "fran", "till", "version",
                     "kommentar"])
    for event in round_log(round_id):
        writer.writerow([neutralise(v) for v in (
            event.at.isoformat(timespec="seconds"), event.actor.name if event.actor else "",
            event.action, event.entity_type, event.entity_id, event.from_state,
            event.to_state, event.answer_version, event.comment)])
    record(actor, "audit.export", "round", round_id, round_id=round_id)
    return buffer.getvalue()
