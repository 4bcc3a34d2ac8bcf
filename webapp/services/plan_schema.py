"""The plan file's format: YAML text in, a validated ``PlanFile`` out, or every problem found.

Reads the composed node tree (``yaml.compose``) rather than ``safe_load``'s plain values, so
each problem can name its line and column, and so repeated mapping keys (which ``safe_load``
silently overwrites) are caught. Nothing here touches the database.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from webapp.models import constraints as rules
from webapp.models.constraints import KEY_PATTERN, QUESTION_KEY_PATTERN, QuestionSpec
from webapp.models.questionnaire import STATUS_OPTIONS, QuestionType
from webapp.services import ServiceError

MAX_SHOWN = 20  # a person reads a list of twenty; more says "fix these first"
CODE_PATTERN = rules.MUNICIPALITY_CODE_PATTERN
ANSWERED_BY = ("municipality", "district")
YEARS = (rules.FIRST_YEAR, rules.LAST_YEAR)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"

# PyYAML's parser speaks English; the commonest slips, said in Swedish.
_SYNTAX_HINTS = (
    ("mapping values are not allowed", "ett kolon står där det inte får stå (sätt citattecken "
     "runt text som innehåller kolon)"),
    ("could not find expected ':'", "ett kolon saknas efter en nyckel"),
    ("cannot start any token", "ett tecken som inte får inleda ett värde, ofta ett tabbtecken "
     "(använd mellanslag för indrag)"),
    ("expected <block end>", "indraget stämmer inte med raderna ovanför"),
    ("found unexpected end of stream", "ett citattecken eller en parentes stängs aldrig"),
    ("while scanning a quoted scalar", "ett citattecken stängs aldrig"),
    ("expected ',' or ']'", "en lista inom [ ] stängs inte eller saknar kommatecken"),
    ("expected ',' or '}'", "en tabell inom { } stängs inte eller saknar kommatecken"),
    ("expected a single document", "filen innehåller flera YAML-dokument (---); bara ett "
     "är tillåtet"),
    ("found undefined alias", "ett alias (*) pekar på ett ankare som inte finns"),
)


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1-based; None when the problem is the whole file
    column: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"Rad {self.line}" + (f", kolumn {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class PlanFileError(ServiceError):
    """The file was refused; ``problems`` lists all that was found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = "1 fel" if len(problems) == 1 else f"{len(problems)} fel"
        super().__init__(f"Planfilen lästes inte in ({count}); inget har ändrats.\n"
                         + "\n".join(self.shown))

    @property
    def shown(self) -> list[str]:
        """The problems to show, at most MAX_SHOWN, then how many more there are."""
        lines = [str(p) for p in self.problems[:MAX_SHOWN]]
        if len(self.problems) > MAX_SHOWN:
            lines.append(f"… och {len(self.problems) - MAX_SHOWN} fel till.")
        return lines


@dataclass(frozen=True)
class DistrictSpec:
    key: str
    name: str
    active: bool = True
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class MunicipalitySpec:
    name: str
    code: str
    district: str
    active: bool = True
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ActivityAreaSpec:
    key: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class FocusAreaSpec:
    key: str
    name: str
    active: bool = True
    activity_areas: tuple[ActivityAreaSpec, ...] = ()


@dataclass(frozen=True)
class SubGoalSpec:
    key: str
    focus_area: str
    title: str
    description: str | None = None
    active: bool = True


@dataclass(frozen=True)
class ActionPlanSpec:
    key: str
    name: str
    period: tuple[int, int]
    decided_by: str | None = None
    answered_by: tuple[str, ...] = ANSWERED_BY
    active: bool = True
    sub_goals: tuple[SubGoalSpec, ...] = ()


@dataclass(frozen=True)
class PlanFile:
    districts: tuple[DistrictSpec, ...] = ()
    municipalities: tuple[MunicipalitySpec, ...] = ()
    focus_areas: tuple[FocusAreaSpec, ...] = ()
    action_plans: tuple[ActionPlanSpec, ...] = ()
    # None: the file has no questionnaire section, and the template is left as it is.
    questions: tuple[QuestionSpec, ...] | None = None
    # (plan key, sub-goal key) -> the questions that replace the default set there.
    sub_goal_questions: dict[tuple[str, str], tuple[QuestionSpec, ...]] = field(
        default_factory=dict)
    county: str | None = None
    region: str | None = None   # "Region Örebro län": printed on pages, mails and the report
    unit: str | None = None     # "Område välfärd och folkhälsa": the unit that follows up


# Bounds on what is read before the node tree is built (the shipped file: 7 KB, ~530 parts,
# nesting 5). yaml.compose recurses per level (RecursionError on `[[[[…`) and builds every
# node (seconds of CPU for tens of thousands), so the file is first streamed as events.
MAX_DEPTH = 20
MAX_EVENTS = 20_000


def _check_bounds(text: str) -> None:
    """PlanFileError (Swedish) for a file nested too deeply or with too many parts; reads
    events only, and stops at the first bound passed."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = events = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            events += 1
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(event.start_mark)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if events > MAX_EVENTS:
                raise PlanFileError([Problem(None, None, (
                    f"Filen har för många delar (högst {MAX_EVENTS} värden, listor och "
                    "avsnitt). En planfil för en region är mycket mindre; kontrollera att det "
                    "är rätt fil."))])
    except yaml.YAMLError as error:
        # libyaml stops at 1000 levels itself; any other syntax error is reported, with its
        # line, by the parse below.
        if "nesting depth" in str(error):
            raise _too_deep(getattr(error, "problem_mark", None)) from error


def _too_deep(mark: yaml.Mark | None = None) -> PlanFileError:
    return PlanFileError([Problem(
        mark.line + 1 if mark else None, mark.column + 1 if mark else None,
        f"Filen är nästlad för djupt (högst {MAX_DEPTH} nivåer). En planfil har listor och "
        "avsnitt i några få nivåer; kontrollera hakparenteser och indrag.")])


def parse(text: str) -> PlanFile:
    """The validated plan in ``text``; raises PlanFileError listing every problem found."""
    _check_bounds(text)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise PlanFileError([_syntax_problem(error)]) from error
    except yaml.YAMLError as error:
        raise PlanFileError([Problem(None, None, f"YAML-syntaxfel: {error}")]) from error
    except RecursionError as error:  # a last guard: _check_bounds should have refused it
        raise _too_deep() from error
    if root is None:
        raise PlanFileError([Problem(None, None, "Filen är tom.")])
    reader = _Reader()
    plan = reader.plan_file(root)
    if reader.problems or plan is None:
        raise PlanFileError(sorted(reader.problems,
                                   key=lambda p: (p.line or 0, p.column or 0)))
    return plan


def _syntax_problem(error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    detail = " ".join(part for part in (error.context, error.problem) if part)
    hint = next((swedish for english, swedish in _SYNTAX_HINTS if english in detail), None)
    message = f"YAML-syntaxfel: {hint} ({detail})." if hint else f"YAML-syntaxfel ({detail})."
    # An unclosed { [ or quote is noticed lines later; the line to fix is where it opened.
    if (error.context_mark is not None and error.problem_mark is not None
            and error.context_mark.line != error.problem_mark.line
            and (error.context or "").startswith(("while parsing a flow",
                                                  "while scanning a quoted"))):
        mark = error.context_mark
        message += f" Felet märktes på rad {error.problem_mark.line + 1}."
    if mark is None:
        return Problem(None, None, message)
    return Problem(mark.line + 1, mark.column + 1, message)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _quote(value: object) -> str:
    return f"”{value}”"


class _Reader:
    """Walks the node tree once, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._constructor = yaml.constructor.SafeConstructor()
        self._visited: set[int] = set()
        # Keys seen, even on items with other errors: a reference to such an item is not
        # reported as unknown as well.
        self.district_keys: set[str] = set()
        self.focus_area_keys: set[str] = set()
        self.sub_goal_keys: set[tuple[str, str]] = set()

    # --- reporting -------------------------------------------------------------------
    def error(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(mark.line + 1, mark.column + 1, message))

    # --- shapes ----------------------------------------------------------------------
    def mapping(self, node: Node, what: str, required: tuple[str, ...],
                optional: tuple[str, ...] = ()) -> dict[str, Node] | None:
        """The mapping's value nodes by key: unknown, repeated and missing keys reported."""
        allowed = required + optional
        if not isinstance(node, MappingNode):
            self.error(node, f"{_cap(what)} ska vara en tabell med nycklarna "
                             f"{', '.join(allowed)}.")
            return None
        if not self._first_visit(node):
            return None
        values: dict[str, Node] = {}
        guessed: set[str] = set()  # "titel" reported as "did you mean title?" says it all
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or key_node.tag == _NULL:
                self.error(key_node, f"{what} har en nyckel som inte är ett namn.")
            elif key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f" Menade du {_quote(close[0])}?" if close else ""
                guessed.update(close)
                self.error(key_node, f"Okänd nyckel {_quote(key)} i {what}.{hint} Tillåtna "
                                     f"nycklar här: {', '.join(allowed)}.")
            elif key in values:
                self.error(key_node, f"Nyckeln {_quote(key)} står två gånger i {what}.")
            else:
                values[key] = value_node
        missing = [k for k in required if k not in values and k not in guessed]
        if missing:
            self.error(node, f"{_cap(what)} saknar {', '.join(missing)}.")
        return values

    def sequence(self, node: Node, what: str) -> list[Node]:
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            return []  # "districts:" with nothing under it: an empty list
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} ska vara en lista (rader som börjar med ”- ”).")
            return []
        if not self._first_visit(node):
            return []
        return list(node.value)

    def _first_visit(self, node: Node) -> bool:
        # An alias makes one node appear in many places; walking it each time would let a
        # small file expand into a huge one, and the format has no use for it.
        if id(node) in self._visited:
            self.error(node, "Ankare och alias (& och *) används inte i planfilen; skriv ut "
                             "värdet.")
            return False
        self._visited.add(id(node))
        return True

    # --- scalars ---------------------------------------------------------------------
    def _scalar(self, node: Node | None) -> Any:
        if not isinstance(node, ScalarNode):
            return _NOT_SCALAR
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            return _NOT_SCALAR

    def text(self, node: Node | None, what: str, max_length: int, *,
             optional: bool = False) -> str | None:
        if node is None:
            return None
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            if not optional:
                self.error(node, f"{what} saknar värde.")
            return None
        value = self._scalar(node)
        if node.tag != _STR or not isinstance(value, str):
            self.error(node, f"{what} ska vara text; sätt citattecken runt värdet.")
            return None
        value = value.strip()
        if not value:
            if not optional:
                self.error(node, f"{what} är tom.")
            return None
        if len(value) > max_length:
            self.error(node, f"{what} är för lång: högst {max_length} tecken.")
            return None
        return value

    def key(self, node: Node | None, what: str, pattern: re.Pattern[str] = KEY_PATTERN,
            max_length: int = rules.KEY_MAX) -> str | None:
        value = self.text(node, what, max_length)
        if value is not None and node is not None and not pattern.fullmatch(value):
            self.error(node, f"{what} {_quote(value)} får bara innehålla små bokstäver a–z, "
                             f"siffror, - och _ (högst {max_length} tecken) och måste börja "
                             "med en bokstav eller siffra.")
            return None
        return value

    def boolean(self, node: Node | None, what: str, default: bool) -> bool:
        if node is None:
            return default
        value = self._scalar(node)
        if node.tag != _BOOL or not isinstance(value, bool):
            self.error(node, f"{what} ska vara true eller false.")
            return default
        return value

    def number(self, node: Node | None, what: str) -> float | None:
        if node is None:
            return None
        value = self._scalar(node)
        if (node.tag not in (_INT, _FLOAT) or isinstance(value, bool)
                or not isinstance(value, (int, float)) or not math.isfinite(value)):
            self.error(node, f"{what} ska vara ett tal.")
            return None
        return float(value)

    # --- the file --------------------------------------------------------------------
    def plan_file(self, root: Node) -> PlanFile | None:
        top = self.mapping(root, "filen", ("districts", "municipalities", "focus_areas",
                                           "action_plans"),
                           ("county", "region", "unit", "questionnaire"))
        if top is None:
            return None
        county = self.text(top.get("county"), "county (länet)", 200, optional=True)
        region = self.text(top.get("region"), "region (regionens namn)", 200, optional=True)
        unit = self.text(top.get("unit"), "unit (enheten som följer upp)", 200, optional=True)
        districts = self.districts(top.get("districts"))
        municipalities = self.municipalities(top.get("municipalities"), self.district_keys)
        focus_areas = self.focus_areas(top.get("focus_areas"))
        plans = self.action_plans(top.get("action_plans"), self.focus_area_keys)
        # One table holds both kinds of organisation, and its names are unique.
        district_names = {d.name: d.line for d in districts}
        for municipality in municipalities:
            if municipality.name in district_names:
                self.problems.append(Problem(municipality.line, None, (
                    f"Namnet {_quote(municipality.name)} används redan av länsdelen på rad "
                    f"{district_names[municipality.name]}.")))
        questions: tuple[QuestionSpec, ...] | None = None
        per_sub_goal: dict[tuple[str, str], tuple[QuestionSpec, ...]] = {}
        if top.get("questionnaire") is not None:
            questions, per_sub_goal = self.questionnaire(top["questionnaire"],
                                                         self.sub_goal_keys)
        return PlanFile(districts=tuple(districts), municipalities=tuple(municipalities),
                        focus_areas=tuple(focus_areas), action_plans=tuple(plans),
                        questions=questions, sub_goal_questions=per_sub_goal, county=county,
                        region=region, unit=unit)

    def _unique(self, seen: dict[str, int], value: str | None, node: Node | None,
                message: str) -> None:
        """Report ``value`` when an earlier item in the same list already had it."""
        if value is None or node is None:
            return
        line = node.start_mark.line + 1
        if value in seen:
            self.error(node, f"{message} {_quote(value)} finns redan på rad {seen[value]}.")
        else:
            seen[value] = line

    def districts(self, node: Node | None) -> list[DistrictSpec]:
        result: list[DistrictSpec] = []
        keys: dict[str, int] = {}
        names: dict[str, int] = {}
        for item in self.sequence(node, "districts (länsdelar)") if node else []:
            fields = self.mapping(item, "länsdelen", ("key", "name"), ("active",))
            if fields is None:
                continue
            key = self.key(fields.get("key"), "Länsdelens key")
            name = self.text(fields.get("name"), "Länsdelens name",
                             rules.ORGANISATION_NAME_MAX)
            active = self.boolean(fields.get("active"), "active", True)
            self._unique(keys, key, fields.get("key"), "Länsdelen")
            self._unique(names, name, fields.get("name"), "Länsdelsnamnet")
            if key and name:
                result.append(DistrictSpec(key, name, active, item.start_mark.line + 1))
        self.district_keys = set(keys)
        return result

    def municipalities(self, node: Node | None, districts: set[str]) -> list[MunicipalitySpec]:
        result: list[MunicipalitySpec] = []
        codes: dict[str, int] = {}
        names: dict[str, int] = {}
        for item in self.sequence(node, "municipalities (kommuner)") if node else []:
            fields = self.mapping(item, "kommunen", ("name", "code", "district"), ("active",))
            if fields is None:
                continue
            name = self.text(fields.get("name"), "Kommunens name",
                             rules.ORGANISATION_NAME_MAX)
            code = self.code(fields.get("code"))
            district = self.key(fields.get("district"), "Kommunens district")
            active = self.boolean(fields.get("active"), "active", True)
            self._unique(codes, code, fields.get("code"), "Kommunkoden")
            self._unique(names, name, fields.get("name"), "Kommunen")
            if district is not None and district not in districts:
                self.error(fields["district"], f"Länsdelen {_quote(district)} finns inte "
                                               "under districts.")
                district = None
            if name and code and district:
                result.append(MunicipalitySpec(name, code, district, active,
                                               item.start_mark.line + 1))
        return result

    def code(self, node: Node | None) -> str | None:
        """SCB kommunkod: four digits. An unquoted 1880 is read as a number; take it."""
        if node is None:
            return None
        value = self._scalar(node)
        if node.tag == _INT and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        elif node.tag != _STR or not isinstance(value, str):
            value = None
        if value is None or not CODE_PATTERN.fullmatch(value.strip()):
            self.error(node, "Kommunkoden (code) ska vara fyra siffror inom citattecken, "
                             "t.ex. \"1880\".")
            return None
        return value.strip()

    def focus_areas(self, node: Node | None) -> list[FocusAreaSpec]:
        result: list[FocusAreaSpec] = []
        keys: dict[str, int] = {}
        names: dict[str, int] = {}
        for item in self.sequence(node, "focus_areas (insatsområden)") if node else []:
            fields = self.mapping(item, "insatsområdet", ("key", "name"),
                                  ("active", "activity_areas"))
            if fields is None:
                continue
            key = self.key(fields.get("key"), "Insatsområdets key")
            name = self.text(fields.get("name"), "Insatsområdets name",
                             rules.FOCUS_AREA_NAME_MAX)
            active = self.boolean(fields.get("active"), "active", True)
            self._unique(keys, key, fields.get("key"), "Insatsområdet")
            self._unique(names, name, fields.get("name"), "Insatsområdesnamnet")
            areas = self.activity_areas(fields.get("activity_areas"))
            if key and name:
                result.append(FocusAreaSpec(key, name, active, tuple(areas)))
        self.focus_area_keys = set(keys)
        return result

    def activity_areas(self, node: Node | None) -> list[ActivityAreaSpec]:
        result: list[ActivityAreaSpec] = []
        keys: dict[str, int] = {}
        names: dict[str, int] = {}
        for item in self.sequence(node, "activity_areas (aktivitetsområden)") if node else []:
            fields = self.mapping(item, "aktivitetsområdet", ("key", "name"), ("active",))
            if fields is None:
                continue
            key = self.key(fields.get("key"), "Aktivitetsområdets key")
            name = self.text(fields.get("name"), "Aktivitetsområdets name",
                             rules.ACTIVITY_AREA_NAME_MAX)
            active = self.boolean(fields.get("active"), "active", True)
            self._unique(keys, key, fields.get("key"), "Aktivitetsområdet")
            self._unique(names, name, fields.get("name"), "Aktivitetsområdesnamnet")
            if key and name:
                result.append(ActivityAreaSpec(key, name, active))
        return result

    def action_plans(self, node: Node | None, focus_areas: set[str]) -> list[ActionPlanSpec]:
        result: list[ActionPlanSpec] = []
        keys: dict[str, int] = {}
        names: dict[str, int] = {}
        for item in self.sequence(node, "action_plans (handlingsplaner)") if node else []:
            fields = self.mapping(item, "handlingsplanen", ("key", "name", "period"),
                                  ("decided_by", "answered_by", "active", "sub_goals"))
            if fields is None:
                continue
            key = self.key(fields.get("key"), "Handlingsplanens key")
            name = self.text(fields.get("name"), "Handlingsplanens name",
                             rules.PLAN_NAME_MAX)
            period = self.period(fields.get("period"))
            decided_by = self.text(fields.get("decided_by"), "decided_by (beslutad av)",
                                   rules.DECIDED_BY_MAX,
                                   optional=True)
            answered_by = self.answered_by(fields.get("answered_by"))
            active = self.boolean(fields.get("active"), "active", True)
            self._unique(keys, key, fields.get("key"), "Handlingsplanen")
            self._unique(names, name, fields.get("name"), "Handlingsplansnamnet")
            sub_goals = self.sub_goals(fields.get("sub_goals"), focus_areas, key)
            if key and name and period and answered_by:
                result.append(ActionPlanSpec(key, name, period, decided_by, answered_by,
                                             active, tuple(sub_goals)))
        return result

    def period(self, node: Node | None) -> tuple[int, int] | None:
        if node is None:
            return None
        message = (f"period ska vara två årtal mellan {YEARS[0]} och {YEARS[1]}, det första "
                   "inte senare än det andra, t.ex. [2019, 2022].")
        if not isinstance(node, SequenceNode) or len(node.value) != 2:
            self.error(node, message)
            return None
        years = [self._scalar(n) for n in node.value]
        if any(n.tag != _INT or isinstance(y, bool) or not isinstance(y, int)
               for n, y in zip(node.value, years, strict=True)):
            self.error(node, message)
            return None
        start, end = years
        if not (YEARS[0] <= start <= YEARS[1] and YEARS[0] <= end <= YEARS[1]) or start > end:
            self.error(node, message)
            return None
        return start, end

    def answered_by(self, node: Node | None) -> tuple[str, ...] | None:
        if node is None:
            return ANSWERED_BY
        message = ("answered_by ska vara en lista med municipality (kommuner) och/eller "
                   "district (länsdelar), t.ex. [municipality, district].")
        kinds: list[str] = []
        for item in self.sequence(node, "answered_by"):
            value = self._scalar(item)
            if item.tag != _STR or value not in ANSWERED_BY:
                self.error(item, message)
                return None
            if value in kinds:
                self.error(item, f"answered_by nämner {value} två gånger.")
                return None
            kinds.append(value)
        if not kinds:
            self.error(node, message)
            return None
        return tuple(kinds)

    def sub_goals(self, node: Node | None, focus_areas: set[str],
                  plan_key: str | None) -> list[SubGoalSpec]:
        result: list[SubGoalSpec] = []
        keys: dict[str, int] = {}
        titles: dict[str, int] = {}
        for item in self.sequence(node, "sub_goals (delmål)") if node else []:
            fields = self.mapping(item, "delmålet", ("key", "focus_area", "title"),
                                  ("description", "active"))
            if fields is None:
                continue
            key = self.key(fields.get("key"), "Delmålets key")
            focus_area = self.key(fields.get("focus_area"), "Delmålets focus_area")
            title = self.text(fields.get("title"), "Delmålets title",
                              rules.SUB_GOAL_TITLE_MAX)
            description = self.text(fields.get("description"), "Delmålets description",
                                    rules.SUB_GOAL_DESCRIPTION_MAX, optional=True)
            active = self.boolean(fields.get("active"), "active", True)
            self._unique(keys, key, fields.get("key"), "Delmålet")
            self._unique(titles, title, fields.get("title"), "Delmålsrubriken")
            if focus_area is not None and focus_area not in focus_areas:
                self.error(fields["focus_area"], f"Insatsområdet {_quote(focus_area)} finns "
                                                 "inte under focus_areas.")
                focus_area = None
            if key and focus_area and title:
                result.append(SubGoalSpec(key, focus_area, title, description, active))
        if plan_key is not None:
            self.sub_goal_keys.update((plan_key, goal) for goal in keys)
        return result

    # --- the questionnaire -----------------------------------------------------------
    def questionnaire(self, node: Node, sub_goals: set[tuple[str, str]]
                      ) -> tuple[tuple[QuestionSpec, ...] | None,
                                 dict[tuple[str, str], tuple[QuestionSpec, ...]]]:
        fields = self.mapping(node, "questionnaire (frågorna)", ("questions",), ("sub_goals",))
        if fields is None:
            return None, {}
        default = self.questions(fields.get("questions"), "standardfrågorna")
        per_sub_goal: dict[tuple[str, str], tuple[QuestionSpec, ...]] = {}
        mapping = fields.get("sub_goals")
        if mapping is not None and not (isinstance(mapping, ScalarNode)
                                        and mapping.tag == _NULL):
            if not isinstance(mapping, MappingNode):
                self.error(mapping, "questionnaire.sub_goals ska vara en tabell från "
                                    "”handlingsplan/delmål” till en lista med frågor.")
            elif self._first_visit(mapping):
                for key_node, value_node in mapping.value:
                    value = self._scalar(key_node)
                    target = value if isinstance(value, str) else ""
                    parts = target.split("/")
                    if len(parts) != 2 or (parts[0], parts[1]) not in sub_goals:
                        self.error(key_node, f"{_quote(target)} är inget delmål i filen; "
                                             "skriv ”handlingsplanens key/delmålets key”, "
                                             "t.ex. social-valfard/d1.")
                        continue
                    pair = (parts[0], parts[1])
                    if pair in per_sub_goal:
                        self.error(key_node, f"Delmålet {_quote(target)} har redan egna frågor "
                                             "ovanför.")
                        continue
                    questions = self.questions(value_node, f"frågorna för {target}")
                    if questions is not None:
                        per_sub_goal[pair] = questions
        return default, per_sub_goal

    def questions(self, node: Node | None, what: str) -> tuple[QuestionSpec, ...] | None:
        if node is None:
            return None
        items = self.sequence(node, what)
        if not items:
            self.error(node, f"{_cap(what)} är en tom lista; minst en fråga behövs.")
            return None
        keys: dict[str, int] = {}
        earlier: dict[str, QuestionSpec] = {}
        for item in items:
            question = self.question(item, keys, earlier)
            if question is not None:
                earlier[question.key] = question
        return tuple(earlier.values())

    def question(self, node: Node, keys: dict[str, int], earlier: dict[str, QuestionSpec]
                 ) -> QuestionSpec | None:
        """One question; ``earlier`` are the ones above it in the same list."""
        fields = self.mapping(node, "frågan", ("key", "type", "label"),
                              ("help", "required", "options", "unit", "min", "max",
                               "show_if"))
        if fields is None:
            return None
        key = self.key(fields.get("key"), "Frågans key", QUESTION_KEY_PATTERN,
                       rules.QUESTION_KEY_MAX)
        show_if = self.show_if(fields.get("show_if"), keys, earlier)
        duplicate = key is not None and key in keys
        self._unique(keys, key, fields.get("key"), "Frågan")
        if duplicate:
            key = None  # the first one with the key stays; show_if refers to it
        kind = self.question_type(fields.get("type"))
        label = self.text(fields.get("label"), "Frågans label", rules.QUESTION_LABEL_MAX)
        help_text = self.text(fields.get("help"), "Frågans help", rules.QUESTION_HELP_MAX,
                              optional=True)
        required = self.boolean(fields.get("required"), "required", False)
        options = self.options(fields.get("options"), kind, node)
        unit = self.text(fields.get("unit"), "unit (enhet)", rules.QUESTION_UNIT_MAX,
                         optional=True)
        low = self.number(fields.get("min"), "min")
        high = self.number(fields.get("max"), "max")
        if kind is not None and kind is not QuestionType.NUMBER:
            for name in ("unit", "min", "max"):
                if name in fields:
                    self.error(fields[name], f"{name} gäller bara frågor av typen number.")
        elif low is not None and high is not None and low > high:
            self.error(fields["min"], "min får inte vara större än max.")
        if key is None or kind is None or label is None:
            return None
        return QuestionSpec(key, kind, label, help_text, required, options, unit, low, high,
                            *(show_if or (None, None)))

    def question_type(self, node: Node | None) -> QuestionType | None:
        value = self.text(node, "Frågans type", 40)
        if value is None or node is None:
            return None
        try:
            return QuestionType(value)
        except ValueError:
            self.error(node, f"Okänd frågetyp {_quote(value)}. Tillåtna typer: "
                             f"{', '.join(t.value for t in QuestionType)}.")
            return None

    def options(self, node: Node | None, kind: QuestionType | None,
                question: Node) -> tuple[str, ...]:
        if kind is None:
            return ()
        if not kind.has_options:
            if node is not None:
                self.error(node, f"options gäller bara frågor av typen single_choice eller "
                                 f"multiple_choice, inte {kind.value}.")
            return ()
        values: list[str] = []
        written = []  # duplicates too, as the designer counts them: "[a, a]" is one error
        for item in self.sequence(node, "options") if node is not None else []:
            value = self.text(item, "Ett svarsalternativ", rules.OPTION_MAX)
            if value is not None:
                written.append(value)
            if value is not None and value in values:
                self.error(item, f"Svarsalternativet {_quote(value)} står två gånger.")
            elif value is not None:
                values.append(value)
        problem = rules.options_problem(kind, written, type_name=kind.value)
        if problem is not None:
            self.error(node if node is not None else question,
                       f"{problem} Skriv dem under options.")
        return tuple(values)

    def show_if(self, node: Node | None, keys: dict[str, int],
                earlier: dict[str, QuestionSpec]) -> tuple[str, str] | None:
        if node is None:
            return None
        fields = self.mapping(node, "show_if", ("question", "answer"))
        if fields is None:
            return None
        key = self.text(fields.get("question"), "show_if.question",
                        rules.QUESTION_KEY_MAX)
        answer_node = fields.get("answer")
        answer = self.text(answer_node, "show_if.answer", rules.SHOW_IF_VALUE_MAX)
        if key is None:
            return None
        other = earlier.get(key)
        if other is None and key in keys:
            return None  # that question has errors of its own, already reported
        if other is None:
            self.error(fields["question"], f"show_if pekar på frågan {_quote(key)}, som inte "
                                           "finns före den här frågan i samma lista.")
            return None
        if answer is None or answer_node is None:
            return None
        choices = list(STATUS_OPTIONS) if other.kind is QuestionType.STATUS else list(
            other.options)
        if choices and answer not in choices:
            self.error(answer_node, f"{_quote(answer)} är inget svarsalternativ för frågan "
                                    f"{_quote(key)} (möjliga: {', '.join(choices)}).")
            return None
        return key, answer


class _NotScalar:
    pass


_NOT_SCALAR: Any = _NotScalar()
