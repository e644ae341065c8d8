"""Invitation links: build them, and replace a link with a fresh one on resend."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils import timezone

from survey.models import Invitation


def invitation_link(token: str) -> str:
    return f"{settings.SITE_URL}/invite/{token}/"


def renew(invitation: Invitation) -> str | None:
    """A new raw token for an unused invitation; the old link stops working.

    Only the hash is stored, so a resend cannot repeat the old link: it issues a new one.
    None when the invitation has been accepted meanwhile.
    """
    token = secrets.token_urlsafe(32)
    fields = {
        "token_hash": Invitation.hash_token(token),
        "expires_at": timezone.now() + Invitation.VALIDITY,
    }
    if not Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        **fields
    ):
        return None
    for name, value in fields.items():
        setattr(invitation, name, value)
    return token
