from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test import SimpleTestCase, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from survey.admin.forms import CampaignForm
from survey.models import Response
from tests.helpers import make_campaign, make_response
from tests.review_helpers import make_reviewer


class CampaignFormTests(SimpleTestCase):
    def offsets(self, raw: str) -> tuple[bool, object]:
        form = CampaignForm(data={"reminder_offsets": raw})
        # Only this field is checked here; the others are the model's own.
        form.is_valid()
        if "reminder_offsets" in form.errors:
            return False, None
        return True, form.cleaned_data["reminder_offsets"]

    def test_reminder_offsets_are_whole_hours(self) -> None:
        self.assertEqual(self.offsets("[4, 168, 24, 24]"), (True, [168, 24, 4]))
        self.assertEqual(self.offsets("[]"), (True, []))
        for raw in ['["x"]', "[0]", "[2.5]", "[true]", "[2000]", '{"a": 1}', "12"]:
            with self.subTest(raw=raw):
                self.assertEqual(self.offsets(raw), (False, None))


class CampaignAdminTests(TestCase):
    def test_admin_form_keeps_every_field_and_checks_offsets(self) -> None:
        from django.urls import reverse

        from survey.models import User
        from tests.helpers import make_campaign

        campaign = make_campaign()
        self.client.force_login(
            User.objects.create_superuser("r@example.com", "x" * 16)
        )
        page = self.client.get(
            reverse("admin:survey_campaign_change", args=[campaign.pk])
        )
        form = page.context["adminform"].form
        self.assertIn("deadline", form.fields)
        self.assertIn("reviewers", form.fields)
        self.assertContains(
            page, reverse("admin:survey_campaign_progress", args=[campaign.pk])
        )

    def test_progress_page_runs_a_bounded_number_of_queries(self) -> None:
        campaign = make_campaign()
        url = reverse("admin:survey_campaign_progress", args=[campaign.pk])
        statuses = list(Response.Status)

        def add(n: int) -> None:
            # Every status, late ones and extensions: each path a row can take.
            for i in range(n):
                make_response(
                    campaign=campaign,
                    status=statuses[i % len(statuses)],
                    submitted_at=timezone.now() if i % 2 else None,
                    extended_deadline=campaign.deadline + timedelta(days=i % 3),
                )

        add(3)
        self.client.force_login(make_reviewer(campaign))
        self.client.get(url)
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        add(15)
        with CaptureQueriesContext(connection) as many:
            page = self.client.get(url)
        self.assertEqual(len(page.context["progress"].rows), 18)
        self.assertEqual(len(many), len(few))
