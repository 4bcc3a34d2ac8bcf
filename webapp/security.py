"""Per-route access rules: who may use each view (password hashing is in webapp.passwords)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort, request
from flask_login import current_user, login_required

from webapp.models import Role

F = TypeVar("F", bound=Callable[..., object])


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
    """Access denials are audited (who, which path): the request's own work is rolled back,
    the audit row is kept through the refusal by the request boundary."""
    from webapp.services import audit
    from webapp.views import boundary

    boundary.discard()
    audit.record(current_user if current_user.is_authenticated else None, "access.denied",
                 "path", None, comment=f"{request.method} {request.path}"[:300])
    boundary.keep()
