"""Responses: one organisation's answers to a campaign, the deadline gate and the scores.

Its uses (section D) are in survey/models/uses.py; the contractors' verbs (saving answers,
the use register, submitting) in survey/models/answering.py, and the reviewers' in
survey/models/review.py.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from survey import questionnaire as qn
from survey import scoring
from survey.deadlines import describe
from survey.models.accounts import User
from survey.models.answering import AnsweringWorkflow
from survey.models.audit import AuditEvent
from survey.models.campaigns import Campaign
from survey.models.carrying import CarryForward
from survey.models.organisations import Organisation
from survey.models.programs import Contract
from survey.models.questionnaires import canonical_json
from survey.models.review import ReviewWorkflow
from survey.models.scores import ResponseScores
from survey.names import name_key

if TYPE_CHECKING:
    # Annotations only: survey.models.uses imports this module (late, in a method).
    from survey.models.uses import Use


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


class Response(AnsweringWorkflow, CarryForward, ReviewWorkflow, ResponseScores):
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
    # Carried forward from the predecessor campaign (see CarryForward).
    carried_from = models.ForeignKey(
        "survey.Submission",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("carried forward from"),
    )
    to_confirm = models.JSONField(
        _("carried-forward sections still to confirm"), default=list, blank=True
    )

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

    @staticmethod
    def locked(pk: int) -> Response:
        """The response, row-locked for this transaction (its campaign not locked).

        The campaign is read once the lock is held, not joined to the locking query: a
        write that waited for a campaign's move to another questionnaire version
        (which locks every response) then sees the version the move committed.
        """
        locked = Response.objects.select_for_update(of=("self",)).get(pk=pk)
        locked.campaign = Campaign.objects.select_related(
            "questionnaire", "vendor"
        ).get(pk=locked.campaign_id)
        return locked

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

    def refresh_scores(
        self, uses: list[Use], questionnaire: qn.Questionnaire | None = None
    ) -> None:
        """Recompute the derived columns from the answers and the (already scored) uses,
        read with `questionnaire`: the campaign's version unless given (a submission's
        own, rescored after its campaign moved to another version)."""
        questionnaire = questionnaire or self.campaign.questionnaire.parsed
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
