"""Sign-in under pressure (issue 16): a second-factor code posted in parallel is accepted once,
a recovery code is used once, and every way a sign-in can fail costs one password hash."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.web import Browser, csrf_token, totp_code
from webapp.extensions import db
from webapp.models import RecoveryCode, User
from webapp.services.auth import _digest

PARALLEL = 6


def _signed_in_in_parallel(demo, email: str, code: str) -> int:
    """``PARALLEL`` browsers pass the password step, then all post ``code`` at once on their
    own connections; how many got in."""
    browsers = []
    for _ in range(PARALLEL):
        b = Browser(demo.test_client())
        b.get("/logga-in")
        b.submit({"email": email, "password": "demo-losenord"})
        assert b.url == "/logga-in/kod"
        browsers.append(b)
    barrier = threading.Barrier(PARALLEL)
    results: list[bool] = []

    def post(b: Browser) -> None:
        barrier.wait()
        response = b.client.post("/logga-in/kod", data={"csrf_token": csrf_token(b.page),
                                                         "code": code})
        results.append(response.status_code == 302)

    threads = [threading.Thread(target=post, args=(b,)) for b in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == PARALLEL
    return sum(results)


@pytest.mark.committed  # parallel connections must see each other's commits
def test_one_totp_code_posted_in_parallel_signs_in_once(demo) -> None:
    assert _signed_in_in_parallel(demo, "granskare@example.se", totp_code()) == 1


@pytest.mark.committed  # parallel connections must see each other's commits
def test_one_recovery_code_posted_in_parallel_signs_in_once(demo) -> None:
    with demo.app_context():
        user = db.session.scalar(select(User).where(User.email == "admin@example.se"))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest("a1b2c3d4e5")))
        db.session.commit()
    assert _signed_in_in_parallel(demo, "admin@example.se", "a1b2c3d4e5") == 1
    with demo.app_context():
        assert db.session.scalar(select(RecoveryCode.used_at)) is not None


class _CountingHasher:
    """The real argon2 hasher, counting every hash computed (a hash or a verify)."""

    def __init__(self, real) -> None:
        self.real, self.count = real, 0

    def hash(self, password: str) -> str:
        self.count += 1
        return self.real.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        from argon2.exceptions import VerificationError

        try:
            result = self.real.verify(stored, password)
        except VerificationError:  # computed, and did not match
            self.count += 1
            raise
        # (InvalidHashError: refused before any hashing, so not counted)
        self.count += 1
        return result

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def test_every_sign_in_costs_one_password_hash_whatever_the_account(demo,
                                                                     monkeypatch) -> None:
    """Timing must not tell a disabled, unknown or password-less account from a real one:
    each costs exactly one hash (counted, not timed)."""
    from webapp import passwords

    with demo.app_context():
        disabled = db.session.scalar(select(User).where(User.email == "askersund@example.se"))
        disabled.active = False
        no_password = db.session.scalar(select(User).where(User.email == "kumla@example.se"))
        no_password.password_hash = None
        unusable = db.session.scalar(select(User).where(User.email == "ledamot@example.se"))
        unusable.password_hash = "!"  # not an argon2 hash
        db.session.commit()
    counting = _CountingHasher(passwords._hasher())
    monkeypatch.setattr(passwords, "_hasher", lambda: counting)
    costs = {}
    for case, email, password in (
            ("unknown", "finns-inte@example.se", "demo-losenord"),
            ("disabled", "askersund@example.se", "demo-losenord"),
            ("no password", "kumla@example.se", "demo-losenord"),
            ("unusable hash", "ledamot@example.se", "demo-losenord"),
            ("wrong password", "orebro@example.se", "fel-losenord"),
            ("right password", "hallsberg@example.se", "demo-losenord")):
        b = Browser(demo.test_client())
        b.get("/logga-in")
        before = counting.count
        b.submit({"email": email, "password": password})
        costs[case] = counting.count - before
    assert costs == {case: 1 for case in costs}
