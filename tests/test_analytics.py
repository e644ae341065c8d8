"""Campaign figures against a small data set whose figures are written out by hand.

Seven contractors (see CampaignFiguresTests.setUpTestData):
- Alpha, submitted, direct (B1): a Critical use (direct, two PIIDs of one program,
  $1,000, 200 days, NSS, classified, deliverable) and a Low use (Amazon Bedrock
  (GovCloud), programs Ground Vehicles and Ship Maintenance, cost unknown, 14 days,
  task blocked);
- Bravo, submitted, indirect only, override Critical: a High use (AWS Bedrock, Ground
  Vehicles under another PIID, $500, 60 days);
- Charlie, submitted, no dependence;
- Delta, a draft: a Medium use (Avionics, $100, 30 days);
- Echo, submitted then withdrawn: a Critical use, counted nowhere;
- Foxtrot, submitted with a High use (Subco Y, Radar, $2,000, 400 days, reliance not
  assessed), then returned and its live use amended to Critical;
- Golf, invited, nothing yet.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.test import TestCase
from django.utils import timezone

from survey import analytics
from survey.analytics import Filter
from survey.editing import Edit
from survey.models import IntermediaryAlias, Membership, Response, Use
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
)

CRITICAL = {
    "D13": "level_1",
    "D14": 200,
    "D16": "not_substitutable",
    "D16a": ["reaccreditation"],
    "D17": "no",
    "D8": "secret",
    "D9": ["classified"],
    "D12": "full",
    "D7": "yes",
    "D6": "deliverable",
}
LOW = {
    "D13": "level_4",
    "D14": 14,
    "D16": "easy",
    "D17": "yes_tested",
    "D17a": "Tested with another model",
}
HIGH = {"D13": "level_2", "D14": 60, "D16": "medium", "D17": "no"}
P1 = {"piid": "W56HZV-24-C-0101", "program": "Ground Vehicles"}
P1B = {"piid": "W56HZV-24-C-0102", "program": "Ground vehicles"}
P2 = {"piid": "N00024-23-D-0042", "program": "Ship Maintenance"}
P3 = {"piid": "W15P7T-21-C-0007", "program": "ground  vehicles"}


def tally(rows: Any) -> dict[str, int]:
    return {row.key: row.count for row in rows if row.count}


class CampaignFiguresTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign()
        IntermediaryAlias.objects.create(key="aws bedrock", platform="Amazon Bedrock")
        IntermediaryAlias.objects.create(
            key="amazon bedrock govcloud", platform="Amazon Bedrock"
        )
        cls.alpha = cls.respond(
            "Alpha",
            complete_org_answers(
                A6=[P1, P1B, P2],
                B1="yes",
                C1=["enterprise_seats"],
                C2="2500.00",
                E1="documented",
                E1a="2027-03-31",
            ),
            [
                complete_use_answers(
                    D1="Targeting aid",
                    D2="direct",
                    D5=[P1["piid"], P1B["piid"]],
                    D15="1000.00",
                    **CRITICAL,
                ),
                complete_use_answers(
                    D1="Proposal drafting",
                    D3="Amazon Bedrock (GovCloud)",
                    D5=[P1["piid"], P2["piid"]],
                    D15="unknown",
                    D18="task_blocked",
                    D18a="Blocked for export work",
                    **LOW,
                ),
            ],
        )
        cls.bravo = cls.respond(
            "Bravo",
            complete_org_answers(A6=[P3], E2="partial", E2a=50),
            [
                complete_use_answers(
                    D1="Code review",
                    D3="AWS Bedrock",
                    D5=[P3["piid"]],
                    D15="500.00",
                    **HIGH,
                )
            ],
        )
        Response.objects.filter(pk=cls.bravo.pk).update(override_band="critical")
        cls.respond("Charlie", complete_org_answers(B2="no"), [])
        cls.respond(
            "Delta",
            complete_org_answers(
                A6=[{"piid": "FA8650-22-C-1000", "program": "Avionics"}], B1="yes"
            ),
            [
                complete_use_answers(
                    D2="direct", D5=["FA8650-22-C-1000"], D15="100.00", D14=30
                )
            ],
            submit=False,
        )
        echo = cls.respond(
            "Echo",
            complete_org_answers(B1="yes", C1=["api_payg"], C2="10.00"),
            [complete_use_answers(D2="direct", **CRITICAL)],
        )
        echo.withdraw(make_user(is_staff=True), "Invited by mistake")
        radar = {"piid": "N00039-20-C-0001", "program": "Radar"}
        foxtrot = cls.respond(
            "Foxtrot",
            complete_org_answers(
                A6=[radar], E1="in_preparation", E1a="2027-06-30", E2="not_started"
            ),
            [
                complete_use_answers(
                    D1="Signal triage",
                    D2="subcontractor",
                    D3="Subco Y",
                    D5=[radar["piid"]],
                    D15="2000.00",
                    D12="not_assessed",
                    # C 2 x S 4 (400 days) x M 1.25 (reliance not assessed): 41.7
                    **{**HIGH, "D13": "level_3", "D14": 400},
                )
            ],
        )
        use = foxtrot.uses.get()
        foxtrot.return_for_clarification(
            make_user(is_staff=True), [("D13", use, "Really Level II?")]
        )
        before = dict(use.answers)
        use.save_answers(
            Edit({**before, **CRITICAL}, before, use.version, list(CRITICAL)),
            user=cls.preparer(foxtrot),
            ip=None,
            at=timezone.now(),
        )
        make_response(cls.campaign, make_organisation(legal_name="Golf"))

    @classmethod
    def preparer(cls, response: Response) -> Any:
        return response.organisation.memberships.get(role="preparer").user

    @classmethod
    def respond(
        cls,
        name: str,
        answers: dict[str, Any],
        uses: list[dict[str, Any]],
        submit: bool = True,
    ) -> Response:
        org = make_organisation(legal_name=name)
        make_user(organisation=org)
        signatory = make_user(organisation=org, role=Membership.Role.SIGNATORY)
        response = make_response(
            cls.campaign, org, answers=answers, status="in_progress"
        )
        questionnaire = cls.campaign.questionnaire.parsed
        for position, use_answers in enumerate(uses, start=1):
            use = Use(response=response, position=position, answers=use_answers)
            use.refresh_derived(questionnaire, answers)
            use.save()
        response.refresh_scores(list(response.uses.all()))
        response.save()
        response.sync_contracts()
        if submit:
            missing = response.missing(list(response.uses.all()))
            assert not missing, [
                (m.question and m.question.id, m.use_index) for m in missing
            ]
            response.submit(signatory, None, timezone.now())
        response.refresh_from_db()
        return response

    def figures(self, **filters: Any) -> analytics.Dashboard:
        return analytics.dashboard(self.campaign, Filter(**filters), timezone.now())

    def test_the_data_set_scores_as_described(self) -> None:
        bands = {
            name: list(
                Use.objects.filter(response__organisation__legal_name=name)
                .order_by("position")
                .values_list("band", flat=True)
            )
            for name in ["Alpha", "Bravo", "Delta", "Foxtrot"]
        }
        self.assertEqual(
            bands,
            {
                "Alpha": ["critical", "low"],
                "Bravo": ["high"],
                "Delta": ["medium"],
                "Foxtrot": ["critical"],
            },
        )

    def test_status_counts_read_the_live_responses(self) -> None:
        status = self.figures().status
        self.assertEqual(
            tally(status.counts),
            {
                "submitted": 3,
                "in_progress": 1,
                "returned": 1,
                "withdrawn": 1,
                "invited": 1,
            },
        )
        self.assertEqual(
            (status.total, status.responded, status.non_respondents, status.withdrawn),
            (6, 4, 2, 1),
        )
        self.assertEqual((status.overdue, status.late), (0, 0))
        after = analytics.status(
            self.campaign, self.campaign.deadline + timedelta(hours=1)
        )
        self.assertEqual((after.overdue, after.late), (2, 2))

    def test_dependency_type_and_bands_count_what_was_attested(self) -> None:
        figures = self.figures()
        self.assertEqual(
            figures.dependency,
            analytics.DependencyTypes(
                contractors=4,
                none_attested=1,
                direct=1,
                indirect_only=2,
                direct_unknown=0,
                unresolved=0,
            ),
        )
        self.assertEqual(
            tally(figures.bands.uses), {"critical": 1, "high": 2, "low": 1}
        )
        self.assertEqual(figures.bands.uses_total, 4)
        self.assertEqual(
            tally(figures.bands.tiers), {"critical": 1, "high": 2, "none_attested": 1}
        )
        self.assertEqual(
            tally(figures.bands.effective_tiers),
            {"critical": 2, "high": 1, "none_attested": 1},
        )
        self.assertEqual(
            dict(figures.bands.flags),
            {
                "nss": 1,
                "classified": 1,
                "deliverable": 1,
                "policy_friction": 1,
                "assumed": 1,
            },
        )

    def test_drafts_switch_reads_the_live_rows(self) -> None:
        figures = self.figures(include_drafts=True)
        self.assertEqual(figures.dependency.contractors, 6)
        self.assertEqual(
            tally(figures.bands.uses),
            {"critical": 2, "high": 1, "medium": 1, "low": 1},
        )

    def test_by_program_counts_a_use_once_per_program(self) -> None:
        programs = {row.program_key: row for row in self.figures().programs}
        self.assertEqual(
            list(programs), ["ground vehicles", "radar", "ship maintenance"]
        )
        ground = programs["ground vehicles"]
        self.assertEqual(ground.piids, (P3["piid"], P1["piid"], P1B["piid"]))
        self.assertEqual((ground.contractors, ground.uses), (2, 3))
        self.assertEqual(tally(ground.bands), {"critical": 1, "high": 1, "low": 1})
        self.assertEqual(
            (ground.max_dri, ground.cost, ground.unknown_costs, ground.max_days),
            (100.0, Decimal("1500.00"), 1, 200),
        )
        self.assertEqual((ground.nss, ground.deliverable), (1, 1))
        ship = programs["ship maintenance"]
        self.assertEqual(
            (ship.uses, ship.cost, ship.unknown_costs, ship.max_days),
            (1, Decimal("0.00"), 1, 14),
        )
        self.assertEqual(programs["radar"].cost, Decimal("2000.00"))

    def test_channels_and_intermediaries_group_aliases(self) -> None:
        channels = self.figures().channels
        self.assertEqual(
            [(c.key, c.uses, c.share) for c in channels.channels],
            [
                ("cloud_platform", 2, 50.0),
                ("direct", 1, 25.0),
                ("subcontractor", 1, 25.0),
            ],
        )
        self.assertEqual(
            [
                (i.label, i.contractors, i.uses, i.share)
                for i in channels.intermediaries
            ],
            [("Amazon Bedrock", 2, 2, 50.0), ("Subco Y", 1, 1, 25.0)],
        )

    def test_transition_time_readiness_and_cost(self) -> None:
        transition = self.figures().transition
        self.assertEqual(
            tally(transition.buckets), {"≤30": 1, "31–90": 1, "181–365": 1, ">365": 1}
        )
        self.assertEqual(
            tally(transition.high_risk_buckets), {"31–90": 1, "181–365": 1, ">365": 1}
        )
        self.assertEqual((transition.median_days, transition.p90_days), (60, 400))
        self.assertEqual(
            transition.readiness,
            (
                (30, 25.0, 0.0),
                (60, 50.0, 0.0),
                (90, 50.0, 0.0),
                (180, 50.0, 0.0),
                (365, 75.0, 100.0),
            ),
        )
        self.assertEqual(
            (transition.cost_total, transition.unknown_costs), (Decimal("3500.00"), 1)
        )
        self.assertEqual(
            {b: (c, n) for b, c, n in transition.cost_by_band if c or n},
            {
                "critical": (Decimal("1000.00"), 0),
                "high": (Decimal("2500.00"), 0),
                "low": (Decimal("0.00"), 1),
            },
        )
        self.assertEqual(transition.latest_inquiry_date, "2027-06-30")

    def test_lists_and_data_quality(self) -> None:
        figures = self.figures()
        self.assertEqual(
            [(u.organisation, u.name, u.band) for u in figures.high_risk],
            [
                ("Alpha", "Targeting aid", "critical"),
                ("Foxtrot", "Signal triage", "high"),
                ("Bravo", "Code review", "high"),
            ],
        )
        self.assertEqual(
            [(p.use.name, p.constraint) for p in figures.policy],
            [("Proposal drafting", "Blocked for export work")],
        )
        quality = figures.quality
        self.assertEqual(
            (quality.non_respondents, quality.overdue, quality.unresolved),
            (2, 0, 0),
        )
        self.assertEqual((quality.assumed_uses, quality.assumed_contractors), (1, 1))
        # Charlie attested no dependence: section E, and E2 with it, was not asked.
        self.assertEqual(
            tally(quality.inquiry),
            {"": 1, "complete": 1, "partial": 1, "not_started": 1},
        )

    def test_filters_narrow_uses_and_the_contractors_behind_them(self) -> None:
        high = self.figures(band="high")
        self.assertEqual(high.bands.uses_total, 2)
        self.assertEqual(
            (high.dependency.contractors, high.dependency.indirect_only), (2, 2)
        )
        self.assertEqual(self.figures(program="ground vehicles").bands.uses_total, 3)
        self.assertEqual(
            self.figures(intermediary="Amazon Bedrock").bands.uses_total, 2
        )
        self.assertEqual(self.figures(channel="direct").bands.uses_total, 1)
        self.assertEqual(self.figures(classification="secret").bands.uses_total, 1)
        returned = self.figures(status="returned")
        self.assertEqual(
            (returned.dependency.contractors, returned.bands.uses_total), (1, 1)
        )

    def test_a_filter_from_the_url_keeps_only_plausible_values(self) -> None:
        flt = Filter.from_query({"band": "bogus", "status": "submitted", "drafts": "1"})
        self.assertEqual(
            (flt.band, flt.status, flt.include_drafts), ("", "submitted", True)
        )
        self.assertEqual(flt.query(), {"status": "submitted", "drafts": "1"})
