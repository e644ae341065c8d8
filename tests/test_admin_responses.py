"""The response list, the response page and the review pages in the admin."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from survey.admin import labels
from survey.demo import DEFAULT_DEFINITION
from survey.models import (
    AuditEvent,
    QuestionnaireVersion,
    Response,
    ReviewComment,
    Use,
    canonical_json,
)
from survey.pages import BAND_LABELS
from survey.questionnaire import read_file
from tests.helpers import make_campaign, make_response
from tests.review_helpers import USE, make_admin_officer, make_reviewer, make_submitted

CHANGELIST = reverse("admin:survey_response_changelist")


def change_url(response: Response) -> str:
    return reverse("admin:survey_response_change", args=[response.pk])


class ResponseListTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign(
            deadline=datetime(2030, 7, 12, 21, 0, tzinfo=UTC),
            opens_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        cls.on_time = make_submitted(cls.campaign)
        cls.late = make_submitted(cls.campaign)
        Response.objects.filter(pk=cls.late.pk).update(
            submitted_at=datetime(2030, 7, 12, 22, 0, tzinfo=UTC)
        )
        cls.reviewer = make_reviewer(cls.campaign)

    def test_list_runs_a_bounded_number_of_queries_for_a_reviewer(self) -> None:
        self.client.force_login(self.reviewer)
        self.client.get(CHANGELIST)
        with CaptureQueriesContext(connection) as few:
            self.client.get(CHANGELIST)
        for _ in range(12):
            make_submitted(self.campaign)
        with CaptureQueriesContext(connection) as many:
            page = self.client.get(CHANGELIST)
        self.assertEqual(page.context["cl"].result_count, 14)
        self.assertEqual(len(many), len(few))

    def test_use_list_runs_a_bounded_number_of_queries_for_a_reviewer(self) -> None:
        uses = reverse("admin:survey_use_changelist")
        self.client.force_login(self.reviewer)
        self.client.get(uses)
        with CaptureQueriesContext(connection) as few:
            self.client.get(uses)
        for _ in range(12):
            make_submitted(self.campaign)
        with CaptureQueriesContext(connection) as many:
            page = self.client.get(uses)
        self.assertEqual(page.context["cl"].result_count, 14)
        self.assertEqual(len(many), len(few))

    def test_list_query_costs_one_page_not_the_campaign(self) -> None:
        self.client.force_login(self.reviewer)
        with CaptureQueriesContext(connection) as captured:
            page = self.client.get(CHANGELIST)
        self.assertEqual(page.context["cl"].result_count, 2)
        listing = [q["sql"] for q in captured if 'FROM "survey_response"' in q["sql"]]
        self.assertTrue(listing)
        for sql in listing:
            # The use count is a correlated subquery; the list itself is not grouped.
            self.assertNotIn('GROUP BY "survey_response"', sql)
            self.assertNotIn('"survey_response"."answers"', sql)
        self.assertEqual([r._uses for r in page.context["cl"].result_list], [1, 1])

    def test_withdrawn_responses_are_never_late(self) -> None:
        self.late.withdraw(make_admin_officer(), "Invited by mistake")
        self.client.force_login(self.reviewer)
        late = self.client.get(CHANGELIST, {"late": "yes"})
        self.assertEqual(list(late.context["cl"].result_list), [])

    def test_list_shows_local_submission_time_and_late_flag(self) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(CHANGELIST)
        self.assertContains(page, "2030-07-12 18:00 EDT")
        late = self.client.get(CHANGELIST, {"late": "yes"})
        self.assertEqual([r.pk for r in late.context["cl"].result_list], [self.late.pk])
        on_time = self.client.get(CHANGELIST, {"late": "no"})
        self.assertEqual(
            [r.pk for r in on_time.context["cl"].result_list], [self.on_time.pk]
        )

    def test_an_extension_makes_a_late_submission_on_time(self) -> None:
        self.late.grant_extension(
            make_admin_officer(),
            datetime(2030, 7, 13, tzinfo=UTC),
            "Storm",
        )
        self.client.force_login(self.reviewer)
        late = self.client.get(CHANGELIST, {"late": "yes"})
        self.assertEqual(list(late.context["cl"].result_list), [])

    def test_band_filter_uses_the_override(self) -> None:
        self.on_time.override(self.reviewer, "critical", "Weapon system")
        self.client.force_login(self.reviewer)
        page = self.client.get(CHANGELIST, {"band": "critical"})
        self.assertEqual(
            [r.pk for r in page.context["cl"].result_list], [self.on_time.pk]
        )
        self.assertContains(page, "Critical (override; computed")


class ResponsePageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.response = make_submitted()
        cls.reviewer = make_reviewer(cls.response.campaign)

    def test_page_shows_labels_uses_factors_and_audit_history(self) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(change_url(self.response))
        vendor = self.response.campaign.vendor.name
        self.assertContains(
            page, f"Do you use {vendor} models through a cloud platform under your own"
        )
        self.assertNotContains(page, "{vendor}")
        self.assertContains(page, "Level III – partial or acceptable degradation")
        self.assertContains(page, "response.submitted")
        self.assertContains(page, "Code assistant")
        self.assertContains(page, 'class="field-dri"')
        self.assertContains(page, 'name="verb" value="accept"')
        self.assertNotContains(page, "Grant extension")

    def test_nobody_edits_a_response_through_the_form(self) -> None:
        """Even admins change responses only through the audited review verbs."""
        from survey.models import User

        root = User.objects.create_superuser("root@example.com", "x" * 16)
        for user in (root, make_admin_officer()):
            self.client.force_login(user)
            page = self.client.get(change_url(self.response))
            self.assertNotContains(page, 'name="_save"')
            result = self.client.post(change_url(self.response), {"status": "accepted"})
            self.assertEqual(result.status_code, 403)
            use = self.response.uses.get()
            result = self.client.post(
                reverse("admin:survey_use_change", args=[use.pk]), {"name": "x"}
            )
            self.assertEqual(result.status_code, 403)
        self.response.refresh_from_db()
        self.assertEqual(self.response.status, Response.Status.SUBMITTED)
        self.assertEqual(self.response.uses.get().name, "Code assistant")

    def test_page_runs_a_bounded_number_of_queries(self) -> None:
        self.client.force_login(self.reviewer)
        self.client.get(change_url(self.response))
        with CaptureQueriesContext(connection) as few:
            self.client.get(change_url(self.response))
        for position in range(2, 8):
            Use.objects.create(response=self.response, position=position, answers=USE)
        with CaptureQueriesContext(connection) as many:
            page = self.client.get(change_url(self.response))
        self.assertContains(page, "– use 7")
        self.assertEqual(len(many), len(few))

    def test_workflow_button_moves_the_status(self) -> None:
        self.client.force_login(self.reviewer)
        address = reverse("admin:survey_response_workflow", args=[self.response.pk])
        page = self.client.post(address, {"verb": "start_review"}, follow=True)
        self.assertContains(page, "now In review")
        page = self.client.post(address, {"verb": "start_review"}, follow=True)
        self.assertContains(page, "cannot be moved that way")
        self.response.refresh_from_db()
        self.assertEqual(self.response.status, Response.Status.IN_REVIEW)

    def test_return_page_takes_comments_beside_questions(self) -> None:
        self.client.force_login(self.reviewer)
        address = reverse("admin:survey_response_return", args=[self.response.pk])
        page = self.client.get(address)
        use = self.response.uses.get()
        # Each box once: a second copy with the same name would win in the POST.
        self.assertContains(page, 'name="c_B2"', count=1)
        self.assertContains(page, f'name="c_{use.pk}_D13"', count=1)
        self.assertContains(page, 'name="message"', count=1)
        page = self.client.post(address, {"c_B2": " "})
        self.assertContains(
            page, "Write a message or comment on at least one question."
        )
        result = self.client.post(
            address, {"c_B2": "Which platform?", f"c_{use.pk}_D13": "Explain."}
        )
        self.assertRedirects(result, change_url(self.response))
        self.response.refresh_from_db()
        self.assertEqual(self.response.status, Response.Status.RETURNED)
        self.assertEqual(
            sorted(ReviewComment.objects.values_list("question_id", "use_id", "text")),
            [("B2", None, "Which platform?"), ("D13", use.pk, "Explain.")],
        )

    def test_return_with_a_general_message_and_sections_behind_disclosures(
        self,
    ) -> None:
        """Issue 10 §13: one message box, the per-question boxes folded by section."""
        self.client.force_login(self.reviewer)
        address = reverse("admin:survey_response_return", args=[self.response.pk])
        page = self.client.get(address)
        self.assertContains(page, 'name="message"')
        self.assertContains(page, '<details class="module return-section">')
        self.assertNotContains(page, 'return-section" open')
        result = self.client.post(address, {"message": "Please complete section E."})
        self.assertRedirects(result, change_url(self.response))
        comment = ReviewComment.objects.get()
        self.assertEqual(
            (comment.question_id, comment.text), ("", "Please complete section E.")
        )
        # The contractor sees it in the banner.
        member = self.response.organisation.memberships.first().user
        self.client.force_login(member)
        home = reverse("survey-section", args=[self.response.uuid, "A"])
        self.assertContains(self.client.get(home), "Please complete section E.")

    def test_override_page_requires_a_justification(self) -> None:
        self.client.force_login(self.reviewer)
        address = reverse("admin:survey_response_override", args=[self.response.pk])
        page = self.client.post(address, {"band": "high", "justification": ""})
        self.assertEqual(page.status_code, 200)
        self.response.refresh_from_db()
        self.assertEqual(self.response.override_band, "")
        self.client.post(address, {"band": "high", "justification": "NSS use"})
        self.response.refresh_from_db()
        self.assertEqual(self.response.override_band, "high")
        self.assertTrue(self.response.tier)

    def test_reopen_page_requires_a_reason(self) -> None:
        self.response.accept(self.reviewer)
        self.client.force_login(self.reviewer)
        address = reverse("admin:survey_response_reopen", args=[self.response.pk])
        self.client.post(address, {"reason": ""})
        self.response.refresh_from_db()
        self.assertEqual(self.response.status, Response.Status.ACCEPTED)
        self.client.post(address, {"reason": "Amendment"})
        self.response.refresh_from_db()
        self.assertEqual(self.response.status, Response.Status.IN_PROGRESS)

    def test_extension_page_reads_the_campaign_time_zone(self) -> None:
        officer = make_admin_officer()
        self.client.force_login(officer)
        page = self.client.get(change_url(self.response))
        self.assertContains(page, "Grant extension")
        address = reverse("admin:survey_response_extension", args=[self.response.pk])
        later = timezone.localtime(
            self.response.campaign.deadline + timedelta(days=3)
        ).strftime("%Y")
        result = self.client.post(
            address, {"deadline": f"{int(later) + 1}-01-15 17:00", "reason": "Storm"}
        )
        self.assertRedirects(result, change_url(self.response))
        self.response.refresh_from_db()
        self.assertEqual(
            self.response.extended_deadline,
            datetime(int(later) + 1, 1, 15, 22, 0, tzinfo=UTC),
        )
        self.assertTrue(
            AuditEvent.objects.filter(
                action="response.extension_granted", actor=officer
            ).exists()
        )

    def test_withdraw_page_is_for_admins(self) -> None:
        address = reverse("admin:survey_response_withdraw", args=[self.response.pk])
        self.client.force_login(self.reviewer)
        self.assertEqual(self.client.post(address, {"reason": "x"}).status_code, 403)
        self.client.force_login(make_admin_officer())
        result = self.client.post(address, {"reason": "Invited by mistake"})
        self.assertRedirects(result, change_url(self.response))
        self.response.refresh_from_db()
        self.assertEqual(self.response.status, Response.Status.WITHDRAWN)

    def test_diff_page_compares_two_versions(self) -> None:
        self.response.accept(self.reviewer)
        self.response.reopen(self.reviewer, "Amend")
        self.response.refresh_from_db()
        self.response.answers = {**self.response.answers, "B4": "yes"}
        self.response.save()
        signatory = self.response.submissions.get().submitted_by
        self.response.submit(signatory, None, timezone.now())
        self.client.force_login(self.reviewer)
        address = reverse("admin:survey_response_diff", args=[self.response.pk])
        page = self.client.get(address, {"a": 1, "b": 2})
        self.assertEqual(
            [(c.question_id, c.before, c.after) for c in page.context["changes"]],
            [("B4", "No", "Yes")],
        )
        self.assertContains(page, "<del>No</del>", html=True)


class BulkActionTests(TestCase):
    def test_bulk_accept_reports_skipped_responses(self) -> None:
        submitted = make_submitted()
        campaign = submitted.campaign
        draft = make_response(campaign=campaign)
        reviewer = make_reviewer(campaign)
        self.client.force_login(reviewer)
        page = self.client.post(
            CHANGELIST,
            {"action": "accept_selected", "_selected_action": [submitted.pk, draft.pk]},
            follow=True,
        )
        self.assertContains(page, "1 done, 1 skipped")
        submitted.refresh_from_db()
        draft.refresh_from_db()
        self.assertEqual(submitted.status, Response.Status.ACCEPTED)
        self.assertEqual(draft.status, Response.Status.INVITED)

    def test_bulk_return_asks_for_a_comment_then_returns_each(self) -> None:
        first, second = make_submitted(), None
        campaign = first.campaign
        second = make_submitted(campaign)
        reviewer = make_reviewer(campaign)
        self.client.force_login(reviewer)
        selection = {
            "action": "return_selected",
            "_selected_action": [first.pk, second.pk],
        }
        page = self.client.post(CHANGELIST, selection)
        self.assertContains(page, 'name="comment"')
        self.assertContains(page, '<option value="B2">', html=False)
        first.refresh_from_db()
        self.assertEqual(first.status, Response.Status.SUBMITTED)
        page = self.client.post(
            CHANGELIST,
            {**selection, "apply": "1", "question": "B2", "comment": "Which cloud?"},
            follow=True,
        )
        self.assertContains(page, "2 done, 0 skipped")
        for response in (first, second):
            response.refresh_from_db()
            self.assertEqual(response.status, Response.Status.RETURNED)
            self.assertEqual(
                list(response.comments.values_list("question_id", "text")),
                [("B2", "Which cloud?")],
            )

    def test_bulk_reopen_needs_a_reason(self) -> None:
        response = make_submitted()
        reviewer = make_reviewer(response.campaign)
        response.accept(reviewer)
        self.client.force_login(reviewer)
        selection = {"action": "reopen_selected", "_selected_action": [response.pk]}
        page = self.client.post(CHANGELIST, {**selection, "apply": "1", "reason": ""})
        self.assertContains(page, "This field is required.")
        response.refresh_from_db()
        self.assertEqual(response.status, Response.Status.ACCEPTED)
        self.client.post(CHANGELIST, {**selection, "apply": "1", "reason": "Amend"})
        response.refresh_from_db()
        self.assertEqual(response.status, Response.Status.IN_PROGRESS)


class ReadableReviewerScreensTests(TestCase):
    """Issue 10 §12: labels, money and legends on reviewer screens, not raw codes."""

    def test_response_page_and_lists_show_labels(self) -> None:
        response = make_submitted()
        officer = make_admin_officer()
        self.client.force_login(officer)
        page = self.client.get(change_url(response))
        use = response.uses.get()
        channel = use.response.campaign.questionnaire.parsed.question("D2")
        label = channel.option(use.channel).label.render(response.campaign.vendor.name)
        self.assertContains(page, label)
        self.assertNotContains(page, f">{use.channel}<")
        self.assertContains(page, "C: criticality")
        self.assertContains(page, "M: multiplier")
        self.assertContains(page, "1,000.00 USD")  # D15 "1000.00"
        # Audit details as lines, not a Python dict.
        self.assertNotContains(page, "{&#x27;")
        listing = self.client.get(reverse("admin:survey_use_changelist"))
        self.assertContains(listing, label)
        responses = self.client.get(reverse("admin:survey_response_changelist"))
        self.assertNotContains(responses, f">{response.tier}<")
        self.assertContains(responses, f">{BAND_LABELS[response.tier]}<")


class ResponseListColumnsTests(TestCase):
    """Issue 10 §11: at most eight columns, the flags as badges in one of them."""

    def test_eight_columns_and_flag_badges(self) -> None:
        response = make_submitted()
        Response.objects.filter(pk=response.pk).update(
            flag_nss=True, flag_unresolved=True
        )
        self.client.force_login(make_admin_officer())
        page = self.client.get(reverse("admin:survey_response_changelist"))
        headers = page.context["cl"].list_display
        self.assertLessEqual(len([h for h in headers if h != "action_checkbox"]), 8)
        self.assertContains(
            page, '<span class="flag-badge" title="national security system">NSS</span>'
        )
        self.assertContains(page, ">unresolved</span>")
        self.assertNotContains(page, ">deliverable</span>")


def relabelled(label: str) -> dict[str, Any]:
    """The default definition as version 2, the channel USE answers relabelled."""
    definition = read_file(DEFAULT_DEFINITION)
    definition["version"] = "2"
    register = next(s for s in definition["sections"] if s.get("repeatable"))
    channel = next(q for q in register["questions"] if q.get("binds") == "channel")
    option = next(o for o in channel["options"] if o["value"] == USE[channel["id"]])
    option["label"] = {"en": label, "fr": label}
    return definition


class UseLabelsByDefinitionTests(TestCase):
    """A use's labels come from its own definition, even where a pk is reused."""

    def channel(self, use: Use) -> str:
        with translation.override("en"):
            return labels.column(Use.objects.get(pk=use.pk), "channel")

    def test_each_definition_labels_its_own_uses(self) -> None:
        first = make_submitted().uses.get()
        version = first.response.campaign.questionnaire
        question = version.parsed.question(version.parsed.binding("channel"))
        own = question.option(first.channel).label.render("Example AI")
        second_version = QuestionnaireVersion.objects.create_from_definition(
            relabelled("Second channel label"), "test v2"
        )
        second = make_submitted(make_campaign(questionnaire=second_version)).uses.get()
        self.assertEqual(first.channel, second.channel)
        self.assertEqual(self.channel(first), own)
        self.assertEqual(self.channel(second), "Second channel label")
        # A test database hands a freed pk to the next version loaded: the labels
        # cached for the old definition must not answer for the new one.
        reused = relabelled("Reused pk label")
        QuestionnaireVersion.objects.filter(pk=version.pk).update(
            definition=reused,
            version="3",
            digest=hashlib.sha256(canonical_json(reused).encode()).hexdigest(),
        )
        self.assertEqual(self.channel(first), "Reused pk label")
        self.assertEqual(self.channel(second), "Second channel label")
