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

    def test_a_login_without_a_client_address_is_recorded_without_one(self) -> None:
        """Behind a Unix socket REMOTE_ADDR is empty; the IP column must not refuse it."""
        make_user("pat@example.com")
        self.client.post(
            reverse("login"),
            {"username": "pat@example.com", "password": "correct horse battery"},
            REMOTE_ADDR="",
        )
        self.assertIsNone(AuditEvent.objects.get(action="auth.login").ip)

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


class AdminChangeAuditTests(TestCase):
    def test_admin_adds_changes_and_deletes_are_recorded(self) -> None:
        from django.contrib.auth.models import Group

        from survey.models import User, Vendor

        root = User.objects.create_superuser("root@example.com", "x" * 16)
        self.client.force_login(root)
        self.client.post(reverse("admin:survey_vendor_add"), {"name": "Other AI"})
        vendor = Vendor.objects.get(name="Other AI")
        self.client.post(
            reverse("admin:survey_vendor_change", args=[vendor.pk]),
            {"name": "Other AI Inc."},
        )
        group = Group.objects.create(name="Temporary")
        self.client.post(
            reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}
        )
        events = list(
            AuditEvent.objects.filter(action__startswith="admin.")
            .order_by("at", "id")
            .values_list("action", "object_type", "actor_email")
        )
        self.assertEqual(
            events,
            [
                ("admin.added", "survey.vendor", "root@example.com"),
                ("admin.changed", "survey.vendor", "root@example.com"),
                ("admin.deleted", "auth.group", "root@example.com"),
            ],
        )
        changed = AuditEvent.objects.get(action="admin.changed")
        self.assertEqual(
            changed.details["changes"], [{"changed": {"fields": ["Name"]}}]
        )


class AuditLogLineTests(TestCase):
    def test_each_event_is_one_json_line_without_details(self) -> None:
        import json

        user = make_user("pat@example.com")
        with self.assertLogs("survey.audit", "INFO") as captured:
            AuditEvent.record(
                "response.band_overridden",
                actor=user,
                ip="192.0.2.9",
                justification="secret\nnote",
            )
        (line,) = captured.output
        self.assertNotIn("secret", line)
        record = json.loads(line.split(":", 2)[2])
        self.assertEqual(record["event"], "response.band_overridden")
        self.assertEqual(record["user_id"], user.pk)
        self.assertEqual(record["ip"], "192.0.2.9")
        self.assertTrue(record["at"].endswith("+00:00"))
