"""Read and validate a definition (JSON, questionnaire-spec.md §5) into its typed form.

Every error is a DefinitionError naming the source, where and why; nothing is loaded
from a definition that has one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from survey.questionnaire.definition import Questionnaire
from survey.questionnaire.elements import (
    ATTESTATION_KEYS,
    CHOICE_TYPES,
    FIXED_OPTIONS,
    FORMAT,
    NUMBER_FACTORS,
    NUMERIC_TYPES,
    OPTION_FACTORS,
    PATTERN_TYPES,
    QUESTION_TYPES,
    SUBFIELD_FORMATS,
    SUBFIELD_TYPES,
    DefinitionError,
    Option,
    Question,
    Routing,
    Section,
    Subfield,
    Text,
)
from survey.questionnaire.rules import Rules

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
_SUBFIELD_KEYS = {"id", "label", "required", "format", "pattern", "pattern_message"}


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


class _Parser(Rules):
    def __init__(self, source: str) -> None:
        self.source = source
        self.seen: dict[str, Question] = {}
        self.use_ids: set[str] = set()
        self.bound: dict[str, str] = {}

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
