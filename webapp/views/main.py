from flask import Blueprint, current_app, redirect, url_for
from flask_login import current_user

from webapp import health as health_checks
from webapp.extensions import db, limiter
from webapp.models import Role
from webapp.security import public, signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def home():  # type: ignore[no-untyped-def]
    target = {
        Role.ADMIN: "admin.rounds",
        Role.REVIEWER: "review.rounds",
        Role.CONTACT: "respond.home",
        Role.READER: "review.rounds",
    }[current_user.role]
    return redirect(url_for(target))


@bp.route("/halsa")
@public
def health():  # type: ignore[no-untyped-def]
    """For load balancers and as the load test's baseline: no database, no template."""
    return {"status": "ok"}


@bp.route("/healthz")
@public
@limiter.exempt
def liveness():  # type: ignore[no-untyped-def]
    """The process is alive and answers: no database, no Redis, no template."""
    return {"status": "ok"}


@bp.route("/readyz")
@public
@limiter.exempt
def readiness():  # type: ignore[no-untyped-def]
    """Ready to serve: the database answers, and the broker (and rate-limit storage) too.
    200 or 503 with one entry per check, within about two seconds, never a 500."""
    results = health_checks.run(health_checks.checks_for(current_app, db.engine))
    failing = [name for name, result in results.items() if result.status == "fel"]
    body = {"status": "fel" if failing else "ok",
            "checks": {name: result.as_dict() for name, result in results.items()}}
    if failing:
        body["failing"] = failing
    return body, 503 if failing else 200
