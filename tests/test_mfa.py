"""Staff two-factor (issue 12 §3): enrolment, recovery codes, refusal without a second factor.

STAFF_MFA is off in every other test module (tests/conftest.py), where force_login stands
for a whole login; here override_settings turns it on, which works because the middleware
and the views read the setting at each request.
"""

from __future__ import annotations

import json
import os
import runpy
from base64 import b32decode
from datetime import timedelta
from io import StringIO
from unittest import mock
from urllib.parse import quote

import time_machine
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.test import Client, TestCase, override_settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey import mfa
from survey.models import AuditEvent, User
from tests.helpers import (
    log_in,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
    url_samples,
)
from tests.review_helpers import make_reviewer

PASSWORD = "correct horse battery"
VERIFY = reverse("survey-mfa-verify")
ENROL = reverse("survey-mfa-enrol")
CODES = reverse("survey-mfa-recovery-codes")
ADMIN = reverse("admin:index")
# The pages an unverified staff user may still reach.
OPEN = {"survey-mfa-verify", "survey-mfa-enrol", "logout", "set_language"}


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A code no window of the device accepts now (the current step ± 1)."""
    right = {
        f"{totp(device.bin_key, device.step, device.t0 + shift, device.digits):06d}"
        for shift in (-30, 0, 30)
    }
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=mfa.TOTP_NAME, confirmed=True)


def every_page() -> list[str]:
    """One concrete path per URL pattern that resolves, the admin's included."""
    paths = set(url_samples()) | set(
        url_samples("8c6f2a0e-3b3d-4f5e-9a1b-2c3d4e5f6a7b")
    )
    # url_samples cannot fill the admin's app index pattern, a regex of app labels.
    paths |= {
        reverse("admin:app_list", args=[label])
        for label in {m._meta.app_label for m in admin.site._registry}
    }
    found = []
    for path in sorted(paths):
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.view_name not in OPEN:
            found.append(path)
    return found


@override_settings(STAFF_MFA=True)
class EnrolmentTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.reviewer = make_reviewer(make_campaign())

    def setUp(self) -> None:
        self.assertIs(log_in(self.client, self.reviewer.email, PASSWORD), True)

    def test_first_login_enrols_an_app_and_shows_recovery_codes_once(self) -> None:
        self.assertRedirects(
            self.client.get(ADMIN),
            f"{ENROL}?next={quote(ADMIN)}",
            fetch_redirect_response=False,
        )
        page = self.client.get(ENROL, {"next": ADMIN})
        self.assertContains(page, "<svg")
        self.assertContains(page, page.context["secret"])
        device = TOTPDevice.objects.get(user=self.reviewer)
        self.assertIs(device.confirmed, False)
        secret = page.context["secret"].replace(" ", "")
        # The key the page shows is the device's, and it is what the QR code carries.
        self.assertEqual(b32decode(secret), device.bin_key)
        self.assertIn(f"secret={secret}", device.config_url)
        self.assertIn("issuer=Dependency%20survey", device.config_url)

        reply = self.client.post(ENROL, {"code": code_for(device), "next": ADMIN})
        self.assertRedirects(
            reply, f"{CODES}?next={quote(ADMIN)}", fetch_redirect_response=False
        )
        device.refresh_from_db()
        self.assertIs(device.confirmed, True)

        shown = self.client.get(reply["Location"])
        codes = shown.context["codes"]
        self.assertEqual(len(set(codes)), mfa.RECOVERY_CODE_COUNT)
        for code in codes:
            self.assertContains(shown, code)
        self.assertContains(shown, f'href="{ADMIN}"')
        self.assertEqual(
            sorted(StaticToken.objects.values_list("token", flat=True)), sorted(codes)
        )

        again = self.client.get(CODES)
        self.assertIsNone(again.context["codes"])
        for code in codes:
            self.assertNotContains(again, code)
        self.assertContains(again, "You have 10 unused recovery codes.")

        # The session passed the second factor: the admin opens.
        self.assertEqual(self.client.get(ADMIN).status_code, 200)
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        self.assertLessEqual(
            {"auth.mfa_enrolled", "auth.mfa_recovery_codes_created"}, actions
        )

    def test_the_secret_stays_until_confirmed(self) -> None:
        first = self.client.get(ENROL).context["secret"]
        self.assertEqual(self.client.get(ENROL).context["secret"], first)
        self.assertEqual(TOTPDevice.objects.filter(user=self.reviewer).count(), 1)

    def test_the_page_holds_under_the_strict_csp(self) -> None:
        page = self.client.get(ENROL)
        policy = page["Content-Security-Policy"]
        self.assertNotIn("unsafe-inline", policy)
        self.assertIn("style-src 'self'", policy)
        svg = str(page.context["qr_svg"])
        self.assertTrue(svg.startswith("<svg"))
        self.assertNotIn("style=", svg)
        self.assertNotIn("<script", svg)
        self.assertIn("<title>QR code of the secret", svg)

    def test_a_wrong_first_code_is_refused_beside_its_field(self) -> None:
        self.client.get(ENROL)
        device = TOTPDevice.objects.get(user=self.reviewer)
        page = self.client.post(ENROL, {"code": wrong_code_for(device)})
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "This code is not valid.", count=2)
        self.assertContains(page, 'aria-invalid="true"')
        self.assertContains(page, 'href="#id_code"')
        html = page.content.decode()
        self.assertRegex(html, r'<label\s+for="id_code"')
        self.assertRegex(
            html, r'<input[^>]*aria-describedby="id_code_helptext id_code_error"'
        )
        self.assertRegex(html, r'<div id="id_code_error"[^>]*>\s*<p[^>]*><strong>This')
        device.refresh_from_db()
        self.assertIs(device.confirmed, False)
        self.assertEqual(device.throttling_failure_count, 1)
        self.assertEqual(self.client.get(ADMIN)["Location"], f"{ENROL}?next=/manage/")
        self.assertFalse(StaticDevice.objects.exists())

    def test_an_empty_code_is_refused(self) -> None:
        page = self.client.post(ENROL, {"code": " "})
        self.assertContains(page, "This field is required.", count=2)

    def test_enrolment_is_closed_once_an_app_is_confirmed(self) -> None:
        """A stolen password alone cannot add another app."""
        enrolled(self.reviewer)
        self.assertRedirects(
            self.client.get(ENROL), f"{VERIFY}?next={quote(ADMIN)}", 302, 200
        )
        self.client.post(ENROL, {"code": "123456"})
        self.assertEqual(TOTPDevice.objects.filter(user=self.reviewer).count(), 1)


@override_settings(STAFF_MFA=True)
class VerificationTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.reviewer = make_reviewer(make_campaign())
        cls.device = enrolled(cls.reviewer)

    def setUp(self) -> None:
        self.codes = mfa.new_recovery_codes(self.reviewer, None)
        self.assertIs(log_in(self.client, self.reviewer.email, PASSWORD), True)

    def verify(self, code: str, **extra: str) -> object:
        return self.client.post(VERIFY, {"code": code, **extra})

    def test_every_page_sends_an_unverified_staff_user_to_verify(self) -> None:
        pages = every_page()
        self.assertGreater(len([p for p in pages if p.startswith(ADMIN)]), 50)
        for path in pages:
            for method in (self.client.get, self.client.post):
                with self.subTest(path=path, method=method.__name__):
                    reply = method(path)
                    self.assertEqual(reply.status_code, 302)
                    asked = quote(reply.wsgi_request.get_full_path())
                    self.assertEqual(reply["Location"], f"{VERIFY}?next={asked}")

    def test_logging_out_and_the_language_stay_open(self) -> None:
        reply = self.client.post(reverse("set_language"), {"language": "fr"})
        self.assertEqual(reply.status_code, 302)
        self.assertEqual(self.client.get(VERIFY).status_code, 200)
        self.assertRedirects(
            self.client.post(reverse("logout")),
            reverse("login"),
            fetch_redirect_response=False,
        )
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_code_from_the_app_opens_the_admin_under_a_new_session_key(self) -> None:
        before = self.client.session.session_key
        page = self.client.get(ADMIN, follow=True)
        self.assertContains(page, "Two-factor authentication")
        reply = self.verify(code_for(self.device), next=ADMIN)
        self.assertRedirects(reply, ADMIN, fetch_redirect_response=False)
        self.assertNotEqual(self.client.session.session_key, before)
        self.assertEqual(
            self.client.session[DEVICE_ID_SESSION_KEY], self.device.persistent_id
        )
        admin_page = self.client.get(ADMIN)
        self.assertEqual(admin_page.status_code, 200)
        self.assertContains(admin_page, f'href="{CODES}"')
        event = AuditEvent.objects.get(action="auth.mfa_verified")
        self.assertEqual(event.details, {"device": "totp"})
        self.assertEqual(event.actor, self.reviewer)

    def test_a_code_works_only_once(self) -> None:
        code = code_for(self.device)
        with time_machine.travel(timezone.now(), tick=False):
            self.assertEqual(self.verify(code).status_code, 302)
            self.client.post(reverse("logout"))
            log_in(self.client, self.reviewer.email, PASSWORD)
            self.assertContains(self.verify(code), "This code is not valid.", count=2)

    def test_an_offsite_next_is_ignored(self) -> None:
        reply = self.verify(code_for(self.device), next="https://evil.example/")
        self.assertRedirects(reply, ADMIN, fetch_redirect_response=False)

    def test_each_recovery_code_works_once(self) -> None:
        first, second = self.codes[:2]
        reply = self.verify(first.upper()[:4] + " " + first.upper()[4:], next=ADMIN)
        self.assertRedirects(reply, ADMIN, fetch_redirect_response=False)
        page = self.client.get(ADMIN)
        self.assertContains(page, "You used a recovery code; 9 are left.")
        self.assertEqual(mfa.recovery_codes_left(self.reviewer), 9)
        event = AuditEvent.objects.get(action="auth.mfa_verified")
        self.assertEqual(event.details, {"device": "recovery"})

        self.client.post(reverse("logout"))
        log_in(self.client, self.reviewer.email, PASSWORD)
        self.assertContains(self.verify(first), "This code is not valid.", count=2)
        with time_machine.travel(timezone.now() + timedelta(seconds=5)):
            self.assertEqual(self.verify(second).status_code, 302)
        self.assertEqual(self.client.get(ADMIN).status_code, 200)

    def test_new_recovery_codes_replace_the_old_ones(self) -> None:
        self.verify(self.codes[0])
        reply = self.client.post(CODES, {"next": ADMIN})
        self.assertRedirects(
            reply, f"{CODES}?next={quote(ADMIN)}", fetch_redirect_response=False
        )
        new = self.client.get(reply["Location"]).context["codes"]
        self.assertEqual(len(new), mfa.RECOVERY_CODE_COUNT)
        self.assertFalse(set(new) & set(self.codes))
        self.assertEqual(
            set(StaticToken.objects.values_list("token", flat=True)), set(new)
        )
        # The session verified with the old device's code stays verified.
        self.assertEqual(self.client.get(ADMIN).status_code, 200)

    def test_a_verified_user_moves_to_a_new_phone(self) -> None:
        self.verify(self.codes[0])
        page = self.client.get(CODES)
        self.assertContains(page, f'href="{ENROL}?next={quote(ADMIN)}"')
        secret = self.client.get(ENROL).context["secret"].replace(" ", "")
        new = TOTPDevice.objects.get(user=self.reviewer, confirmed=False)
        self.assertEqual(b32decode(secret), new.bin_key)
        reply = self.client.post(ENROL, {"code": code_for(new)})
        self.assertEqual(reply["Location"], f"{CODES}?next={quote(ADMIN)}")
        self.assertEqual(list(TOTPDevice.objects.filter(user=self.reviewer)), [new])
        self.assertEqual(self.client.get(ADMIN).status_code, 200)
        self.assertEqual(len(self.client.get(CODES).context["codes"]), 10)
        self.assertEqual(mfa.recovery_codes_left(self.reviewer), 10)
        self.assertFalse(StaticToken.objects.filter(token__in=self.codes).exists())

    def test_the_recovery_code_page_needs_the_second_factor(self) -> None:
        self.assertEqual(
            self.client.post(CODES)["Location"], f"{VERIFY}?next={quote(CODES)}"
        )
        self.assertEqual(
            set(StaticToken.objects.values_list("token", flat=True)), set(self.codes)
        )

    def test_wrong_codes_are_refused_throttled_and_audited(self) -> None:
        wrong = wrong_code_for(self.device)
        with (
            time_machine.travel(timezone.now(), tick=False) as clock,
            self.assertLogs("survey.audit", "INFO") as logs,
        ):
            self.assertContains(self.verify(wrong), "This code is not valid.", count=2)
            right = code_for(self.device)
            # Straight after a failure even the right code is refused, unchecked.
            page = self.verify(right)
            self.assertContains(page, "Too many wrong codes. Wait 1 second", count=2)
            self.assertEqual(self.client.get(ADMIN).status_code, 302)
            self.device.refresh_from_db()
            self.assertEqual(self.device.throttling_failure_count, 1)

            clock.shift(2)
            self.assertContains(self.verify(wrong), "This code is not valid.", count=2)
            clock.shift(1)
            self.assertContains(self.verify(right), "Wait 1 second", count=2)
            clock.shift(1)
            self.assertContains(self.verify("abcdefgh"), "not valid", count=2)
            self.assertEqual(self.verify(code_for(self.device)).status_code, 302)

        failures = AuditEvent.objects.filter(action="auth.mfa_failed").order_by("id")
        self.assertEqual(
            [(e.details["device"], e.details["reason"]) for e in failures],
            [
                ("totp", "wrong code"),
                ("totp", "throttled"),
                ("totp", "wrong code"),
                ("totp", "throttled"),
                ("recovery", "wrong code"),
            ],
        )
        self.assertTrue(all(e.actor == self.reviewer for e in failures))
        self.device.refresh_from_db()
        self.assertEqual(self.device.throttling_failure_count, 0)
        stored = json.dumps(list(AuditEvent.objects.values()), default=str)
        for code in [wrong, right, "abcdefgh", *self.codes]:
            self.assertNotIn(code, stored)
            self.assertNotIn(code, "\n".join(logs.output))

    def test_the_throttle_grows_and_is_kept_in_the_database(self) -> None:
        wrong = wrong_code_for(self.device)
        with time_machine.travel(timezone.now(), tick=False) as clock:
            for wait in (1, 2, 4, 8):
                self.verify(wrong)
                page = self.verify(wrong)
                self.assertContains(page, f"Wait {wait} second")
                clock.shift(wait)
        self.device.refresh_from_db()
        self.assertEqual(self.device.throttling_failure_count, 4)
        # Another client (another app server) is held by the same throttle.
        other = Client()
        log_in(other, self.reviewer.email, PASSWORD)
        page = other.post(VERIFY, {"code": code_for(self.device)})
        self.assertContains(page, "Too many wrong codes")

    def test_staff_without_an_app_are_sent_to_enrol(self) -> None:
        TOTPDevice.objects.all().delete()
        self.assertEqual(
            self.client.get(ADMIN)["Location"], f"{ENROL}?next={quote(ADMIN)}"
        )
        self.assertRedirects(
            self.client.get(VERIFY), f"{ENROL}?next={quote(ADMIN)}", 302, 200
        )


@override_settings(STAFF_MFA=True)
class OthersTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.reviewer = make_reviewer(make_campaign())
        org = make_organisation()
        cls.contractor = make_user(organisation=org)
        cls.response = make_response(make_campaign(), org)

    def test_a_contractor_is_never_asked(self) -> None:
        self.assertIs(log_in(self.client, self.contractor.email, PASSWORD), True)
        self.assertEqual(self.client.get(reverse("survey-home")).status_code, 200)
        section = reverse("survey-section", args=[self.response.uuid, "A"])
        self.assertEqual(self.client.get(section).status_code, 200)
        for page in (VERIFY, ENROL, CODES):
            with self.subTest(page=page):
                self.assertRedirects(
                    self.client.get(page),
                    reverse("survey-home"),
                    fetch_redirect_response=False,
                )
        self.assertFalse(TOTPDevice.objects.exists())

    def test_anonymous_users_are_sent_to_log_in(self) -> None:
        for page in (VERIFY, ENROL, CODES):
            with self.subTest(page=page):
                reply = self.client.get(page)
                self.assertEqual(
                    reply["Location"], f"{reverse('login')}?next={quote(page)}"
                )

    @override_settings(STAFF_MFA=False)
    def test_staff_mfa_off_skips_it(self) -> None:
        self.assertIs(log_in(self.client, self.reviewer.email, PASSWORD), True)
        self.assertEqual(self.client.get(ADMIN).status_code, 200)
        for page in (VERIFY, ENROL, CODES):
            with self.subTest(page=page):
                self.assertRedirects(
                    self.client.get(page), ADMIN, fetch_redirect_response=False
                )
        self.assertFalse(TOTPDevice.objects.exists())

    def test_the_admin_shows_no_secret_and_no_recovery_code(self) -> None:
        root = User.objects.create_superuser("root@example.com", PASSWORD)
        device = enrolled(root)
        codes = mfa.new_recovery_codes(root, None)
        self.client.force_login(root)
        self.client.post(VERIFY, {"code": code_for(device)})
        static = StaticDevice.objects.get(user=root)
        for page in (
            reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
            reverse("admin:otp_static_staticdevice_change", args=[static.pk]),
            reverse("admin:otp_totp_totpdevice_changelist"),
        ):
            with self.subTest(page=page):
                reply = self.client.get(page)
                self.assertEqual(reply.status_code, 200)
                self.assertNotContains(reply, device.key)
                for code in codes:
                    self.assertNotContains(reply, code)
        config = reverse("admin:otp_totp_totpdevice_config", args=[device.pk])
        self.assertEqual(self.client.get(config).status_code, 403)


class SettingTests(TestCase):
    def settings_with(self, **env: str) -> dict[str, object]:
        production = {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "survey.example"}
        with mock.patch.dict(os.environ, {**production, **env}):
            if "STAFF_MFA" not in env:
                os.environ.pop("STAFF_MFA", None)
            return runpy.run_path(str(settings.BASE_DIR / "survey" / "settings.py"))

    def test_on_in_production_off_in_development_and_switchable(self) -> None:
        self.assertIs(self.settings_with(DEBUG="0")["STAFF_MFA"], True)
        self.assertIs(self.settings_with(DEBUG="1")["STAFF_MFA"], False)
        self.assertIs(self.settings_with(DEBUG="0", STAFF_MFA="0")["STAFF_MFA"], False)
        self.assertIs(self.settings_with(DEBUG="1", STAFF_MFA="1")["STAFF_MFA"], True)

    def test_the_demo_says_whether_it_is_on_and_how_to_try_it(self) -> None:
        for on, expected in (
            (False, "to try it, run `STAFF_MFA=1 make run`"),
            (True, "set up an authenticator app at their first login"),
        ):
            out = StringIO()
            with self.subTest(on=on), override_settings(STAFF_MFA=on):
                call_command("seed_demo", stdout=out)
                self.assertIn(expected, out.getvalue())
