"""Scoring configuration per campaign: numbered versions, new saves, and rescore."""

from __future__ import annotations

from io import BytesIO, StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from survey.editing import Edit
from survey.models import AuditEvent, ScoringVersion, Submission, Use
from tests.helpers import make_campaign, make_response
from tests.review_helpers import USE, make_admin_officer, make_reviewer, make_submitted

ADD = reverse("admin:survey_scoringversion_add")


def version_data(campaign_pk: int, **changes: object) -> dict[str, object]:
    return {
        "campaign": campaign_pk,
        "note": "Counsel asked for a stricter Critical band",
        "t1": 30,
        "t2": 90,
        "t3": 180,
        "critical": 40,
        "high": 25,
        "medium": 10,
        "classified_exposure": 3,
        "classified_bonus": "0.25",
        "full_reliance": 4,
        "full_reliance_bonus": "0.25",
        "no_alternative_floor": 3,
        "extra_high_use_step": "5",
        **changes,
    }


class ScoringVersionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign()
        # USE: C 2 x S 3 (no alternative), M 1: DRI 25.0, High under the defaults.
        cls.response = make_submitted(cls.campaign)
        cls.officer = make_admin_officer()
        cls.invited = make_response(cls.campaign)  # nothing answered: nothing to score

    def add_version(self, **changes: object) -> object:
        self.client.force_login(self.officer)
        return self.client.post(ADD, version_data(self.campaign.pk, **changes))

    def test_an_admin_adds_numbered_versions_starting_from_the_one_in_force(
        self,
    ) -> None:
        self.client.force_login(self.officer)
        form = (
            self.client.get(ADD, {"campaign": self.campaign.pk})
            .context["adminform"]
            .form
        )
        self.assertEqual((form.initial["t3"], form.initial["critical"]), (180, 50.0))
        self.assertEqual(self.add_version().status_code, 302)
        self.assertEqual(self.add_version(critical=45).status_code, 302)
        versions = list(
            ScoringVersion.objects.filter(campaign=self.campaign)
            .order_by("number")
            .values_list("number", "config__band_thresholds")
        )
        self.assertEqual(versions, [(1, [40.0, 25.0, 10.0]), (2, [45.0, 25.0, 10.0])])
        self.assertEqual(
            self.campaign.scoring_versions.first().scoring().version, "2026.1.c2"
        )

    def test_an_odd_campaign_in_the_address_starts_from_the_defaults(self) -> None:
        self.client.force_login(self.officer)
        for value in ["abc", "999999", "1 OR 1"]:
            with self.subTest(value=value):
                page = self.client.get(ADD, {"campaign": value})
                self.assertEqual(page.status_code, 200)
                self.assertEqual(
                    page.context["adminform"].form.initial["critical"], 50.0
                )

    def test_an_admin_maps_an_option_to_another_factor(self) -> None:
        """Issue 8 §7: the option-to-factor mappings of spec §2.2 are editable too."""
        from openpyxl import load_workbook

        from tests.test_exports_campaign import export

        self.client.force_login(self.officer)
        page = self.client.get(ADD, {"campaign": self.campaign.pk})
        field = page.context["adminform"].form.fields["factor__D13__level_3"]
        self.assertEqual(field.initial, 2)  # Level III = 2, the questionnaire's own
        self.assertContains(page, "C ← D13: Level III")
        # USE is C 2 x S 3: DRI 25.0; with Level III mapped to C = 4 it is 50.0.
        reply = self.add_version(critical=50, **{"factor__D13__level_3": 4})
        self.assertEqual(reply.status_code, 302)
        first = ScoringVersion.objects.get(campaign=self.campaign)
        self.assertEqual(first.config["factors"], {"D13": {"level_3": 4}})
        attested = Use.attested.get(response=self.response)
        self.assertEqual((attested.c, attested.band), (2, "high"))  # until rescore
        call_command("rescore", self.campaign.slug, stdout=StringIO())
        attested.refresh_from_db()
        self.assertEqual(
            (attested.c, attested.dri, attested.band), (4, 50.0, "critical")
        )
        method = load_workbook(BytesIO(export(self.campaign)))["Method"]
        self.assertIn(
            ("C ← D13=level_3", "4 (Level III – partial or acceptable degradation)"),
            list(method.iter_rows(values_only=True)),
        )

        # The next version starts from the mapping in force and keeps it when the form
        # posted has no factor fields (the campaign was chosen on the same page).
        page = self.client.get(ADD, {"campaign": self.campaign.pk})
        form = page.context["adminform"].form
        self.assertEqual(form.fields["factor__D13__level_3"].initial, 4)
        self.assertEqual(self.add_version(critical=45).status_code, 302)
        latest = self.campaign.scoring_versions.order_by("-number").first()
        self.assertEqual(latest.config["factors"], {"D13": {"level_3": 4}})
        # Back to the questionnaire's own value: nothing left to store.
        self.add_version(**{"factor__D13__level_3": 2})
        latest = self.campaign.scoring_versions.order_by("-number").first()
        self.assertEqual(latest.config["factors"], {})

    def test_a_factor_out_of_its_range_is_refused(self) -> None:
        for name, value in [("factor__D13__level_3", 5), ("factor__D17__no", -1)]:
            with self.subTest(name=name):
                reply = self.add_version(**{name: value})
                self.assertEqual(reply.status_code, 200)
                self.assertIn(name, reply.context["adminform"].form.errors)
        self.assertFalse(ScoringVersion.objects.exists())

    def test_thresholds_out_of_order_are_refused(self) -> None:
        reply = self.add_version(t2=300)
        self.assertEqual(reply.status_code, 200)
        self.assertIn("t2", reply.context["adminform"].form.errors)
        reply = self.add_version(high=60)
        self.assertIn("high", reply.context["adminform"].form.errors)
        self.assertFalse(ScoringVersion.objects.exists())

    def test_reviewers_see_versions_but_cannot_add_one(self) -> None:
        self.client.force_login(make_reviewer(self.campaign))
        self.assertEqual(self.client.get(ADD).status_code, 403)
        listing = reverse("admin:survey_scoringversion_changelist")
        self.assertEqual(self.client.get(listing).status_code, 200)

    def test_rows_keep_their_version_until_rescore_which_audits_the_changes(
        self,
    ) -> None:
        self.add_version()  # Critical from 40: the 25.0 use stays High...
        self.add_version(critical=25, high=20)  # ...and from 25 it becomes Critical.
        attested = Use.attested.get(response=self.response)
        self.assertEqual((attested.band, attested.scoring_version), ("high", "2026.1"))
        out = StringIO()
        call_command("rescore", self.campaign.slug, stdout=out)
        self.assertIn(
            "2 uses scored with version 2026.1.c2; 2 changed band", out.getvalue()
        )
        attested.refresh_from_db()
        live = Use.objects.get(response=self.response)
        self.assertEqual((attested.band, live.band), ("critical", "critical"))
        self.assertEqual(attested.scoring_version, "2026.1.c2")
        submission = Submission.objects.get(response=self.response)
        self.response.refresh_from_db()
        self.assertEqual(
            (submission.tier, self.response.tier), ("critical", "critical")
        )
        self.invited.refresh_from_db()
        self.assertEqual((self.invited.route, self.invited.tier), ("", ""))
        event = AuditEvent.objects.get(action="scoring.rescored")
        self.assertEqual(event.details["changed_band"], {"high→critical": 2})
        self.assertEqual(live.answers, USE)

    def test_a_new_save_is_scored_with_the_version_in_force(self) -> None:
        self.add_version(critical=25, high=20)
        self.response.accept(self.officer)
        self.response.reopen(self.officer, "Amend the use")
        self.response.refresh_from_db()
        use = Use.objects.get(response=self.response)
        user = self.response.organisation.memberships.first().user
        use.save_answers(
            Edit({"D1": "Renamed"}, {"D1": use.answers["D1"]}, use.version, ["D1"]),
            user=user,
            ip=None,
            at=timezone.now(),
        )
        use.refresh_from_db()
        self.assertEqual((use.band, use.scoring_version), ("critical", "2026.1.c1"))

    def test_the_dashboard_warns_about_rows_of_an_older_version(self) -> None:
        url = reverse("admin:survey_campaign_dashboard", args=[self.campaign.pk])
        self.client.force_login(self.officer)
        self.assertNotContains(self.client.get(url), "manage.py rescore")
        self.add_version()
        page = self.client.get(url)
        self.assertContains(page, "Scoring version in force: 2026.1.c1")
        self.assertContains(page, f"python manage.py rescore {self.campaign.slug}")
        call_command("rescore", self.campaign.slug, stdout=StringIO())
        self.assertNotContains(self.client.get(url), "manage.py rescore")
