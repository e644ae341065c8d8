from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from survey.deadlines import local_instant
from survey.models import (
    AuditEvent,
    Campaign,
    Organisation,
    QuestionnaireVersion,
    Response,
    Use,
    User,
)
from tests.helpers import log_in, make_campaign, make_organisation, make_response


class ResponseConstraintTests(TestCase):
    def test_database_rejects_a_second_response_for_campaign_and_organisation(
        self,
    ) -> None:
        response = make_response()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Response.objects.create(
                campaign=response.campaign, organisation=response.organisation
            )
        self.assertEqual(Response.objects.count(), 1)

    def test_same_organisation_may_answer_two_campaigns(self) -> None:
        response = make_response()
        make_response(organisation=response.organisation)
        self.assertEqual(response.organisation.responses.count(), 2)

    def test_public_references_are_random_uuids(self) -> None:
        first, second = make_response(), make_response()
        self.assertEqual(first.uuid.version, 4)
        self.assertNotEqual(first.uuid, second.uuid)


class OrganisationTests(TestCase):
    def test_database_rejects_a_malformed_uei(self) -> None:
        for bad in ["0ABCDEFGH123", "ABCDEFGHIJKL", "SHORT", "abcdefgh1234"]:
            with (
                self.subTest(uei=bad),
                self.assertRaises(IntegrityError),
                transaction.atomic(),
            ):
                Organisation.objects.create(legal_name="X", uei=bad)

    def test_database_rejects_malformed_cage_codes(self) -> None:
        with self.assertRaises(IntegrityError), transaction.atomic():
            Organisation.objects.create(
                legal_name="X", uei="ABCDEFGH1234", cage_codes="1AB"
            )

    def test_clean_normalises_identifiers(self) -> None:
        org = Organisation(
            legal_name="X", uei=" abcdefgh1234 ", cage_codes="1abc5, 2def6"
        )
        org.full_clean()
        self.assertEqual((org.uei, org.cage_codes), ("ABCDEFGH1234", "1ABC5 2DEF6"))
        self.assertEqual(org.cage_code_list, ["1ABC5", "2DEF6"])


class UserTests(TestCase):
    def test_users_log_in_with_their_email_in_any_case(self) -> None:
        User.objects.create_user("Pat.Doe@Example.COM", "correct horse battery")
        user = User.objects.get_by_natural_key("PAT.DOE@example.com")
        self.assertEqual(user.email, "pat.doe@example.com")
        self.assertTrue(
            log_in(self.client, "PAT.doe@EXAMPLE.com", "correct horse battery")
        )

    def test_email_is_unique_whatever_the_case(self) -> None:
        User.objects.create_user("a@example.com", "x")
        with self.assertRaises(IntegrityError), transaction.atomic():
            User.objects.create(email="A@example.com")


class CampaignTests(TestCase):
    def test_deadline_friday_17_new_york_is_stored_as_utc(self) -> None:
        winter = make_campaign(
            deadline=local_instant(date(2026, 2, 27), time(17), "America/New_York"),
            opens_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        summer = make_campaign(
            deadline=local_instant(date(2026, 7, 10), time(17), "America/New_York"),
            opens_at=datetime(2026, 7, 1, tzinfo=UTC),
        )
        winter.refresh_from_db()
        summer.refresh_from_db()
        self.assertEqual(winter.deadline, datetime(2026, 2, 27, 22, 0, tzinfo=UTC))
        self.assertEqual(summer.deadline, datetime(2026, 7, 10, 21, 0, tzinfo=UTC))
        self.assertEqual(winter.display_timezone, "America/New_York")

    def test_deadline_must_follow_opening(self) -> None:
        now = datetime(2026, 3, 1, tzinfo=UTC)
        with self.assertRaises(IntegrityError), transaction.atomic():
            make_campaign(opens_at=now, deadline=now - timedelta(hours=1))

    def test_open_window(self) -> None:
        campaign = make_campaign()
        self.assertTrue(
            campaign.is_open_at(campaign.deadline - timedelta(milliseconds=1))
        )
        self.assertFalse(campaign.is_open_at(campaign.deadline))
        campaign.status = Campaign.Status.CLOSED
        self.assertFalse(campaign.is_open_at(campaign.opens_at))


class QuestionnaireVersionTests(TestCase):
    def test_a_version_in_use_cannot_change(self) -> None:
        campaign = make_campaign()
        version = campaign.questionnaire
        version.definition = {**version.definition, "version": "changed"}
        version.digest = "0" * 64
        with self.assertRaises(ValidationError):
            version.save()
        version.refresh_from_db()
        self.assertEqual(version.definition["version"], "1")

    def test_versions_are_protected_from_deletion_while_used(self) -> None:
        from django.db.models import ProtectedError

        campaign = make_campaign()
        with self.assertRaises(ProtectedError):
            QuestionnaireVersion.objects.filter(pk=campaign.questionnaire_id).delete()


class UseScoringTests(TestCase):
    def test_saved_use_stores_columns_factors_and_band(self) -> None:
        response = make_response()
        questionnaire = response.campaign.questionnaire.parsed
        use = Use(
            response=response,
            answers={
                "D1": "Intel summaries",
                "D2": "cloud_platform",
                "D3": "  Amazon   Bedrock ",
                "D6": "contract_performance",
                "D7": "yes",
                "D8": "secret",
                "D12": "material",
                "D13": "level_2",
                "D14": 120,
                "D15": "450000.50",
                "D16": "highly_complex",
                "D17": "yes_identified",
                "D18": "task_blocked",
            },
        )
        use.refresh_derived(questionnaire, {"B2": "yes"})
        use.save()
        use.refresh_from_db()
        self.assertEqual(
            (use.channel, use.supply_tier, use.intermediary),
            ("cloud_platform", "2", "Amazon Bedrock"),
        )
        self.assertEqual((use.days, str(use.cost)), (120, "450000.50"))
        self.assertEqual(
            (use.c, use.t, use.sub, use.a, use.s, use.e, use.r), (3, 3, 3, 0, 3, 3, 3)
        )
        self.assertEqual((use.m, use.dri, use.band), (1.25, 46.9, "high"))
        self.assertTrue(
            use.flag_nss and use.flag_classified and use.flag_policy_friction
        )
        self.assertFalse(use.flag_assumed)

    def test_unanswered_and_unknown_factors_count_as_worst_case(self) -> None:
        response = make_response()
        use = Use(
            response=response,
            answers={"D13": "not_assessed", "D14": "unknown", "D15": "unknown"},
        )
        use.refresh_derived(response.campaign.questionnaire.parsed, {"B2": "yes"})
        self.assertEqual(
            (use.c, use.t, use.sub, use.a, use.e, use.r), (4, 4, 4, 0, 4, 4)
        )
        self.assertEqual((use.dri, use.band), (100.0, "critical"))
        self.assertTrue(use.days_unknown and use.cost_unknown)
        self.assertEqual(use.assumed_factors, "A C E R Sub T")


class AuditEventTests(TestCase):
    def test_events_are_append_only(self) -> None:
        org = make_organisation()
        event = AuditEvent.record(
            "organisation.created", obj=org, organisation=org, note="x"
        )
        self.assertEqual(
            (event.object_type, event.object_id), ("survey.organisation", str(org.pk))
        )
        event.action = "tampered"
        with self.assertRaises(ValidationError):
            event.save()
        with self.assertRaises(ValidationError):
            event.delete()
        with self.assertRaises(ValidationError):
            AuditEvent.objects.all().delete()
        with self.assertRaises(ValidationError):
            AuditEvent.objects.update(action="tampered")
        self.assertEqual(AuditEvent.objects.get().action, "organisation.created")
