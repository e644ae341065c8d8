"""The typed form of a questionnaire definition: its elements and vocabularies.

Frozen dataclasses, built by the parser (survey.questionnaire.parser) and never changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

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

    @property
    def marker(self) -> str:
        """What the pages show before the title: a letter id, as v1's A to F that its
        question ids carry (A1, D13); nothing for a word id ("org"), a slug for URLs."""
        return self.id if self.id.isupper() and len(self.id) <= 2 else ""


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
