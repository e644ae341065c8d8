"""python manage.py bench --responses N: time the dashboard and the admin lists at scale.

Run by `make bench` on a scratch database. Prints one JSON line per figure, each with
the time of a baseline (a full count of the uses table) taken in the same run, so that
figures from different machines compare as ratios. Then the refused logins (bench_login),
once whatever the sizes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from survey import analytics
from survey.models import AuditEvent, Campaign, Response, Use, User

ROUNDS = 3


class Command(BaseCommand):
    help = "Time the dashboard, the progress page and the admin lists on a generated campaign."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--responses", type=int, nargs="+", default=[10_000])
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        for size in options["responses"]:
            self.run(size, options["seed"])
        call_command("bench_login", scratch=True, stdout=self.stdout)

    def run(self, size: int, seed: int) -> None:
        slug = f"bench-{size}"
        if not Campaign.objects.filter(slug=slug).exists():
            call_command(
                "generate_campaign",
                slug,
                responses=size,
                seed=seed,
                scratch=True,  # make bench runs on a database of its own
                stdout=self.stderr,
            )
        campaign = Campaign.objects.get(slug=slug)
        self.audit_trail(campaign, size)
        uses = Use.objects.filter(response__campaign=campaign).count()
        admin, _ = User.objects.get_or_create(
            email="bench@example.com", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(admin)
        baseline, _q = self.timed(lambda: Use.objects.count())
        now = timezone.now()
        dashboard = reverse("admin:survey_campaign_dashboard", args=[campaign.pk])
        responses = reverse("admin:survey_response_changelist")
        some = Response.objects.filter(campaign=campaign).values_list(
            "organisation__legal_name", flat=True
        )[:1]
        cases: list[tuple[str, Callable[[], Any]]] = [
            (
                "dashboard",
                lambda: analytics.dashboard(campaign, analytics.Filter(), now),
            ),
            (
                "dashboard_filtered",
                lambda: analytics.dashboard(
                    campaign,
                    analytics.Filter(band="high", channel="cloud_platform"),
                    now,
                ),
            ),
            ("dashboard_page", lambda: self.get(client, dashboard)),
            ("dashboard_json", lambda: self.get(client, dashboard + "?format=json")),
            (
                "progress_page",
                lambda: self.get(
                    client,
                    reverse("admin:survey_campaign_progress", args=[campaign.pk]),
                ),
            ),
            ("response_list", lambda: self.get(client, responses)),
            (
                "response_list_filtered",
                lambda: self.get(
                    client,
                    f"{responses}?campaign__id__exact={campaign.pk}&status__exact=submitted",
                ),
            ),
            (
                "response_list_searched",
                lambda: self.get(client, f"{responses}?q={list(some)[0][-6:]}"),
            ),
            (
                "audit_event_list",
                lambda: self.get(client, reverse("admin:survey_auditevent_changelist")),
            ),
        ]
        for name, call in cases:
            seconds, queries = self.timed(call)
            self.stdout.write(
                json.dumps(
                    {
                        "name": name,
                        "seconds": round(seconds, 3),
                        "queries": queries,
                        "responses": size,
                        "uses": uses,
                        "db": connection.vendor,
                        "baseline_seconds": round(baseline, 4),
                    }
                )
            )

    def audit_trail(self, campaign: Campaign, size: int) -> None:
        """Ten audit events per response, as a campaign leaves behind (once)."""
        if AuditEvent.objects.filter(campaign=campaign).exists():
            return
        actions = ["auth.login", "response.saved", "use.saved", "response.submitted"]
        first = campaign.questionnaire.parsed.questions[0].id
        responses = list(
            Response.objects.filter(campaign=campaign).values_list(
                "pk", "organisation_id"
            )
        )
        now = timezone.now()
        AuditEvent.objects.bulk_create(
            (
                AuditEvent(
                    action=actions[n % len(actions)],
                    at=now - timedelta(minutes=n),
                    object_type="survey.response",
                    object_id=str(pk),
                    organisation_id=org,
                    campaign=campaign,
                    details={"questions": [first], "version": n},
                )
                for n, (pk, org) in enumerate(responses * 10)
            ),
            batch_size=5000,
        )

    def get(self, client: Client, url: str) -> Any:
        reply = client.get(url)
        if reply.status_code != 200:
            raise RuntimeError(f"{url} answered {reply.status_code}")
        return reply

    def timed(self, call: Callable[[], Any]) -> tuple[float, int]:
        """The best of a few rounds (the first one warms caches), and its queries."""
        best, queries = float("inf"), 0
        for _ in range(ROUNDS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                call()
                elapsed = time.perf_counter() - started
            if elapsed < best:
                best, queries = elapsed, len(captured)
        return best, queries
