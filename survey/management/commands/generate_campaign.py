"""python manage.py generate_campaign SLUG --responses N --seed S"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from survey.demo import DEFAULT_DEFINITION
from survey.generate import generate
from survey.models import (
    Campaign,
    IntermediaryAlias,
    QuestionnaireVersion,
    User,
    Vendor,
)


class Command(BaseCommand):
    help = (
        "Add N synthetic organisations with valid, varied responses (about three uses "
        "each) to a campaign, creating the campaign if needed. For trying the dashboard "
        "at scale and for the benchmarks; never on a production database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--responses", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--vendor", default="Example AI")
        parser.add_argument(
            "--scratch",
            action="store_true",
            help="Confirm this is a scratch database (needed when DEBUG is off).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["scratch"]:
            raise CommandError(
                "This adds synthetic organisations and platform aliases: run it on a "
                "scratch database, with --scratch when DEBUG is off."
            )
        count = options["responses"]
        if not 1 <= count <= 1_000_000:
            raise CommandError("--responses takes a number from 1 to 1,000,000.")
        now = timezone.now()
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            campaign = Campaign.objects.create(
                slug=options["slug"],
                title=f"Synthetic campaign {options['slug']}",
                vendor=Vendor.objects.get_or_create(name=options["vendor"])[0],
                questionnaire=QuestionnaireVersion.objects.get_or_load(
                    DEFAULT_DEFINITION
                ),
                opens_at=now - timedelta(days=14),
                deadline=now + timedelta(days=3),
                status=Campaign.Status.OPEN,
            )
        for key, platform in [
            ("aws bedrock", "Amazon Bedrock"),
            ("amazon bedrock govcloud", "Amazon Bedrock"),
            ("vertex ai", "Google Vertex AI"),
        ]:
            IntermediaryAlias.objects.get_or_create(
                key=key, defaults={"platform": platform}
            )
        signatory, _ = User.objects.get_or_create(
            email="synthetic-signatory@example.com", defaults={"full_name": "Synthetic"}
        )
        started = time.perf_counter()
        made = generate(campaign, count, options["seed"], signatory, now)
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would give them a little later: without
            # them PostgreSQL misjudges the counted uses by 400× and plans for 600 rows.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"{campaign.slug}: {made.responses} responses and {made.uses} uses added "
            f"in {time.perf_counter() - started:.1f} s."
        )
