"""The review workflow verbs of Response (spec §3.1) and their audit events."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.utils import timezone

from survey import readable
from survey.models import AuditEvent, Response, ReviewComment
from tests.review_helpers import make_reviewer, make_submitted

S = Response.Status

# The review workflow of spec §3.1, written out here rather than read from
# Response.TRANSITIONS, so that a wrong table fails. "x": the verb moves a response in
# that status; "-": it is refused. Reviewers may act on a submitted response without
# starting a review; an escalation ends in acceptance, a return or a reopening; nothing
# moves a withdrawn or superseded response. Withdrawing is for admins only, which the
# admin enforces (tests/test_admin_responses.py).
VERBS = (
    "start_review",
    "accept",
    "return_for_clarification",
    "escalate",
    "reopen",
    "withdraw",
)
TARGETS = {
    "start_review": S.IN_REVIEW,
    "accept": S.ACCEPTED,
    "return_for_clarification": S.RETURNED,
    "escalate": S.ESCALATED,
    "reopen": S.IN_PROGRESS,
    "withdraw": S.WITHDRAWN,
}
# fmt: off
MATRIX = {
    #              start  accept  return  escalate  reopen  withdraw
    S.INVITED:     "-      -       -       -         -       x",
    S.IN_PROGRESS: "-      -       -       -         -       x",
    S.RETURNED:    "-      -       -       -         -       x",
    S.SUBMITTED:   "x      x       x       x         -       x",
    S.IN_REVIEW:   "-      x       x       x         -       x",
    S.ESCALATED:   "-      x       x       -         x       x",
    S.ACCEPTED:    "-      -       -       -         x       -",
    S.SUPERSEDED:  "-      -       -       -         -       -",
    S.WITHDRAWN:   "-      -       -       -         -       -",
}
# fmt: on
PAIRS = {
    (verb, status): mark == "x"
    for status, marks in MATRIX.items()
    for verb, mark in zip(VERBS, marks.split(), strict=True)
}


class TransitionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.response = make_submitted()
        cls.reviewer = make_reviewer(cls.response.campaign)

    def set_status(self, status: str) -> Response:
        Response.objects.filter(pk=self.response.pk).update(status=status)
        self.response.refresh_from_db()
        return self.response

    @staticmethod
    def arguments(verb: str) -> tuple[Any, ...]:
        if verb in ("reopen", "withdraw"):
            return ("A reason",)
        if verb == "return_for_clarification":
            return ([("B3", None, "Check your SaaS tools.")],)
        return ()

    def assert_moves(self, verb: str, source: str, target: str) -> None:
        response = self.set_status(source)
        getattr(response, verb)(self.reviewer, *self.arguments(verb))
        self.assertEqual(response.status, target)
        response.refresh_from_db()
        self.assertEqual(response.status, target)
        self.assertEqual(response.reviewed_by, self.reviewer)
        event = AuditEvent.objects.filter(object_id=str(response.pk)).first()
        self.assertEqual(event.action, f"response.{verb}")
        self.assertEqual(event.details["previous"], source)
        self.assertEqual(event.details["status"], target)
        self.assertEqual(event.actor, self.reviewer)
        self.assertEqual(event.campaign, response.campaign)

    def assert_refused(self, verb: str, source: str) -> None:
        response = self.set_status(source)
        events = AuditEvent.objects.count()
        comments = ReviewComment.objects.count()
        with self.assertRaises(Response.InvalidTransition):
            getattr(response, verb)(self.reviewer, *self.arguments(verb))
        response.refresh_from_db()
        self.assertEqual(response.status, source)
        self.assertEqual(AuditEvent.objects.count(), events)
        self.assertEqual(ReviewComment.objects.count(), comments)

    def test_the_table_covers_every_verb_and_status(self) -> None:
        self.assertEqual(set(VERBS), set(Response.TRANSITIONS))
        self.assertEqual(set(MATRIX), set(S.values))

    def test_every_allowed_transition(self) -> None:
        for (verb, source), allowed in PAIRS.items():
            if allowed:
                with self.subTest(verb=verb, source=source):
                    self.assert_moves(verb, source, TARGETS[verb])

    def test_every_other_source_status_is_refused(self) -> None:
        for (verb, source), allowed in PAIRS.items():
            if not allowed:
                with self.subTest(verb=verb, source=source):
                    self.assert_refused(verb, source)

    def test_a_stale_object_cannot_win_a_race(self) -> None:
        """Two reviewers loaded the response; only the first transition counts."""
        first = self.set_status(S.IN_REVIEW)
        second = Response.objects.get(pk=first.pk)
        first.accept(self.reviewer)
        with self.assertRaises(Response.InvalidTransition):
            second.escalate(self.reviewer)
        first.refresh_from_db()
        self.assertEqual(first.status, S.ACCEPTED)

    def test_reopen_and_withdraw_need_a_reason(self) -> None:
        response = self.set_status(S.ACCEPTED)
        with self.assertRaises(ValidationError):
            response.reopen(self.reviewer, "  ")
        response = self.set_status(S.SUBMITTED)
        with self.assertRaises(ValidationError):
            response.withdraw(self.reviewer, "")
        response.refresh_from_db()
        self.assertEqual(response.status, S.SUBMITTED)


class ReturnForClarificationTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.response = make_submitted()
        cls.reviewer = make_reviewer(cls.response.campaign)

    def test_round_trip_back_to_the_contractor_and_resubmitted(self) -> None:
        response = self.response
        use = response.uses.get()
        response.start_review(self.reviewer)
        comments = response.return_for_clarification(
            self.reviewer,
            [("B3", None, "Check your SaaS tools."), ("D13", use, "Why level III?")],
        )
        response.refresh_from_db()
        self.assertEqual(response.status, S.RETURNED)
        self.assertIs(response.is_editable, True)
        self.assertEqual(
            [(c.question_id, c.use_id, c.text) for c in comments],
            [("B3", None, "Check your SaaS tools."), ("D13", use.pk, "Why level III?")],
        )
        self.assertEqual(ReviewComment.objects.filter(response=response).count(), 2)
        event = AuditEvent.objects.get(action="response.return_for_clarification")
        self.assertEqual(event.details["questions"], ["B3", "D13"])

        # The contractor answers and submits again: a second numbered version.
        response.answers = {**response.answers, "B3": "yes"}
        response.save()
        signatory = response.submissions.get().submitted_by
        second = response.submit(signatory, None, timezone.now())
        self.assertEqual(second.number, 2)
        self.assertEqual(response.submissions.count(), 2)
        response.refresh_from_db()
        self.assertEqual(response.status, S.SUBMITTED)
        first = response.submissions.get(number=1)
        self.assertEqual(first.answers["B3"], "no")
        self.assertEqual(second.answers["B3"], "yes")

    def test_a_return_needs_at_least_one_comment(self) -> None:
        with self.assertRaises(ValidationError):
            self.response.return_for_clarification(self.reviewer, [("B3", None, " ")])
        self.response.refresh_from_db()
        self.assertEqual(self.response.status, S.SUBMITTED)

    def test_comments_name_questions_of_the_questionnaire(self) -> None:
        with self.assertRaises(ValidationError):
            self.response.return_for_clarification(
                self.reviewer, [("Z9", None, "What?")]
            )
        self.assertFalse(ReviewComment.objects.exists())

    def test_comments_name_uses_of_this_response(self) -> None:
        other_use = make_submitted(self.response.campaign).uses.get()
        with self.assertRaises(ValidationError):
            self.response.return_for_clarification(
                self.reviewer, [("D13", other_use, "Why?")]
            )
        self.assertFalse(ReviewComment.objects.exists())

    def test_a_draft_cannot_be_returned(self) -> None:
        Response.objects.filter(pk=self.response.pk).update(status=S.IN_PROGRESS)
        self.response.refresh_from_db()
        with self.assertRaises(Response.InvalidTransition):
            self.response.return_for_clarification(
                self.reviewer, [("B3", None, "Check")]
            )
        self.assertFalse(ReviewComment.objects.exists())


class AmendmentTests(TestCase):
    def test_an_amendment_after_acceptance_keeps_both_versions_and_diffs(self) -> None:
        response = make_submitted()
        reviewer = make_reviewer(response.campaign)
        response.accept(reviewer)
        response.reopen(reviewer, "The contractor found another use.")
        response.refresh_from_db()
        self.assertIs(response.is_editable, True)
        response.answers = {**response.answers, "B4": "yes"}
        response.save()
        use = response.uses.get()
        use.answers = {**use.answers, "D13": "level_1"}
        use.save()
        signatory = response.submissions.get().submitted_by
        response.submit(signatory, None, timezone.now())

        first, second = response.submissions.order_by("number")
        self.assertEqual((first.number, second.number), (1, 2))
        changes = readable.diff(
            response.campaign.questionnaire.parsed,
            {"answers": first.answers, "uses": first.uses},
            {"answers": second.answers, "uses": second.uses},
            response.campaign.vendor.name,
        )
        self.assertEqual(
            [(c.where, c.question_id, c.before, c.after) for c in changes],
            [
                ("Organisation", "B4", "No", "Yes"),
                (
                    "Use 1",
                    "D13",
                    "Level III – partial or acceptable degradation",
                    "Level I – total mission failure",
                ),
            ],
        )


class OverrideTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.response = make_submitted()
        cls.reviewer = make_reviewer(cls.response.campaign)

    def test_override_keeps_the_computed_band(self) -> None:
        computed = self.response.tier
        self.assertTrue(computed)
        self.response.override(self.reviewer, "critical", "Feeds a weapon system.")
        self.response.refresh_from_db()
        self.assertEqual(self.response.tier, computed)
        self.assertEqual(self.response.override_band, "critical")
        self.assertEqual(self.response.band, "critical")
        self.assertEqual(self.response.override_justification, "Feeds a weapon system.")
        event = AuditEvent.objects.get(action="response.band_overridden")
        self.assertEqual(event.details["computed"], computed)
        self.assertEqual(event.details["band"], "critical")

    def test_override_needs_a_justification_and_a_known_band(self) -> None:
        for band, justification in [("critical", " "), ("extreme", "Because")]:
            with self.subTest(band=band), self.assertRaises(ValidationError):
                self.response.override(self.reviewer, band, justification)
        self.response.refresh_from_db()
        self.assertEqual(self.response.override_band, "")

    def test_a_draft_cannot_be_overridden(self) -> None:
        Response.objects.filter(pk=self.response.pk).update(status=S.IN_PROGRESS)
        with self.assertRaises(Response.InvalidTransition):
            self.response.override(self.reviewer, "low", "Because")


class ExtensionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.response = make_submitted()
        cls.admin = make_reviewer()

    def test_extension_moves_the_effective_deadline_and_is_audited(self) -> None:
        later = self.response.campaign.deadline + timedelta(days=2)
        self.response.grant_extension(self.admin, later, "Hurricane closed the office.")
        self.response.refresh_from_db()
        self.assertEqual(self.response.effective_deadline, later)
        self.assertEqual(self.response.extension_reason, "Hurricane closed the office.")
        event = AuditEvent.objects.get(action="response.extension_granted")
        self.assertEqual(event.details["deadline"], later.isoformat())
        self.assertEqual(event.actor, self.admin)

    def test_extension_must_be_later_aware_and_explained(self) -> None:
        deadline = self.response.campaign.deadline
        cases = [
            (deadline, "Reason"),
            (deadline + timedelta(days=1), ""),
            (datetime(2099, 1, 1), "Naive"),
        ]
        for when, reason in cases:
            with self.subTest(when=when), self.assertRaises(ValidationError):
                self.response.grant_extension(self.admin, when, reason)
        self.response.refresh_from_db()
        self.assertIsNone(self.response.extended_deadline)
        self.assertEqual(self.response.effective_deadline, deadline)
        self.assertFalse(
            AuditEvent.objects.filter(action="response.extension_granted").exists()
        )
        self.assertEqual(deadline.tzinfo, UTC)


class ConcurrentReviewTests(TransactionTestCase):
    def test_two_reviewers_acting_at_once_cannot_both_win(self) -> None:
        response = make_submitted()
        reviewer = make_reviewer(response.campaign)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def act(verb: str) -> None:
            mine = Response.objects.get(pk=response.pk)
            barrier.wait()
            args = (
                ([("B2", None, "Which cloud?")],) if verb.startswith("return") else ()
            )
            try:
                getattr(mine, verb)(reviewer, *args)
                outcomes.append(verb)
            except Response.InvalidTransition:
                outcomes.append("refused")
            finally:
                connection.close()

        # Accepting and returning exclude each other, whichever comes first.
        threads = [
            threading.Thread(target=act, args=(verb,))
            for verb in ("accept", "return_for_clarification")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        response.refresh_from_db()
        self.assertEqual(outcomes.count("refused"), 1, outcomes)
        winner = next(o for o in outcomes if o != "refused")
        self.assertEqual(
            response.status, S.ACCEPTED if winner == "accept" else S.RETURNED
        )
        self.assertEqual(
            list(
                AuditEvent.objects.filter(
                    action__in=["response.accept", "response.return_for_clarification"]
                ).values_list("action", flat=True)
            ),
            [f"response.{winner}"],
        )
        # The loser's comments were rolled back with its refused transition.
        self.assertEqual(
            ReviewComment.objects.count(), 1 if winner.startswith("return") else 0
        )
