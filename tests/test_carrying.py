"""Carry forward as people see it: the contractor's pages, the admin and the export."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from survey.analytics.sources import Filter
from survey.models import Membership, Response
from tests.helpers import make_user
from tests.review_helpers import make_reviewer
from tests.test_exports_campaign import table, workbook
from tests.test_models_carrying import carried_campaign_pair


class CarriedInAdminAndExportTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.before, cls.response = carried_campaign_pair()
        cls.response.carry_forward(timezone.now())
        cls.reviewer = make_reviewer(cls.response.campaign, cls.before.campaign)
        cls.signatory = make_user(
            organisation=cls.response.organisation, role=Membership.Role.SIGNATORY
        )

    def test_the_response_page_names_the_source_and_what_is_left_to_confirm(
        self,
    ) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(
            reverse("admin:survey_response_change", args=[self.response.pk])
        )
        source = reverse("admin:survey_response_change", args=[self.before.pk])
        self.assertContains(page, f'<a href="{source}">')
        self.assertContains(page, "#1")
        self.assertContains(page, "still to confirm:")

    def test_the_list_filters_carried_responses(self) -> None:
        self.client.force_login(self.reviewer)
        url = reverse("admin:survey_response_changelist")
        carried = self.client.get(url, {"carried": "yes"}).context["cl"]
        fresh = self.client.get(url, {"carried": "no"}).context["cl"]
        self.assertEqual([r.pk for r in carried.result_list], [self.response.pk])
        self.assertNotIn(self.response.pk, [r.pk for r in fresh.result_list])

    def test_the_export_says_where_the_answers_came_from(self) -> None:
        (row,) = table(
            workbook(self.response.campaign, filter=Filter(include_drafts=True))[
                "Contractors"
            ]
        )
        self.assertEqual(row["Carried forward from"], "q1 #1")
        # Once submitted, the attested row says the same.
        Response.objects.filter(pk=self.response.pk).update(to_confirm=[])
        self.response.refresh_from_db()
        answers = dict(self.response.answers, F3="yes")
        Response.objects.filter(pk=self.response.pk).update(answers=answers)
        use = self.response.uses.get()
        use.answers["D7"] = "no"
        use.save()
        self.response.refresh_from_db()
        self.response.submit(self.signatory, None, timezone.now())
        (row,) = table(workbook(self.response.campaign)["Contractors"])
        self.assertEqual(row["Carried forward from"], "q1 #1")
        (before,) = table(workbook(self.before.campaign)["Contractors"])
        self.assertIsNone(before["Carried forward from"])
