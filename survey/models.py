"""The survey's data: vendors, questionnaire versions, campaigns, organisations, responses."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from survey import editing, scoring
from survey import questionnaire as qn
from survey.deadlines import describe, validate_time_zone

audit_log = logging.getLogger("survey.audit")

UEI_RE = r"^[A-HJ-NP-Z1-9][A-HJ-NP-Z0-9]{11}$"
CAGE_RE = r"^[A-Z0-9]{5}$"
CAGE_LIST_RE = r"^([A-Z0-9]{5})( [A-Z0-9]{5})*$"
validate_uei = RegexValidator(
    UEI_RE,
    _("A UEI is 12 letters or digits, without O or I, and does not start with 0."),
)
validate_cage_list = RegexValidator(
    CAGE_LIST_RE, _("CAGE codes are 5 letters or digits each, separated by spaces.")
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # The whole address, not only the domain: people type their address in any case.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=self.normalize_email(username))

    def create_user(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address: contractor staff or program-office staff."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Reviewers and admins: may log into the admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Vendor(models.Model):
    """The AI vendor a campaign assesses; its name fills "{vendor}" in every text."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("AI vendor")
        verbose_name_plural = _("AI vendors")

    def __str__(self) -> str:
        return self.name


@lru_cache(maxsize=32)
def _parse_definition(digest: str, text: str) -> qn.Questionnaire:
    return qn.parse(json.loads(text), source=f"questionnaire version {digest[:12]}")


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class QuestionnaireVersionManager(models.Manager["QuestionnaireVersion"]):
    def create_from_definition(self, data: Any, source: str) -> QuestionnaireVersion:
        """Validate a definition and store it as a new version; an identical one is refused."""
        parsed = qn.parse(data, source=source)
        text = canonical_json(data)
        digest = hashlib.sha256(text.encode()).hexdigest()
        existing = self.filter(digest=digest).first()
        if existing is not None:
            raise ValidationError(
                _("%(source)s is identical to questionnaire version %(version)s."),
                params={"source": source, "version": existing},
            )
        if self.filter(key=parsed.key, version=parsed.version).exists():
            raise ValidationError(
                _(
                    "%(source)s: %(key)s version %(version)s already exists with other "
                    "content; give the file a new version."
                ),
                params={"source": source, "key": parsed.key, "version": parsed.version},
            )
        return self.create(
            key=parsed.key,
            version=parsed.version,
            title=parsed.title.en,
            definition=data,
            digest=digest,
        )

    def get_or_load(self, path: Path | str) -> QuestionnaireVersion:
        """The stored version of a definition file, loading it on first use."""
        data = qn.read_file(path)
        digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()
        existing = self.filter(digest=digest).first()
        if existing is not None:
            return existing
        return self.create_from_definition(data, source=str(path))


class QuestionnaireVersion(models.Model):
    """One immutable version of a questionnaire definition (see survey/questionnaires/)."""

    key = models.CharField(_("key"), max_length=100)
    version = models.CharField(_("version"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    definition = models.JSONField(_("definition"))
    digest = models.CharField(
        _("SHA-256 of the definition"), max_length=64, unique=True
    )
    created_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    objects = QuestionnaireVersionManager()

    class Meta:
        ordering = ["key", "-created_at"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="questionnaire_key_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Answers are only interpretable against the definition they were given on.
        if self.pk is not None:
            stored = (
                QuestionnaireVersion.objects.filter(pk=self.pk).values("digest").first()
            )
            if stored and stored["digest"] != self.digest and self.campaigns.exists():
                raise ValidationError(
                    _("A questionnaire version in use cannot change.")
                )
        super().save(*args, **kwargs)

    @property
    def parsed(self) -> qn.Questionnaire:
        return _parse_definition(self.digest, canonical_json(self.definition))


def default_reminder_offsets() -> list[int]:
    # 7 days, 72 h, 24 h and 4 h before the deadline.
    return [168, 72, 24, 4]


class Campaign(models.Model):
    """One survey of contractors about one vendor, with one questionnaire version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    vendor = models.ForeignKey(
        Vendor, models.PROTECT, related_name="campaigns", verbose_name=_("AI vendor")
    )
    questionnaire = models.ForeignKey(
        QuestionnaireVersion,
        models.PROTECT,
        related_name="campaigns",
        verbose_name=_("questionnaire version"),
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    instructions = models.TextField(_("instructions"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("deadline"))
    display_timezone = models.CharField(
        _("display time zone"),
        max_length=64,
        default=settings.DEFAULT_DISPLAY_TIME_ZONE,
        validators=[validate_time_zone],
    )
    handling_banner = models.CharField(
        _("handling banner"),
        max_length=300,
        blank=True,
        help_text=_('Shown on every page and export, e.g. "CUI // PROPRIETARY".'),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    require_signed_attestation = models.BooleanField(
        _("require a signed attestation file (F4)"), default=False
    )
    reminder_offsets = models.JSONField(
        _("reminder offsets (hours before the deadline)"),
        default=default_reminder_offsets,
        blank=True,
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="reviewed_campaigns",
        verbose_name=_("assigned reviewers"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-deadline"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("opens_at")),
                name="campaign_deadline_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open_at(self, instant: Any) -> bool:
        return (
            self.status == self.Status.OPEN and self.opens_at <= instant < self.deadline
        )


class Organisation(models.Model):
    """A contractor entity, identified by its SAM.gov UEI and its CAGE codes."""

    legal_name = models.CharField(_("legal name"), max_length=300)
    uei = models.CharField(
        _("UEI"),
        max_length=12,
        unique=True,
        validators=[validate_uei],
        help_text=_("SAM.gov Unique Entity ID, 12 characters."),
    )
    cage_codes = models.CharField(
        _("CAGE codes"),
        max_length=300,
        blank=True,
        validators=[validate_cage_list],
        help_text=_("Separated by spaces."),
    )
    parent = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="subsidiaries",
        verbose_name=_("parent organisation"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(uei__regex=UEI_RE), name="org_uei_format"
            ),
            models.CheckConstraint(
                condition=models.Q(cage_codes="")
                | models.Q(cage_codes__regex=CAGE_LIST_RE),
                name="org_cage_codes_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.uei})"

    def clean_fields(self, exclude: Any = None) -> None:
        # Normalise before the format validators run: people paste codes in any case.
        self.uei = self.uei.strip().upper()
        self.cage_codes = " ".join(self.cage_codes.upper().replace(",", " ").split())
        super().clean_fields(exclude=exclude)

    @property
    def cage_code_list(self) -> list[str]:
        return self.cage_codes.split()


class Membership(models.Model):
    """A contractor user's role in an organisation: preparers edit, a signatory submits."""

    class Role(models.TextChoices):
        PREPARER = "preparer", _("Preparer")
        SIGNATORY = "signatory", _("Authorised signatory")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.user} – {self.organisation.legal_name} ({self.get_role_display()})"
        )


class Locked(Exception):
    """The response is no longer editable (submitted, in review, ...)."""


class Incomplete(Exception):
    """Required answers are missing: the response cannot be submitted."""


class ResponseQuerySet(models.QuerySet["Response"]):
    def for_user(self, user: Any) -> ResponseQuerySet:
        """Responses of the organisations the user belongs to."""
        return self.filter(organisation__memberships__user=user)

    def submitted(self) -> ResponseQuerySet:
        return self.filter(submitted_at__isnull=False)


class Response(models.Model):
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
    # Derived on save from the answers and the uses, so that lists filter in the database.
    route = models.CharField(_("screening route"), max_length=20, blank=True)
    cdi = models.FloatField(_("dependency index (CDI)"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=20, blank=True)
    completeness = models.FloatField(_("completeness %"), null=True, blank=True)
    scoring_version = models.CharField(_("scoring version"), max_length=20, blank=True)
    flag_direct = models.BooleanField(_("direct relationship"), default=False)
    flag_indirect_only = models.BooleanField(_("indirect only"), default=False)
    flag_nss = models.BooleanField(_("NSS"), default=False)
    flag_classified = models.BooleanField(_("classified"), default=False)
    flag_deliverable = models.BooleanField(_("deliverable"), default=False)
    flag_policy_friction = models.BooleanField(_("policy friction"), default=False)
    flag_assumed = models.BooleanField(_("assumed values"), default=False)
    flag_unresolved = models.BooleanField(_("unresolved"), default=False)
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
    DERIVED_FIELDS = (
        "route",
        "cdi",
        "tier",
        "completeness",
        "scoring_version",
        "flag_direct",
        "flag_indirect_only",
        "flag_nss",
        "flag_classified",
        "flag_deliverable",
        "flag_policy_friction",
        "flag_assumed",
        "flag_unresolved",
    )

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

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def write_refusal(self, at: datetime) -> str:
        """The one deadline gate: why contractors may not write at `at` ("" if they may)."""
        campaign = self.campaign
        if campaign.status != Campaign.Status.OPEN or at < campaign.opens_at:
            return gettext("This campaign is not open for answers.")
        if at >= self.effective_deadline:
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
        self,
        *,
        posted: dict[str, Any],
        loaded: dict[str, Any],
        loaded_version: int,
        question_ids: list[str],
        user: User,
        ip: str | None,
        at: datetime,
        overwrite: frozenset[str] = frozenset(),
    ) -> editing.Merge:
        """Merge one user's edits of organisation-level answers; see survey.editing."""
        with transaction.atomic():
            current = Response.objects.select_for_update().get(pk=self.pk)
            if not current.is_editable:
                raise Locked(current.get_status_display())
            result = editing.merge(
                current=current.answers,
                current_meta=current.answer_meta,
                current_version=current.version,
                loaded=loaded,
                loaded_version=loaded_version,
                posted=posted,
                question_ids=question_ids,
                editor=user.email,
                at=at.isoformat(),
                overwrite=overwrite,
            )
            if result.changed:
                questionnaire = current.campaign.questionnaire.parsed
                visible = questionnaire.visible_answers(result.answers)
                current.answers = _store_uploads(visible, current, None, user)
                current.answer_meta = result.meta
                current.touch(at)
                current.refresh_scores(list(current.uses.all()))
                current.save()
                current.audit_save(user, ip, result.changed)
        self.refresh_from_db()
        return result

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
            locked = Response.objects.select_for_update().get(pk=self.pk)
            if not locked.is_editable:
                raise Locked(locked.get_status_display())
            last = locked.uses.aggregate(last=models.Max("position"))["last"] or 0
            use = Use(response=locked, position=last + 1)
            use.refresh_derived(locked.campaign.questionnaire.parsed)
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
            locked = Response.objects.select_for_update().get(pk=self.pk)
            if not locked.is_editable:
                raise Locked(locked.get_status_display())
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

    @property
    def also_required(self) -> frozenset[str]:
        """Questions a campaign setting makes required (the signed attestation, F4)."""
        return (
            frozenset({"F4"})
            if self.campaign.require_signed_attestation
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
        completion = answers.get("E1a") or gettext("not yet known")
        return questionnaire.attestation_text(
            answers, self.campaign.vendor.name, completion
        )

    def submit(self, user: User, ip: str | None, at: datetime) -> Submission | None:
        """Lock the response and keep a snapshot; None when it was already submitted.

        The conditional UPDATE makes concurrent submits race for one row: exactly one wins.
        Completeness is checked again under that lock (Incomplete rolls everything back),
        so that a save landing just before cannot slip an incomplete response through.
        """
        with transaction.atomic():
            claimed = Response.objects.filter(
                pk=self.pk, status__in=self.EDITABLE
            ).update(
                status=self.Status.SUBMITTED,
                submitted_at=at,
                submitted_by=user,
                submitted_ip=ip,
                updated_at=at,
                version=models.F("version") + 1,
            )
            if not claimed:
                return None
            self.refresh_from_db()
            uses = list(self.uses.all())
            if self.missing(uses):
                raise Incomplete
            attestation = self.attestation_text()
            questionnaire = self.campaign.questionnaire.parsed
            for use in uses:
                use.refresh_derived(questionnaire)
            Use.objects.bulk_update(uses, Use.DERIVED_FIELDS)
            self.refresh_scores(uses)
            self.answers_sha256 = self.answers_digest(uses)
            self.save(update_fields=[*self.DERIVED_FIELDS, "answers_sha256"])
            answers = questionnaire.visible_answers(self.answers)
            submission = Submission.objects.create(
                response=self,
                number=self.submissions.count() + 1,
                answers=answers,
                uses=[
                    questionnaire.visible_use_answers(u.answers, answers) for u in uses
                ],
                sha256=self.answers_sha256,
                attestation=attestation,
                submitted_at=at,
                submitted_by=user,
                submitted_ip=ip,
            )
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
        self.cdi = scoring.contractor_index(u.dri for u in counted if u.dri is not None)
        self.tier = scoring.tier(self.cdi, route)
        self.scoring_version = scoring.SCORING_VERSION
        self.flag_direct = answers.get(questionnaire.routing.direct) == "yes"
        self.flag_indirect_only = answers.get(
            questionnaire.routing.direct
        ) == "no" and any(
            answers.get(q) == "yes" for q in questionnaire.routing.screening
        )
        self.flag_nss = any(u.flag_nss for u in counted)
        self.flag_classified = any(u.flag_classified for u in counted)
        self.flag_deliverable = any(u.flag_deliverable for u in counted) or (
            answers.get("B5") == "yes"
        )
        self.flag_policy_friction = any(u.flag_policy_friction for u in counted)
        self.flag_assumed = any(u.flag_assumed for u in counted)
        self.flag_unresolved = route == "unresolved"
        self.completeness = completeness(
            questionnaire, answers, [u.answers for u in counted]
        )

    # Review workflow (spec §3.1). Each verb moves the status with one conditional UPDATE
    # so that two reviewers acting at once cannot both win, then records an audit event.
    class InvalidTransition(ValidationError):
        """A review verb was applied in a status it does not start from."""

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

    def _transition(
        self, verb: str, user: User, **details: Any
    ) -> tuple[str, datetime]:
        sources, target = self.TRANSITIONS[verb]
        now = timezone.now()
        previous = self.status
        claimed = Response.objects.filter(pk=self.pk, status__in=sources).update(
            status=target, reviewed_by=user, reviewed_at=now, updated_at=now
        )
        if not claimed:
            self.refresh_from_db(fields=["status"])
            raise Response.InvalidTransition(
                _("A response that is %(status)s cannot be moved that way."),
                params={"status": self.get_status_display()},
            )
        self.status, self.reviewed_by, self.reviewed_at = target, user, now
        AuditEvent.record(
            f"response.{verb}",
            actor=user,
            obj=self,
            organisation=self.organisation,
            campaign=self.campaign,
            previous=previous,
            status=target,
            **details,
        )
        return previous, now

    def start_review(self, user: User) -> None:
        with transaction.atomic():
            self._transition("start_review", user)

    def accept(self, user: User) -> None:
        with transaction.atomic():
            self._transition("accept", user)

    def escalate(self, user: User, note: str = "") -> None:
        with transaction.atomic():
            self._transition("escalate", user, note=note)

    def reopen(self, user: User, reason: str) -> None:
        """Unlock an accepted or escalated response so its organisation can amend it.

        The next submit adds a new Submission number; earlier ones are kept unchanged.
        """
        if not reason.strip():
            raise ValidationError(_("Give a reason for reopening."))
        with transaction.atomic():
            self._transition("reopen", user, reason=reason)

    def withdraw(self, user: User, reason: str) -> None:
        if not reason.strip():
            raise ValidationError(_("Give a reason for withdrawing."))
        with transaction.atomic():
            self._transition("withdraw", user, reason=reason)

    def return_for_clarification(
        self, user: User, comments: list[tuple[str, Use | None, str]]
    ) -> list[ReviewComment]:
        """Send the response back to its organisation with findings on given questions."""
        comments = [(q, use, text.strip()) for q, use, text in comments if text.strip()]
        if not comments:
            raise ValidationError(_("Comment on at least one question."))
        if any(
            use is not None and use.response_id != self.pk for _q, use, _t in comments
        ):
            raise ValidationError(_("A comment names a use of another response."))
        known = {q.id for q in self.campaign.questionnaire.parsed.questions}
        unknown = sorted({q for q, _use, _text in comments if q not in known})
        if unknown:
            raise ValidationError(
                _("Unknown questions: %(ids)s."), params={"ids": ", ".join(unknown)}
            )
        with transaction.atomic():
            self._transition(
                "return_for_clarification",
                user,
                questions=[q for q, _use, _text in comments],
            )
            return ReviewComment.objects.bulk_create(
                ReviewComment(
                    response=self, question_id=q, use=use, text=text, author=user
                )
                for q, use, text in comments
            )

    def override(self, user: User, band: str, justification: str) -> None:
        """Set a reviewer's band beside the computed tier, which is kept as it was."""
        if band and band not in scoring.Band.ORDER:
            raise ValidationError(_("Unknown band: %(band)s."), params={"band": band})
        if not justification.strip():
            raise ValidationError(_("An override needs a justification."))
        with transaction.atomic():
            claimed = Response.objects.filter(
                pk=self.pk, status__in=[*self.REVIEWABLE, self.Status.ACCEPTED]
            ).update(override_band=band, override_justification=justification)
            if not claimed:
                raise Response.InvalidTransition(
                    _("Only a submitted response can have its band overridden.")
                )
            previous = self.override_band
            self.override_band, self.override_justification = band, justification
            AuditEvent.record(
                "response.band_overridden",
                actor=user,
                obj=self,
                organisation=self.organisation,
                campaign=self.campaign,
                computed=self.tier,
                previous=previous,
                band=band,
                justification=justification,
            )

    @property
    def band(self) -> str:
        """The band that counts: the reviewer's override, else the computed tier."""
        return self.override_band or self.tier

    def grant_extension(self, user: User, deadline: datetime, reason: str) -> None:
        """Give this organisation a later deadline than the campaign's."""
        if timezone.is_naive(deadline):
            raise ValidationError(_("The new deadline needs a time zone."))
        if deadline <= self.campaign.deadline:
            raise ValidationError(
                _("An extension must end after the campaign deadline.")
            )
        if not reason.strip():
            raise ValidationError(_("Give a reason for the extension."))
        with transaction.atomic():
            previous = self.extended_deadline
            Response.objects.filter(pk=self.pk).update(
                extended_deadline=deadline, extension_reason=reason
            )
            self.extended_deadline, self.extension_reason = deadline, reason
            AuditEvent.record(
                "response.extension_granted",
                actor=user,
                obj=self,
                organisation=self.organisation,
                campaign=self.campaign,
                previous=previous.isoformat() if previous else None,
                deadline=deadline.isoformat(),
                reason=reason,
            )


def completeness(
    questionnaire: qn.Questionnaire,
    answers: dict[str, Any],
    use_answers: list[dict[str, Any]],
) -> float:
    """Share (%) of visible required questions answered with something other than Unknown."""
    required = known = 0

    def count(question: qn.Question, value: Any) -> None:
        nonlocal required, known
        if not question.required:
            return
        required += 1
        option = question.option(value) if isinstance(value, str) else None
        if value in (None, "", [], {}, qn.UNKNOWN) or (option and option.unknown):
            return
        known += 1

    for section in questionnaire.sections:
        if section.repeatable or not questionnaire.section_visible(section, answers):
            continue
        for question in section.questions:
            if question.show_if is None or question.show_if.evaluate(answers):
                count(question, answers.get(question.id))
    use_section = questionnaire.use_section
    if use_section is not None and questionnaire.section_visible(use_section, answers):
        for raw in use_answers:
            context = {**answers, **raw}
            for question in use_section.questions:
                if question.show_if is None or question.show_if.evaluate(context):
                    count(question, raw.get(question.id))
    return round(100 * known / required, 1) if required else 100.0


# Question ids whose answers are also kept as columns of a use, for counting in the database.
USE_COLUMNS = {
    "D2": "channel",
    "D4": "function",
    "D6": "relationship",
    "D7": "nss",
    "D8": "classification",
    "D10": "stage",
    "D11": "oversight",
    "D12": "reliance",
    "D13": "criticality",
    "D16": "substitutability",
    "D17": "alternative",
    "D18": "policy",
}
SUPPLY_TIER = {
    "direct": "1",
    "cloud_platform": "2",
    "embedded": "2+",
    "subcontractor": "2+",
}
FRICTION = {"task_blocked", "contractual_restriction"}


class Use(models.Model):
    """One way a business process depends on the vendor (one repeat of section D)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    response = models.ForeignKey(
        Response, models.CASCADE, related_name="uses", verbose_name=_("response")
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
        *USE_COLUMNS.values(),
        "supply_tier",
        "intermediary",
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

    class Meta:
        ordering = ["response", "position", "id"]
        verbose_name = _("use")
        verbose_name_plural = _("uses")
        indexes = [
            models.Index(fields=["response", "position"]),
            models.Index(fields=["band"]),
            models.Index(fields=["channel"]),
        ]

    def __str__(self) -> str:
        return self.name or _("Use %(position)s") % {"position": self.position}

    def save_answers(
        self,
        *,
        posted: dict[str, Any],
        loaded: dict[str, Any],
        loaded_version: int,
        question_ids: list[str],
        user: User,
        ip: str | None,
        at: datetime,
        overwrite: frozenset[str] = frozenset(),
    ) -> editing.Merge:
        """Merge one user's edits of this use's answers; see survey.editing.

        Raises Use.DoesNotExist when another user removed the use meanwhile.
        """
        with transaction.atomic():
            response = Response.objects.select_for_update().get(pk=self.response_id)
            if not response.is_editable:
                raise Locked(response.get_status_display())
            current = Use.objects.get(pk=self.pk)
            result = editing.merge(
                current=current.answers,
                current_meta=current.answer_meta,
                current_version=current.version,
                loaded=loaded,
                loaded_version=loaded_version,
                posted=posted,
                question_ids=question_ids,
                editor=user.email,
                at=at.isoformat(),
                overwrite=overwrite,
            )
            if result.changed:
                questionnaire = response.campaign.questionnaire.parsed
                org = questionnaire.visible_answers(response.answers)
                visible = questionnaire.visible_use_answers(result.answers, org)
                current.answers = _store_uploads(visible, response, current, user)
                current.answer_meta = result.meta
                current.version += 1
                current.updated_at = at
                current.refresh_derived(questionnaire)
                current.save()
                response.touch(at)
                response.refresh_scores(list(response.uses.all()))
                response.save()
                response.audit_save(user, ip, result.changed, use=current)
        self.refresh_from_db()
        return result

    def refresh_derived(self, questionnaire: qn.Questionnaire) -> None:
        """Copy countable answers to columns and store the factors, DRI and band."""
        answers = self.answers
        self.name = str(answers.get("D1") or "")[:200]
        for qid, column in USE_COLUMNS.items():
            value = answers.get(qid)
            setattr(self, column, value if isinstance(value, str) else "")
        self.supply_tier = SUPPLY_TIER.get(self.channel, "")
        self.intermediary = " ".join(str(answers.get("D3") or "").split())[:200]
        self.days, self.days_unknown = _number(answers.get("D14"), int)
        self.cost, self.cost_unknown = _number(answers.get("D15"), Decimal)
        self._score(questionnaire)

    def _score(self, questionnaire: qn.Questionnaire) -> None:
        # Without a worst case for A (credit) the formula would reward missing answers.
        factors = {"C": 4, "Sub": 4, "A": 0, "E": 4, "R": 4}
        assumed: list[str] = []
        section = questionnaire.use_section
        for question in section.questions if section else ():
            if question.scores not in qn.OPTION_FACTORS:
                continue
            option = question.option(self.answers.get(question.id) or "")
            values = [int(o.factor or 0) for o in question.options]
            if option is None:
                worst = min(values) if question.scores == "A" else max(values)
                factors[question.scores] = worst
                assumed.append(question.scores)
            else:
                factors[question.scores] = int(option.factor or 0)
                if option.unknown:
                    assumed.append(question.scores)
        result = scoring.score_use(
            c=factors["C"],
            days=None if self.days_unknown else self.days,
            sub=factors["Sub"],
            a=factors["A"],
            e=factors["E"],
            r=factors["R"],
            no_alternative=self.alternative == "no",
            assumed=assumed,
        )
        self.c, self.t, self.sub, self.a = result.c, result.t, result.sub, result.a
        self.s, self.e, self.r, self.m = result.s, result.e, result.r, result.m
        self.dri, self.band = result.dri, result.band
        self.scoring_version = scoring.SCORING_VERSION
        self.assumed_factors = " ".join(result.assumed)
        self.flag_assumed = bool(result.assumed)
        self.flag_nss = self.nss == "yes"
        self.flag_deliverable = self.relationship == "deliverable"
        self.flag_classified = result.e >= 3
        self.flag_policy_friction = self.policy in FRICTION


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


class Attachment(models.Model):
    """Evidence uploaded with an answer; kept in the database so app servers stay stateless."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    response = models.ForeignKey(
        Response, models.CASCADE, related_name="attachments", verbose_name=_("response")
    )
    use = models.ForeignKey(
        Use,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("use"),
    )
    question_id = models.CharField(_("question"), max_length=10)
    name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("content"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["response", "question_id", "-uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def store(
        cls,
        upload: qn.Upload,
        *,
        response: Response,
        use: Use | None,
        question_id: str,
        user: User,
    ) -> dict[str, Any]:
        """Keep an uploaded file and return the answer value that points to it."""
        attachment = cls.objects.create(
            response=response,
            use=use,
            question_id=question_id,
            name=upload.name,
            content_type=upload.content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            content=upload.data,
            uploaded_by=user,
        )
        return {
            "attachment": str(attachment.uuid),
            "name": attachment.name,
            "size": attachment.size,
        }


def _store_uploads(
    posted: dict[str, Any], response: Response, use: Use | None, user: User
) -> dict[str, Any]:
    """Replace uploaded files in posted answers by references to stored attachments."""
    return {
        qid: Attachment.store(
            value, response=response, use=use, question_id=qid, user=user
        )
        if isinstance(value, qn.Upload)
        else value
        for qid, value in posted.items()
    }


class Submission(models.Model):
    """An immutable snapshot of a response as submitted; amendments add new numbers."""

    response = models.ForeignKey(
        Response, models.PROTECT, related_name="submissions", verbose_name=_("response")
    )
    number = models.PositiveIntegerField(_("number"))
    answers = models.JSONField(_("organisation-level answers"))
    uses = models.JSONField(
        _("uses"), help_text=_("The answers of each use, in order.")
    )
    sha256 = models.CharField(_("SHA-256 of the canonical answers"), max_length=64)
    attestation = models.TextField(_("attestation text"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["response", "number"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "number"], name="one_submission_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response} #{self.number}"


class ReviewComment(models.Model):
    """A reviewer's finding on one question (of the organisation, or of one use)."""

    response = models.ForeignKey(
        Response, models.CASCADE, related_name="comments", verbose_name=_("response")
    )
    question_id = models.CharField(_("question"), max_length=10)
    use = models.ForeignKey(
        Use,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("use"),
    )
    text = models.TextField(_("comment"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["response", "question_id", "created_at"]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.text[:60]}"


class ReminderSent(models.Model):
    """One reminder offset emailed to one response's organisation: never twice."""

    response = models.ForeignKey(
        Response, models.CASCADE, related_name="reminders", verbose_name=_("response")
    )
    offset_hours = models.PositiveIntegerField(_("hours before the deadline"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "offset_hours"], name="one_reminder_per_offset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response} – {self.offset_hours} h"


class Invitation(models.Model):
    """A single-use, expiring link that lets a contractor user set a password and join."""

    organisation = models.ForeignKey(
        Organisation,
        models.CASCADE,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("email address"))
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    # Only a hash is stored: a database leak must not yield working links.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    VALIDITY = timedelta(days=14)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation.legal_name}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(
        cls,
        organisation: Organisation,
        email: str,
        role: str,
        created_by: Any = None,
        full_name: str = "",
    ) -> tuple[Invitation, str]:
        """A new invitation and its raw token (shown once, in the emailed link)."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            organisation=organisation,
            email=UserManager.normalize_email(email),
            full_name=full_name,
            role=role,
            token_hash=cls.hash_token(token),
            created_by=created_by,
            expires_at=timezone.now() + cls.VALIDITY,
        )
        return invitation, token

    @classmethod
    def usable(cls, token: str) -> Invitation | None:
        """The unexpired, unused invitation for a raw token, if any."""
        return (
            cls.objects.select_related("organisation")
            .filter(
                token_hash=cls.hash_token(token),
                accepted_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )

    def mark_accepted(self) -> bool:
        """Use the invitation up; False if another request already did (single use)."""
        now = timezone.now()
        claimed = Invitation.objects.filter(
            pk=self.pk, accepted_at__isnull=True
        ).update(accepted_at=now)
        self.accepted_at = now if claimed else self.accepted_at
        return bool(claimed)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise ValidationError(_("Audit events cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Audit events cannot be deleted."))


class AuditEvent(models.Model):
    """Append-only record of who did what, when, to which object."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_email = models.CharField(_("actor email"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    campaign = models.ForeignKey(
        Campaign,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campaign"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Audit events cannot be deleted."))

    @classmethod
    def record(
        cls,
        action: str,
        *,
        actor: Any = None,
        obj: models.Model | None = None,
        organisation: Organisation | None = None,
        campaign: Campaign | None = None,
        ip: str | None = None,
        **details: Any,
    ) -> AuditEvent:
        event = cls.objects.create(
            action=action,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_email=getattr(actor, "email", "") or "",
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            organisation=organisation,
            campaign=campaign,
            ip=ip,
            details=details,
        )
        # One structured line per event (AC-8). Identifiers only: details can hold
        # free text, which stays in the database.
        audit_log.info(
            "%s",
            json.dumps(
                {
                    "at": event.at.isoformat(),
                    "event": action,
                    "user_id": event.actor_id,
                    "organisation_id": event.organisation_id,
                    "campaign_id": event.campaign_id,
                    "object": f"{event.object_type}:{event.object_id}",
                    "ip": ip,
                }
            ),
        )
        return event
