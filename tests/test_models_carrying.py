"""Carry forward (survey.models.carrying): a response starts from its organisation's last
submission to the predecessor campaign, and is confirmed section by section."""

from __future__ import annotations

from django.test import TestCase
from django.utils import timezone

from survey import editing
from survey.models import (
    AuditEvent,
    Incomplete,
    Membership,
    QuestionnaireVersion,
    Response,
    Use,
)
from tests.helpers import make_campaign, make_response, make_user
from tests.review_helpers import make_submitted
from tests.test_questionnaire_compare import next_version


def carried_campaign_pair() -> tuple[Response, Response]:
    """A response submitted to a v1 campaign, and its organisation's untouched response
    to the next campaign, on v1.1 (see next_version)."""
    before = make_submitted(make_campaign(slug="q1"))
    version = QuestionnaireVersion.objects.create_from_definition(
        next_version(), source="v1.1"
    )
    after = make_campaign(slug="q2", questionnaire=version, predecessor=before.campaign)
    return before, make_response(campaign=after, organisation=before.organisation)


class CarryForwardTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.before, cls.response = carried_campaign_pair()
        cls.preparer = make_user(organisation=cls.response.organisation)
        cls.signatory = make_user(
            organisation=cls.response.organisation, role=Membership.Role.SIGNATORY
        )

    def test_matched_answers_and_uses_are_carried_and_the_rest_dropped(self) -> None:
        submitted = self.before.submissions.get()
        self.assertIs(self.response.carry_forward(timezone.now()), True)
        self.response.refresh_from_db()
        expected = {
            k: v
            for k, v in submitted.answers.items()
            if k != "F3"  # an attestation is given afresh
        }
        self.assertEqual(self.response.answers, expected)
        (use,) = self.response.uses.all()
        self.assertEqual(
            use.answers, {k: v for k, v in submitted.uses[0].items() if k != "D7"}
        )
        # The use is a live, scored row like any other.
        self.assertEqual(use.band, Use.attested.get(submission=submitted).band)
        self.assertEqual(self.response.carried_from, submitted)
        self.assertEqual(self.response.status, Response.Status.INVITED)
        self.assertEqual(self.response.version, 2)
        self.assertEqual(self.response.to_confirm, ["A", "B", "D", "E", "F"])
        event = AuditEvent.objects.get(action="response.carried_forward")
        self.assertEqual(event.details["dropped"], ["D7", "F3"])
        self.assertEqual(event.details["source"], "q1")

    def test_it_carries_once(self) -> None:
        self.assertIs(self.response.carry_forward(timezone.now()), True)
        self.assertIs(self.response.carry_forward(timezone.now()), False)
        self.assertEqual(self.response.uses.count(), 1)

    def test_a_started_response_is_left_alone(self) -> None:
        Response.objects.filter(pk=self.response.pk).update(answers={"A1": "Typed"})
        self.response.refresh_from_db()
        self.assertIs(self.response.carry_forward(timezone.now()), False)
        self.assertEqual(self.response.answers, {"A1": "Typed"})

    def test_a_withdrawn_predecessor_response_is_not_carried(self) -> None:
        Response.objects.filter(pk=self.before.pk).update(
            status=Response.Status.WITHDRAWN
        )
        self.assertIs(self.response.carry_forward(timezone.now()), False)

    def test_nothing_is_carried_after_the_deadline(self) -> None:
        late = self.response.campaign.deadline
        self.assertIs(self.response.carry_forward(late), False)
        self.assertEqual(Response.objects.get(pk=self.response.pk).answers, {})

    def test_new_and_changed_questions_are_marked(self) -> None:
        self.response.carry_forward(timezone.now())
        self.response.refresh_from_db()
        self.assertEqual(
            self.response.carried_marks(),
            {"A1": "changed", "C1": "changed", "D7": "changed", "A8": "new"},
        )

    def test_nothing_is_submitted_until_every_section_is_confirmed(self) -> None:
        now = timezone.now()
        self.response.carry_forward(now)
        self.response.refresh_from_db()
        questionnaire = self.response.campaign.questionnaire.parsed
        # The attestation, dropped, is given again; saving its page confirms it.
        edit = editing.Edit(
            posted={"F3": "yes"},
            loaded=dict(self.response.answers),
            loaded_version=self.response.version,
            question_ids=[q.id for q in questionnaire.section("F").questions],
        )
        self.response.save_answers(
            edit, user=self.preparer, ip=None, at=now, confirm="F"
        )
        use = self.response.uses.get()
        use.answers["D7"] = "no"
        use.save()
        self.assertEqual(self.response.to_confirm, ["A", "B", "D", "E"])
        self.assertEqual(self.response.missing(list(self.response.uses.all())), [])
        for section_id in ("A", "B", "D"):
            self.response.confirm_section(section_id, self.preparer, None, now)
        with self.assertRaises(Incomplete):
            self.response.submit(self.signatory, None, now)
        # Saving a page unchanged confirms it too.
        edit = editing.Edit(
            posted={},
            loaded=dict(self.response.answers),
            loaded_version=self.response.version,
            question_ids=[],
        )
        self.response.save_answers(
            edit, user=self.preparer, ip=None, at=now, confirm="E"
        )
        self.assertEqual(Response.objects.get(pk=self.response.pk).to_confirm, [])
        self.assertIsNotNone(self.response.submit(self.signatory, None, now))
        self.assertEqual(
            AuditEvent.objects.filter(action="response.section_confirmed").count(), 5
        )
