"""Questionnaires as data: each round's questions, their typed values, and the designer.

A round gets its own questionnaire version when it is created (copied from the template, or
from another round) and it is frozen when the round opens. Answers store one typed value per
question key in ``Answer.values`` and a prose rendering in ``Answer.text``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy import func, select

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Question,
    Questionnaire,
    QuestionType,
    Role,
    Round,
    RoundStatus,
    SubGoal,
    User,
)
from webapp.models import constraints as rules
from webapp.models.constraints import QuestionSpec
from webapp.services import ServiceError, audit

MAX_TEXT = {QuestionType.SHORT_TEXT: 300, QuestionType.LONG_TEXT: 50_000}
# Field names the answer form uses itself: a question key must not take them.
RESERVED_KEYS = {"csrf_token", "expected_version", "save", "submit", "action"}
FROZEN_MESSAGE = ("Formuläret är låst (version {version}) eftersom omgången har öppnats: "
                  "kontaktpersonerna svarar på det. Ändringar görs i nästa omgångs formulär.")

# Questionnaires from before questions were data had one free text per sub-goal.
LEGACY_QUESTION = dict(key="text", kind=QuestionType.LONG_TEXT, label="Ditt svar",
                       required=True, position=1, options=[],
                       help_text="Beskriv vad organisationen har gjort inom delmålet under "
                                 "året: resultat, utmaningar, omvärldens påverkan och nästa steg.")


# --- Reading a round's questions ----------------------------------------------------------------

def template() -> Questionnaire | None:
    return db.session.scalar(select(Questionnaire).where(Questionnaire.is_template.is_(True)))


def questions_for(rnd: Round, sub_goal: SubGoal) -> list[Question]:
    """The questions this round asks for this sub-goal, in order. One small query: the
    answer page and autosave need only this sub-goal's questions, not the questionnaire's."""
    if rnd.questionnaire_id is None:
        return [Question(sub_goal_id=sub_goal.id, **LEGACY_QUESTION)]
    return list(db.session.scalars(
        select(Question).where(Question.questionnaire_id == rnd.questionnaire_id,
                               Question.sub_goal_id == sub_goal.id)
        .order_by(Question.position, Question.id)))


def questions_by_sub_goal(rnd: Round) -> dict[int, list[Question]]:
    """Every sub-goal's questions in the round, in one query (the designer, the preview)."""
    if rnd.questionnaire_id is None:
        return {sg.id: questions_for(rnd, sg) for sg in rnd.sub_goals}
    by_sub_goal: dict[int, list[Question]] = {sg.id: [] for sg in rnd.sub_goals}
    for question in db.session.scalars(
            select(Question).where(Question.questionnaire_id == rnd.questionnaire_id)
            .order_by(Question.sub_goal_id, Question.position, Question.id)):
        if question.sub_goal_id in by_sub_goal:
            by_sub_goal[question.sub_goal_id].append(question)
    return by_sub_goal


def _copy_question(question: Question, sub_goal_id: int | None) -> Question:
    return Question(sub_goal_id=sub_goal_id, key=question.key, position=question.position,
                    kind=question.kind, label=question.label, help_text=question.help_text,
                    required=question.required, options=list(question.options or []),
                    unit=question.unit, min_value=question.min_value,
                    max_value=question.max_value, show_if_key=question.show_if_key,
                    show_if_value=question.show_if_value)


def _template_questions(tmpl: Questionnaire | None, sub_goal_id: int) -> list[Question]:
    if tmpl is None:
        return [Question(sub_goal_id=sub_goal_id, **LEGACY_QUESTION)]
    own = [q for q in tmpl.questions if q.sub_goal_id == sub_goal_id]
    defaults = [q for q in tmpl.questions if q.sub_goal_id is None]
    return [_copy_question(q, sub_goal_id) for q in (own or defaults)]


def create_for_round(rnd: Round, source: Questionnaire | None = None,
                     version: int = 1) -> Questionnaire:
    """A new version for ``rnd`` (numbered per round): each of its sub-goals gets the
    source's questions for it (another round's questionnaire) or else the template's."""
    tmpl = template()
    questionnaire = Questionnaire(version=version,
                                  based_on_id=(source or tmpl).id if (source or tmpl) else None)
    for sub_goal in rnd.sub_goals:
        copied = ([_copy_question(q, sub_goal.id) for q in source.questions_for(sub_goal.id)]
                  if source is not None else [])
        questionnaire.questions.extend(copied or _template_questions(tmpl, sub_goal.id))
    db.session.add(questionnaire)
    rnd.questionnaire = questionnaire
    db.session.flush()
    return questionnaire


def freeze(rnd: Round) -> None:
    """Called as the round opens: from now on its contacts answer exactly these questions."""
    if rnd.questionnaire is None:
        create_for_round(rnd)
    assert rnd.questionnaire is not None  # noqa: S101 (narrows the type; set just above)
    if rnd.questionnaire.frozen_at is None:
        rnd.questionnaire.frozen_at = clock.now()


# --- Typed values -------------------------------------------------------------------------------

@dataclass
class Parsed:
    values: dict[str, Any]
    errors: dict[str, str]  # field name → Swedish message
    # Keys of the questions whose field was refused: a draft keeps their stored value.
    invalid: set[str] = field(default_factory=set)


# Digits, an optional sign and decimal part; spaces (also no-break and thin) group thousands.
# No exponents: "1e309" is not how anyone writes a cost, and it is not a finite number.
NUMBER_PATTERN = re.compile(r"[+\-\u2212]?\d+(?:[.,]\d+)?")
MAX_DIGITS = 30


def _number(raw: str) -> Decimal | None:
    text = re.sub(r"[ \u00a0\u202f]", "", raw.strip())
    if not NUMBER_PATTERN.fullmatch(text) or sum(c.isdigit() for c in text) > MAX_DIGITS:
        return None
    try:
        return Decimal(text.replace("\u2212", "-").replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


def number_value(value: Any) -> Decimal | None:
    """A stored number as an exact Decimal: ints and decimal strings are stored; floats
    (stored before numbers were kept exact) are read by their shortest repr."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _stored_number(number: Decimal) -> int | str:
    """Exact in JSON: an int when whole, else the decimal as text ("3.5")."""
    if number == number.to_integral_value():
        return int(number)
    return format(number.normalize(), "f")


def _year(raw: str) -> int | None:
    text = raw.strip()
    if not re.fullmatch(r"\d{4}", text):
        return None
    year = int(text)
    return year if rules.year_ok(year) else None


def format_number(value: Any) -> str:
    """Swedish: a no-break space groups thousands, a comma marks decimals, every digit kept."""
    number = number_value(value)
    if number is None:
        return ""
    return format_decimal(number, locale="sv_SE", decimal_quantization=False)


def text_limit(question: Question) -> int | None:
    return MAX_TEXT.get(question.kind)


def parse(questions: Sequence[Question], form: Any) -> Parsed:
    """Read the answer form into typed values; refuse what no question offers.

    ``form`` is a MultiDict-like (``get``, ``getlist``). Required questions are not checked
    here: a draft may be incomplete (see ``missing_required``)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in questions:
        name = q.field_name
        if q.kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
            text = (form.get(name) or "").replace("\r\n", "\n")
            if q.kind is QuestionType.SHORT_TEXT:
                text = text.replace("\n", " ").strip()
            if len(text) > MAX_TEXT[q.kind]:
                errors[name] = (f"{q.label}: högst {format_number(MAX_TEXT[q.kind])} tecken, "
                                f"du har skrivit {format_number(len(text))}. Korta texten; "
                                "inget har tagits bort.")
            elif text.strip():
                values[q.key] = text
        elif q.kind in (QuestionType.SINGLE_CHOICE, QuestionType.STATUS):
            choice = (form.get(name) or "").strip()
            if choice and choice not in q.choices:
                errors[name] = f"{q.label}: välj ett av alternativen i listan."
            elif choice:
                values[q.key] = choice
        elif q.kind is QuestionType.MULTIPLE_CHOICE:
            chosen = [c.strip() for c in form.getlist(name) if c.strip()]
            if any(c not in q.choices for c in chosen):
                errors[name] = f"{q.label}: välj bara bland alternativen i listan."
            elif chosen:
                # Kept in the order the options are offered, once each.
                values[q.key] = [c for c in q.choices if c in chosen]
        elif q.kind is QuestionType.NUMBER:
            raw = (form.get(name) or "").strip()
            if raw:
                number = _number(raw)
                if number is None:
                    errors[name] = f"{q.label}: skriv ett tal, till exempel 12 eller 3,5."
                elif q.min_value is not None and number < number_value(q.min_value):
                    errors[name] = f"{q.label}: talet får inte vara mindre än " \
                                   f"{format_number(q.min_value)}."
                elif q.max_value is not None and number > number_value(q.max_value):
                    errors[name] = f"{q.label}: talet får inte vara större än " \
                                   f"{format_number(q.max_value)}."
                else:
                    values[q.key] = _stored_number(number)
        elif q.kind is QuestionType.YEAR:
            raw = (form.get(name) or "").strip()
            if raw:
                year = _year(raw)
                if year is None:
                    errors[name] = (f"{q.label}: skriv ett årtal mellan {rules.FIRST_YEAR} "
                                    f"och {rules.LAST_YEAR}, till exempel 2022.")
                else:
                    values[q.key] = year
        elif q.kind is QuestionType.YEAR_RANGE:
            raw_start = (form.get(f"{name}_start") or "").strip()
            raw_end = (form.get(f"{name}_end") or "").strip()
            if raw_start or raw_end:
                start, end = _year(raw_start), _year(raw_end)
                if (raw_start and start is None) or (raw_end and end is None):
                    errors[name] = (f"{q.label}: skriv årtal mellan {rules.FIRST_YEAR} och "
                                    f"{rules.LAST_YEAR}.")
                elif start is not None and end is not None and end < start:
                    errors[name] = f"{q.label}: slutåret kan inte ligga före startåret."
                else:
                    values[q.key] = {"start": start, "end": end}
        # ACTIVITIES has no value of its own: the activities are their own records.
    invalid = {q.key for q in questions if q.field_name in errors}
    return Parsed(values=values, errors=errors, invalid=invalid)


def is_visible(question: Question, values: Mapping[str, Any]) -> bool:
    if not question.show_if_key:
        return True
    value = values.get(question.show_if_key)
    if isinstance(value, list):
        return question.show_if_value in value
    return value is not None and str(value) == question.show_if_value


def visible(questions: Sequence[Question], values: Mapping[str, Any]) -> list[Question]:
    return [q for q in questions if is_visible(q, values)]


def missing_required(questions: Sequence[Question], values: Mapping[str, Any],
                     activity_count: int = 0) -> list[Question]:
    """Required questions (that are shown) without an answer."""
    missing = []
    for q in visible(questions, values):
        if not q.required:
            continue
        if q.kind is QuestionType.ACTIVITIES:
            if activity_count == 0:
                missing.append(q)
        elif values.get(q.key) in (None, "", [], {}):
            missing.append(q)
    return missing


def display_value(question: Question, value: Any) -> str:
    """One value as Swedish text."""
    if value is None:
        return ""
    if question.kind is QuestionType.MULTIPLE_CHOICE:
        return ", ".join(value)
    if question.kind is QuestionType.NUMBER:
        text = format_number(value)
        return f"{text}\u00a0{question.unit}" if question.unit else text
    if question.kind is QuestionType.YEAR_RANGE:
        start, end = value.get("start"), value.get("end")
        if start and end:
            return f"{start}–{end}"
        return f"från {start}" if start else f"till {end}"
    return str(value)


def render_text(questions: Sequence[Question], values: Mapping[str, Any]) -> str:
    """The answer as prose for review, report and export. The main text (key "text") is the
    body as written; every other answered question follows as "Fråga: svar" paragraphs."""
    parts = []
    for q in visible(questions, values):
        value = values.get(q.key)
        if value in (None, "", [], {}) or q.kind is QuestionType.ACTIVITIES:
            continue
        if q.key == "text":
            parts.append(str(value).strip("\n"))
        elif q.kind is QuestionType.LONG_TEXT:
            parts.append(f"{q.label}\n{str(value).strip()}")
        else:
            parts.append(f"{q.label}: {display_value(q, value)}")
    return "\n\n".join(parts)


def form_values(questions: Sequence[Question], values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored values as the form's fields hold them (for filling the form again)."""
    fields: dict[str, Any] = {}
    for q in questions:
        value = values.get(q.key)
        if q.kind is QuestionType.YEAR_RANGE:
            value = value or {}
            fields[f"{q.field_name}_start"] = value.get("start") or ""
            fields[f"{q.field_name}_end"] = value.get("end") or ""
        elif q.kind is QuestionType.MULTIPLE_CHOICE:
            fields[q.field_name] = list(value or [])
        elif q.kind is QuestionType.NUMBER and value is not None:
            fields[q.field_name] = format_number(value)
        else:
            fields[q.field_name] = "" if value is None else value
    return fields


@dataclass
class PreviousItem:
    """One question of last round's approved answer, and where "Kopiera till mitt svar"
    puts its value in this round's form (``field`` None: no such question now)."""
    label: str
    shown: str
    field: str | None
    fields: dict[str, Any]


def previous_items(previous_questions: Sequence[Question], previous_values: Mapping[str, Any],
                   previous_text: str, current: Sequence[Question]) -> list[PreviousItem]:
    by_key = {q.key: q for q in current}
    if not previous_values:  # an answer from before questions were data: one text
        target = by_key.get("text")
        if not previous_text.strip():
            return []
        if target is None or target.kind is not QuestionType.LONG_TEXT:
            return [PreviousItem("Svar", previous_text, None, {})]
        return [PreviousItem(target.label, previous_text, target.field_name,
                             {target.field_name: previous_text})]
    items = []
    for q in visible(previous_questions, previous_values):
        value = previous_values.get(q.key)
        if value in (None, "", [], {}) or q.kind is QuestionType.ACTIVITIES:
            continue
        target = by_key.get(q.key)
        if target is not None and target.kind is not q.kind:
            target = None  # the question changed type: shown, not copied
        items.append(PreviousItem(
            q.label, display_value(q, value), target.field_name if target else None,
            form_values([target], previous_values) if target else {}))
    return items


# --- The designer -------------------------------------------------------------------------------

def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan ändra frågeformulär.")


def _editable(rnd: Round) -> Questionnaire:
    questionnaire = rnd.questionnaire
    if questionnaire is None:
        questionnaire = create_for_round(rnd)
    if questionnaire.frozen_at is not None or rnd.status is not RoundStatus.SCHEDULED:
        raise ServiceError(FROZEN_MESSAGE.format(version=questionnaire.version))
    return questionnaire


def _check_spec(spec: QuestionSpec, siblings: Sequence[Question],
                editing: Question | None) -> QuestionType:
    try:
        kind = QuestionType(spec.kind)
    except ValueError:
        raise ServiceError("Välj en frågetyp i listan.") from None
    if not rules.QUESTION_KEY_PATTERN.fullmatch(spec.key) or spec.key in RESERVED_KEYS:
        raise ServiceError("Nyckeln skrivs med små bokstäver a–z, siffror, - och _ "
                           f"(högst {rules.QUESTION_KEY_MAX} tecken), till exempel "
                           "”resultat”.")
    if any(q.key == spec.key and q is not editing for q in siblings):
        raise ServiceError(f"Det finns redan en fråga med nyckeln ”{spec.key}” för delmålet.")
    if not spec.label.strip():
        raise ServiceError("Skriv frågan.")
    if len(spec.label.strip()) > rules.QUESTION_LABEL_MAX:
        raise ServiceError(f"Frågan får vara högst {rules.QUESTION_LABEL_MAX} tecken.")
    if len((spec.help_text or "").strip()) > rules.QUESTION_HELP_MAX:
        raise ServiceError(f"Hjälptexten får vara högst {rules.QUESTION_HELP_MAX} tecken.")
    if len((spec.unit or "").strip()) > rules.QUESTION_UNIT_MAX:
        raise ServiceError(f"Enheten får vara högst {rules.QUESTION_UNIT_MAX} tecken.")
    options = _options(spec)
    problem = rules.options_problem(kind, options)
    if problem is not None:
        raise ServiceError(problem + (" Skriv ett per rad." if kind.has_options else ""))
    if len(set(options)) != len(options):
        raise ServiceError("Samma alternativ står två gånger.")
    if any(len(o) > rules.OPTION_MAX for o in options):
        raise ServiceError(f"Ett alternativ får vara högst {rules.OPTION_MAX} tecken.")
    if kind is not QuestionType.NUMBER and (spec.min_value is not None
                                            or spec.max_value is not None or spec.unit):
        raise ServiceError("Enhet och gränser hör bara till frågor av typen Tal.")
    for bound in (spec.min_value, spec.max_value):
        if bound is not None and not math.isfinite(bound):
            raise ServiceError("Gränserna måste vara vanliga tal.")
    if (spec.min_value is not None and spec.max_value is not None
            and spec.min_value > spec.max_value):
        raise ServiceError("Den lägsta gränsen är större än den högsta.")
    if spec.show_if_key:
        earlier = [q for q in siblings if q is not editing
                   and (editing is None or q.position < editing.position)]
        condition = next((q for q in earlier if q.key == spec.show_if_key), None)
        if condition is None:
            raise ServiceError("Villkoret måste gälla en fråga som står före den här.")
        if not (spec.show_if_value or "").strip():
            raise ServiceError("Skriv vilket svar som ska visa frågan.")
        if condition.choices and spec.show_if_value not in condition.choices:
            raise ServiceError("Villkorets svar finns inte bland den frågans alternativ.")
    return kind


def _options(spec: QuestionSpec) -> list[str]:
    """The options as written one per line: trimmed, empty lines left out."""
    return [o.strip() for o in spec.options if o.strip()]


def _apply_spec(question: Question, spec: QuestionSpec, kind: QuestionType) -> None:
    question.key = spec.key
    question.kind = kind
    question.label = spec.label.strip()
    question.help_text = (spec.help_text or "").strip() or None
    question.required = spec.required
    question.options = _options(spec)
    question.unit = (spec.unit or "").strip() or None
    question.min_value, question.max_value = spec.min_value, spec.max_value
    question.show_if_key = spec.show_if_key or None
    question.show_if_value = (spec.show_if_value or "").strip() if spec.show_if_key else None


def add_question(actor: User, rnd: Round, sub_goal: SubGoal, spec: QuestionSpec) -> Question:
    _require_admin(actor)
    questionnaire = _editable(rnd)
    if sub_goal not in rnd.sub_goals:
        raise ServiceError("Delmålet ingår inte i omgången.")
    siblings = questionnaire.questions_for(sub_goal.id)
    kind = _check_spec(spec, siblings, None)
    question = Question(sub_goal_id=sub_goal.id,
                        position=max((q.position for q in siblings), default=0) + 1)
    _apply_spec(question, spec, kind)
    questionnaire.questions.append(question)
    db.session.flush()
    audit.record(actor, "questionnaire.add", "question", question.id, round_id=rnd.id,
                 comment=f"{sub_goal.title}: {question.label}")
    return question


def add_question_to(actor: User, rnd: Round, sub_goals: Sequence[SubGoal],
                    spec: QuestionSpec) -> list[Question]:
    """The same question for several sub-goals at once; all of them or none (the first
    refusal names its sub-goal, and the caller rolls back)."""
    added = []
    for sub_goal in sub_goals:
        try:
            added.append(add_question(actor, rnd, sub_goal, spec))
        except ServiceError as refusal:
            if len(sub_goals) == 1:
                raise
            raise ServiceError(f"{sub_goal.title}: {refusal.message} Ingen fråga är "
                               "tillagd.") from refusal
    return added


def same_key_elsewhere(rnd: Round, question: Question) -> list[Question]:
    """The questions under the same key for the round's other sub-goals (edited together)."""
    if rnd.questionnaire is None:
        return []
    return [q for q in rnd.questionnaire.questions
            if q.key == question.key and q.id != question.id and q.sub_goal_id is not None]


def update_questions(actor: User, rnd: Round, questions: Sequence[Question],
                     spec: QuestionSpec) -> None:
    """One change to the same question in several sub-goals; all of them or none."""
    for question in questions:
        try:
            update_question(actor, rnd, question, spec)
        except ServiceError as refusal:
            if len(questions) == 1:
                raise
            title = question.sub_goal.title if question.sub_goal else ""
            raise ServiceError(f"{title}: {refusal.message} Ingen fråga är ändrad.") \
                from refusal


def update_question(actor: User, rnd: Round, question: Question, spec: QuestionSpec) -> None:
    _require_admin(actor)
    questionnaire = _editable(rnd)
    if question.questionnaire_id != questionnaire.id:
        raise ServiceError("Frågan hör inte till omgångens formulär.")
    siblings = questionnaire.questions_for(question.sub_goal_id or 0)
    if spec.key != question.key and any(q.show_if_key == question.key for q in siblings):
        raise ServiceError("Andra frågor visas beroende på den här frågans svar; nyckeln "
                           "kan därför inte ändras.")
    kind = _check_spec(spec, siblings, question)
    _apply_spec(question, spec, kind)
    db.session.flush()
    audit.record(actor, "questionnaire.update", "question", question.id, round_id=rnd.id,
                 comment=question.label)


def move_question(actor: User, rnd: Round, question: Question, step: int) -> None:
    """Swap with the neighbour above (-1) or below (+1); a condition keeps pointing back."""
    _require_admin(actor)
    questionnaire = _editable(rnd)
    siblings = questionnaire.questions_for(question.sub_goal_id or 0)
    index = siblings.index(question)
    other_index = index + step
    if not 0 <= other_index < len(siblings):
        return
    other = siblings[other_index]
    first, second = (question, other) if step > 0 else (other, question)
    if second.show_if_key == first.key:
        raise ServiceError(f"”{second.label}” visas beroende på svaret på ”{first.label}” "
                           "och måste stå efter den.")
    for position, q in enumerate(siblings, start=1):
        q.position = position
    question.position, other.position = other.position, question.position
    db.session.flush()
    audit.record(actor, "questionnaire.move", "question", question.id, round_id=rnd.id,
                 comment=question.label)


def remove_question(actor: User, rnd: Round, question: Question) -> None:
    _require_admin(actor)
    questionnaire = _editable(rnd)
    siblings = questionnaire.questions_for(question.sub_goal_id or 0)
    if any(q.show_if_key == question.key for q in siblings):
        raise ServiceError("Andra frågor visas beroende på den här frågans svar. Ta bort "
                           "eller ändra deras villkor först.")
    audit.record(actor, "questionnaire.remove", "question", question.id, round_id=rnd.id,
                 comment=question.label)
    questionnaire.questions.remove(question)
    db.session.flush()


def copy_from_round(actor: User, rnd: Round, source: Round) -> Questionnaire:
    """Replace ``rnd``'s (not yet frozen) questions with ``source``'s, as a new version."""
    _require_admin(actor)
    old = _editable(rnd)
    if source.id == rnd.id:
        raise ServiceError("Välj en annan omgång att kopiera från.")
    if source.questionnaire is None:
        raise ServiceError("Den omgången har inget eget frågeformulär att kopiera.")
    rnd.questionnaire = None
    db.session.flush()
    # The replaced draft goes, unless another round's version was copied from it.
    if db.session.scalar(select(func.count(Questionnaire.id))
                         .where(Questionnaire.based_on_id == old.id)) == 0:
        db.session.delete(old)
    new = create_for_round(rnd, source=source.questionnaire, version=old.version + 1)
    audit.record(actor, "questionnaire.copy", "round", rnd.id, round_id=rnd.id,
                 comment=f"Från {source.name} (version {source.questionnaire.version})")
    return new
