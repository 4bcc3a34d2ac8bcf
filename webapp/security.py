"""Password hashing (argon2id) and per-route role checks."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort
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
    except (VerificationError, InvalidHashError):
        return False



def roles_required(*roles: Role) -> Callable[[F], F]:
    """Every route states who may use it; anyone else gets 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: object, **kwargs: object) -> object:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
