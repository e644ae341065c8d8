"""Excel and CSV exports: one cell writer (cells), question columns (columns), the
campaign workbook (campaign, on the shared state of writer, one module per sheet family:
summary, details, aggregates, lists, reference; read in one transaction, snapshot), a
contractor's own download (contractor) and the CSV zip (csvzip). The only package that
uses openpyxl."""

from __future__ import annotations

from survey.exports.campaign import Options, expected_rows, write, write_csv
from survey.exports.cells import EXCEL_CELL_LIMIT, TRIGGERS, TRUNCATED
from survey.exports.contractor import response_workbook

__all__ = [
    "EXCEL_CELL_LIMIT",
    "TRIGGERS",
    "TRUNCATED",
    "Options",
    "expected_rows",
    "response_workbook",
    "write",
    "write_csv",
]
