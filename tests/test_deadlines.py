from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

from survey.deadlines import FRIDAY, local_instant, next_weekday_at, validate_time_zone

NY = "America/New_York"
FIVE_PM = time(17, 0)


class DeadlineTests(SimpleTestCase):
    def test_friday_17_ny_in_winter_is_22_utc(self) -> None:
        self.assertEqual(
            local_instant(date(2026, 2, 27), FIVE_PM, NY),
            datetime(2026, 2, 27, 22, 0, tzinfo=UTC),
        )

    def test_friday_17_ny_in_summer_is_21_utc(self) -> None:
        self.assertEqual(
            local_instant(date(2026, 7, 10), FIVE_PM, NY),
            datetime(2026, 7, 10, 21, 0, tzinfo=UTC),
        )

    def test_fridays_after_each_dst_change(self) -> None:
        # DST began Sunday 8 March 2026 and ends Sunday 1 November 2026.
        self.assertEqual(local_instant(date(2026, 3, 6), FIVE_PM, NY).hour, 22)
        self.assertEqual(local_instant(date(2026, 3, 13), FIVE_PM, NY).hour, 21)
        self.assertEqual(local_instant(date(2026, 10, 30), FIVE_PM, NY).hour, 21)
        self.assertEqual(local_instant(date(2026, 11, 6), FIVE_PM, NY).hour, 22)

    def test_next_friday_is_strictly_later(self) -> None:
        wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        self.assertEqual(
            next_weekday_at(wednesday, FRIDAY, FIVE_PM, NY),
            datetime(2026, 11, 27, 22, 0, tzinfo=UTC),
        )
        at_deadline = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
        self.assertEqual(
            next_weekday_at(at_deadline, FRIDAY, FIVE_PM, NY),
            datetime(2026, 12, 4, 22, 0, tzinfo=UTC),
        )
        # Friday 20:00 UTC is 15:00 in New York: the deadline is two hours later, same day.
        friday_afternoon = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
        self.assertEqual(
            next_weekday_at(friday_afternoon, FRIDAY, FIVE_PM, NY),
            datetime(2026, 11, 27, 22, 0, tzinfo=UTC),
        )

    def test_time_zone_names_are_validated(self) -> None:
        validate_time_zone(NY)
        with self.assertRaises(ValidationError):
            validate_time_zone("America/Atlantis")


class DescribeTests(SimpleTestCase):
    def test_deadline_is_shown_in_et_with_utc(self) -> None:
        from django.utils import translation

        from survey.deadlines import describe

        winter = datetime(2026, 2, 27, 22, 0, tzinfo=UTC)
        summer = datetime(2026, 7, 10, 21, 0, tzinfo=UTC)
        with translation.override("en"):
            self.assertEqual(
                describe(winter, NY), "Fri 27 Feb 2026, 17:00 ET (22:00 UTC)"
            )
            self.assertEqual(
                describe(summer, NY), "Fri 10 Jul 2026, 17:00 ET (21:00 UTC)"
            )
        with translation.override("fr"):
            self.assertEqual(
                describe(winter, NY), "vendredi 27 février 2026, 17:00 ET (22:00 UTC)"
            )

    def test_the_utc_day_is_named_when_it_is_another_day(self) -> None:
        from django.utils import translation

        from survey.deadlines import describe

        evening = datetime(2026, 2, 28, 1, 0, tzinfo=UTC)  # Friday 20:00 in New York
        with translation.override("en"):
            self.assertEqual(
                describe(evening, NY), "Fri 27 Feb 2026, 20:00 ET (Sat 01:00 UTC)"
            )
        with translation.override("fr"):
            self.assertEqual(
                describe(evening, NY),
                "vendredi 27 février 2026, 20:00 ET (samedi 01:00 UTC)",
            )

    def test_french_months_that_share_an_abbreviation_stay_apart(self) -> None:
        """Issue 10 §9: one style per language; Django abbreviates June and July alike."""
        from django.utils import translation

        from survey.deadlines import describe

        june = datetime(2026, 6, 5, 21, 0, tzinfo=UTC)
        july = datetime(2026, 7, 3, 21, 0, tzinfo=UTC)
        with translation.override("fr"):
            self.assertEqual(
                describe(june, NY), "vendredi 5 juin 2026, 17:00 ET (21:00 UTC)"
            )
            self.assertEqual(
                describe(july, NY), "vendredi 3 juillet 2026, 17:00 ET (21:00 UTC)"
            )
