"""Password hashing (argon2id) and per-route role checks."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, request
from flask_login import current_user, login_required

from webapp.models import Role

_hasher = PasswordHasher()
F = TypeVar("F", bound=Callable[..., object])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check, so timing does not tell which emails exist.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except InvalidHashError:
        # Not an argon2 hash (e.g. a marker for "no password"): refused at once, which
        # would answer faster than a real check. Spend the one hash here too.
        _hasher.hash(password)
        return False
    except VerificationError:
        return False



# Every view declares who may use it (the route × role test reads this): public, any
# signed-in person, or a set of roles. READER (read-only) is let in on GET only, where allowed.
ACCESS = "access_rule"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def public(view: F) -> F:
    setattr(view, ACCESS, "public")
    return view


def signed_in(view: F) -> F:
    wrapped = login_required(view)
    setattr(wrapped, ACCESS, "signed_in")
    return wrapped  # type: ignore[return-value]


def roles_required(*roles: Role, readers: bool = False) -> Callable[[F], F]:
    """Only these roles (and, with ``readers``, read-only users for GET); others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: object, **kwargs: object) -> object:
            allowed = current_user.role in roles or (
                readers and current_user.role is Role.READER and request.method in SAFE_METHODS)
            if not allowed:
                audit_denial()
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, ACCESS, (frozenset(roles), readers))
        return wrapped  # type: ignore[return-value]

    return decorator


def audit_denial() -> None:
    """Access denials are audited (who, which path), in a transaction of their own."""
    from webapp.extensions import db
    from webapp.services import audit

    db.session.rollback()
    audit.record(current_user if current_user.is_authenticated else None, "access.denied",
                 "path", None, comment=f"{request.method} {request.path}"[:300])
    db.session.commit()
