"""Personal links: a contact's way in for one round, without a password.

The token (256 random bits) is made when the mail is sent and only its SHA-256 is stored.
Opening the link shows a page; only pressing its button signs in, so mail scanners that
follow links neither use them up nor sign anyone in.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from webapp import clock
from webapp.extensions import db
from webapp.models import PersonalLink, Role, Round, RoundStatus, User, UserSession
from webapp.services import ServiceError, audit


class LinkRefused(ServiceError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(rnd: Round, user: User) -> str:
    """A new link for ``user`` in ``rnd``; returns the token, which is stored nowhere."""
    token = secrets.token_urlsafe(32)
    db.session.add(PersonalLink(round_id=rnd.id, user_id=user.id, token_hash=hash_token(token)))
    db.session.flush()
    return token


def find(token: str) -> PersonalLink:
    """The link behind ``token`` if it may be used now; LinkRefused with why otherwise."""
    link = None
    if 20 <= len(token) <= 100:
        link = db.session.scalar(select(PersonalLink).where(
            PersonalLink.token_hash == hash_token(token)))
    if link is None:
        raise LinkRefused("Länken är inte giltig. Kontrollera att hela länken kom med, eller "
                          "be om en ny länk nedan.")
    if link.revoked_at is not None:
        raise LinkRefused("Länken har spärrats. Be om en ny länk nedan.")
    if link.round.status is RoundStatus.CLOSED:
        raise LinkRefused("Uppföljningsomgången är avslutad och länken gäller inte längre.")
    if (not link.user.active or link.user.role is not Role.CONTACT
            or link.user.pending_approval):
        raise LinkRefused("Länken är inte giltig.")
    return link


def use(token: str) -> PersonalLink:
    link = find(token)
    link.last_used_at = clock.now()
    link.use_count += 1
    audit.record(link.user, "link.use", "personal_link", link.id, round_id=link.round_id)
    db.session.flush()
    return link


def revoke_all(actor: User, rnd: Round, user: User) -> int:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan spärra länkar.")
    result = db.session.execute(
        update(PersonalLink)
        .where(PersonalLink.round_id == rnd.id, PersonalLink.user_id == user.id,
               PersonalLink.revoked_at.is_(None))
        .values(revoked_at=clock.now()))
    # Sessions opened with these links end now, not when they idle out.
    revoked = select(PersonalLink.id).where(PersonalLink.round_id == rnd.id,
                                            PersonalLink.user_id == user.id)
    db.session.execute(update(UserSession)
                       .where(UserSession.link_id.in_(revoked), UserSession.ended_at.is_(None))
                       .values(ended_at=clock.now()))
    audit.record(actor, "link.revoke", "user", user.id, round_id=rnd.id)
    db.session.flush()
    return result.rowcount  # type: ignore[attr-defined]
