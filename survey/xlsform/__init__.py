"""Questionnaire definitions authored as Excel workbooks, in the XLSForm style (issue 11 §3).

A workbook is another spelling of the JSON definition that survey.questionnaire.parse
takes: `read_workbook(write_workbook(d), source) == d` for a valid definition. Rules:

- Sheets: `survey`, `choices`, `subfields`, `settings` and `checks`. Row 1 holds the
  column names; empty rows are skipped; unknown sheets and columns are faults.
  A text in two languages has two columns, `label::en` and `label::fr`; an empty French
  cell reads as "" (a text always has both languages once it has one).
- `survey`: one row per question, in order, between a `begin section` row and an
  `end section` row (type column). A section row carries id, title, intro, repeatable,
  show_if, min_items and item_label; a question row carries id, type (the definition's
  type names: single, multi, int, rows, …), binds, label, help, required, show_if,
  choices, options_from, scores, min, max, unit, max_length, pattern, pattern_message,
  item_pattern and must_be. An empty cell is an absent key, except a section's show_if,
  which is null when empty.
- `choices`: list_name, value, label, factor, unknown, tier, flag. A question's
  `choices` cell names a list; the definition holds the list's options inline. The
  writer names each question's list after the question.
- `subfields`: the sub-fields of rows and group questions: question, id, label,
  required, format, pattern, pattern_message.
- `settings`: key/value rows: format, key, version, title::en/fr, banner::en/fr,
  routing.screening (ids, comma-separated), routing.direct,
  attestation.<dependence|no_dependence|inquiry_incomplete>::en/fr.
- `checks`: one soft check per row: warn_if, unless_some_use, for_each_use, message.
- Yes/no cells take TRUE/FALSE or yes/no. Numbers are numbers (1.0 keeps its decimal
  format, to stay a float). Formulas are not read. Conditions use the expression
  language of survey.xlsform.expressions (`${A4} != 'enterprise'`, `selected(…)`, …).
- Faults name the sheet, the row and the column (`survey!row 14, column type: unknown
  type 'singel'`; "—" when no row applies); a workbook's faults are all reported at once,
  in one WorkbookError. Once the workbook's own checks pass, the definition goes through
  survey.questionnaire.parse, and its fault is traced back to a row as well.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from survey import questionnaire as qn
from survey.xlsform import validate
from survey.xlsform.read import Reader, Source, open_workbook
from survey.xlsform.write import write_workbook

__all__ = ["WorkbookError", "read_definition", "read_workbook", "write_workbook"]


class WorkbookError(qn.DefinitionError):
    """Every fault of a workbook, each as "sheet!row N, column C: problem"."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def read_workbook(source_file: Source, source: str) -> dict[str, Any]:
    """The definition a workbook spells, validated; WorkbookError lists its faults."""
    try:
        book = open_workbook(source_file, source)
    except ValueError as exc:
        raise WorkbookError([str(exc)]) from None
    reader = Reader(book)
    data = reader.definition()
    problems = reader.problems + validate.check(data, reader.places)
    if problems:
        ordered = sorted(dict.fromkeys(problems), key=lambda p: p.order)
        raise WorkbookError([str(p) for p in ordered])
    try:
        qn.parse(data, source=source)
    except qn.DefinitionError as exc:
        problem = validate.locate(exc, reader.places, source)
        raise WorkbookError([str(problem)]) from None
    return data


def read_definition(file: str | Path | IO[bytes], name: str) -> Any:
    """A definition file's data: a workbook (.xlsx) read and checked, or JSON decoded."""
    if name.lower().endswith(".xlsx"):
        return read_workbook(file, source=name)
    try:
        if isinstance(file, str | Path):
            return json.loads(Path(file).read_text(encoding="utf-8"))
        return json.loads(file.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise qn.DefinitionError(
            f"{name}: cannot read a JSON definition: {exc}"
        ) from None
