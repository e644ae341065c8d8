"""The campaign workbook's core: its options, the rows it counts, the shared writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from survey import analytics
from survey import questionnaire as qn
from survey.analytics import Filter
from survey.analytics.sources import counted_scores, counted_uses
from survey.deadlines import zone_label
from survey.exports.cells import Book, Sheet, naive_utc
from survey.models import Campaign, Response, Use
from survey.pages import BAND_LABELS

CHUNK = 2000
# How often (in rows) a long export reports its progress.
PROGRESS_EVERY = 1000
LANGUAGES = ("en", "fr")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Options:
    """What an export holds, as chosen on the dashboard, the admin or the command line."""

    filter: Filter = field(default_factory=Filter)
    language: str = "en"
    codes: bool = False  # option codes in the answer cells instead of their labels
    aggregates_only: bool = False
    format: str = "xlsx"  # or "csv": a zip of the Contractors and Uses sheets
    responses: tuple[int, ...] = ()  # a selection from the admin: detail sheets only

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["responses"] = list(self.responses)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Options:
        known = {f.name for f in fields(Filter)}
        return cls(
            filter=Filter(
                **{k: v for k, v in data.get("filter", {}).items() if k in known}
            ),
            language=data.get("language", "en"),
            codes=bool(data.get("codes")),
            aggregates_only=bool(data.get("aggregates_only")),
            format=data.get("format", "xlsx"),
            responses=tuple(data.get("responses", ())),
        )

    @property
    def details(self) -> bool:
        return not self.aggregates_only

    @property
    def aggregates(self) -> bool:
        return not self.responses


def quiet(done: int, total: int) -> None:
    """No progress report."""


def contractor_rows(campaign: Campaign, options: Options) -> QuerySet[Any]:
    rows = counted_scores(campaign, options.filter)
    if options.responses:
        key = "pk" if options.filter.include_drafts else "response_id"
        rows = rows.filter(**{f"{key}__in": options.responses})
    return rows


def use_rows(campaign: Campaign, options: Options) -> QuerySet[Use]:
    uses = counted_uses(campaign, options.filter)
    if options.responses:
        uses = uses.filter(response_id__in=options.responses)
    return uses


def expected_rows(campaign: Campaign, options: Options) -> int:
    """The detail rows an export will write (its progress bar's 100 %)."""
    if not options.details:
        return 0
    return (
        contractor_rows(campaign, options).count() + use_rows(campaign, options).count()
    )


class Writer:
    """One export in progress: the campaign, its options, the book and what was written.

    Each sheet family is a subclass of this one (survey.exports.summary, details,
    aggregates, reference); survey.exports.campaign joins them into the whole book.
    """

    def __init__(
        self,
        campaign: Campaign,
        options: Options,
        now: datetime,
        progress: Progress,
        book: Any = None,
    ) -> None:
        self.campaign = campaign
        self.options = options
        self.flt = options.filter
        self.now = now
        self.progress = progress
        self.book = book or Book(campaign.handling_banner)
        self.counts: dict[str, int] = {}
        self.questionnaire = campaign.questionnaire.parsed
        self.vendor = campaign.vendor.name
        self.zone = ZoneInfo(campaign.display_timezone)
        self.zone_label = zone_label(campaign.display_timezone)
        self.done = 0
        self.total = expected_rows(campaign, options)
        self.figures: analytics.Dashboard | None = None
        self.band = {k: str(v) for k, v in BAND_LABELS.items()}
        self.status = {k: str(v) for k, v in Response.Status.choices}

    def step(self, rows: int = 1) -> None:
        before = self.done // PROGRESS_EVERY
        self.done += rows
        if self.done // PROGRESS_EVERY != before:
            self.progress(self.done, self.total)

    def finish(self, sheet: Sheet) -> None:
        self.counts[sheet.title] = sheet.rows - (1 if sheet.has_header else 0)

    def local(self, instant: datetime | None) -> datetime | None:
        return instant.astimezone(self.zone).replace(tzinfo=None) if instant else None

    def utc(self, instant: datetime | None) -> datetime | None:
        return naive_utc(instant) if instant else None

    def label(self, mapping: dict[str, str], code: str) -> str:
        return mapping.get(code, code) if code else ""

    def option_labels(self, column: str) -> dict[str, str]:
        question = self.questionnaire.bound(column)
        if column in ("band",):
            return self.band
        if question is None:
            return {}
        values = qn.FIXED_OPTIONS.get(question.type) or [
            o.value for o in question.options
        ]
        return {v: qn.display(question, v, self.vendor) for v in values}
