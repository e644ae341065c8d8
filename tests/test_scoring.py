from __future__ import annotations

from django.test import SimpleTestCase

from survey import scoring
from survey.scoring import (
    Band,
    ScoringConfig,
    band,
    contractor_index,
    score_use,
    time_factor,
)


class WorkedExampleTests(SimpleTestCase):
    """The worked examples of questionnaire-spec.md §2.3."""

    def test_intelligence_analysis_through_a_platform_partner(self) -> None:
        use = score_use(c=3, days=120, sub=3, a=0, e=3, r=3, no_alternative=False)
        self.assertEqual(
            (use.t, use.s, use.m, use.dri, use.band), (3, 3, 1.25, 46.9, Band.HIGH)
        )

    def test_coding_assistant_on_commercial_cloud(self) -> None:
        use = score_use(c=1, days=14, sub=1, a=1, e=1, r=2, no_alternative=False)
        self.assertEqual(
            (use.t, use.s, use.m, use.dri, use.band), (1, 1, 1.0, 4.2, Band.LOW)
        )

    def test_embedded_in_delivered_weapon_system_software(self) -> None:
        use = score_use(c=4, days=None, sub=4, a=0, e=2, r=4, no_alternative=True)
        self.assertEqual(
            (use.t, use.s, use.m, use.dri, use.band), (4, 4, 1.25, 83.3, Band.CRITICAL)
        )
        self.assertEqual(use.assumed, ("T",))

    def test_contractor_with_the_three_uses(self) -> None:
        self.assertEqual(contractor_index([46.9, 4.2, 83.3]), 88.3)
        self.assertEqual(band(88.3), Band.CRITICAL)


class FormulaTests(SimpleTestCase):
    def test_core_matrix_at_m_1(self) -> None:
        expected = {
            4: [
                (16.7, "medium"),
                (33.3, "high"),
                (50.0, "critical"),
                (66.7, "critical"),
            ],
            3: [(12.5, "medium"), (25.0, "high"), (37.5, "high"), (50.0, "critical")],
            2: [(8.3, "low"), (16.7, "medium"), (25.0, "high"), (33.3, "high")],
            1: [(4.2, "low"), (8.3, "low"), (12.5, "medium"), (16.7, "medium")],
        }
        for c, row in expected.items():
            for s, (dri, band_) in enumerate(row, start=1):
                # days=1 makes T = 1, so S = Sub.
                use = score_use(c=c, days=1, sub=s, a=0, e=1, r=1, no_alternative=False)
                self.assertEqual((use.dri, use.band), (dri, band_), (c, s))

    def test_time_thresholds(self) -> None:
        for days, t in [
            (0, 1),
            (30, 1),
            (31, 2),
            (90, 2),
            (91, 3),
            (180, 3),
            (181, 4),
            (None, 4),
        ]:
            self.assertEqual(time_factor(days), t, days)
        self.assertEqual(
            time_factor(45, ScoringConfig(time_thresholds=(60, 120, 240))), 1
        )

    def test_substitution_difficulty(self) -> None:
        self.assertEqual(
            score_use(c=1, days=200, sub=1, a=1, e=1, r=1, no_alternative=False).s, 3
        )
        self.assertEqual(
            score_use(c=1, days=1, sub=1, a=1, e=1, r=1, no_alternative=False).s, 1
        )
        # No alternative floors S at 3.
        self.assertEqual(
            score_use(c=1, days=1, sub=1, a=0, e=1, r=1, no_alternative=True).s, 3
        )

    def test_no_mission_impact_scores_zero(self) -> None:
        use = score_use(c=0, days=400, sub=4, a=0, e=4, r=4, no_alternative=True)
        self.assertEqual((use.dri, use.band), (0.0, Band.NONE))

    def test_multiplier_maximum_keeps_dri_at_100(self) -> None:
        use = score_use(c=4, days=400, sub=4, a=0, e=4, r=4, no_alternative=True)
        self.assertEqual((use.m, use.dri), (1.5, 100.0))

    def test_band_boundaries(self) -> None:
        for value, expected in [
            (0, "none"),
            (0.1, "low"),
            (9.9, "low"),
            (10, "medium"),
            (24.9, "medium"),
            (25, "high"),
            (49.9, "high"),
            (50, "critical"),
        ]:
            self.assertEqual(band(value), expected, value)

    def test_contractor_index_is_capped_and_counts_only_high_uses(self) -> None:
        self.assertEqual(contractor_index([]), 0.0)
        self.assertEqual(contractor_index([24.9, 24.9, 10]), 24.9)
        self.assertEqual(contractor_index([25, 25, 25]), 35.0)
        self.assertEqual(contractor_index([100, 90, 80]), 100.0)

    def test_tier_of_screening_outcomes(self) -> None:
        self.assertEqual(scoring.tier(0, "no_dependence"), "none_attested")
        self.assertEqual(scoring.tier(0, "unresolved"), "unresolved")
        self.assertEqual(scoring.tier(46.9, "dependence"), "high")
