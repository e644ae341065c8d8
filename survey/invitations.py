"""Invitation links: build them, and replace a link with a fresh one on resend."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils import timezone

from survey.models import Invitation


def invitation_link(token: str) -> str:
    return f"{settings.SITE_URL}/invite/{token}/"


def new_token() -> tuple[str, str]:
    """A raw token for the emailed link, and the hash that is all the database keeps."""
    token = secrets.token_urlsafe(32)
    return token, Invitation.hash_token(token)


def renew(invitation: Invitation) -> str | None:
    """A new raw token for an unused invitation; the old link stops working.

    Only the hash is stored, so a resend cannot repeat the old link: it issues a new one.
    None when the invitation has been accepted meanwhile.
    """
    token, token_hash = new_token()
    fields = {
        "token_hash": token_hash,
        "expires_at": timezone.now() + Invitation.VALIDITY,
    }
    if not Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        **fields
    ):
        return None
    for name, value in fields.items():
        setattr(invitation, name, value)
    return token
