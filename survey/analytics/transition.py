"""How long and how much a transition takes (spec §3 Transition)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.db.models.fields.json import KeyTextTransform

from survey.analytics.figures import Tally
from survey.analytics.sources import (
    BANDS,
    HIGH_RISK,
    Filter,
    counted_scores,
    counted_uses,
)
from survey.models import Campaign
from survey.scoring import Band

TRANSITION_BUCKETS = ((30, "≤30"), (90, "31–90"), (180, "91–180"), (365, "181–365"))
READINESS_DAYS = (30, 60, 90, 180, 365)
# Question id of definition v1 read from the JSON answers (bindings come with the next
# campaign's issue): the supplier inquiry's expected completion date.
INQUIRY_DATE = "E1a"


@dataclass(frozen=True)
class Transition:
    buckets: tuple[Tally, ...]
    high_risk_buckets: tuple[Tally, ...]
    median_days: int | None
    p90_days: int | None
    readiness: tuple[tuple[int, float, float], ...]  # days, % of uses, % of Critical
    cost_by_band: tuple[tuple[str, Decimal, int], ...]  # band, Σ cost, unknown costs
    cost_total: Decimal
    unknown_costs: int
    latest_inquiry_date: str | None


def _buckets(prefix: str, extra: Q) -> dict[str, Count]:
    counts: dict[str, Count] = {}
    low = -1
    for high, key in TRANSITION_BUCKETS:
        counts[f"{prefix}{key}"] = Count(
            "pk", filter=extra & Q(days__gt=low, days__lte=high)
        )
        low = high
    counts[f"{prefix}>365"] = Count("pk", filter=extra & Q(days__gt=low))
    counts[f"{prefix}unknown"] = Count("pk", filter=extra & Q(days__isnull=True))
    return counts


def transition(campaign: Campaign, flt: Filter) -> Transition:
    """How long and how much (four queries: figures, two percentiles, E1a)."""
    uses = counted_uses(campaign, flt)
    everything, high = Q(), Q(band__in=HIGH_RISK)
    critical = Q(band=Band.CRITICAL)
    figures = uses.aggregate(
        total=Count("pk"),
        critical=Count("pk", filter=critical),
        known=Count("days"),
        cost_sum=Sum("cost"),
        unknown_costs=Count("pk", filter=Q(cost__isnull=True)),
        **_buckets("a", everything),
        **_buckets("h", high),
        **{f"r{d}": Count("pk", filter=Q(days__lte=d)) for d in READINESS_DAYS},
        **{
            f"c{d}": Count("pk", filter=critical & Q(days__lte=d))
            for d in READINESS_DAYS
        },
        **{f"sum_{b}": Sum("cost", filter=Q(band=b)) for b in BANDS},
        **{
            f"unknown_{b}": Count("pk", filter=Q(band=b, cost__isnull=True))
            for b in BANDS
        },
    )
    keys = [key for _high, key in TRANSITION_BUCKETS] + [">365", "unknown"]

    def pct(n: int, of: int) -> float:
        return round(100 * n / of, 1) if of else 0.0

    def percentile(fraction: float) -> int | None:
        # Nearest rank, in the database: the k-th smallest known D14.
        known = figures["known"]
        if not known:
            return None
        rank = max(1, -(-int(fraction * 100) * known // 100))
        return (
            uses.filter(days__isnull=False)
            .order_by("days")
            .values_list("days", flat=True)[rank - 1]
        )

    return Transition(
        buckets=tuple(Tally(k, figures[f"a{k}"]) for k in keys),
        high_risk_buckets=tuple(Tally(k, figures[f"h{k}"]) for k in keys),
        median_days=percentile(0.5),
        p90_days=percentile(0.9),
        readiness=tuple(
            (
                d,
                pct(figures[f"r{d}"], figures["total"]),
                pct(figures[f"c{d}"], figures["critical"]),
            )
            for d in READINESS_DAYS
        ),
        cost_by_band=tuple(
            (b, _money(figures[f"sum_{b}"]), figures[f"unknown_{b}"]) for b in BANDS
        ),
        cost_total=_money(figures["cost_sum"]),
        unknown_costs=figures["unknown_costs"],
        latest_inquiry_date=_latest_inquiry_date(campaign, flt),
    )


def _latest_inquiry_date(campaign: Campaign, flt: Filter) -> str | None:
    # ISO dates sort as text, so the latest is the largest.
    rows = counted_scores(campaign, flt).filter(route="dependence")
    return rows.aggregate(latest=Max(KeyTextTransform(INQUIRY_DATE, "answers")))[
        "latest"
    ]


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))
