"""Contracts and intermediaries as rows, and the copies of what was attested."""

from __future__ import annotations

from django.test import SimpleTestCase, TestCase
from django.utils import timezone

from survey.editing import Edit
from survey.models import Contract, IntermediaryAlias, Membership, Submission, Use
from survey.names import name_key
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_organisation,
    make_response,
    make_user,
)

TWO_CONTRACTS = [
    {"piid": "W56HZV-24-C-0101", "program": "Ground Vehicles"},
    {"piid": "N00024-23-D-0042", "program": "Ship  Maintenance"},
]


class NameKeyTests(SimpleTestCase):
    def test_case_spacing_accents_and_punctuation_fold(self) -> None:
        self.assertEqual(
            name_key("Amazon  Bedrock (GovCloud)"), "amazon bedrock govcloud"
        )
        self.assertEqual(
            name_key("amazon-bedrock, GOVCLOUD."), "amazon bedrock govcloud"
        )
        self.assertEqual(name_key("Élan_Systèmes"), "elan systemes")
        self.assertEqual(name_key(""), "")


class ContractRowsTests(TestCase):
    def setUp(self) -> None:
        org = make_organisation()
        self.user = make_user(organisation=org)
        self.signatory = make_user(organisation=org, role=Membership.Role.SIGNATORY)
        self.response = make_response(
            organisation=org,
            answers=complete_org_answers(A6=TWO_CONTRACTS),
            status="in_progress",
        )
        self.use = Use.objects.create(
            response=self.response,
            answers=complete_use_answers(D5=["N00024-23-D-0042"]),
        )
        self.response.sync_contracts()

    def save_org(self, **changes: object) -> None:
        before = dict(self.response.answers)
        self.response.save_answers(
            Edit({**before, **changes}, before, self.response.version, list(changes)),
            user=self.user,
            ip=None,
            at=timezone.now(),
        )

    def save_use(self, **changes: object) -> None:
        self.use.refresh_from_db()
        before = dict(self.use.answers)
        self.use.save_answers(
            Edit({**before, **changes}, before, self.use.version, list(changes)),
            user=self.user,
            ip=None,
            at=timezone.now(),
        )

    def test_each_contract_is_a_row_and_a_use_links_the_ones_it_names(self) -> None:
        rows = list(self.response.contracts.live().values_list("piid", "program_key"))
        self.assertEqual(
            rows,
            [
                ("W56HZV-24-C-0101", "ground vehicles"),
                ("N00024-23-D-0042", "ship maintenance"),
            ],
        )
        self.assertEqual(
            list(self.use.contracts.values_list("piid", flat=True)),
            ["N00024-23-D-0042"],
        )

    def test_saving_the_answers_keeps_rows_and_links_in_step(self) -> None:
        self.save_org(
            A6=[*TWO_CONTRACTS, {"piid": "FA8650-22-C-1000", "program": "Avionics"}]
        )
        self.assertEqual(self.response.contracts.live().count(), 3)
        self.assertEqual(
            list(self.use.contracts.values_list("piid", flat=True)),
            ["N00024-23-D-0042"],
        )
        self.save_use(D5=["W56HZV-24-C-0101", "FA8650-22-C-1000"])
        self.assertEqual(
            sorted(self.use.contracts.values_list("program", flat=True)),
            ["Avionics", "Ground Vehicles"],
        )
        self.save_org(A6=TWO_CONTRACTS[:1])
        self.assertEqual(
            list(self.use.contracts.values_list("piid", flat=True)),
            ["W56HZV-24-C-0101"],
        )

    def test_a_submission_keeps_copies_that_an_amendment_does_not_touch(self) -> None:
        first = self.response.submit(self.signatory, None, timezone.now())
        self.assertTrue(first.latest)
        self.assertEqual(first.tier, self.response.tier)
        attested = Use.attested.get(submission=first)
        self.assertEqual(attested.answers, self.use.answers)
        self.assertEqual(
            list(attested.contracts.values_list("piid", flat=True)),
            ["N00024-23-D-0042"],
        )
        self.assertEqual(Contract.objects.filter(submission=first).count(), 2)
        # The reviewer gives it back; the contractor edits the live rows.
        self.response.return_for_clarification(
            make_user(is_staff=True), [("D13", self.use, "Level I?")]
        )
        self.response.refresh_from_db()
        self.save_use(D13="level_1", D1="Renamed")
        attested.refresh_from_db()
        self.assertEqual(attested.name, "Proposal drafting")
        self.assertEqual(list(self.response.uses.all()), [self.use])
        second = self.response.submit(self.signatory, None, timezone.now())
        first.refresh_from_db()
        self.assertFalse(first.latest)
        self.assertTrue(second.latest)
        self.assertEqual(
            list(
                Use.attested.filter(submission__latest=True).values_list(
                    "name", flat=True
                )
            ),
            ["Renamed"],
        )
        self.assertEqual(Use.attested.count(), 2)
        self.assertEqual(Submission.objects.filter(latest=True).count(), 1)


class PlatformTests(TestCase):
    """Use.platform: what the figures group intermediaries by, kept in step with the
    admins' aliases for live uses and submission copies alike."""

    def setUp(self) -> None:
        from tests.analytics_data import seven_contractors

        self.campaign = seven_contractors()

    def platforms(self) -> dict[tuple[str, bool], set[str]]:
        found: dict[tuple[str, bool], set[str]] = {}
        for use in Use._base_manager.filter(response__campaign=self.campaign).exclude(
            intermediary_key=""
        ):
            found.setdefault((use.intermediary, use.submission_id is None), set()).add(
                use.platform
            )
        return found

    def test_saved_uses_take_the_alias(self) -> None:
        platforms = self.platforms()
        self.assertEqual(platforms[("AWS Bedrock", False)], {"Amazon Bedrock"})
        self.assertEqual(
            platforms[("Amazon Bedrock (GovCloud)", True)], {"Amazon Bedrock"}
        )
        self.assertEqual(platforms[("Subco Y", True)], {"subco y"})

    def test_an_alias_added_changed_or_deleted_regroups_every_copy(self) -> None:
        alias = IntermediaryAlias.objects.create(key="subco y", platform="Subco Group")
        self.assertEqual(self.platforms()[("Subco Y", False)], {"Subco Group"})
        self.assertEqual(self.platforms()[("Subco Y", True)], {"Subco Group"})
        aws = IntermediaryAlias.objects.get(key="aws bedrock")
        aws.key = "aws bedrock classic"
        aws.save()
        # The spelling it no longer names goes back to its own key.
        self.assertEqual(self.platforms()[("AWS Bedrock", False)], {"aws bedrock"})
        alias.delete()
        self.assertEqual(self.platforms()[("Subco Y", True)], {"subco y"})

    def test_the_admin_bulk_delete_regroups_too(self) -> None:
        from django.urls import reverse

        from tests.helpers import make_user

        admin = make_user("root@example.com", is_staff=True, is_superuser=True)
        self.client.force_login(admin)
        keys = IntermediaryAlias.objects.values_list("pk", flat=True)
        reply = self.client.post(
            reverse("admin:survey_intermediaryalias_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": list(keys),
                "post": "yes",
            },
        )
        self.assertEqual(reply.status_code, 302)
        self.assertEqual(IntermediaryAlias.objects.count(), 0)
        self.assertEqual(self.platforms()[("AWS Bedrock", False)], {"aws bedrock"})
