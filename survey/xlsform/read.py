"""An XLSForm-style workbook read back into a questionnaire definition (the JSON dict)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from survey.xlsform import layout as ly
from survey.xlsform.cells import Row, read_rows

Source = str | Path | IO[bytes]
_SECTION_ONLY = tuple(c for c in ly.SECTION_COLUMNS if c not in ly.QUESTION_COLUMNS)
_QUESTION_ONLY = tuple(c for c in ly.QUESTION_COLUMNS if c not in ly.SECTION_COLUMNS)
_END_FORBIDDEN = tuple(c for c in ly.SURVEY_COLUMNS if c.header not in ("type", "id"))
_ALIASES = {
    ly.BEGIN: ly.BEGIN,
    ly.END: ly.END,
    "begin group": ly.BEGIN,
    "end group": ly.END,
}


@dataclass
class Places:
    """Where each part of the definition came from, to locate a fault."""

    # (row, section, [(row, question), ...]) in workbook order.
    layout: list[tuple[int, dict[str, Any], list[tuple[int, dict[str, Any]]]]] = field(
        default_factory=list
    )
    questions: dict[str, int] = field(default_factory=dict)
    lists: dict[str, str] = field(default_factory=dict)  # question id -> list name
    options: dict[tuple[str, str], int] = field(default_factory=dict)
    subfields: dict[tuple[str, str], int] = field(default_factory=dict)
    # (list name, "flag" or "tier") -> [(cell value, row), ...]
    marks: dict[tuple[str, str], list[tuple[str, int]]] = field(default_factory=dict)
    settings: dict[str, int] = field(default_factory=dict)
    setting_values: dict[str, Any] = field(default_factory=dict)
    checks: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def section_row(self, section_id: str) -> int | None:
        return next((r for r, s, _ in self.layout if s.get("id") == section_id), None)


class Reader:
    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.problems: list[ly.Problem] = []
        self.places = Places()

    def definition(self) -> dict[str, Any]:
        for name in self.book.sheetnames:
            if name not in ly.SHEETS:
                expected = ", ".join(ly.SHEETS)
                message = f"unknown sheet (the sheets are {expected})"
                self.problems.append(ly.Problem(name, None, None, message))
        for name in (ly.SURVEY, ly.SETTINGS):
            if name not in self.book.sheetnames:
                self.problems.append(ly.Problem(name, None, None, "missing sheet"))
        data = self.settings()
        lists = self.choices()
        subfields = self.subfields()
        data["sections"] = self.survey(lists)
        self.attach(subfields)
        if ly.CHECKS in self.book.sheetnames:
            data["checks"] = self.checks()
        return data

    def rows(self, name: str) -> list[Row]:
        if name not in self.book.sheetnames:
            return []
        return read_rows(self.book[name], name, self.problems)

    def settings(self) -> dict[str, Any]:
        kinds = {key: (path, kind) for key, path, kind in ly.SETTINGS_ROWS}
        data: dict[str, Any] = {}
        for row in self.rows(ly.SETTINGS):
            key = row.get("key", "name")
            if key is None:
                row.problem("key", "a setting needs a key")
                continue
            if key not in kinds:
                row.problem("key", f"unknown setting {key!r}")
                continue
            if key in self.places.settings:
                first = self.places.settings[key]
                row.problem("key", f"duplicate setting {key!r} (first on row {first})")
                continue
            self.places.settings[key] = row.number
            path, kind = kinds[key]
            value = self.places.setting_values[key] = row.get("value", kind)
            if value is None and kind != "text":
                continue
            target = data
            for step in path[:-1]:
                target = target.setdefault(step, {})
            if kind == "text":
                for lang in ly.LANGUAGES:
                    target.setdefault(lang, "")
            target[path[-1]] = value if value is not None else ""
        return data

    def choices(self) -> dict[str, list[dict[str, Any]]]:
        lists: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows(ly.CHOICES):
            option = row.fields(ly.CHOICE_COLUMNS)
            name, value = option.pop("list_name", None), option.get("value")
            if name is None or value is None:
                row.problem("list_name" if name is None else "value", "missing")
                continue
            if (name, value) in self.places.options:
                first = self.places.options[name, value]
                message = (
                    f"duplicate value {value!r} in list {name!r} (first on row {first})"
                )
                row.problem("value", message)
                continue
            self.places.options[name, value] = row.number
            for mark in ("flag", "tier"):
                if mark in option:
                    marks = self.places.marks.setdefault((name, mark), [])
                    marks.append((option[mark], row.number))
            lists.setdefault(name, []).append(option)
        return lists

    def subfields(self) -> dict[str, list[tuple[Row, dict[str, Any]]]]:
        found: dict[str, list[tuple[Row, dict[str, Any]]]] = {}
        for row in self.rows(ly.SUBFIELDS):
            subfield = row.fields(ly.SUBFIELD_COLUMNS)
            question = subfield.pop("question", None)
            if question is None or "id" not in subfield:
                row.problem("question" if question is None else "id", "missing")
                continue
            key = (question, subfield["id"])
            if key in self.places.subfields:
                first = self.places.subfields[key]
                row.problem(
                    "id", f"duplicate subfield of {question} (first on row {first})"
                )
                continue
            self.places.subfields[key] = row.number
            found.setdefault(question, []).append((row, subfield))
        return found

    def survey(self, lists: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        sections: list[dict[str, Any]] = []
        current: list[tuple[int, dict[str, Any]]] | None = None
        begun = 0
        for row in self.rows(ly.SURVEY):
            kind = row.get("type", "name")
            # XLSForm's own words for a section are welcome too.
            kind = _ALIASES.get((kind or "").lower().replace("_", " "), kind)
            if kind == ly.BEGIN:
                if current is not None:
                    self.unclosed(begun, sections[-1])
                section = row.fields(ly.SECTION_COLUMNS)
                row.forbid(_QUESTION_ONLY, "a section row")
                del section["type"]
                # A section's show-if is always there, null when the cell is empty.
                section.setdefault("show_if", None)
                section["questions"] = []
                sections.append(section)
                current, begun = [], row.number
                self.places.layout.append((row.number, section, current))
            elif kind == ly.END:
                row.forbid(_END_FORBIDDEN, "an end section row")
                self.end(row, current, sections)
                current = None
            else:
                question = row.fields(ly.QUESTION_COLUMNS)
                row.forbid(_SECTION_ONLY, "a question row")
                self.choices_of(row, question, lists)
                if current is None:
                    message = (
                        "a question goes between a begin section and an end section row"
                    )
                    row.problem("type", message)
                    continue
                current.append((row.number, question))
                sections[-1]["questions"].append(question)
                self.places.questions.setdefault(question.get("id", ""), row.number)
        if current is not None:
            self.unclosed(begun, sections[-1])
        return sections

    def end(
        self,
        row: Row,
        current: list[tuple[int, dict[str, Any]]] | None,
        sections: list[dict[str, Any]],
    ) -> None:
        if current is None:
            row.problem("type", "an end section row without a begin section row")
            return
        name = row.get("id", "name")
        if name is not None and name != sections[-1].get("id"):
            begun = sections[-1].get("id")
            row.problem("id", f"ends section {name!r}, but section {begun!r} is open")

    def unclosed(self, row_number: int, section: dict[str, Any]) -> None:
        message = f"section {section.get('id')!r} has no end section row"
        self.problems.append(ly.Problem(ly.SURVEY, row_number, "type", message))

    def choices_of(
        self, row: Row, question: dict[str, Any], lists: dict[str, list[dict[str, Any]]]
    ) -> None:
        name = question.get("options")
        if name is None:
            return
        if name not in lists:
            row.problem(
                "choices", f"choice list {name!r} does not exist on the choices sheet"
            )
            del question["options"]
            return
        question["options"] = copy.deepcopy(lists[name])
        self.places.lists.setdefault(question.get("id", ""), name)

    def attach(self, subfields: dict[str, list[tuple[Row, dict[str, Any]]]]) -> None:
        questions = {
            q.get("id"): q for _, _, items in self.places.layout for _, q in items
        }
        for question_id, items in subfields.items():
            question = questions.get(question_id)
            if question is None:
                message = f"no question {question_id!r} on the survey sheet"
                for row, _ in items:
                    row.problem("question", message)
                continue
            question["subfields"] = [subfield for _, subfield in items]

    def checks(self) -> list[dict[str, Any]]:
        checks = []
        for row in self.rows(ly.CHECKS):
            check = row.fields(ly.CHECK_COLUMNS)
            self.places.checks.append((row.number, check))
            checks.append(check)
        return checks


def open_workbook(source: Source, name: str) -> Workbook:
    """The workbook, or ValueError naming the file when it is not an .xlsx workbook."""
    try:
        return load_workbook(source, data_only=False)
    except Exception as exc:  # noqa: BLE001 – zipfile, XML and openpyxl errors alike
        raise ValueError(f"{name}: not a readable .xlsx workbook ({exc})") from None
