"""Recompute a campaign's scores with the scoring version in force (manage.py rescore)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from survey.models import AuditEvent, Campaign, Response, Submission, Use

CHUNK = 500


@dataclass(frozen=True)
class Rescored:
    version: str
    uses: int
    changed: dict[str, int]  # "high→critical": number of uses, live and attested


def rescore(campaign: Campaign, actor: Any = None) -> Rescored:
    """Score every use, response and submission of the campaign again; audited.

    Answers are not touched, nor edit versions: only the derived columns change.
    """
    campaign = Campaign.objects.select_related("questionnaire").get(pk=campaign.pk)
    config = campaign.scoring()
    questionnaire = campaign.questionnaire.parsed
    changed: Counter[str] = Counter()
    count = 0

    def score(uses: list[Use], org: dict[str, Any]) -> None:
        nonlocal count
        for use in uses:
            before = use.band
            use.refresh_derived(questionnaire, org, config)
            count += 1
            if use.band != before:
                changed[f"{before or '—'}→{use.band}"] += 1

    with transaction.atomic():
        responses = (
            Response.objects.filter(campaign=campaign)
            .prefetch_related("uses")
            .order_by("pk")
        )
        for chunk in _chunks(responses):
            uses = []
            for response in chunk:
                response.campaign = campaign  # one instance: its scoring is read once
                live = list(response.uses.all())
                score(live, response.answers)
                response.refresh_scores(live)
                uses += live
            Use.objects.bulk_update(uses, Use.DERIVED_FIELDS)
            Response.objects.bulk_update(chunk, Response.DERIVED_FIELDS)
        submissions = (
            Submission.objects.filter(response__campaign=campaign)
            .prefetch_related(
                Prefetch("attested_uses", queryset=Use.attested.order_by("position"))
            )
            .order_by("pk")
        )
        for chunk in _chunks(submissions):
            uses = []
            for submission in chunk:
                copies = list(submission.attested_uses.all())
                score(copies, submission.answers)
                as_submitted = Response(campaign=campaign, answers=submission.answers)
                as_submitted.refresh_scores(copies)
                for name in Response.DERIVED_FIELDS:
                    setattr(submission, name, getattr(as_submitted, name))
                uses += copies
            # Use.objects is the live rows only: the copies are updated through theirs.
            Use.attested.bulk_update(uses, Use.DERIVED_FIELDS)
            Submission.objects.bulk_update(chunk, Submission.DERIVED_FIELDS)
        AuditEvent.record(
            "scoring.rescored",
            actor=actor,
            obj=campaign,
            campaign=campaign,
            version=config.version,
            uses=count,
            changed_band=dict(changed),
        )
    return Rescored(config.version, count, dict(changed))


def _chunks(queryset: Any) -> Any:
    batch: list[Any] = []
    for row in queryset.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
