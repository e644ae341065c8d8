"""The campaign workbook of spec §3: what the program office takes away.

The aggregate sheets are written from survey.analytics, the functions behind the
dashboard, so both show the same figures for the same filter. The detail sheets
(Contractors, Uses and the lists) are streamed: rows come from the database in chunks
through `values_list(...).iterator()` and go straight into openpyxl's write-only sheets,
so memory stays flat in the campaign's size.

Each sheet family has its module (summary, details, aggregates, lists, reference) on
the shared state of survey.exports.writer; this one puts the book together, reading
every sheet in one snapshot (survey.exports.snapshot).
"""

from __future__ import annotations

from datetime import datetime
from typing import IO

from django.utils import translation

from survey import analytics
from survey.exports.aggregates import AggregateSheets
from survey.exports.csvzip import CsvBook
from survey.exports.details import DetailSheets
from survey.exports.lists import ListSheets
from survey.exports.reference import ReferenceSheets
from survey.exports.snapshot import snapshot
from survey.exports.summary import SummarySheet
from survey.exports.writer import (
    CHUNK,
    LANGUAGES,
    Options,
    Progress,
    expected_rows,
    quiet,
)
from survey.models import Campaign

__all__ = [
    "CHUNK",
    "LANGUAGES",
    "Options",
    "Progress",
    "expected_rows",
    "write",
    "write_csv",
]


def write(
    campaign: Campaign,
    options: Options,
    fileobj: IO[bytes],
    *,
    generated_by: str,
    now: datetime,
    progress: Progress = quiet,
) -> dict[str, int]:
    """Write the workbook; returns the data rows written per sheet (the manifest's).

    Every sheet is read in one snapshot (survey.exports.snapshot); `progress` is called
    inside it, so it must write nothing on this thread's connection.
    """
    with translation.override(options.language):
        with snapshot():
            writer = _Writer(campaign, options, now, progress)
            writer.book_sheets(generated_by)
        writer.book.save(fileobj)
        return writer.counts


def write_csv(
    campaign: Campaign,
    options: Options,
    fileobj: IO[bytes],
    *,
    generated_by: str,
    now: datetime,
    progress: Progress = quiet,
) -> dict[str, int]:
    """A zip of the Contractors and Uses sheets as UTF-8 CSV, neutralised the same way."""
    with translation.override(options.language):
        with snapshot():
            writer = _Writer(campaign, options, now, progress, book=CsvBook())
            writer.contractors()
            writer.uses()
        writer.book.save(fileobj)
        return writer.counts


class _Writer(SummarySheet, DetailSheets, AggregateSheets, ListSheets, ReferenceSheets):
    def book_sheets(self, generated_by: str) -> None:
        if self.options.aggregates:
            self.figures = analytics.dashboard(
                self.campaign, self.flt, self.now, programs=None, policy=None
            )
            self.summary()
        if self.options.details:
            self.contractors()
            self.uses()
        if self.options.aggregates:
            self.by_program()
            self.by_classification()
            self.by_channel()
            self.by_function()
            self.transition()
            self.high_risk()
            self.policy()
            self.data_quality()
        self.method()
        self.codebook()
        self.sanitised()
        self.manifest(generated_by)
        self.progress(self.total, self.total)
