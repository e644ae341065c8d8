"""Session lifetime: an idle timeout refreshed at most once a minute, and an absolute end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

# Epoch seconds, so that the session stays JSON.
STARTED = "survey_session_started"
REFRESHED = "survey_session_refreshed"
# A refresh writes the session row; writing it on every request queued every page view
# on SQLite's single write lock, so the idle timeout moves on at most once a minute.
REFRESH_EVERY = 60

V = TypeVar("V", bound=Callable[..., Any])


def refreshes_itself(view: V) -> V:
    """Mark a view the middleware must not refresh for: it decides itself (the page's
    status check must not count as activity, or an open page would never go idle)."""
    view.session_refreshes_itself = True  # type: ignore[attr-defined]
    return view


def has_ended(session: SessionBase, now: datetime) -> bool:
    """Whether the session passed its absolute lifetime, counted from the login."""
    started = session.get(STARTED)
    return (
        started is not None
        and now.timestamp() - started >= settings.SESSION_ABSOLUTE_SECONDS
    )


def touch(session: SessionBase, now: datetime, force: bool = False) -> bool:
    """Push the idle expiry forward, unless that was done less than a minute ago.

    The expiry never passes the absolute end, so that the row and the cookie end with
    it too. Returns whether the session was changed (and so will be written).
    """
    stamp = now.timestamp()
    started = session.setdefault(STARTED, stamp)
    if not force and stamp - session.get(REFRESHED, 0) < REFRESH_EVERY:
        return False
    session[REFRESHED] = stamp
    end = min(
        stamp + settings.SESSION_COOKIE_AGE,
        started + settings.SESSION_ABSOLUTE_SECONDS,
    )
    session.set_expiry(datetime.fromtimestamp(end, UTC))
    return True


def status(session: SessionBase, now: datetime) -> dict[str, Any]:
    """Seconds left before the session ends and before its absolute end, and whether
    activity can still extend it by a minute or more (not once the absolute end is
    that near)."""
    left = max(0, session.get_expiry_age(modification=now))
    started = session.get(STARTED, now.timestamp())
    to_end = max(0, int(started + settings.SESSION_ABSOLUTE_SECONDS - now.timestamp()))
    return {
        "expires_in": left,
        "ends_in": to_end,
        "extendable": to_end - left >= REFRESH_EVERY,
        "idle_seconds": settings.SESSION_COOKIE_AGE,
    }
