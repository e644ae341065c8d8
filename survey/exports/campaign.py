"""The campaign workbook of spec §3: what the program office takes away.

The aggregate sheets are written from survey.analytics, the functions behind the
dashboard, so both show the same figures for the same filter. The detail sheets
(Contractors, Uses and the lists) are streamed: rows come from the database in chunks
through `values_list(...).iterator()` and go straight into openpyxl's write-only sheets,
so memory stays flat in the campaign's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, QuerySet, Sum
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.chart import BarChart, LineChart, Reference

import survey
from survey import analytics
from survey import questionnaire as qn
from survey.analytics import Filter
from survey.analytics.sources import BANDS, counted_scores, counted_uses
from survey.analytics.totals import CROSSTAB_TITLES
from survey.deadlines import zone_label
from survey.exports.cells import DATETIME, MONEY, Book, Column, Sheet, naive_utc
from survey.exports.columns import fields_for
from survey.exports.csvzip import CsvBook
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


def _quiet(done: int, total: int) -> None:
    """No progress report."""


def expected_rows(campaign: Campaign, options: Options) -> int:
    """The detail rows an export will write (its progress bar's 100 %)."""
    if not options.details:
        return 0
    return (
        _contractor_rows(campaign, options).count()
        + _use_rows(campaign, options).count()
    )


def write(
    campaign: Campaign,
    options: Options,
    fileobj: IO[bytes],
    *,
    generated_by: str,
    now: datetime,
    progress: Progress = _quiet,
) -> dict[str, int]:
    """Write the workbook; returns the data rows written per sheet (the manifest's)."""
    with translation.override(options.language):
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
    progress: Progress = _quiet,
) -> dict[str, int]:
    """A zip of the Contractors and Uses sheets as UTF-8 CSV, neutralised the same way."""
    with translation.override(options.language):
        writer = _Writer(campaign, options, now, progress, book=CsvBook())
        writer.contractors()
        writer.uses()
        writer.book.save(fileobj)
        return writer.counts


class _Writer:
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

    # Helpers -------------------------------------------------------------------------

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

    # The whole book ------------------------------------------------------------------

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
        self.manifest(generated_by)
        self.progress(self.total, self.total)

    # Summary -------------------------------------------------------------------------

    def summary(self) -> None:
        f = self.figures
        assert f is not None
        sheet = self.book.sheet(
            _("Summary"),
            [
                Column(_("Figure"), "label", 46),
                Column(_("Value"), "number", 16),
                Column(_("Effective tiers; % of Critical uses"), "number", 18),
            ],
        )
        rows: list[tuple[str, Any, Any]] = []

        def block(title: str) -> None:
            rows.append((f"— {title} —", None, None))

        status = f.status
        block(_("Response status"))
        rows += [
            (_("Invited (not withdrawn)"), status.total, None),
            (_("Responded"), status.responded, None),
            (_("Overdue"), status.overdue, None),
            (_("Submitted late"), status.late, None),
        ]
        rows += [(self.status[t.key], t.count, None) for t in status.counts]
        dep = f.dependency
        block(_("Dependency type (contractors)"))
        dependency_start = len(rows) + 2
        rows += [
            (_("No dependence attested"), dep.none_attested, None),
            (_("Direct relationship"), dep.direct, None),
            (_("Indirect only"), dep.indirect_only, None),
            (_("Dependence, direct relationship unknown"), dep.direct_unknown, None),
            (_("Unresolved"), dep.unresolved, None),
        ]
        dependency_end = len(rows) + 1
        rows.append((_("Contractors counted"), dep.contractors, None))
        block(_("Uses by band"))
        bands_start = len(rows) + 2
        rows += [(self.band[t.key], t.count, None) for t in f.bands.uses]
        bands_end = len(rows) + 1
        rows.append((_("Uses in all"), f.bands.uses_total, None))
        block(_("Contractors by tier (computed / effective)"))
        effective = {t.key: t.count for t in f.bands.effective_tiers}
        rows += [
            (
                _("Tier: %(tier)s") % {"tier": self.band.get(t.key, t.key)},
                t.count,
                effective[t.key],
            )
            for t in f.bands.tiers
        ]
        block(_("Uses that are"))
        flag_labels = {
            "nss": _("NSS"),
            "classified": _("Classified (IL6 and above)"),
            "deliverable": _("Part of a deliverable"),
            "policy_friction": _("Reporting policy friction"),
            "assumed": _("Scored with assumed values"),
        }
        rows += [(flag_labels[k], n, None) for k, n in f.bands.flags.items()]
        t = f.transition
        block(_("Transition"))
        rows += [
            (_("Σ transition cost (USD, ROM)"), t.cost_total, None),
            (_("Uses with unknown cost"), t.unknown_costs, None),
            (_("Median days to transition (D14)"), t.median_days, None),
            (_("90th percentile of days to transition (D14)"), t.p90_days, None),
            (
                _("Latest date all uses could be transitioned (E1a)"),
                t.latest_inquiry_date,
                None,
            ),
        ]
        block(_("Channel concentration (% of uses)"))
        channel_labels = self.option_labels("channel")
        channels_start = len(rows) + 2
        rows += [
            (self.label(channel_labels, s.key) or _("(not answered)"), s.share, None)
            for s in f.channels.channels
        ]
        channels_end = len(rows) + 1
        block(_("Readiness: % of uses that can be transitioned within (days)"))
        readiness_start = len(rows) + 2
        rows += [(str(days), pct, critical) for days, pct, critical in t.readiness]
        readiness_end = len(rows) + 1
        target, _days, pct, critical = t.by_target
        rows.append(
            (_("By the target removal date %(date)s") % {"date": target}, pct, critical)
        )
        for label, value, other in rows:
            sheet.append([label, value, other])
        self.finish(sheet)
        ws = sheet.ws
        charts = [
            (_("Uses by band"), bands_start, bands_end, BarChart, 2),
            (
                _("Contractors by dependency type"),
                dependency_start,
                dependency_end,
                BarChart,
                18,
            ),
            (
                _("Share of uses by channel (%)"),
                channels_start,
                channels_end,
                BarChart,
                34,
            ),
        ]
        # The charts stand in column E, beside the figures, one under the other.
        for title, first, last, kind, top in charts:
            if last < first:
                continue
            chart = kind()
            chart.title = title
            chart.legend = None
            chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last))
            chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
            ws.add_chart(chart, f"E{top}")
        curve = LineChart()
        curve.title = _("Readiness curve (% transitionable within N days)")
        curve.add_data(
            Reference(
                ws,
                min_col=2,
                max_col=3,
                min_row=readiness_start - 1,
                max_row=readiness_end,
            ),
            titles_from_data=True,
        )
        curve.set_categories(
            Reference(ws, min_col=1, min_row=readiness_start, max_row=readiness_end)
        )
        ws.add_chart(curve, f"E{top + 16}")

    # Contractors ---------------------------------------------------------------------

    def contractors(self) -> None:
        attested = not self.flt.include_drafts
        own = "response__" if attested else ""
        fields = fields_for(self.org_questions(), self.vendor, codes=self.options.codes)
        zone = self.zone_label
        sheet = self.book.sheet(
            _("Contractors"),
            [
                Column(_("Response id"), "number", 10),
                Column(_("UEI"), "text", 14),
                Column(_("Organisation"), "text", 30),
                Column(_("CAGE codes"), "text", 14),
                Column(_("Status"), "label", 14),
                Column(_("Submission number"), "number", 10),
                Column(_("Submitted at (UTC)"), "datetime", 17),
                Column(_("Submitted at (%(zone)s)") % {"zone": zone}, "datetime", 17),
                Column(_("Reviewed at (UTC)"), "datetime", 17),
                Column(_("Reviewer"), "text", 22),
                *(f.column for f in fields),
                Column(_("Uses"), "number", 8),
                Column(_("Max C"), "number", 8),
                Column(_("Max days to transition (D14)"), "number", 12),
                Column(_("Σ transition cost (D15)"), "money", 16),
                Column(_("Dependency index (CDI)"), "number", 10),
                Column(_("Tier"), "label", 12),
                Column(_("Override band"), "label", 12),
                Column(_("Effective tier"), "label", 12),
                *(
                    Column(label, "number", 10)
                    for label in _contractor_flags().values()
                ),
                Column(_("Completeness (%)"), "number", 12),
                Column(_("Scoring version"), "label", 12),
            ],
        )
        readers = [f.bind(sheet) for f in fields]
        guard = sheet.guard
        status_cells = {k: guard(str(v)) for k, v in self.status.items()}
        band_cells = {k: guard(v) for k, v in self.band.items()}
        # Each contractor's uses in figures (count, max C, max days, Σ cost): one
        # GROUP BY over the counted uses, read beside the contractors in the same order
        # (by response id), instead of four correlated subqueries per contractor.
        uses = _use_rows(self.campaign, self.options)
        per_response = (
            uses.order_by("response_id")
            .values("response_id")
            .annotate(n=Count("pk"), c=Max("c"), days=Max("days"), cost=Sum("cost"))
            .values_list("response_id", "n", "c", "days", "cost")
            .iterator(chunk_size=CHUNK)
        )
        rows = (
            _contractor_rows(self.campaign, self.options)
            .order_by("response_id" if attested else "pk")
            .values_list(
                "response_id" if attested else "pk",
                f"{own}organisation__uei",
                f"{own}organisation__legal_name",
                f"{own}organisation__cage_codes",
                f"{own}status",
                "number" if attested else "version",
                "submitted_at",
                f"{own}reviewed_at",
                f"{own}reviewed_by__email",
                "answers",
                "cdi",
                "tier",
                f"{own}override_band",
                "effective_tier",
                *(f"flag_{k}" for k in _contractor_flags()),
                "completeness",
                "scoring_version",
            )
        )
        pending = next(per_response, None)
        visible = self.questionnaire.visible_answers
        for row in rows.iterator(chunk_size=CHUNK):
            (pk, uei, name, cage, status, number, submitted, reviewed, reviewer) = row[
                :9
            ]
            answers = row[9] if attested else visible(row[9])
            if not attested:
                number = None
            while pending is not None and pending[0] < pk:
                pending = next(per_response, None)
            if pending is not None and pending[0] == pk:
                uses_n, max_c, max_days, cost = pending[1:]
            else:
                uses_n, max_c, max_days, cost = 0, None, None, None
            cdi, tier, override, effective = row[10:14]
            sheet.append_raw(
                [
                    pk,
                    guard(uei),
                    guard(name),
                    guard(cage),
                    status_cells.get(status),
                    number,
                    sheet.cell(naive_utc(submitted), DATETIME) if submitted else None,
                    sheet.cell(self.local(submitted), DATETIME) if submitted else None,
                    sheet.cell(naive_utc(reviewed), DATETIME) if reviewed else None,
                    guard(reviewer or ""),
                    *[read(answers) for read in readers],
                    uses_n,
                    max_c,
                    max_days,
                    sheet.cell(float(cost), MONEY) if cost is not None else None,
                    cdi,
                    band_cells.get(tier),
                    band_cells.get(override),
                    band_cells.get(effective),
                    *(int(v) for v in row[14:-2]),
                    row[-2],
                    guard(row[-1]),
                ]
            )
            self.step()
        self.finish(sheet)

    def org_questions(self) -> list[qn.Question]:
        return [
            q
            for section in self.questionnaire.sections
            if not section.repeatable
            for q in section.questions
        ]

    # Uses ----------------------------------------------------------------------------

    def uses(self) -> None:
        attested = not self.flt.include_drafts
        section = self.questionnaire.use_section
        questions = list(section.questions) if section else []
        fields = fields_for(questions, self.vendor, codes=self.options.codes)
        sheet = self.book.sheet(
            _("Uses"),
            [
                Column(_("Response id"), "number", 10),
                Column(_("UEI"), "text", 14),
                Column(_("Organisation"), "text", 30),
                Column(_("Use id"), "number", 10),
                Column("#", "number", 5),
                *(f.column for f in fields),
                Column(_("Platform (normalised D3)"), "text", 24),
                Column(_("Supply-chain tier"), "label", 8),
                *(Column(name, "number", 6) for name in _FACTORS),
                Column("DRI", "number", 8),
                Column(_("Band"), "label", 10),
                Column(_("Assumed factors"), "label", 12),
                *(Column(label, "number", 10) for label in _use_flags().values()),
                Column(_("Scoring version"), "label", 12),
            ],
        )
        readers = [f.bind(sheet) for f in fields]
        guard = sheet.guard
        band_cells = {k: guard(v) for k, v in self.band.items()}
        columns = [
            "response_id",
            "response__organisation__uei",
            "response__organisation__legal_name",
            "pk",
            "position",
            "answers",
            "_platform",
            "supply_tier",
            *(name.lower() for name in _FACTORS),
            "dri",
            "band",
            "assumed_factors",
            *(f"flag_{k}" for k in _use_flags()),
            "scoring_version",
        ]
        if not attested:
            # Live rows keep answers a show-if hides (a draft may bring them back):
            # the organisation's answers decide what counts.
            columns.append("response__answers")
        rows = (
            _use_rows(self.campaign, self.options)
            .annotate(_platform=analytics.sources.platform())
            .order_by("response_id", "position", "pk")
            .values_list(*columns)
        )
        visible = self.questionnaire.visible_use_answers
        last_response, org = None, {}
        flags = len(_use_flags())
        for row in rows.iterator(chunk_size=CHUNK):
            answers = row[5]
            if not attested:
                if row[0] != last_response:
                    last_response, org = (
                        row[0],
                        self.questionnaire.visible_answers(row[-1]),
                    )
                answers = visible(answers, org)
                row = row[:-1]
            factors = row[8:16]
            rest = row[16:]
            sheet.append_raw(
                [
                    row[0],
                    guard(row[1]),
                    guard(row[2]),
                    row[3],
                    row[4],
                    *[read(answers) for read in readers],
                    guard(row[6] or ""),
                    guard(row[7]),
                    *factors,
                    rest[0],
                    band_cells.get(rest[1]),
                    guard(rest[2]),
                    *(int(v) for v in rest[3 : 3 + flags]),
                    guard(rest[3 + flags]),
                ]
            )
            self.step()
        self.finish(sheet)

    # Aggregates ----------------------------------------------------------------------

    def by_program(self) -> None:
        f = self.figures
        assert f is not None
        sheet = self.book.sheet(
            _("By program"),
            [
                Column(_("Program key"), "text", 24),
                Column(_("Program"), "text", 30),
                Column(_("PIIDs"), "number", 8),
                Column(_("First PIID"), "text", 18),
                Column(_("Last PIID"), "text", 18),
                Column(_("Contractors"), "number", 11),
                Column(_("Uses"), "number", 8),
                *(Column(self.band[b], "number", 9) for b in BANDS),
                Column(_("Max DRI"), "number", 9),
                Column(_("Σ transition cost"), "money", 16),
                Column(_("Unknown costs"), "number", 10),
                Column(_("Max days to transition"), "number", 12),
                Column(_("NSS uses"), "number", 9),
                Column(_("Deliverable uses"), "number", 10),
            ],
        )
        for p in f.programs:
            sheet.append(
                [
                    p.program_key,
                    p.program,
                    p.piid_count,
                    p.piids[0] if p.piids else "",
                    p.piids[-1] if p.piids else "",
                    p.contractors,
                    p.uses,
                    *(t.count for t in p.bands),
                    p.max_dri,
                    p.cost,
                    p.unknown_costs,
                    p.max_days,
                    p.nss,
                    p.deliverable,
                ]
            )
        self.finish(sheet)

    def crosstab_sheet(self, title: str, tables: Sequence[str]) -> None:
        f = self.figures
        assert f is not None
        sheet = self.book.sheet(
            title,
            [
                Column(_("Table"), "label", 34),
                Column(_("Row code"), "label", 18),
                Column(_("Row"), "label", 30),
                Column(_("Column code"), "label", 12),
                Column(_("Column"), "label", 16),
                Column(_("Uses"), "number", 8),
                Column(_("Contractors"), "number", 11),
            ],
        )
        contractors = analytics.crosstab_contractors(self.campaign, self.flt, tables)
        for table in f.crosstabs:
            if table.row not in tables:
                continue
            rows = self.option_labels(table.row)
            columns = (
                self.band
                if table.column == "band"
                else {"yes": _("Yes"), "no": _("No"), "unknown": _("Unknown")}
            )
            for value, counts in zip(table.rows, table.counts, strict=True):
                for other, n in zip(table.columns, counts, strict=True):
                    sheet.append(
                        [
                            str(CROSSTAB_TITLES[table.row]),
                            value,
                            rows.get(value, value),
                            other,
                            columns.get(other, other),
                            n,
                            contractors.get((table.row, value, other), 0)
                            if table.row != "data"
                            else None,
                        ]
                    )
        self.finish(sheet)

    def by_classification(self) -> None:
        self.crosstab_sheet(_("By classification"), ("classification", "data"))

    def by_function(self) -> None:
        self.crosstab_sheet(_("By function"), ("function", "stage", "oversight"))

    def by_channel(self) -> None:
        f = self.figures
        assert f is not None
        sheet = self.book.sheet(
            _("By channel and intermediary"),
            [
                Column(_("Kind"), "label", 14),
                Column(_("Key"), "text", 26),
                Column(_("Name"), "text", 30),
                Column(_("Contractors"), "number", 11),
                Column(_("Uses"), "number", 8),
                Column(_("Share of uses (%)"), "percent", 10),
                *(Column(self.band[b], "number", 9) for b in BANDS),
            ],
        )
        bands = analytics.channel_bands(self.campaign, self.flt)
        labels = self.option_labels("channel")
        for kind, shares, names in (
            ("channel", f.channels.channels, labels),
            ("intermediary", f.channels.intermediaries, {}),
        ):
            kind_label = (
                _("Channel (D2)") if kind == "channel" else _("Intermediary (D3)")
            )
            for s in shares:
                counts = bands.get((kind, s.key), {})
                sheet.append(
                    [
                        kind_label,
                        s.key,
                        names.get(s.key, s.label) if names else s.label,
                        s.contractors,
                        s.uses,
                        s.share,
                        *(counts.get(b, 0) for b in BANDS),
                    ]
                )
        self.finish(sheet)

    def transition(self) -> None:
        f = self.figures
        assert f is not None
        t = f.transition
        sheet = self.book.sheet(
            _("Transition"),
            [
                Column(_("Table"), "label", 30),
                Column(_("Key"), "text", 22),
                Column(_("Label"), "text", 30),
                Column(_("Uses"), "number", 9),
                Column(_("High or Critical uses"), "number", 12),
                Column(_("% of uses"), "percent", 10),
                Column(_("% of Critical uses"), "percent", 10),
                Column(_("Σ transition cost"), "money", 16),
                Column(_("Unknown costs"), "number", 10),
            ],
        )
        histogram = _("Days to transition (D14)")
        high = {h.key: h.count for h in t.high_risk_buckets}
        for b in t.buckets:
            label = _("Unknown") if b.key == "unknown" else b.key
            sheet.append([histogram, b.key, label, b.count, high[b.key]])
        readiness = _("Readiness curve")
        for days, pct, critical in t.readiness:
            sheet.append(
                [
                    readiness,
                    str(days),
                    _("Within %(days)s days") % {"days": days},
                    None,
                    None,
                    pct,
                    critical,
                ]
            )
        target, days_after, pct, critical = t.by_target
        sheet.append(
            [
                readiness,
                target,
                _("By the target removal date (%(days)s days after the deadline)")
                % {"days": days_after},
                None,
                None,
                pct,
                critical,
            ]
        )
        cost = _("Σ cost by band")
        for band, total, unknown in t.cost_by_band:
            sheet.append(
                [cost, band, self.band[band], None, None, None, None, total, unknown]
            )
        sheet.append(
            [
                cost,
                "all",
                _("All uses"),
                None,
                None,
                None,
                None,
                t.cost_total,
                t.unknown_costs,
            ]
        )
        by_program = _("Σ cost by program")
        for p in f.programs:
            sheet.append(
                [
                    by_program,
                    p.program_key,
                    p.program,
                    p.uses,
                    None,
                    None,
                    None,
                    p.cost,
                    p.unknown_costs,
                ]
            )
        by_contractor = _("Σ cost by contractor")
        for pk, name, uses, total, unknown in analytics.cost_by_contractor(
            self.campaign, self.flt
        ):
            sheet.append(
                [by_contractor, str(pk), name, uses, None, None, None, total, unknown]
            )
        self.finish(sheet)

    def use_list(self, title: str, rows: Iterator[Any], with_text: bool) -> None:
        channels = self.option_labels("channel")
        functions = self.option_labels("function")
        alternatives = self.option_labels("alternative")
        policies = self.option_labels("policy")
        sheet = self.book.sheet(
            title,
            [
                Column(_("Response id"), "number", 10),
                Column(_("Organisation"), "text", 30),
                Column(_("UEI"), "text", 14),
                Column("#", "number", 5),
                Column(_("Use"), "text", 30),
                Column(_("Programs and contracts (D5)"), "text", 24),
                Column(_("Channel (D2)"), "label", 18),
                Column(_("Intermediary (D3)"), "text", 24),
                Column(_("Function (D4)"), "label", 18),
                Column(_("Band"), "label", 10),
                Column("DRI", "number", 8),
                Column("C", "number", 5),
                Column("S", "number", 5),
                Column("E", "number", 5),
                Column(_("Days to transition"), "number", 10),
                Column(_("Transition cost"), "money", 14),
                Column(_("Alternative (D17)"), "label", 18),
                Column(_("Policy friction (D18)"), "label", 18),
                *([Column(_("Constraint (D18a)"), "text", 50)] if with_text else []),
            ],
        )
        for item in rows:
            use, programs, text = item
            sheet.append(
                [
                    use.response_id,
                    use.organisation,
                    use.uei,
                    use.position,
                    use.name,
                    programs,
                    self.label(channels, use.channel),
                    use.intermediary,
                    self.label(functions, use.function),
                    self.band.get(use.band, use.band),
                    use.dri,
                    use.c,
                    use.s,
                    use.e,
                    use.days,
                    use.cost,
                    self.label(alternatives, use.alternative),
                    self.label(policies, use.policy),
                    *([text] if with_text else []),
                ]
            )
        self.finish(sheet)

    def high_risk(self) -> None:
        self.use_list(
            _("High-risk uses"),
            analytics.each_high_risk_use(self.campaign, self.flt),
            with_text=False,
        )

    def policy(self) -> None:
        self.use_list(
            _("Policy constraints"),
            analytics.each_policy_constraint(self.campaign, self.flt),
            with_text=True,
        )

    def data_quality(self) -> None:
        f = self.figures
        assert f is not None
        q = f.quality
        sheet = self.book.sheet(
            _("Data quality"),
            [
                Column(_("Category"), "label", 30),
                Column(_("Count"), "number", 9),
                Column(_("Response id"), "number", 10),
                Column(_("UEI"), "text", 14),
                Column(_("Organisation"), "text", 30),
                Column(_("Status"), "label", 16),
                Column(_("Detail"), "text", 30),
            ],
        )
        inquiry = self.org_option_labels("inquiry_status")
        for label, n in [
            (_("Non-respondents"), q.non_respondents),
            (_("Overdue responses"), q.overdue),
            (_("Unresolved responses"), q.unresolved),
            (_("Uses scored with assumed values (ASSUMED_*)"), q.assumed_uses),
            (_("Contractors with assumed values"), q.assumed_contractors),
        ]:
            sheet.append([label, n])
        for t in q.inquiry:
            sheet.append(
                [
                    _("Supplier inquiry (E2): %(status)s")
                    % {"status": inquiry.get(t.key, t.key) or _("(not asked)")},
                    t.count,
                ]
            )
        for kind, pk, uei, name, status, detail in analytics.each_quality_issue(
            self.campaign, self.flt, self.now
        ):
            sheet.append(
                [
                    {
                        "overdue": _("Overdue responses"),
                        "non_respondent": _("Non-respondents"),
                        "unresolved": _("Unresolved responses"),
                        "assumed": _("Uses scored with assumed values (ASSUMED_*)"),
                    }[kind],
                    None,
                    pk,
                    uei,
                    name,
                    self.status.get(status, status),
                    detail,
                ]
            )
        self.finish(sheet)

    def org_option_labels(self, binding: str) -> dict[str, str]:
        question = self.questionnaire.bound(binding)
        if question is None:
            return {}
        return {o.value: o.label.render(self.vendor) for o in question.options}

    # Method, codebook, manifest ------------------------------------------------------

    def method(self) -> None:
        config = self.campaign.scoring()
        sheet = self.book.sheet(
            _("Method"),
            [Column(_("Item"), "label", 40), Column(_("Value"), "label", 90)],
        )
        rows = [
            (_("Scoring version"), config.version),
            (_("Questionnaire version"), str(self.campaign.questionnaire)),
            (
                _("Substitution difficulty"),
                _(
                    "S = max(1, max(T, Sub) − A); with no alternative identified "
                    "(D17 = No), S is at least the floor below."
                ),
            ),
            (
                _("Formula"),
                _(
                    "Core = C × S (0–16); M = 1 + classified bonus if E ≥ the "
                    "exposure threshold + reliance bonus if R ≥ the reliance "
                    "threshold; DRI = round(100 × Core × M / normaliser, 1). Per "
                    "contractor: CDI = min(100, max DRI + step × (High or Critical "
                    "uses − 1)); tier = band of CDI, or None (attested), or "
                    "Unresolved."
                ),
            ),
            (_("Step per extra High or Critical use"), str(config.extra_high_use_step)),
            (_("Normaliser"), str(config.normaliser)),
            (
                _("Band thresholds (DRI ≥ Critical, High, Medium)"),
                ", ".join(str(v) for v in config.band_thresholds),
            ),
            (
                _("Time thresholds (days for T = 1, 2, 3; beyond or unknown T = 4)"),
                ", ".join(str(v) for v in config.time_thresholds),
            ),
            (
                _("Classified exposure (E ≥) and bonus"),
                f"{config.classified_exposure}, +{config.classified_bonus}",
            ),
            (
                _("Full reliance (R ≥) and bonus"),
                f"{config.full_reliance}, +{config.full_reliance_bonus}",
            ),
            (
                _("No identified alternative: Sub at least"),
                str(config.no_alternative_floor),
            ),
            (
                _("What counts"),
                _(
                    "Dependency figures count the last submission of each response "
                    "that has one (submitted, in review, escalated, accepted, and "
                    "returned while being amended); withdrawn responses count nowhere. "
                    "With drafts included, the live rows are counted instead."
                ),
            ),
            (
                _("NSS"),
                _("National security system (44 U.S.C. 3552), as answered in D7."),
            ),
            (
                _("Reasonable inquiry"),
                _(
                    "An inquiry of the records and people that could know of a use "
                    "(B6), short of a full audit of every supplier."
                ),
            ),
        ]
        section = self.questionnaire.use_section
        for question in section.questions if section else ():
            if question.scores:
                for option in question.options:
                    if option.factor is not None:
                        # The campaign's mapping where it changed the questionnaire's.
                        factor = config.factor(question.id, option.value, option.factor)
                        rows.append(
                            (
                                f"{question.scores} ← {question.id}={option.value}",
                                f"{factor:g} ({option.label.render(self.vendor)})",
                            )
                        )
        for label, value in rows:
            sheet.append([label, value])
        self.finish(sheet)

    def codebook(self) -> None:
        config = self.campaign.scoring()
        sheet = self.book.sheet(
            _("Codebook"),
            [
                Column(_("Question id"), "label", 10),
                Column(_("Section"), "label", 8),
                Column(_("Type"), "label", 12),
                Column(_("Label"), "label", 70),
                Column(_("Option code"), "label", 18),
                Column(_("Option label"), "label", 40),
                Column(_("Factor"), "number", 8),
                Column(_("Required"), "number", 9),
                Column(_("Questionnaire version"), "label", 18),
            ],
        )
        version = str(self.campaign.questionnaire)
        for question in self.questionnaire.questions:
            label = question.label.render(self.vendor)
            sheet.append(
                [
                    question.id,
                    question.section_id,
                    question.type,
                    label,
                    None,
                    None,
                    None,
                    int(question.required),
                    version,
                ]
            )
            values: Sequence[tuple[str, str, float | None]]
            if question.type in qn.FIXED_OPTIONS:
                values = [
                    (v, qn.display(question, v, self.vendor), None)
                    for v in qn.FIXED_OPTIONS[question.type]
                ]
            else:
                values = [
                    (
                        o.value,
                        o.label.render(self.vendor),
                        None
                        if o.factor is None
                        else config.factor(question.id, o.value, o.factor),
                    )
                    for o in question.options
                ]
            for code, option_label, factor in values:
                sheet.append(
                    [
                        question.id,
                        question.section_id,
                        question.type,
                        label,
                        code,
                        option_label,
                        factor,
                        None,
                        version,
                    ]
                )
            for sub in question.subfields:
                sheet.append(
                    [
                        f"{question.id}.{sub.id}",
                        question.section_id,
                        sub.format,
                        sub.label.render(self.vendor),
                        None,
                        None,
                        None,
                        int(sub.required),
                        version,
                    ]
                )
        self.finish(sheet)

    def manifest(self, generated_by: str) -> None:
        campaign = self.campaign
        sheet = self.book.sheet(
            _("Manifest"),
            [Column(_("Item"), "label", 36), Column(_("Value"), "text", 70)],
        )
        flt = self.flt
        filters = ", ".join(f"{k}={v}" for k, v in flt.query().items()) or _("none")
        rows: list[tuple[str, Any]] = [
            (_("Campaign"), campaign.title),
            (_("Campaign slug"), campaign.slug),
            (_("AI vendor"), self.vendor),
            (_("Deadline (UTC)"), naive_utc(campaign.deadline)),
            (
                _("Deadline (%(zone)s)") % {"zone": self.zone_label},
                self.local(campaign.deadline),
            ),
            (_("Generated at (UTC)"), naive_utc(self.now)),
            (_("Generated by"), generated_by),
            (_("Filters"), filters),
            (_("Drafts included"), _("Yes") if flt.include_drafts else _("No")),
            (
                _("Answer cells"),
                _("Option codes") if self.options.codes else _("Labels"),
            ),
            (_("Language"), self.options.language),
            (
                _("Scope"),
                _("%(n)s selected responses") % {"n": len(self.options.responses)}
                if self.options.responses
                else (
                    _("Aggregate sheets only")
                    if self.options.aggregates_only
                    else _("Full")
                ),
            ),
            (_("Questionnaire version"), str(campaign.questionnaire)),
            (_("Scoring version in force"), campaign.scoring().version),
            (
                _("Scoring versions of the rows"),
                ", ".join(self.figures.scoring_versions) if self.figures else "",
            ),
            (_("Handling"), campaign.handling_banner),
            (_("Software"), f"survey {survey.__version__}"),
        ]
        rows += [
            (_("Rows: %(sheet)s") % {"sheet": name}, n)
            for name, n in self.counts.items()
        ]
        for label, value in rows:
            sheet.append([label, value])
        self.finish(sheet)


_FACTORS = ("C", "T", "Sub", "A", "S", "E", "R", "M")


def _contractor_flags() -> dict[str, str]:
    return {
        "direct": _("Direct relationship"),
        "indirect_only": _("Indirect only"),
        "nss": _("NSS"),
        "classified": _("Classified"),
        "deliverable": _("Deliverable"),
        "policy_friction": _("Policy friction"),
        "assumed": _("Assumed values"),
        "unresolved": _("Unresolved"),
    }


def _use_flags() -> dict[str, str]:
    return {
        "nss": _("NSS"),
        "deliverable": _("Deliverable"),
        "classified": _("Classified"),
        "policy_friction": _("Policy friction"),
        "assumed": _("Assumed values"),
    }


def _contractor_rows(campaign: Campaign, options: Options) -> QuerySet[Any]:
    rows = counted_scores(campaign, options.filter)
    if options.responses:
        key = "pk" if options.filter.include_drafts else "response_id"
        rows = rows.filter(**{f"{key}__in": options.responses})
    return rows


def _use_rows(campaign: Campaign, options: Options) -> QuerySet[Use]:
    uses = counted_uses(campaign, options.filter)
    if options.responses:
        uses = uses.filter(response_id__in=options.responses)
    return uses
