from __future__ import annotations

import os
from io import StringIO
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management import call_command
from django.test import TestCase

from survey.demo import CAMPAIGN_SLUG
from survey.models import Campaign, Response, User
from tests.helpers import log_in


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


class SeedDemoTests(TestCase):
    def seed(self) -> str:
        out = StringIO()
        call_command("seed_demo", stdout=out)
        return out.getvalue()

    def test_running_it_twice_leaves_every_row_count_unchanged(self) -> None:
        self.seed()
        first = row_counts()
        self.seed()
        self.assertEqual(row_counts(), first)
        self.assertGreater(first["survey.Use"], 0)

    def test_it_prints_every_login_and_the_url(self) -> None:
        output = self.seed()
        for user in User.objects.all():
            self.assertIn(user.email, output)
        self.assertIn("demo-survey-2026", output)
        self.assertIn("http://127.0.0.1:8000/", output)

    def test_demo_users_log_in_with_the_demo_password(self) -> None:
        self.seed()
        for email in ["admin@programoffice.example", "signatory@northwind.example"]:
            self.assertTrue(log_in(self.client, email, "demo-survey-2026"))

    def test_demo_password_comes_from_the_environment(self) -> None:
        os.environ["DEMO_PASSWORD"] = "another-long-password"
        self.addCleanup(os.environ.pop, "DEMO_PASSWORD")
        self.assertIn("another-long-password", self.seed())
        self.assertTrue(
            log_in(
                self.client, "reviewer@programoffice.example", "another-long-password"
            )
        )

    def test_demo_covers_the_states_the_issue_asks_for(self) -> None:
        self.seed()
        campaign = Campaign.objects.get(slug=CAMPAIGN_SLUG)
        self.assertEqual(campaign.vendor.name, "Anthropic")
        local = campaign.deadline.astimezone(ZoneInfo("America/New_York"))
        self.assertEqual((local.weekday(), local.hour, local.minute), (4, 17, 0))
        responses = Response.objects.filter(campaign=campaign)
        self.assertGreaterEqual(responses.count(), 4)
        self.assertTrue(responses.filter(status=Response.Status.IN_PROGRESS).exists())
        self.assertTrue(responses.filter(tier="none_attested").exists())
        self.assertTrue(
            responses.filter(tier="unresolved", flag_unresolved=True).exists()
        )
        submitted = responses.get(status=Response.Status.SUBMITTED, tier="critical")
        uses = submitted.uses.all()
        self.assertGreaterEqual(len({u.channel for u in uses}), 3)
        self.assertGreaterEqual(len({u.band for u in uses}), 3)
        self.assertEqual(len(submitted.answers_sha256), 64)
        for org in {r.organisation for r in responses}:
            roles = set(org.memberships.values_list("role", flat=True))
            self.assertEqual(roles, {"preparer", "signatory"})
        staff = User.objects.filter(is_staff=True)
        self.assertEqual(
            {g for u in staff for g in u.groups.values_list("name", flat=True)},
            {"Admin", "Reviewer"},
        )
