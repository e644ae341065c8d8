"""The synthetic campaign generator: valid, varied, reproducible, and counted like real data."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from survey import analytics
from survey.models import Campaign, Contract, Response, Submission, Use


class GenerateCampaignTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        out = StringIO()
        call_command(
            "generate_campaign",
            "synthetic",
            responses=60,
            seed=7,
            scratch=True,
            stdout=out,
        )
        cls.output = out.getvalue()
        cls.campaign = Campaign.objects.get(slug="synthetic")

    def test_every_submitted_response_is_complete_and_scored_by_the_site(self) -> None:
        submitted = Response.objects.filter(
            campaign=self.campaign, submitted_at__isnull=False
        ).prefetch_related("uses")
        self.assertGreater(submitted.count(), 30)
        questionnaire = self.campaign.questionnaire.parsed
        for response in submitted:
            uses = list(response.uses.all())
            with self.subTest(response=response.organisation.legal_name):
                self.assertEqual(response.missing(uses), [])
                self.assertEqual(response.route, questionnaire.route(response.answers))
                for use in uses:
                    scored = Use(response=response, answers=use.answers)
                    scored.refresh_derived(questionnaire, response.answers)
                    self.assertEqual((use.dri, use.band), (scored.dri, scored.band))

    def test_what_was_attested_is_copied_as_a_submission_would(self) -> None:
        for submission in Submission.objects.filter(response__campaign=self.campaign):
            live = Use.objects.filter(response=submission.response).count()
            copies = Use.attested.filter(submission=submission).count()
            self.assertEqual((copies, len(submission.uses)), (live, live))
            self.assertTrue(submission.latest)
        self.assertTrue(
            Contract.objects.filter(
                submission__isnull=False, uses__isnull=False
            ).exists()
        )

    def test_the_figures_show_a_campaign_with_variety(self) -> None:
        figures = analytics.dashboard(self.campaign, analytics.Filter(), timezone.now())
        self.assertIn("60 responses", self.output)
        self.assertGreater(figures.bands.uses_total, 60)
        self.assertGreater(len([t for t in figures.bands.uses if t.count]), 2)
        self.assertGreater(figures.dependency.none_attested, 0)
        self.assertEqual(figures.channels.intermediaries[0].label, "Amazon Bedrock")
        self.assertTrue(figures.programs)

    def test_the_same_seed_gives_the_same_campaign(self) -> None:
        call_command(
            "generate_campaign",
            "again",
            responses=60,
            seed=7,
            scratch=True,
            stdout=StringIO(),
        )

        def answers(slug: str) -> list[object]:
            return list(
                Response.objects.filter(campaign__slug=slug)
                .order_by("pk")
                .values_list("status", "tier", "cdi")
            )

        self.assertEqual(answers("synthetic"), answers("again"))
