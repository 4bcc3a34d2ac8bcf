"""Password hashing (argon2id). Below the services, so services and views both use it."""
from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

# PASSWORD_HASHING (config.py) picks one; production refuses anything but "argon2id".
# The test profile is argon2's cheapest parameters: thousands of times faster, so a test
# suite that seeds and signs in hundreds of times spends its time on what it tests.
HASHERS = {
    "argon2id": PasswordHasher(),  # argon2-cffi's defaults (RFC 9106 low-memory profile)
    "insecure-fast-for-tests": PasswordHasher.from_parameters(profiles.CHEAPEST),
}


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
