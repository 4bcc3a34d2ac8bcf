"""The unit's pages for the plan structure: action plans and their sub-goals, focus areas and
their activity areas, districts and municipalities. Nothing is deleted here, only retired."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.forms.auth import EmptyForm
from webapp.forms.plan import (
    ActivityAreaForm,
    AnsweredByForm,
    DistrictForm,
    FocusAreaForm,
    MunicipalityForm,
    NewMunicipalityForm,
    NewSubGoalForm,
    PlanForm,
    SubGoalForm,
)
from webapp.models import (
    ActionPlan,
    ActivityArea,
    AuditEvent,
    FocusArea,
    Organisation,
    OrganisationKind,
    Role,
    SubGoal,
)
from webapp.security import roles_required
from webapp.services import ServiceError, plan_admin
from webapp.views import boundary
from webapp.views.boundary import REFUSED, Refused, attempt

bp = Blueprint("plan", __name__, url_prefix="/admin/struktur")

T = TypeVar("T")

# The URL word for each kind of item; also the prefix of its anchor on its overview page.
KINDS: dict[str, type] = {
    "handlingsplan": ActionPlan, "delmal": SubGoal, "insatsomrade": FocusArea,
    "aktivitetsomrade": ActivityArea, "organisation": Organisation,
}


def _kind_of(item: plan_admin.Item) -> str:
    return next(kind for kind, model in KINDS.items() if isinstance(item, model))


def _page_of(item: plan_admin.Item) -> str:
    """The overview the item is listed on, scrolled to the item."""
    page = {ActionPlan: ".plans", SubGoal: ".plans", FocusArea: ".focus_areas",
            ActivityArea: ".focus_areas", Organisation: ".organisations"}[type(item)]
    return url_for(page, _anchor=f"{_kind_of(item)}-{item.id}")


def _save(form: FlaskForm, call: Callable[[], T]) -> T | Refused:
    """One service call for a form page; if it refuses, show the refusal in the form (beside
    its field when it is about one) for a 422, which the request boundary rolls back."""
    try:
        return call()
    except plan_admin.FieldError as refusal:
        boundary.discard()
        form[refusal.field].errors.append(refusal.message)
        return REFUSED
    except ServiceError as refusal:
        boundary.discard()
        form.form_errors.append(refusal.message)
        return REFUSED


def _form_page(form: FlaskForm, *, title: str, fields: list[str], back: str,
               hints: dict[str, str] | None = None, intro: str | None = None,
               item: plan_admin.Item | None = None) -> tuple[str, int]:
    return render_template("plan/form.html", form=form, title=title, fields=fields, back=back,
                           hints=hints or {}, intro=intro, item=item), \
        422 if form.errors else 200


def _saved(changes: list[str] | bool, message: str) -> None:
    flash(message if changes else "Inget var ändrat, så inget sparades.",
          "success" if changes else "info")


# --- Overviews --------------------------------------------------------------------------------

def _plans_page(failed: AnsweredByForm | None = None,
                failed_plan_id: int | None = None) -> tuple[str, int]:
    """The plans overview; ``failed`` is a refused who-answers form, shown with its error."""
    plans = db.session.scalars(select(ActionPlan).options(
        selectinload(ActionPlan.sub_goals).selectinload(SubGoal.focus_area))
        .order_by(ActionPlan.position, ActionPlan.id)).all()
    changes = db.session.scalars(
        select(AuditEvent).options(selectinload(AuditEvent.actor))
        .where(AuditEvent.entity_type.in_(plan_admin.STRUCTURE_ENTITY_TYPES))
        .order_by(AuditEvent.id.desc()).limit(10)).all()
    return render_template("plan/plans.html", plans=plans, failed=failed,
                           failed_plan_id=failed_plan_id, changes=changes,
                           answered_by_choices=AnsweredByForm.CHOICES,
                           offered={sg.id for sg in plan_admin.offered_sub_goals()}), \
        422 if failed else 200


@bp.route("/")
@roles_required(Role.ADMIN)
def plans():  # type: ignore[no-untyped-def]
    return _plans_page()


@bp.route("/insatsomraden")
@roles_required(Role.ADMIN)
def focus_areas():  # type: ignore[no-untyped-def]
    areas = db.session.scalars(select(FocusArea).options(
        selectinload(FocusArea.activity_areas), selectinload(FocusArea.sub_goals))
        .order_by(FocusArea.position, FocusArea.id)).all()
    return render_template("plan/focus_areas.html", focus_areas=areas)


@bp.route("/organisationer")
@roles_required(Role.ADMIN)
def organisations():  # type: ignore[no-untyped-def]
    everyone = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    districts = [o for o in everyone if o.kind is OrganisationKind.DISTRICT]
    municipalities = [o for o in everyone if o.kind is OrganisationKind.MUNICIPALITY]
    by_district = {d.id: [m for m in municipalities if m.district_id == d.id] for d in districts}
    orphans = [m for m in municipalities if m.district_id not in by_district]
    return render_template("plan/organisations.html", districts=districts,
                           by_district=by_district, orphans=orphans)


# --- Order, retire, reactivate (buttons on the overviews) -------------------------------------

@bp.route("/<any(handlingsplan, delmal, insatsomrade, aktivitetsomrade):kind>/<int:item_id>"
          "/<any(upp, ned):direction>", methods=["POST"])
@roles_required(Role.ADMIN)
def move(kind: str, item_id: int, direction: str):  # type: ignore[no-untyped-def]
    item = db.get_or_404(KINDS[kind], item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    step = -1 if direction == "upp" else 1
    if attempt(lambda: plan_admin.move(current_user, item, step)) is not REFUSED:
        words = plan_admin.noun(item)
        flash(f"{plan_admin.first_upper(plan_admin.describe(item))} är "
              f"{words.adjective('flyttad', 'flyttat')} {'upp' if step < 0 else 'ned'}.",
              "success")
    return redirect(_page_of(item))


@bp.route("/<any(handlingsplan, delmal, insatsomrade, aktivitetsomrade, organisation):kind>"
          "/<int:item_id>/<any(avveckla, ateraktivera):change>", methods=["POST"])
@roles_required(Role.ADMIN)
def set_active(kind: str, item_id: int, change: str):  # type: ignore[no-untyped-def]
    item = db.get_or_404(KINDS[kind], item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    active = change == "ateraktivera"
    if attempt(lambda: plan_admin.set_active(current_user, item, active)) is not REFUSED:
        words = plan_admin.noun(item)
        it = words.adjective("Den", "Det")
        flash(f"{plan_admin.first_upper(plan_admin.describe(item))} är " + (
            f"{words.adjective('återaktiverad', 'återaktiverat')}." if active else
            f"{words.adjective('avvecklad', 'avvecklat')}. {it} erbjuds inte i nya omgångar; "
            f"omgångar som redan har {it.lower()} behåller {it.lower()}."), "success")
    return redirect(_page_of(item))


# --- Action plans and sub-goals ---------------------------------------------------------------

@bp.route("/handlingsplan/<int:plan_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_plan(plan_id: int):  # type: ignore[no-untyped-def]
    plan = db.get_or_404(ActionPlan, plan_id)
    form = PlanForm(obj=plan)
    if form.validate_on_submit() and (changes := _save(form, lambda: plan_admin.update_plan(
            current_user, plan, name=form.name.data or "", period_start=form.period_start.data,
            period_end=form.period_end.data, decided_by=form.decided_by.data or ""))) \
            is not REFUSED:
        _saved(changes, f"{plan.name} är sparad.")
        return redirect(_page_of(plan))
    return _form_page(form, title=f"Ändra {plan.name}", back=_page_of(plan), item=plan,
                      fields=["name", "period_start", "period_end", "decided_by"],
                      hints={"period_start": "Till exempel 2019.",
                             "decided_by": "Till exempel Regionala tillväxtnämnden."})


@bp.route("/handlingsplan/<int:plan_id>/besvaras-av", methods=["POST"])
@roles_required(Role.ADMIN)
def answered_by(plan_id: int):  # type: ignore[no-untyped-def]
    plan = db.get_or_404(ActionPlan, plan_id)
    form = AnsweredByForm()
    if form.validate_on_submit() and (changed := _save(form, lambda: plan_admin.set_answered_by(
            current_user, plan, form.answered_by.data or []))) is not REFUSED:
        _saved(changed, f"{plan.name} besvaras av "
                        f"{plan_admin.answered_by_text(plan.answered_by)}.")
        return redirect(_page_of(plan))
    return _plans_page(failed=form, failed_plan_id=plan.id)


def _focus_area_choices() -> list[tuple[int, str]]:
    return [(0, "Välj insatsområde")] + [(fa.id, fa.name) for fa in db.session.scalars(
        select(FocusArea).where(FocusArea.active.is_(True)).order_by(FocusArea.position))]


@bp.route("/handlingsplan/<int:plan_id>/nytt-delmal", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_sub_goal(plan_id: int):  # type: ignore[no-untyped-def]
    plan = db.get_or_404(ActionPlan, plan_id)
    form = NewSubGoalForm()
    form.focus_area.choices = _focus_area_choices()
    if form.validate_on_submit() and (sub_goal := _save(form, lambda: plan_admin.add_sub_goal(
            current_user, plan, title=form.title.data or "",
            description=form.description.data or "",
            focus_area=db.session.get(FocusArea, form.focus_area.data)))) is not REFUSED:
        flash(f"Delmålet ”{sub_goal.title}” är tillagt sist i {plan.name}.", "success")
        return redirect(_page_of(sub_goal))
    return _form_page(form, title=f"Nytt delmål i {plan.name}", back=_page_of(plan),
                      fields=["title", "focus_area", "description"],
                      hints={"title": "Till exempel: Delmål 9 – Trygg och säker vård.",
                             "focus_area": "Svaren på delmålet hamnar i det här kapitlet "
                                           "i rapporten.",
                             "description": "Visas för den som svarar. Får vara tom."})


@bp.route("/delmal/<int:sub_goal_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_sub_goal(sub_goal_id: int):  # type: ignore[no-untyped-def]
    sub_goal = db.get_or_404(SubGoal, sub_goal_id)
    form = SubGoalForm(obj=sub_goal)
    if form.validate_on_submit() and (changes := _save(form, lambda: plan_admin.update_sub_goal(
            current_user, sub_goal, title=form.title.data or "",
            description=form.description.data or ""))) is not REFUSED:
        _saved(changes, f"Delmålet ”{sub_goal.title}” är sparat.")
        return redirect(_page_of(sub_goal))
    return _form_page(form, title="Ändra delmål", back=_page_of(sub_goal), item=sub_goal,
                      fields=["title", "description"],
                      intro=f"I {sub_goal.action_plan.name}, under insatsområdet "
                            f"{sub_goal.focus_area.name}. Omgångar som redan har delmålet "
                            "visar den nya rubriken.",
                      hints={"description": "Visas för den som svarar. Får vara tom."})


# --- Focus areas and activity areas -----------------------------------------------------------

@bp.route("/insatsomrade/nytt", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_focus_area():  # type: ignore[no-untyped-def]
    form = FocusAreaForm()
    if form.validate_on_submit() and (focus_area := _save(form, lambda: plan_admin.add_focus_area(
            current_user, name=form.name.data or ""))) is not REFUSED:
        flash(f"Insatsområdet {focus_area.name} är tillagt sist.", "success")
        return redirect(_page_of(focus_area))
    return _form_page(form, title="Nytt insatsområde", back=url_for(".focus_areas"),
                      fields=["name"], intro="Ett insatsområde blir ett kapitel i rapporten.")


@bp.route("/insatsomrade/<int:focus_area_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_focus_area(focus_area_id: int):  # type: ignore[no-untyped-def]
    focus_area = db.get_or_404(FocusArea, focus_area_id)
    form = FocusAreaForm(obj=focus_area)
    if form.validate_on_submit() and (changed := _save(form, lambda: plan_admin.rename_focus_area(
            current_user, focus_area, name=form.name.data or ""))) is not REFUSED:
        _saved(changed, f"Insatsområdet heter nu {focus_area.name}.")
        return redirect(_page_of(focus_area))
    return _form_page(form, title="Byt namn på insatsområdet", back=_page_of(focus_area),
                      fields=["name"], item=focus_area)


@bp.route("/insatsomrade/<int:focus_area_id>/nytt-aktivitetsomrade", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_activity_area(focus_area_id: int):  # type: ignore[no-untyped-def]
    focus_area = db.get_or_404(FocusArea, focus_area_id)
    form = ActivityAreaForm()
    if form.validate_on_submit() and (area := _save(form, lambda: plan_admin.add_activity_area(
            current_user, focus_area, name=form.name.data or ""))) is not REFUSED:
        flash(f"Aktivitetsområdet {area.name} är tillagt sist i {focus_area.name}.", "success")
        return redirect(_page_of(area))
    return _form_page(form, title=f"Nytt aktivitetsområde i {focus_area.name}",
                      back=_page_of(focus_area), fields=["name"])


@bp.route("/aktivitetsomrade/<int:activity_area_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_activity_area(activity_area_id: int):  # type: ignore[no-untyped-def]
    area = db.get_or_404(ActivityArea, activity_area_id)
    form = ActivityAreaForm(obj=area)
    if form.validate_on_submit() and (changed := _save(
            form, lambda: plan_admin.rename_activity_area(
                current_user, area, name=form.name.data or ""))) is not REFUSED:
        _saved(changed, f"Aktivitetsområdet heter nu {area.name}.")
        return redirect(_page_of(area))
    return _form_page(form, title="Byt namn på aktivitetsområdet", back=_page_of(area),
                      fields=["name"], item=area,
                      intro=f"I insatsområdet {area.focus_area.name}.")


# --- Districts and municipalities -------------------------------------------------------------

def _district_choices(current: Organisation | None = None) -> list[tuple[int, str]]:
    """Active districts, and the current one even if retired, so the form shows the truth."""
    districts = db.session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.DISTRICT).order_by(Organisation.name)).all()
    return [(0, "Välj länsdel")] + [
        (d.id, d.name if d.active else f"{d.name} (avvecklad)")
        for d in districts if d.active or d is current]


@bp.route("/lansdel/ny", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_district():  # type: ignore[no-untyped-def]
    form = DistrictForm()
    if form.validate_on_submit() and (district := _save(form, lambda: plan_admin.add_district(
            current_user, name=form.name.data or ""))) is not REFUSED:
        flash(f"{district.name} är tillagd. Flytta kommuner dit via Ändra.", "success")
        return redirect(_page_of(district))
    return _form_page(form, title="Ny länsdelsgrupp", back=url_for(".organisations"),
                      fields=["name"], hints={"name": "Till exempel Länsdelsgrupp Norr."})


@bp.route("/kommun/ny", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_municipality():  # type: ignore[no-untyped-def]
    form = NewMunicipalityForm()
    form.district_id.choices = _district_choices()
    if form.validate_on_submit() and (municipality := _save(
            form, lambda: plan_admin.add_municipality(
                current_user, name=form.name.data or "", code=form.code.data or "",
                district=db.session.get(Organisation, form.district_id.data)))) is not REFUSED:
        flash(f"Kommunen {municipality.name} är tillagd i {municipality.district.name}.",
              "success")
        return redirect(_page_of(municipality))
    return _form_page(form, title="Ny kommun", back=url_for(".organisations"),
                      fields=["name", "code", "district_id"],
                      hints={"code": "SCB:s kommunkod, fyra siffror, till exempel 1880."})


@bp.route("/organisation/<int:organisation_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_organisation(organisation_id: int):  # type: ignore[no-untyped-def]
    organisation = db.get_or_404(Organisation, organisation_id)
    is_municipality = organisation.kind is OrganisationKind.MUNICIPALITY
    form = (MunicipalityForm if is_municipality else DistrictForm)(obj=organisation)
    if is_municipality:
        form.district_id.choices = _district_choices(organisation.district)
    if form.validate_on_submit() and (changes := _save(
            form, lambda: plan_admin.update_organisation(
                current_user, organisation, name=form.name.data or "",
                district=db.session.get(Organisation, form.district_id.data)
                if is_municipality else None))) is not REFUSED:
        _saved(changes, f"{organisation.name} är sparad." if not is_municipality else
               f"Kommunen {organisation.name} är sparad och hör till "
               f"{organisation.district.name if organisation.district else 'ingen länsdel'}.")
        return redirect(_page_of(organisation))
    if is_municipality:
        return _form_page(form, title=f"Ändra kommunen {organisation.name}",
                          back=_page_of(organisation), fields=["name", "district_id"],
                          item=organisation,
                          intro=f"Kommunkod {organisation.code}. Byter du länsdel visas "
                                "kommunen under den nya länsdelen i granskningens översikt.")
    return _form_page(form, title=f"Ändra {organisation.name}", back=_page_of(organisation),
                      fields=["name"], item=organisation)
