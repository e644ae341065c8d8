"""Campaigns: one survey of contractors about one vendor, with one questionnaire version."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey import scoring
from survey.deadlines import MAX_CAMPAIGN_SPAN, validate_instant, validate_time_zone
from survey.models.questionnaires import QuestionnaireVersion, Vendor
from survey.models.versioning import QuestionnaireMove


def default_reminder_offsets() -> list[int]:
    # 7 days, 72 h, 24 h and 4 h before the deadline.
    return [168, 72, 24, 4]


class Campaign(QuestionnaireMove, models.Model):
    """One survey of contractors about one vendor, with one questionnaire version.

    The version changes, once answers exist, only through move_to_version
    (survey/models/versioning.py), which carries the live answers and audits it.
    """

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
    opens_at = models.DateTimeField(_("opens at"), validators=[validate_instant])
    deadline = models.DateTimeField(_("deadline"), validators=[validate_instant])
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
        _("require a signed attestation file"), default=False
    )
    reminder_offsets = models.JSONField(
        _("reminder offsets (hours before the deadline)"),
        default=default_reminder_offsets,
        blank=True,
    )
    target_removal_date = models.DateField(
        _("target removal date"),
        null=True,
        blank=True,
        validators=[validate_instant],
        help_text=_(
            "When the vendor would have to be gone; the readiness curve counts the uses "
            "that can move by then. Empty: 180 days after the deadline."
        ),
    )
    predecessor = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name=_("predecessor campaign"),
        help_text=_(
            "An earlier campaign: each organisation's response here starts from its "
            "last submission there, to be confirmed or edited section by section."
        ),
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

    def clean(self) -> None:
        if self.opens_at and self.deadline:
            if self.deadline <= self.opens_at:
                raise ValidationError(
                    {"deadline": _("The deadline must come after the opening.")}
                )
            if self.deadline > self.opens_at + MAX_CAMPAIGN_SPAN:
                raise ValidationError(
                    {"deadline": _("A campaign may last at most five years.")}
                )
        if self.predecessor_id and self._follows_itself():
            raise ValidationError(
                {"predecessor": _("A campaign cannot follow itself or its successors.")}
            )

    def _follows_itself(self) -> bool:
        seen, current = set(), self.predecessor
        while current is not None and current.pk not in seen:
            if self.pk is not None and current.pk == self.pk:
                return True
            seen.add(current.pk)
            current = current.predecessor
        return False

    @property
    def removal_target(self) -> date:
        """The target removal date, or 180 days after the deadline (in its zone)."""
        if self.target_removal_date:
            return self.target_removal_date
        local = self.deadline.astimezone(ZoneInfo(self.display_timezone))
        return local.date() + timedelta(days=180)

    @property
    def days_to_removal(self) -> int:
        """Days from the deadline (when transitions can start) to the removal target."""
        local = self.deadline.astimezone(ZoneInfo(self.display_timezone))
        return max(0, (self.removal_target - local.date()).days)

    def scoring(self) -> scoring.ScoringConfig:
        """The scoring configuration in force: the campaign's latest version, else the
        spec's defaults. Read once per instance (a save scores several uses)."""
        if not hasattr(self, "_scoring"):
            latest = self.scoring_versions.order_by("-number").first()
            self._scoring = latest.scoring() if latest else scoring.DEFAULT_CONFIG
        return self._scoring

    def is_open_at(self, instant: Any) -> bool:
        return (
            self.status == self.Status.OPEN and self.opens_at <= instant < self.deadline
        )


class ScoringVersion(models.Model):
    """One numbered version of a campaign's scoring configuration (spec §2.4).

    Versions are never edited: a change adds the next number. Rows keep the version
    they were scored with (their scoring_version) until `manage.py rescore`.
    """

    campaign = models.ForeignKey(
        Campaign,
        models.CASCADE,
        related_name="scoring_versions",
        verbose_name=_("campaign"),
    )
    number = models.PositiveIntegerField(_("number"))
    config = models.JSONField(_("configuration"))
    note = models.CharField(_("what changed and why"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["campaign", "-number"]
        verbose_name = _("scoring version")
        verbose_name_plural = _("scoring versions")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "number"], name="one_scoring_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign.slug} scoring v{self.number}"

    def scoring(self) -> scoring.ScoringConfig:
        return scoring.ScoringConfig.from_dict(self.config, self.number)
