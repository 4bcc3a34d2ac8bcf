"""The reviewer's pages: overview per round, a personal queue, one answer at a time, the log."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.forms.review import (
    BulkApproveForm,
    OverviewFilterForm,
    ReassignForm,
    ReopenForm,
    ReviewForm,
)
from webapp.models import Answer, AuditEvent, FocusArea, Organisation, OrganisationKind, Role, Round
from webapp.models._types import local_today
from webapp.security import roles_required
from webapp.services import NotFound, activities, assignment, audit, overview
from webapp.services import reports as report_service
from webapp.services import review as review_service
from webapp.services.access import actor_of, answer_for, round_for
from webapp.services.diff import word_diff
from webapp.views.boundary import REFUSED, attempt
from webapp.workflows.review import (
    NOT_STARTED_LABEL,
    STATE_LABELS,
    ReviewAction,
    ReviewState,
    allowed_actions,
)

bp = Blueprint("review", __name__, url_prefix="/granskning")
STAFF = (Role.REVIEWER, Role.ADMIN)


def _round(round_id: int) -> Round:
    try:
        return round_for(current_user, round_id)
    except NotFound:
        abort(404)


def _answer(answer_id: int) -> Answer:
    try:
        return answer_for(current_user, answer_id)
    except NotFound:
        abort(404)


@bp.route("/")
@roles_required(*STAFF, readers=True)
def rounds():  # type: ignore[no-untyped-def]
    all_rounds = db.session.scalars(select(Round).order_by(Round.deadline.desc())).all()
    reader = current_user.role is Role.READER
    return render_template("review/rounds.html", rounds=all_rounds,
                           queue_size=None if reader else len(overview.queue(current_user.id)),
                           reports=report_service.latest_done_by_round())


@bp.route("/min-ko")
@roles_required(*STAFF)
def queue():  # type: ignore[no-untyped-def]
    return render_template("review/queue.html", answers=overview.queue(current_user.id))


def _filter_form(rnd: Round) -> OverviewFilterForm:
    form = OverviewFilterForm(request.args)
    districts = db.session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.DISTRICT).order_by(Organisation.name)).all()
    focus_area_ids = {sg.focus_area_id for sg in rnd.sub_goals}
    focus_areas = db.session.scalars(select(FocusArea).where(FocusArea.id.in_(focus_area_ids))
                                     .order_by(FocusArea.position)).all()
    form.district.choices = [(0, "Alla")] + [(d.id, d.name) for d in districts]
    form.focus_area.choices = [(0, "Alla")] + [(f.id, f.name) for f in focus_areas]
    form.state.choices = [("", "Alla"), (overview.NOT_STARTED, NOT_STARTED_LABEL)] + [
        (s.value, label) for s, label in STATE_LABELS.items()]
    form.reviewer.choices = [(0, "Alla")] + [(u.id, u.name) for u in assignment.reviewers()]
    return form


@bp.route("/omgang/<int:round_id>")
@roles_required(*STAFF, readers=True)
def round_overview(round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round(round_id)
    form = _filter_form(rnd)
    if not form.validate():
        # An odd value in the URL shows everything rather than an error page.
        form = _filter_form(rnd)
        form.process(formdata=None)
    filters = overview.Filters(
        district_id=form.district.data or None, focus_area_id=form.focus_area.data or None,
        state=form.state.data or None, reviewer_id=form.reviewer.data or None)
    data = overview.build(rnd, filters, local_today())
    reviewer_names = {u.id: u.name for u in assignment.reviewers()}
    return render_template("review/round.html", round=rnd, data=data, filter_form=form,
                           bulk_form=BulkApproveForm(), reviewer_names=reviewer_names,
                           today=local_today())


@bp.route("/omgang/<int:round_id>/godkann-markerade", methods=["POST"])
@roles_required(*STAFF)
def bulk_approve(round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round(round_id)
    form = BulkApproveForm()
    if not form.validate_on_submit() or not form.selection():
        flash("Markera minst ett inskickat svar att godkänna.", "error")
        return redirect(url_for(".round_overview", round_id=rnd.id))
    result = review_service.bulk_approve(current_user, rnd, form.selection())
    if result.approved:
        flash(f"{len(result.approved)} svar godkändes.", "success")
    for answer, message in result.refused:
        name = (f"{answer.submission.organisation.name}, {answer.sub_goal.title}: "
                if answer else "")
        flash(f"{name}{message}", "error")
    return redirect(url_for(".round_overview", round_id=rnd.id))


@bp.route("/svar/<int:answer_id>", methods=["GET", "POST"])
@roles_required(*STAFF, readers=True)
def answer(answer_id: int):  # type: ignore[no-untyped-def]
    current = _answer(answer_id)
    form = ReviewForm()
    if form.validate_on_submit():
        action = ReviewAction.APPROVE if form.approve.data else ReviewAction.RETURN
        try:
            expected_state = ReviewState(form.expected_state.data)
            expected_version = int(form.expected_version.data or "0")
        except ValueError:
            abort(400)
        if attempt(lambda: review_service.act(
                current_user, current, action, expected_state=expected_state,
                expected_version=expected_version, comment=form.comment.data,
                expected_activities=form.expected_activities.data or None)) is REFUSED:
            return _render(answer_id, form), 409
        flash("Svaret är godkänt." if action is ReviewAction.APPROVE
              else "Svaret är returnerat med din kommentar.", "success")
        return redirect(url_for(".round_overview", round_id=current.submission.round_id))
    return _render(answer_id, form), 422 if form.errors else 200


@bp.route("/svar/<int:answer_id>/oppna-igen", methods=["POST"])
@roles_required(Role.ADMIN)
def reopen(answer_id: int):  # type: ignore[no-untyped-def]
    current = _answer(answer_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        return _render(answer_id, ReviewForm(formdata=None), reopen_form=form), 422
    try:
        expected_state = ReviewState(form.expected_state.data)
        expected_version = int(form.expected_version.data or "0")
    except ValueError:
        flash("Formuläret var ofullständigt.", "error")
        return _render(answer_id, ReviewForm(formdata=None)), 409
    if attempt(lambda: review_service.act(
            current_user, current, ReviewAction.REOPEN, expected_state=expected_state,
            expected_version=expected_version, comment=form.reason.data)) is REFUSED:
        return _render(answer_id, ReviewForm(formdata=None)), 409
    flash("Svaret är öppnat igen och tas inte med i rapporten förrän det godkänts på nytt.",
          "success")
    return redirect(url_for(".answer", answer_id=answer_id))


@bp.route("/svar/<int:answer_id>/granskare", methods=["POST"])
@roles_required(Role.ADMIN)
def reassign(answer_id: int):  # type: ignore[no-untyped-def]
    current = _answer(answer_id)
    form = _reassign_form()
    if form.validate_on_submit() and attempt(lambda: assignment.reassign(
            current_user, current, form.reviewer.data or None)) is not REFUSED:
        flash("Granskaren är bytt.", "success")
    return redirect(url_for(".answer", answer_id=answer_id))


def _reassign_form(answer: Answer | None = None) -> ReassignForm:
    form = ReassignForm()
    form.reviewer.choices = [(0, "Enligt fördelningen")] + [
        (u.id, u.name) for u in assignment.reviewers()]
    if answer is not None and not form.is_submitted():
        form.reviewer.data = answer.assigned_reviewer_id or 0
    return form


def _render(answer_id: int, form: ReviewForm, reopen_form: ReopenForm | None = None) -> str:
    current = db.session.get(Answer, answer_id)
    assert current is not None  # noqa: S101 (narrows the type; the view loaded it)
    form.expected_state.data = current.state.value
    form.expected_version.data = str(current.version)
    reopen_form = reopen_form or ReopenForm(formdata=None)
    reopen_form.expected_state.data = current.state.value
    reopen_form.expected_version.data = str(current.version)
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "answer",
                                 AuditEvent.entity_id == current.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    revisions = review_service.revisions(current)
    diff = (word_diff(revisions[-2].text, revisions[-1].text)
            if len(revisions) >= 2 and current.state is ReviewState.SUBMITTED else None)
    reported = activities.for_answer(current)
    reported_text = activities.as_text(reported)
    form.expected_activities.data = activities.fingerprint(reported_text)
    last_seen = review_service.last_reviewed_activities(current)
    activity_diff = (word_diff(last_seen, reported_text)
                     if last_seen is not None and last_seen != reported_text
                     and current.state is ReviewState.SUBMITTED else None)
    rnd = current.submission.round
    assigned = assignment.load().reviewer_id(rnd, current.submission.organisation,
                                             current.sub_goal, current)
    return render_template(
        "review/answer.html", answer=current, form=form, history=history,
        # The read-only role sees the answer and its history, never a button.
        actions=([] if current_user.role is Role.READER
                 else allowed_actions(current.state, actor_of(current_user))),
        previous=review_service.previous_approved(rnd, current.submission.organisation_id,
                                                   current.sub_goal_id), diff=diff,
        activities=reported, activity_diff=activity_diff,
        reopen_form=reopen_form, reassign_form=_reassign_form(current),
        assigned_name=next((u.name for u in assignment.reviewers() if u.id == assigned), None))


@bp.route("/omgang/<int:round_id>/logg")
@roles_required(*STAFF, readers=True)
def audit_log(round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round(round_id)
    return render_template("review/log.html", round=rnd, events=audit.round_log(rnd.id))


@bp.route("/omgang/<int:round_id>/logg.csv")
@roles_required(*STAFF, readers=True)
def audit_log_csv(round_id: int):  # type: ignore[no-untyped-def]
    rnd = _round(round_id)
    content = audit.export_round_csv(current_user, rnd.id)  # audited: committed with the request
    # A byte-order mark so Excel reads the Swedish letters as UTF-8.
    return Response("\ufeff" + content, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="granskningslogg-omgang-{rnd.id}.csv"',
        "Cache-Control": "no-store"})
