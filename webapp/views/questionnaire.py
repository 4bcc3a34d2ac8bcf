"""The questionnaire designer: the questions a round asks per sub-goal, editable until the
round opens, copied from another round, and previewed as each organisation will see it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.forms.auth import EmptyForm
from webapp.forms.questionnaire import CopyQuestionnaireForm, PreviewForm, QuestionForm
from webapp.models import Question, Role, Round, RoundStatus, SubGoal
from webapp.models.constraints import QuestionSpec
from webapp.security import roles_required
from webapp.services import questionnaires
from webapp.views.boundary import REFUSED, attempt

bp = Blueprint("questionnaire", __name__, url_prefix="/admin/omgang/<int:round_id>/formular")


def _question(rnd: Round, question_id: int) -> Question:
    question = db.get_or_404(Question, question_id)
    if rnd.questionnaire is None or question.questionnaire_id != rnd.questionnaire.id:
        abort(404)
    return question


def _sub_goal(rnd: Round, sub_goal_id: int) -> SubGoal:
    sub_goal = next((sg for sg in rnd.sub_goals if sg.id == sub_goal_id), None)
    if sub_goal is None:
        abort(404)
    return sub_goal


def _editable(rnd: Round) -> bool:
    return rnd.status is RoundStatus.SCHEDULED and (
        rnd.questionnaire is None or rnd.questionnaire.frozen_at is None)


@bp.route("/")
@roles_required(Role.ADMIN)
def index(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    copy_form = CopyQuestionnaireForm()
    copy_form.source.choices = [
        (r.id, f"{r.name} (version {r.questionnaire.version})")
        for r in db.session.scalars(select(Round).where(Round.id != rnd.id)
                                    .order_by(Round.created_at.desc()))
        if r.questionnaire is not None]
    preview_form = PreviewForm(request.args)
    preview_form.organisation.choices = [(o.id, o.name) for o in rnd.recipients]
    return render_template(
        "questionnaire/index.html", round=rnd, editable=_editable(rnd), copy_form=copy_form,
        preview_form=preview_form, button=EmptyForm(),
        questions=questionnaires.questions_by_sub_goal(rnd))


def _spec(form: QuestionForm) -> QuestionSpec:
    return QuestionSpec(
        key=(form.key.data or "").strip(), kind=form.kind.data or "",
        label=form.label.data or "", help_text=form.help_text.data or "",
        required=bool(form.required.data),
        options=tuple((form.options.data or "").replace("\r\n", "\n").split("\n")),
        unit=form.unit.data or "", min_value=form.number(form.min_value),
        max_value=form.number(form.max_value), show_if_key=form.show_if_key.data or "",
        show_if_value=form.show_if_value.data or "")


def _question_form(rnd: Round, sub_goal: SubGoal, editing: Question | None) -> QuestionForm:
    form = QuestionForm()
    earlier = [q for q in questionnaires.questions_for(rnd, sub_goal)
               if editing is None or q.position < editing.position]
    form.show_if_key.choices = [("", "Visa alltid")] + [(q.key, q.label) for q in earlier]
    if editing is not None and not form.is_submitted():
        form.label.data, form.key.data = editing.label, editing.key
        form.kind.data, form.help_text.data = editing.kind.value, editing.help_text or ""
        form.required.data, form.options.data = editing.required, "\n".join(editing.options or [])
        form.unit.data = editing.unit or ""
        form.min_value.data = "" if editing.min_value is None else f"{editing.min_value:g}"
        form.max_value.data = "" if editing.max_value is None else f"{editing.max_value:g}"
        form.show_if_key.data = editing.show_if_key or ""
        form.show_if_value.data = editing.show_if_value or ""
    return form


def _also_choices(rnd: Round, sub_goal: SubGoal, question: Question | None,
                  form: QuestionForm) -> list[Question]:
    """Adding: every other sub-goal of the round. Editing: the other sub-goals that ask the
    same question (same key); returns those questions."""
    if question is None:
        form.also.choices = [(sg.id, sg.title) for sg in rnd.sub_goals if sg.id != sub_goal.id]
        return []
    others = questionnaires.same_key_elsewhere(rnd, question)
    form.also.choices = [(q.id, q.sub_goal.title if q.sub_goal else "") for q in others]
    return others


def _edit_page(rnd: Round, sub_goal: SubGoal, form: QuestionForm,
               question: Question | None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("questionnaire/question.html", round=rnd, sub_goal=sub_goal,
                           form=form, question=question, editable=_editable(rnd)), status


@bp.route("/delmal/<int:sub_goal_id>/ny", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def add(round_id: int, sub_goal_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    sub_goal = _sub_goal(rnd, sub_goal_id)
    form = _question_form(rnd, sub_goal, None)
    _also_choices(rnd, sub_goal, None, form)
    if not form.is_submitted():
        form.kind.data = "long_text"
        return _edit_page(rnd, sub_goal, form, None)
    if not form.validate():
        return _edit_page(rnd, sub_goal, form, None, 422)
    targets = [sub_goal] + [sg for sg in rnd.sub_goals if sg.id in set(form.also.data or [])]
    added = attempt(lambda: questionnaires.add_question_to(current_user, rnd, targets,
                                                           _spec(form)))
    if added is REFUSED:
        return _edit_page(rnd, sub_goal, form, None, 422)
    flash(f"Frågan ”{added[0].label}” är tillagd"
          + (f" för {len(added)} delmål." if len(added) > 1 else "."), "success")
    return redirect(url_for(".index", round_id=rnd.id) + f"#delmal-{sub_goal.id}")


@bp.route("/fraga/<int:question_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(round_id: int, question_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    question = _question(rnd, question_id)
    sub_goal = _sub_goal(rnd, question.sub_goal_id or 0)
    form = _question_form(rnd, sub_goal, question)
    others = _also_choices(rnd, sub_goal, question, form)
    if not form.is_submitted():
        return _edit_page(rnd, sub_goal, form, question)
    if not form.validate():
        return _edit_page(rnd, sub_goal, form, question, 422)
    chosen = [question] + [q for q in others if q.id in set(form.also.data or [])]
    if attempt(lambda: questionnaires.update_questions(current_user, rnd, chosen,
                                                       _spec(form))) is REFUSED:
        return _edit_page(rnd, sub_goal, form, question, 422)
    flash("Frågan är sparad" + (f" för {len(chosen)} delmål." if len(chosen) > 1 else "."),
          "success")
    return redirect(url_for(".index", round_id=rnd.id) + f"#delmal-{sub_goal.id}")


@bp.route("/fraga/<int:question_id>/<any(upp, ner):direction>", methods=["POST"])
@roles_required(Role.ADMIN)
def move(round_id: int, question_id: int, direction: str):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    question = _question(rnd, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    attempt(lambda: questionnaires.move_question(current_user, rnd, question,
                                                 -1 if direction == "upp" else 1))
    return redirect(url_for(".index", round_id=rnd.id) + f"#fraga-{question.id}")


@bp.route("/fraga/<int:question_id>/ta-bort", methods=["POST"])
@roles_required(Role.ADMIN)
def remove(round_id: int, question_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    question = _question(rnd, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    sub_goal_id, label = question.sub_goal_id, question.label
    if attempt(lambda: questionnaires.remove_question(current_user, rnd, question)) \
            is not REFUSED:
        flash(f"Frågan ”{label}” är borttagen.", "success")
    return redirect(url_for(".index", round_id=rnd.id) + f"#delmal-{sub_goal_id}")


@bp.route("/kopiera", methods=["POST"])
@roles_required(Role.ADMIN)
def copy(round_id: int):  # type: ignore[no-untyped-def]
    rnd = db.get_or_404(Round, round_id)
    form = CopyQuestionnaireForm()
    form.source.choices = [(r.id, r.name) for r in db.session.scalars(select(Round))]
    if not form.validate_on_submit():
        flash("Välj en omgång att kopiera från.", "error")
        return redirect(url_for(".index", round_id=rnd.id))
    source = db.get_or_404(Round, form.source.data)
    copied = attempt(lambda: questionnaires.copy_from_round(current_user, rnd, source))
    if copied is not REFUSED:
        flash(f"Formuläret är kopierat från {source.name} som version {copied.version}.",
              "success")
    return redirect(url_for(".index", round_id=rnd.id))


@bp.route("/forhandsvisning")
@roles_required(Role.ADMIN)
def preview(round_id: int):  # type: ignore[no-untyped-def]
    """The form exactly as one organisation's contacts get it, nothing saved."""
    rnd = db.get_or_404(Round, round_id)
    organisation_id = request.args.get("organisation", type=int)
    organisation = next((o for o in rnd.recipients if o.id == organisation_id), None)
    if organisation is None:
        abort(404)
    questions = questionnaires.questions_by_sub_goal(rnd)
    return render_template(
        "questionnaire/preview.html", round=rnd, organisation=organisation,
        sections=[(sg, questions[sg.id]) for sg in rnd.sub_goals_for(organisation)])

