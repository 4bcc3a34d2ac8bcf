"""The YAML plan file: import it into the plan structure, organisations and template
questionnaire, and export the current structure back into the same format.

The whole file is validated (``plan_schema``) and checked against the database before
anything is written, so a refused file changes nothing. Rows are matched by stable keys
(municipalities by SCB code; districts by key, or by name for rows made before districts had
keys), so importing the same file twice changes nothing, and names may change between imports.
Plan structure is never deleted: answers of earlier rounds point at it, so items are retired
with ``active: false``, and rows missing from the file are left as they are (and reported).
The template questionnaire is different: it is only where new rounds copy their questions
from, so it is made to hold exactly the file's questions. The caller commits.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import (
    ActionPlan,
    ActivityArea,
    FocusArea,
    Organisation,
    OrganisationKind,
    Question,
    Questionnaire,
    QuestionType,
    SubGoal,
    User,
)
from webapp.models.constraints import QuestionSpec
from webapp.services import ServiceError, audit, region
from webapp.services.plan_schema import ActionPlanSpec, PlanFile, PlanFileError, Problem, parse

DEFAULT_DATA_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "region-orebro-lan.yaml"

COUNT_LABELS = {
    "districts": "länsdelar", "municipalities": "kommuner", "focus_areas": "insatsområden",
    "activity_areas": "aktivitetsområden", "action_plans": "handlingsplaner",
    "sub_goals": "delmål", "questions": "frågor",
}
MAX_NOTICES = 20

__all__ = ["DEFAULT_DATA_FILE", "ImportResult", "PlanFileError", "export", "import_bytes",
           "load", "load_file"]


@dataclass
class ImportResult:
    counts: dict[str, int]  # what the file describes
    created: int = 0  # rows inserted
    updated: int = 0  # rows whose values changed
    deleted: int = 0  # template questions no longer in the file
    notices: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def summary(self) -> str:
        """One Swedish sentence for a flash message, the CLI and the audit log."""
        described = ", ".join(f"{n} {COUNT_LABELS[k]}" for k, n in self.counts.items())
        if not self.changed:
            return f"Planfilen är inläst: {described}. Inget behövde ändras."
        return (f"Planfilen är inläst: {described}. Nya rader: {self.created}, ändrade: "
                f"{self.updated}, borttagna frågor: {self.deleted}.")


def load_file(path: Path = DEFAULT_DATA_FILE, *, actor: User | None = None) -> ImportResult:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ServiceError(f"Filen {path.name} kunde inte läsas: {error.strerror}.") from error
    return import_bytes(content, actor=actor, source=path.name)


def import_bytes(content: bytes, *, actor: User | None = None, source: str = "") -> ImportResult:
    try:
        # utf-8-sig: Notepad and Excel put a byte order mark first.
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PlanFileError([Problem(None, None, (
            "Filen är inte sparad som UTF-8. Spara den som UTF-8 (i Anteckningar: Spara som, "
            "Kodning UTF-8) och försök igen."))]) from error
    return load(decoded, actor=actor, source=source)


def load(data: str | Mapping[str, Any], *, actor: User | None = None,
         source: str = "") -> ImportResult:
    """Import a plan file's text (or an already parsed mapping: line numbers in its problems
    then refer to the mapping written out as YAML). Raises PlanFileError, writing nothing,
    when anything is wrong."""
    if not isinstance(data, str):
        data = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False)
    plan = parse(data)
    _lock()
    existing = _Existing.fetch()
    problems = existing.conflicts(plan)
    if problems:
        raise PlanFileError(problems)
    result = ImportResult(counts={
        "districts": len(plan.districts), "municipalities": len(plan.municipalities),
        "focus_areas": len(plan.focus_areas),
        "activity_areas": sum(len(f.activity_areas) for f in plan.focus_areas),
        "action_plans": len(plan.action_plans),
        "sub_goals": sum(len(p.sub_goals) for p in plan.action_plans),
        "questions": (len(plan.questions or ()) + sum(
            len(q) for q in plan.sub_goal_questions.values())),
    })
    try:
        with db.session.no_autoflush:  # flushed at the end, once every row is complete
            _Writer(existing, result).write(plan)
    except IntegrityError as error:
        # Only a concurrent change gets here (the file was checked against the database);
        # the caller's rollback undoes the part that was flushed.
        raise ServiceError("Planfilen kunde inte läsas in eftersom strukturen ändrades "
                           "samtidigt. Försök igen.") from error
    audit.record(actor, "plan.import", "plan_file", None,
                 comment=f"{source}: {result.summary()}" if source else result.summary())
    return result


def _lock() -> None:
    """One import at a time: two at once would both create the same new rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('plan_import'))"))


@dataclass
class _Existing:
    """Every row the file may match, fetched once (the demo seed imports on every test)."""

    organisations: list[Organisation]
    focus_areas: dict[str, FocusArea]
    activity_areas: dict[tuple[int, str], ActivityArea]
    plans: dict[str, ActionPlan]
    sub_goals: dict[tuple[int, str], SubGoal]
    template: Questionnaire | None

    @classmethod
    def fetch(cls) -> _Existing:
        session = db.session
        template = session.scalar(select(Questionnaire).where(Questionnaire.is_template)
                                  .order_by(Questionnaire.version.desc()).limit(1))
        return cls(
            organisations=list(session.scalars(select(Organisation).order_by(Organisation.id))),
            focus_areas={f.key: f for f in session.scalars(select(FocusArea))},
            activity_areas={(a.focus_area_id, a.key): a
                            for a in session.scalars(select(ActivityArea))},
            plans={p.key: p for p in session.scalars(select(ActionPlan))},
            sub_goals={(s.action_plan_id, s.key): s for s in session.scalars(select(SubGoal))},
            template=template,
        )

    def district(self, key: str, name: str) -> Organisation | None:
        by_key = next((o for o in self.organisations if o.key == key), None)
        if by_key is not None:
            return by_key
        # Districts imported before they had keys are known by name only.
        return next((o for o in self.organisations if o.key is None and o.name == name
                     and o.kind is OrganisationKind.DISTRICT), None)

    def municipality(self, code: str) -> Organisation | None:
        return next((o for o in self.organisations if o.code == code), None)

    def conflicts(self, plan: PlanFile) -> list[Problem]:
        """What the database would refuse, said before anything is written."""
        problems: list[Problem] = []
        matched: dict[int, tuple[int, str]] = {}  # row id -> (line, new name)
        for spec in plan.districts:
            row = self.district(spec.key, spec.name)
            if row is not None and row.kind is not OrganisationKind.DISTRICT:
                problems.append(Problem(spec.line, None, (
                    f"Nyckeln ”{spec.key}” tillhör kommunen {row.name} i databasen, inte en "
                    "länsdel.")))
            elif row is not None:
                matched[row.id] = (spec.line, spec.name)
        for mspec in plan.municipalities:
            row = self.municipality(mspec.code)
            if row is not None and row.kind is not OrganisationKind.MUNICIPALITY:
                problems.append(Problem(mspec.line, None, (
                    f"Koden {mspec.code} tillhör länsdelen {row.name} i databasen, inte en "
                    "kommun.")))
            elif row is not None:
                matched[row.id] = (mspec.line, mspec.name)
        for name, line in ([(d.name, d.line) for d in plan.districts]
                           + [(m.name, m.line) for m in plan.municipalities]):
            holder = next((o for o in self.organisations if o.name == name), None)
            if holder is not None and holder.id not in matched:
                problems.append(Problem(line, None, (
                    f"Namnet ”{name}” används redan av en organisation i databasen som inte "
                    "finns i filen (med den nyckeln eller koden). Byt namn på den ena.")))
        return problems


class _Writer:
    def __init__(self, existing: _Existing, result: ImportResult) -> None:
        self.existing = existing
        self.result = result

    def _set(self, row: Any, **values: Any) -> None:
        """Assign only what differs, so an unchanged file issues no UPDATE at all."""
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        for name in changed:
            setattr(row, name, values[name])
        if changed:
            self.result.updated += 1

    def _new(self, row: Any) -> Any:
        db.session.add(row)
        self.result.created += 1
        return row

    def write(self, plan: PlanFile) -> None:
        if region.store(region=plan.region, unit=plan.unit, county=plan.county):
            self.result.updated += 1
        districts = self.organisations(plan)
        focus_areas = self.focus_areas(plan)
        sub_goals = self.action_plans(plan, focus_areas)
        if plan.questions is not None:
            self.questionnaire(plan, sub_goals)
        else:
            self.result.notices.append("Filen har inga frågor (questionnaire); "
                                       "standardfrågorna lämnades som de var.")
        self.notices(plan, set(districts.values()))
        db.session.flush()

    def organisations(self, plan: PlanFile) -> dict[str, Organisation]:
        rows: list[tuple[Organisation | None, str]] = (
            [(self.existing.district(d.key, d.name), d.name) for d in plan.districts]
            + [(self.existing.municipality(m.code), m.name) for m in plan.municipalities])
        renamed = [row for row, name in rows if row is not None and row.name != name]
        if renamed:
            # Names are unique; two organisations swapping names would collide half-way.
            for row in renamed:
                row.name = f"(byter namn) {row.id}"
            db.session.flush()
        districts: dict[str, Organisation] = {}
        for spec in plan.districts:
            row = self.existing.district(spec.key, spec.name)
            if row is None:
                row = self._new(Organisation(kind=OrganisationKind.DISTRICT, key=spec.key,
                                             name=spec.name, active=spec.active))
            else:
                self._set(row, key=spec.key, name=spec.name, active=spec.active)
            districts[spec.key] = row
        for mspec in plan.municipalities:
            row = self.existing.municipality(mspec.code)
            if row is None:
                self._new(Organisation(kind=OrganisationKind.MUNICIPALITY, code=mspec.code,
                                       name=mspec.name, district=districts[mspec.district],
                                       active=mspec.active))
            else:
                self._set(row, name=mspec.name, district=districts[mspec.district],
                          active=mspec.active)
        return districts

    def focus_areas(self, plan: PlanFile) -> dict[str, FocusArea]:
        rows: dict[str, FocusArea] = {}
        for position, spec in enumerate(plan.focus_areas, start=1):
            row = self.existing.focus_areas.get(spec.key)
            if row is None:
                row = self._new(FocusArea(key=spec.key, name=spec.name, position=position,
                                          active=spec.active))
            else:
                self._set(row, name=spec.name, position=position, active=spec.active)
            rows[spec.key] = row
            for area_position, area in enumerate(spec.activity_areas, start=1):
                existing = (self.existing.activity_areas.get((row.id, area.key))
                            if row.id is not None else None)
                if existing is None:
                    self._new(ActivityArea(focus_area=row, key=area.key, name=area.name,
                                           position=area_position, active=area.active))
                else:
                    self._set(existing, name=area.name, position=area_position,
                              active=area.active)
        return rows

    def action_plans(self, plan: PlanFile, focus_areas: dict[str, FocusArea]
                     ) -> dict[tuple[str, str], SubGoal]:
        sub_goals: dict[tuple[str, str], SubGoal] = {}
        for position, spec in enumerate(plan.action_plans, start=1):
            row = self.existing.plans.get(spec.key)
            values = _plan_values(spec, position)
            if row is None:
                row = self._new(ActionPlan(key=spec.key, **values))
            else:
                self._set(row, **values)
            for goal_position, goal in enumerate(spec.sub_goals, start=1):
                existing = (self.existing.sub_goals.get((row.id, goal.key))
                            if row.id is not None else None)
                goal_values = dict(title=goal.title, description=goal.description,
                                   position=goal_position, active=goal.active,
                                   focus_area=focus_areas[goal.focus_area])
                if existing is None:
                    existing = self._new(SubGoal(action_plan=row, key=goal.key, **goal_values))
                else:
                    self._set(existing, **goal_values)
                sub_goals[(spec.key, goal.key)] = existing
        return sub_goals

    def questionnaire(self, plan: PlanFile, sub_goals: dict[tuple[str, str], SubGoal]) -> None:
        template = self.existing.template
        if template is None:
            # The first template takes the next version number; rounds' copies count too.
            version = (db.session.scalar(select(func.max(Questionnaire.version))) or 0) + 1
            template = self._new(Questionnaire(version=version, is_template=True))
        current = {(q.sub_goal_id, q.key): q for q in template.questions}
        wanted: list[tuple[SubGoal | None, int, QuestionSpec]] = [
            (None, position, q) for position, q in enumerate(plan.questions or (), start=1)]
        for target, questions in plan.sub_goal_questions.items():
            wanted += [(sub_goals[target], position, q)
                       for position, q in enumerate(questions, start=1)]
        kept: set[int] = set()
        for sub_goal, position, spec in wanted:
            sub_goal_id = sub_goal.id if sub_goal is not None else None
            existing = None if sub_goal is not None and sub_goal_id is None else current.get(
                (sub_goal_id, spec.key))
            values = _question_values(spec, position)
            if existing is None:
                template.questions.append(self._new(Question(key=spec.key, sub_goal=sub_goal,
                                                             **values)))
            else:
                self._set(existing, **values)
                kept.add(existing.id)
        for question in [q for q in template.questions if q.id is not None and q.id not in kept]:
            template.questions.remove(question)  # delete-orphan: the row goes
            self.result.deleted += 1

    def notices(self, plan: PlanFile, districts: set[Organisation]) -> None:
        """Active rows the file does not mention: left alone, but said."""
        codes = {m.code for m in plan.municipalities}
        missing = [f"{o.kind_label.lower()}en {o.name}" for o in self.existing.organisations
                   if o.active and o not in districts and (o.code is None or o.code not in codes)]
        keys = {f.key for f in plan.focus_areas}
        missing += [f"insatsområdet {f.name}" for k, f in self.existing.focus_areas.items()
                    if f.active and k not in keys]
        area_keys = {(f.key, a.key) for f in plan.focus_areas for a in f.activity_areas}
        missing += [f"aktivitetsområdet {a.name}"
                    for (_, key), a in self.existing.activity_areas.items()
                    if a.active and (a.focus_area.key, key) not in area_keys
                    and a.focus_area.key in keys]
        plan_keys = {p.key for p in plan.action_plans}
        missing += [f"handlingsplanen {p.name}" for k, p in self.existing.plans.items()
                    if p.active and k not in plan_keys]
        goal_keys = {(p.key, s.key) for p in plan.action_plans for s in p.sub_goals}
        missing += [f"delmålet {s.title}" for s in self.existing.sub_goals.values()
                    if s.active and s.action_plan.key in plan_keys
                    and (s.action_plan.key, s.key) not in goal_keys]
        self.result.notices += [
            f"{text[:1].upper()}{text[1:]} finns i databasen men inte i filen och lämnades som "
            "det var; skriv active: false i filen för att avveckla det." for text in missing]


def _plan_values(spec: ActionPlanSpec, position: int) -> dict[str, Any]:
    return dict(name=spec.name, position=position, period_start=spec.period[0],
                period_end=spec.period[1], decided_by=spec.decided_by,
                answered_by=list(spec.answered_by), active=spec.active)


def _question_values(spec: QuestionSpec, position: int) -> dict[str, Any]:
    return dict(position=position, kind=QuestionType(spec.kind), label=spec.label,
                help_text=spec.help_text, required=spec.required, options=list(spec.options),
                unit=spec.unit, min_value=spec.min_value, max_value=spec.max_value,
                show_if_key=spec.show_if_key, show_if_value=spec.show_if_value)


# --- export ----------------------------------------------------------------------------

EXPORT_HEADER = """\
# Uppföljningens struktur: länsdelar, kommuner, insatsområden med aktivitetsområden,
# handlingsplaner med delmål, och standardfrågorna som nya omgångar utgår från.
# Läs in den med `flask import-plan FIL` eller under /admin/struktur/fil. Nycklarna (key och
# kommunernas code) känner igen raderna mellan inläsningar och ska inte ändras; namn och
# rubriker får ändras. Ta inte bort delar som har använts: skriv active: false.
"""


class _Flow(list):  # type: ignore[type-arg]
    """A list written on one line: [2019, 2022]."""


class _FlowMap(dict):  # type: ignore[type-arg]
    """A mapping written on one line: {key: norr, name: Länsdelsgrupp Norr}."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent lists under their key, as the shipped data file does.
        return super().increase_indent(flow, False)


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data.items(), flow_style=True))


def _dump(section: dict[str, Any]) -> str:
    return yaml.dump(section, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=10_000, default_flow_style=False)


def _swedish(name: str) -> tuple[str, str]:
    """Sort key in Swedish alphabetical order: å, ä, ö after z (code points put ä before å)."""
    folded = name.casefold().translate(str.maketrans({"å": "{", "ä": "|", "ö": "}"}))
    return folded, name


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.casefold()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:80] or "lansdel"


def _number(value: float | None) -> float | int | None:
    return int(value) if value is not None and value.is_integer() else value


def export() -> str:
    """The current structure as a plan file that imports back to the same structure."""
    session = db.session
    organisations = list(session.scalars(select(Organisation)))
    districts = sorted((o for o in organisations if o.kind is OrganisationKind.DISTRICT),
                       key=lambda o: _swedish(o.name))
    keys: dict[int, str] = {}
    for district in districts:  # rows from before districts had keys get one from the name
        key = district.key or _slug(district.name)
        while key in keys.values() and not district.key:
            key = f"{key}-{district.id}"
        keys[district.id] = key
    municipalities = sorted((o for o in organisations
                             if o.kind is OrganisationKind.MUNICIPALITY),
                            key=lambda o: _swedish(o.name))
    focus_areas = session.scalars(select(FocusArea).order_by(FocusArea.position,
                                                             FocusArea.id)).all()
    plans = session.scalars(select(ActionPlan).order_by(ActionPlan.position,
                                                        ActionPlan.id)).all()
    template = session.scalar(select(Questionnaire).where(Questionnaire.is_template)
                              .order_by(Questionnaire.version.desc()).limit(1))

    def active(row: Any, item: dict[str, Any]) -> dict[str, Any]:
        if not row.active:
            item["active"] = False
        return item

    parts = [EXPORT_HEADER]
    who = region.identity()
    named = {key: value for key, value in (("county", who.county), ("region", who.region),
                                           ("unit", who.unit)) if value}
    if named:
        parts.append(_dump(named))
    parts.append(_dump({"districts": [
        _FlowMap(active(d, {"key": keys[d.id], "name": d.name})) for d in districts]}))
    parts.append(_dump({"municipalities": [_FlowMap(active(m, {
        "name": m.name, "code": m.code,
        "district": keys.get(m.district_id) if m.district_id else None}))
        for m in municipalities]}))
    fa_items = []
    for fa in focus_areas:
        item = active(fa, {"key": fa.key, "name": fa.name})
        areas = sorted(fa.activity_areas, key=lambda a: (a.position, a.id))
        if areas:
            item["activity_areas"] = [_FlowMap(active(a, {"key": a.key, "name": a.name}))
                                      for a in areas]
        fa_items.append(item)
    parts.append(_dump({"focus_areas": fa_items}))
    plan_items = []
    for plan in plans:
        item: dict[str, Any] = {"key": plan.key, "name": plan.name,
                                "period": _Flow([plan.period_start, plan.period_end])}
        if plan.decided_by:
            item["decided_by"] = plan.decided_by
        item["answered_by"] = _Flow(plan.answered_by or [])
        active(plan, item)
        goals = sorted(plan.sub_goals, key=lambda s: (s.position, s.id))
        item["sub_goals"] = [_FlowMap(active(s, {
            "key": s.key, "focus_area": s.focus_area.key, "title": s.title,
            **({"description": s.description} if s.description else {})})) for s in goals]
        plan_items.append(item)
    parts.append(_dump({"action_plans": plan_items}))
    if template is not None:
        parts.append(_dump({"questionnaire": _questionnaire(template)}))
    return "\n".join(parts)


def _questionnaire(template: Questionnaire) -> dict[str, Any]:
    questions = sorted(template.questions, key=lambda q: q.position)
    default = [_question(q) for q in questions if q.sub_goal_id is None]
    by_sub_goal: dict[SubGoal, list[dict[str, Any]]] = {}
    for question in questions:
        if question.sub_goal is not None:
            by_sub_goal.setdefault(question.sub_goal, []).append(_question(question))
    result: dict[str, Any] = {"questions": default}
    if by_sub_goal:
        ordered = sorted(by_sub_goal.items(), key=lambda kv: (
            kv[0].action_plan.position, kv[0].action_plan.id, kv[0].position, kv[0].id))
        result["sub_goals"] = {f"{sg.action_plan.key}/{sg.key}": items
                               for sg, items in ordered}
    return result


def _question(question: Question) -> dict[str, Any]:
    item: dict[str, Any] = {"key": question.key, "type": question.kind.value,
                            "label": question.label}
    if question.help_text:
        item["help"] = question.help_text
    if question.required:
        item["required"] = True
    if question.options:
        item["options"] = _Flow(question.options)
    for name, value in (("unit", question.unit), ("min", _number(question.min_value)),
                        ("max", _number(question.max_value))):
        if value is not None:
            item[name] = value
    if question.show_if_key:
        item["show_if"] = _FlowMap({"question": question.show_if_key,
                                    "answer": question.show_if_value})
    return item
