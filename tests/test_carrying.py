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

    def test_the_diff_compares_the_previous_campaigns_submission(self) -> None:
        self.submit_carried()
        self.client.force_login(self.reviewer)
        page = self.client.get(
            reverse("admin:survey_response_diff", args=[self.response.pk])
        )
        self.assertEqual((page.context["before"], page.context["after"]), (0, 1))
        self.assertContains(page, "q1 #1 (")
        changes = {(c.where, c.question_id) for c in page.context["changes"]}
        # The use's D7 was dropped by the new version's type and answered anew.
        self.assertIn(("Use 1", "D7"), changes)
        self.assertNotIn(("Organisation", "A1"), changes)  # carried unchanged

    def test_the_previous_submission_stays_out_of_a_reviewers_reach(self) -> None:
        self.submit_carried()
        self.client.force_login(make_reviewer(self.response.campaign))
        page = self.client.get(
            reverse("admin:survey_response_diff", args=[self.response.pk])
        )
        self.assertEqual(list(page.context["versions"]), [1])

    def test_the_list_filters_carried_responses(self) -> None:
        self.client.force_login(self.reviewer)
        url = reverse("admin:survey_response_changelist")
        carried = self.client.get(url, {"carried": "yes"}).context["cl"]
        fresh = self.client.get(url, {"carried": "no"}).context["cl"]
        self.assertEqual([r.pk for r in carried.result_list], [self.response.pk])
        self.assertNotIn(self.response.pk, [r.pk for r in fresh.result_list])

    def submit_carried(self) -> None:
        """Confirm everything, give again what the new version dropped, and submit."""
        Response.objects.filter(pk=self.response.pk).update(to_confirm=[])
        self.response.refresh_from_db()
        answers = dict(self.response.answers, F3="yes")
        Response.objects.filter(pk=self.response.pk).update(answers=answers)
        use = self.response.uses.get()
        use.answers["D7"] = "yes"
        use.save()
        self.response.refresh_from_db()
        self.response.submit(self.signatory, None, timezone.now())

    def test_the_export_says_where_the_answers_came_from(self) -> None:
        (row,) = table(
            workbook(self.response.campaign, filter=Filter(include_drafts=True))[
                "Contractors"
            ]
        )
        self.assertEqual(row["Carried forward from"], "q1 #1")
        # Once submitted, the attested row says the same.
        self.submit_carried()
        (row,) = table(workbook(self.response.campaign)["Contractors"])
        self.assertEqual(row["Carried forward from"], "q1 #1")
        (before,) = table(workbook(self.before.campaign)["Contractors"])
        self.assertIsNone(before["Carried forward from"])


class CarriedContractorPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.before, cls.response = carried_campaign_pair()
        cls.preparer = make_user(organisation=cls.response.organisation)
        cls.signatory = make_user(
            organisation=cls.response.organisation, role=Membership.Role.SIGNATORY
        )

    def url(self, name: str, *args: str) -> str:
        return reverse(name, args=[self.response.uuid, *args])

    def fresh(self) -> Response:
        return Response.objects.get(pk=self.response.pk)

    def test_the_first_visit_carries_and_the_page_says_so(self) -> None:
        self.client.force_login(self.preparer)
        page = self.client.get(self.url("survey-section", "A"))
        self.assertEqual(self.fresh().answers["A1"], self.before.answers["A1"])
        self.assertContains(page, 'id="carried"')
        self.assertContains(page, "“Dependence on AI vendor Example AI” of")
        self.assertContains(page, "[changed since the last campaign]")  # A1 reworded
        self.assertContains(page, "A8. Website [new question]")
        self.assertContains(page, "To confirm", count=5)  # A, B, D, E, F in the nav

    def test_saving_a_page_confirms_it_and_an_autosave_does_not(self) -> None:
        self.client.force_login(self.preparer)
        page = self.client.get(self.url("survey-section", "B"))
        post = {
            "version": str(page.context["version"]),
            "loaded": page.context["loaded"],
            **{q: self.before.answers[q] for q in ("B1", "B2", "B3", "B4", "B5")},
            "B6": self.before.answers["B6"],
        }
        self.client.post(self.url("survey-autosave", "B"), post)
        self.assertIn("B", self.fresh().to_confirm)
        reply = self.client.post(self.url("survey-section", "B"), post)
        self.assertEqual(reply.status_code, 302)
        self.assertNotIn("B", self.fresh().to_confirm)
        self.assertNotContains(
            self.client.get(self.url("survey-section", "B")), 'id="carried"'
        )

    def test_the_uses_are_confirmed_on_their_list(self) -> None:
        self.client.force_login(self.preparer)
        page = self.client.get(self.url("survey-uses"))
        self.assertContains(page, "Confirm the uses")
        self.client.post(self.url("survey-uses"), {"confirm": "1"})
        self.assertNotIn("D", self.fresh().to_confirm)
        self.assertEqual(self.fresh().uses.count(), 1)  # confirming adds no use

    def test_nothing_is_submitted_before_every_section_is_confirmed(self) -> None:
        self.client.force_login(self.signatory)
        review = self.client.get(self.url("survey-review"))
        self.assertContains(review, "Confirm the answers carried forward: E.")
        reply = self.client.post(self.url("survey-submit"), {"confirmed": "1"})
        self.assertRedirects(reply, self.url("survey-review"))
        self.assertFalse(self.fresh().submissions.exists())
