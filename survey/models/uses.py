"""The uses of the vendor (section D, one row each): answers, countable columns and DRI."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey import editing, scoring
from survey import questionnaire as qn
from survey.models.accounts import User
from survey.models.campaigns import Campaign
from survey.models.programs import (
    AttestedManager,
    Contract,
    IntermediaryAlias,
    LiveManager,
)
from survey.models.records import Submission, _store_uploads
from survey.models.review import ReviewComment
from survey.names import name_key

# Bindings (questionnaire.BINDINGS) whose option codes are also kept as columns of a
# use, of the same name, for counting in the database.
USE_COLUMNS = (
    "channel",
    "function",
    "relationship",
    "nss",
    "classification",
    "stage",
    "oversight",
    "reliance",
    "criticality",
    "substitutability",
    "alternative",
    "policy",
)
# The use's answers copied to columns, by binding.
BOUND = (*USE_COLUMNS, "name", "intermediary", "days", "cost")


class Use(models.Model):
    """One way a business process depends on the vendor (one repeat of section D)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    response = models.ForeignKey(
        "survey.Response",
        models.CASCADE,
        related_name="uses",
        verbose_name=_("response"),
    )
    # Set on the copies frozen at submission (what was attested, which the figures
    # count); the rows contractors edit have none.
    submission = models.ForeignKey(
        Submission,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="attested_uses",
        verbose_name=_("submission"),
    )
    # On a copy, while the figures count it (its submission is the response's last and
    # the response is not withdrawn): the dashboard then reads one indexed column.
    counted_in = models.ForeignKey(
        Campaign,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("counted in the figures of"),
    )
    position = models.PositiveIntegerField(_("position"), default=1)
    version = models.PositiveIntegerField(
        _("edit version"), default=1, help_text=_("Optimistic lock: +1 on every save.")
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    answer_meta = models.JSONField(
        _("who last changed each answer, and when"), default=dict, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    name = models.CharField(_("name"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=40, blank=True)
    supply_tier = models.CharField(_("supply-chain tier"), max_length=4, blank=True)
    intermediary = models.CharField(_("intermediary"), max_length=200, blank=True)
    intermediary_key = models.CharField(
        _("intermediary (normalised)"), max_length=200, blank=True
    )
    # The platform the figures group by: the admins' alias for the key, else the key
    # (kept by refresh_derived and IntermediaryAlias.regroup, so that grouping is a
    # plain GROUP BY, not an alias lookup per use).
    platform = models.CharField(_("platform"), max_length=200, blank=True)
    contracts = models.ManyToManyField(
        Contract, blank=True, related_name="uses", verbose_name=_("contracts")
    )
    function = models.CharField(_("function"), max_length=40, blank=True)
    relationship = models.CharField(_("relationship"), max_length=40, blank=True)
    nss = models.CharField(_("NSS"), max_length=10, blank=True)
    classification = models.CharField(_("classification"), max_length=20, blank=True)
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    oversight = models.CharField(_("oversight"), max_length=40, blank=True)
    reliance = models.CharField(_("reliance"), max_length=40, blank=True)
    criticality = models.CharField(_("criticality"), max_length=40, blank=True)
    days = models.PositiveIntegerField(_("days to transition"), null=True, blank=True)
    days_unknown = models.BooleanField(_("days unknown"), default=False)
    cost = models.DecimalField(
        _("transition cost, USD"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
    )
    cost_unknown = models.BooleanField(_("cost unknown"), default=False)
    substitutability = models.CharField(
        _("substitutability"), max_length=40, blank=True
    )
    alternative = models.CharField(_("alternative"), max_length=40, blank=True)
    policy = models.CharField(_("policy constraint"), max_length=40, blank=True)

    c = models.PositiveSmallIntegerField("C", null=True, blank=True)
    t = models.PositiveSmallIntegerField("T", null=True, blank=True)
    sub = models.PositiveSmallIntegerField("Sub", null=True, blank=True)
    a = models.PositiveSmallIntegerField("A", null=True, blank=True)
    s = models.PositiveSmallIntegerField("S", null=True, blank=True)
    e = models.PositiveSmallIntegerField("E", null=True, blank=True)
    r = models.PositiveSmallIntegerField("R", null=True, blank=True)
    m = models.FloatField("M", null=True, blank=True)
    dri = models.FloatField(_("dependency risk index (DRI)"), null=True, blank=True)
    band = models.CharField(_("band"), max_length=10, blank=True)
    scoring_version = models.CharField(_("scoring version"), max_length=20, blank=True)
    assumed_factors = models.CharField(_("assumed factors"), max_length=40, blank=True)
    flag_nss = models.BooleanField(_("NSS"), default=False)
    flag_deliverable = models.BooleanField(_("deliverable"), default=False)
    flag_classified = models.BooleanField(_("classified"), default=False)
    flag_policy_friction = models.BooleanField(_("policy friction"), default=False)
    flag_assumed = models.BooleanField(_("assumed values"), default=False)

    DERIVED_FIELDS = (
        "name",
        *USE_COLUMNS,
        "supply_tier",
        "intermediary",
        "intermediary_key",
        "platform",
        "days",
        "days_unknown",
        "cost",
        "cost_unknown",
        "c",
        "t",
        "sub",
        "a",
        "s",
        "e",
        "r",
        "m",
        "dri",
        "band",
        "scoring_version",
        "assumed_factors",
        "flag_nss",
        "flag_deliverable",
        "flag_classified",
        "flag_policy_friction",
        "flag_assumed",
    )

    objects = LiveManager()
    attested = AttestedManager()

    class Meta:
        ordering = ["response", "position", "id"]
        verbose_name = _("use")
        verbose_name_plural = _("uses")
        indexes = [
            models.Index(fields=["response", "position"]),
            models.Index(fields=["band"]),
            models.Index(fields=["channel"]),
            models.Index(fields=["intermediary_key"]),
            models.Index(fields=["platform"]),
        ]

    def __str__(self) -> str:
        return self.name or _("Use %(position)s") % {"position": self.position}

    def save_answers(
        self, edit: editing.Edit, *, user: User, ip: str | None, at: datetime
    ) -> editing.Merge:
        """Merge one user's edits of this use's answers; see survey.editing.

        Raises Use.DoesNotExist when another user removed the use meanwhile.
        """
        from survey.models.responses import Response  # Avoids an import cycle.

        with transaction.atomic():
            response = Response.lock_for_write(self.response_id, at)
            current = Use.objects.get(pk=self.pk)
            questionnaire = response.campaign.questionnaire.parsed
            state = (current.answers, current.answer_meta, current.version)
            merged = edit.apply(*state, user.email, at.isoformat())
            shown = questionnaire.shown_ids(merged.answers, org=response.answers)
            result = edit.only(shown).apply(*state, user.email, at.isoformat())
            if result.changed:
                # Hidden answers stay in the draft, as for the organisation's answers.
                current.answers = _store_uploads(
                    result.answers, response, current, user
                )
                current.answer_meta = result.meta
                current.version += 1
                current.updated_at = at
                # The locked response's campaign: one read of the scoring in force for
                # the use and the response alike.
                current.refresh_derived(
                    questionnaire, response.answers, response.campaign.scoring()
                )
                current.save()
                current.link_contracts(
                    questionnaire,
                    list(response.contracts.live()),
                    questionnaire.visible_answers(response.answers),
                )
                response.touch(at)
                response.refresh_scores(list(response.uses.all()))
                response.save()
                response.audit_save(user, ip, result.changed, use=current)
                ReviewComment.answer_changed(
                    response.pk, set(result.changed), current.pk, at
                )
        self.refresh_from_db()
        return result

    def refresh_derived(
        self,
        questionnaire: qn.Questionnaire,
        org_answers: dict[str, Any],
        config: scoring.ScoringConfig | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        """Copy countable answers to columns and store the factors, DRI and band.

        Only answers shown for the current answers count: a hidden one kept in the
        draft neither fills a column nor scores. `aliases` (IntermediaryAlias.mapping)
        spares bulk callers a query per use.
        """
        org = questionnaire.visible_answers(org_answers)
        answers = questionnaire.visible_use_answers(self.answers, org)
        bound = {name: answers.get(questionnaire.binding(name)) for name in BOUND}
        self.name = str(bound["name"] or "")[:200]
        for column in USE_COLUMNS:
            value = bound[column]
            setattr(self, column, value if isinstance(value, str) else "")
        self.supply_tier = questionnaire.supply_tiers.get(self.channel, "")
        self.intermediary = " ".join(str(bound["intermediary"] or "").split())[:200]
        self.intermediary_key = name_key(self.intermediary)
        self.platform = IntermediaryAlias.platform_of(self.intermediary_key, aliases)
        self.days, self.days_unknown = _number(bound["days"], int)
        self.cost, self.cost_unknown = _number(bound["cost"], Decimal)
        self._score(questionnaire, answers, config or self.response.campaign.scoring())

    def attested_copy(self, submission: Submission) -> Use:
        """An unsaved copy of this use as submitted, counted in its campaign's figures."""
        copied = {
            f.attname: getattr(self, f.attname)
            for f in Use._meta.concrete_fields
            if f.name not in ("id", "uuid", "submission", "counted_in")
        }
        return Use(
            submission=submission,
            counted_in_id=submission.response.campaign_id,
            **copied,
        )

    def link_contracts(
        self,
        questionnaire: qn.Questionnaire,
        contracts: list[Contract],
        org: dict[str, Any],
    ) -> None:
        """Link this use to the contracts its answer (D5) names, by PIID."""
        links = questionnaire.contract_links
        if links is None:
            return
        chosen = questionnaire.visible_use_answers(self.answers, org).get(links.choice)
        piids = set(chosen) if isinstance(chosen, list) else set()
        self.contracts.set([c for c in contracts if c.piid in piids])

    def _score(
        self,
        questionnaire: qn.Questionnaire,
        answers: dict[str, Any],
        config: scoring.ScoringConfig,
    ) -> None:
        # Without a worst case for A (credit) the formula would reward missing answers.
        factors = {"C": 4, "Sub": 4, "A": 0, "E": 4, "R": 4}
        assumed: list[str] = []
        section = questionnaire.use_section
        for question in section.questions if section else ():
            if question.scores not in qn.OPTION_FACTORS:
                continue
            option = question.option(answers.get(question.id) or "")
            values = {
                o.value: int(config.factor(question.id, o.value, o.factor or 0))
                for o in question.options
            }
            if option is None:
                worst = (min if question.scores == "A" else max)(values.values())
                factors[question.scores] = worst
                assumed.append(question.scores)
            else:
                factors[question.scores] = values[option.value]
                if option.unknown:
                    assumed.append(question.scores)
        result = scoring.score_use(
            c=factors["C"],
            days=None if self.days_unknown else self.days,
            sub=factors["Sub"],
            a=factors["A"],
            e=factors["E"],
            r=factors["R"],
            no_alternative=self.alternative in questionnaire.flagged("no_alternative"),
            assumed=assumed,
            config=config,
        )
        self.c, self.t, self.sub, self.a = result.c, result.t, result.sub, result.a
        self.s, self.e, self.r, self.m = result.s, result.e, result.r, result.m
        self.dri, self.band = result.dri, result.band
        self.scoring_version = config.version
        self.assumed_factors = " ".join(result.assumed)
        self.flag_assumed = bool(result.assumed)
        self.flag_nss = self.nss == "yes"
        self.flag_deliverable = self.relationship in questionnaire.flagged(
            "deliverable"
        )
        self.flag_classified = result.e >= config.classified_exposure
        self.flag_policy_friction = self.policy in questionnaire.flagged(
            "policy_friction"
        )


def _number(value: Any, kind: type) -> tuple[Any, bool]:
    """A stored numeric answer as (number or None, is-unknown)."""
    if value == qn.UNKNOWN:
        return None, True
    if value in (None, ""):
        return None, False
    try:
        return kind(str(value)), False
    except (ValueError, InvalidOperation):
        return None, False
