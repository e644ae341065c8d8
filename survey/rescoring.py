"""Recompute a campaign's scores with the scoring version in force (manage.py rescore)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from survey import questionnaire as qn
from survey.models import (
    AuditEvent,
    Campaign,
    IntermediaryAlias,
    Response,
    Submission,
    Use,
)

CHUNK = 500


@dataclass(frozen=True)
class Rescored:
    version: str
    uses: int
    changed: dict[str, int]  # "high→critical": number of uses, live and attested


def rescore(campaign: Campaign, actor: Any = None) -> Rescored:
    """Score the live rows and the last submission of every response again; audited.

    Answers and edit versions are not touched, only derived columns. Each chunk of
    responses is row-locked in its own transaction, so a contractor's save is never
    overwritten with scores of older answers, and saves wait for one chunk at most.
    Earlier submissions keep the scores they were submitted with; the last one is read
    with the questionnaire version it was given on, which its campaign may have left.
    """
    campaign = Campaign.objects.select_related("questionnaire").get(pk=campaign.pk)
    config = campaign.scoring()
    questionnaire = campaign.questionnaire.parsed
    changed: Counter[str] = Counter()
    count = 0
    aliases = IntermediaryAlias.mapping()

    def score(uses: list[Use], org: dict[str, Any], given_on: qn.Questionnaire) -> None:
        nonlocal count
        for use in uses:
            before = use.band
            use.refresh_derived(given_on, org, config, aliases)
            count += 1
            if use.band != before:
                changed[f"{before or '—'}→{use.band}"] += 1

    # Untouched invitations have no scores to recompute (no answer routes them).
    pks = list(
        Response.objects.filter(campaign=campaign)
        .exclude(answers={})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for first in range(0, len(pks), CHUNK):
        with transaction.atomic():
            chunk = list(
                Response.objects.select_for_update(of=("self",))
                .filter(pk__in=pks[first : first + CHUNK])
                .prefetch_related(
                    "uses",
                    Prefetch(
                        "submissions",
                        # The version's digest, for its parsed definition (cached
                        # by digest); the definition itself only on a cache miss.
                        queryset=Submission.objects.filter(latest=True)
                        .select_related("questionnaire")
                        .defer("questionnaire__definition")
                        .prefetch_related(
                            Prefetch(
                                "attested_uses",
                                queryset=Use.attested.order_by("position"),
                            )
                        ),
                        to_attr="last",
                    ),
                )
            )
            live: list[Use] = []
            copies: list[Use] = []
            submissions: list[Submission] = []
            for response in chunk:
                response.campaign = campaign  # one instance: its scoring is read once
                uses = list(response.uses.all())
                score(uses, response.answers, questionnaire)
                response.refresh_scores(uses)
                live += uses
                for submission in response.last:
                    given_on = submission.version_parsed()
                    attested = list(submission.attested_uses.all())
                    score(attested, submission.answers, given_on)
                    as_submitted = Response(
                        campaign=campaign, answers=submission.answers
                    )
                    as_submitted.refresh_scores(attested, given_on)
                    for name in Response.DERIVED_FIELDS:
                        setattr(submission, name, getattr(as_submitted, name))
                    copies += attested
                    submissions.append(submission)
            Use.objects.bulk_update(live, Use.DERIVED_FIELDS)
            # Use.objects is the live rows only: the copies are updated through theirs.
            Use.attested.bulk_update(copies, Use.DERIVED_FIELDS)
            Response.objects.bulk_update(chunk, Response.DERIVED_FIELDS)
            Submission.objects.bulk_update(submissions, Submission.DERIVED_FIELDS)
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
