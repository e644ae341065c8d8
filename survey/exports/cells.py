"""The one cell writer: every workbook and CSV of the product goes through it.

Rules (spec §3, checklist EX-1/EX-2):
- a user's string is always stored as text, never as a formula: openpyxl turns a plain
  string starting with "=" into one, so such strings, and the others that Excel or
  LibreOffice may read as a formula or a DDE command (+ - @ tab CR LF, full-width
  forms), become text cells with Excel's quote prefix;
- characters XML forbids are removed (openpyxl would abort the whole file), among them
  the noncharacters U+FFFE and U+FFFF and lone surrogates, which openpyxl's own check
  lets through;
- text over Excel's cell limit (counted in UTF-16 units, as Excel counts: an emoji is
  two) is cut, with a visible marker;
- every cell so changed is noted on its book (Book.changed), for the workbook's
  "Sanitised cells" sheet, which also holds the whole text of a cut cell;
- sheet titles are unique, at most 31 characters, without []:*?/\\.

Only strings that may carry such things pay for the guard: option labels and codes are
guarded once per export (columns.Field.bind), numbers and dates pass as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

EXCEL_CELL_LIMIT = 32_767
TRUNCATED = " […]"
# Leading characters after which a spreadsheet may start a formula or a DDE command.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
TITLE_LIMIT = 31
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MONEY = '#,##0.00 "USD"'
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
PERCENT = "0.0"

FIRST_DATA_ROW = 2
# What XML 1.0 forbids in text (openpyxl's ILLEGAL_CHARACTERS_RE covers the controls
# only; lxml refuses the rest with a ValueError that would end the whole export).
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Below this many characters no string can pass the limit, even all in surrogate pairs.
_SURELY_SHORT = EXCEL_CELL_LIMIT // 2


def clean(value: str) -> str:
    """`value` without XML-illegal characters, cut to Excel's cell limit.

    Returns `value` itself when nothing had to change (Sheet.text relies on it).
    """
    if ILLEGAL.search(value):
        value = ILLEGAL.sub("", value)
    if len(value) > _SURELY_SHORT and excel_length(value) > EXCEL_CELL_LIMIT:
        value = utf16_head(value, EXCEL_CELL_LIMIT - len(TRUNCATED)) + TRUNCATED
    return value


def excel_length(text: str) -> int:
    """The length Excel counts: UTF-16 code units (a character beyond U+FFFF is two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_head(text: str, units: int) -> str:
    """The longest start of `text` of at most `units` UTF-16 units, whole characters."""
    encoded = text.encode("utf-16-le", "surrogatepass")[: 2 * units]
    # A high surrogate left without its pair: drop it.
    if len(encoded) >= 2 and 0xD8 <= encoded[-1] <= 0xDB:
        encoded = encoded[:-2]
    return encoded.decode("utf-16-le", "surrogatepass")


def utf16_parts(text: str, units: int) -> list[str]:
    """`text` in consecutive parts of at most `units` UTF-16 units each."""
    parts = []
    while text:
        head = utf16_head(text, units) or text[0]
        parts.append(head)
        text = text[len(head) :]
    return parts


def risky(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula (leading spaces ignored)."""
    return text.lstrip(" ").startswith(TRIGGERS)


def naive_utc(instant: datetime) -> datetime:
    """openpyxl refuses aware datetimes: UTC, with the zone named in the header."""
    return instant.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Changed:
    """A cell whose text the writer had to change (clean), and where it was written."""

    sheet: str
    cell: str  # "F12"
    column: str  # its header
    first: Any  # the row's first value: the response id on the detail sheets
    original: str
    written: str

    @property
    def removed(self) -> str:
        """The characters taken out, as code points ("U+0000 U+0007"), each once."""
        found = sorted(set(ILLEGAL.findall(self.original)))
        return " ".join(f"U+{ord(c):04X}" for c in found)

    @property
    def full(self) -> str:
        """The whole text, as far as a workbook can hold it (without those characters)."""
        return ILLEGAL.sub("", self.original)

    @property
    def cut(self) -> bool:
        return self.written != self.full


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, width and how its values are written.

    kind: "text" (a user's string: guarded), "label" (strings of the definition or
    the code: guarded too, cheap to repeat), "number", "money", "percent", "date",
    "datetime" (naive UTC or local, named in the header).
    """

    header: str
    kind: str = "text"
    width: int = 16


class Sheet:
    """A write-only worksheet with a frozen bold header row, widths, an autofilter and
    the handling banner; `append` takes plain values and writes them typed."""

    def __init__(
        self,
        book: Book,
        title: str,
        columns: Sequence[Column],
        *,
        header: bool = True,
    ) -> None:
        self.book = book
        self.ws: WriteOnlyWorksheet = book.workbook.create_sheet(book.title(title))
        self.title = self.ws.title
        self.columns = tuple(columns)
        self.rows = 0  # rows written, the header included
        self.has_header = header
        ws = self.ws
        if header:
            ws.freeze_panes = f"A{FIRST_DATA_ROW}"  # the header stays in view
        for index, column in enumerate(self.columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        if book.banner:
            ws.oddHeader.center.text = book.banner
            ws.oddFooter.center.text = book.banner
        self._styles: dict[str, Any] = {}
        self._changed: dict[int, tuple[WriteOnlyCell, str, str]] = {}
        self._formats = tuple(_FORMATS.get(c.kind) for c in self.columns)
        self._texts = tuple(c.kind in ("text", "label") for c in self.columns)
        if header and self.columns:
            bold = Font(bold=True)
            cells = []
            for column in self.columns:
                cell = self.text(column.header)
                cell.font = bold
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                cells.append(cell)
            self._append(cells)

    def text(self, value: Any) -> WriteOnlyCell:
        """A cell holding `value` as inert text."""
        raw = str(value)
        text = clean(raw)
        cell = WriteOnlyCell(self.ws)
        # Assigned directly: the value setter would read a leading "=" as a formula.
        cell._value = text
        cell.data_type = "s"
        if risky(text):
            cell.quotePrefix = True
        if text is not raw:
            # Its place is known once the row is appended (_note_changes). The cell is
            # kept here, so its id() cannot be reused by another object meanwhile; its
            # text too, as openpyxl may write the next value of the row into an
            # unstyled cell once it has written it.
            self._changed[id(cell)] = (cell, raw, text)
        return cell

    def guard(self, value: str) -> str | WriteOnlyCell | None:
        """A string as written: as is when harmless (openpyxl stores it as text)."""
        if not value:
            return None
        if value[0] in _FIRST_RISKY or len(value) > _SURELY_SHORT:
            return self.text(value)
        # isprintable() is False for every character XML forbids (controls, surrogates,
        # noncharacters), and much cheaper than the regular expression it spares most
        # strings.
        if not value.isprintable() and ILLEGAL.search(value):
            return self.text(value)
        return value

    def cell(self, value: Any, number_format: str) -> WriteOnlyCell:
        """A number or date with a number format. The style is made once per format
        and shared: setting number_format on every cell cost more than the cell."""
        style = self._styles.get(number_format)
        if style is None:
            template = WriteOnlyCell(self.ws)
            template.number_format = number_format
            style = self._styles[number_format] = template._style
        cell = WriteOnlyCell(self.ws)
        cell._style = style
        cell.value = value
        return cell

    def append(self, values: Sequence[Any]) -> None:
        """One row of plain values, in column order, typed by the columns' kinds."""
        row: list[Any] = []
        for value, fmt, is_text in zip(
            values, self._formats, self._texts, strict=False
        ):
            if value is None or value == "":
                row.append(None)
            elif isinstance(value, str):
                row.append(self.guard(value) if is_text else self.text(value))
            elif isinstance(value, Cell):
                row.append(value)
            elif isinstance(value, bool):
                row.append(int(value))
            elif isinstance(value, datetime):
                naive = naive_utc(value) if value.tzinfo is not None else value
                row.append(self.cell(naive, fmt or DATETIME))
            elif isinstance(value, date):
                row.append(self.cell(value, fmt or DATE))
            elif fmt is not None:
                row.append(self.cell(value, fmt))
            elif isinstance(value, Decimal):
                row.append(float(value))
            elif isinstance(value, int | float):
                row.append(value)
            else:  # a lazy translation, a UUID...
                row.append(self.guard(str(value)))
        self._append(row)

    def append_raw(self, row: Sequence[Any]) -> None:
        """A row already made of guarded strings, numbers and cells (the hot loops)."""
        self._append(row)

    def _append(self, row: Sequence[Any]) -> None:
        self.ws.append(row)
        self.rows += 1
        if self._changed:
            self._note_changes(row)

    def _note_changes(self, row: Sequence[Any]) -> None:
        # A changed cell may be shared by many rows (a label prepared once per export):
        # each place it is written is noted.
        first = row[0] if row else None
        if isinstance(first, Cell):
            first = first.value
        for index, value in enumerate(row):
            found = self._changed.get(id(value))
            if found is not None and found[0] is value:
                self.book.changed.append(
                    Changed(
                        sheet=self.title,
                        cell=f"{get_column_letter(index + 1)}{self.rows}",
                        column=self.columns[index].header
                        if index < len(self.columns)
                        else "",
                        first=first,
                        original=found[1],
                        written=found[2],
                    )
                )

    def close(self) -> None:
        """The autofilter covers what was written (set last: the range is known now)."""
        if self.has_header and self.columns and self.rows:
            last = get_column_letter(len(self.columns))
            self.ws.auto_filter.ref = f"A1:{last}{self.rows}"


_FIRST_RISKY = frozenset(t[0] for t in TRIGGERS) | {" "}
_FORMATS = {
    "money": MONEY,
    "date": DATE,
    "datetime": DATETIME,
    "percent": PERCENT,
}


class Book:
    """A write-only workbook whose sheets get unique, valid titles."""

    def __init__(self, banner: str = "") -> None:
        self.workbook = Workbook(write_only=True)
        self.banner = clean(banner)
        self._titles: set[str] = set()
        self.sheets: list[Sheet] = []
        self.changed: list[Changed] = []

    def title(self, wanted: str) -> str:
        base = _TITLE_FORBIDDEN.sub(" ", clean(wanted)).strip(" '") or "Sheet"
        title, n = base[:TITLE_LIMIT], 1
        while title.casefold() in self._titles:
            n += 1
            suffix = f" ({n})"
            title = base[: TITLE_LIMIT - len(suffix)] + suffix
        self._titles.add(title.casefold())
        return title

    def sheet(
        self, title: str, columns: Sequence[Column], *, header: bool = True
    ) -> Sheet:
        sheet = Sheet(self, title, columns, header=header)
        self.sheets.append(sheet)
        return sheet

    def save(self, fileobj: IO[bytes]) -> None:
        for sheet in self.sheets:
            sheet.close()
        self.workbook.save(fileobj)


def plain(value: Any) -> Any:
    """A value for a CSV file: text as the sheet would show it, numbers as numbers."""
    if value is None:
        return ""
    if isinstance(value, Cell):
        value = value.value
    if isinstance(value, str):
        text = clean(value)
        # CSV has no text type: a leading quote keeps a spreadsheet from evaluating it.
        return "'" + text if risky(text) else text
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value
