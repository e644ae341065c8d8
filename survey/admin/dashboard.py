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
from survey.analytics.totals import crosstab_title
from survey.deadlines import describe
from survey.models import Campaign, Response
from survey.pages import BAND_LABELS
from survey.progress import countdown

# The dashboard's transition buckets as the use list's days filter (records.DaysFilter).
DAYS_RANGES = {
    "≤30": "0-30",
    "31–90": "31-90",
    "91–180": "91-180",
    "181–365": "181-365",
    ">365": "366-",
    "unknown": "unknown",
}


@dataclass(frozen=True)
class Cell:
    label: str
    count: Any
    url: str = ""


def option_labels(campaign: Campaign, column: str) -> dict[str, str]:
    """Code → label of the use question bound to `column` (channel, classification)."""
    question = campaign.questionnaire.parsed.bound(column)
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

    def counted(self, figure: str) -> str:
        """The responses behind a contractor figure (admin.responses.AttestedFilter): as
        submitted, or with drafts live; with a filter on the uses, only the owners of
        the uses it keeps."""
        narrowed = (
            {"uses": urlencode(self.flt.query())} if self.flt.narrows_uses else {}
        )
        prefix = "drafts:" if self.flt.include_drafts else ""
        return self.response_list(attested=prefix + figure, **narrowed)

    def use_list(self, **params: str) -> str:
        query: dict[str, Any] = {
            "response__campaign__id__exact": self.campaign,
            "rows": "drafts" if self.flt.include_drafts else "attested",
        }
        # As __in lookups, so that a link's own __exact on the same column narrows
        # further instead of replacing the filter (a High cell under a Low filter: 0).
        for key, lookup in [
            ("band", "band__in"),
            ("channel", "channel__in"),
            ("classification", "classification__in"),
        ]:
            if getattr(self.flt, key):
                query[lookup] = getattr(self.flt, key)
        if self.flt.program:
            query["program"] = self.flt.program
        if self.flt.intermediary:
            query["platform"] = self.flt.intermediary
        return f"{self.uses}?{urlencode({**query, **params})}"

    def contractors(self, **changes: str) -> str:
        """The owners of the uses counted with the filter so changed (a program, a
        channel, a platform: admin.responses.CountedUsesFilter)."""
        return self.response_list(uses=urlencode({**self.flt.query(), **changes}))

    def days(self, key: str, **params: str) -> str:
        """The uses of a days-to-transition bucket (analytics.totals.BUCKET_KEYS)."""
        return self.use_list(days=DAYS_RANGES.get(key, key), **params)

    def response(self, pk: int) -> str:
        return reverse("admin:survey_response_change", args=[pk])

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
                links.counted("none_attested"),
            ),
            Cell(
                _("Direct relationship"),
                dependency.direct,
                links.counted("direct"),
            ),
            Cell(
                _("Indirect only"),
                dependency.indirect_only,
                links.counted("indirect_only"),
            ),
            Cell(
                _("Dependence, direct relationship unknown"),
                dependency.direct_unknown,
                links.counted("direct_unknown"),
            ),
            Cell(
                _("Unresolved"),
                dependency.unresolved,
                links.counted("unresolved"),
            ),
        ],
        "tier_rows": [
            (
                band[t.key],
                Cell("", t.count, links.counted(f"tier:{t.key}")),
                Cell("", e.count, links.counted(f"band:{t.key}")),
            )
            for t, e in zip(bands.tiers, bands.effective_tiers, strict=True)
        ],
        "band_chart": charts.bars(
            "uses-by-band",
            _("Uses by band"),
            [(band[t.key], t.count) for t in bands.uses],
        ),
        "channel_rows": [
            (
                Cell(
                    channel_labels.get(s.key, s.key) or _("(not answered)"),
                    s,
                    links.use_list(channel__exact=s.key),
                ),
                links.contractors(channel=s.key),
            )
            for s in figures.channels.channels
        ],
        "intermediary_rows": [
            (
                Cell(i.label, i, links.use_list(platform=i.key)),
                links.contractors(intermediary=i.key),
            )
            for i in figures.channels.intermediaries
        ],
        "progress_rows": [
            Cell(
                _("Non-respondents"),
                figures.status.non_respondents,
                links.response_list(progress="non_respondent"),
            ),
            Cell(
                _("Overdue"),
                figures.status.overdue,
                links.response_list(progress="overdue"),
            ),
            Cell(_("Late"), figures.status.late, links.response_list(late="yes")),
        ],
        "uses_url": links.use_list(),
        "policy_url": links.use_list(policy="listed"),
        "assumed_contractors_url": links.counted("assumed"),
        "assumed_url": links.use_list(flag_assumed__exact="1"),
        "unresolved_url": links.counted("unresolved"),
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
                [
                    Cell(
                        band[t.key],
                        t.count,
                        links.use_list(program=p.program_key, band__exact=t.key),
                    )
                    for t in p.bands
                    if t.count
                ],
                links.dashboard(base, program=p.program_key),
                {
                    "contractors": links.contractors(program=p.program_key),
                    "uses": links.use_list(program=p.program_key),
                    "unknown_costs": links.use_list(
                        program=p.program_key, cost="unknown"
                    ),
                    "nss": links.use_list(program=p.program_key, nss__exact="yes"),
                    "deliverable": links.use_list(
                        program=p.program_key, flag_deliverable__exact="1"
                    ),
                },
            )
            for p in figures.programs
        ],
        "bucket_rows": [
            (
                bucket.get(a.key, a.key),
                Cell("", a.count, links.days(a.key)),
                Cell("", h.count, links.days(a.key, risk="high")),
            )
            for a, h in zip(
                transition.buckets, transition.high_risk_buckets, strict=True
            )
        ],
        "readiness_rows": _readiness_rows(transition, links),
        "bucket_chart": charts.bars(
            "transition",
            _("Uses by days to transition"),
            [(bucket.get(a.key, a.key), a.count) for a in transition.buckets],
        ),
        "crosstabs": [
            _crosstab(campaign, table, band, links) for table in figures.crosstabs
        ],
        "cost_rows": [
            (
                band[b],
                Cell("", cost, links.use_list(band__exact=b)),
                Cell("", unknown, links.use_list(band__exact=b, cost="unknown")),
            )
            for b, cost, unknown in transition.cost_by_band
        ],
        "unknown_costs_url": links.use_list(cost="unknown"),
        # 20 high-risk and at most 50 policy rows: a reverse() each is cheap here.
        "high_risk": [
            (
                u,
                band.get(u.band, u.band),
                channel_labels.get(u.channel, u.channel),
                links.response(u.response_id),
            )
            for u in figures.high_risk
        ],
        "policy": [
            (
                p.use,
                p.constraint,
                channel_labels.get(p.use.channel, p.use.channel),
                links.response(p.use.response_id),
            )
            for p in figures.policy
        ],
        # The questions behind these two figures, by their ids in this questionnaire.
        "latest_date_label": _(
            "Latest date all uses could be transitioned (%(transition_date)s):"
        )
        % campaign.questionnaire.parsed.bound_ids,
        "inquiry_label": _("Supplier inquiry (%(inquiry_status)s):")
        % campaign.questionnaire.parsed.bound_ids,
        "inquiry_rows": [
            Cell(
                t.key or _("(not asked)"),
                t.count,
                links.counted(f"inquiry:{t.key}") if t.key else "",
            )
            for t in figures.quality.inquiry
        ],
        "band_labels": band,
        "classification_labels": classes,
        "channel_labels": channel_labels,
        "status_labels": statuses,
    }


def _readiness_rows(
    transition: analytics.Transition, links: Links
) -> list[tuple[Any, Cell, Cell]]:
    """The readiness curve, then the target removal date, each share linked to the
    uses (and Critical uses) ready within that many days."""
    date, target_days, share, critical = transition.by_target
    by_target = _("By the target removal date, %(date)s (%(days)s days)") % {
        "date": date,
        "days": target_days,
    }
    rows = [(d, d, s, c) for d, s, c in transition.readiness]
    rows.append((by_target, target_days, share, critical))
    return [
        (
            label,
            Cell("", share, links.use_list(days=f"-{days}")),
            Cell("", critical, links.use_list(days=f"-{days}", band__exact="critical")),
        )
        for label, days, share, critical in rows
    ]


def _crosstab(
    campaign: Campaign, table: analytics.CrossTab, band: dict[str, str], links: Links
) -> dict[str, Any]:
    rows = option_labels(campaign, table.row)
    yes_no = {"yes": _("Yes"), "no": _("No"), "unknown": _("Unknown")}
    columns = band if table.column == "band" else yes_no

    def url(value: str, other: str) -> str:
        # The data categories are a multiple choice, not a column: no admin list.
        if table.row == "data":
            return ""
        return links.use_list(
            **{f"{table.row}__exact": value, f"{table.column}__exact": other}
        )

    return {
        "id": f"x-{table.row}",
        "title": crosstab_title(campaign.questionnaire.parsed, table.row),
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
