"""Deadline reminders: which organisations to remind now, each offset at most once.

Run often (cron every few minutes): a run sends only what became due since the last one,
and the unique (response, offset) row is claimed before the email goes out, so two runs at
once cannot both send it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from survey.emails import send_reminder
from survey.models import Campaign, Membership, ReminderSent, Response

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    response: Response
    offset_hours: int
    recipients: tuple[str, ...]


def due_offsets(offsets: list[int], deadline: datetime, now: datetime) -> list[int]:
    """The offsets whose moment (deadline − offset) has passed, before the deadline."""
    if now >= deadline:
        return []
    return sorted(
        (int(h) for h in offsets if now >= deadline - timedelta(hours=int(h))),
        reverse=True,
    )


def send_due(now: datetime) -> list[Sent]:
    """Send every reminder due at `now`; returns what was sent."""
    sent = []
    responses = (
        Response.objects.filter(
            campaign__status=Campaign.Status.OPEN,
            status__in=Response.EDITABLE,
            submitted_at__isnull=True,
        )
        .select_related("campaign", "organisation")
        .prefetch_related(
            "reminders",
            Prefetch(
                "organisation__memberships",
                queryset=Membership.objects.filter(user__is_active=True).select_related(
                    "user"
                ),
            ),
        )
    )
    for response in responses:
        deadline = response.effective_deadline
        due = due_offsets(response.campaign.reminder_offsets or [], deadline, now)
        done = {
            r.offset_hours for r in response.reminders.all() if r.deadline == deadline
        }
        pending = [h for h in due if h not in done]
        if not pending:
            continue
        recipients = tuple(
            sorted(m.user.email for m in response.organisation.memberships.all())
        )
        # Nobody has joined yet: keep the offsets for when someone has.
        if not recipients:
            continue
        # After a pause (cron down, or a late invitation) several offsets can be due at
        # once: send only the nearest one and mark the earlier ones as passed.
        if not _claim(response, pending, deadline):
            continue
        try:
            send_reminder(response, pending[-1], recipients)
        except OSError:
            # The mail relay failed: give the claim back so that the next run retries,
            # and go on with the other organisations.
            logger.exception("Reminder to response %s not sent", response.pk)
            ReminderSent.objects.filter(
                response=response, deadline=deadline, offset_hours__in=pending
            ).delete()
            continue
        sent.append(Sent(response, pending[-1], recipients))
    return sent


def _claim(response: Response, offsets: list[int], deadline: datetime) -> bool:
    try:
        with transaction.atomic():
            ReminderSent.objects.bulk_create(
                ReminderSent(response=response, offset_hours=h, deadline=deadline)
                for h in offsets
            )
    except IntegrityError:
        # Another run claimed them first.
        return False
    return True
