"""Load the plan structure and organisations from the YAML data file.

Idempotent: rows are matched by stable keys (codes for municipalities), so loading the same
file twice changes nothing. The caller commits; an error leaves nothing half-imported.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ActionPlan, FocusArea, Organisation, OrganisationKind, SubGoal
from webapp.services import ServiceError

DEFAULT_DATA_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "region-orebro-lan.yaml"


def load_file(path: Path = DEFAULT_DATA_FILE) -> dict[str, int]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ServiceError(f"Filen kunde inte läsas: {error}") from error
    if not isinstance(data, dict):
        raise ServiceError("Filen innehåller ingen plan.")
    return load(data)


def _one(model: type, **where: Any) -> Any:
    return db.session.scalar(select(model).filter_by(**where))


def load(data: dict[str, Any]) -> dict[str, int]:
    counts = {"districts": 0, "municipalities": 0, "focus_areas": 0, "action_plans": 0,
              "sub_goals": 0}
    districts: dict[str, Organisation] = {}
    for item in data.get("districts", []):
        district = _one(Organisation, name=item["name"]) or Organisation(
            name=item["name"], kind=OrganisationKind.DISTRICT)
        db.session.add(district)
        districts[item["key"]] = district
        counts["districts"] += 1
    db.session.flush()
    for item in data.get("municipalities", []):
        municipality = _one(Organisation, code=str(item["code"])) or Organisation(
            code=str(item["code"]), kind=OrganisationKind.MUNICIPALITY, name=item["name"])
        municipality.name = item["name"]
        if item.get("district") not in districts:
            raise ServiceError(f"Kommunen {item['name']} pekar på en okänd länsdel "
                               f"({item.get('district')}).")
        municipality.district = districts[item["district"]]
        db.session.add(municipality)
        counts["municipalities"] += 1
    focus_areas: dict[str, FocusArea] = {}
    for position, item in enumerate(data.get("focus_areas", []), start=1):
        focus_area = _one(FocusArea, key=item["key"]) or FocusArea(key=item["key"])
        focus_area.name, focus_area.position = item["name"], position
        db.session.add(focus_area)
        focus_areas[item["key"]] = focus_area
        counts["focus_areas"] += 1
    db.session.flush()
    for plan_position, item in enumerate(data.get("action_plans", []), start=1):
        plan = _one(ActionPlan, key=item["key"]) or ActionPlan(key=item["key"])
        plan.name, plan.position = item["name"], plan_position
        period = item.get("period") or [None, None]
        plan.period_start, plan.period_end = period[0], period[1]
        plan.decided_by = item.get("decided_by")
        db.session.add(plan)
        db.session.flush()
        counts["action_plans"] += 1
        for position, goal in enumerate(item.get("sub_goals", []), start=1):
            if goal["focus_area"] not in focus_areas:
                raise ServiceError(f"Delmålet {goal['title']} pekar på ett okänt insatsområde "
                                   f"({goal['focus_area']}).")
            sub_goal = _one(SubGoal, action_plan_id=plan.id, key=goal["key"]) or SubGoal(
                action_plan_id=plan.id, key=goal["key"])
            sub_goal.title, sub_goal.position = goal["title"], position
            sub_goal.focus_area = focus_areas[goal["focus_area"]]
            db.session.add(sub_goal)
            counts["sub_goals"] += 1
    db.session.flush()
    if "questionnaire" in data:
        counts["questions"] = _load_template(data["questionnaire"].get("questions", []))
    return counts


def _load_template(specs: list[dict[str, Any]]) -> int:
    """The default question set, kept as the one template questionnaire; unchanged when the
    file's questions are the same as the stored ones."""
    from sqlalchemy import func

    from webapp.models import Question, Questionnaire, QuestionType

    template = _one(Questionnaire, is_template=True)
    wanted = [dict(key=spec["key"], kind=QuestionType(spec["type"]), label=spec["label"],
                   help_text=spec.get("help"), required=bool(spec.get("required", False)),
                   options=list(spec.get("options", [])), unit=spec.get("unit"),
                   min_value=spec.get("min"), max_value=spec.get("max"),
                   show_if_key=(spec.get("show_if") or {}).get("question"),
                   show_if_value=(spec.get("show_if") or {}).get("answer"), position=position)
              for position, spec in enumerate(specs, start=1)]
    if template is not None:
        stored = [dict(key=q.key, kind=q.kind, label=q.label, help_text=q.help_text,
                       required=q.required, options=q.options, unit=q.unit,
                       min_value=q.min_value, max_value=q.max_value,
                       show_if_key=q.show_if_key, show_if_value=q.show_if_value,
                       position=q.position)
                  for q in template.questions if q.sub_goal_id is None]
        if stored == wanted:
            return len(wanted)
        template.questions = [q for q in template.questions if q.sub_goal_id is not None]
    else:
        version = (db.session.scalar(select(func.max(Questionnaire.version))) or 0) + 1
        template = Questionnaire(version=version, is_template=True)
        db.session.add(template)
    template.questions.extend(Question(sub_goal_id=None, **item) for item in wanted)
    db.session.flush()
    return len(wanted)
