"""Data migrations, run forward on data made with the historical models."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.utils import timezone

from survey.demo import DEFAULT_DEFINITION
from survey.questionnaire import read_file
from tests.helpers import complete_org_answers, complete_use_answers


class ContractsAndAttestedUsesMigrationTests(TransactionTestCase):
    before = [("survey", "0008_bounded_campaign_dates")]
    after = [("survey", "0010_fill_contracts_attested_uses")]

    def tearDown(self) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def test_contracts_links_and_attested_copies_are_filled(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(self.before)
        old = executor.loader.project_state(self.before).apps
        definition = read_file(DEFAULT_DEFINITION)
        version = old.get_model("survey", "QuestionnaireVersion").objects.create(
            key=definition["key"],
            version=definition["version"],
            title="v1",
            digest="0" * 64,
            definition=definition,
        )
        now = timezone.now()
        campaign = old.get_model("survey", "Campaign").objects.create(
            vendor=old.get_model("survey", "Vendor").objects.create(name="Example AI"),
            questionnaire=version,
            slug="old",
            title="Old",
            opens_at=now - timedelta(days=1),
            deadline=now + timedelta(days=1),
        )
        org = old.get_model("survey", "Organisation").objects.create(
            legal_name="Old Co", uei="T00000000001"
        )
        user = old.get_model("survey", "User").objects.create(email="o@example.com")
        answers = complete_org_answers()
        response = old.get_model("survey", "Response").objects.create(
            campaign=campaign,
            organisation=org,
            answers=answers,
            status="submitted",
            tier="low",
            cdi=4.2,
        )
        use_answers = complete_use_answers(D3="Amazon  Bedrock (GovCloud)")
        old.get_model("survey", "Use").objects.create(
            response=response,
            answers=use_answers,
            intermediary="Amazon Bedrock (GovCloud)",
        )
        old.get_model("survey", "Submission").objects.create(
            response=response,
            number=1,
            answers=answers,
            uses=[use_answers],
            sha256="0" * 64,
            attestation="x",
            submitted_at=now,
            submitted_by=user,
        )

        executor = MigrationExecutor(connection)
        executor.migrate(self.after)
        new = executor.loader.project_state(self.after).apps
        Use = new.get_model("survey", "Use")
        Contract = new.get_model("survey", "Contract")
        submission = new.get_model("survey", "Submission").objects.get()
        self.assertTrue(submission.latest)
        self.assertEqual((submission.tier, submission.cdi), ("low", 4.2))
        live, attested = (
            Use.objects.get(submission__isnull=True),
            Use.objects.get(submission=submission),
        )
        self.assertEqual(live.intermediary_key, "amazon bedrock govcloud")
        self.assertEqual(attested.answers, use_answers)
        for use in (live, attested):
            self.assertEqual(
                list(use.contracts.values_list("piid", "program_key")),
                [("W56HZV-24-C-0101", "vehicles")],
            )
        self.assertEqual(Contract.objects.filter(submission__isnull=True).count(), 1)

        # 0013: the copies of a last submission count in their campaign's figures.
        executor = MigrationExecutor(connection)
        executor.migrate([("survey", "0013_use_counted_in")])
        later = executor.loader.project_state([("survey", "0013_use_counted_in")]).apps
        copy = later.get_model("survey", "Use").objects.get(submission__isnull=False)
        self.assertEqual(copy.counted_in_id, campaign.pk)

        # 0015: the platform is stored, an alias applied to the live use and its copy.
        later.get_model("survey", "IntermediaryAlias").objects.create(
            key="amazon bedrock govcloud", platform="Amazon Bedrock"
        )
        executor = MigrationExecutor(connection)
        executor.migrate([("survey", "0015_use_platform")])
        final = executor.loader.project_state([("survey", "0015_use_platform")]).apps
        self.assertEqual(
            set(
                final.get_model("survey", "Use").objects.values_list(
                    "platform", flat=True
                )
            ),
            {"Amazon Bedrock"},
        )


class DefinitionBindingsMigrationTests(TransactionTestCase):
    """A v1 definition stored before bindings gets them, and matches the file again."""

    before = [("survey", "0016_comment_answered")]
    after = [("survey", "0017_definition_bindings")]

    def tearDown(self) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def test_stored_v1_gets_the_bindings_of_the_file(self) -> None:
        from survey.models import QuestionnaireVersion

        executor = MigrationExecutor(connection)
        executor.migrate(self.before)
        old = executor.loader.project_state(self.before).apps
        definition = read_file(DEFAULT_DEFINITION)
        # As stored before this change: no binds, tiers, flags or checks.
        del definition["checks"]
        for section in definition["sections"]:
            for question in section["questions"]:
                question.pop("binds", None)
                for option in question.get("options", []):
                    option.pop("tier", None)
                    option.pop("flag", None)
        old.get_model("survey", "QuestionnaireVersion").objects.create(
            key=definition["key"],
            version=definition["version"],
            title="v1",
            digest="0" * 64,
            definition=definition,
        )
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(self.after)
        stored = QuestionnaireVersion.objects.get()
        self.assertEqual(stored.definition, read_file(DEFAULT_DEFINITION))
        # The file now loads as that same version instead of clashing with it.
        self.assertEqual(
            QuestionnaireVersion.objects.get_or_load(DEFAULT_DEFINITION), stored
        )
        self.assertEqual(stored.parsed.binding("channel"), "D2")


class SubmissionQuestionnaireMigrationTests(TransactionTestCase):
    """Submissions made before they named their version get their campaign's."""

    before = [("survey", "0019_carry_forward")]
    after = [("survey", "0021_submission_questionnaire_required")]

    def tearDown(self) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def test_each_submission_gets_its_campaigns_version(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(self.before)
        old = executor.loader.project_state(self.before).apps
        Version = old.get_model("survey", "QuestionnaireVersion")
        vendor = old.get_model("survey", "Vendor").objects.create(name="Example AI")
        user = old.get_model("survey", "User").objects.create(email="o@example.com")
        now = timezone.now()
        expected = {}
        for n in (1, 2):
            version = Version.objects.create(
                key="k", version=str(n), title="v", digest=str(n) * 64, definition={}
            )
            campaign = old.get_model("survey", "Campaign").objects.create(
                vendor=vendor,
                questionnaire=version,
                slug=f"c{n}",
                title="C",
                opens_at=now - timedelta(days=1),
                deadline=now + timedelta(days=1),
            )
            org = old.get_model("survey", "Organisation").objects.create(
                legal_name=f"Org {n}", uei=f"T0000000000{n}"
            )
            response = old.get_model("survey", "Response").objects.create(
                campaign=campaign, organisation=org, status="submitted"
            )
            submission = old.get_model("survey", "Submission").objects.create(
                response=response,
                number=1,
                latest=True,
                answers={},
                uses=[],
                sha256="0" * 64,
                attestation="x",
                submitted_at=now,
                submitted_by=user,
            )
            expected[submission.pk] = version.pk
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(self.after)
        new = executor.loader.project_state(self.after).apps
        self.assertEqual(
            dict(
                new.get_model("survey", "Submission").objects.values_list(
                    "pk", "questionnaire_id"
                )
            ),
            expected,
        )
