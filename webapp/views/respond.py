"""The contact's pages: the organisation's overview, one sub-goal at a time (with autosave
and a conflict flow), activities, a check before submitting, and a print view."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp import clock
from webapp.extensions import db, limiter
from webapp.forms.answers import ActivityForm, AnswerForm, WithdrawForm
from webapp.forms.auth import EmptyForm
from webapp.forms.colleagues import InviteColleagueForm, assignments_form
from webapp.models import (
    ActivityLevel,
    ActivityReport,
    ActivityStatus,
    Answer,
    Question,
    Role,
    Round,
    RoundStatus,
    SubGoal,
    Submission,
)
from webapp.security import roles_required
from webapp.services import (
    NotFound,
    ServiceError,
    StaleState,
    activities,
    answers,
    colleagues,
    questionnaires,
)
from webapp.services.access import submission_for
from webapp.services.review import previous_approved
from webapp.views import boundary
from webapp.views.boundary import REFUSED, attempt, enqueue_after_commit
from webapp.views.links import LINK_ROUND
from webapp.workflows.review import (
    Actor,
    InvalidTransition,
    ReviewAction,
    ReviewState,
    allowed_actions,
    contact_can_edit,
)

bp = Blueprint("respond", __name__, url_prefix="/svar")
SUBMISSION = "/omgang/<int:round_id>/organisation/<int:organisation_id>"


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
        return submission_for(current_user, round_id, organisation_id)
    except NotFound:
        abort(404)


def _sub_goal(submission: Submission, sub_goal_id: int) -> SubGoal:
    sub_goal = next((sg for sg in submission.round.sub_goals_for(submission.organisation)
                     if sg.id == sub_goal_id), None)
    if sub_goal is None:
        abort(404)
    return sub_goal


def _answers_by_sub_goal(submission: Submission) -> dict[int, Answer]:
    return {a.sub_goal_id: a for a in db.session.scalars(
        select(Answer).where(Answer.submission_id == submission.id))}


@bp.route(SUBMISSION)
@roles_required(Role.CONTACT)
def overview(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    by_sub_goal = _answers_by_sub_goal(submission)
    rows = [(sg, by_sub_goal.get(sg.id))
            for sg in submission.round.sub_goals_for(submission.organisation)]
    remaining = sum(1 for _, a in rows if a is None or a.state in (ReviewState.DRAFT,
                                                                   ReviewState.RETURNED))
    return render_template("respond/overview.html", submission=submission, rows=rows,
                           remaining=remaining,
                           activity_count=len(activities.this_round(submission)),
                           responsible=colleagues.responsible_by_sub_goal(organisation_id),
                           main_contact=submission.organisation.main_contact)


def _answer_page(submission: Submission, sub_goal: SubGoal, form: AnswerForm,
                 fields: Mapping[str, Any], errors: Mapping[str, str] | None = None,
                 conflict: Answer | None = None, unsaved: str | None = None,
                 questions: list[Question] | None = None,
                 existing: Answer | None | bool = False):  # type: ignore[no-untyped-def]
    """``questions`` and ``existing`` (None: no answer yet) when the caller has them."""
    if existing is False:
        existing = answers.find_answer(submission, sub_goal.id)
    editable = (submission.round.status is RoundStatus.OPEN
                and contact_can_edit(existing.state if existing else None))
    withdraw_form = None
    if (existing is not None and submission.round.status is RoundStatus.OPEN
            and ReviewAction.WITHDRAW in allowed_actions(existing.state, Actor.CONTACT)):
        withdraw_form = WithdrawForm(formdata=None, expected_version=str(existing.version))
    related = [r for r in activities.this_round(submission) if sub_goal in r.sub_goals]
    questions = questions or questionnaires.questions_for(submission.round, sub_goal)
    previous = previous_approved(submission.round, submission.organisation_id, sub_goal.id)
    return render_template(
        "respond/answer.html", submission=submission, sub_goal=sub_goal, answer=existing,
        form=form, editable=editable, conflict=conflict, activities=related,
        withdraw_form=withdraw_form, questions=questions, fields=fields,
        question_errors=errors or {}, unsaved=unsaved if not editable else None,
        previous=previous, previous_items=questionnaires.previous_items(
            questionnaires.questions_for(previous.submission.round, sub_goal),
            previous.values or {}, previous.text, questions) if previous else [])


def _typed(raw: Mapping[str, Any]) -> str:
    """What the person typed, as one text to copy when the save was refused."""
    return "\n\n".join(str(v) for k, v in raw.items()
                        if k not in ("csrf_token", "expected_version", "save", "submit")
                        and str(v).strip())


@bp.route(SUBMISSION + "/delmal/<int:sub_goal_id>", methods=["GET", "POST"])
@roles_required(Role.CONTACT)
def answer(round_id: int, organisation_id: int, sub_goal_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    sub_goal = _sub_goal(submission, sub_goal_id)
    existing = answers.find_answer(submission, sub_goal.id)
    questions = questionnaires.questions_for(submission.round, sub_goal)
    form = AnswerForm()
    if not form.is_submitted():
        form.expected_version.data = str(existing.version) if existing else ""
        stored = questionnaires.form_values(questions, existing.values if existing else {})
        return _answer_page(submission, sub_goal, form, stored, questions=questions,
                            existing=existing)
    # What the person sent is what the page shows again, whatever happens next.
    sent = {name: (request.form.getlist(name) if len(request.form.getlist(name)) > 1
                   else request.form.get(name, "")) for name in request.form}
    if not form.validate():
        return _answer_page(submission, sub_goal, form, sent), 422
    parsed = questionnaires.parse(questions, request.form)
    if parsed.errors:
        return _answer_page(submission, sub_goal, form, sent, errors=parsed.errors), 422
    service = answers.save_and_submit if form.submit.data else answers.save_draft
    try:
        saved = service(current_user, submission, sub_goal, parsed.values, form.expected())
    except StaleState as stale:
        boundary.discard()
        # Nothing is overwritten: the person sees both answers and chooses.
        current = answers.find_answer(submission, sub_goal.id)
        form.expected_version.data = str(current.version) if current else ""
        if current is None:  # nothing saved to show beside theirs: say why instead
            flash(stale.message + " Det du skrev finns kvar i formuläret; spara igen.", "error")
        return _answer_page(submission, sub_goal, form, sent, conflict=current), 409
    except (ServiceError, InvalidTransition) as refusal:
        boundary.discard()
        flash(refusal.message, "error")
        # Nothing the person wrote is lost: in the form if it is still theirs to edit,
        # otherwise shown beside the saved answer to copy.
        return _answer_page(submission, sub_goal, form, sent,
                            unsaved=_typed(request.form)), 409
    if saved.state is ReviewState.SUBMITTED:
        flash(f"Svaret på {sub_goal.title} är inskickat för granskning. Ett kvitto "
              "skickas till din e-post.", "success")
        return redirect(url_for(".overview", round_id=round_id,
                                organisation_id=organisation_id))
    flash("Utkastet är sparat.", "success")
    return redirect(url_for(".answer", round_id=round_id, organisation_id=organisation_id,
                            sub_goal_id=sub_goal_id))


@bp.route(SUBMISSION + "/delmal/<int:sub_goal_id>/ta-tillbaka", methods=["POST"])
@roles_required(Role.CONTACT)
def withdraw(round_id: int, organisation_id: int, sub_goal_id: int):  # type: ignore[no-untyped-def]
    """Take a submitted answer back to a draft before any reviewer has acted on it."""
    submission = _load(round_id, organisation_id)
    sub_goal = _sub_goal(submission, sub_goal_id)
    existing = answers.find_answer(submission, sub_goal.id)
    if existing is None:
        abort(404)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    expected = form.expected()
    if expected is None:
        flash("Formuläret var ofullständigt. Ladda om sidan och försök igen.", "error")
    elif attempt(lambda: answers.withdraw(current_user, existing, expected)) is not REFUSED:
        flash("Svaret är taget tillbaka och är ett utkast igen. Granskarna ser det inte förrän "
              "du skickar in det på nytt.", "success")
    return redirect(url_for(".answer", round_id=round_id, organisation_id=organisation_id,
                            sub_goal_id=sub_goal_id))


@bp.route(SUBMISSION + "/delmal/<int:sub_goal_id>/autospara", methods=["POST"])
@roles_required(Role.CONTACT)
def autosave(round_id: int, organisation_id: int, sub_goal_id: int):  # type: ignore[no-untyped-def]
    """The page's autosave: the same save as the button, answered in JSON."""
    submission = _load(round_id, organisation_id)
    sub_goal = _sub_goal(submission, sub_goal_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return {"error": " ".join(e for errors in form.errors.values() for e in errors)}, 400
    questions = questionnaires.questions_for(submission.round, sub_goal)
    parsed = questionnaires.parse(questions, request.form)
    try:
        # Every valid field is saved; a refused one keeps its stored value and is named.
        saved = answers.save_draft(current_user, submission, sub_goal, parsed.values,
                                   form.expected(), questions, keep_stored=parsed.invalid)
    except StaleState:
        return {"conflict": True, "message": "Någon annan har sparat det här svaret. Tryck "
                "på Spara utkast för att välja vilket svar som ska gälla."}, 409
    except (ServiceError, InvalidTransition) as refusal:
        return {"error": refusal.message}, 409
    # The version is read before the boundary's commit expires it: no reload.
    return {"version": saved.version, "saved_at": clock.local_now().strftime("%H:%M"),
            "errors": parsed.errors}


@bp.route(SUBMISSION + "/kontrollera", methods=["GET", "POST"])
@roles_required(Role.CONTACT)
def check(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    """Every answer at a glance before submitting; what is missing links to its field."""
    submission = _load(round_id, organisation_id)
    form = EmptyForm()
    if form.validate_on_submit():
        submitted = attempt(lambda: answers.submit_ready(current_user, submission))
        if submitted is not REFUSED:
            titles = ", ".join(a.sub_goal.title.split(" – ")[0] for a in submitted)
            flash(f"Inskickat: {titles}. Ett kvitto skickas till din e-post.", "success")
            return redirect(url_for(".receipt", round_id=round_id,
                                    organisation_id=organisation_id))
    by_sub_goal = _answers_by_sub_goal(submission)
    rows = [(sg, by_sub_goal.get(sg.id))
            for sg in submission.round.sub_goals_for(submission.organisation)]
    finished = answers.complete(submission, [a for _, a in rows if a is not None])
    missing = [sg for sg, a in rows if a is None or a.id not in finished]
    ready = [a for _, a in rows if a is not None and a.id in finished
             and a.state in (ReviewState.DRAFT, ReviewState.RETURNED)]
    return render_template("respond/check.html", submission=submission, rows=rows,
                           missing=missing, ready=ready, form=form)


@bp.route(SUBMISSION + "/kvitto")
@roles_required(Role.CONTACT)
def receipt(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    sent = [a for a in _answers_by_sub_goal(submission).values()
            if a.state in (ReviewState.SUBMITTED, ReviewState.APPROVED)]
    return render_template("respond/receipt.html", submission=submission,
                           sent=sorted(sent, key=lambda a: a.sub_goal_id))


@bp.route(SUBMISSION + "/utskrift")
@roles_required(Role.CONTACT)
def printable(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    by_sub_goal = _answers_by_sub_goal(submission)
    return render_template("respond/print.html", submission=submission,
                           rows=[(sg, by_sub_goal.get(sg.id)) for sg in
                                 submission.round.sub_goals_for(submission.organisation)],
                           activities=activities.this_round(submission))


# --- Activities -------------------------------------------------------------------------------

@bp.route(SUBMISSION + "/aktiviteter")
@roles_required(Role.CONTACT)
def activity_list(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    return render_template("respond/activities.html", submission=submission,
                           reports=activities.this_round(submission),
                           approved=activities.approved_sub_goals(submission),
                           earlier=activities.from_last_round(submission), button=EmptyForm())


def _activity_form(submission: Submission, report: ActivityReport | None) -> ActivityForm:
    form = ActivityForm()
    form.sub_goals.choices = [(sg.id, sg.title) for sg in submission.round.sub_goals_for(
        submission.organisation)]
    form.activity_area.choices = [("", "Inget aktivitetsområde")] + [
        (str(area.id), f"{area.name} ({area.focus_area.name})")
        for area in activities.activity_areas_for(submission)]
    if not form.is_submitted():
        if report is not None:
            form.activity_area.data = str(report.activity.activity_area_id or "")
            form.name.data = report.activity.name
            form.description.data = report.description
            form.status.data = report.status.value
            form.start_year.data, form.end_year.data = report.start_year, report.end_year
            form.responsible_unit.data = report.responsible_unit
            form.level.data = report.level.value if report.level else ""
            form.sub_goals.data = [sg.id for sg in report.sub_goals]
        elif (wanted := request.args.get("delmal", "")).isascii() and wanted.isdigit():
            form.sub_goals.data = [int(request.args["delmal"])]
    return form


def _report(submission: Submission, report_id: int) -> ActivityReport:
    report = db.session.get(ActivityReport, report_id)
    if (report is None or report.round_id != submission.round_id
            or report.activity.organisation_id != submission.organisation_id):
        abort(404)
    return report


def _after_activity(submission: Submission, sub_goal_ids: list[int]) -> str:
    """Back to the sub-goal the contact came from ("Lägg till en aktivitet" there carries
    ?delmal=), if the activity still serves it; otherwise to the activity list."""
    wanted = request.args.get("delmal", "")
    if wanted.isascii() and wanted.isdigit() and int(wanted) in sub_goal_ids:
        return url_for(".answer", round_id=submission.round_id,
                       organisation_id=submission.organisation_id, sub_goal_id=int(wanted))
    return url_for(".activity_list", round_id=submission.round_id,
                   organisation_id=submission.organisation_id)


@bp.route(SUBMISSION + "/aktiviteter/ny", methods=["GET", "POST"], defaults={"report_id": None})
@bp.route(SUBMISSION + "/aktiviteter/<int:report_id>", methods=["GET", "POST"])
@roles_required(Role.CONTACT)
def activity(round_id: int, organisation_id: int, report_id: int | None):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    report = _report(submission, report_id) if report_id else None
    form = _activity_form(submission, report)
    if form.validate_on_submit():
        data = activities.ActivityInput(
            name=form.name.data or "", description=form.description.data or "",
            status=ActivityStatus(form.status.data), start_year=form.start_year.data,
            end_year=form.end_year.data, responsible_unit=form.responsible_unit.data,
            level=ActivityLevel(form.level.data) if form.level.data else None,
            sub_goal_ids=form.sub_goals.data or [],
            activity_area_id=int(form.activity_area.data) if form.activity_area.data else None)
        if attempt(lambda: activities.save(current_user, submission, data, report)) \
                is not REFUSED:
            flash(f"Aktiviteten {data.name.strip()} är sparad.", "success")
            return redirect(_after_activity(submission, data.sub_goal_ids))
    approved = activities.approved_sub_goals(submission)
    return render_template("respond/activity.html", submission=submission, form=form,
                           report=report, approved=approved,
                           locked=report and activities.locked_reason(report, approved)), \
        422 if form.errors else 200


@bp.route(SUBMISSION + "/aktiviteter/<int:report_id>/uppdatera", methods=["POST"])
@roles_required(Role.CONTACT)
def carry_forward(round_id: int, organisation_id: int, report_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    try:
        earlier = activities.earlier_report(submission, report_id)
    except NotFound:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    report = attempt(lambda: activities.carry_forward(current_user, submission, earlier))
    if report is REFUSED:
        return redirect(url_for(".activity_list", round_id=round_id,
                                organisation_id=organisation_id))
    flash("Aktiviteten är hämtad från förra omgången. Uppdatera det som har ändrats.", "success")
    return redirect(url_for(".activity", round_id=round_id, organisation_id=organisation_id,
                            report_id=report.id))


@bp.route(SUBMISSION + "/aktiviteter/<int:report_id>/ta-bort", methods=["POST"])
@roles_required(Role.CONTACT)
def remove_activity(round_id: int, organisation_id: int, report_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    report = _report(submission, report_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = report.activity.name
    if attempt(lambda: activities.remove(current_user, submission, report)) is not REFUSED:
        flash(f"{name} är borttagen ur den här omgången.", "success")
    return redirect(url_for(".activity_list", round_id=round_id,
                            organisation_id=organisation_id))


# --- Colleagues and who answers which sub-goal --------------------------------------------------

def _colleagues_page(submission: Submission, invite_form: InviteColleagueForm | None = None,
                     assign_form=None, status: int = 200):  # type: ignore[no-untyped-def]
    organisation = submission.organisation
    is_main = colleagues.is_main_contact(current_user, organisation)
    people = colleagues.colleagues(organisation)
    sub_goals = submission.round.sub_goals_for(organisation)
    responsible = colleagues.responsible_by_sub_goal(organisation.id)
    if is_main and assign_form is None:
        assign_form = assignments_form(sub_goals, people, responsible, formdata=None)
    return render_template(
        "respond/colleagues.html", submission=submission, is_main=is_main,
        people=colleagues.colleagues(organisation, include_pending=is_main),
        sub_goals=sub_goals, responsible=responsible,
        invite_form=(invite_form or InviteColleagueForm(formdata=None)) if is_main else None,
        assign_form=assign_form,
        need_approval=colleagues.invites_need_approval()), status


def _not_main_contact(submission: Submission):  # type: ignore[no-untyped-def]
    """A colleague who is not the main contact: told so, in Swedish, and nothing changes."""
    flash(colleagues.NOT_MAIN_CONTACT.format(org=submission.organisation.name), "error")
    return _colleagues_page(submission, status=403)


@bp.route(SUBMISSION + "/kollegor")
@roles_required(Role.CONTACT)
def colleague_list(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    return _colleagues_page(_load(round_id, organisation_id))


@bp.route(SUBMISSION + "/kollegor/bjud-in", methods=["POST"])
@roles_required(Role.CONTACT)
# Each invitation mails someone: a main contact's session cannot be used to mail the world.
@limiter.limit("20 per hour", methods=["POST"],
               key_func=lambda: f"invite:{getattr(current_user, 'id', None)}")
def invite_colleague(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    if not colleagues.is_main_contact(current_user, submission.organisation):
        return _not_main_contact(submission)
    form = InviteColleagueForm()
    if not form.validate_on_submit():
        return _colleagues_page(submission, invite_form=form, status=422)
    invited = attempt(lambda: colleagues.invite(
        current_user, submission.organisation, form.name.data or "", form.email.data or "",
        form.title.data))
    if invited is REFUSED:
        return _colleagues_page(submission, invite_form=form, status=409)
    for message_id in invited.mail_ids:
        enqueue_after_commit("send_mail", message_id)
    if invited.user.pending_approval:
        flash(f"{invited.user.name} är inbjuden. Enheten godkänner inbjudan först; sedan får "
              "kollegan ett mejl med sin personliga länk.", "success")
    else:
        flash(f"{invited.user.name} är inbjuden och får ett mejl med sin personliga länk.",
              "success")
    return redirect(url_for(".colleague_list", round_id=round_id,
                            organisation_id=organisation_id))


@bp.route(SUBMISSION + "/kollegor/ansvar", methods=["POST"])
@roles_required(Role.CONTACT)
def assign_sub_goals(round_id: int, organisation_id: int):  # type: ignore[no-untyped-def]
    submission = _load(round_id, organisation_id)
    organisation = submission.organisation
    if not colleagues.is_main_contact(current_user, organisation):
        return _not_main_contact(submission)
    form = assignments_form(submission.round.sub_goals_for(organisation),
                            colleagues.colleagues(organisation),
                            colleagues.responsible_by_sub_goal(organisation.id))
    if not form.validate_on_submit():
        return _colleagues_page(submission, assign_form=form, status=422)
    changed = attempt(lambda: colleagues.assign(current_user, organisation, submission.round,
                                                form.choices()))
    if changed is REFUSED:
        return _colleagues_page(submission, status=409)
    flash("Ansvaret för delmålen är sparat." if changed else "Inget ändrades.", "success")
    return redirect(url_for(".colleague_list", round_id=round_id,
                            organisation_id=organisation_id))
