"""Moving a campaign to another questionnaire version (survey.models.versioning, issue 11
§6, DL-8): the report of what would be dropped, the move, the admin page, and old
submissions read with their own version."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.test import SimpleTestCase, TestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from survey import exports
from survey import questionnaire as qn
from survey.models import (
    AuditEvent,
    Campaign,
    Membership,
    QuestionnaireVersion,
    Response,
    Submission,
    Use,
)
from survey.models.versioning import tally
from survey.rescoring import rescore
from tests.helpers import (
    LITE_DEFINITION,
    complete_use_answers,
    make_campaign,
    make_response,
    make_user,
)
from tests.review_helpers import (
    ANSWERS,
    make_admin_officer,
    make_reviewer,
    make_submitted,
)
from tests.test_questionnaire import default_data, question
from tests.test_questionnaire_compare import next_version

# A4a is a question v1.1 removes; its v1 label, as the admin reads it.
A4A_LABEL = "Which business units or CAGE codes are included"
SUBMITTED = {**ANSWERS, "A4": "business_units", "A4a": "Widgets division only"}
DRAFT = {
    "A1": "Draft Co",
    "A4": "cage_codes",
    "A4a": "Only 1ABC5",
    "B1": "yes",
    "C1": ["api_payg"],
}
# What moving the two responses to v1.1 drops: A4a (removed), C1 (its options
# changed), D7 (now a plain yes/no) and F3 (an attestation, given afresh).
DROPPED = {
    "A4a": {"responses": 2, "uses": 0},
    "C1": {"responses": 1, "uses": 0},
    "D7": {"responses": 2, "uses": 2},
    "F3": {"responses": 1, "uses": 0},
}


def load_next_version() -> QuestionnaireVersion:
    return QuestionnaireVersion.objects.create_from_definition(
        next_version(), source="v1.1"
    )


def make_draft(campaign: Campaign) -> Response:
    """A response being answered: organisation answers and one use, all scored."""
    meta = {"by": "preparer@example.com", "at": "2026-01-05T10:00:00+00:00"}
    response = make_response(
        campaign,
        answers=DRAFT,
        answer_meta=dict.fromkeys(DRAFT, meta),
        status=Response.Status.IN_PROGRESS,
    )
    answers = complete_use_answers(D7="yes")
    use = Use(
        response=response,
        position=1,
        answers=answers,
        answer_meta=dict.fromkeys(answers, meta),
    )
    use.refresh_derived(campaign.questionnaire.parsed, response.answers)
    use.save()
    response.refresh_scores([use])
    response.save()
    return response


def build_campaign() -> tuple[Campaign, Response, Response, Response]:
    """A v1 campaign with a submitted response, a draft and an untouched invitation."""
    campaign = make_campaign()
    submitted = make_submitted(campaign, answers=SUBMITTED)
    draft = make_draft(campaign)
    untouched = make_response(campaign)
    return campaign, submitted, draft, untouched


class TallyTests(SimpleTestCase):
    def test_it_counts_dropped_answers_per_question_in_question_order(self) -> None:
        old, new = qn.parse(default_data()), qn.parse(next_version())
        report = tally(
            old,
            new,
            [
                ({"A1": "x", "A4a": "y"}, [{"D1": "a", "D7": "no"}, {"D7": "yes"}]),
                ({"ZZ9": "stray", "C1": ["api_payg"]}, []),
                ({"A1": "kept"}, [{"D1": "kept"}]),
            ],
        )
        self.assertEqual(
            report.counts(),
            {
                "A4a": {"responses": 1, "uses": 0},
                "C1": {"responses": 1, "uses": 0},
                "D7": {"responses": 1, "uses": 2},
                "ZZ9": {"responses": 1, "uses": 0},
            },
        )
        self.assertEqual((report.responses, report.affected), (3, 2))
        self.assertEqual(report.removed, ("A4a",))
        self.assertEqual(report.changes["A8"], "new")

    def test_a_files_answer_stays_with_its_response(self) -> None:
        old = qn.parse(default_data())
        answer = {"attachment": "0c6b", "name": "plan.pdf", "size": 10}
        report = tally(old, qn.parse(next_version()), [({"E1b": answer}, [])])
        self.assertEqual(report.counts(), {})


class MoveTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign, cls.submitted, cls.draft, cls.untouched = build_campaign()
        cls.v1 = cls.campaign.questionnaire
        cls.v11 = load_next_version()
        cls.officer = make_admin_officer()

    def move(self, **kwargs: Any) -> Any:
        return self.campaign.move_to_version(self.v11, self.officer, **kwargs)

    def test_the_report_counts_dropped_answers_of_drafts_and_submitted(self) -> None:
        report = self.campaign.move_report(self.v11)
        self.assertEqual(report.counts(), DROPPED)
        # The untouched invitation has nothing to carry.
        self.assertEqual((report.responses, report.affected), (2, 2))
        self.assertEqual(
            report.changes,
            {"A1": "changed", "C1": "changed", "D7": "changed", "A8": "new"},
        )
        self.assertEqual(report.removed, ("A4a",))

    def test_the_move_drops_exactly_those_answers_and_keeps_the_rest(self) -> None:
        before = {r.pk: r for r in Response.objects.filter(campaign=self.campaign)}
        report = self.move()
        self.assertEqual(report.counts(), DROPPED)
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.questionnaire, self.v11)
        draft = Response.objects.get(pk=self.draft.pk)
        self.assertEqual(
            draft.answers, {k: v for k, v in DRAFT.items() if k not in ("A4a", "C1")}
        )
        self.assertEqual(set(draft.answer_meta), set(draft.answers))
        self.assertEqual(draft.version, before[self.draft.pk].version + 1)
        submitted = Response.objects.get(pk=self.submitted.pk)
        self.assertNotIn("A4a", submitted.answers)
        self.assertNotIn("F3", submitted.answers)
        self.assertEqual(submitted.answers["A1"], SUBMITTED["A1"])
        self.assertEqual(submitted.version, before[self.submitted.pk].version + 1)
        self.assertEqual(submitted.status, Response.Status.SUBMITTED)
        untouched = Response.objects.get(pk=self.untouched.pk)
        self.assertEqual(untouched.version, before[self.untouched.pk].version)

    def test_live_uses_lose_the_answers_and_their_columns_are_derived_again(
        self,
    ) -> None:
        use = Use.objects.get(response=self.draft)
        self.assertEqual((use.nss, use.flag_nss), ("yes", True))
        self.move()
        moved = Use.objects.get(pk=use.pk)
        self.assertNotIn("D7", moved.answers)
        self.assertNotIn("D7", moved.answer_meta)
        self.assertEqual(moved.answers["D1"], use.answers["D1"])
        # D7 binds the NSS column: no answer on v1.1 yet, so no column and no flag.
        self.assertEqual((moved.nss, moved.flag_nss), ("", False))
        self.assertEqual(moved.version, use.version + 1)
        self.assertEqual(moved.band, use.band)
        draft = Response.objects.get(pk=self.draft.pk)
        self.assertIs(draft.flag_nss, False)

    def test_submissions_and_their_attested_uses_stay_as_they_were(self) -> None:
        submission = Submission.objects.get(response=self.submitted)
        fields = ["answers", "uses", "sha256", "questionnaire_id", "cdi", "tier"]
        kept = Submission.objects.filter(pk=submission.pk).values(*fields).get()
        columns = ["answers", "nss", "flag_nss", "dri", "band", "counted_in_id"]
        copies = list(Use.attested.filter(submission=submission).values(*columns))
        self.move()
        self.assertEqual(
            Submission.objects.filter(pk=submission.pk).values(*fields).get(), kept
        )
        self.assertEqual(
            list(Use.attested.filter(submission=submission).values(*columns)), copies
        )
        self.assertEqual(kept["answers"]["A4a"], "Widgets division only")
        self.assertEqual(kept["questionnaire_id"], self.v1.pk)

    def test_one_audit_event_holds_counts_never_answers(self) -> None:
        self.move(ip="192.0.2.7")
        (event,) = AuditEvent.objects.filter(action="campaign.questionnaire_moved")
        self.assertEqual(event.campaign, self.campaign)
        self.assertEqual(event.actor, self.officer)
        self.assertEqual(event.details["dropped"], DROPPED)
        self.assertEqual(event.details["version"], str(self.v11))
        self.assertEqual(event.details["previous"], str(self.v1))
        text = json.dumps(event.details)
        for answer in ("Widgets division only", "Only 1ABC5", "Draft Co"):
            self.assertNotIn(answer, text)

    def test_the_same_version_and_another_questionnaire_are_refused(self) -> None:
        lite = QuestionnaireVersion.objects.get_or_load(LITE_DEFINITION)
        for version in (self.v1, lite):
            with (
                self.subTest(version=str(version)),
                self.assertRaises(ValidationError),
            ):
                self.campaign.move_to_version(version, self.officer)
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.questionnaire, self.v1)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="campaign."))

    def test_a_preview_that_no_longer_matches_is_refused(self) -> None:
        with self.assertRaises(ValidationError):
            self.move(seen="0" * 64)
        self.assertEqual(Response.objects.get(pk=self.draft.pk).answers, DRAFT)
        self.move(seen=self.campaign.move_report(self.v11).fingerprint())
        self.assertEqual(Campaign.objects.get().questionnaire, self.v11)

    def test_a_version_in_use_by_a_campaign_or_a_submission_cannot_go(self) -> None:
        self.move()
        # v1 is now used by the submission only; v1.1 by the campaign.
        for version in (self.v1, self.v11):
            with (
                self.subTest(version=str(version)),
                self.assertRaises(ProtectedError),
            ):
                QuestionnaireVersion.objects.filter(pk=version.pk).delete()
        self.v1.digest = "0" * 64
        with self.assertRaises(ValidationError):
            self.v1.save()


class RescoreAfterMoveTests(TestCase):
    def test_the_last_submission_is_rescored_with_its_own_version(self) -> None:
        """Live uses score with the new version's factors, the attested copies of a
        submission given on v1 with v1's."""
        campaign, submitted, _, _ = build_campaign()
        definition = next_version()
        reliance = question(definition, "D12")
        next(o for o in reliance["options"] if o["value"] == "material")["factor"] = 4
        version = QuestionnaireVersion.objects.create_from_definition(
            definition, source="v1.1"
        )
        copy = Use.attested.get(submission__response=submitted)
        campaign.move_to_version(version, None)
        rescore(campaign)
        self.assertEqual(Use.objects.get(response=submitted).r, 4)
        rescored = Use.attested.get(pk=copy.pk)
        self.assertEqual((rescored.r, rescored.dri), (3, copy.dri))


class MoveAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign, cls.submitted, cls.draft, _ = build_campaign()
        cls.v1 = cls.campaign.questionnaire
        cls.v11 = load_next_version()
        cls.officer = make_admin_officer()
        cls.reviewer = make_reviewer(cls.campaign)
        cls.address = reverse("admin:survey_campaign_move", args=[cls.campaign.pk])

    def test_the_campaign_page_offers_the_move_to_admins_only(self) -> None:
        change = reverse("admin:survey_campaign_change", args=[self.campaign.pk])
        self.client.force_login(self.officer)
        self.assertContains(self.client.get(change), self.address)
        self.client.force_login(self.reviewer)
        page = self.client.get(change)
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, self.address)

    def test_a_reviewer_cannot_reach_the_move_page(self) -> None:
        self.client.force_login(self.reviewer)
        self.assertEqual(self.client.get(self.address).status_code, 403)
        data = {"version": self.v11.pk, "confirm": "1"}
        self.assertEqual(self.client.post(self.address, data).status_code, 403)
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.questionnaire, self.v1)

    def test_the_preview_lists_what_would_be_dropped_with_labels(self) -> None:
        self.client.force_login(self.officer)
        self.assertContains(self.client.get(self.address), str(self.v11))
        page = self.client.post(self.address, {"version": self.v11.pk, "preview": "1"})
        self.assertEqual(page.status_code, 200)
        rows = {r.question_id: (r.responses, r.uses) for r in page.context["dropped"]}
        self.assertEqual(
            rows, {q: (n["responses"], n["uses"]) for q, n in DROPPED.items()}
        )
        self.assertContains(page, A4A_LABEL)
        self.assertContains(page, "Website")  # A8, new in v1.1
        self.assertContains(page, page.context["report"].fingerprint())
        # A preview changes nothing.
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.questionnaire, self.v1)

    def test_confirming_the_preview_moves_the_campaign(self) -> None:
        self.client.force_login(self.officer)
        preview = self.client.post(
            self.address, {"version": self.v11.pk, "preview": "1"}
        )
        seen = preview.context["report"].fingerprint()
        reply = self.client.post(
            self.address, {"version": self.v11.pk, "seen": seen, "confirm": "1"}
        )
        self.assertRedirects(
            reply, reverse("admin:survey_campaign_change", args=[self.campaign.pk])
        )
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.questionnaire, self.v11)
        self.assertNotIn("A4a", Response.objects.get(pk=self.draft.pk).answers)

    def test_a_stale_confirmation_shows_the_report_again(self) -> None:
        self.client.force_login(self.officer)
        page = self.client.post(
            self.address, {"version": self.v11.pk, "seen": "stale", "confirm": "1"}
        )
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "The answers changed since the preview")
        self.assertIsNotNone(page.context["report"])
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.questionnaire, self.v1)

    def test_only_versions_of_the_same_questionnaire_are_offered(self) -> None:
        lite = QuestionnaireVersion.objects.get_or_load(LITE_DEFINITION)
        self.client.force_login(self.officer)
        form = self.client.get(self.address).context["form"]
        self.assertEqual(list(form.fields["version"].queryset), [self.v11])
        page = self.client.post(self.address, {"version": lite.pk, "preview": "1"})
        self.assertIn("version", page.context["form"].errors)


class CampaignFormLockTests(TestCase):
    """The questionnaire field changes freely until the campaign has a response."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.officer = make_admin_officer()
        cls.v11 = load_next_version()

    def setUp(self) -> None:
        self.client.force_login(self.officer)
        self.campaign = make_campaign(
            opens_at=datetime(2026, 1, 5, 14, 0, tzinfo=UTC),
            deadline=datetime(2026, 1, 16, 22, 0, tzinfo=UTC),
        )
        self.address = reverse("admin:survey_campaign_change", args=[self.campaign.pk])

    def post(self, **changes: Any) -> Any:
        form = self.client.get(self.address).context["adminform"].form
        data = {
            name: (form[name].value() or "") if name != "reviewers" else []
            for name in form.fields
        }
        data["opens_at"] = "2026-01-05T09:00"
        data["deadline"] = "2026-01-16T17:00"
        data["reminder_offsets"] = "[24]"
        return self.client.post(self.address, {**data, **changes})

    def test_without_responses_the_version_may_change(self) -> None:
        reply = self.post(questionnaire=self.v11.pk)
        self.assertEqual(reply.status_code, 302)
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.questionnaire, self.v11)

    def test_once_a_response_exists_the_field_is_locked(self) -> None:
        v1 = self.campaign.questionnaire
        make_response(self.campaign)
        page = self.client.get(self.address)
        field = page.context["adminform"].form.fields["questionnaire"]
        self.assertIs(field.disabled, True)
        self.assertIn(
            reverse("admin:survey_campaign_move", args=[self.campaign.pk]),
            field.help_text,
        )
        self.assertContains(page, "its version changes only through")
        reply = self.post(questionnaire=self.v11.pk, title="Renamed")
        self.assertEqual(reply.status_code, 302)
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.title, "Renamed")
        self.assertEqual(self.campaign.questionnaire, v1)


class OldSubmissionTests(TestCase):
    """After the move, a submission given on v1 is shown and diffed with v1."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign, cls.submitted, _, _ = build_campaign()
        cls.v1 = cls.campaign.questionnaire
        cls.v11 = load_next_version()
        cls.officer = make_admin_officer()
        cls.campaign.move_to_version(cls.v11, cls.officer)

    def resubmit_on_the_new_version(self) -> None:
        """Accept, reopen, attest again (F3 was dropped) and submit #2 on v1.1."""
        response = self.submitted
        response.accept(self.officer)
        response.reopen(self.officer, "Please confirm on the new version.")
        Response.objects.filter(pk=response.pk).update(
            answers={**Response.objects.get(pk=response.pk).answers, "F3": "yes"}
        )
        use = Use.objects.get(response=response)
        Use.objects.filter(pk=use.pk).update(answers={**use.answers, "D7": "no"})
        signatory = make_user(
            organisation=response.organisation, role=Membership.Role.SIGNATORY
        )
        Response.objects.get(pk=response.pk).submit(signatory, None, timezone.now())

    def test_the_response_page_shows_the_submission_with_its_version(self) -> None:
        self.client.force_login(self.officer)
        page = self.client.get(
            reverse("admin:survey_response_change", args=[self.submitted.pk])
        )
        self.assertContains(page, "Widgets division only")
        self.assertContains(page, A4A_LABEL)
        self.assertContains(page, str(self.v1))

    def test_the_diff_reads_each_submission_with_its_own_version(self) -> None:
        self.resubmit_on_the_new_version()
        first, second = Submission.objects.filter(response=self.submitted)
        self.assertEqual(
            (first.questionnaire, second.questionnaire), (self.v1, self.v11)
        )
        self.client.force_login(self.officer)
        page = self.client.get(
            reverse("admin:survey_response_diff", args=[self.submitted.pk])
        )
        changes = {c.question_id: c for c in page.context["changes"]}
        self.assertEqual(changes["A4a"].before, "Widgets division only")
        self.assertEqual(changes["A4a"].after, "—")
        self.assertIn(A4A_LABEL, changes["A4a"].label)
        self.assertNotIn("D7", changes)  # "no" on both, each read with its own type
        self.assertContains(page, f"#1 ({self.v1})")

    def test_the_contractors_workbook_and_receipt_show_the_submission(self) -> None:
        handle = BytesIO()
        response = Response.objects.get(pk=self.submitted.pk)
        exports.response_workbook(response, list(response.uses.all()), handle)
        book = load_workbook(BytesIO(handle.getvalue()))
        about = dict(book["Response"].iter_rows(values_only=True))
        self.assertEqual(about["Questionnaire version"], str(self.v1))
        answers = {
            row[1]: row[3] for row in book["Answers"].iter_rows(values_only=True)
        }
        self.assertEqual(answers["A4a"], "Widgets division only")
        member = make_user(organisation=response.organisation)
        self.client.force_login(member)
        receipt = self.client.get(reverse("survey-receipt", args=[response.uuid]))
        self.assertContains(receipt, str(self.v1))
