"""Campaign figures against a small data set whose figures are written out by hand.

The seven contractors are described in tests/analytics_data.py; every expected figure
below was counted from that description, not computed by the code under test.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.test import TestCase
from django.utils import timezone

from survey import analytics
from survey.analytics import Filter
from survey.models import Use
from tests.analytics_data import P1B, P3, seven_contractors


def tally(rows: Any) -> dict[str, int]:
    return {row.key: row.count for row in rows if row.count}


class CampaignFiguresTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = seven_contractors()

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
        # Golf answered nothing yet: a status figure, not a contractor one.
        self.assertEqual(figures.dependency.contractors, 5)
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
        # Three PIIDs, the first and the last named.
        self.assertEqual(
            (ground.piids, ground.piid_count), ((P3["piid"], P1B["piid"]), 3)
        )
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

    def test_a_program_filter_keeps_that_program_only(self) -> None:
        programs = self.figures(program="ship maintenance").programs
        self.assertEqual(
            [(p.program_key, p.uses) for p in programs], [("ship maintenance", 1)]
        )
        self.assertEqual(
            [
                p.program_key
                for p in analytics.by_program(self.campaign, Filter(), limit=1)
            ],
            ["ground vehicles"],
        )

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

    def test_cross_tabulations_by_classification_function_and_oversight(self) -> None:
        tables = {(t.row, t.column): t for t in self.figures().crosstabs}

        def cells(row: str, column: str) -> dict[tuple[str, str], int]:
            table = tables[(row, column)]
            return {
                (value, other): n
                for value, counts in zip(table.rows, table.counts, strict=True)
                for other, n in zip(table.columns, counts, strict=True)
                if n
            }

        self.assertEqual(
            cells("classification", "band"),
            {
                ("secret", "critical"): 1,
                ("commercial", "high"): 2,
                ("commercial", "low"): 1,
            },
        )
        self.assertEqual(
            cells("function", "band"),
            {
                ("proposal_communications", "critical"): 1,
                ("proposal_communications", "high"): 2,
                ("proposal_communications", "low"): 1,
            },
        )
        self.assertEqual(cells("stage", "band")[("pilot", "high")], 2)
        self.assertEqual(
            cells("oversight", "nss"),
            {("human_review", "yes"): 1, ("human_review", "no"): 3},
        )
        self.assertEqual(
            cells("data", "band"),
            {
                ("classified", "critical"): 1,
                ("proprietary", "high"): 2,
                ("proprietary", "low"): 1,
            },
        )

    def test_readiness_by_the_target_removal_date(self) -> None:
        transition = self.figures().transition
        # No date set: 180 days after the deadline, so the same as "within 180 days".
        self.assertEqual(transition.by_target[1:], (180, 50.0, 0.0))
        deadline = self.campaign.deadline.astimezone(
            ZoneInfo(self.campaign.display_timezone)
        ).date()
        self.campaign.target_removal_date = deadline + timedelta(days=365)
        self.campaign.save()
        transition = self.figures().transition
        self.assertEqual(
            transition.by_target,
            ((deadline + timedelta(days=365)).isoformat(), 365, 75.0, 100.0),
        )
