"""Where a campaign stands: each organisation's furthest stage, counts, late and silent ones.

Counted in SQL (one aggregate) with the one definition of the effective deadline and of
late (ResponseQuerySet.with_deadline, Response.late_q); the organisation table is read
a page at a time, as plain values, so that the page costs the same at 10 or 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from survey.models import Campaign, Response

STAGES = [
    ("invited", _("Invited")),
    ("opened", _("Opened")),
    ("started", _("Started")),
    ("submitted", _("Submitted")),
    ("in_review", _("In review")),
    ("accepted", _("Accepted")),
]
# Withdrawn responses are listed but left out of the counts: nobody waits for them.
_LABELS = {**dict(STAGES), "withdrawn": _("Withdrawn")}
PAGE_SIZE = 200
S = Response.Status


def stage() -> Case:
    """The furthest stage reached, in SQL; a returned response counts as started again."""
    return Case(
        When(status=S.WITHDRAWN, then=Value("withdrawn")),
        When(status=S.ACCEPTED, then=Value("accepted")),
        When(status__in=(S.IN_REVIEW, S.ESCALATED), then=Value("in_review")),
        When(status=S.SUBMITTED, then=Value("submitted")),
        When(
            Q(started_at__isnull=False) | Q(status__in=(S.IN_PROGRESS, S.RETURNED)),
            then=Value("started"),
        ),
        When(opened_at__isnull=False, then=Value("opened")),
        default=Value("invited"),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class Row:
    pk: int
    organisation: str
    stage: str
    stage_label: str
    status_label: str
    late: bool
    submitted_at: datetime | None


@dataclass(frozen=True)
class Progress:
    campaign: Campaign
    rows: list[Row]
    counts: list[tuple[str, str, int]]
    late: int
    non_respondents: int
    withdrawn: int
    total: int
    remaining: timedelta | None
    page: int
    pages: int


def _annotated(campaign: Campaign, now: datetime) -> QuerySet[Response]:
    return (
        Response.objects.filter(campaign=campaign)
        .with_deadline()
        .annotate(
            _stage=stage(),
            _late=Case(
                When(Response.late_q(now), then=Value(True)),
                default=Value(False),
            ),
        )
    )


def campaign_progress(
    campaign: Campaign, now: datetime, page: int = 1, only_stage: str = ""
) -> Progress:
    """Counts over the whole campaign, and one page of its organisations (two queries)."""
    responses = _annotated(campaign, now)
    active = ~Q(status=S.WITHDRAWN)
    figures: dict[str, Any] = responses.aggregate(
        total=Count("pk"),
        late=Count("pk", filter=Response.late_q(now)),
        non_respondents=Count("pk", filter=active & Q(submitted_at__isnull=True)),
        withdrawn=Count("pk", filter=~active),
        **{key: Count("pk", filter=Q(_stage=key)) for key, _label in STAGES},
    )
    listed = responses.filter(_stage=only_stage) if only_stage in _LABELS else responses
    size = figures["total"] if not only_stage else listed.count()
    pages = max(1, -(-size // PAGE_SIZE))
    page = min(max(1, page), pages)
    statuses = dict(S.choices)
    labels = {key: str(label) for key, label in _LABELS.items()}
    rows = [
        Row(pk, name, key, labels[key], str(statuses.get(status, status)), late, at)
        for pk, name, key, status, late, at in listed.order_by(
            "organisation__legal_name", "pk"
        ).values_list(
            "pk",
            "organisation__legal_name",
            "_stage",
            "status",
            "_late",
            "submitted_at",
        )[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    return Progress(
        campaign=campaign,
        rows=rows,
        counts=[(key, str(label), figures[key]) for key, label in STAGES],
        late=figures["late"],
        non_respondents=figures["non_respondents"],
        withdrawn=figures["withdrawn"],
        total=figures["total"],
        remaining=campaign.deadline - now if campaign.deadline > now else None,
        page=page,
        pages=pages,
    )


def countdown(remaining: timedelta | None) -> str:
    if remaining is None:
        return str(_("The deadline has passed."))
    hours, seconds = divmod(int(remaining.total_seconds()), 3600)
    days, hours = divmod(hours, 24)
    return str(
        _("%(days)d d %(hours)d h %(minutes)d min left")
        % {"days": days, "hours": hours, "minutes": seconds // 60}
    )
