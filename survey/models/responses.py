"""Responses and their uses (section D): editing, submitting, and the derived scores.

Response and Use call each other, so they share this module.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from survey import editing, scoring
from survey import questionnaire as qn
from survey.deadlines import describe
from survey.models.accounts import User
from survey.models.audit import AuditEvent
from survey.models.campaigns import Campaign
from survey.models.organisations import Membership, Organisation
from survey.models.programs import (
    AttestedManager,
    Contract,
    IntermediaryAlias,
    LiveManager,
)
from survey.models.questionnaires import canonical_json
from survey.models.records import Submission, _store_uploads
from survey.models.review import ReviewComment, ReviewWorkflow
from survey.models.scores import ResponseScores
from survey.names import name_key


class Refused(Exception):
    """A contractor write the rules refuse (deadline, status, role); str() says why.

    Raised under the response's row lock, so that the reason reflects what committed last;
    views turn it into the 403 page or JSON.
    """


class Incomplete(Exception):
    """Required answers are missing: the response cannot be submitted."""


class ResponseQuerySet(models.QuerySet["Response"]):
    def for_user(self, user: Any) -> ResponseQuerySet:
        """Responses of the organisations the user belongs to."""
        return self.filter(organisation__memberships__user=user)

    def submitted(self) -> ResponseQuerySet:
        return self.filter(submitted_at__isnull=False)

    def with_deadline(self) -> ResponseQuerySet:
        """Annotate `_deadline`: the campaign's deadline, or a later extension.

        The one SQL definition of the effective deadline (Response.effective_deadline
        is the same rule on one row), which Response.late_q builds on.
        """
        return self.annotate(
            _deadline=Greatest(
                F("campaign__deadline"),
                Coalesce("extended_deadline", "campaign__deadline"),
            )
        )


class Response(ReviewWorkflow, ResponseScores):
    """One organisation's answer to one campaign; uses (section D) are rows of Use."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        RETURNED = "returned", _("Returned for clarification")
        ACCEPTED = "accepted", _("Accepted")
        ESCALATED = "escalated", _("Escalated")
        SUPERSEDED = "superseded", _("Superseded")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, models.PROTECT, related_name="responses", verbose_name=_("campaign")
    )
    organisation = models.ForeignKey(
        Organisation,
        models.PROTECT,
        related_name="responses",
        verbose_name=_("organisation"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INVITED
    )
    version = models.PositiveIntegerField(
        _("edit version"), default=1, help_text=_("Optimistic lock: +1 on every save.")
    )
    answers = models.JSONField(
        _("organisation-level answers"), default=dict, blank=True
    )
    answer_meta = models.JSONField(
        _("who last changed each answer, and when"), default=dict, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_ip = models.GenericIPAddressField(
        _("submitted from IP"), null=True, blank=True
    )
    answers_sha256 = models.CharField(
        _("SHA-256 of the submitted answers"), max_length=64, blank=True
    )
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    # Review (Django admin).
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    override_band = models.CharField(_("override band"), max_length=10, blank=True)
    override_justification = models.TextField(_("override justification"), blank=True)
    # A later deadline granted to this organisation by an admin.
    extended_deadline = models.DateTimeField(
        _("extended deadline"), null=True, blank=True
    )
    extension_reason = models.TextField(_("extension reason"), blank=True)

    objects = ResponseQuerySet.as_manager()

    EDITABLE = (Status.INVITED, Status.IN_PROGRESS, Status.RETURNED)

    class Meta:
        ordering = ["campaign", "organisation__legal_name"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        permissions = [("review_response", _("Can review responses"))]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organisation"],
                name="one_response_per_campaign_and_organisation",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="response_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.legal_name} – {self.campaign.slug}"

    @property
    def effective_deadline(self) -> datetime:
        """The campaign's deadline, or this organisation's extension when later."""
        if self.extended_deadline and self.extended_deadline > self.campaign.deadline:
            return self.extended_deadline
        return self.campaign.deadline

    @staticmethod
    def late_q(now: datetime) -> models.Q:
        """Late: submitted after the effective deadline, or not submitted by it yet.

        Withdrawn responses are never late: nobody waits for them. Needs the
        `_deadline` annotation of ResponseQuerySet.with_deadline.
        """
        return ~models.Q(status=Response.Status.WITHDRAWN) & (
            models.Q(submitted_at__gt=F("_deadline"))
            | models.Q(submitted_at__isnull=True, _deadline__lte=now)
        )

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def write_refusal(self, at: datetime) -> str:
        """The one deadline gate: why contractors may not write at `at` ("" if they may)."""
        campaign = self.campaign
        if campaign.status != Campaign.Status.OPEN or at < campaign.opens_at:
            return gettext("This campaign is not open for answers.")
        # A response a reviewer gave back (returned, reopened) stays open to its
        # organisation after the deadline, until it is submitted again.
        given_back = self.submitted_at is not None and self.is_editable
        if at >= self.effective_deadline and not given_back:
            return gettext(
                "The deadline passed at %(deadline)s: answers can no longer be changed."
            ) % {
                "deadline": describe(self.effective_deadline, campaign.display_timezone)
            }
        if not self.is_editable:
            return gettext(
                "This response has been submitted and can no longer be changed."
            )
        return ""

    def mark_opened(self, at: datetime) -> None:
        """Record the first time a contractor opened the questionnaire (progress funnel)."""
        if self.opened_at is None:
            Response.objects.filter(pk=self.pk, opened_at__isnull=True).update(
                opened_at=at
            )
            self.opened_at = at

    def save_answers(
        self, edit: editing.Edit, *, user: User, ip: str | None, at: datetime
    ) -> editing.Merge:
        """Merge one user's edits of organisation-level answers; see survey.editing."""
        with transaction.atomic():
            current = Response.lock_for_write(self.pk, at)
            questionnaire = current.campaign.questionnaire.parsed
            state = (current.answers, current.answer_meta, current.version)
            # A question hidden by the answers as they will stand (after the merge) is
            # not edited: the browser does not send it, and what it holds is kept for
            # when it shows again.
            merged = edit.apply(*state, user.email, at.isoformat())
            shown = questionnaire.shown_ids(merged.answers)
            result = edit.only(shown).apply(*state, user.email, at.isoformat())
            if result.changed:
                # Answers hidden by show-if stay in the draft (they come back when the
                # question shows again); they count nowhere and are dropped at submission.
                current.answers = _store_uploads(result.answers, current, None, user)
                current.answer_meta = result.meta
                current.touch(at)
                # Whether the register (section D) shows depends on these answers.
                uses = list(current.uses.all())
                for use in uses:
                    use.refresh_derived(
                        questionnaire, current.answers, current.campaign.scoring()
                    )
                Use.objects.bulk_update(uses, Use.DERIVED_FIELDS)
                current.refresh_scores(uses)
                current.save()
                current.sync_contracts()
                current.audit_save(user, ip, result.changed)
                ReviewComment.answer_changed(current.pk, set(result.changed), None, at)
        self.refresh_from_db()
        return result

    @staticmethod
    def locked(pk: int) -> Response:
        """The response, row-locked for this transaction (its campaign not locked)."""
        return (
            Response.objects.select_for_update(of=("self",))
            .select_related("campaign__questionnaire", "campaign__vendor")
            .get(pk=pk)
        )

    @staticmethod
    def lock_for_write(pk: int, at: datetime) -> Response:
        """The response, row-locked for this transaction; Refused unless contractors may write.

        The deadline gate and editability are judged on the locked row, never on a copy
        loaded earlier in the request, so that a submit committing meanwhile is seen.
        """
        locked = Response.locked(pk)
        if reason := locked.write_refusal(at):
            raise Refused(reason)
        return locked

    def sync_contracts(self) -> None:
        """Keep the contract rows and each use's links to them in step with the answers.

        The contracts question (A6) becomes one Contract row per contract, and the use
        question choosing among them (D5) a link from the use to those rows.
        """
        questionnaire = self.campaign.questionnaire.parsed
        links = questionnaire.contract_links
        if links is None:
            return
        answers = questionnaire.visible_answers(self.answers)
        rows = answers.get(links.rows) or []
        wanted = [
            (str(r.get("piid") or ""), str(r.get("program") or ""))
            for r in rows
            if isinstance(r, dict)
        ]
        live = list(self.contracts.live())
        if [(c.piid, c.program) for c in live] != wanted:
            Contract.objects.filter(pk__in=[c.pk for c in live]).delete()
            live = Contract.objects.bulk_create(
                Contract(
                    response=self,
                    position=n,
                    piid=piid[:100],
                    program=program[:200],
                    program_key=name_key(program),
                )
                for n, (piid, program) in enumerate(wanted, start=1)
            )
        for use in self.uses.all():
            use.link_contracts(questionnaire, live, answers)

    def touch(self, at: datetime) -> None:
        """A write happened: bump the version and leave the Invited state."""
        self.version += 1
        self.updated_at = at
        if self.status == self.Status.INVITED:
            self.status = self.Status.IN_PROGRESS
        self.started_at = self.started_at or at

    def audit_save(
        self, user: User, ip: str | None, changed: list[str], use: Use | None = None
    ) -> None:
        # Question ids only: answers may be sensitive and stay out of the audit trail.
        AuditEvent.record(
            "use.saved" if use else "response.saved",
            actor=user,
            obj=use or self,
            organisation=self.organisation,
            campaign=self.campaign,
            ip=ip,
            questions=changed,
            version=(use or self).version,
        )

    def add_use(self, user: User, ip: str | None, at: datetime) -> Use:
        """A new, empty use at the end of the register."""
        with transaction.atomic():
            locked = Response.lock_for_write(self.pk, at)
            last = locked.uses.aggregate(last=models.Max("position"))["last"] or 0
            use = Use(response=locked, position=last + 1)
            use.refresh_derived(
                locked.campaign.questionnaire.parsed,
                locked.answers,
                locked.campaign.scoring(),
            )
            use.save()
            locked.touch(at)
            locked.refresh_scores(list(locked.uses.all()))
            locked.save()
            AuditEvent.record(
                "use.added",
                actor=user,
                obj=use,
                ip=ip,
                organisation=locked.organisation,
                campaign=locked.campaign,
            )
        return use

    def remove_use(self, use: Use, user: User, ip: str | None, at: datetime) -> None:
        with transaction.atomic():
            locked = Response.lock_for_write(self.pk, at)
            AuditEvent.record(
                "use.removed",
                actor=user,
                obj=use,
                ip=ip,
                name=use.name,
                organisation=locked.organisation,
                campaign=locked.campaign,
            )
            Use.objects.filter(pk=use.pk).delete()
            locked.touch(at)
            locked.refresh_scores(list(locked.uses.all()))
            locked.save()

    def discard_if_empty(
        self, use: Use, user: User, ip: str | None, at: datetime
    ) -> bool:
        """Remove a use nothing was typed into (left by "Add a use" then "Back");
        judged on the row as it stands under the lock, so an autosave that landed
        meanwhile keeps it. True when it was removed."""
        with transaction.atomic():
            Response.lock_for_write(self.pk, at)
            if Use.objects.filter(pk=use.pk).exclude(answers={}).exists():
                return False
        self.remove_use(use, user, ip, at)
        return True

    @property
    def also_required(self) -> frozenset[str]:
        """Questions a campaign setting makes required (the signed attestation)."""
        signed = self.campaign.questionnaire.parsed.binding("signed_attestation")
        return (
            frozenset({signed})
            if signed and self.campaign.require_signed_attestation
            else frozenset()
        )

    def missing(self, uses: list[Use]) -> list[qn.Missing]:
        questionnaire = self.campaign.questionnaire.parsed
        return questionnaire.missing_required(
            self.answers, [u.answers for u in uses], also_required=self.also_required
        )

    def attestation_text(self) -> str:
        questionnaire = self.campaign.questionnaire.parsed
        answers = questionnaire.visible_answers(self.answers)
        date = questionnaire.binding("transition_date")
        completion = answers.get(date) or gettext("not yet known")
        return questionnaire.attestation_text(
            answers, self.campaign.vendor.name, completion
        )

    def submit_refusal(self, user: User, at: datetime) -> str:
        """Why `user` may not submit this response at `at`; "" when they may. Judged
        again under the row lock by submit; the confirmation page asks it first."""
        if reason := self.write_refusal(at):
            return reason
        if not Membership.objects.filter(
            user=user,
            organisation_id=self.organisation_id,
            role=Membership.Role.SIGNATORY,
        ).exists():
            return gettext("Only your organisation's authorised signatory can submit.")
        return ""

    def submit(self, user: User, ip: str | None, at: datetime) -> Submission | None:
        """Lock the response and keep a snapshot; None when it was already submitted.

        Every rule is judged under the row lock: the deadline gate, editability, that only
        the organisation's signatory submits, and completeness (Incomplete rolls back), so
        that concurrent submits make exactly one Submission and a save landing just before
        cannot slip an incomplete response through.
        """
        with transaction.atomic():
            locked = Response.locked(self.pk)
            if locked.submitted_at and not locked.is_editable:
                return None  # a double click or a resubmitted form: the first stands
            if reason := locked.submit_refusal(user, at):
                raise Refused(reason)
            uses = list(locked.uses.all())
            if locked.missing(uses):
                raise Incomplete
            submission = locked._snapshot(uses, user, ip, at)
            ReviewComment.answer_all(locked.pk, at)
        self.refresh_from_db()
        return submission

    def _snapshot(
        self, uses: list[Use], user: User, ip: str | None, at: datetime
    ) -> Submission:
        """Drop hidden answers, score, and keep the numbered, hashed Submission."""
        questionnaire = self.campaign.questionnaire.parsed
        self.answers = questionnaire.visible_answers(self.answers)
        if not questionnaire.register_shown(self.answers):
            # No dependence attested: uses left in the draft are dropped with it.
            Use.objects.filter(pk__in=[u.pk for u in uses]).delete()
            uses = []
        for use in uses:
            use.answers = questionnaire.visible_use_answers(use.answers, self.answers)
            use.refresh_derived(questionnaire, self.answers, self.campaign.scoring())
        Use.objects.bulk_update(uses, ["answers", *Use.DERIVED_FIELDS])
        attestation = self.attestation_text()
        self.refresh_scores(uses)
        self.status = self.Status.SUBMITTED
        self.submitted_at, self.submitted_by, self.submitted_ip = at, user, ip
        self.updated_at = at
        self.version += 1
        self.answers_sha256 = self.answers_digest(uses)
        self.save()
        self.submissions.filter(latest=True).update(latest=False)
        submission = Submission.objects.create(
            response=self,
            number=self.submissions.count() + 1,
            latest=True,
            answers=self.answers,
            uses=[u.answers for u in uses],
            sha256=self.answers_sha256,
            attestation=attestation,
            submitted_at=at,
            submitted_by=user,
            submitted_ip=ip,
            **{name: getattr(self, name) for name in self.DERIVED_FIELDS},
        )
        self.sync_contracts()
        self._keep_attested(submission, uses)
        AuditEvent.record(
            "response.submitted",
            actor=user,
            obj=self,
            organisation=self.organisation,
            campaign=self.campaign,
            ip=ip,
            submission=submission.number,
            sha256=self.answers_sha256,
        )
        return submission

    def _keep_attested(self, submission: Submission, uses: list[Use]) -> None:
        """Copy the contracts and uses as submitted: the figures count these copies, so
        that an amendment in progress changes nothing until it is submitted again."""
        contracts = Contract.objects.bulk_create(
            Contract(
                response=self,
                submission=submission,
                position=c.position,
                piid=c.piid,
                program=c.program,
                program_key=c.program_key,
            )
            for c in self.contracts.live()
        )
        by_piid = {c.piid: c for c in contracts}
        # The copies of earlier submissions stop counting; these count instead.
        Use.attested.filter(response=self).update(counted_in=None)
        copies = Use.objects.bulk_create(use.attested_copy(submission) for use in uses)
        links = self.campaign.questionnaire.parsed.contract_links
        if links is None:
            return
        Use.contracts.through.objects.bulk_create(
            Use.contracts.through(use_id=copy.pk, contract_id=by_piid[piid].pk)
            for copy in copies
            for piid in dict.fromkeys(copy.answers.get(links.choice) or [])
            if piid in by_piid
        )

    def answers_digest(self, uses: list[Use]) -> str:
        """SHA-256 of the canonical answers (organisation level and every use, in order)."""
        questionnaire = self.campaign.questionnaire.parsed
        answers = questionnaire.visible_answers(self.answers)
        document = {
            "answers": answers,
            "uses": [
                questionnaire.visible_use_answers(u.answers, answers) for u in uses
            ],
        }
        return hashlib.sha256(canonical_json(document).encode()).hexdigest()

    def refresh_scores(self, uses: list[Use]) -> None:
        """Recompute the derived columns from the answers and the (already scored) uses."""
        questionnaire = self.campaign.questionnaire.parsed
        answers = questionnaire.visible_answers(self.answers)
        route = questionnaire.route(answers)
        counted = uses if route == "dependence" else []
        self.route = route
        config = self.campaign.scoring()
        self.cdi = scoring.contractor_index(
            (u.dri for u in counted if u.dri is not None), config
        )
        self.tier = scoring.tier(self.cdi, route, config)
        self.scoring_version = config.version
        self.flag_direct = answers.get(questionnaire.routing.direct) == "yes"
        self.flag_indirect_only = answers.get(
            questionnaire.routing.direct
        ) == "no" and any(
            answers.get(q) == "yes" for q in questionnaire.routing.screening
        )
        self.flag_nss = any(u.flag_nss for u in counted)
        self.flag_classified = any(u.flag_classified for u in counted)
        self.flag_deliverable = any(u.flag_deliverable for u in counted) or (
            answers.get(questionnaire.binding("supplies_vendor")) == "yes"
        )
        self.flag_policy_friction = any(u.flag_policy_friction for u in counted)
        self.flag_assumed = any(u.flag_assumed for u in counted)
        self.flag_unresolved = route == "unresolved"
        self.completeness = qn.completeness(
            questionnaire,
            answers,
            [questionnaire.visible_use_answers(u.answers, answers) for u in counted],
        )

    # The review workflow's statuses; its verbs are in ReviewWorkflow (survey/models/review.py).
    REVIEWABLE = (Status.SUBMITTED, Status.IN_REVIEW, Status.ESCALATED)
    TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
        "start_review": ((Status.SUBMITTED,), Status.IN_REVIEW),
        "accept": (REVIEWABLE, Status.ACCEPTED),
        "return_for_clarification": (REVIEWABLE, Status.RETURNED),
        "escalate": ((Status.SUBMITTED, Status.IN_REVIEW), Status.ESCALATED),
        "reopen": ((Status.ACCEPTED, Status.ESCALATED), Status.IN_PROGRESS),
        # Admins only (spec §3.1), e.g. an organisation invited by mistake.
        "withdraw": (
            (*EDITABLE, Status.SUBMITTED, Status.IN_REVIEW, Status.ESCALATED),
            Status.WITHDRAWN,
        ),
    }


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
        Response, models.CASCADE, related_name="uses", verbose_name=_("response")
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
    channel = models.CharField(_("channel (D2)"), max_length=40, blank=True)
    supply_tier = models.CharField(_("supply-chain tier"), max_length=4, blank=True)
    intermediary = models.CharField(_("intermediary (D3)"), max_length=200, blank=True)
    intermediary_key = models.CharField(
        _("intermediary (normalised)"), max_length=200, blank=True
    )
    # The platform the figures group by: the admins' alias for the key, else the key
    # (kept by refresh_derived and IntermediaryAlias.regroup, so that grouping is a
    # plain GROUP BY, not an alias lookup per use).
    platform = models.CharField(_("platform"), max_length=200, blank=True)
    contracts = models.ManyToManyField(
        Contract, blank=True, related_name="uses", verbose_name=_("contracts (D5)")
    )
    function = models.CharField(_("function (D4)"), max_length=40, blank=True)
    relationship = models.CharField(_("relationship (D6)"), max_length=40, blank=True)
    nss = models.CharField(_("NSS (D7)"), max_length=10, blank=True)
    classification = models.CharField(
        _("classification (D8)"), max_length=20, blank=True
    )
    stage = models.CharField(_("stage (D10)"), max_length=40, blank=True)
    oversight = models.CharField(_("oversight (D11)"), max_length=40, blank=True)
    reliance = models.CharField(_("reliance (D12)"), max_length=40, blank=True)
    criticality = models.CharField(_("criticality (D13)"), max_length=40, blank=True)
    days = models.PositiveIntegerField(
        _("days to transition (D14)"), null=True, blank=True
    )
    days_unknown = models.BooleanField(_("days unknown"), default=False)
    cost = models.DecimalField(
        _("transition cost, USD (D15)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
    )
    cost_unknown = models.BooleanField(_("cost unknown"), default=False)
    substitutability = models.CharField(
        _("substitutability (D16)"), max_length=40, blank=True
    )
    alternative = models.CharField(_("alternative (D17)"), max_length=40, blank=True)
    policy = models.CharField(_("policy constraint (D18)"), max_length=40, blank=True)

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
