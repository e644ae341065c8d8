from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase

from survey import reminders
from survey.models import AuditEvent, Campaign, Membership, ReminderSent, Response
from tests.helpers import make_campaign, make_organisation, make_response, make_user
from tests.review_helpers import make_admin_officer

DEADLINE = datetime(2027, 3, 5, 22, 0, tzinfo=UTC)  # Friday 17:00 EST


def at(hours_before: float) -> datetime:
    return DEADLINE - timedelta(hours=hours_before)


class DueOffsetsTests(SimpleTestCase):
    def test_offsets_whose_moment_has_passed(self) -> None:
        offsets = [168, 72, 24, 4]
        self.assertEqual(reminders.due_offsets(offsets, DEADLINE, at(169)), [])
        self.assertEqual(reminders.due_offsets(offsets, DEADLINE, at(168)), [168])
        self.assertEqual(reminders.due_offsets(offsets, DEADLINE, at(30)), [168, 72])
        self.assertEqual(
            reminders.due_offsets(offsets, DEADLINE, at(0.01)), [168, 72, 24, 4]
        )
        self.assertEqual(reminders.due_offsets(offsets, DEADLINE, DEADLINE), [])


class SendRemindersTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign(
            opens_at=datetime(2027, 2, 1, tzinfo=UTC), deadline=DEADLINE
        )
        cls.idle = make_response(campaign=cls.campaign)
        cls.idle_users = [
            make_user("a@idle.example", organisation=cls.idle.organisation),
            make_user(
                "b@idle.example",
                organisation=cls.idle.organisation,
                role=Membership.Role.SIGNATORY,
            ),
        ]
        make_user(
            "gone@idle.example", organisation=cls.idle.organisation, is_active=False
        )
        cls.drafting = make_response(
            campaign=cls.campaign, status=Response.Status.IN_PROGRESS
        )
        make_user("c@drafting.example", organisation=cls.drafting.organisation)
        cls.done = make_response(
            campaign=cls.campaign,
            status=Response.Status.SUBMITTED,
            submitted_at=at(200),
        )
        make_user("d@done.example", organisation=cls.done.organisation)
        # Another campaign, closed: never reminded.
        closed = make_campaign(
            opens_at=datetime(2027, 2, 1, tzinfo=UTC),
            deadline=DEADLINE,
            status=Campaign.Status.CLOSED,
        )
        other = make_response(campaign=closed)
        make_user("e@closed.example", organisation=other.organisation)

    def run_at(self, when: datetime) -> list[reminders.Sent]:
        with time_machine.travel(when, tick=False):
            return reminders.send_due(when)

    def recipients(self) -> list[list[str]]:
        return sorted(sorted(m.to) for m in mail.outbox)

    def test_right_recipients_at_each_offset_and_never_twice(self) -> None:
        self.assertEqual(self.run_at(at(169)), [])
        for hours in (168, 72, 24, 4):
            mail.outbox.clear()
            sent = self.run_at(at(hours) + timedelta(minutes=3))
            with self.subTest(offset=hours):
                self.assertEqual(
                    sorted((s.response.pk, s.offset_hours) for s in sent),
                    sorted([(self.idle.pk, hours), (self.drafting.pk, hours)]),
                )
                self.assertEqual(
                    self.recipients(),
                    [["a@idle.example", "b@idle.example"], ["c@drafting.example"]],
                )
                # Cron runs again a few minutes later: nothing more.
                mail.outbox.clear()
                self.assertEqual(self.run_at(at(hours) + timedelta(minutes=8)), [])
                self.assertEqual(mail.outbox, [])
        self.assertEqual(ReminderSent.objects.filter(response=self.idle).count(), 4)
        self.assertEqual(
            AuditEvent.objects.filter(action="email.reminder_sent").count(), 8
        )

    def test_nothing_after_submission(self) -> None:
        self.run_at(at(100))
        Response.objects.filter(pk=self.drafting.pk).update(
            status=Response.Status.SUBMITTED, submitted_at=at(80)
        )
        mail.outbox.clear()
        sent = self.run_at(at(72))
        self.assertEqual([s.response.pk for s in sent], [self.idle.pk])
        self.assertEqual(self.recipients(), [["a@idle.example", "b@idle.example"]])

    def test_nothing_after_the_deadline(self) -> None:
        self.assertEqual(self.run_at(DEADLINE), [])
        self.assertEqual(self.run_at(DEADLINE + timedelta(hours=1)), [])
        self.assertEqual(mail.outbox, [])

    def test_after_a_pause_only_the_nearest_offset_is_sent(self) -> None:
        sent = self.run_at(at(20))
        self.assertEqual({s.offset_hours for s in sent}, {24})
        self.assertEqual(len(mail.outbox), 2)
        self.assertEqual(
            set(
                ReminderSent.objects.filter(response=self.idle).values_list(
                    "offset_hours", flat=True
                )
            ),
            {168, 72, 24},
        )

    def test_an_extension_moves_the_reminders(self) -> None:
        self.idle.grant_extension(
            make_admin_officer(), DEADLINE + timedelta(days=2), "Storm"
        )
        # Three hours before the campaign deadline is 51 hours before the extension.
        sent = self.run_at(at(3))
        self.assertEqual(
            sorted((s.response.pk, s.offset_hours) for s in sent),
            [(self.idle.pk, 72), (self.drafting.pk, 4)],
        )
        self.assertEqual(self.run_at(DEADLINE + timedelta(hours=1)), [])
        sent = self.run_at(DEADLINE + timedelta(hours=25))
        self.assertEqual(
            [(s.response.pk, s.offset_hours) for s in sent], [(self.idle.pk, 24)]
        )

    def test_an_extension_after_a_reminder_starts_a_new_series(self) -> None:
        self.assertIn(
            (self.idle.pk, 4),
            [(s.response.pk, s.offset_hours) for s in self.run_at(at(3))],
        )
        self.idle.grant_extension(
            make_admin_officer(), DEADLINE + timedelta(days=5), "Storm"
        )
        sent = self.run_at(DEADLINE + timedelta(days=5, hours=-3))
        self.assertIn(
            (self.idle.pk, 4), [(s.response.pk, s.offset_hours) for s in sent]
        )

    def test_a_failed_email_is_retried_by_the_next_run(self) -> None:
        with self.settings(EMAIL_BACKEND="tests.test_reminders.FailingBackend"):
            self.assertEqual(self.run_at(at(71)), [])
        self.assertFalse(ReminderSent.objects.exists())
        self.assertTrue(self.run_at(at(71)))

    def test_a_response_returned_after_submission_gets_no_deadline_reminder(
        self,
    ) -> None:
        """Its organisation answers the reviewer's comments; the deadline is behind it."""
        Response.objects.filter(pk=self.idle.pk).update(
            status=Response.Status.RETURNED, submitted_at=at(100)
        )
        self.assertNotIn(self.idle.pk, [s.response.pk for s in self.run_at(at(71))])

    def test_offsets_are_set_per_campaign(self) -> None:
        Campaign.objects.filter(pk=self.campaign.pk).update(reminder_offsets=[48])
        self.assertEqual(self.run_at(at(72)), [])
        sent = self.run_at(at(47))
        self.assertEqual({s.offset_hours for s in sent}, {48})

    def test_organisations_without_members_wait_for_one(self) -> None:
        lonely = make_response(campaign=self.campaign, organisation=make_organisation())
        self.run_at(at(100))
        self.assertFalse(ReminderSent.objects.filter(response=lonely).exists())
        make_user("f@lonely.example", organisation=lonely.organisation)
        sent = self.run_at(at(90))
        self.assertEqual(
            [(s.response.pk, s.offset_hours) for s in sent], [(lonely.pk, 168)]
        )

    def test_reminder_email_names_the_deadline_in_eastern_and_utc(self) -> None:
        self.run_at(at(4))
        message = next(m for m in mail.outbox if "c@drafting.example" in m.to)
        self.assertIn("2027-03-05 17:00 EST (22:00 UTC)", message.body)
        self.assertNotIn("\n", message.subject)

    def test_command_is_safe_to_run_repeatedly(self) -> None:
        out = StringIO()
        with time_machine.travel(at(23), tick=False):
            call_command("send_reminders", stdout=out)
            call_command("send_reminders", stdout=out)
        self.assertIn("2 reminder(s) sent.", out.getvalue())
        self.assertIn("0 reminder(s) sent.", out.getvalue())
        self.assertEqual(len(mail.outbox), 2)

    def test_a_concurrent_run_that_claimed_first_wins(self) -> None:
        """The unique row is claimed before sending: a second claimant sends nothing."""
        self.assertIs(reminders._claim(self.idle, [72], DEADLINE), True)
        self.assertIs(reminders._claim(self.idle, [168, 72], DEADLINE), False)
        self.assertEqual(
            list(
                ReminderSent.objects.filter(response=self.idle).values_list(
                    "offset_hours", flat=True
                )
            ),
            [72],
        )


class FailingBackend(BaseEmailBackend):
    """An SMTP relay that is down."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError("relay down")
