"""The unit's pages: rounds and their reports."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.forms.reports import ReportRequestForm
from webapp.forms.rounds import RoundForm
from webapp.models import (ActionPlan, Organisation, OrganisationKind, ReportJob, Role, Round)
from webapp.models._types import local_today
from webapp.security import roles_required
from webapp.services import ServiceError
from webapp.services import rounds as round_service

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles_required(Role.ADMIN)
def rounds():  # type: ignore[no-untyped-def]
    all_rounds = db.session.scalars(select(Round).order_by(Round.created_at.desc())).all()
    return render_template("admin/rounds.html", rounds=all_rounds)


def _round_form() -> RoundForm:
    form = RoundForm()
    plans = db.session.scalars(select(ActionPlan).order_by(ActionPlan.position)).all()
    form.sub_goals.choices = [
        (sg.id, f"{sg.title} ({plan.name})") for plan in plans for sg in plan.sub_goals
    ]
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.active.is_(True))
        .order_by(Organisation.kind.desc(), Organisation.name)).all()
    form.organisations.choices = [(o.id, f"{o.name} ({o.kind_label.lower()})")
                                  for o in organisations]
    if not form.is_submitted():
        today = local_today()
        form.year.data = today.year
        form.name.data = f"Uppföljning {today.year}"
        form.deadline.data = today + dt.timedelta(days=42)
        form.organisations.data = [o.id for o in organisations
                                   if o.kind is OrganisationKind.MUNICIPALITY]
    return form


@bp.route("/omgang/ny", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_round():  # type: ignore[no-untyped-def]
    form = _round_form()
    if form.validate_on_submit():
        try:
            rnd = round_service.open_round(
                current_user, name=form.name.data or "", year=form.year.data or 0,
                deadline=form.deadline.data, sub_goal_ids=form.sub_goals.data or [],
                organisation_ids=form.organisations.data or [])
        except ServiceError as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
        else:
            db.session.commit()
            flash(f"Omgången {rnd.name} är öppen.", "success")
            return redirect(url_for(".round_detail", round_id=rnd.id))
    return render_template("admin/new_round.html", form=form), 422 if form.errors else 200


@bp.route("/omgang/<int:round_id>")
@roles_required(Role.ADMIN)
def round_detail(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    jobs = db.session.scalars(select(ReportJob).where(ReportJob.round_id == rnd.id)
                              .order_by(ReportJob.id.desc())).all()
    return render_template("admin/round.html", round=rnd, jobs=jobs,
                           report_form=ReportRequestForm())


