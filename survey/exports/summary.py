"""The Summary sheet: the dashboard's headline figures, with charts beside them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from openpyxl.chart import BarChart, LineChart, Reference

from survey.exports.cells import Column
from survey.exports.writer import Writer


class SummarySheet(Writer):
    """The Summary sheet."""

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
        ids = self.questionnaire.bound_ids
        rows += [
            (_("Σ transition cost (USD, ROM)"), t.cost_total, None),
            (_("Uses with unknown cost"), t.unknown_costs, None),
            (_("Median days to transition (%(days)s)") % ids, t.median_days, None),
            (
                _("90th percentile of days to transition (%(days)s)") % ids,
                t.p90_days,
                None,
            ),
            (
                _("Latest date all uses could be transitioned (%(transition_date)s)")
                % ids,
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
