"""Contracts (A6 rows) and intermediary platforms as rows, so that figures GROUP BY them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        previous = (
            IntermediaryAlias.objects.filter(pk=self.pk)
            .values_list("key", flat=True)
            .first()
            if self.pk
            else None
        )
        super().save(*args, **kwargs)
        IntermediaryAlias.regroup({self.key, previous} - {None})

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        key = self.key
        deleted = super().delete(*args, **kwargs)
        IntermediaryAlias.regroup({key})
        return deleted

    def clean(self) -> None:
        self.key = name_key(self.key)

    @staticmethod
    def platform_of(key: str, aliases: Mapping[str, str] | None = None) -> str:
        """The platform a normalised intermediary name counts under."""
        if not key:
            return ""
        if aliases is not None:
            return aliases.get(key, key)
        found = IntermediaryAlias.objects.filter(key=key).values_list(
            "platform", flat=True
        )
        return next(iter(found), key)

    @staticmethod
    def mapping() -> dict[str, str]:
        """Every alias, for bulk scoring (there are a handful)."""
        return dict(IntermediaryAlias.objects.values_list("key", "platform"))

    @staticmethod
    def regroup(keys: Iterable[str | None]) -> int:
        """Store the platform of every use, live or attested, named by these keys: one
        UPDATE (an alias changes what the figures group, submitted rows included)."""
        from survey.models.uses import Use

        wanted = [k for k in keys if k]
        if not wanted:
            return 0
        alias = IntermediaryAlias.objects.filter(key=OuterRef("intermediary_key"))
        return Use._base_manager.filter(intermediary_key__in=wanted).update(
            platform=Coalesce(
                Subquery(alias.values("platform")[:1]), F("intermediary_key")
            )
        )
