"""The scores derived from a response's answers, kept as columns for counting in SQL."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResponseScores(models.Model):
    """Derived on save (Response) and frozen at submission (Submission)."""

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
        abstract = True
