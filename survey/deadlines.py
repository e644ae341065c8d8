"""Deadlines are exact instants: built from a local wall-clock time, stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FRIDAY = 4


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


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            _("%(zone)s is not a known time zone."), params={"zone": value}
        )
