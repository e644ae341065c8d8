"""Create the demo campaign, organisations and users; running it again changes nothing."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from survey import demo

DEFAULT_DEMO_PASSWORD = "demo-survey-2026"


class Command(BaseCommand):
    help = "Seed the demo data (idempotent). Password: $DEMO_PASSWORD or the README default."

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        logins = demo.seed(password)
        width = max(len(email) for email, _ in logins)
        self.stdout.write(f"Demo campaign '{demo.CAMPAIGN_SLUG}' is ready.")
        self.stdout.write(f"Every demo user's password: {password}")
        for email, role in logins:
            self.stdout.write(f"  {email.ljust(width)}  {role}")
        self.stdout.write(
            f"Open {settings.SITE_URL}/ (admin: {settings.SITE_URL}/{settings.ADMIN_URL_PATH})"
        )
        self.stdout.write(
            "Staff two-factor is on: reviewers and admins set up an authenticator app "
            "at their first login."
            if settings.STAFF_MFA
            else "Staff two-factor is off; to try it, run `STAFF_MFA=1 make run`."
        )
