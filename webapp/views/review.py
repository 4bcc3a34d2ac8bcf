"""The reviewer's pages: what waits in a round, and one answer at a time."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.forms.review import ReviewForm
from webapp.models import Answer, AuditEvent, Role, Round, Submission
from webapp.security import roles_required
from webapp.services import NotFound, ServiceError
from webapp.services import review as review_service
from webapp.services.access import actor_of, answer_for, round_for
from webapp.workflows.review import InvalidTransition, ReviewAction, ReviewState, allowed_actions

bp = Blueprint("review", __name__, url_prefix="/granskning")
STAFF = (Role.REVIEWER, Role.ADMIN)


@bp.route("/")
@roles_required(*STAFF)
def rounds():  # type: ignore[no-untyped-def]
    all_rounds = db.session.scalars(select(Round).order_by(Round.deadline.desc())).all()
    return render_template("review/rounds.html", rounds=all_rounds)


@bp.route("/omgang/<int:round_id>")
@roles_required(*STAFF)
def round_overview(round_id: int):  # type: ignore[no-untyped-def]
    try:
        rnd = round_for(current_user, round_id)
    except NotFound:
        abort(404)
    submissions = db.session.scalars(
        select(Submission).where(Submission.round_id == rnd.id)
        .options(selectinload(Submission.organisation), selectinload(Submission.answers))
    ).all()
    submissions = sorted(submissions, key=lambda s: s.organisation.name)
    cells = {(s.organisation_id, a.sub_goal_id): a for s in submissions for a in s.answers}
    waiting = sum(1 for a in cells.values() if a.state is ReviewState.SUBMITTED)
    return render_template("review/round.html", round=rnd, submissions=submissions,
                           cells=cells, waiting=waiting)


@bp.route("/svar/<int:answer_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def answer(answer_id: int):  # type: ignore[no-untyped-def]
    try:
        current = answer_for(current_user, answer_id)
    except NotFound:
        abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        action = ReviewAction.APPROVE if form.approve.data else ReviewAction.RETURN
        try:
            expected_state = ReviewState(form.expected_state.data)
            expected_version = int(form.expected_version.data or "0")
        except ValueError:
            abort(400)
        try:
            review_service.act(current_user, current, action, expected_state=expected_state,
                               expected_version=expected_version, comment=form.comment.data)
        except (ServiceError, InvalidTransition) as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
            return _render(answer_id, form), 409
        db.session.commit()
        flash("Svaret är godkänt." if action is ReviewAction.APPROVE
              else "Svaret är returnerat med din kommentar.", "success")
        return redirect(url_for(".round_overview", round_id=current.submission.round_id))
    return _render(answer_id, form), 422 if form.errors else 200


def _render(answer_id: int, form: ReviewForm) -> str:
    current = db.session.get(Answer, answer_id)
    assert current is not None
    form.expected_state.data = current.state.value
    form.expected_version.data = str(current.version)
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "answer",
                                 AuditEvent.entity_id == current.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return render_template("review/answer.html", answer=current, form=form, history=history,
                           actions=allowed_actions(current.state, actor_of(current_user)))
