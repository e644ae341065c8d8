"""The aggregate sheets: by program, by classification, by channel, by function and
transition, each written from the same survey.analytics figures as the dashboard."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from survey import analytics
from survey.analytics.sources import BANDS
from survey.analytics.totals import crosstab_title
from survey.exports.cells import Column
from survey.exports.writer import Writer


class AggregateSheets(Writer):
    """The By program, classification, channel, function and Transition sheets."""

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
                            crosstab_title(self.questionnaire, table.row),
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
                _("Channel (%(channel)s)")
                if kind == "channel"
                else _("Intermediary (%(intermediary)s)")
            ) % self.questionnaire.bound_ids
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
        histogram = _("Days to transition (%(days)s)") % self.questionnaire.bound_ids
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
