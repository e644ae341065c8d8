"""The figures only the workbook shows in full: whole lists, streamed from the database
in chunks (generators of frozen rows, never a list of the campaign), and the breakdowns
behind the workbook's extra columns."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum

from survey.analytics.lists import _USE_ROW, UseRow
from survey.analytics.sources import (
    HIGH_RISK,
    Filter,
    counted_scores,
    counted_uses,
    platform,
)
from survey.analytics.totals import CROSSTABS, answer_text, policy_listed
from survey.models import Campaign, Response

CHUNK = 2000


def _programs(text: str | None) -> str:
    try:
        value = json.loads(text) if text else []
    except (TypeError, ValueError):
        return ""
    return "; ".join(str(v) for v in value) if isinstance(value, list) else ""


def each_high_risk_use(
    campaign: Campaign, flt: Filter
) -> Iterator[tuple[UseRow, str, str]]:
    """Every High and Critical use, by DRI (the dashboard shows the first 20)."""
    rows = (
        counted_uses(campaign, flt)
        .filter(band__in=HIGH_RISK)
        .annotate(_programs=answer_text(campaign.questionnaire.parsed, "programs"))
        .order_by("-dri", "response__organisation__legal_name", "position")
        .values_list(*_USE_ROW, "_programs")
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield UseRow(*row[:-1]), _programs(row[-1]), ""


def each_policy_constraint(
    campaign: Campaign, flt: Filter
) -> Iterator[tuple[UseRow, str, str]]:
    """Every use with a policy constraint (D18 ≠ No), with its D18a text."""
    questionnaire = campaign.questionnaire.parsed
    rows = (
        counted_uses(campaign, flt)
        .filter(policy_listed(questionnaire))
        .annotate(
            _programs=answer_text(questionnaire, "programs"),
            _text=answer_text(questionnaire, "policy_detail"),
        )
        .order_by("response__organisation__legal_name", "position")
        .values_list(*_USE_ROW, "_programs", "_text")
    )
    for row in rows.iterator(chunk_size=CHUNK):
        yield UseRow(*row[:-2]), _programs(row[-2]), row[-1] or ""


def cost_by_contractor(
    campaign: Campaign, flt: Filter
) -> Iterator[tuple[int, str, int, Decimal, int]]:
    """Σ transition cost per contractor (response id, name, uses, Σ, unknown costs),
    the largest first."""
    rows = (
        counted_uses(campaign, flt)
        .values("response_id", "response__organisation__legal_name")
        .annotate(
            n=Count("pk"),
            total=Sum("cost"),
            unknown=Count("pk", filter=Q(cost__isnull=True)),
        )
        .order_by("-total", "response__organisation__legal_name", "response_id")
        .values_list(
            "response_id", "response__organisation__legal_name", "n", "total", "unknown"
        )
    )
    for pk, name, n, total, unknown in rows.iterator(chunk_size=CHUNK):
        yield pk, name, n, Decimal(str(total or 0)).quantize(Decimal("0.01")), unknown


def crosstab_contractors(
    campaign: Campaign, flt: Filter, tables: Sequence[str]
) -> dict[tuple[str, str, str], int]:
    """Contractors behind each cell of the use-column cross-tabulations (one query per
    table; D9's lists are not columns and get none)."""
    uses = counted_uses(campaign, flt).order_by()
    owner = "response_id" if flt.include_drafts else "submission_id"
    found: dict[tuple[str, str, str], int] = {}
    for row, column in CROSSTABS:
        if row not in tables:
            continue
        for value, other, n in (
            uses.values(row, column)
            .annotate(n=Count(owner, distinct=True))
            .values_list(row, column, "n")
        ):
            found[(row, value, other)] = n
    return found


def channel_bands(
    campaign: Campaign, flt: Filter
) -> dict[tuple[str, str], dict[str, int]]:
    """Uses by band for each channel and each intermediary platform (two queries)."""
    uses = counted_uses(campaign, flt).order_by()
    found: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for channel, band, n in (
        uses.values("channel", "band")
        .annotate(n=Count("pk"))
        .values_list("channel", "band", "n")
    ):
        found[("channel", channel)][band] = n
    for key, band, n in (
        uses.exclude(intermediary_key="")
        .annotate(_platform=platform())
        .values("_platform", "band")
        .annotate(n=Count("pk"))
        .values_list("_platform", "band", "n")
    ):
        found[("intermediary", key)][band] = n
    return dict(found)


def each_quality_issue(
    campaign: Campaign, flt: Filter, now: datetime
) -> Iterator[tuple[str, int, str, str, str, str]]:
    """The responses behind the data-quality figures: (kind, response id, UEI, name,
    status, detail) for overdue and other non-respondents, unresolved contractors and
    uses scored with assumed values."""
    responses = (
        Response.objects.filter(campaign=campaign, submitted_at__isnull=True)
        .exclude(status=Response.Status.WITHDRAWN)
        .with_deadline()
        .order_by("organisation__legal_name", "pk")
        .values_list(
            "pk", "organisation__uei", "organisation__legal_name", "status", "_deadline"
        )
    )
    for pk, uei, name, status, deadline in responses.iterator(chunk_size=CHUNK):
        kind = "overdue" if deadline <= now else "non_respondent"
        yield kind, pk, uei, name, status, ""
    owner = "pk" if flt.include_drafts else "response_id"
    prefix = "" if flt.include_drafts else "response__"
    unresolved = (
        counted_scores(campaign, flt)
        .filter(route="unresolved")
        .order_by(f"{prefix}organisation__legal_name", owner)
        .values_list(
            owner,
            f"{prefix}organisation__uei",
            f"{prefix}organisation__legal_name",
            f"{prefix}status",
        )
    )
    for pk, uei, name, status in unresolved.iterator(chunk_size=CHUNK):
        yield "unresolved", pk, uei, name, status, ""
    assumed = (
        counted_uses(campaign, flt)
        .filter(flag_assumed=True)
        .order_by("response__organisation__legal_name", "response_id", "position")
        .values_list(
            "response_id",
            "response__organisation__uei",
            "response__organisation__legal_name",
            "response__status",
            "position",
            "assumed_factors",
        )
    )
    for pk, uei, name, status, position, factors in assumed.iterator(chunk_size=CHUNK):
        yield "assumed", pk, uei, name, status, _use_detail(position, factors)


def _use_detail(position: int, factors: str) -> str:
    return f"#{position}: ASSUMED_{factors}" if factors else f"#{position}"
