"""Moving a campaign to another version of its questionnaire (issue 11 §6, DL-8): what
the move would drop, and the move itself, mixed into Campaign."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext

from survey import questionnaire as qn
from survey import scoring
from survey.models.accounts import User
from survey.models.questionnaires import QuestionnaireVersion, canonical_json
from survey.questionnaire import compare

if TYPE_CHECKING:
    from survey.models.campaigns import Campaign
    from survey.models.responses import Response

# Responses read and written per query during a move (all in one transaction).
CHUNK = 500


@dataclass(frozen=True)
class Dropped:
    """The answers to one question a move drops: from how many responses, and uses."""

    question_id: str
    responses: int
    uses: int


@dataclass(frozen=True)
class MoveReport:
    """What moving a campaign's live responses from one version to another changes."""

    versions: tuple[str, str]  # from, to (the definitions' version numbers)
    changes: dict[str, str]  # question id → compare.NEW or compare.CHANGED
    removed: tuple[str, ...]  # questions of the old version the new one lacks
    dropped: tuple[Dropped, ...]  # in the old version's order, strays last
    responses: int  # live responses looked at
    affected: int  # of which losing at least one answer

    def counts(self) -> dict[str, dict[str, int]]:
        """Question id → {"responses": n, "uses": m}: ids and numbers, never answers."""
        return {
            d.question_id: {"responses": d.responses, "uses": d.uses}
            for d in self.dropped
        }

    def fingerprint(self) -> str:
        """Digest of the counts: the move is refused if they changed since a preview."""
        document = {
            "versions": self.versions,
            "responses": self.responses,
            "dropped": self.counts(),
        }
        return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def tally(
    old: qn.Questionnaire,
    new: qn.Questionnaire,
    responses: Iterable[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
) -> MoveReport:
    """Count, per question id, the answers compare.carry drops when each response's
    (organisation answers, [use answers]) moves from `old` to `new`. Pure."""
    by_response: Counter[str] = Counter()
    by_use: Counter[str] = Counter()
    total = affected = 0
    for answers, uses in responses:
        total += 1
        org, carried = compare.carry_response(old, new, answers, uses, files=True)
        lost = set(org.dropped)
        for use in carried:
            lost.update(use.dropped)
            by_use.update(use.dropped)
        by_response.update(lost)
        affected += bool(lost)
    order = {q.id: n for n, q in enumerate(old.questions)}
    kept = {q.id for q in new.questions}
    ids = sorted(by_response, key=lambda qid: (order.get(qid, len(order)), qid))
    return MoveReport(
        versions=(old.version, new.version),
        changes=compare.changes(old, new),
        removed=tuple(q.id for q in old.questions if q.id not in kept),
        dropped=tuple(Dropped(qid, by_response[qid], by_use[qid]) for qid in ids),
        responses=total,
        affected=affected,
    )


def _moved(responses: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """The responses a move carries: those with answers or uses (an untouched
    invitation has nothing to carry and no scores to derive, as in rescoring)."""
    # Late: survey.models.uses imports survey.models.campaigns, which imports this.
    from survey.models.uses import Use

    return responses.filter(
        ~models.Q(answers={}) | models.Q(pk__in=Use.objects.values("response_id"))
    ).order_by("pk")


def _without(meta: Mapping[str, Any], dropped: Iterable[str]) -> dict[str, Any]:
    gone = set(dropped)
    return {qid: value for qid, value in meta.items() if qid not in gone}


class QuestionnaireMove:
    """Campaign's move to another questionnaire version (Campaign inherits it)."""

    def move_refusal(self: Campaign, version: QuestionnaireVersion) -> str:
        """Why the campaign may not move to `version` ("" when it may).

        A version with another key is another questionnaire, not a revision of this
        one: its question ids, sections and bindings are unrelated, so nearly every
        answer would be dropped and the figures would change meaning within one
        campaign. That is refused: a new questionnaire is a new campaign (which may
        name this one as its predecessor, and carry forward what matches).
        """
        current = self.questionnaire
        if version.pk == current.pk:
            return gettext("The campaign already uses %(version)s.") % {
                "version": current
            }
        if version.key != current.key:
            return gettext(
                "%(version)s is another questionnaire, not a version of %(current)s: "
                "start a new campaign for it."
            ) % {"version": version, "current": current}
        return ""

    def move_report(self: Campaign, version: QuestionnaireVersion) -> MoveReport:
        """What moving to `version` would drop from the live responses (drafts and
        submitted alike); submissions keep their answers and version."""
        from survey.models.responses import Response  # Avoids an import cycle.

        return tally(
            self.questionnaire.parsed,
            version.parsed,
            _rows(_moved(Response.objects.filter(campaign=self))),
        )

    def move_to_version(
        self: Campaign,
        version: QuestionnaireVersion,
        user: User | None,
        *,
        ip: str | None = None,
        seen: str = "",
    ) -> MoveReport:
        """Point the campaign at `version` and carry its live responses there.

        In one transaction, with the campaign's row locked and each response's (so
        that no contractor write lands in between): answers the new version no longer
        takes (compare.carry; the response's own files stay, attestations are given
        afresh) leave the live answers, uses and answer_meta; every live use and
        response is derived again, and a response that lost answers gets a new edit
        version, so that a page built before the move merges instead of overwriting.
        Submissions and their attested copies are not touched: they were given on,
        and stay readable with, their own version (Submission.questionnaire).

        Refused (ValidationError) for the version in use or another questionnaire
        (see move_refusal), and when `seen`, the fingerprint of a preview, no longer
        matches what the move finds. Audited with counts per question id only.
        """
        # Late: these modules import survey.models.campaigns, which imports this one.
        from survey.models.audit import AuditEvent
        from survey.models.campaigns import Campaign
        from survey.models.responses import Response

        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update()
                .select_related("questionnaire", "vendor")
                .get(pk=self.pk)
            )
            if reason := campaign.move_refusal(version):
                raise ValidationError(reason)
            previous = campaign.questionnaire
            # Every response, answered or not, so that none is written meanwhile on
            # the old version; in pk order, as rescoring takes them.
            list(
                Response.objects.select_for_update(of=("self",))
                .filter(campaign=campaign)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            report = campaign.move_report(version)
            if seen and seen != report.fingerprint():
                raise ValidationError(
                    gettext(
                        "The answers changed since the preview: look at what the move "
                        "would drop again before confirming."
                    )
                )
            campaign.questionnaire = version
            campaign.save(update_fields=["questionnaire"])
            campaign._carry_responses(previous.parsed, version.parsed)
            AuditEvent.record(
                "campaign.questionnaire_moved",
                actor=user,
                obj=campaign,
                campaign=campaign,
                ip=ip,
                previous=str(previous),
                version=str(version),
                responses=report.responses,
                affected=report.affected,
                # Question ids and counts: answers stay out of the audit trail.
                dropped=report.counts(),
            )
        self.questionnaire = version
        return report

    def _carry_responses(
        self: Campaign, old: qn.Questionnaire, new: qn.Questionnaire
    ) -> None:
        """Carry every live response from `old` to `new`, by chunks; the caller holds
        their row locks and `self` already points at the new version."""
        from survey.models.programs import IntermediaryAlias
        from survey.models.responses import Response  # Avoids an import cycle.

        config = self.scoring()
        aliases = IntermediaryAlias.mapping()
        pks = list(
            _moved(Response.objects.filter(campaign=self)).values_list("pk", flat=True)
        )
        for first in range(0, len(pks), CHUNK):
            chunk = list(
                Response.objects.filter(pk__in=pks[first : first + CHUNK])
                .order_by("pk")
                .prefetch_related("uses")
            )
            changed = [
                r for r in chunk if _carry_one(r, self, old, new, config, aliases)
            ]
            Response.objects.bulk_update(
                chunk, ["answers", "answer_meta", "version", *Response.DERIVED_FIELDS]
            )
            for response in changed:
                # The contracts question may be among the dropped answers.
                response.sync_contracts()


def _rows(
    responses: models.QuerySet[Any],
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(organisation answers, [use answers in order]) of each response: two queries."""
    from survey.models.uses import Use  # Avoids an import cycle.

    uses: dict[int, list[dict[str, Any]]] = {}
    for response_id, answers in (
        Use.objects.filter(response__in=responses.values("pk"))
        .order_by("response_id", "position", "id")
        .values_list("response_id", "answers")
    ):
        uses.setdefault(response_id, []).append(answers)
    return [
        (answers, uses.get(pk, []))
        for pk, answers in responses.values_list("pk", "answers")
    ]


def _carry_one(
    response: Response,
    campaign: Campaign,
    old: qn.Questionnaire,
    new: qn.Questionnaire,
    config: scoring.ScoringConfig,
    aliases: Mapping[str, str],
) -> bool:
    """Carry one locked response and its live uses to `new` (uses saved, the response
    not); True when it lost answers."""
    from survey.models.uses import Use  # Avoids an import cycle.

    response.campaign = campaign  # its new version and scoring, read once
    uses = list(response.uses.all())
    org, carried = compare.carry_response(
        old, new, response.answers, [u.answers for u in uses], files=True
    )
    response.answers = org.answers
    response.answer_meta = _without(response.answer_meta, org.dropped)
    for use, kept in zip(uses, carried, strict=True):
        if kept.dropped:
            use.answers = kept.answers
            use.answer_meta = _without(use.answer_meta, kept.dropped)
            use.version += 1
        use.refresh_derived(new, response.answers, config, aliases)
    Use.objects.bulk_update(
        uses, ["answers", "answer_meta", "version", *Use.DERIVED_FIELDS]
    )
    response.refresh_scores(uses)
    lost = bool(org.dropped) or any(kept.dropped for kept in carried)
    if lost:
        response.version += 1
    return lost
