"""The contact's pages: the organisation's overview and one sub-goal at a time."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.forms.answers import AnswerForm
from webapp.models import Answer, Role, Round, RoundStatus, Submission
from webapp.security import roles_required
from webapp.services import NotFound, ServiceError, answers
from webapp.services.access import organisation_for, round_for
from webapp.views.links import LINK_ROUND
from webapp.workflows.review import InvalidTransition, ReviewState, contact_can_edit

bp = Blueprint("respond", __name__, url_prefix="/svar")


@bp.route("/")
@roles_required(Role.CONTACT)
def home():  # type: ignore[no-untyped-def]
    org_ids = [o.id for o in current_user.organisations]
    query = (select(Submission).join(Round)
             .where(Submission.organisation_id.in_(org_ids), Round.status == RoundStatus.OPEN)
             .order_by(Round.deadline))
    if LINK_ROUND in session:
        query = query.where(Round.id == session[LINK_ROUND])
    submissions = db.session.scalars(query).all()
    return render_template("respond/home.html", submissions=submissions)


def _load(round_id: int, organisation_id: int) -> Submission:
    # A personal link opens its own round only, whatever else the contact answers for.
    if session.get(LINK_ROUND, round_id) != round_id:
        abort(404)
    try:
        round_for(current_user, round_id)
        organisation_for(current_user, organisation_id)
        return answers.get_submission(round_id, organisation_id)
    except NotFound:
        abort(404)


@bp.route("/omgang/<int:round_id>/organisation/<int:organisation_id>")
@roles_required(Role.CONTACT)
def overview(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    by_sub_goal = {a.sub_goal_id: a for a in db.session.scalars(
        select(Answer).where(Answer.submission_id == submission.id))}
    rows = [(sg, by_sub_goal.get(sg.id)) for sg in submission.round.sub_goals]
    remaining = sum(1 for _, a in rows if a is None or a.state in (ReviewState.DRAFT,
                                                                   ReviewState.RETURNED))
    return render_template("respond/overview.html", submission=submission, rows=rows,
                           remaining=remaining)


@bp.route("/omgang/<int:round_id>/organisation/<int:organisation_id>/delmal/<int:sub_goal_id>",
          methods=["GET", "POST"])
@roles_required(Role.CONTACT)
def answer(round_id: int, organisation_id: int, sub_goal_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    sub_goal = next((sg for sg in submission.round.sub_goals if sg.id == sub_goal_id), None)
    if sub_goal is None:
        abort(404)
    existing = answers.find_answer(submission, sub_goal.id)
    form = AnswerForm()
    if not form.is_submitted() and existing is not None:
        form.text.data = existing.text
    if not form.is_submitted():
        form.expected_version.data = str(existing.version) if existing else ""

    if form.validate_on_submit():
        service = answers.save_and_submit if form.submit.data else answers.save_draft
        try:
            saved = service(current_user, submission, sub_goal, form.text.data or "",
                            form.expected())
        except (ServiceError, InvalidTransition) as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
            # The typed text stays in the form: nothing the person wrote is lost.
            return render_template("respond/answer.html", submission=submission,
                                   sub_goal=sub_goal, answer=existing, form=form,
                                   editable=True), 409
        db.session.commit()
        if saved.state is ReviewState.SUBMITTED:
            flash(f"Svaret på {sub_goal.title} är inskickat för granskning.", "success")
            return redirect(url_for(".overview", round_id=round_id,
                                    organisation_id=organisation_id))
        flash("Utkastet är sparat.", "success")
        return redirect(url_for(".answer", round_id=round_id, organisation_id=organisation_id,
                                sub_goal_id=sub_goal_id))
    editable = (submission.round.status is RoundStatus.OPEN
                and contact_can_edit(existing.state if existing else None))
    status = 422 if form.errors else 200
    return render_template("respond/answer.html", submission=submission, sub_goal=sub_goal,
                           answer=existing, form=form, editable=editable), status
