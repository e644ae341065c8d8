"""DD-1: the reviewers' and admins' side keeps working once the deadline has passed.

The deadline gate closes the contractors' writes at D (tests/test_views_security.py,
DeadlineGateTests); nothing of it may leak into the review site. Every admin page the
URL sweep can fill (tests/routes.py, with the objects tests/test_url_sweep.py builds) is
opened with the clock frozen an hour before D, then a minute and an hour after it, by a
superuser and by a reviewer assigned to the campaign: each page answers after D exactly
as it did before (the same status, the same redirect), and the review pages (responses,
dashboard, progress, export) are 200. Then the review verbs, an extension, a band
override and an export are done after D.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from survey.models import ExportJob, Response, ReviewComment, User
from survey.scoring import Band
from tests import routes
from tests.review_helpers import make_reviewer, make_submitted
from tests.test_url_sweep import SweepTestCase, is_login_page

# The pages a reviewer works in, which must open (200) after D for both users, filled
# with campaign A's objects.
REVIEW_PAGES = {
    "admin:index",
    "admin:survey_response_changelist",
    "admin:survey_response_change",
    "admin:survey_response_history",
    "admin:survey_response_return",
    "admin:survey_response_reopen",
    "admin:survey_response_override",
    "admin:survey_response_diff",
    "admin:survey_use_changelist",
    "admin:survey_use_change",
    "admin:survey_submission_changelist",
    "admin:survey_submission_change",
    "admin:survey_attachment_download",
    "admin:survey_reviewcomment_changelist",
    "admin:survey_campaign_changelist",
    "admin:survey_campaign_change",
    "admin:survey_campaign_dashboard",
    "admin:survey_campaign_progress",
    "admin:survey_campaign_export",
    "admin:survey_exportjob_changelist",
    "admin:survey_auditevent_changelist",
}
# And those only admins have.
ADMIN_PAGES = {
    "admin:survey_response_extension",
    "admin:survey_response_withdraw",
    "admin:survey_invitation_changelist",
    "admin:survey_invitation_add",
    "admin:survey_organisation_changelist",
    "admin:survey_campaign_move",
}
AFTER = (timedelta(minutes=1), timedelta(hours=1))


# Each login cleans up django-axes' attempts older than its cool-off, and the clock is
# days ahead of when they were made: kept, so that their admin pages can be filled.
@override_settings(AXES_COOLOFF_TIME=timedelta(days=30))
class AfterDeadlineTestCase(SweepTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.deadline = cls.campaign_a.deadline
        cls.root = User.objects.create_superuser("root@example.com", "x" * 16)
        cls.reviewer_a = make_reviewer(cls.campaign_a)

    def client_for(self, user: User) -> Client:
        # Logged in at the frozen time: a session started earlier would have ended
        # long before D (SESSION_ABSOLUTE_SECONDS).
        client = Client()
        client.force_login(user)
        return client


class AdminPagesAfterDeadlineTests(AfterDeadlineTestCase):
    def answers(self, user: User, at: Any) -> dict[str, str]:
        """Each admin page's status for `user` at `at` (a redirect with its target)."""
        found = {}
        with time_machine.travel(at, tick=False):
            client = self.client_for(user)
            for route in routes.routes_of(routes.KIND_ADMIN):
                path = route.path(self.samples(route))
                reply = client.get(path)
                outcome = str(reply.status_code)
                if reply.status_code in (301, 302):
                    where = reply["Location"]
                    outcome += " login" if is_login_page(where) else f" {where}"
                found[route.label] = outcome
        return found

    def assert_unchanged_after_the_deadline(
        self, user: User, must_open: set[str]
    ) -> None:
        before = self.answers(user, self.deadline - timedelta(hours=1))
        opened = {label for label, outcome in before.items() if outcome == "200"}
        self.assertEqual(must_open - opened, set(), "review pages closed before D")
        broken = [label for label, outcome in before.items() if outcome.startswith("5")]
        self.assertEqual(broken, [], "server errors")
        # Equal answers after D: so the review pages are still 200, and nothing that
        # opened before D is refused, or sent to log in, once D has passed.
        for offset in AFTER:
            after = self.answers(user, self.deadline + offset)
            changed = [
                f"{label}: {before[label]} before D, {after[label]} at D + {offset}"
                for label in sorted(before)
                if after[label] != before[label]
            ]
            self.assertEqual(changed, [], "\n" + "\n".join(changed))

    def test_every_admin_page_answers_a_superuser_after_the_deadline_as_before(
        self,
    ) -> None:
        self.assert_unchanged_after_the_deadline(self.root, REVIEW_PAGES | ADMIN_PAGES)

    def test_every_admin_page_answers_an_assigned_reviewer_after_the_deadline_as_before(
        self,
    ) -> None:
        self.assert_unchanged_after_the_deadline(self.reviewer_a, REVIEW_PAGES)


class ReviewWorkAfterDeadlineTests(AfterDeadlineTestCase):
    """The review verbs, an extension and an export, all after D."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.second = make_submitted(cls.campaign_a)
        cls.third = make_submitted(cls.campaign_a)

    def status_of(self, response: Response) -> str:
        response.refresh_from_db()
        return response.status

    def test_a_reviewer_reviews_accepts_returns_and_reopens_after_the_deadline(
        self,
    ) -> None:
        first = self.response_a
        change = reverse("admin:survey_response_change", args=[first.pk])
        workflow = reverse("admin:survey_response_workflow", args=[first.pk])
        with time_machine.travel(self.deadline + timedelta(minutes=1), tick=False):
            client = self.client_for(self.reviewer_a)
            for verb, status in [
                ("start_review", Response.Status.IN_REVIEW),
                ("accept", Response.Status.ACCEPTED),
            ]:
                reply = client.post(workflow, {"verb": verb})
                self.assertRedirects(reply, change, fetch_redirect_response=False)
                self.assertEqual(self.status_of(first), status)
            reply = client.post(
                reverse("admin:survey_response_override", args=[first.pk]),
                {"band": Band.HIGH, "justification": "Sole supplier in practice."},
            )
            self.assertRedirects(reply, change, fetch_redirect_response=False)
            reply = client.post(
                reverse("admin:survey_response_reopen", args=[first.pk]),
                {"reason": "The organisation asked to amend a use."},
            )
            self.assertRedirects(reply, change, fetch_redirect_response=False)
            self.assertEqual(self.status_of(first), Response.Status.IN_PROGRESS)

            returned = reverse("admin:survey_response_return", args=[self.second.pk])
            reply = client.post(returned, {"message": "Please name the platform."})
            self.assertEqual(reply.status_code, 302)
            self.assertEqual(self.status_of(self.second), Response.Status.RETURNED)
            self.assertTrue(
                ReviewComment.objects.filter(
                    response=self.second, text="Please name the platform."
                ).exists()
            )
            reply = client.post(
                reverse("admin:survey_response_changelist"),
                {"action": "accept_selected", "_selected_action": [self.third.pk]},
                follow=True,
            )
            self.assertContains(reply, "1 done, 0 skipped")
            self.assertEqual(self.status_of(self.third), Response.Status.ACCEPTED)
        first.refresh_from_db()
        self.assertEqual(first.override_band, Band.HIGH)

    def test_an_admin_grants_an_extension_after_the_deadline(self) -> None:
        address = reverse("admin:survey_response_extension", args=[self.second.pk])
        with time_machine.travel(self.deadline + timedelta(hours=1), tick=False):
            client = self.client_for(self.root)
            self.assertEqual(client.get(address).status_code, 200)
            later = timezone.localtime(
                self.deadline + timedelta(days=2),
                ZoneInfo(self.campaign_a.display_timezone),
            )
            reply = client.post(
                address,
                {"deadline": f"{later:%Y-%m-%dT%H:%M}", "reason": "Signatory ill."},
            )
            self.assertEqual(reply.status_code, 302)
        self.second.refresh_from_db()
        self.assertEqual(
            self.second.extended_deadline, later.replace(second=0, microsecond=0)
        )

    @override_settings(EXPORT_INLINE_ROWS=10_000)
    def test_a_reviewer_exports_the_campaign_after_the_deadline(self) -> None:
        media = tempfile.TemporaryDirectory()
        self.addCleanup(media.cleanup)
        address = reverse("admin:survey_campaign_export", args=[self.campaign_a.pk])
        form = {"language": "en", "cells": "labels", "scope": "full", "format": "xlsx"}
        with (
            override_settings(MEDIA_ROOT=media.name),
            time_machine.travel(self.deadline + timedelta(hours=1), tick=False),
        ):
            client = self.client_for(self.reviewer_a)
            reply = client.post(address, form)
            job = ExportJob.objects.latest("pk")
            self.assertRedirects(
                reply,
                reverse("admin:survey_exportjob_change", args=[job.pk]),
                fetch_redirect_response=False,
            )
            self.assertEqual(job.status, ExportJob.Status.DONE, job.error)
            self.assertEqual(client.get(reply["Location"]).status_code, 200)
            download = client.get(
                reverse("admin:survey_exportjob_download", args=[job.pk])
            )
            self.assertEqual(download.status_code, 200)
            book = load_workbook(BytesIO(b"".join(download.streaming_content)))
        self.assertIn("Uses", book.sheetnames)
