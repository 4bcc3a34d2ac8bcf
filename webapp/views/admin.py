"""The unit's pages: rounds and their reports."""
from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField

from webapp.extensions import db
from webapp.forms.admin import AssignmentModeForm, AssignmentsForm
from webapp.forms.auth import EmptyForm
from webapp.forms.reports import RoundTextsForm, TemplateForm, report_scope_form
from webapp.forms.rounds import DeadlineForm, RoundForm
from webapp.models import (
    AssignmentMode,
    FocusArea,
    Organisation,
    OrganisationKind,
    OutboxMessage,
    ReportJob,
    ReportTemplate,
    Role,
    Round,
    RoundSection,
    RoundStatus,
    User,
)
from webapp.models._types import local_today
from webapp.security import roles_required
from webapp.services import accounts, assignment, contacts, exports, links, mail, plan_admin
from webapp.services import reports as report_service
from webapp.services import rounds as round_service
from webapp.views.boundary import REFUSED, attempt, enqueue_after_commit

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles_required(Role.ADMIN)
def rounds():  # type: ignore[no-untyped-def]
    all_rounds = db.session.scalars(select(Round).order_by(Round.created_at.desc())).all()
    return render_template("admin/rounds.html", rounds=all_rounds)


def _round_form() -> RoundForm:
    form = RoundForm()
    # Retired sub-goals (or those of a retired plan or focus area) are not offered; rounds
    # that already have them keep them.
    form.sub_goals.choices = [(sg.id, f"{sg.title} ({sg.action_plan.name})")
                              for sg in plan_admin.offered_sub_goals()]
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.active.is_(True))
        .order_by(Organisation.kind.desc(), Organisation.name)).all()
    missing = {o.id for o in contacts.without_active_contact([o.id for o in organisations])}
    form.organisations.choices = [
        (o.id, f"{o.name} ({o.kind_label.lower()}"
               + (", ingen aktiv kontaktperson)" if o.id in missing else ")"))
        for o in organisations]
    if not form.is_submitted():
        today = local_today()
        form.year.data = today.year
        form.name.data = f"Uppföljning {today.year}"
        form.opens_on.data = today
        form.deadline.data = today + dt.timedelta(days=42)
        form.organisations.data = [o.id for o in organisations
                                   if o.kind is OrganisationKind.MUNICIPALITY]
    return form


@bp.route("/omgang/ny", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_round():  # type: ignore[no-untyped-def]
    form = _round_form()
    if form.validate_on_submit():
        rnd = attempt(lambda: round_service.open_round(
            current_user, name=form.name.data or "", year=form.year.data or 0,
            deadline=form.deadline.data, sub_goal_ids=form.sub_goals.data or [],
            organisation_ids=form.organisations.data or [], opens_on=form.opens_on.data,
            reminder_days=form.reminder_days.data or ""))
        if rnd is not REFUSED:
            flash(f"Omgången {rnd.name} är öppen." if rnd.status is RoundStatus.OPEN else
                  f"Omgången {rnd.name} öppnas {rnd.opens_on.isoformat()}.", "success")
            return redirect(url_for(".round_detail", round_id=rnd.id))
    missing = contacts.without_active_contact(
        [value for value, _ in form.organisations.choices])  # type: ignore[misc]
    return render_template("admin/new_round.html", form=form, missing=missing), \
        422 if form.errors else 200


@bp.route("/omgang/<int:round_id>")
@roles_required(Role.ADMIN)
def round_detail(round_id: int):  # type: ignore[no-untyped-def]
    return round_page(db.get_or_404(Round, round_id))


def round_page(rnd: Round, *, deadline_form: DeadlineForm | None = None,
               report_form=None, status: int = 200):  # type: ignore[no-untyped-def]
    """The round's page; a refused deadline or report form is shown again holding what was
    typed (a redirect would show the stored value and lose it)."""
    jobs = db.session.scalars(select(ReportJob).where(ReportJob.round_id == rnd.id)
                              .order_by(ReportJob.id.desc())).all()
    missing = ([] if rnd.status is RoundStatus.CLOSED
               else contacts.without_active_contact([o.id for o in rnd.recipients]))
    return render_template(
        "admin/round.html", round=rnd, jobs=jobs, missing=missing,
        report_form=report_form or report_scope_form(rnd), mode_form=_mode_form(rnd),
        deadline_form=deadline_form or DeadlineForm(formdata=None, deadline=rnd.deadline),
        button=EmptyForm()), status




def _assignments_form() -> tuple[AssignmentsForm, list[FocusArea], list[Organisation]]:
    """One select per focus area and per district, added to the form class at request time."""
    focus_areas = db.session.scalars(select(FocusArea).order_by(FocusArea.position)).all()
    districts = db.session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.DISTRICT).order_by(Organisation.name)).all()
    current = assignment.load()
    choices = [(0, "Ingen")] + [(u.id, u.name) for u in assignment.reviewers()]

    class Form(AssignmentsForm):
        pass

    for fa in focus_areas:
        setattr(Form, f"fa_{fa.id}", SelectField(fa.name, coerce=int, choices=choices,
                                                 default=current.by_focus_area.get(fa.id, 0)))
    for d in districts:
        setattr(Form, f"district_{d.id}", SelectField(d.name, coerce=int, choices=choices,
                                                      default=current.by_district.get(d.id, 0)))
    return Form(), focus_areas, districts


@bp.route("/granskare", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reviewers():  # type: ignore[no-untyped-def]
    form, focus_areas, districts = _assignments_form()
    if form.validate_on_submit() and attempt(lambda: assignment.save_assignments(
            current_user,
            focus_areas={fa.id: form[f"fa_{fa.id}"].data or None for fa in focus_areas},
            districts={d.id: form[f"district_{d.id}"].data or None for d in districts},
    )) is not REFUSED:
        flash("Fördelningen av granskningen är sparad.", "success")
        return redirect(url_for(".reviewers"))
    return render_template("admin/reviewers.html", form=form, focus_areas=focus_areas,
                           districts=districts)


@bp.route("/omgang/<int:round_id>/fordelning", methods=["POST"])
@roles_required(Role.ADMIN)
def assignment_mode(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    form = _mode_form(rnd)
    if form.validate_on_submit():
        assignment.set_mode(current_user, rnd, AssignmentMode(form.mode.data))
        flash(f"Granskningen fördelas nu {rnd.assignment_mode.label.lower()}.", "success")
    else:
        flash("Välj hur granskningen ska fördelas.", "error")
    return redirect(url_for(".round_detail", round_id=rnd.id))


def _mode_form(rnd: Round) -> AssignmentModeForm:
    form = AssignmentModeForm()
    form.mode.choices = [(m.value, m.label) for m in AssignmentMode]
    if not form.is_submitted():
        form.mode.data = rnd.assignment_mode.value
    return form


@bp.route("/omgang/<int:round_id>/utskick")
@roles_required(Role.ADMIN)
def round_mail(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    contacts, messages = mail.round_status(rnd)
    return render_template("admin/round_mail.html", round=rnd, contacts=contacts,
                           messages=messages, button=EmptyForm())


@bp.route("/utskick/<int:message_id>/skicka-igen", methods=["POST"])
@roles_required(Role.ADMIN)
def resend_mail(message_id: int):  # type: ignore[no-untyped-def]
    message = db.get_or_404(OutboxMessage, message_id)
    if EmptyForm().validate_on_submit() and attempt(
            lambda: mail.resend(current_user, message)) is not REFUSED:
        enqueue_after_commit("send_mail", message.id)
        flash(f"Utskicket till {message.user.email} skickas igen.", "success")
    if message.round_id is None:  # an account mail
        return redirect(url_for("people.staff_member", user_id=message.user_id))
    return redirect(url_for(".round_mail", round_id=message.round_id))


@bp.route("/omgang/<int:round_id>/lankar/<int:user_id>/sparra", methods=["POST"])
@roles_required(Role.ADMIN)
def revoke_links(round_id: int, user_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    contact = db.get_or_404(User, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = links.revoke_all(current_user, rnd, contact)
    flash(f"{count} länk(ar) för {contact.name} är spärrade.", "success")
    return redirect(url_for(".round_mail", round_id=rnd.id))


@bp.route("/omgang/<int:round_id>/stang", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def close_round(round_id: int):  # type: ignore[no-untyped-def]
    """A second step, a page of its own (works without JavaScript): what stops working is
    said before the round is closed."""
    rnd = db.get_or_404(Round, round_id)
    form = EmptyForm()
    if request.method == "GET":
        return render_template("admin/close_round.html", round=rnd, button=form)
    if form.validate_on_submit() and attempt(
            lambda: round_service.close_round(current_user, rnd)) is not REFUSED:
        flash(f"{rnd.name} är stängd. Personliga länkar fungerar inte längre.", "success")
    return redirect(url_for(".round_detail", round_id=rnd.id))


@bp.route("/omgang/<int:round_id>/oppna-nu", methods=["POST"])
@roles_required(Role.ADMIN)
def open_now(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    if EmptyForm().validate_on_submit() and attempt(
            lambda: round_service.open_now(current_user, rnd)) is not REFUSED:
        flash(f"{rnd.name} är öppen. Frågeformuläret är låst och inbjudningarna skickas till "
              "kontaktpersonerna.", "success")
    return redirect(url_for(".round_detail", round_id=rnd.id))


@bp.route("/omgang/<int:round_id>/sista-svarsdag", methods=["POST"])
@roles_required(Role.ADMIN)
def move_deadline(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        return round_page(rnd, deadline_form=form, status=422)
    if attempt(lambda: round_service.move_deadline(current_user, rnd,
                                                   form.deadline.data)) is REFUSED:
        return round_page(rnd, deadline_form=form, status=422)
    flash(f"Sista svarsdag är nu {rnd.deadline.isoformat()}; påminnelserna följer med.",
          "success")
    return redirect(url_for(".round_detail", round_id=rnd.id))


@bp.route("/omgang/<int:round_id>/nasta-ar", methods=["POST"])
@roles_required(Role.ADMIN)
def next_round(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    new = attempt(lambda: round_service.create_next_round(current_user, rnd))
    if new is REFUSED:
        return redirect(url_for(".round_detail", round_id=rnd.id))
    flash(f"{new.name} är skapad och öppnas {new.opens_on.isoformat()}.", "success")
    return redirect(url_for(".round_detail", round_id=new.id))



@bp.route("/konton")
@roles_required(Role.ADMIN)
def users():  # type: ignore[no-untyped-def]
    everyone = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    return render_template("admin/users.html", users=everyone, button=EmptyForm())


@bp.route("/konton/<int:user_id>/<any(aktivera, inaktivera):change>", methods=["POST"])
@roles_required(Role.ADMIN)
def set_user_active(user_id: int, change: str):  # type: ignore[no-untyped-def]
    user = db.get_or_404(User, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    # The same rules as under Personer (the last admin stays; a contact who is switched off
    # stops being a main contact).
    service = contacts.set_active if user.role is Role.CONTACT else accounts.set_active
    if attempt(lambda: service(current_user, user, change == "aktivera")) is not REFUSED:
        flash(f"{user.name} är {'aktiverad' if user.active else 'inaktiverad och utloggad'}.",
              "success")
    return redirect(url_for(".users"))


@bp.route("/omgang/<int:round_id>/rapporttexter", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def round_texts(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    form = RoundTextsForm()
    if not form.is_submitted():
        existing = db.session.scalars(select(RoundSection).where(
            RoundSection.round_id == rnd.id).order_by(RoundSection.position)).all()
        rows = ([(s.placement, s.title, s.body) for s in existing]
                or list(round_service.DEFAULT_SECTIONS))
        form.foreword.data, form.foreword_signature.data = rnd.foreword, rnd.foreword_signature
        for entry, (placement, title, body) in zip(form.sections.entries, rows, strict=False):
            entry.form.placement.data, entry.form.title.data = placement, title
            entry.form.body.data = body
    if form.validate_on_submit() and attempt(lambda: round_service.save_texts(
            current_user, rnd, foreword=form.foreword.data or "",
            signature=form.foreword_signature.data or "",
            sections=[(e.form.placement.data, e.form.title.data or "", e.form.body.data or "")
                      for e in form.sections.entries])) is not REFUSED:
        flash("Rapporttexterna är sparade.", "success")
        return redirect(url_for(".round_detail", round_id=rnd.id))
    return render_template("admin/round_texts.html", round=rnd, form=form), \
        422 if form.errors else 200


@bp.route("/rapportmall", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def report_template():  # type: ignore[no-untyped-def]
    form = TemplateForm()
    if form.validate_on_submit():
        upload = form.file.data
        if attempt(lambda: report_service.upload_template(
                current_user, form.name.data or "", upload.filename or "mall.docx",
                upload.read())) is not REFUSED:
            flash("Mallen är uppladdad och används för nya rapporter.", "success")
            return redirect(url_for(".report_template"))
    templates = db.session.scalars(select(ReportTemplate).order_by(
        ReportTemplate.uploaded_at.desc())).all()
    return render_template("admin/report_template.html", form=form, templates=templates,
                           button=EmptyForm()), 422 if form.errors else 200


@bp.route("/rapportmall/<int:template_id>/anvand", methods=["POST"], defaults={"use": True})
@bp.route("/rapportmall/standard", methods=["POST"], defaults={"template_id": None, "use": False})
@roles_required(Role.ADMIN)
def use_template(template_id: int | None, use: bool):  # type: ignore[no-untyped-def]
    template = db.session.get(ReportTemplate, template_id) if template_id else None
    if use and template is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if attempt(lambda: report_service.use_template(current_user, template)) is not REFUSED:
        flash("Nya rapporter byggs med " + (f"mallen {template.name}." if template
                                            else "standardutseendet."), "success")
    return redirect(url_for(".report_template"))


@bp.route("/omgang/<int:round_id>/export.<any(xlsx, csv):fmt>")
@roles_required(Role.ADMIN, Role.REVIEWER, readers=True)
def export_answers(round_id: int, fmt: str):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    content, mimetype, filename = exports.export(current_user, rnd, fmt)  # audited
    response = make_response(content)
    response.mimetype = mimetype.split(";")[0]
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
