"""Where a campaign stands: each organisation's furthest stage, counts, late and silent ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
_REVIEW = {Response.Status.IN_REVIEW, Response.Status.ESCALATED}


def stage(response: Response) -> str:
    """The furthest stage reached; a returned response counts as started again."""
    if response.status == Response.Status.WITHDRAWN:
        return "withdrawn"
    if response.status == Response.Status.ACCEPTED:
        return "accepted"
    if response.status in _REVIEW:
        return "in_review"
    if response.status == Response.Status.SUBMITTED:
        return "submitted"
    if response.started_at or response.status in (
        Response.Status.IN_PROGRESS,
        Response.Status.RETURNED,
    ):
        return "started"
    if response.opened_at:
        return "opened"
    return "invited"


@dataclass(frozen=True)
class Row:
    response: Response
    stage: str
    stage_label: str
    late: bool
    responded: bool


@dataclass(frozen=True)
class Progress:
    campaign: Campaign
    rows: list[Row]
    counts: list[tuple[str, str, int]]
    late: int
    non_respondents: int
    withdrawn: int
    remaining: timedelta | None


def campaign_progress(campaign: Campaign, now: datetime) -> Progress:
    responses = campaign.responses.select_related("organisation", "campaign").order_by(
        "organisation__legal_name"
    )
    rows = []
    for response in responses:
        deadline = response.effective_deadline
        key = stage(response)
        active = key != "withdrawn"
        responded = response.submitted_at is not None or not active
        late = active and (response.submitted_at or now) > deadline
        rows.append(Row(response, key, str(_LABELS[key]), late, responded))
    counts = [
        (key, str(label), sum(1 for r in rows if r.stage == key))
        for key, label in STAGES
    ]
    remaining = campaign.deadline - now if campaign.deadline > now else None
    return Progress(
        campaign=campaign,
        rows=rows,
        counts=counts,
        late=sum(1 for r in rows if r.late),
        non_respondents=sum(1 for r in rows if not r.responded),
        withdrawn=sum(1 for r in rows if r.stage == "withdrawn"),
        remaining=remaining,
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
