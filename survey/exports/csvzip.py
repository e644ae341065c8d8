"""The CSV option: the Contractors and Uses sheets as UTF-8 CSV files in one zip.

CsvBook and CsvSheet offer the calls the campaign writer makes on a workbook, so the
same rows, guarded by the same cell writer, go to either format.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Sequence
from typing import IO, Any

from survey.exports.cells import Column, plain


class CsvSheet:
    def __init__(self, title: str, columns: Sequence[Column], path: str) -> None:
        self.title = title
        self.columns = tuple(columns)
        self.path = path
        self.has_header = True
        self.rows = 0
        # Spooled to disk beyond 8 MB: a campaign's rows never sit in memory.
        self.buffer = io.TextIOWrapper(
            _spooled(), encoding="utf-8", newline="", write_through=True
        )
        self.writer = csv.writer(self.buffer)
        self.append([c.header for c in self.columns])

    def guard(self, value: str) -> str | None:
        return value or None

    def cell(self, value: Any, number_format: str) -> Any:
        return value

    def text(self, value: Any) -> str:
        return str(value)

    def append(self, values: Sequence[Any]) -> None:
        self.writer.writerow([plain(v) for v in values])
        self.rows += 1

    append_raw = append


def _spooled() -> Any:
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115


class CsvBook:
    def __init__(self) -> None:
        self.sheets: list[CsvSheet] = []

    def sheet(self, title: str, columns: Sequence[Column], **_kw: Any) -> CsvSheet:
        name = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
        sheet = CsvSheet(title, columns, f"{name}.csv")
        self.sheets.append(sheet)
        return sheet

    def save(self, fileobj: IO[bytes]) -> None:
        with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for sheet in self.sheets:
                raw = sheet.buffer.detach()
                raw.seek(0)
                with archive.open(sheet.path, "w") as target:
                    # A BOM, so that Excel reads the file as UTF-8.
                    target.write(b"\xef\xbb\xbf")
                    while chunk := raw.read(1 << 20):
                        target.write(chunk)
                raw.close()
