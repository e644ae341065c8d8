from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory, SimpleTestCase, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from survey.admin.forms import CampaignForm
from survey.admin.records import ReviewCommentAdmin
from survey.models import Campaign, Response, ReviewComment
from tests.helpers import make_campaign, make_response
from tests.review_helpers import make_admin_officer, make_reviewer


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


class DeadlineEntryTests(TestCase):
    """Every deadline is typed and read in the campaign's display zone, UTC beside it."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.officer = make_admin_officer()

    def setUp(self) -> None:
        self.client.force_login(self.officer)

    def campaign_data(self, **overrides: str) -> dict[str, Any]:
        template = make_campaign()
        return {
            "vendor": template.vendor_id,
            "questionnaire": template.questionnaire_id,
            "slug": f"entry-{Campaign.objects.count()}",
            "title": "Entry",
            "opens_at": "2026-01-05T09:00",
            "deadline": "2026-01-16T17:00",
            "display_timezone": "America/New_York",
            "status": "open",
            "reminder_offsets": "[24]",
            **overrides,
        }

    def test_friday_17_00_in_the_campaign_form_is_22_00_utc_in_winter(self) -> None:
        for deadline, utc_hour in [("2026-01-16T17:00", 22), ("2026-06-12 17:00", 21)]:
            with self.subTest(deadline=deadline):
                data = self.campaign_data(deadline=deadline)
                reply = self.client.post(reverse("admin:survey_campaign_add"), data)
                self.assertEqual(reply.status_code, 302)
                campaign = Campaign.objects.get(slug=data["slug"])
                self.assertEqual(campaign.deadline.astimezone(UTC).hour, utc_hour)
                self.assertEqual(campaign.deadline.astimezone(UTC).minute, 0)
                page = self.client.get(
                    reverse("admin:survey_campaign_change", args=[campaign.pk])
                )
                self.assertContains(page, f'value="{deadline[:10]}T17:00"')
                self.assertContains(page, "Deadline (ET time)")
                self.assertContains(page, f"17:00 ET ({utc_hour}:00 UTC)")
                # Not the admin's split widget with its "hours ahead of server" note.
                self.assertNotContains(page, "vDateField")

    def test_the_zone_typed_in_the_same_form_is_the_one_read(self) -> None:
        data = self.campaign_data(display_timezone="Europe/Paris")
        self.client.post(reverse("admin:survey_campaign_add"), data)
        campaign = Campaign.objects.get(slug=data["slug"])
        self.assertEqual(campaign.deadline, datetime(2026, 1, 16, 16, 0, tzinfo=UTC))

    def test_friday_17_00_in_the_extension_form_is_22_00_utc_in_winter(self) -> None:
        campaign = make_campaign(
            opens_at=datetime(2025, 12, 1, tzinfo=UTC),
            deadline=datetime(2026, 1, 9, 22, 0, tzinfo=UTC),
        )
        for deadline, expected in [
            ("2026-01-16 17:00", datetime(2026, 1, 16, 22, 0, tzinfo=UTC)),
            ("2026-06-12T17:00", datetime(2026, 6, 12, 21, 0, tzinfo=UTC)),
        ]:
            with self.subTest(deadline=deadline):
                response = make_response(campaign)
                address = reverse("admin:survey_response_extension", args=[response.pk])
                page = self.client.get(address)
                self.assertContains(page, "New deadline (ET time)")
                self.assertContains(page, "Fri 9 Jan 2026, 17:00 ET (22:00 UTC)")
                reply = self.client.post(address, {"deadline": deadline, "reason": "x"})
                self.assertEqual(reply.status_code, 302)
                response.refresh_from_db()
                self.assertEqual(response.extended_deadline, expected)
                page = self.client.get(
                    reverse("admin:survey_response_change", args=[response.pk])
                )
                zone = "EST" if expected.month == 1 else "EDT"
                self.assertContains(page, f"17:00 {zone} ({expected:%H}:00 UTC)")

    def test_out_of_range_and_skipped_times_are_field_errors(self) -> None:
        for deadline in [
            "9999-12-31T23:59",  # year 10000 in UTC: PostgreSQL could not read it back
            "1999-12-31T23:59",
            "2031-06-01T17:00",  # more than five years after the opening
            "2026-03-08T02:30",  # skipped by the change to daylight saving time
            "2026-13-01T17:00",
        ]:
            with self.subTest(deadline=deadline):
                data = self.campaign_data(deadline=deadline)
                reply = self.client.post(reverse("admin:survey_campaign_add"), data)
                self.assertEqual(reply.status_code, 200)
                self.assertIn("deadline", reply.context["adminform"].form.errors)
                self.assertFalse(Campaign.objects.filter(slug=data["slug"]).exists())
        response = make_response(make_campaign())
        address = reverse("admin:survey_response_extension", args=[response.pk])
        for deadline in ["9999-12-31 23:59", "2099-12-31 23:59"]:
            with self.subTest(extension=deadline):
                reply = self.client.post(address, {"deadline": deadline, "reason": "x"})
                self.assertEqual(reply.status_code, 200)
                self.assertTrue(reply.context["form"].errors)
        response.refresh_from_db()
        self.assertIsNone(response.extended_deadline)
        # The pages that read the extension back still answer.
        for name in ["survey_response_changelist", "survey_campaign_changelist"]:
            self.assertEqual(self.client.get(reverse(f"admin:{name}")).status_code, 200)

    def test_every_admin_date_is_bounded(self) -> None:
        comment_field = ReviewCommentAdmin(
            ReviewComment, admin.site
        ).formfield_for_dbfield(
            ReviewComment._meta.get_field("resolved_at"), RequestFactory().get("/")
        )
        with self.assertRaises(ValidationError):
            comment_field.clean(["9999-12-31", "23:59:00"])


class ZoneChangeTests(TestCase):
    def setUp(self) -> None:
        self.client.force_login(make_admin_officer())
        self.campaign = make_campaign(
            opens_at=datetime(2026, 1, 5, 14, 0, tzinfo=UTC),
            deadline=datetime(2026, 1, 16, 22, 0, tzinfo=UTC),
        )
        self.address = reverse("admin:survey_campaign_change", args=[self.campaign.pk])

    def post(self, **changes: str) -> Any:
        form = self.client.get(self.address).context["adminform"].form
        data = {
            name: (form[name].value() or "") if name != "reviewers" else []
            for name in form.fields
        }
        data["opens_at"] = "2026-01-05T09:00"
        data["deadline"] = "2026-01-16T17:00"
        data["reminder_offsets"] = "[24]"
        return self.client.post(self.address, {**data, **changes})

    def test_a_new_zone_keeps_the_instants_of_untouched_times(self) -> None:
        reply = self.post(display_timezone="Europe/Paris")
        self.assertEqual(reply.status_code, 302)
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.display_timezone, "Europe/Paris")
        self.assertEqual(
            self.campaign.deadline, datetime(2026, 1, 16, 22, 0, tzinfo=UTC)
        )

    def test_a_time_edited_with_a_zone_change_is_refused(self) -> None:
        reply = self.post(display_timezone="Europe/Paris", deadline="2026-01-17T17:00")
        self.assertEqual(reply.status_code, 200)
        self.assertIn("deadline", reply.context["adminform"].form.errors)
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.display_timezone, "America/New_York")


class ReviewerPickerTests(TestCase):
    """Issue 10 §15: the assigned-reviewers picker offers program-office reviewers only."""

    def test_only_staff_reviewers_are_offered(self) -> None:
        from tests.helpers import make_organisation, make_user

        campaign = make_campaign()
        reviewer = make_reviewer()
        officer = make_admin_officer()
        contractor = make_user("contractor@example.com", make_organisation())
        self.client.force_login(officer)
        page = self.client.get(
            reverse("admin:survey_campaign_change", args=[campaign.pk])
        )
        offered = set(page.context["adminform"].form.fields["reviewers"].queryset)
        self.assertEqual(offered, {reviewer})
        self.assertNotIn(contractor, offered)
        self.assertNotIn(officer, offered)
