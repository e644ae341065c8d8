"""Campaign figures, computed in the database: the one source of the dashboard, its JSON
and the workbook.

Each function takes a campaign and a Filter and returns frozen data (no querysets, no
HTML), in a fixed number of queries whatever the campaign's size.

What counts (spec §3): the dependency figures count what was attested, the last
submission of every response that has one (submitted, in review, escalated, accepted,
and given back while being amended), through the copies kept at submission
(Use.attested, Submission's score columns). Withdrawn responses count nowhere. With
`include_drafts` the figures read the live rows instead, drafts included, to show the
picture forming before the deadline. Status and data-quality figures always read the
live responses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from survey.analytics.detail import (
    channel_bands,
    cost_by_contractor,
    crosstab_contractors,
    each_high_risk_use,
    each_policy_constraint,
    each_quality_issue,
)
from survey.analytics.figures import (
    Bands,
    Channels,
    CrossTab,
    DependencyTypes,
    ProgramRow,
    Share,
    Status,
    Tally,
    bands,
    by_program,
    channels,
    crosstabs,
    dependency_types,
    status,
)
from survey.analytics.lists import (
    DataQuality,
    PolicyRow,
    UseRow,
    data_quality,
    high_risk_uses,
    policy_constraints,
)
from survey.analytics.sources import Filter, counted_scores, counted_uses
from survey.analytics.totals import Totals, scan
from survey.analytics.transition import Transition, transition
from survey.models import Campaign

__all__ = [
    "Bands",
    "Channels",
    "CrossTab",
    "Dashboard",
    "DataQuality",
    "DependencyTypes",
    "Filter",
    "PolicyRow",
    "ProgramRow",
    "Share",
    "Status",
    "Tally",
    "Totals",
    "Transition",
    "UseRow",
    "bands",
    "by_program",
    "channel_bands",
    "channels",
    "cost_by_contractor",
    "crosstab_contractors",
    "counted_scores",
    "counted_uses",
    "crosstabs",
    "dashboard",
    "data_quality",
    "dependency_types",
    "each_high_risk_use",
    "each_policy_constraint",
    "each_quality_issue",
    "high_risk_uses",
    "policy_constraints",
    "scan",
    "status",
    "transition",
]


@dataclass(frozen=True)
class Dashboard:
    filter: Filter
    status: Status
    dependency: DependencyTypes
    bands: Bands
    programs: tuple[ProgramRow, ...]
    channels: Channels
    crosstabs: tuple[CrossTab, ...]
    transition: Transition
    high_risk: tuple[UseRow, ...]
    policy: tuple[PolicyRow, ...]
    policy_total: int
    quality: DataQuality
    scoring_versions: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


POLICY_SHOWN = 50
PROGRAMS_SHOWN = 50


def dashboard(
    campaign: Campaign,
    flt: Filter,
    now: datetime,
    *,
    programs: int | None = PROGRAMS_SHOWN,
    policy: int | None = POLICY_SHOWN,
) -> Dashboard:
    """Every figure of the dashboard, for one campaign and filter (a dozen queries).

    The workbook asks for every program (`programs=None`) and streams the policy
    constraints itself (`policy=0`).
    """
    totals = scan(campaign, flt)
    progress = status(campaign, now)
    versions = (
        counted_uses(campaign, Filter(include_drafts=flt.include_drafts))
        .order_by()
        .values_list("scoring_version", flat=True)
        .distinct()
    )
    return Dashboard(
        filter=flt,
        status=progress,
        dependency=dependency_types(campaign, flt, totals),
        bands=bands(campaign, flt, totals),
        programs=by_program(campaign, flt, limit=programs),
        channels=channels(campaign, flt, totals),
        crosstabs=crosstabs(campaign, flt),
        transition=transition(campaign, flt, totals),
        high_risk=high_risk_uses(campaign, flt),
        policy=policy_constraints(campaign, flt, limit=policy),
        policy_total=totals.uses["policy_listed"],
        quality=data_quality(campaign, flt, now, totals, progress),
        scoring_versions=tuple(sorted(versions)),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
