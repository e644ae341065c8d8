"""Reading one sheet of a workbook: its header, its rows, and each cell as its kind."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from survey.xlsform import layout as ly
from survey.xlsform.expressions import ExpressionError, parse_expression

_TRUE = {"yes", "true", "y", "1"}
_FALSE = {"no", "false", "n", "0"}


class CellError(ValueError):
    pass


@dataclass
class Row:
    sheet: str
    number: int
    cells: dict[str, Cell]
    problems: list[ly.Problem] = field(default_factory=list)

    def has(self, header: str) -> bool:
        cell = self.cells.get(header)
        return cell is not None and cell.value not in (None, "")

    def get(self, header: str, kind: str) -> Any:
        """The cell as its kind; None when empty or wrong (the fault is recorded)."""
        cell = self.cells.get(header)
        if cell is None:
            return None
        try:
            return convert(cell, kind)
        except CellError as exc:
            self.problem(header, str(exc))
            return None

    def problem(self, column: str | None, message: str) -> None:
        self.problems.append(ly.Problem(self.sheet, self.number, column, message))

    def fields(self, columns: tuple[ly.Column, ...]) -> dict[str, Any]:
        """The definition keys these columns give, texts as {"en", "fr"} objects.

        A text whose cells are all empty is absent; one with English only gets "fr": "".
        """
        data: dict[str, Any] = {}
        for column in columns:
            value = self.get(column.header, column.kind)
            if column.lang:
                if value is not None or column.key in data:
                    text = data.setdefault(column.key, dict.fromkeys(ly.LANGUAGES, ""))
                    text[column.lang] = value if value is not None else ""
            elif value is not None:
                data[column.key] = value
        return data

    def forbid(self, columns: tuple[ly.Column, ...], what: str) -> None:
        for column in columns:
            if self.has(column.header):
                self.problem(column.header, f"this column is not used on {what}")


def convert(cell: Cell, kind: str) -> Any:
    value = cell.value
    if cell.data_type == "f":
        raise CellError("formulas are not read: type the value itself")
    if value is None or (
        isinstance(value, str) and not value.strip() and kind != "str"
    ):
        return None
    if kind in ("name", "str", "text", "list"):
        text = _text(value)
        if kind == "name":
            return text.strip()
        if kind == "list":
            return [item.strip() for item in text.split(",") if item.strip()]
        return text
    if kind == "bool":
        return _bool(value)
    if kind == "condition":
        try:
            return parse_expression(_text(value))
        except ExpressionError as exc:
            raise CellError(f"syntax error: {exc}") from None
    number = _number(value, cell.number_format)
    if kind == "int" and not isinstance(number, int):
        raise CellError(f"{value!r} is not a whole number")
    return number


def _text(value: Any) -> str:
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a text")
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if not isinstance(value, str):
        raise CellError(f"{value!r} is not a text")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise CellError(f"{value!r} is not a yes/no value (yes, no, TRUE or FALSE)")


def _number(value: Any, number_format: str) -> int | float:
    if isinstance(value, bool):
        raise CellError(f"{value!r} is not a number")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise CellError(f"{text!r} is not a number") from None
        return value
    if isinstance(value, int):
        # Integral floats are written with a decimal format (see write.FLOAT_FORMAT).
        return float(value) if "." in (number_format or "") else value
    if isinstance(value, float):
        return value
    raise CellError(f"{value!r} is not a number")


def read_rows(sheet: Worksheet, name: str, problems: list[ly.Problem]) -> list[Row]:
    """The sheet's non-empty rows below its header, cells by header."""
    expected = [c.header for c in ly.COLUMNS[name]]
    headers: dict[int, str] = {}
    named: set[int] = set()
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        if _empty(cell):
            continue
        named.add(cell.column)
        header = str(cell.value).strip()
        if header in headers.values():
            problems.append(ly.Problem(name, 1, header, "duplicate column"))
        elif header not in expected:
            hint = difflib.get_close_matches(header, expected, n=1)
            suffix = f" (did you mean {hint[0]}?)" if hint else ""
            problems.append(ly.Problem(name, 1, header, f"unknown column{suffix}"))
        else:
            headers[cell.column] = header
    for header in ly.REQUIRED_COLUMNS[name]:
        if header not in headers.values():
            problems.append(ly.Problem(name, 1, header, "missing column"))
    rows = []
    for cells in sheet.iter_rows(min_row=2):
        if all(_empty(c) for c in cells):
            continue
        for cell in cells:
            if not _empty(cell) and cell.column not in named:
                named.add(cell.column)  # reported once per column
                problems.append(
                    ly.Problem(
                        name,
                        cell.row,
                        get_column_letter(cell.column),
                        "a value in a column without a header",
                    )
                )
        by_header = {headers[c.column]: c for c in cells if c.column in headers}
        rows.append(Row(name, cells[0].row, by_header, problems))
    return rows


def _empty(cell: Any) -> bool:
    return cell.value is None or (
        isinstance(cell.value, str) and not cell.value.strip()
    )
