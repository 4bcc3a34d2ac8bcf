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
