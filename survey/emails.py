"""Emails to contractors: invitations and deadline reminders, in the recipient's language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from survey.invitations import invitation_link
from survey.models import AuditEvent, Invitation, Response


def _send(
    template: str, context: dict[str, Any], to: list[str], language: str | None
) -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"email/{template}_subject.txt", context)
        body = render_to_string(f"email/{template}.txt", context)
    # A newline in a subject is a header injection; templates end with one.
    send_mail(" ".join(subject.split()), body, None, to)


def _local(instant: Any, zone: str) -> str:
    local = timezone.localtime(instant, ZoneInfo(zone))
    utc = timezone.localtime(instant, ZoneInfo("UTC"))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc:%H:%M} UTC)"


def send_invitation(
    invitation: Invitation,
    token: str,
    actor: Any = None,
    language: str | None = None,
) -> None:
    """Email the single-use link; the raw token exists only here and in the email."""
    _send(
        "invitation",
        {
            "invitation": invitation,
            "organisation": invitation.organisation,
            "link": invitation_link(token),
            "expires": _local(
                invitation.expires_at, settings.DEFAULT_DISPLAY_TIME_ZONE
            ),
        },
        [invitation.email],
        language,
    )
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    AuditEvent.record(
        "email.invitation_sent",
        actor=actor,
        obj=invitation,
        organisation=invitation.organisation,
        to=invitation.email,
    )


def send_reminder(
    response: Response,
    offset_hours: int,
    recipients: Iterable[str],
    language: str | None = None,
) -> None:
    to = sorted(set(recipients))
    campaign = response.campaign
    _send(
        "reminder",
        {
            "response": response,
            "organisation": response.organisation,
            "campaign": campaign,
            "deadline": _local(response.effective_deadline, campaign.display_timezone),
            "link": f"{settings.SITE_URL}/",
        },
        to,
        language,
    )
    AuditEvent.record(
        "email.reminder_sent",
        obj=response,
        organisation=response.organisation,
        campaign=campaign,
        offset_hours=offset_hours,
        to=to,
    )
