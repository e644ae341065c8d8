"""Export jobs: a workbook built in the background, its progress, file and expiry."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey.models.accounts import User
from survey.models.campaigns import Campaign


class ExportJob(models.Model):
    """One requested export. The worker moves it queued → running → done or failed;
    an expired one has lost its file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, models.CASCADE, related_name="exports", verbose_name=_("campaign")
    )
    requested_by = models.ForeignKey(
        User, models.PROTECT, related_name="exports", verbose_name=_("requested by")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # What was asked: survey.exports.Options as JSON (filter, selection, format...).
    options = models.JSONField(_("options"), default=dict)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), default=0)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # Touched with every progress report: a running job whose heartbeat stops has lost
    # its worker (see fail_stale).
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    row_counts = models.JSONField(_("rows per sheet"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.created_at:%Y-%m-%d %H:%M} UTC"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, 100 * self.rows_done // self.rows_total)

    @property
    def finished(self) -> bool:
        return self.status in (
            self.Status.DONE,
            self.Status.FAILED,
            self.Status.EXPIRED,
        )

    def is_downloadable(self, now: datetime) -> bool:
        return (
            self.status == self.Status.DONE
            and bool(self.file)
            and self.expires_at is not None
            and now < self.expires_at
        )

    # State changes: each one a single UPDATE guarded by the state it leaves, so that
    # two workers (or a worker and the stale sweep) never both win.

    def claim(self, now: datetime, total: int) -> bool:
        claimed = ExportJob.objects.filter(
            pk=self.pk, status=self.Status.QUEUED
        ).update(
            status=self.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            rows_total=total,
        )
        if claimed:
            self.status, self.started_at, self.rows_total = (
                self.Status.RUNNING,
                now,
                total,
            )
        return bool(claimed)

    def report(self, done: int, now: datetime) -> bool:
        """Progress; False when the job is no longer running (failed as stale)."""
        return bool(
            ExportJob.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(
                rows_done=done, heartbeat_at=now
            )
        )

    def fail(self, reason: str, now: datetime) -> None:
        ExportJob.objects.filter(
            pk=self.pk, status__in=(self.Status.QUEUED, self.Status.RUNNING)
        ).update(status=self.Status.FAILED, error=reason[:2000], finished_at=now)
        self.refresh_from_db()

    @classmethod
    def fail_stale(cls, now: datetime) -> int:
        """Jobs whose worker died: running without progress for EXPORT_STALE_MINUTES,
        or queued for EXPORT_TIMEOUT_MINUTES without a worker taking them."""
        stale = now - timedelta(minutes=settings.EXPORT_STALE_MINUTES)
        unclaimed = now - timedelta(minutes=settings.EXPORT_TIMEOUT_MINUTES)
        with transaction.atomic():
            running = cls.objects.filter(
                status=cls.Status.RUNNING, heartbeat_at__lt=stale
            ).update(
                status=cls.Status.FAILED,
                finished_at=now,
                error=str(
                    _("The worker stopped reporting progress for %(minutes)s minutes.")
                    % {"minutes": settings.EXPORT_STALE_MINUTES}
                ),
            )
            queued = cls.objects.filter(
                status=cls.Status.QUEUED, created_at__lt=unclaimed
            ).update(
                status=cls.Status.FAILED,
                finished_at=now,
                error=str(
                    _("No worker started the export within %(minutes)s minutes.")
                    % {"minutes": settings.EXPORT_TIMEOUT_MINUTES}
                ),
            )
        return running + queued

    def done(self, fields: dict[str, Any], now: datetime) -> None:
        ExportJob.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(
            status=self.Status.DONE, finished_at=now, **fields
        )
        self.refresh_from_db()
