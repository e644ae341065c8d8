from __future__ import annotations

from django.test import TestCase
from django.urls import reverse

from survey.models import AuditEvent
from tests.helpers import make_user
from tests.review_helpers import make_reviewer


class LoginAuditTests(TestCase):
    def test_a_successful_login_is_recorded_with_the_address(self) -> None:
        user = make_user("pat@example.com")
        self.client.post(
            reverse("login"),
            {"username": "pat@example.com", "password": "correct horse battery"},
            REMOTE_ADDR="198.51.100.7",
        )
        event = AuditEvent.objects.get(action="auth.login")
        self.assertEqual(event.actor, user)
        self.assertEqual(event.ip, "198.51.100.7")

    def test_a_failed_login_is_recorded_without_the_password(self) -> None:
        make_user("pat@example.com")
        self.client.post(
            reverse("login"),
            {"username": "pat@example.com", "password": "Wrong-Secret-42"},
        )
        event = AuditEvent.objects.get(action="auth.login_failed")
        self.assertIsNone(event.actor)
        self.assertEqual(event.details, {"email": "pat@example.com"})
        self.assertNotIn("Wrong-Secret-42", str(event.details))
        self.assertFalse(AuditEvent.objects.filter(action="auth.login").exists())


class PermissionDenialAuditTests(TestCase):
    def test_a_403_in_the_admin_is_recorded(self) -> None:
        reviewer = make_reviewer()
        self.client.force_login(reviewer)
        address = reverse("admin:survey_user_changelist")
        self.assertEqual(self.client.get(address).status_code, 403)
        event = AuditEvent.objects.get(action="auth.permission_denied")
        self.assertEqual(event.actor, reviewer)
        self.assertEqual(event.details, {"path": address, "method": "GET"})
