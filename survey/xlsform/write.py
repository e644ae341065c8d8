"""A questionnaire definition (the JSON dict) written as an XLSForm-style workbook."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from survey.questionnaire import QUESTION_TYPES
from survey.xlsform import layout as ly
from survey.xlsform.expressions import format_condition

Target = str | Path | IO[bytes]
# Integral floats keep a decimal in their format, so that 1.0 reads back as a float.
FLOAT_FORMAT = "0.0##########"
_WIDE = {"text", "str", "condition"}


def write_workbook(definition: dict[str, Any], target: Target | None = None) -> Any:
    """Write the workbook to `target` (a path or a binary file) and return it.

    Without a target, a BytesIO positioned at its start is returned. A key of the
    definition that has no column raises ValueError: nothing is silently dropped.
    """
    book = Workbook()
    survey = book.active
    survey.title = ly.SURVEY
    sheets = {ly.SURVEY: survey}
    for name in ly.SHEETS[1:]:
        if name != ly.CHECKS or "checks" in definition:
            sheets[name] = book.create_sheet(name)
    for name, sheet in sheets.items():
        _header(sheet, ly.COLUMNS[name])
    _known(definition, {*(p[0] for _, p, _ in ly.SETTINGS_ROWS), "sections", "checks"})
    _fill(survey, ly.SURVEY_COLUMNS, _survey_rows(definition["sections"]))
    _fill(sheets[ly.CHOICES], ly.CHOICE_COLUMNS, _choice_rows(definition["sections"]))
    _fill(sheets[ly.SUBFIELDS], ly.SUBFIELD_COLUMNS, _subfield_rows(definition))
    _fill(sheets[ly.SETTINGS], ly.SETTING_COLUMNS, _setting_rows(definition))
    if ly.CHECKS in sheets:
        checks = definition["checks"]
        rows = (_cells(check, ly.CHECK_COLUMNS) for check in checks)
        _fill(sheets[ly.CHECKS], ly.CHECK_COLUMNS, rows)
    _type_choices(survey)
    if target is None:
        target = BytesIO()
        book.save(target)
        target.seek(0)
        return target
    book.save(target)
    return target


def _survey_rows(sections: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for section in sections:
        _known(section, {c.key for c in ly.SECTION_COLUMNS} | {"questions"})
        yield {**_cells(section, ly.SECTION_COLUMNS), "type": ly.BEGIN}
        for question in section["questions"]:
            _known(question, {c.key for c in ly.QUESTION_COLUMNS} | {"subfields"})
            cells = _cells(question, ly.QUESTION_COLUMNS, skip={"options"})
            if "options" in question:
                cells["choices"] = question["id"]
            yield cells
        yield {"type": ly.END, "id": section["id"]}


def _choice_rows(sections: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One list per question with options, named after the question."""
    for section in sections:
        for question in section["questions"]:
            for option in question.get("options", ()):
                _known(option, {c.key for c in ly.CHOICE_COLUMNS})
                cells = _cells(option, ly.CHOICE_COLUMNS)
                yield {**cells, "list_name": question["id"]}


def _subfield_rows(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for section in definition["sections"]:
        for question in section["questions"]:
            for subfield in question.get("subfields", ()):
                _known(subfield, {c.key for c in ly.SUBFIELD_COLUMNS})
                cells = _cells(subfield, ly.SUBFIELD_COLUMNS)
                yield {**cells, "question": question["id"]}


def _setting_rows(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("routing", "attestation"):
        inner = {p[1] for _, p, _ in ly.SETTINGS_ROWS if p[0] == key}
        _known(definition.get(key) or {}, inner)
    for name, path, kind in ly.SETTINGS_ROWS:
        value: Any = definition
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is not None:
            yield {"key": name, "value": _cell_value(value, kind)}


def _cells(
    data: dict[str, Any], columns: Iterable[ly.Column], skip: Collection[str] = ()
) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for column in columns:
        if column.key in skip or column.key not in data:
            continue
        value = data[column.key]
        if column.lang:
            _known(value, set(ly.LANGUAGES))
            value = value.get(column.lang, "")
        elif column.kind == "condition" and value is None:
            continue  # a section's "show_if": null: the reader gives null to an empty cell
        cells[column.header] = _cell_value(value, column.kind)
    return cells


def _cell_value(value: Any, kind: str) -> Any:
    if kind == "condition":
        return format_condition(value)
    if kind == "list":
        return ", ".join(value)
    return value


def _known(data: Any, allowed: set[str]) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"expected an object, got {data!r}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"no column for key(s) {', '.join(map(repr, unknown))}")


def _header(sheet: Worksheet, columns: Sequence[ly.Column]) -> None:
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, start=1):
        sheet.cell(1, index).font = Font(bold=True)
        letter = sheet.cell(1, index).column_letter
        sheet.column_dimensions[letter].width = 50 if column.kind in _WIDE else 16
    sheet.freeze_panes = sheet.cell(2, 1)  # the header row stays in view


def _fill(
    sheet: Worksheet, columns: Sequence[ly.Column], rows: Iterable[dict[str, Any]]
) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            if column.header not in row:
                continue
            value = row[column.header]
            cell = sheet.cell(row_number, index, value)
            if isinstance(value, str):
                cell.data_type = "s"  # text starting with "=" stays text, not a formula
                cell.alignment = wrap
            elif isinstance(value, float) and value.is_integer():
                cell.number_format = FLOAT_FORMAT


def _type_choices(sheet: Worksheet) -> None:
    """A drop-down of the types in the survey sheet's type column."""
    types = ",".join([ly.BEGIN, ly.END, *sorted(QUESTION_TYPES)])
    validation = DataValidation(type="list", formula1=f'"{types}"', allow_blank=True)
    validation.add(f"A2:A{max(sheet.max_row, 2) + 200}")
    sheet.add_data_validation(validation)
