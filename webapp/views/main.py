from flask import Blueprint, redirect, url_for
from flask_login import current_user

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
