"""How long and how much a transition takes (spec §3 Transition)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count

from survey.analytics.figures import Tally
from survey.analytics.sources import (
    BANDS,
    Filter,
    counted_uses,
)
from survey.analytics.totals import BUCKET_KEYS, READINESS_DAYS, Totals, scan
from survey.models import Campaign


@dataclass(frozen=True)
class Transition:
    buckets: tuple[Tally, ...]
    high_risk_buckets: tuple[Tally, ...]
    median_days: int | None
    p90_days: int | None
    readiness: tuple[tuple[int, float, float], ...]  # days, % of uses, % of Critical
    # By the campaign's target removal date: (date, days after the deadline, %, %).
    by_target: tuple[str, int, float, float]
    cost_by_band: tuple[tuple[str, Decimal, int], ...]  # band, Σ cost, unknown costs
    cost_total: Decimal
    unknown_costs: int
    latest_inquiry_date: str | None


def transition(
    campaign: Campaign, flt: Filter, totals: Totals | None = None
) -> Transition:
    """How long and how much (one query of its own: the days histogram)."""
    totals = totals or scan(campaign, flt)
    figures = totals.uses

    def pct(n: int, of: int) -> float:
        return round(100 * n / of, 1) if of else 0.0

    median, p90 = percentiles(campaign, flt, (50, 90))
    return Transition(
        buckets=tuple(Tally(k, figures[f"a{k}"]) for k in BUCKET_KEYS),
        high_risk_buckets=tuple(Tally(k, figures[f"h{k}"]) for k in BUCKET_KEYS),
        median_days=median,
        p90_days=p90,
        readiness=tuple(
            (
                d,
                pct(figures[f"r{d}"], figures["total"]),
                pct(figures[f"c{d}"], figures["critical"]),
            )
            for d in READINESS_DAYS
        ),
        by_target=(
            campaign.removal_target.isoformat(),
            campaign.days_to_removal,
            pct(figures["r_target"], figures["total"]),
            pct(figures["c_target"], figures["critical"]),
        ),
        cost_by_band=tuple(
            (b, _money(figures[f"sum_{b}"]), figures[f"unknown_{b}"]) for b in BANDS
        ),
        cost_total=_money(figures["cost_sum"]),
        unknown_costs=figures["unknown_costs"],
        latest_inquiry_date=totals.scores["latest_inquiry"],
    )


def percentiles(
    campaign: Campaign, flt: Filter, ranks: tuple[int, ...]
) -> tuple[int | None, ...]:
    """Nearest-rank percentiles of the known days to transition (D14).

    The database groups the uses by their number of days (a few hundred values at
    most); the ranks are read off that histogram.
    """
    histogram = list(
        counted_uses(campaign, flt)
        .filter(days__isnull=False)
        .values("days")
        .annotate(n=Count("pk"))
        .order_by("days")
        .values_list("days", "n")
    )
    known = sum(n for _days, n in histogram)
    found: list[int | None] = []
    for percent in ranks:
        if not known:
            found.append(None)
            continue
        rank, seen = max(1, -(-percent * known // 100)), 0
        for days, n in histogram:
            seen += n
            if seen >= rank:
                found.append(days)
                break
    return tuple(found)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))
