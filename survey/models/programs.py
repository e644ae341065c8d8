"""Contracts (A6 rows) and intermediary platforms as rows, so that figures GROUP BY them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from survey.names import name_key


class LiveManager(models.Manager[Any]):
    """The rows contractors are editing now; the copies frozen at submission are apart."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(submission__isnull=True)


class AttestedManager(models.Manager[Any]):
    """The copies frozen at submission, one set per Submission."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(submission__isnull=False)


class ContractQuerySet(models.QuerySet["Contract"]):
    def live(self) -> ContractQuerySet:
        """The contracts contractors are editing now, not the copies of a submission."""
        return self.filter(submission__isnull=True)


class Contract(models.Model):
    """One contract or order of a response (a row of the contracts question, A6)."""

    response = models.ForeignKey(
        "survey.Response",
        models.CASCADE,
        related_name="contracts",
        verbose_name=_("response"),
    )
    # Set on the copies made at submission; live rows have none.
    submission = models.ForeignKey(
        "survey.Submission",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("submission"),
    )
    position = models.PositiveIntegerField(_("position"), default=1)
    piid = models.CharField(_("PIID"), max_length=100)
    program = models.CharField(_("program"), max_length=200)
    program_key = models.CharField(_("program (normalised)"), max_length=200)

    # Not filtered: a use's link to its contracts must reach the attested copies too.
    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["response", "position"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [models.Index(fields=["program_key"])]

    def __str__(self) -> str:
        return f"{self.piid} – {self.program}"


class IntermediaryAlias(models.Model):
    """Admins group spellings of one platform: "AWS Bedrock" → "Amazon Bedrock"."""

    key = models.CharField(
        _("name as typed (normalised)"),
        max_length=200,
        unique=True,
        help_text=_("Case, spacing and punctuation are ignored."),
    )
    platform = models.CharField(_("platform"), max_length=200)

    class Meta:
        ordering = ["platform", "key"]
        verbose_name = _("intermediary alias")
        verbose_name_plural = _("intermediary aliases")

    def __str__(self) -> str:
        return f"{self.key} → {self.platform}"

    def clean(self) -> None:
        self.key = name_key(self.key)
