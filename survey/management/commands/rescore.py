"""python manage.py rescore SLUG: recompute a campaign with its scoring version in force."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from survey.models import Campaign
from survey.rescoring import rescore


class Command(BaseCommand):
    help = (
        "Score every use, response and submission of a campaign again with the "
        "campaign's scoring version in force, and audit how many uses changed band."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(f"No campaign {options['slug']!r}.")
        result = rescore(campaign)
        moves = ", ".join(f"{k}: {n}" for k, n in sorted(result.changed.items()))
        self.stdout.write(
            f"{campaign.slug}: {result.uses} uses scored with version {result.version}; "
            f"{sum(result.changed.values())} changed band"
            + (f" ({moves})." if moves else ".")
        )
