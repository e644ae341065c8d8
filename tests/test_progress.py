from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import time_machine
from django.test import TestCase
from django.urls import reverse

from survey import progress
from survey.models import Response
from tests.helpers import make_campaign, make_response
from tests.review_helpers import make_reviewer

DEADLINE = datetime(2027, 3, 5, 22, 0, tzinfo=UTC)
S = Response.Status


class CampaignProgressTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign(
            opens_at=datetime(2027, 2, 1, tzinfo=UTC), deadline=DEADLINE
        )
        opened = DEADLINE - timedelta(days=3)
        for status, fields in [
            (S.INVITED, {}),
            (S.INVITED, {"opened_at": opened}),
            (S.IN_PROGRESS, {"opened_at": opened, "started_at": opened}),
            (S.RETURNED, {"started_at": opened, "submitted_at": opened}),
            (S.SUBMITTED, {"submitted_at": opened}),
            (S.SUBMITTED, {"submitted_at": DEADLINE + timedelta(minutes=1)}),
            (S.IN_REVIEW, {"submitted_at": opened}),
            (S.ESCALATED, {"submitted_at": opened}),
            (S.ACCEPTED, {"submitted_at": opened}),
            (S.WITHDRAWN, {"opened_at": opened}),
        ]:
            make_response(campaign=cls.campaign, status=status, **fields)

    def test_counts_by_furthest_stage_late_and_non_respondents(self) -> None:
        state = progress.campaign_progress(self.campaign, DEADLINE + timedelta(hours=1))
        self.assertEqual(
            [(key, count) for key, _label, count in state.counts],
            [
                ("invited", 1),
                ("opened", 1),
                ("started", 2),
                ("submitted", 2),
                ("in_review", 2),
                ("accepted", 1),
            ],
        )
        # Three never submitted and are past the deadline; one submitted a minute late.
        # The withdrawn one is neither late nor awaited.
        self.assertEqual(state.non_respondents, 3)
        self.assertEqual(state.late, 4)
        self.assertEqual(state.withdrawn, 1)
        self.assertEqual(len(state.rows), 10)
        self.assertIsNone(state.remaining)

    def test_countdown_before_the_deadline(self) -> None:
        now = DEADLINE - timedelta(days=2, hours=3, minutes=7)
        state = progress.campaign_progress(self.campaign, now)
        self.assertEqual(progress.countdown(state.remaining), "2 d 3 h 7 min left")
        # Only the response stamped after the deadline counts as late.
        self.assertEqual(state.late, 1)
        self.assertEqual(progress.countdown(None), "The deadline has passed.")

    def test_progress_page_for_an_assigned_reviewer(self) -> None:
        reviewer = make_reviewer(self.campaign)
        with time_machine.travel(DEADLINE + timedelta(hours=1), tick=False):
            self.client.force_login(reviewer)
            page = self.client.get(
                reverse("admin:survey_campaign_progress", args=[self.campaign.pk])
            )
        self.assertContains(page, '<td id="count-in_review">2</td>', html=True)
        self.assertContains(page, '<td id="count-non-respondents">3</td>', html=True)
        self.assertContains(page, "Fri 5 Mar 2027, 17:00 ET (22:00 UTC)")
        self.assertContains(page, "The deadline has passed.")
        # Two stage cells (in review, escalated) and one status cell.
        self.assertContains(page, "<td>In review</td>", count=3, html=True)
        self.assertContains(page, f"?campaign__id__exact={self.campaign.pk}")

    def test_the_table_is_read_a_page_and_a_stage_at_a_time(self) -> None:
        now = DEADLINE + timedelta(hours=1)
        started = progress.campaign_progress(self.campaign, now, only_stage="started")
        self.assertEqual([r.stage for r in started.rows], ["started", "started"])
        self.assertEqual(started.non_respondents, 3)  # counts stay campaign-wide
        with mock.patch.object(progress, "PAGE_SIZE", 3):
            last = progress.campaign_progress(self.campaign, now, page=99)
        self.assertEqual((last.page, last.pages, len(last.rows)), (4, 4, 1))

    def test_the_page_shows_submission_times_in_the_campaign_zone(self) -> None:
        self.client.force_login(make_reviewer(self.campaign))
        page = self.client.get(
            reverse("admin:survey_campaign_progress", args=[self.campaign.pk]),
            {"stage": "submitted"},
        )
        self.assertContains(page, "2027-03-05 17:01 EST (22:01 UTC)")
        self.assertEqual(len(page.context["rows"]), 2)
