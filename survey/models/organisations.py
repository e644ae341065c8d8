"""Contractor organisations, their members, and the invitations that make new members."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey.models.accounts import UserManager

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
