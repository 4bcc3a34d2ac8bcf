from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from webapp.models import Role

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    target = {
        Role.ADMIN: "admin.rounds",
        Role.REVIEWER: "review.rounds",
        Role.CONTACT: "respond.home",
    }[current_user.role]
    return redirect(url_for(target))


@bp.route("/halsa")
def health():  # type: ignore[no-untyped-def]
    """For load balancers and as the load test's baseline: no database, no template."""
    return {"status": "ok"}
