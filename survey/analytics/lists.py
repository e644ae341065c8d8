"""Lists of uses and data quality (spec §3 High-risk uses, Policy constraints, Data quality)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import CharField, Count, Q, Value
from django.db.models.functions import Coalesce

from survey.analytics.figures import Status, Tally, status
from survey.analytics.sources import HIGH_RISK, Filter, counted_scores, counted_uses
from survey.analytics.totals import Totals, answer_text, policy_listed, scan
from survey.models import Campaign, QuestionnaireVersion

TOP_HIGH_RISK = 20


@dataclass(frozen=True)
class UseRow:
    """One use in a list (high-risk uses, policy constraints)."""

    response_id: int
    organisation: str
    uei: str
    position: int
    name: str
    channel: str
    intermediary: str
    band: str
    dri: float | None
    c: int | None
    s: int | None
    e: int | None
    days: int | None
    cost: Decimal | None
    alternative: str
    policy: str
    function: str


_USE_ROW = (
    "response_id",
    "response__organisation__legal_name",
    "response__organisation__uei",
    "position",
    "name",
    "channel",
    "intermediary",
    "band",
    "dri",
    "c",
    "s",
    "e",
    "days",
    "cost",
    "alternative",
    "policy",
    "function",
)


def high_risk_uses(campaign: Campaign, flt: Filter) -> tuple[UseRow, ...]:
    """The top uses by DRI among High and Critical ones (one query)."""
    rows = (
        counted_uses(campaign, flt)
        .filter(band__in=HIGH_RISK)
        .order_by("-dri", "response__organisation__legal_name", "position")
        .values_list(*_USE_ROW)[:TOP_HIGH_RISK]
    )
    return tuple(UseRow(*row) for row in rows)


@dataclass(frozen=True)
class PolicyRow:
    use: UseRow
    constraint: str  # the D18a text


def policy_constraints(
    campaign: Campaign, flt: Filter, limit: int | None = None
) -> tuple[PolicyRow, ...]:
    """The uses with a policy constraint (D18 ≠ No), with its explanation (one query);
    all of them, or the first `limit` by contractor."""
    questionnaire = campaign.questionnaire.parsed
    rows = (
        counted_uses(campaign, flt)
        .filter(policy_listed(questionnaire))
        .annotate(_text=answer_text(questionnaire, "policy_detail"))
        .order_by("response__organisation__legal_name", "position")
        .values_list(*_USE_ROW, "_text")
    )
    return tuple(PolicyRow(UseRow(*row[:-1]), row[-1] or "") for row in rows[:limit])


def inquiry_status_is(code: str) -> Q:
    """Answers whose supplier-inquiry status is `code`, whichever question of
    whichever stored questionnaire version is bound to it."""
    ids = {
        v.parsed.binding("inquiry_status") for v in QuestionnaireVersion.objects.all()
    }
    condition = Q(pk__in=[])
    for qid in sorted(ids - {""}):
        condition |= Q(**{f"answers__{qid}": code})
    return condition


@dataclass(frozen=True)
class DataQuality:
    non_respondents: int
    overdue: int
    unresolved: int
    assumed_uses: int
    assumed_contractors: int
    inquiry: tuple[Tally, ...]  # supplier-inquiry status → contractors


def data_quality(
    campaign: Campaign,
    flt: Filter,
    now: datetime,
    totals: Totals | None = None,
    progress: Status | None = None,
) -> DataQuality:
    """What is missing or uncertain (one query of its own: the inquiry statuses)."""
    progress = progress or status(campaign, now)
    totals = totals or scan(campaign, flt)
    questionnaire = campaign.questionnaire.parsed
    # A questionnaire that does not ask about the supplier inquiry has no statuses.
    inquiry = (
        counted_scores(campaign, flt)
        .annotate(
            _e2=Coalesce(
                answer_text(questionnaire, "inquiry_status"),
                Value(""),
                output_field=CharField(),
            )
        )
        .values("_e2")
        .annotate(n=Count("pk"))
        .order_by("_e2")
        if questionnaire.binding("inquiry_status")
        else []
    )
    return DataQuality(
        non_respondents=progress.non_respondents,
        overdue=progress.overdue,
        unresolved=totals.scores["unresolved"],
        assumed_uses=totals.uses["f_assumed"],
        assumed_contractors=totals.scores["assumed"],
        inquiry=tuple(Tally(r["_e2"], r["n"]) for r in inquiry),
    )
