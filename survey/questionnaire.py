"""Parse and validate questionnaire definitions into frozen dataclasses; evaluate show-if logic.

A definition is data (JSON, see questionnaire-spec.md §5): sections, questions with stable ids,
types, options with optional scoring factors, and show-if conditions on earlier answers.
Nothing here touches the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import get_language, gettext

FORMAT = 1
QUESTION_TYPES = frozenset(
    {
        "yesno",
        "yesno_unknown",
        "single",
        "multi",
        "int",
        "pct",
        "currency",
        "date",
        "text",
        "textarea",
        "text_list",
        "rows",
        "group",
        "file",
    }
)
CHOICE_TYPES = frozenset({"single", "multi"})
FIXED_OPTIONS = {"yesno": ("yes", "no"), "yesno_unknown": ("yes", "no", "unknown")}
NUMERIC_TYPES = frozenset({"int", "pct", "currency"})
SUBFIELD_TYPES = frozenset({"rows", "group"})
PATTERN_TYPES = frozenset({"text", "textarea"})
SUBFIELD_FORMATS = frozenset({"text", "email", "phone"})
# Factors read from option values, and the one (T) derived from a number of days.
OPTION_FACTORS = frozenset({"C", "Sub", "A", "E", "R"})
NUMBER_FACTORS = frozenset({"T"})
ROUTES = ("dependence", "no_dependence", "unresolved")
ATTESTATION_KEYS = ("dependence", "no_dependence", "inquiry_incomplete")
# Marker for "Unknown / not yet assessed" on numeric answers.
UNKNOWN = "unknown"
# Question ids are stable keys of the answers ("D13", "use.channel"); section ids go in URLs.
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,39}$")
_SECTION_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,29}$")
_VALUE_RE = re.compile(r"^[a-z0-9_]+$")

_TOP_KEYS = {"format", "key", "version", "title", "banner", "routing", "attestation"}
_TOP_KEYS |= {"checks"}
_SECTION_KEYS = {"id", "title", "intro", "repeatable", "show_if", "min_items"}
_SECTION_KEYS |= {"item_label", "questions"}
_QUESTION_KEYS = {"id", "type", "label", "help", "required", "options", "options_from"}
_QUESTION_KEYS |= {"show_if", "scores", "min", "max", "unit", "max_length", "pattern"}
_QUESTION_KEYS |= {"pattern_message", "item_pattern", "subfields", "must_be", "binds"}
_OPTION_KEYS = {"value", "label", "factor", "unknown", "tier", "flag"}
_CHECK_KEYS = {"warn_if", "unless_some_use", "for_each_use", "message"}
_SUBFIELD_KEYS = {"id", "label", "required", "format", "pattern", "pattern_message"}
_LEAF_OPS = {"equals", "not_equals", "in", "not_in", "includes", "excludes"}


@dataclass(frozen=True)
class Binding:
    """A role the code gives a question, whatever the question's id."""

    in_use_section: bool
    types: frozenset[str]
    required: bool = False


def _use(*types: str, required: bool = False) -> Binding:
    return Binding(True, frozenset(types), required)


def _org(*types: str) -> Binding:
    return Binding(False, frozenset(types))


# What the code reads through `Questionnaire.bound(name)`: the organisation's record
# prefills, the flags, the attestation's date, the campaign's signed attestation, and the
# use columns that the figures count in the database. Every use has a name, a channel, a
# criticality and a time and cost to transition: the report is about those.
BINDINGS: Mapping[str, Binding] = {
    "legal_name": _org("text"),
    "uei": _org("text"),
    "cage_codes": _org("text_list"),
    "supplies_vendor": _org("yesno", "yesno_unknown"),
    "transition_date": _org("date"),
    "inquiry_status": _org("single"),
    "signed_attestation": _org("file"),
    "name": _use("text", required=True),
    "channel": _use("single", required=True),
    "criticality": _use("single", required=True),
    "days": _use("int", required=True),
    "cost": _use("currency", required=True),
    "intermediary": _use("text"),
    "function": _use("single"),
    "programs": _use("multi"),
    "relationship": _use("single"),
    "nss": _use("yesno", "yesno_unknown"),
    "classification": _use("single"),
    "data": _use("multi"),
    "stage": _use("single"),
    "oversight": _use("single"),
    "reliance": _use("single"),
    "substitutability": _use("single"),
    "alternative": _use("single"),
    "policy": _use("single"),
    "policy_detail": _use("text", "textarea"),
}
# An option flag, and the binding of the only question whose options may carry it.
OPTION_FLAGS = {
    "deliverable": "relationship",
    "policy_friction": "policy",
    "unconstrained": "policy",
    "no_alternative": "alternative",
}


class DefinitionError(ValueError):
    """A questionnaire definition is malformed; the message names where and why.

    `question`, `section` and `key` locate the fault for callers that show it on
    their own terms (a workbook's sheet, row and column); "" where they do not apply.
    """

    def __init__(
        self, message: str, question: str = "", section: str = "", key: str = ""
    ) -> None:
        super().__init__(message)
        self.question, self.section, self.key = question, section, key


@dataclass(frozen=True)
class Text:
    """A user-facing text in English and French ({vendor} is filled in at display)."""

    en: str
    fr: str = ""

    def get(self, language: str | None = None) -> str:
        language = (language or get_language() or "en")[:2]
        if language == "fr" and self.fr:
            return self.fr
        return self.en

    def render(self, vendor: str, language: str | None = None) -> str:
        return self.get(language).replace("{vendor}", vendor)

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True)
class Option:
    value: str
    label: Text
    factor: float | None = None
    unknown: bool = False
    tier: str = ""
    flag: str = ""


@dataclass(frozen=True)
class Condition:
    """A show-if rule: a leaf on one question's answer, or an any/all group of rules."""

    op: str
    question: str = ""
    values: tuple[str, ...] = ()
    children: tuple[Condition, ...] = ()

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        if self.op == "any":
            return any(child.evaluate(answers) for child in self.children)
        if self.op == "all":
            return all(child.evaluate(answers) for child in self.children)
        answer = answers.get(self.question)
        if self.op == "includes":
            return isinstance(answer, list) and self.values[0] in answer
        if answer is None or answer == "" or answer == []:
            # An unanswered question satisfies no leaf, negative ones included: a follow-up
            # appears only once its trigger has been answered.
            return False
        if self.op == "excludes":
            return isinstance(answer, list) and self.values[0] not in answer
        if self.op in {"equals", "in"}:
            return answer in self.values
        return answer not in self.values

    def question_ids(self) -> Iterator[str]:
        if self.question:
            yield self.question
        for child in self.children:
            yield from child.question_ids()


@dataclass(frozen=True)
class Subfield:
    id: str
    label: Text
    required: bool = True
    format: str = "text"
    pattern: str = ""
    pattern_message: Text | None = None


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    section_id: str
    help: Text | None = None
    required: bool = False
    options: tuple[Option, ...] = ()
    options_from: str = ""
    show_if: Condition | None = None
    scores: str = ""
    min: float | None = None
    max: float | None = None
    unit: Text | None = None
    max_length: int | None = None
    pattern: str = ""
    pattern_message: Text | None = None
    item_pattern: str = ""
    subfields: tuple[Subfield, ...] = ()
    must_be: str = ""
    binds: str = ""

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def shown(self, answers: Mapping[str, Any]) -> bool:
        """Whether the question shows for the answers given so far (its show-if)."""
        return self.show_if is None or self.show_if.evaluate(answers)

    @property
    def takes_unknown(self) -> bool:
        return self.type in NUMERIC_TYPES


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None
    repeatable: bool = False
    show_if: Condition | None = None
    min_items: int = 0
    item_label: Text | None = None

    def shown(self, answers: Mapping[str, Any]) -> bool:
        """Whether the section shows for the answers given so far (its show-if)."""
        return self.show_if is None or self.show_if.evaluate(answers)


@dataclass(frozen=True)
class Routing:
    screening: tuple[str, ...]
    direct: str


@dataclass(frozen=True)
class ContractLinks:
    """A use question (D5) choosing among the rows of an organisation question (A6)."""

    rows: str
    choice: str


@dataclass(frozen=True)
class Check:
    """A soft consistency check (spec §1): a warning before submission, never a blocker.

    Organisation-level: warns when `warn_if` holds and no use satisfies
    `unless_some_use` (when given). With `for_each_use`, `warn_if` is judged on each
    use (with the organisation's answers) and warns about that use.
    """

    warn_if: Condition
    message: Text
    unless_some_use: Condition | None = None
    for_each_use: bool = False


@dataclass(frozen=True)
class Questionnaire:
    key: str
    version: str
    title: Text
    banner: Text
    routing: Routing
    attestation: Mapping[str, Text]
    sections: tuple[Section, ...]
    checks: tuple[Check, ...] = ()
    _by_id: Mapping[str, Question] = field(
        repr=False, compare=False, default_factory=dict
    )
    _bound: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, question_id: str) -> Question:
        return self._by_id[question_id]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def bound(self, binding: str) -> Question | None:
        """The question that plays `binding` (see BINDINGS), None if none does."""
        qid = self._bound.get(binding)
        return self._by_id[qid] if qid else None

    def binding(self, binding: str) -> str:
        """The id of the question that plays `binding`, "" if none does."""
        return self._bound.get(binding, "")

    def flagged(self, flag: str) -> frozenset[str]:
        """The option values carrying `flag` (see OPTION_FLAGS) on its bound question."""
        question = self.bound(OPTION_FLAGS[flag])
        options = question.options if question else ()
        return frozenset(o.value for o in options if o.flag == flag)

    @property
    def supply_tiers(self) -> dict[str, str]:
        """Channel option → supply tier ("1", "2", "2+") where the definition gives one."""
        channel = self.bound("channel")
        options = channel.options if channel else ()
        return {o.value: o.tier for o in options if o.tier}

    @property
    def use_section(self) -> Section | None:
        return next((s for s in self.sections if s.repeatable), None)

    @property
    def contract_links(self) -> ContractLinks | None:
        section = self.use_section
        for question in section.questions if section else ():
            if question.options_from:
                return ContractLinks(question.options_from, question.id)
        return None

    def route(self, answers: Mapping[str, Any]) -> str:
        """Screening route of spec §1 'Routing after B'."""
        screening = [answers.get(q) for q in self.routing.screening]
        if "yes" in screening:
            return "dependence"
        if all(a == "no" for a in screening):
            return "no_dependence"
        return "unresolved"

    def attestation_text(
        self, answers: Mapping[str, Any], vendor: str, completion_date: str
    ) -> str:
        """The attestation for the answers' route; completion_date fills the incomplete one."""
        key = {"dependence": "dependence", "no_dependence": "no_dependence"}.get(
            self.route(answers), "inquiry_incomplete"
        )
        return (
            self.attestation[key]
            .render(vendor)
            .replace("{completion_date}", completion_date)
        )

    def section_visible(self, section: Section, answers: Mapping[str, Any]) -> bool:
        return section.shown(answers)

    def visible_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The organisation-level answers that count: hidden questions are dropped."""
        kept: dict[str, Any] = {}
        for section in self.sections:
            if section.repeatable or not self.section_visible(section, kept):
                continue
            for question in section.questions:
                if question.shown(kept) and question.id in answers:
                    kept[question.id] = answers[question.id]
        return kept

    def register_shown(self, org_answers: Mapping[str, Any]) -> bool:
        """Whether the use register (section D) shows for the organisation's answers."""
        section = self.use_section
        return section is not None and self.section_visible(
            section, self.visible_answers(org_answers)
        )

    def visible_use_answers(
        self, use_answers: Mapping[str, Any], org_answers: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The answers of one use that count, given the organisation's answers.

        None count while the register itself is hidden (B1-B5 all No): the uses are
        kept in the draft, but neither submitted nor shown.
        """
        section = self.use_section
        if section is None or not self.register_shown(org_answers):
            return {}
        context = dict(org_answers)
        kept: dict[str, Any] = {}
        for question in section.questions:
            if question.shown(context) and question.id in use_answers:
                kept[question.id] = context[question.id] = use_answers[question.id]
        return kept

    def visible_questions(
        self, section: Section, answers: Mapping[str, Any], org: Mapping[str, Any] = {}
    ) -> list[Question]:
        """The questions of a section shown for these answers (a use's, for section D)."""
        if section.repeatable:
            context = {**org, **self.visible_use_answers(answers, org)}
        else:
            context = self.visible_answers(answers)
            if not self.section_visible(section, context):
                return []
        return [q for q in section.questions if q.shown(context)]

    def shown_ids(
        self, answers: Mapping[str, Any], org: Mapping[str, Any] | None = None
    ) -> set[str]:
        """Ids of the questions shown for these answers, answered or not.

        Organisation-level questions by default; with `org` (the organisation's
        answers), the questions of the use whose answers these are.
        """
        if org is not None:
            section = self.use_section
            if section is None:
                return set()
            visible = self.visible_answers(org)
            return {q.id for q in self.visible_questions(section, answers, visible)}
        return {
            q.id
            for section in self.sections
            if not section.repeatable
            for q in self.visible_questions(section, answers)
        }

    def missing_required(
        self,
        answers: Mapping[str, Any],
        uses: Sequence[Mapping[str, Any]],
        also_required: frozenset[str] = frozenset(),
    ) -> list[Missing]:
        """Every required answer still to give, in questionnaire order.

        `also_required` names questions that a campaign setting makes required.
        """
        org = self.visible_answers(answers)
        missing: list[Missing] = []
        for section in self.sections:
            if not self.section_visible(section, org):
                continue
            if not section.repeatable:
                for question in self.visible_questions(section, answers):
                    required = question.required or question.id in also_required
                    if required and not is_answered(question, org.get(question.id)):
                        missing.append(Missing(section, question))
                continue
            if len(uses) < section.min_items:
                missing.append(Missing(section))
            for index, use in enumerate(uses):
                kept = self.visible_use_answers(use, org)
                for question in self.visible_questions(section, use, org):
                    required = question.required or question.id in also_required
                    if required and not is_answered(question, kept.get(question.id)):
                        missing.append(Missing(section, question, index))
        return missing

    def progress(
        self,
        answers: Mapping[str, Any],
        uses: Sequence[Mapping[str, Any]],
        also_required: frozenset[str] = frozenset(),
    ) -> dict[str, tuple[int, int]]:
        """Per visible section: (required answers given, required answers)."""
        org = self.visible_answers(answers)
        result: dict[str, tuple[int, int]] = {}
        for section in self.sections:
            if not self.section_visible(section, org):
                continue
            if section.repeatable:
                groups = [(u, self.visible_use_answers(u, org)) for u in uses]
                required = section.min_items if not uses else 0
            else:
                groups = [(answers, org)]
                required = 0
            given = 0
            for raw, kept in groups:
                for question in self.visible_questions(section, raw, org):
                    if question.required or question.id in also_required:
                        required += 1
                        given += is_answered(question, kept.get(question.id))
            result[section.id] = (given, required)
        return result


def is_answered(question: Question, value: Any) -> bool:
    """Whether a stored value answers a question (Unknown counts as an answer)."""
    if value is None or value == "" or value == [] or value == {}:
        return False
    if question.type == "file":
        return isinstance(value, dict) and bool(value.get("attachment"))
    if question.type == "group":
        return isinstance(value, dict) and all(
            value.get(sub.id) for sub in question.subfields if sub.required
        )
    if question.must_be:
        return value == question.must_be
    return True


def completeness(
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    use_answers: list[dict[str, Any]],
) -> float:
    """Share (%) of visible required questions answered with something other than Unknown."""
    required = known = 0

    def count(question: Question, value: Any) -> None:
        nonlocal required, known
        if not question.required:
            return
        required += 1
        option = question.option(value) if isinstance(value, str) else None
        if value in (None, "", [], {}, UNKNOWN) or (option and option.unknown):
            return
        known += 1

    for section in questionnaire.sections:
        if section.repeatable or not questionnaire.section_visible(section, answers):
            continue
        for question in section.questions:
            if question.shown(answers):
                count(question, answers.get(question.id))
    use_section = questionnaire.use_section
    if use_section is not None and questionnaire.section_visible(use_section, answers):
        for raw in use_answers:
            context = {**answers, **raw}
            for question in use_section.questions:
                if question.shown(context):
                    count(question, raw.get(question.id))
    return round(100 * known / required, 1) if required else 100.0


@dataclass(frozen=True)
class Upload:
    """A checked file, on its way to being stored as an answer's attachment."""

    name: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Missing:
    """A required answer not given yet; question None means "add a use"."""

    section: Section
    question: Question | None = None
    use_index: int | None = None


def display(question: Question, value: Any, vendor: str) -> str:
    """An answer as a person reads it: option labels, not codes; "" when unanswered."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if value == UNKNOWN and question.takes_unknown:
        return gettext("Unknown / not yet assessed")
    if question.type in FIXED_OPTIONS:
        labels = {
            "yes": gettext("Yes"),
            "no": gettext("No"),
            "unknown": gettext("Unknown"),
        }
        return labels.get(value, str(value))
    if question.options:
        values = value if isinstance(value, list) else [value]
        return "; ".join(
            o.label.render(vendor) if (o := question.option(v)) else str(v)
            for v in values
        )
    if question.type == "file" and isinstance(value, dict):
        return str(value.get("name", ""))
    if question.type == "group" and isinstance(value, dict):
        return _labelled(question, value, vendor)
    if question.type == "rows" and isinstance(value, list):
        return " | ".join(_labelled(question, row, vendor) for row in value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if question.type == "currency":
        return f"{Decimal(str(value)):,.2f} USD"
    if question.type == "pct":
        return f"{value} %"
    if question.unit:
        return f"{value} {question.unit.render(vendor)}"
    return str(value)


def _labelled(question: Question, record: Mapping[str, Any], vendor: str) -> str:
    """A group or a row as "Name: Pat, Email: pat@…": the sub-field labels, not bare values."""
    return ", ".join(
        f"{sub.label.render(vendor)}: {record[sub.id]}"
        for sub in question.subfields
        if record.get(sub.id) not in (None, "")
    )


def read_file(path: Path | str) -> Any:
    """Decode a definition file's JSON; errors name the file."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError(f"{path}: cannot read a JSON definition: {exc}") from None


def load_file(path: Path | str) -> Questionnaire:
    """Read and validate a definition file; errors name the file."""
    return parse(read_file(path), source=str(path))


def parse(data: Any, source: str = "<definition>") -> Questionnaire:
    """Validate a decoded definition and build its typed, immutable form."""
    return _Parser(source).questionnaire(data)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.seen: dict[str, Question] = {}
        self.use_ids: set[str] = set()
        self.bound: dict[str, str] = {}

    def fail(self, where: str, problem: str, key: str = "") -> DefinitionError:
        kind, _, name = where.partition(" ")
        return DefinitionError(
            f"{self.source}: {where}: {problem}",
            question=name.split(" ")[0] if kind == "question" else "",
            section=name.split(" ")[0] if kind == "section" else "",
            key=key,
        )

    def questionnaire(self, data: Any) -> Questionnaire:
        if not isinstance(data, dict):
            raise self.fail("top level", "a definition is a JSON object")
        self._keys(data, _TOP_KEYS | {"sections"}, "top level")
        if data.get("format") != FORMAT:
            raise self.fail("top level", f"'format' must be {FORMAT}")
        for key in ("key", "version"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise self.fail("top level", f"'{key}' must be a non-empty string")
        sections = data.get("sections")
        if not isinstance(sections, list) or not sections:
            raise self.fail("top level", "'sections' must be a non-empty list")
        parsed = tuple(self.section(s, i) for i, s in enumerate(sections))
        if sum(s.repeatable for s in parsed) > 1:
            raise self.fail("top level", "at most one section can be repeatable")
        self.check_bindings()
        return Questionnaire(
            key=data["key"],
            version=data["version"],
            title=self.text(data.get("title"), "top level 'title'"),
            banner=self.text(data.get("banner"), "top level 'banner'"),
            routing=self.routing(data.get("routing")),
            attestation=self.attestation(data.get("attestation")),
            sections=parsed,
            checks=self.checks(data.get("checks", [])),
            _by_id=dict(self.seen),
            _bound=dict(self.bound),
        )

    def section(self, data: Any, index: int) -> Section:
        where = f"section #{index + 1}"
        if not isinstance(data, dict):
            raise self.fail(where, "a section is an object")
        section_id = data.get("id")
        if not isinstance(section_id, str) or not _SECTION_ID_RE.match(section_id):
            raise self.fail(where, f"bad section id {section_id!r}")
        where = f"section {section_id}"
        self._keys(data, _SECTION_KEYS, where)
        repeatable = self._bool(data, "repeatable", where)
        show_if = self.condition(data.get("show_if"), where, repeatable=False)
        questions = data.get("questions")
        if not isinstance(questions, list) or not questions:
            raise self.fail(where, "'questions' must be a non-empty list")
        parsed = tuple(self.question(q, section_id, repeatable) for q in questions)
        min_items = data.get("min_items", 0)
        if not isinstance(min_items, int) or min_items < 0:
            raise self.fail(where, "'min_items' must be a whole number ≥ 0")
        return Section(
            id=section_id,
            title=self.text(data.get("title"), f"{where} 'title'"),
            intro=self.optional_text(data.get("intro"), f"{where} 'intro'"),
            repeatable=repeatable,
            show_if=show_if,
            min_items=min_items,
            item_label=self.optional_text(
                data.get("item_label"), f"{where} 'item_label'"
            ),
            questions=parsed,
        )

    def question(self, data: Any, section_id: str, repeatable: bool) -> Question:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise self.fail(
                f"section {section_id}", "each question needs a string 'id'"
            )
        qid = data["id"]
        where = f"question {qid}"
        if not _ID_RE.match(qid):
            raise self.fail(
                where,
                "ids start with a letter, then letters, digits, '_' or '.' (40 at most)",
                "id",
            )
        if qid in self.seen:
            raise self.fail(where, "duplicate question id", "id")
        self._keys(data, _QUESTION_KEYS, where)
        qtype = data.get("type")
        if qtype not in QUESTION_TYPES:
            raise self.fail(where, f"unknown type {qtype!r}", "type")
        binds = self.binds(data, qtype, where, repeatable)
        question = Question(
            id=qid,
            type=qtype,
            section_id=section_id,
            label=self.text(data.get("label"), f"{where} 'label'"),
            help=self.optional_text(data.get("help"), f"{where} 'help'"),
            required=self._bool(data, "required", where),
            options=self.options(data, qtype, where, binds),
            options_from=self.options_from(data, qtype, where, repeatable),
            show_if=self.condition(data.get("show_if"), where, repeatable),
            scores=self.scores(data, qtype, where),
            min=self._number(data, "min", where, NUMERIC_TYPES),
            max=self._number(data, "max", where, NUMERIC_TYPES),
            unit=self.optional_text(data.get("unit"), f"{where} 'unit'"),
            max_length=self._max_length(data, where),
            pattern=self._pattern(data, "pattern", where, PATTERN_TYPES),
            pattern_message=self.optional_text(
                data.get("pattern_message"), f"{where} 'pattern_message'"
            ),
            item_pattern=self._pattern(data, "item_pattern", where, {"text_list"}),
            subfields=self.subfields(data, qtype, where),
            must_be=self._must_be(data, qtype, where),
            binds=binds,
        )
        if binds:
            self.bound[binds] = qid
        self.seen[qid] = question
        if repeatable:
            self.use_ids.add(qid)
        return question

    def binds(
        self, data: dict[str, Any], qtype: str, where: str, repeatable: bool
    ) -> str:
        name = data.get("binds")
        if name is None:
            return ""
        binding = BINDINGS.get(name) if isinstance(name, str) else None
        if binding is None:
            raise self.fail(where, f"unknown binding {name!r}", "binds")
        if name in self.bound:
            raise self.fail(
                where, f"binding {name!r} is already on {self.bound[name]}", "binds"
            )
        if qtype not in binding.types:
            types = " or ".join(sorted(binding.types))
            raise self.fail(
                where, f"binding {name!r} needs a {types} question", "binds"
            )
        if binding.in_use_section != repeatable:
            place = "inside" if binding.in_use_section else "outside"
            raise self.fail(
                where,
                f"binding {name!r} belongs to a question {place} the repeatable section",
                "binds",
            )
        return name

    def check_bindings(self) -> None:
        if not self.use_ids:
            return  # a questionnaire without a use register binds no use columns
        for name, binding in BINDINGS.items():
            if binding.required and name not in self.bound:
                types = " or ".join(sorted(binding.types))
                raise DefinitionError(
                    f"{self.source}: bindings: no question binds {name!r} "
                    f"(required, a {types} question of the repeatable section)",
                    key="binds",
                )

    def checks(self, data: Any) -> tuple[Check, ...]:
        if not isinstance(data, list):
            raise self.fail("checks", "'checks' is a list of objects")
        checks = []
        for index, item in enumerate(data):
            where = f"check #{index + 1}"
            if not isinstance(item, dict):
                raise self.fail(where, "a check is an object")
            self._keys(item, _CHECK_KEYS, where)
            each = self._bool(item, "for_each_use", where)
            if "warn_if" not in item:
                raise self.fail(where, "a check needs 'warn_if'", "warn_if")
            if each and "unless_some_use" in item:
                raise self.fail(
                    where, "'unless_some_use' is for organisation-level checks"
                )
            checks.append(
                Check(
                    warn_if=self.condition(item["warn_if"], where, repeatable=each),
                    unless_some_use=self.condition(
                        item.get("unless_some_use"), where, repeatable=True
                    ),
                    for_each_use=each,
                    message=self.text(item.get("message"), f"{where} 'message'"),
                )
            )
        return tuple(checks)

    def options(
        self, data: dict[str, Any], qtype: str, where: str, binds: str
    ) -> tuple[Option, ...]:
        raw = data.get("options")
        if qtype in FIXED_OPTIONS:
            if raw is not None:
                raise self.fail(
                    where, f"type {qtype} has fixed options: give no 'options'"
                )
            return ()
        if qtype not in CHOICE_TYPES:
            if raw is not None:
                raise self.fail(where, f"type {qtype} takes no option list")
            return ()
        if raw is None and data.get("options_from"):
            return ()
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, f"type {qtype} needs a non-empty 'options' list")
        options = []
        for item in raw:
            if not isinstance(item, dict):
                raise self.fail(where, "each option is an object")
            self._keys(item, _OPTION_KEYS, f"{where} option")
            value = item.get("value")
            if not isinstance(value, str) or not _VALUE_RE.match(value):
                raise self.fail(
                    where, f"option value {value!r} must be lowercase snake_case"
                )
            if any(o.value == value for o in options):
                raise self.fail(where, f"duplicate option value {value!r}")
            factor = item.get("factor")
            if factor is not None and (
                isinstance(factor, bool) or not isinstance(factor, int | float)
            ):
                raise self.fail(where, f"option {value!r}: 'factor' must be a number")
            options.append(
                Option(
                    value=value,
                    label=self.text(
                        item.get("label"), f"{where} option {value!r} label"
                    ),
                    factor=factor,
                    unknown=self._bool(item, "unknown", f"{where} option {value!r}"),
                    tier=self._tier(item, where, binds),
                    flag=self._flag(item, where, binds),
                )
            )
        return tuple(options)

    def _tier(self, item: dict[str, Any], where: str, binds: str) -> str:
        tier = item.get("tier")
        if tier is None:
            return ""
        if binds != "channel":
            raise self.fail(where, "only the channel question's options have a 'tier'")
        if not isinstance(tier, str) or not 0 < len(tier) <= 10:
            raise self.fail(where, "'tier' is a short text such as \"2+\"")
        return tier

    def _flag(self, item: dict[str, Any], where: str, binds: str) -> str:
        flag = item.get("flag")
        if flag is None:
            return ""
        if flag not in OPTION_FLAGS:
            raise self.fail(where, f"unknown option flag {flag!r}", "flag")
        if OPTION_FLAGS[flag] != binds:
            raise self.fail(
                where,
                f"flag {flag!r} goes on the options of the question bound to "
                f"{OPTION_FLAGS[flag]!r}",
                "flag",
            )
        return flag

    def options_from(
        self, data: dict[str, Any], qtype: str, where: str, repeatable: bool
    ) -> str:
        source = data.get("options_from")
        if source is None:
            return ""
        if qtype not in CHOICE_TYPES:
            raise self.fail(where, f"type {qtype} takes no 'options_from'")
        if data.get("options") is not None:
            raise self.fail(where, "give either 'options' or 'options_from', not both")
        target = self._earlier(source, where, repeatable, "'options_from'")
        if target.type not in {"rows", "text_list"}:
            raise self.fail(
                where, "'options_from' must name a rows or text_list question"
            )
        return source

    def scores(self, data: dict[str, Any], qtype: str, where: str) -> str:
        factor = data.get("scores")
        if factor is None:
            return ""
        if factor in NUMBER_FACTORS:
            if qtype != "int":
                raise self.fail(
                    where, f"factor {factor} is scored from an int question"
                )
            return factor
        if factor not in OPTION_FACTORS:
            raise self.fail(where, f"unknown scoring factor {factor!r}", "scores")
        if qtype not in CHOICE_TYPES or not data.get("options"):
            raise self.fail(where, f"factor {factor} needs a question with options")
        for option in data["options"]:
            if option.get("factor") is None:
                raise self.fail(
                    where,
                    f"scored option {option.get('value')!r} has no 'factor'",
                    "factor",
                )
        return factor

    def subfields(
        self, data: dict[str, Any], qtype: str, where: str
    ) -> tuple[Subfield, ...]:
        raw = data.get("subfields")
        if qtype not in SUBFIELD_TYPES:
            if raw is not None:
                raise self.fail(where, f"type {qtype} takes no 'subfields'")
            return ()
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, f"type {qtype} needs a non-empty 'subfields' list")
        result: list[Subfield] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise self.fail(where, "each subfield is an object with a string 'id'")
            sub_where = f"{where} subfield {item['id']}"
            self._keys(item, _SUBFIELD_KEYS, sub_where)
            if not _VALUE_RE.match(item["id"]) or any(
                s.id == item["id"] for s in result
            ):
                raise self.fail(
                    sub_where, "subfield ids are unique lowercase snake_case"
                )
            fmt = item.get("format", "text")
            if fmt not in SUBFIELD_FORMATS:
                raise self.fail(sub_where, f"unknown format {fmt!r}")
            result.append(
                Subfield(
                    id=item["id"],
                    label=self.text(item.get("label"), f"{sub_where} 'label'"),
                    required=item.get("required", True) is True,
                    format=fmt,
                    pattern=self._pattern(item, "pattern", sub_where, None),
                    pattern_message=self.optional_text(
                        item.get("pattern_message"), f"{sub_where} 'pattern_message'"
                    ),
                )
            )
        return tuple(result)

    def condition(self, data: Any, where: str, repeatable: bool) -> Condition | None:
        if data is None:
            return None
        if not isinstance(data, dict) or not data:
            raise self.fail(where, "a show-if condition is an object")
        groups = {"any", "all"} & data.keys()
        if groups:
            if len(data) != 1:
                raise self.fail(where, "a show-if group has only 'any' or 'all'")
            op = groups.pop()
            children = data[op]
            if not isinstance(children, list) or not children:
                raise self.fail(where, f"show-if '{op}' needs a non-empty list")
            return Condition(
                op=op,
                children=tuple(self._child(c, where, repeatable) for c in children),
            )
        ops = _LEAF_OPS & data.keys()
        if len(ops) != 1 or set(data) != ops | {"question"}:
            ops_list = ", ".join(sorted(_LEAF_OPS))
            raise self.fail(where, f"a show-if rule is question + one of {ops_list}")
        op = ops.pop()
        target = self._earlier(data.get("question"), where, repeatable, "show-if")
        raw = data[op]
        values = tuple(raw) if isinstance(raw, list) else (raw,)
        expects_list = op in {"in", "not_in"}
        if expects_list != isinstance(raw, list) or not values:
            expected = "a non-empty list" if expects_list else "one value"
            raise self.fail(where, f"show-if '{op}' takes {expected}")
        known = {o.value for o in target.options} | set(
            FIXED_OPTIONS.get(target.type, ())
        )
        if known:
            for value in values:
                if value not in known:
                    raise self.fail(
                        where,
                        f"show-if refers to {target.id}={value!r}, which is not an option",
                    )
        return Condition(op=op, question=target.id, values=values)

    def _child(self, data: Any, where: str, repeatable: bool) -> Condition:
        if data is None:
            raise self.fail(where, "a show-if group cannot hold null")
        return self.condition(data, where, repeatable)  # type: ignore[return-value]

    def routing(self, data: Any) -> Routing:
        if not isinstance(data, dict) or set(data) != {"screening", "direct"}:
            raise self.fail("routing", "needs exactly 'screening' (list) and 'direct'")
        screening = data["screening"]
        if not isinstance(screening, list) or not screening:
            raise self.fail("routing", "'screening' must be a non-empty list of ids")
        for qid in [*screening, data["direct"]]:
            question = self.seen.get(qid)
            if question is None:
                raise self.fail("routing", f"refers to missing question {qid!r}")
            if question.type != "yesno_unknown":
                raise self.fail("routing", f"{qid} must be a yesno_unknown question")
        return Routing(screening=tuple(screening), direct=data["direct"])

    def attestation(self, data: Any) -> dict[str, Text]:
        if not isinstance(data, dict) or set(data) != set(ATTESTATION_KEYS):
            raise self.fail(
                "attestation", f"needs exactly {', '.join(ATTESTATION_KEYS)}"
            )
        return {
            key: self.text(data[key], f"attestation '{key}'")
            for key in ATTESTATION_KEYS
        }

    def text(self, data: Any, where: str) -> Text:
        if (
            isinstance(data, dict)
            and isinstance(data.get("en"), str)
            and data["en"].strip()
        ):
            if set(data) - {"en", "fr"} or not isinstance(data.get("fr", ""), str):
                raise self.fail(where, "a text has only 'en' and 'fr' strings")
            return Text(en=data["en"], fr=data.get("fr", ""))
        raise self.fail(where, "a text is an object with a non-empty 'en' (and 'fr')")

    def optional_text(self, data: Any, where: str) -> Text | None:
        return None if data is None else self.text(data, where)

    def _earlier(self, qid: Any, where: str, repeatable: bool, what: str) -> Question:
        target = self.seen.get(qid) if isinstance(qid, str) else None
        if target is None:
            raise self.fail(
                where,
                f"{what} refers to {qid!r}, which is missing or comes later",
                "options_from" if what == "'options_from'" else "show_if",
            )
        if qid in self.use_ids and not repeatable:
            raise self.fail(
                where, f"{what} refers to {qid}, inside the repeatable section"
            )
        return target

    def _keys(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(map(repr, unknown))}")

    def _bool(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(where, f"'{key}' must be true or false")
        return value

    def _number(
        self, data: dict[str, Any], key: str, where: str, types: Iterable[str]
    ) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if data.get("type") not in types:
            raise self.fail(where, f"type {data.get('type')} takes no '{key}'")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"'{key}' must be a number")
        return value

    def _max_length(self, data: dict[str, Any], where: str) -> int | None:
        value = data.get("max_length")
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(where, "'max_length' must be a whole number ≥ 1")
        return value

    def _pattern(
        self, data: dict[str, Any], key: str, where: str, types: Iterable[str] | None
    ) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if types is not None and data.get("type") not in types:
            raise self.fail(where, f"type {data.get('type')} takes no '{key}'")
        try:
            re.compile(value)
        except (re.error, TypeError) as exc:
            raise self.fail(
                where, f"'{key}' is not a valid regular expression: {exc}"
            ) from None
        return value

    def _must_be(self, data: dict[str, Any], qtype: str, where: str) -> str:
        value = data.get("must_be")
        if value is None:
            return ""
        if value not in FIXED_OPTIONS.get(qtype, ()):
            raise self.fail(
                where, "'must_be' names one of the question's fixed options"
            )
        return value
