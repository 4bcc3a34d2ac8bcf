"""The test fixtures themselves: what one test writes under ``demo`` is gone for the next,
commits and all, and ids start where the seed left them."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.factories import OrganisationFactory, StaffFactory, UserFactory
from tests.integration.conftest import reseed, rolled_back
from tests.web import Browser
from webapp.extensions import db
from webapp.models import Organisation, Role, User


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_what_a_rolled_back_test_committed_is_gone_and_ids_start_again(app: Flask) -> None:
    reseed(app)
    users, organisations = _count(app, User), _count(app, Organisation)
    ids = []
    for _ in range(2):
        with rolled_back(app):
            with app.app_context():
                kommun = OrganisationFactory()
                UserFactory(organisations=[kommun])
                db.session.commit()  # the app's commit: a savepoint inside the test's transaction
                ids.append(kommun.id)
            # Seen by the next app context (a request), as after a real commit.
            assert _count(app, User) == users + 1
    assert _count(app, User) == users and _count(app, Organisation) == organisations
    assert ids[0] == ids[1] == organisations + 1


def test_factory_staff_sign_in_like_the_demo_staff(demo: Flask) -> None:
    with demo.app_context():
        admin = StaffFactory(role=Role.ADMIN)
        db.session.commit()
        email = admin.email
    browser = Browser(demo.test_client())
    browser.login(email)
    assert browser.page is not None and "Logga ut" in browser.page.text


def test_a_failed_write_in_a_request_rolls_back_only_that_request(demo: Flask) -> None:
    """A unique-key error rolls back to the session's savepoint; the test goes on."""
    with demo.app_context():
        taken = db.session.scalar(select(Organisation.name).limit(1))
        OrganisationFactory(name="Ny kommun")
        db.session.commit()
        with pytest.raises(IntegrityError):
            OrganisationFactory(name=taken)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).where(Organisation.name == "Ny kommun")) == 1
