"""The two scans most figures read: one aggregate over the counted uses, one over the
counted contractors. The dashboard runs each once and hands them to every figure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Count, Max, Q, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext_lazy

from survey.analytics.sources import (
    BANDS,
    HIGH_RISK,
    TIERS,
    Filter,
    counted_scores,
    counted_uses,
)
from survey.models import Campaign
from survey.questionnaire import FIXED_OPTIONS, Questionnaire
from survey.scoring import Band

TRANSITION_BUCKETS = ((30, "≤30"), (90, "31–90"), (180, "91–180"), (365, "181–365"))
BUCKET_KEYS = (*(key for _high, key in TRANSITION_BUCKETS), ">365", "unknown")
READINESS_DAYS = (30, 60, 90, 180, 365)
USE_FLAGS = ("nss", "classified", "deliverable", "policy_friction", "assumed")
# Cross-tabulations of spec §3: a use column by another (By classification, By function).
CROSSTABS = (
    ("classification", "band"),
    ("function", "band"),
    ("stage", "band"),
    ("oversight", "nss"),
)
# Each names its questions by the ids of the campaign's questionnaire (crosstab_title).
CROSSTAB_TITLES = {
    "classification": gettext_lazy("Classification (%(classification)s) by band"),
    "function": gettext_lazy("Function (%(function)s) by band"),
    "stage": gettext_lazy("Stage (%(stage)s) by band"),
    "oversight": gettext_lazy("Human oversight (%(oversight)s) by NSS (%(nss)s)"),
    "data": gettext_lazy("Data categories (%(data)s) by band"),
}


def crosstab_title(questionnaire: Questionnaire, row: str) -> str:
    """The title of the cross-tabulation of `row`, naming the questionnaire's ids."""
    return str(CROSSTAB_TITLES[row]) % questionnaire.bound_ids


@dataclass(frozen=True)
class Totals:
    uses: dict[str, Any]
    scores: dict[str, Any]


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


def options(campaign: Campaign, column: str) -> tuple[str, ...]:
    """The option codes of the use question bound to `column` (channel, data, ...)."""
    if column == "band":
        return BANDS
    question = campaign.questionnaire.parsed.bound(column)
    if question is None:
        return ()
    if question.type in FIXED_OPTIONS:
        return FIXED_OPTIONS[question.type]
    return tuple(o.value for o in question.options)


def _use_aggregates(campaign: Campaign) -> dict[str, Any]:
    critical = Q(band=Band.CRITICAL)
    by_target = Q(days__lte=campaign.days_to_removal)
    return {
        "r_target": Count("pk", filter=by_target),
        "c_target": Count("pk", filter=critical & by_target),
        "total": Count("pk"),
        **{f"f_{f}": Count("pk", filter=Q(**{f"flag_{f}": True})) for f in USE_FLAGS},
        **{f"b_{b}": Count("pk", filter=Q(band=b)) for b in BANDS},
        "critical": Count("pk", filter=critical),
        "cost_sum": Sum("cost"),
        "unknown_costs": Count("pk", filter=Q(cost__isnull=True)),
        **_buckets("a", Q()),
        **_buckets("h", Q(band__in=HIGH_RISK)),
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
        "policy_listed": Count(
            "pk", filter=policy_listed(campaign.questionnaire.parsed)
        ),
    }


def answer_text(questionnaire: Questionnaire, binding: str) -> Any:
    """The JSON answer to the question bound to `binding`, as text (NULL if unbound)."""
    qid = questionnaire.binding(binding)
    return KeyTextTransform(qid, "answers") if qid else Value(None, CharField())


def policy_listed(questionnaire: Questionnaire) -> Q:
    """The uses reporting a policy constraint: a policy answer not flagged as none."""
    return ~Q(policy__in=("", *questionnaire.flagged("unconstrained")))


def _score_aggregates(questionnaire: Questionnaire) -> dict[str, Any]:
    dependence = Q(route="dependence")
    return {
        "contractors": Count("pk"),
        "none_attested": Count("pk", filter=Q(route="no_dependence")),
        "direct": Count("pk", filter=dependence & Q(flag_direct=True)),
        "indirect_only": Count("pk", filter=dependence & Q(flag_indirect_only=True)),
        # Dependence through B2-B5 while B1 (a direct relationship) is Unknown.
        "direct_unknown": Count(
            "pk", filter=dependence & Q(flag_direct=False, flag_indirect_only=False)
        ),
        "unresolved": Count("pk", filter=Q(route="unresolved")),
        "assumed": Count("pk", filter=Q(flag_assumed=True)),
        **{f"t_{t}": Count("pk", filter=Q(tier=t)) for t in TIERS},
        **{f"e_{t}": Count("pk", filter=Q(effective_tier=t)) for t in TIERS},
        # ISO dates sort as text, so the latest is the largest.
        "latest_inquiry": Max(
            answer_text(questionnaire, "transition_date"), filter=dependence
        ),
    }


def scan(campaign: Campaign, flt: Filter) -> Totals:
    """Two queries, whatever the campaign's size."""
    return Totals(
        uses=counted_uses(campaign, flt).aggregate(**_use_aggregates(campaign)),
        scores=counted_scores(campaign, flt).aggregate(
            **_score_aggregates(campaign.questionnaire.parsed)
        ),
    )
