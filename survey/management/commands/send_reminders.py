"""Email deadline reminders that are due; safe to run from cron every few minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from survey.reminders import send_due


class Command(BaseCommand):
    help = "Email the organisations that have not submitted, at each reminder offset."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due(timezone.now())
        for item in sent:
            self.stdout.write(
                f"{item.response} – {item.offset_hours} h – {len(item.recipients)} recipient(s)"
            )
        self.stdout.write(f"{len(sent)} reminder(s) sent.")
