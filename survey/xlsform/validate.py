"""The checks a workbook gets before the parser sees it, each fault located, and the
parser's own faults traced back to a sheet, a row and a column."""

from __future__ import annotations

import re
from typing import Any

from survey import questionnaire as qn
from survey.xlsform import layout as ly
from survey.xlsform.expressions import references
from survey.xlsform.read import Places


def check(data: dict[str, Any], places: Places) -> list[ly.Problem]:
    """Faults found in the definition read from a workbook, in workbook order."""
    return _Checker(data, places).run()


class _Checker:
    def __init__(self, data: dict[str, Any], places: Places) -> None:
        self.data, self.places = data, places
        self.problems: list[ly.Problem] = []
        self.seen: dict[str, int] = {}  # question id -> row
        self.use_ids: set[str] = set()
        self.bound: dict[str, tuple[str, int]] = {}

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(ly.Problem(sheet, row, column, message))

    def run(self) -> list[ly.Problem]:
        for row, section, questions in self.places.layout:
            self.condition(section.get("show_if"), row, "show_if", repeatable=False)
            repeatable = section.get("repeatable") is True
            for question_row, question in questions:
                self.question(question_row, question, repeatable)
        self.required_bindings()
        for row, item in self.places.checks:
            for column in ("warn_if", "unless_some_use"):
                for ref in references(item.get(column)):
                    if ref not in self.seen:
                        message = f"refers to {ref!r}, which is not a question"
                        self.add(ly.CHECKS, row, column, message)
        return self.problems

    def question(self, row: int, question: dict[str, Any], repeatable: bool) -> None:
        qid, qtype = question.get("id"), question.get("type")
        if qtype is None:
            self.add(ly.SURVEY, row, "type", "a question row needs a type")
        elif qtype not in qn.QUESTION_TYPES:
            self.add(ly.SURVEY, row, "type", f"unknown type {qtype!r}")
        self.condition(question.get("show_if"), row, "show_if", repeatable)
        source = question.get("options_from")
        if source is not None and source not in self.seen:
            message = (
                f"options_from refers to {source!r}, which is missing or comes later"
            )
            self.add(ly.SURVEY, row, "options_from", message)
        self.scored_options(question)
        self.binding(row, question, repeatable)
        if qid is None:
            self.add(ly.SURVEY, row, "id", "a question needs an id")
        elif qid in self.seen:
            first = self.seen[qid]
            self.add(
                ly.SURVEY,
                row,
                "id",
                f"duplicate question id {qid!r} (first on row {first})",
            )
        else:
            self.seen[qid] = row
            if repeatable:
                self.use_ids.add(qid)

    def condition(
        self, condition: Any, row: int, column: str, repeatable: bool
    ) -> None:
        for ref in references(condition):
            if ref not in self.seen:
                message = f"show-if refers to {ref!r}, which is missing or comes later"
                self.add(ly.SURVEY, row, column, message)
            elif ref in self.use_ids and not repeatable:
                message = f"show-if refers to {ref}, inside the repeatable section"
                self.add(ly.SURVEY, row, column, message)

    def scored_options(self, question: dict[str, Any]) -> None:
        factor = question.get("scores")
        if factor not in qn.OPTION_FACTORS:
            return
        qid = question.get("id", "")
        name = self.places.lists.get(qid, qid)
        for option in question.get("options", ()):
            if option.get("factor") is None:
                value = option.get("value")
                row = self.places.options.get((name, value))
                message = (
                    f"option {value!r} of list {name!r} has no factor, "
                    f"but question {qid} is scored ({factor})"
                )
                self.add(ly.CHOICES, row, "factor", message)

    def binding(self, row: int, question: dict[str, Any], repeatable: bool) -> None:
        name = question.get("binds")
        if name is None:
            return
        binding = qn.BINDINGS.get(name)
        if binding is None:
            self.add(ly.SURVEY, row, "binds", f"unknown binding {name!r}")
            return
        if name in self.bound:
            other, other_row = self.bound[name]
            message = f"binding {name!r} is already on {other} (row {other_row})"
            self.add(ly.SURVEY, row, "binds", message)
            return
        self.bound[name] = (question.get("id", ""), row)
        qtype = question.get("type")
        if qtype in qn.QUESTION_TYPES and qtype not in binding.types:
            types = " or ".join(sorted(binding.types))
            self.add(
                ly.SURVEY, row, "binds", f"binding {name!r} needs a {types} question"
            )
        if binding.in_use_section != repeatable:
            place = "inside" if binding.in_use_section else "outside"
            message = (
                f"binding {name!r} belongs to a question {place} the repeatable section"
            )
            self.add(ly.SURVEY, row, "binds", message)

    def required_bindings(self) -> None:
        if not any(s.get("repeatable") is True for _, s, _ in self.places.layout):
            return  # a questionnaire without a use register binds no use columns
        for name, binding in qn.BINDINGS.items():
            if binding.required and name not in self.bound:
                types = " or ".join(sorted(binding.types))
                message = (
                    f"no question binds {name!r} (required: a {types} question "
                    "of the repeatable section)"
                )
                self.add(ly.SURVEY, None, "binds", message)


# Tracing a parser fault ---------------------------------------------------------------

_QUOTED = re.compile(r"'([A-Za-z_]+)'")
_KEY_COLUMN = {"options": "choices", "subfields": "type"}


def locate(exc: qn.DefinitionError, places: Places, source: str) -> ly.Problem:
    """The sheet, row and column of the question, section or setting a fault names."""
    message = str(exc)
    if message.startswith(f"{source}: "):
        message = message[len(source) + 2 :]
    where, _, problem = message.partition(": ")
    key = getattr(exc, "key", "") or ""
    question = getattr(exc, "question", "") or _named(r"^question (\S+)", where)
    section = getattr(exc, "section", "") or _named(r"^section (\S+)", where)
    hint = (key, *_QUOTED.findall(where + " " + problem))
    if question:
        return _question_fault(question, where, message, hint, places)
    if section:
        if section.startswith("#"):
            index = int(section[1:]) - 1
            row = places.layout[index][0] if index < len(places.layout) else None
        else:
            row = places.section_row(section)
        return ly.Problem(
            ly.SURVEY, row, _column(hint, ly.SECTION_COLUMNS, "id"), message
        )
    if where.startswith("check #"):
        index = int(where.split("#")[1]) - 1
        row, item = places.checks[index] if index < len(places.checks) else (None, {})
        column = _check_column(item, problem) if key == "show_if" else None
        return ly.Problem(
            ly.CHECKS,
            row,
            column or _column(hint, ly.CHECK_COLUMNS, "warn_if"),
            message,
        )
    setting = _setting(where, problem, hint, places)
    if setting:
        return ly.Problem(ly.SETTINGS, places.settings.get(setting), "value", message)
    if key == "binds" or where in ("bindings", "top level"):
        column = "binds" if key == "binds" else _column(hint, ly.SECTION_COLUMNS, None)
        return ly.Problem(ly.SURVEY, None, column, message)
    return ly.Problem(ly.SURVEY, None, None, message)


def _question_fault(
    question: str, where: str, message: str, hint: tuple[str, ...], places: Places
) -> ly.Problem:
    subfield = _named(r" subfield (\S+)", where)
    if subfield:
        row = places.subfields.get((question, subfield))
        column = _column(hint, ly.SUBFIELD_COLUMNS, "id")
        return ly.Problem(ly.SUBFIELDS, row, column, message)
    name = places.lists.get(question, "")
    value = _named(r"option (?:value )?'([^']*)'", message)
    if value and (name, value) in places.options:
        row = places.options[name, value]
        column = _column(hint, ly.CHOICE_COLUMNS, "value")
        return ly.Problem(ly.CHOICES, row, column, message)
    for mark in ("flag", "tier"):
        marked = places.marks.get((name, mark))
        if mark in hint and marked:
            row = next((r for v, r in marked if f"'{v}'" in message), marked[0][1])
            return ly.Problem(ly.CHOICES, row, mark, message)
    row = places.questions.get(question)
    return ly.Problem(ly.SURVEY, row, _column(hint, ly.QUESTION_COLUMNS, "id"), message)


def _column(
    hint: tuple[str, ...], columns: tuple[ly.Column, ...], default: str | None
) -> str | None:
    """The first column whose definition key the fault mentions."""
    for key in filter(None, hint):
        key = _KEY_COLUMN.get(key, key)
        for column in columns:
            if key in (column.key, column.header) and column.lang in ("", "en"):
                return column.header
    return default


def _check_column(item: dict[str, Any], problem: str) -> str | None:
    target = _named(r"refers to '([^']*)'", problem)
    for column in ("warn_if", "unless_some_use"):
        if target and target in references(item.get(column)):
            return column
    return None


def _setting(where: str, problem: str, hint: tuple[str, ...], places: Places) -> str:
    if where == "routing":
        named = _named(r"'([^']*)'", problem) or _named(r"^(\S+) must be", problem)
        direct = places.setting_values.get("routing.direct")
        return "routing.direct" if named and named == direct else "routing.screening"
    if where.startswith("attestation"):
        name = _named(r"'(\w+)'", where) or "dependence"
        return f"attestation.{name}::en"
    if where.startswith("top level"):
        for key in hint[1:]:
            for candidate in (key, f"{key}::en"):
                if any(candidate == k for k, _, _ in ly.SETTINGS_ROWS):
                    return candidate
    return ""


def _named(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    return match.group(1) if match else ""
