from __future__ import annotations

from datetime import timedelta
from unittest import mock

import time_machine
from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse

from survey.models import Membership, Response
from tests.helpers import (
    complete_org_answers,
    make_organisation,
    make_response,
    make_user,
)


class HealthzTests(SimpleTestCase):
    databases = {"default"}

    def test_it_answers_200_when_the_database_answers(self) -> None:
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok", "database": "ok"})
        self.assertIn("no-cache", response["Cache-Control"])

    def test_it_answers_503_when_the_database_does_not(self) -> None:
        # Point the real connection at a database that cannot be opened, then restore it.
        original = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict["NAME"] = (
            "/nonexistent/dir/db.sqlite3"
            if connection.vendor == "sqlite"
            else "survey_no_such_database"
        )
        try:
            response = self.client.get("/healthz")
        finally:
            connection.close()
            connection.settings_dict["NAME"] = original
        self.assertEqual(response.status_code, 503)
        self.assertEqual(
            response.json(), {"status": "error", "database": "unavailable"}
        )
        self.assertEqual(self.client.get("/healthz").status_code, 200)


class LoginTests(TestCase):
    def test_login_page_renders_with_labelled_fields(self) -> None:
        response = self.client.get(reverse("login"))
        self.assertContains(response, '<label class="form-label" for="id_username">')
        self.assertContains(response, '<label class="form-label" for="id_password">')
        self.assertContains(response, 'autocomplete="email"')

    def test_home_requires_login(self) -> None:
        response = self.client.get(reverse("survey-home"))
        self.assertRedirects(response, f"{reverse('login')}?next=/")

    def test_a_failed_login_keeps_the_email_and_says_why(self) -> None:
        make_user("pat@example.com")
        response = self.client.post(
            reverse("login"), {"username": "pat@example.com", "password": "wrong"}
        )
        self.assertContains(response, "did not match")
        self.assertContains(response, 'value="pat@example.com"')


class HomeTests(TestCase):
    def test_home_lists_only_the_users_own_organisations(self) -> None:
        own = make_response()
        other = make_response(campaign=own.campaign)
        user = make_user(organisation=own.organisation, role=Membership.Role.SIGNATORY)
        self.client.force_login(user)
        response = self.client.get(reverse("survey-home"))
        self.assertContains(response, own.organisation.legal_name)
        self.assertNotContains(response, other.organisation.legal_name)

    def test_home_runs_a_fixed_number_of_queries(self) -> None:
        org = make_organisation()
        user = make_user(organisation=org)
        self.client.force_login(user)
        # The first page after a login writes the session; the next ones within a
        # minute do not (tests/test_sessions.py).
        self.client.get(reverse("survey-home"))
        for count in (1, 5):
            while org.responses.count() < count:
                make_response(organisation=org)
            # Session and user, the responses with their campaigns, their uses (for
            # progress).
            with self.assertNumQueries(4):
                response = self.client.get(reverse("survey-home"))
            self.assertEqual(len(response.context["rows"]), count)

    def test_the_countdown_runs_only_while_the_response_is_open(self) -> None:
        """DD-3: the server's clock decides; after the deadline a draft reads "closed"
        and a response given back then is open with nothing to count down."""
        draft = make_response(answers=complete_org_answers())
        user = make_user(organisation=draft.organisation)
        home = reverse("survey-home")
        section = reverse("survey-section", args=[draft.uuid, "A"])
        deadline = draft.campaign.deadline
        with time_machine.travel(deadline - timedelta(hours=1), tick=False):
            self.client.force_login(user)
            self.assertContains(self.client.get(home), 'data-countdown="3600"')
            self.assertContains(self.client.get(section), 'data-countdown="3600"')
        with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
            self.client.force_login(user)
            page = self.client.get(home)
            self.assertNotContains(page, "data-countdown")
            self.assertContains(page, "<small>closed</small>", html=True)
            self.assertNotContains(self.client.get(section), "data-countdown")
            Response.objects.filter(pk=draft.pk).update(
                status=Response.Status.RETURNED, submitted_at=deadline
            )
            page = self.client.get(section)
            self.assertContains(page, "Save draft")
            self.assertNotContains(page, "data-countdown")
            page = self.client.get(home)
            self.assertNotContains(page, "data-countdown")
            self.assertNotContains(page, "<small>closed</small>", html=True)


class SecurityHeaderTests(TestCase):
    def test_pages_carry_a_strict_content_security_policy(self) -> None:
        policy = self.client.get(reverse("login"))["Content-Security-Policy"]
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ]:
            self.assertIn(directive, policy)
        self.assertNotIn("unsafe-inline", policy)

    def test_pages_refuse_framing_and_sniffing(self) -> None:
        response = self.client.get(reverse("login"))
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Referrer-Policy"], "same-origin")

    @override_settings(SECURE_HSTS_SECONDS=31536000)
    def test_https_pages_carry_hsts_and_the_opener_policy(self) -> None:
        response = self.client.get(reverse("login"), secure=True)
        self.assertEqual(
            response["Strict-Transport-Security"], "max-age=31536000; includeSubDomains"
        )
        self.assertEqual(response["Cross-Origin-Opener-Policy"], "same-origin")

    def test_git_paths_and_static_listings_are_generic_404s(self) -> None:
        for path in ["/.git/HEAD", "/.git/config", "/static/", "/.env"]:
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(b"Traceback", response.content)
                self.assertNotIn(b"SECRET_KEY", response.content)
                self.assertNotIn(b"urlpatterns", response.content.lower())
                self.assertIn("Content-Security-Policy", response)

    def test_a_server_error_page_is_generic(self) -> None:
        response = make_response()
        self.client.force_login(make_user(organisation=response.organisation))
        self.client.raise_request_exception = False
        canary = "canary-5f1c in the exception"
        with mock.patch(
            "survey.views.site.pages.summary", side_effect=KeyError(canary)
        ):
            reply = self.client.get(reverse("survey-home"))
        self.assertEqual(reply.status_code, 500)
        self.assertFalse(settings.DEBUG)
        for leak in [canary, "Traceback", "SECRET_KEY", "survey/views", "KeyError"]:
            self.assertNotIn(leak.encode(), reply.content)

    def test_the_admin_is_not_at_its_default_address(self) -> None:
        self.assertNotEqual(reverse("admin:index"), "/admin/")
        self.assertEqual(self.client.get("/admin/").status_code, 404)


class LanguageTests(TestCase):
    def test_pages_are_served_in_french_on_request(self) -> None:
        response = self.client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
        self.assertContains(response, '<html lang="fr">')
        self.assertContains(response, "Se connecter")

    def test_the_language_switcher_changes_the_language(self) -> None:
        response = self.client.post(
            reverse("set_language"), {"language": "fr", "next": "/"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertContains(self.client.get(reverse("login")), "Se connecter")
