"""The unit edits the plan structure: action plans, sub-goals, focus areas, activity areas,
districts and municipalities.

Nothing is ever deleted: answers, activities and rounds point at these rows, so an item is
retired (``active = False``) and may be reactivated. Each change writes one audit event with
a readable Swedish summary in the same transaction; the caller commits.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from webapp.extensions import db
from webapp.models import (
    ActionPlan,
    ActivityArea,
    FocusArea,
    Organisation,
    OrganisationKind,
    Role,
    SubGoal,
    User,
)

# The sizes and years are the plan file's and the forms' too (one rule set): refused here
# with a Swedish message, not by the database.
from webapp.models.constraints import (
    ACTIVITY_AREA_NAME_MAX,
    DECIDED_BY_MAX,
    FOCUS_AREA_NAME_MAX,
    KEY_MAX,
    MUNICIPALITY_CODE_PATTERN,
    ORGANISATION_NAME_MAX,
    PLAN_NAME_MAX,
    SUB_GOAL_DESCRIPTION_MAX,
    SUB_GOAL_TITLE_MAX,
    YEAR_MESSAGE,
    year_ok,
)
from webapp.services import ServiceError, audit

Item = ActionPlan | SubGoal | FocusArea | ActivityArea | Organisation


# The organisation kinds that can answer a plan, in the order the UI lists them.
ANSWERED_BY_LABELS = {OrganisationKind.MUNICIPALITY.value: "kommuner",
                      OrganisationKind.DISTRICT.value: "länsdelsgrupper"}

STRUCTURE_ENTITY_TYPES = ("action_plan", "sub_goal", "focus_area", "activity_area",
                          "organisation")


class FieldError(ServiceError):
    """A refusal about one input, so the view can show it beside that form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Noun:
    """How Swedish names an item: its definite form and whether it is an ett-word, which
    decides the ending of the adjectives after it (avvecklad/avvecklat)."""

    definite: str
    neuter: bool

    def adjective(self, common: str, neuter: str) -> str:
        return neuter if self.neuter else common


def noun(item: Item) -> Noun:
    if isinstance(item, ActionPlan):
        return Noun("handlingsplanen", False)
    if isinstance(item, SubGoal):
        return Noun("delmålet", True)
    if isinstance(item, FocusArea):
        return Noun("insatsområdet", True)
    if isinstance(item, ActivityArea):
        return Noun("aktivitetsområdet", True)
    if item.kind is OrganisationKind.MUNICIPALITY:
        return Noun("kommunen", False)
    return Noun("länsdelsgruppen", False)


def name_of(item: Item) -> str:
    return item.title if isinstance(item, SubGoal) else item.name


def describe(item: Item) -> str:
    """'delmålet ”Delmål 1 – …”': what the audit summaries and messages call the item."""
    return f"{noun(item).definite} ”{name_of(item)}”"


def first_upper(text: str) -> str:
    """Capitalise a sentence's first letter only (str.capitalize lowercases the names too)."""
    return text[:1].upper() + text[1:]


def entity_type(item: Item) -> str:
    return {ActionPlan: "action_plan", SubGoal: "sub_goal", FocusArea: "focus_area",
            ActivityArea: "activity_area", Organisation: "organisation"}[type(item)]


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan ändra planstrukturen.")


def _record(actor: User, item: Item, verb: str, summary: str) -> None:
    audit.record(actor, f"{entity_type(item)}.{verb}", entity_type(item), item.id,
                 comment=summary)


# --- Checks ---------------------------------------------------------------------------------

def _text(value: str | None, *, field: str, max_length: int, missing: str | None) -> str:
    """Trimmed text; ``missing`` is the message for an empty value (None: may be empty)."""
    text = " ".join((value or "").split())
    if not text and missing:
        raise FieldError(field, missing)
    if len(text) > max_length:
        raise FieldError(field, f"Högst {max_length} tecken (nu {len(text)}).")
    return text


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _refuse_duplicate(name: str, others: list[Item], *, field: str, what: str,
                      where: str = "") -> None:
    """``what`` is an indefinite noun phrase ('ett insatsområde'), ``where`` an optional
    place ('i handlingsplanen')."""
    for other in others:
        if _same(name_of(other), name):
            retired = "" if other.active else (
                " Det är avvecklat; återaktivera det i stället." if noun(other).neuter
                else " Den är avvecklad; återaktivera den i stället.")
            raise FieldError(field, f"Det finns redan {what} som heter ”{name_of(other)}”"
                                    f"{' ' + where if where else ''}.{retired}")


def _year(value: int | None, field: str) -> int | None:
    if value is not None and not year_ok(value):
        raise FieldError(field, YEAR_MESSAGE)
    return value


def slugify(text: str, max_length: int = KEY_MAX) -> str:
    """A stable key from a name: 'Delmål 9 – Trygg vård' → 'delmal-9-trygg-vard'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "post"


def _unique_key(name: str, taken: set[str]) -> str:
    base = slugify(name)
    key, number = base, 2
    while key in taken:
        suffix = f"-{number}"
        key = base[:KEY_MAX - len(suffix)].rstrip("-") + suffix
        number += 1
    return key


# --- What is offered where new rounds are set up ----------------------------------------------

def offered_sub_goals() -> list[SubGoal]:
    """Sub-goals a new round may ask about: active, in an active plan, under an active focus
    area. Existing rounds keep the sub-goals they were given, retired or not."""
    return list(db.session.scalars(
        select(SubGoal).join(SubGoal.action_plan).join(SubGoal.focus_area)
        .options(contains_eager(SubGoal.action_plan), contains_eager(SubGoal.focus_area))
        .where(SubGoal.active.is_(True), ActionPlan.active.is_(True),
               FocusArea.active.is_(True))
        .order_by(ActionPlan.position, ActionPlan.id, SubGoal.position, SubGoal.id)))


# --- Order ----------------------------------------------------------------------------------

def _ordered(model: type, *where: object) -> list[Item]:
    """Items in their order, locked so two people reordering at once still leave positions
    1..n (SQLite has no row locks, but it has a single writer)."""
    return list(db.session.scalars(
        select(model).where(*where)  # type: ignore[arg-type]
        .order_by(model.position, model.id).with_for_update(of=model)))  # type: ignore[attr-defined]


def _siblings(item: Item) -> list[Item]:
    """The items ``item`` is ordered among: sub-goals within their plan, activity areas
    within their focus area, all plans, all focus areas."""
    if isinstance(item, SubGoal):
        return _ordered(SubGoal, SubGoal.action_plan_id == item.action_plan_id)
    if isinstance(item, ActivityArea):
        return _ordered(ActivityArea, ActivityArea.focus_area_id == item.focus_area_id)
    if isinstance(item, Organisation):
        raise ServiceError("Kommuner och länsdelsgrupper visas i bokstavsordning.")
    return _ordered(type(item))


def _renumber(items: list[Item]) -> None:
    for position, sibling in enumerate(items, start=1):
        if sibling.position != position:  # type: ignore[union-attr]
            sibling.position = position  # type: ignore[union-attr]


def move(actor: User, item: Item, step: int) -> None:
    """One step up (-1) or down (+1) among its siblings, retired ones included."""
    _require_admin(actor)
    siblings = _siblings(item)
    index = siblings.index(item)
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(siblings):
        where = "först" if step < 0 else "sist"
        raise ServiceError(f"{first_upper(describe(item))} står redan {where}.")
    siblings[index], siblings[target] = siblings[target], siblings[index]
    _renumber(siblings)
    _record(actor, item, "reorder",
            f"Flyttade {describe(item)} {'upp' if step < 0 else 'ned'} till plats "
            f"{target + 1} av {len(siblings)}.")
    db.session.flush()


def _next_position(model: type, *where: object) -> int:
    """The position after the last sibling; called before the new row exists."""
    siblings = _ordered(model, *where)
    _renumber(siblings)
    return len(siblings) + 1


# --- Retire and reactivate --------------------------------------------------------------------

def set_active(actor: User, item: Item, active: bool) -> None:
    _require_admin(actor)
    words = noun(item)
    state = (words.adjective("aktiv", "aktivt") if active
             else words.adjective("avvecklad", "avvecklat"))
    if item.active is active:
        raise ServiceError(f"{first_upper(describe(item))} är redan {state}.")
    if isinstance(item, Organisation):
        _check_organisation_change(item, active)
    item.active = active
    _record(actor, item, "reactivate" if active else "retire",
            f"{'Återaktiverade' if active else 'Avvecklade'} {describe(item)}.")
    db.session.flush()


def _check_organisation_change(item: Organisation, active: bool) -> None:
    if item.kind is OrganisationKind.DISTRICT and not active:
        members = [m.name for m in municipalities_of(item) if m.active]
        if members:
            raise ServiceError(
                f"{first_upper(describe(item))} har kommuner som svarar: "
                f"{', '.join(members)}. Flytta dem till en annan länsdel eller avveckla "
                "dem först.")
    if (item.kind is OrganisationKind.MUNICIPALITY and active and item.district is not None
            and not item.district.active):
        raise ServiceError(
            f"{item.district.name} är avvecklad. Flytta först kommunen {item.name} till en "
            "aktiv länsdel (Ändra), eller återaktivera länsdelen.")


def municipalities_of(district: Organisation) -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(
        Organisation.district_id == district.id).order_by(Organisation.name)))


# --- Action plans -----------------------------------------------------------------------------

def update_plan(actor: User, plan: ActionPlan, *, name: str, period_start: int | None,
                period_end: int | None, decided_by: str) -> list[str]:
    """Rename a plan, or change its period or who decided it. Returns what changed."""
    _require_admin(actor)
    name = _text(name, field="name", max_length=PLAN_NAME_MAX,
                 missing="Ge handlingsplanen ett namn.")
    decided_by = _text(decided_by, field="decided_by", max_length=DECIDED_BY_MAX, missing=None)
    _year(period_start, "period_start")
    _year(period_end, "period_end")
    if period_start is not None and period_end is not None and period_end < period_start:
        raise FieldError("period_end", "Slutåret kan inte ligga före startåret.")
    _refuse_duplicate(name, [p for p in db.session.scalars(select(ActionPlan)) if p is not plan],
                      field="name", what="en handlingsplan")
    changes = []
    if name != plan.name:
        changes.append(f"namn ”{plan.name}” → ”{name}”")
    if (period_start, period_end) != (plan.period_start, plan.period_end):
        changes.append(f"period {_period(plan.period_start, plan.period_end)} → "
                       f"{_period(period_start, period_end)}")
    if (decided_by or None) != plan.decided_by:
        changes.append(f"beslutad av ”{plan.decided_by or ''}” → ”{decided_by}”")
    if not changes:
        return []
    summary = f"Ändrade {describe(plan)}: {'; '.join(changes)}."
    plan.name, plan.decided_by = name, decided_by or None
    plan.period_start, plan.period_end = period_start, period_end
    _record(actor, plan, "update", summary)
    db.session.flush()
    return changes


def _period(start: int | None, end: int | None) -> str:
    return f"{start or '?'}–{end or '?'}" if start or end else "ingen"


def answered_by_text(kinds: list[str]) -> str:
    return " och ".join(ANSWERED_BY_LABELS[k] for k in ANSWERED_BY_LABELS if k in kinds)


def set_answered_by(actor: User, plan: ActionPlan, kinds: list[str]) -> bool:
    """Which kinds of organisation answer the plan's sub-goals. Returns whether it changed."""
    _require_admin(actor)
    unknown = set(kinds) - set(ANSWERED_BY_LABELS)
    chosen = [k for k in ANSWERED_BY_LABELS if k in kinds]
    if unknown or not chosen:
        raise FieldError("answered_by", "Välj minst en av Kommuner och Länsdelsgrupper.")
    before = [k for k in ANSWERED_BY_LABELS if k in (plan.answered_by or [])]
    if chosen == before:
        return False
    plan.answered_by = chosen  # a new list, so SQLAlchemy sees the JSON change
    _record(actor, plan, "answered_by",
            f"{first_upper(describe(plan))} besvaras nu av {answered_by_text(chosen)} "
            f"(förut {answered_by_text(before) or 'ingen'}).")
    db.session.flush()
    return True


# --- Sub-goals --------------------------------------------------------------------------------

def _sub_goal_text(plan: ActionPlan, title: str, description: str,
                   sub_goal: SubGoal | None) -> tuple[str, str]:
    title = _text(title, field="title", max_length=SUB_GOAL_TITLE_MAX,
                  missing="Ge delmålet en rubrik.")
    description = (description or "").replace("\r\n", "\n").strip()
    if len(description) > SUB_GOAL_DESCRIPTION_MAX:
        raise FieldError("description", f"Högst {SUB_GOAL_DESCRIPTION_MAX} tecken "
                                        f"(nu {len(description)}).")
    others = [sg for sg in db.session.scalars(select(SubGoal).where(
        SubGoal.action_plan_id == plan.id)) if sg is not sub_goal]
    _refuse_duplicate(title, others, field="title", what="ett delmål",  # type: ignore[arg-type]
                      where="i handlingsplanen")
    return title, description


def add_sub_goal(actor: User, plan: ActionPlan, *, title: str, description: str,
                 focus_area: FocusArea | None) -> SubGoal:
    _require_admin(actor)
    if not plan.active:
        raise ServiceError(f"{first_upper(describe(plan))} är avvecklad. Återaktivera den "
                           "innan du lägger till delmål.")
    if focus_area is None or not focus_area.active:
        raise FieldError("focus_area", "Välj ett insatsområde som inte är avvecklat.")
    title, description = _sub_goal_text(plan, title, description, None)
    taken = set(db.session.scalars(select(SubGoal.key).where(SubGoal.action_plan_id == plan.id)))
    position = _next_position(SubGoal, SubGoal.action_plan_id == plan.id)
    sub_goal = SubGoal(action_plan=plan, focus_area=focus_area, title=title,
                       description=description or None, key=_unique_key(title, taken),
                       position=position)
    db.session.add(sub_goal)
    db.session.flush()
    _record(actor, sub_goal, "add",
            f"Lade till {describe(sub_goal)} i {plan.name}, under insatsområdet "
            f"{focus_area.name}.")
    db.session.flush()
    return sub_goal


def update_sub_goal(actor: User, sub_goal: SubGoal, *, title: str,
                    description: str) -> list[str]:
    _require_admin(actor)
    title, description = _sub_goal_text(sub_goal.action_plan, title, description, sub_goal)
    changes = []
    if title != sub_goal.title:
        changes.append(f"rubrik ”{sub_goal.title}” → ”{title}”")
    if (description or None) != (sub_goal.description or None):
        changes.append("ny beskrivning" if description else "beskrivningen borttagen")
    if not changes:
        return []
    summary = f"Ändrade {describe(sub_goal)} i {sub_goal.action_plan.name}: {'; '.join(changes)}."
    sub_goal.title, sub_goal.description = title, description or None
    _record(actor, sub_goal, "update", summary)
    db.session.flush()
    return changes


# --- Focus areas and activity areas -----------------------------------------------------------

def _focus_area_name(name: str, focus_area: FocusArea | None) -> str:
    name = _text(name, field="name", max_length=FOCUS_AREA_NAME_MAX,
                 missing="Ge insatsområdet ett namn.")
    _refuse_duplicate(name, [f for f in db.session.scalars(select(FocusArea))
                             if f is not focus_area], field="name", what="ett insatsområde")
    return name


def add_focus_area(actor: User, *, name: str) -> FocusArea:
    _require_admin(actor)
    name = _focus_area_name(name, None)
    taken = set(db.session.scalars(select(FocusArea.key)))
    focus_area = FocusArea(name=name, key=_unique_key(name, taken),
                           position=_next_position(FocusArea))
    db.session.add(focus_area)
    db.session.flush()
    _record(actor, focus_area, "add",
            f"Lade till {describe(focus_area)} på plats {focus_area.position}.")
    db.session.flush()
    return focus_area


def _rename(actor: User, item: Item, name: str) -> bool:
    if name == item.name:  # type: ignore[union-attr]
        return False
    summary = f"Bytte namn på {describe(item)} till ”{name}”."
    item.name = name  # type: ignore[union-attr]
    _record(actor, item, "rename", summary)
    db.session.flush()
    return True


def rename_focus_area(actor: User, focus_area: FocusArea, *, name: str) -> bool:
    _require_admin(actor)
    return _rename(actor, focus_area, _focus_area_name(name, focus_area))


def _activity_area_name(focus_area: FocusArea, name: str,
                        activity_area: ActivityArea | None) -> str:
    name = _text(name, field="name", max_length=ACTIVITY_AREA_NAME_MAX,
                 missing="Ge aktivitetsområdet ett namn.")
    others = [a for a in db.session.scalars(select(ActivityArea).where(
        ActivityArea.focus_area_id == focus_area.id)) if a is not activity_area]
    _refuse_duplicate(name, others, field="name",  # type: ignore[arg-type]
                      what="ett aktivitetsområde", where="i insatsområdet")
    return name


def add_activity_area(actor: User, focus_area: FocusArea, *, name: str) -> ActivityArea:
    _require_admin(actor)
    if not focus_area.active:
        raise ServiceError(f"{first_upper(describe(focus_area))} är avvecklat. Återaktivera "
                           "det innan du lägger till aktivitetsområden.")
    name = _activity_area_name(focus_area, name, None)
    taken = set(db.session.scalars(select(ActivityArea.key).where(
        ActivityArea.focus_area_id == focus_area.id)))
    position = _next_position(ActivityArea, ActivityArea.focus_area_id == focus_area.id)
    activity_area = ActivityArea(focus_area=focus_area, name=name, key=_unique_key(name, taken),
                                 position=position)
    db.session.add(activity_area)
    db.session.flush()
    _record(actor, activity_area, "add",
            f"Lade till {describe(activity_area)} i insatsområdet {focus_area.name}.")
    db.session.flush()
    return activity_area


def rename_activity_area(actor: User, activity_area: ActivityArea, *, name: str) -> bool:
    _require_admin(actor)
    return _rename(actor, activity_area,
                   _activity_area_name(activity_area.focus_area, name, activity_area))


# --- Districts and municipalities -------------------------------------------------------------

def _organisation_name(name: str, organisation: Organisation | None, missing: str) -> str:
    name = _text(name, field="name", max_length=ORGANISATION_NAME_MAX, missing=missing)
    # Names are unique across both kinds (a database constraint): say so before it fails.
    for other in db.session.scalars(select(Organisation)):
        if other is not organisation and _same(other.name, name):
            state = "" if other.active else " (avvecklad)"
            raise FieldError("name", f"Namnet ”{other.name}” används redan av "
                                     f"{noun(other).definite}{state}.")
    return name


def _district(district: Organisation | None) -> Organisation:
    if district is None or district.kind is not OrganisationKind.DISTRICT or not district.active:
        raise FieldError("district_id", "Välj en länsdel som inte är avvecklad.")
    return district


def add_district(actor: User, *, name: str) -> Organisation:
    _require_admin(actor)
    name = _organisation_name(name, None, "Ge länsdelsgruppen ett namn.")
    taken = {k for k in db.session.scalars(select(Organisation.key)) if k}
    district = Organisation(name=name, kind=OrganisationKind.DISTRICT, active=True,
                            key=_unique_key(name, taken))
    db.session.add(district)
    db.session.flush()
    _record(actor, district, "add", f"Lade till {describe(district)}.")
    db.session.flush()
    return district


def add_municipality(actor: User, *, name: str, code: str,
                     district: Organisation | None) -> Organisation:
    _require_admin(actor)
    name = _organisation_name(name, None, "Ge kommunen ett namn.")
    code = (code or "").strip()
    if not MUNICIPALITY_CODE_PATTERN.fullmatch(code):
        raise FieldError("code", "Kommunkoden är fyra siffror, till exempel 1880.")
    holder = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if holder is not None:
        raise FieldError("code", f"Kommunkoden {code} används redan av {holder.name}.")
    district = _district(district)
    municipality = Organisation(name=name, code=code, kind=OrganisationKind.MUNICIPALITY,
                                district=district, active=True)
    db.session.add(municipality)
    db.session.flush()
    _record(actor, municipality, "add",
            f"Lade till {describe(municipality)} (kommunkod {code}) i {district.name}.")
    db.session.flush()
    return municipality


def update_organisation(actor: User, organisation: Organisation, *, name: str,
                        district: Organisation | None = None) -> list[str]:
    """Rename a district or municipality; a municipality may also move to another district
    (the review overview's district filter follows at once)."""
    _require_admin(actor)
    missing = ("Ge kommunen ett namn." if organisation.kind is OrganisationKind.MUNICIPALITY
               else "Ge länsdelsgruppen ett namn.")
    name = _organisation_name(name, organisation, missing)
    moving = (organisation.kind is OrganisationKind.MUNICIPALITY and district is not None
              and district is not organisation.district)
    if moving:
        district = _district(district)
    changes = []
    if name != organisation.name:
        _rename(actor, organisation, name)
        changes.append("namn")
    if moving and district is not None:
        before = organisation.district.name if organisation.district else "ingen länsdel"
        organisation.district = district
        _record(actor, organisation, "move",
                f"Flyttade {describe(organisation)} från {before} till {district.name}.")
        changes.append("länsdel")
    db.session.flush()
    return changes
