"""Test data factories (factory_boy) for rows a test needs beside the demo data.

They add to ``db.session`` and flush, like the services: the test (or the request it makes)
decides whether to commit. Inside ``demo`` everything is rolled back after the test anyway.
Names and numbers come from sequences, so two factories never collide with each other or
with the demo data (which uses real municipalities and ``@example.se`` names without digits).

    contact = UserFactory(organisations=[OrganisationFactory()])
    admin = StaffFactory(role=Role.ADMIN)            # signs in with Browser.login(admin.email)
"""
from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from webapp.extensions import db
from webapp.models import Organisation, Role, User
from webapp.models.org import OrganisationKind
from webapp.passwords import hash_password
from webapp.services.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET


class _Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        # The app's scoped session, looked up when used (each app context has its own).
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class OrganisationFactory(_Factory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Testkommun {n}")
    kind = OrganisationKind.MUNICIPALITY
    # SCB codes are four digits; 99xx is no real municipality.
    code = factory.Sequence(lambda n: f"99{n:02d}" if n < 100 else f"9{n:03d}")


class UserFactory(_Factory):
    """A contact by default; ``password=...`` hashes one (no password: cannot sign in)."""

    class Meta:
        model = User

    class Params:
        password = None

    email = factory.Sequence(lambda n: f"person{n}@example.se")
    name = factory.Sequence(lambda n: f"Person {n}")
    role = Role.CONTACT
    organisations = factory.LazyFunction(list)
    password_hash = factory.LazyAttribute(
        lambda o: hash_password(o.password) if o.password else None)


class StaffFactory(UserFactory):
    """Staff who sign in like the demo staff: the demo password and authenticator secret."""

    class Params:
        password = DEMO_PASSWORD

    role = Role.REVIEWER
    totp_secret = DEMO_TOTP_SECRET
