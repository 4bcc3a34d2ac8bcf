"""Password hashing (argon2id) and per-route role checks."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, has_app_context, request
from flask_login import current_user, login_required

from webapp.models import Role

# PASSWORD_HASHING (config.py) picks one; production refuses anything but "argon2id".
# The test profile is argon2's cheapest parameters: thousands of times faster, so a test
# suite that seeds and signs in hundreds of times spends its time on what it tests.
HASHERS = {
    "argon2id": PasswordHasher(),  # argon2-cffi's defaults (RFC 9106 low-memory profile)
    "insecure-fast-for-tests": PasswordHasher.from_parameters(profiles.CHEAPEST),
}
F = TypeVar("F", bound=Callable[..., object])


def _hasher() -> PasswordHasher:
    name = current_app.config.get("PASSWORD_HASHING", "argon2id") if has_app_context() \
        else "argon2id"
    return HASHERS[name]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check, so timing does not tell which emails exist.
        _hasher().hash(password)
        return False
    try:
        # The parameters are read from the stored hash, whichever profile made it.
        return _hasher().verify(password_hash, password)
    except InvalidHashError:
        # Not an argon2 hash (e.g. a marker for "no password"): refused at once, which
        # would answer faster than a real check. Spend the one hash here too.
        _hasher().hash(password)
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
    """Access denials are audited (who, which path): the request's own work is rolled back,
    the audit row is kept through the refusal by the request boundary."""
    from webapp.services import audit
    from webapp.views import boundary

    boundary.discard()
    audit.record(current_user if current_user.is_authenticated else None, "access.denied",
                 "path", None, comment=f"{request.method} {request.path}"[:300])
    boundary.keep()
