"""Create or refresh the Reviewer and Admin groups; run after every deployment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from survey.roles import ensure_staff_groups


class Command(BaseCommand):
    help = "Create or update the Reviewer and Admin groups and their permissions."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, group in ensure_staff_groups().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
