"""Deadlines are exact instants: built from a local wall-clock time, stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FRIDAY = 4
# Every instant a person enters is bounded: a typo such as year 9999 in a display zone
# west of UTC becomes year 10000 in UTC, which PostgreSQL stores and psycopg cannot read.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# A campaign, its extensions included, lasts at most this long after it opens.
MAX_CAMPAIGN_SPAN = timedelta(days=5 * 365)


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of a wall-clock time in a zone (DST handled by zoneinfo)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_weekday_at(now: datetime, weekday: int, at: time, zone: str) -> datetime:
    """The first `weekday` at `at` (local to `zone`) strictly after `now`, in UTC."""
    local_now = now.astimezone(ZoneInfo(zone))
    day = local_now.date() + timedelta(days=(weekday - local_now.weekday()) % 7)
    candidate = local_instant(day, at, zone)
    if candidate <= now:
        candidate = local_instant(day + timedelta(days=7), at, zone)
    return candidate


@cache
def known_zones() -> frozenset[str]:
    """The IANA zone names (read from disk once)."""
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in known_zones():
        raise ValidationError(
            _("%(zone)s is not a known time zone."), params={"zone": value}
        )


def validate_instant(value: datetime | date) -> None:
    """A date or time in the years 2000 to 2099, the range any campaign can need."""
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            params={"first": EARLIEST.year, "last": LATEST.year - 1},
            code="out_of_range",
        )


def zone_label(zone: str) -> str:
    """Short name of a display zone: "ET" for US Eastern, else the zone's own name."""
    return {"America/New_York": "ET", "UTC": "UTC"}.get(zone, zone)


# One date style per language, the same in the page and in the browser's "your time" note
# (survey.js asks Intl for the same names in the same order). English abbreviates, as
# browsers do; French spells the names out, because Django's French abbreviations are
# not the browser's ("Fév" beside "févr.") and give June and July the same "jui".
DAY_STYLES = {"en": ("D j M Y, H:i", "D"), "fr": ("l j F Y, H:i", "l")}


def describe(instant: datetime, zone: str) -> str:
    """E.g. "Fri 27 Feb 2026, 17:00 ET (22:00 UTC)", in the active language's style."""
    from django.utils import translation
    from django.utils.dateformat import format as date_format

    day, weekday = DAY_STYLES.get(
        (translation.get_language() or "en")[:2], DAY_STYLES["en"]
    )
    local = instant.astimezone(ZoneInfo(zone))
    utc = instant.astimezone(UTC)
    text = f"{date_format(local, day)} {zone_label(zone)}"
    if zone != "UTC":
        # The UTC date too when it is another day: "20:00 ET (Sat 01:00 UTC)".
        other = "" if utc.date() == local.date() else f"{date_format(utc, weekday)} "
        text += f" ({other}{date_format(utc, 'H:i')} UTC)"
    return text
