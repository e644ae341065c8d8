"""The campaign dashboard: the analytics figures as tables, charts and drill-down links.

The view lives on CampaignAdmin (its scoping decides who may see a campaign); this module
turns the figures into rows for the template, with every label and link made here once,
so that the template only loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from survey import analytics, charts
from survey.analytics import Filter
from survey.analytics.totals import CROSSTAB_TITLES, DATA_CATEGORIES
from survey.deadlines import describe
from survey.models import USE_COLUMNS, Campaign, Response
from survey.pages import BAND_LABELS
from survey.progress import countdown


@dataclass(frozen=True)
class Cell:
    label: str
    count: Any
    url: str = ""


def option_labels(campaign: Campaign, column: str) -> dict[str, str]:
    """Code → label of the use question stored in `column` (channel, classification)."""
    questionnaire = campaign.questionnaire.parsed
    qid = (
        DATA_CATEGORIES
        if column == "data"
        else next((q for q, name in USE_COLUMNS.items() if name == column), "")
    )
    section = questionnaire.use_section
    question = next(
        (q for q in (section.questions if section else ()) if q.id == qid), None
    )
    vendor = campaign.vendor.name
    return (
        {o.value: o.label.render(vendor) for o in question.options} if question else {}
    )


class Links:
    """Admin list URLs behind each count, for one campaign (and the dashboard filter)."""

    def __init__(self, campaign: Campaign, flt: Filter) -> None:
        self.responses = reverse("admin:survey_response_changelist")
        self.uses = reverse("admin:survey_use_changelist")
        self.campaign = campaign.pk
        self.flt = flt

    def response_list(self, **params: str) -> str:
        query = {"campaign__id__exact": self.campaign, **params}
        return f"{self.responses}?{urlencode(query)}"

    def counted(self, figure: str, **live: str) -> str:
        """The responses behind a contractor figure: as submitted, or with drafts live."""
        if self.flt.include_drafts:
            return self.response_list(**live)
        return self.response_list(attested=figure)

    def use_list(self, **params: str) -> str:
        query: dict[str, Any] = {"response__campaign__id__exact": self.campaign}
        if not self.flt.include_drafts:
            query["rows"] = "attested"
        for key, lookup in [
            ("band", "band__exact"),
            ("channel", "channel__exact"),
            ("classification", "classification__exact"),
        ]:
            if getattr(self.flt, key):
                query[lookup] = getattr(self.flt, key)
        return f"{self.uses}?{urlencode({**query, **params})}"

    def dashboard(self, base: str, **changes: str) -> str:
        return f"{base}?{urlencode({**self.flt.query(), **changes})}"


def context(
    campaign: Campaign,
    flt: Filter,
    figures: analytics.Dashboard,
    now: datetime,
    base: str,
) -> dict[str, Any]:
    """Everything the dashboard template shows."""
    links = Links(campaign, flt)
    statuses = dict(Response.Status.choices)
    channel_labels = option_labels(campaign, "channel")
    classes = option_labels(campaign, "classification")
    band = {key: str(label) for key, label in BAND_LABELS.items()}
    bands = figures.bands
    dependency = figures.dependency
    transition = figures.transition
    bucket = {"unknown": _("Unknown")}
    in_force = campaign.scoring().version
    return {
        "figures": figures,
        "scoring_in_force": in_force,
        "scoring_stale": any(v != in_force for v in figures.scoring_versions),
        "scoring_url": f"{reverse('admin:survey_scoringversion_add')}?campaign={campaign.pk}",
        "deadline": describe(campaign.deadline, campaign.display_timezone),
        "countdown": countdown(
            campaign.deadline - now if campaign.deadline > now else None
        ),
        "json_url": links.dashboard(base, format="json"),
        "export_url": links.dashboard(
            reverse("admin:survey_campaign_export", args=[campaign.pk])
        ),
        "filters": {
            "bands": [(key, band[key]) for key in analytics.sources.BANDS],
            "statuses": list(Response.Status.choices),
            "channels": list(channel_labels.items()),
            "classifications": list(classes.items()),
            "programs": [(p.program_key, p.program) for p in figures.programs],
            "intermediaries": [
                (i.key, i.label) for i in figures.channels.intermediaries
            ],
        },
        "status_rows": [
            Cell(
                str(statuses[t.key]), t.count, links.response_list(status__exact=t.key)
            )
            for t in figures.status.counts
        ],
        "use_band_rows": [
            Cell(band[t.key], t.count, links.use_list(band__exact=t.key))
            for t in bands.uses
        ],
        "dependency_rows": [
            Cell(
                _("Contractors counted"), dependency.contractors, links.counted("all")
            ),
            Cell(
                _("No dependence attested"),
                dependency.none_attested,
                links.counted("none_attested", route__exact="no_dependence"),
            ),
            Cell(
                _("Direct relationship"),
                dependency.direct,
                links.counted("direct", flag_direct__exact="1"),
            ),
            Cell(
                _("Indirect only"),
                dependency.indirect_only,
                links.counted("indirect_only", flag_indirect_only__exact="1"),
            ),
            Cell(
                _("Dependence, direct relationship unknown"),
                dependency.direct_unknown,
                links.counted(
                    "direct_unknown",
                    route__exact="dependence",
                    flag_direct__exact="0",
                    flag_indirect_only__exact="0",
                ),
            ),
            Cell(
                _("Unresolved"),
                dependency.unresolved,
                links.counted("unresolved", route__exact="unresolved"),
            ),
        ],
        "tier_rows": [
            (
                band[t.key],
                Cell("", t.count, links.counted(f"tier:{t.key}", tier__exact=t.key)),
                Cell("", e.count, links.counted(f"band:{t.key}", band=t.key)),
            )
            for t, e in zip(bands.tiers, bands.effective_tiers, strict=True)
        ],
        "band_chart": charts.bars(
            "uses-by-band",
            _("Uses by band"),
            [(band[t.key], t.count) for t in bands.uses],
        ),
        "channel_rows": [
            Cell(
                channel_labels.get(s.key, s.key) or _("(not answered)"),
                s,
                links.use_list(channel__exact=s.key),
            )
            for s in figures.channels.channels
        ],
        "intermediary_rows": [
            Cell(i.label, i, links.use_list(q=i.label))
            for i in figures.channels.intermediaries
        ],
        "assumed_url": links.use_list(flag_assumed__exact="1"),
        "unresolved_url": links.counted("unresolved", route__exact="unresolved"),
        "channel_chart": charts.bars(
            "channels",
            _("Share of uses by channel"),
            [
                (channel_labels.get(s.key, s.key) or "—", s.share)
                for s in figures.channels.channels
            ],
            unit=" %",
        ),
        "programs": [
            (
                p,
                [(band[t.key], t.count) for t in p.bands],
                links.dashboard(base, program=p.program_key),
            )
            for p in figures.programs
        ],
        "bucket_rows": [
            (bucket.get(a.key, a.key), a.count, h.count)
            for a, h in zip(
                transition.buckets, transition.high_risk_buckets, strict=True
            )
        ],
        "bucket_chart": charts.bars(
            "transition",
            _("Uses by days to transition"),
            [(bucket.get(a.key, a.key), a.count) for a in transition.buckets],
        ),
        "crosstabs": [
            _crosstab(campaign, table, band, links) for table in figures.crosstabs
        ],
        "cost_rows": [
            (band[b], cost, unknown) for b, cost, unknown in transition.cost_by_band
        ],
        "high_risk": [
            (u, band.get(u.band, u.band), channel_labels.get(u.channel, u.channel))
            for u in figures.high_risk
        ],
        "policy": [
            (p.use, p.constraint, channel_labels.get(p.use.channel, p.use.channel))
            for p in figures.policy
        ],
        "inquiry_rows": [
            (t.key or _("(not asked)"), t.count) for t in figures.quality.inquiry
        ],
        "band_labels": band,
        "classification_labels": classes,
        "channel_labels": channel_labels,
        "status_labels": statuses,
    }


def _crosstab(
    campaign: Campaign, table: analytics.CrossTab, band: dict[str, str], links: Links
) -> dict[str, Any]:
    rows = option_labels(campaign, table.row)
    yes_no = {"yes": _("Yes"), "no": _("No"), "unknown": _("Unknown")}
    columns = band if table.column == "band" else yes_no

    def url(value: str, other: str) -> str:
        # D9 is a multiple choice, not a column: its cells have no admin list behind.
        if table.row == "data":
            return ""
        return links.use_list(
            **{f"{table.row}__exact": value, f"{table.column}__exact": other}
        )

    return {
        "id": f"x-{table.row}",
        "title": str(CROSSTAB_TITLES.get(table.row, table.row)),
        "columns": [columns.get(c, c) for c in table.columns],
        "rows": [
            (
                rows.get(value, value),
                [
                    Cell("", n, url(value, other) if n else "")
                    for other, n in zip(table.columns, counts, strict=True)
                ],
            )
            for value, counts in zip(table.rows, table.counts, strict=True)
            if any(counts)
        ],
    }
