"""Sessions: lifetime and warning (AC-5), expiry while editing (DL-2), CSRF rotation (DL-3)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpResponse
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from survey.models import AuditEvent, Membership, Response
from tests.helpers import make_campaign, make_organisation, make_response, make_user

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
IDLE = timedelta(seconds=settings.SESSION_COOKIE_AGE)
ABSOLUTE = timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)


def session_writes(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if "django_session" in q["sql"] and q["sql"].startswith(("UPDATE", "INSERT"))
    )


def csrf_token_of(page: HttpResponse) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert found is not None
    return found.group(1).decode()


class SessionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        # Open from before START to well past START + 12 h.
        campaign = make_campaign(
            opens_at=START - timedelta(days=1), deadline=START + timedelta(days=365)
        )
        cls.org = make_organisation()
        cls.user = make_user("a1@alpha.example", cls.org, Membership.Role.PREPARER)
        cls.response = make_response(campaign, cls.org, answers={"A1": "Saved earlier"})
        cls.page = reverse("survey-section", args=[cls.response.uuid, "A"])
        cls.autosave = reverse("survey-autosave", args=[cls.response.uuid, "A"])

    def log_in(self, client: Client | None = None) -> None:
        reply = (client or self.client).post(
            reverse("login"), {"username": self.user.email, "password": PASSWORD}
        )
        self.assertEqual(reply.status_code, 302)

    def log_in_with_token(self, client: Client) -> None:
        """Log in as a browser does, with the login page's CSRF token."""
        token = csrf_token_of(client.get(reverse("login")))
        reply = client.post(
            reverse("login"),
            {
                "username": self.user.email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
        )
        self.assertEqual(reply.status_code, 302)

    def stay_busy(self, clock: time_machine.Traveller, until: datetime) -> None:
        """A request every 25 minutes (never idle for 30) until `until`."""
        while timezone.now() + timedelta(minutes=25) < until:
            clock.shift(timedelta(minutes=25))
            self.assertEqual(self.client.get(reverse("survey-home")).status_code, 200)
        clock.move_to(until)

    def answers(self) -> dict[str, str]:
        return Response.objects.get(pk=self.response.pk).answers

    def assert_sent_to_log_in(self, path: str) -> None:
        reply = self.client.get(path)
        self.assertRedirects(
            reply, f"{reverse('login')}?next={path}", fetch_redirect_response=False
        )


class AbsoluteLifetimeTests(SessionTestCase):
    """AC-5: a session ends 12 hours after its login, whatever the activity."""

    def test_a_session_busy_all_day_ends_12_hours_after_its_login(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            session_key = self.client.session.session_key
            self.stay_busy(clock, START + ABSOLUTE - timedelta(seconds=1))
            self.assertEqual(self.client.get(self.page).status_code, 200)
            clock.move_to(START + ABSOLUTE)
            self.assert_sent_to_log_in(self.page)
        # The row itself ends there (its expiry never passes the absolute end).
        live = Session.objects.filter(expire_date__gt=START + ABSOLUTE)
        self.assertFalse(live.filter(session_key=session_key).exists())

    def test_a_lowered_limit_ends_older_sessions_on_their_next_request(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            session_key = self.client.session.session_key
            self.stay_busy(clock, START + timedelta(hours=2))
            with self.settings(SESSION_ABSOLUTE_SECONDS=3600):
                reply = self.client.post(self.autosave, {"A1": "Typed"})
                self.assertEqual(reply.status_code, 401)
                self.assert_sent_to_log_in(self.page)
        self.assertFalse(Session.objects.filter(session_key=session_key).exists())
        event = AuditEvent.objects.get(action="auth.session_ended")
        self.assertEqual(
            (event.actor, event.details["path"]), (self.user, self.autosave)
        )
        self.assertEqual(self.answers(), {"A1": "Saved earlier"})

    def test_the_cookie_and_the_row_never_outlive_the_absolute_end(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            self.stay_busy(clock, START + ABSOLUTE - timedelta(minutes=10))
            reply = self.client.get(self.page)
        cookie = reply.cookies[settings.SESSION_COOKIE_NAME]
        self.assertEqual(cookie["max-age"], 600)
        row = Session.objects.get(session_key=cookie.value)
        self.assertEqual(row.expire_date, START + ABSOLUTE)
        # The page knows it cannot be extended any more.
        self.assertContains(reply, 'data-session-expires-in="600"')
        self.assertContains(reply, 'data-session-ends-in="600"')
        self.assertNotContains(reply, "data-session-extendable")

    def test_a_new_login_starts_a_new_lifetime(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            self.stay_busy(clock, START + ABSOLUTE)
            self.assert_sent_to_log_in(self.page)
            self.log_in()
            self.stay_busy(clock, START + ABSOLUTE + timedelta(hours=1))
            self.assertEqual(self.client.get(self.page).status_code, 200)

    def test_the_limit_is_read_from_the_environment(self) -> None:
        clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        code = (
            "from django.conf import settings as s; print(s.SESSION_ABSOLUTE_SECONDS)"
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env={**clean, "SESSION_ABSOLUTE_SECONDS": "3600"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.stdout.strip(), "3600", result.stderr)
        self.assertEqual(ABSOLUTE, timedelta(hours=12))


class IdleTimeoutTests(SessionTestCase):
    """AC-5: 30 minutes idle end a session; the expiry moves on at most once a minute."""

    def test_thirty_idle_minutes_end_the_session(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            clock.shift(IDLE - timedelta(seconds=1))
            self.assertEqual(self.client.get(self.page).status_code, 200)
            clock.shift(IDLE - timedelta(seconds=1))
            self.assertEqual(self.client.get(self.page).status_code, 200)
            clock.shift(IDLE)
            self.assert_sent_to_log_in(self.page)

    def test_a_request_within_the_minute_does_not_move_the_expiry(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            clock.shift(timedelta(seconds=30))
            self.client.get(self.page)
            # Idle since the last request for 29.5 minutes: within one minute of the
            # 30, never more.
            clock.shift(IDLE - timedelta(seconds=30))
            self.assert_sent_to_log_in(self.page)

    def test_twenty_page_views_write_the_session_at_most_once_a_minute(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            with CaptureQueriesContext(connection) as queries:
                for _ in range(20):
                    clock.shift(timedelta(seconds=10))
                    self.assertEqual(self.client.get(self.page).status_code, 200)
        # 200 s of simulated time: a write at 60, 120 and 180 s, none in between
        # (SESSION_SAVE_EVERY_REQUEST used to write all 20).
        self.assertEqual(session_writes(queries), 3)

    def test_a_save_counts_as_activity(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            page = self.client.get(self.page)
            clock.shift(IDLE - timedelta(minutes=1))
            reply = self.client.post(
                self.autosave,
                {
                    "version": page.context["version"],
                    "loaded": page.context["loaded"],
                    "A1": "Typed",
                },
            )
            self.assertEqual(reply.json()["status"], "saved")
            clock.shift(IDLE - timedelta(seconds=1))
            self.assertEqual(self.client.get(self.page).status_code, 200)


class StaySignedInTests(SessionTestCase):
    """AC-5: the warning's endpoint: GET tells the time left, POST extends it."""

    url = reverse("survey-session")

    def test_the_pages_carry_the_warning_dialog(self) -> None:
        with time_machine.travel(START, tick=False):
            self.log_in()
            page = self.client.get(self.page)
        self.assertContains(page, 'role="alertdialog"')
        self.assertContains(page, "Your session will end in 2 minutes. Stay signed in?")
        self.assertContains(page, f'data-session-url="{self.url}"')
        self.assertContains(page, f'data-session-expires-in="{IDLE.seconds}"')
        self.assertContains(page, "data-session-extendable")

    def test_asking_how_long_is_left_does_not_extend_the_session(self) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            clock.shift(IDLE - timedelta(minutes=2))
            with CaptureQueriesContext(connection) as queries:
                data = self.client.get(self.url).json()
            self.assertEqual(session_writes(queries), 0)
            self.assertEqual(
                (data["status"], data["expires_in"], data["extendable"]),
                ("ok", 120, True),
            )
            self.assertEqual(data["ends_in"], (ABSOLUTE - IDLE).seconds + 120)
            clock.shift(timedelta(minutes=2))
            self.assertEqual(self.client.get(self.url).status_code, 401)

    def test_staying_signed_in_extends_the_idle_timeout_and_keeps_the_page(
        self,
    ) -> None:
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            clock.shift(IDLE - timedelta(minutes=2))
            data = self.client.post(self.url).json()
            self.assertEqual((data["status"], data["expires_in"]), ("ok", IDLE.seconds))
            clock.shift(IDLE - timedelta(seconds=1))
            self.assertEqual(self.client.get(self.page).status_code, 200)

    def test_an_ended_session_gets_401_json(self) -> None:
        for method in (self.client.get, self.client.post):
            reply = method(self.url)
            self.assertEqual(reply.status_code, 401)
            self.assertEqual(reply.json()["status"], "login")

    def test_it_needs_the_pages_csrf_token(self) -> None:
        client = Client(enforce_csrf_checks=True)
        self.log_in_with_token(client)
        reply = client.post(self.url, HTTP_ACCEPT="application/json")
        self.assertEqual(reply.status_code, 403)
        self.assertEqual(reply.json()["status"], "stale")
        page = client.get(self.page)
        token = csrf_token_of(page)
        reply = client.post(self.url, {"csrfmiddlewaretoken": token})
        self.assertEqual(reply.status_code, 200)


class ExpiryWhileEditingTests(SessionTestCase):
    """DL-2: the session ends while a page is open: the draft is kept, the user is told
    to log in again, and comes back to the same page."""

    def edit_after(self, end: str) -> None:
        """Open the page, let the session end (deleted on the server, idle, or busy for
        12 hours), then autosave and save."""
        with time_machine.travel(START, tick=False) as clock:
            self.log_in()
            page = self.client.get(self.page)
            state = {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
            }
            if end == "deleted":
                Session.objects.all().delete()
            elif end == "idle":
                clock.shift(IDLE)
            else:
                self.stay_busy(clock, START + ABSOLUTE)
            reply = self.client.post(self.autosave, {**state, "A1": "Typed late"})
            self.assertEqual(reply.status_code, 401)
            data = reply.json()
            self.assertEqual(data["status"], "login")
            self.assertEqual(
                data["message"],
                "Your session expired. Log in again; your draft up to the last save "
                "is kept.",
            )
            self.assertEqual(data["login_url"], f"{reverse('login')}?next={self.page}")
            reply = self.client.post(self.page, {**state, "A1": "Typed late"})
            self.assertRedirects(
                reply, data["login_url"], fetch_redirect_response=False
            )
            self.assertEqual(self.answers(), {"A1": "Saved earlier"})
            reply = self.client.post(
                data["login_url"], {"username": self.user.email, "password": PASSWORD}
            )
            self.assertRedirects(reply, self.page, fetch_redirect_response=False)
            self.assertContains(self.client.get(self.page), 'value="Saved earlier"')

    def test_deleted_on_the_server(self) -> None:
        self.edit_after("deleted")

    def test_idle_past_the_timeout(self) -> None:
        self.edit_after("idle")

    def test_past_the_absolute_lifetime(self) -> None:
        self.edit_after("absolute")


class CsrfRotationTests(SessionTestCase):
    """DL-3: another tab logs out and in (a new CSRF token) while this one edits."""

    def test_the_old_page_is_told_to_reload_and_the_draft_is_intact(self) -> None:
        client = Client(enforce_csrf_checks=True)
        self.log_in_with_token(client)
        page = client.get(self.page)
        old = csrf_token_of(page)
        state = {
            "version": page.context["version"],
            "loaded": page.context["loaded"],
            "csrfmiddlewaretoken": old,
        }
        # Tab 2: log out, then in again.
        client.post(reverse("logout"), {"csrfmiddlewaretoken": old})
        self.log_in_with_token(client)
        # Tab 1: its autosave, its Save button, its "Stay signed in".
        reply = client.post(self.autosave, {**state, "A1": "Typed in tab 1"})
        self.assertEqual(reply.status_code, 403)
        self.assertEqual(
            reply.json(),
            {
                "status": "stale",
                "message": "This page is out of date (you may have logged in again in "
                "another tab). Reload it to continue; your saved draft is intact.",
            },
        )
        reply = client.post(self.page, {**state, "A1": "Typed in tab 1"})
        self.assertContains(reply, "This page is out of date", status_code=403)
        self.assertContains(reply, f'href="{self.page}"', status_code=403)
        reply = client.post(
            reverse("survey-session"),
            {"csrfmiddlewaretoken": old},
            HTTP_ACCEPT="application/json",
        )
        self.assertEqual(reply.json()["status"], "stale")
        self.assertEqual(self.answers(), {"A1": "Saved earlier"})
        # Reloading continues where the draft was saved, and saving works again.
        page = client.get(self.page)
        self.assertContains(page, 'value="Saved earlier"')
        reply = client.post(
            self.page,
            {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
                "csrfmiddlewaretoken": csrf_token_of(page),
                "A1": "Saved after reload",
                "save": "1",
            },
        )
        self.assertEqual(reply.status_code, 302)
        self.assertEqual(self.answers()["A1"], "Saved after reload")


class LifecycleTests(SessionTestCase):
    """AC-5: a login's new key, a logged-out cookie replayed, a deactivated user, cookies."""

    def test_login_gives_a_new_session_key(self) -> None:
        self.client.get(reverse("login"))
        self.client.session.save()
        before = self.client.session.session_key
        self.log_in()
        self.assertNotEqual(self.client.session.session_key, before)

    def test_a_logged_out_cookie_is_refused_and_its_row_deleted(self) -> None:
        self.log_in()
        cookie = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.client.post(reverse("logout"))
        self.assertFalse(Session.objects.filter(session_key=cookie).exists())
        self.client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        self.assert_sent_to_log_in(self.page)

    def test_a_deactivated_user_is_refused_in_every_session(self) -> None:
        other = Client()
        self.log_in()
        self.log_in(other)
        type(self.user).objects.filter(pk=self.user.pk).update(is_active=False)
        self.assert_sent_to_log_in(self.page)
        reply = other.get(self.page)
        self.assertEqual(reply.status_code, 302)
        self.assertTrue(reply["Location"].startswith(reverse("login")))

    def test_cookies_are_httponly_and_samesite_lax(self) -> None:
        reply = self.client.post(
            reverse("login"), {"username": self.user.email, "password": PASSWORD}
        )
        cookie = reply.cookies[settings.SESSION_COOKIE_NAME]
        self.assertTrue(cookie["httponly"])
        self.assertEqual(cookie["samesite"], "Lax")
        self.assertEqual(settings.CSRF_COOKIE_SAMESITE, "Lax")
