from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Model
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from survey import jobs
from survey.models import (
    AuditEvent,
    ExportJob,
    Membership,
    Organisation,
    Response,
    Use,
    User,
    Vendor,
)
from tests.helpers import make_campaign, make_organisation, make_response, make_user
from tests.review_helpers import ANSWERS, USE, make_reviewer, make_submitted


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


IP = "198.51.100.7"
# ISO 8601 in UTC, as the line writes it (Python's isoformat gives +00:00).
UTC_ISO = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)\Z")


class EventLineTests(TestCase):
    """AC-8: each security event of a request is one JSON line on "survey.audit": its
    time (UTC, ISO 8601), name, user, organisation, object, address and request ID, the
    ID being the X-Request-ID header of the response."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign()
        cls.org = make_organisation()
        cls.response = make_response(
            cls.campaign,
            cls.org,
            answers=ANSWERS,
            status=Response.Status.IN_PROGRESS,
        )
        Use.objects.create(response=cls.response, position=1, answers=USE)
        cls.signatory = make_user("pat@example.com", cls.org, Membership.Role.SIGNATORY)
        cls.reviewer = make_reviewer(cls.campaign)

    def setUp(self) -> None:
        self.client = Client(REMOTE_ADDR=IP)

    def assert_one_line(
        self,
        captured: Any,
        reply: Any,
        event: str,
        *,
        user: User | None,
        organisation: Organisation | None,
        obj: Model | None,
    ) -> None:
        lines = [json.loads(record.getMessage()) for record in captured.records]
        mine = [line for line in lines if line["event"] == event]
        self.assertEqual(len(mine), 1, f"{event}: {lines}")
        (line,) = mine
        self.assertRegex(reply["X-Request-ID"], r"\A[0-9a-f]{32}\Z")
        expected = {
            "event": event,
            "user_id": user.pk if user else None,
            "organisation_id": organisation.pk if organisation else None,
            "object": f"{obj._meta.label_lower}:{obj.pk}" if obj else ":",
            "ip": IP,
            "request_id": reply["X-Request-ID"],
        }
        actual = {name: line.get(name, "(missing)") for name in expected}
        self.assertEqual(actual, expected, event)
        self.assertRegex(line["at"], UTC_ISO, event)
        self.assertEqual(
            datetime.fromisoformat(line["at"]).utcoffset(), timedelta(0), event
        )

    def test_login(self) -> None:
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.post(
                reverse("login"),
                {"username": "pat@example.com", "password": "correct horse battery"},
            )
        self.assertEqual(reply.status_code, 302)
        self.assert_one_line(
            captured,
            reply,
            "auth.login",
            user=self.signatory,
            organisation=self.org,
            obj=self.signatory,
        )

    def test_login_failure(self) -> None:
        """Nobody is logged in: the account the attempt named is the object."""
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.post(
                reverse("login"), {"username": "PAT@example.com", "password": "wrong"}
            )
        self.assertEqual(reply.status_code, 200)
        self.assert_one_line(
            captured,
            reply,
            "auth.login_failed",
            user=None,
            organisation=None,
            obj=self.signatory,
        )

    def test_lockout(self) -> None:
        attempt = {"username": "pat@example.com", "password": "wrong"}
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            self.client.post(reverse("login"), attempt)
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.post(reverse("login"), attempt)
        self.assertEqual(reply.status_code, 429)
        self.assert_one_line(
            captured,
            reply,
            "auth.locked_out",
            user=None,
            organisation=None,
            obj=self.signatory,
        )

    def test_another_organisations_response_is_a_404(self) -> None:
        """AC-2: the refused lookup names who tried, from which organisation."""
        other = make_response(self.campaign, make_organisation())
        self.client.force_login(self.signatory)
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.get(reverse("survey-section", args=[other.uuid, "A"]))
        self.assertEqual(reply.status_code, 404)
        self.assert_one_line(
            captured,
            reply,
            "access.denied",
            user=self.signatory,
            organisation=self.org,
            obj=None,
        )

    def test_campaign_export_and_its_download(self) -> None:
        self.client.force_login(self.reviewer)
        form = {"language": "en", "cells": "labels", "scope": "full", "format": "xlsx"}
        with (
            override_settings(EXPORT_INLINE_ROWS=100),
            self.assertLogs("survey.audit", "INFO") as captured,
        ):
            reply = self.client.post(
                reverse("admin:survey_campaign_export", args=[self.campaign.pk]), form
            )
        job = ExportJob.objects.get()
        self.addCleanup(default_storage.delete, job.file.name)
        self.assertEqual(reply.status_code, 302)
        # Built inline, in the request: both lines carry its ID.
        for event in ["export.requested", "export.created"]:
            self.assert_one_line(
                captured, reply, event, user=self.reviewer, organisation=None, obj=job
            )
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.get(
                reverse("admin:survey_exportjob_download", args=[job.pk])
            )
            b"".join(reply.streaming_content)  # closes the file
        self.assertEqual(reply.status_code, 200)
        self.assert_one_line(
            captured,
            reply,
            "export.downloaded",
            user=self.reviewer,
            organisation=None,
            obj=job,
        )

    def test_a_contractor_downloads_their_answers(self) -> None:
        self.client.force_login(self.signatory)
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.get(reverse("survey-export", args=[self.response.uuid]))
            b"".join(reply.streaming_content)  # closes the file
        self.assertEqual(reply.status_code, 200)
        self.assert_one_line(
            captured,
            reply,
            "response.exported",
            user=self.signatory,
            organisation=self.org,
            obj=self.response,
        )

    def test_submit(self) -> None:
        self.client.force_login(self.signatory)
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.post(
                reverse("survey-submit", args=[self.response.uuid]), {"confirmed": "1"}
            )
        self.assertRedirects(
            reply, reverse("survey-receipt", args=[self.response.uuid])
        )
        self.assert_one_line(
            captured,
            reply,
            "response.submitted",
            user=self.signatory,
            organisation=self.org,
            obj=self.response,
        )

    def test_a_reviewer_returns_a_response(self) -> None:
        """The product's unsubmit: the address is the request's, though the model
        method that records the event is not given it."""
        submitted = make_submitted(self.campaign)
        self.client.force_login(self.reviewer)
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.post(
                reverse("admin:survey_response_return", args=[submitted.pk]),
                {"message": "Please complete section E."},
            )
        self.assertEqual(reply.status_code, 302)
        self.assert_one_line(
            captured,
            reply,
            "response.return_for_clarification",
            user=self.reviewer,
            organisation=submitted.organisation,
            obj=submitted,
        )

    def test_a_write_after_the_deadline(self) -> None:
        with time_machine.travel(self.campaign.deadline + timedelta(seconds=1)):
            # Logged in after the deadline, so that the session is still alive.
            self.client.force_login(self.signatory)
            with self.assertLogs("survey.audit", "INFO") as captured:
                reply = self.client.post(
                    reverse("survey-section", args=[self.response.uuid, "A"]),
                    {"A1": "Late"},
                )
        self.assertEqual(reply.status_code, 403)
        self.assert_one_line(
            captured,
            reply,
            "write.refused",
            user=self.signatory,
            organisation=self.org,
            obj=self.response,
        )

    def test_an_admin_change(self) -> None:
        root = User.objects.create_superuser("root@example.com", "x" * 16)
        vendor = Vendor.objects.create(name="Other AI")
        self.client.force_login(root)
        with self.assertLogs("survey.audit", "INFO") as captured:
            reply = self.client.post(
                reverse("admin:survey_vendor_change", args=[vendor.pk]),
                {"name": "Other AI Inc."},
            )
        self.assertEqual(reply.status_code, 302)
        self.assert_one_line(
            captured, reply, "admin.changed", user=root, organisation=None, obj=vendor
        )


class RequestIdTests(TestCase):
    def test_every_response_carries_one_and_a_safe_incoming_one_is_kept(self) -> None:
        first = self.client.get(reverse("login"))
        second = self.client.get(reverse("login"))
        self.assertRegex(first["X-Request-ID"], r"\A[0-9a-f]{32}\Z")
        self.assertNotEqual(first["X-Request-ID"], second["X-Request-ID"])
        # Refused requests too: a 404, and a 405 from the guard in front of the session.
        self.assertIn("X-Request-ID", self.client.get("/nowhere/"))
        self.assertIn("X-Request-ID", self.client.put(reverse("login")))
        # A client without a proxy in front cannot choose the ID its lines carry.
        chosen = "3f2c9a1e-proxy-0001"
        reply = self.client.get(reverse("login"), headers={"X-Request-ID": chosen})
        self.assertRegex(reply["X-Request-ID"], r"\A[0-9a-f]{32}\Z")
        # Behind the trusted proxy (BEHIND_TLS_PROXY), its ID is kept.
        with self.settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
            reply = self.client.get(reverse("login"), headers={"X-Request-ID": chosen})
        self.assertEqual(reply["X-Request-ID"], chosen)

    def test_an_unsafe_incoming_id_is_replaced(self) -> None:
        proxied = self.settings(
            SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
        )
        for incoming in ["short", "x" * 65, '"}, {"event": "auth.login', "a b c d e f"]:
            with self.subTest(incoming=incoming), proxied:
                reply = self.client.get(
                    reverse("login"), headers={"X-Request-ID": incoming}
                )
                self.assertRegex(reply["X-Request-ID"], r"\A[0-9a-f]{32}\Z")

    def test_a_background_job_logs_without_a_request(self) -> None:
        """The worker builds the export outside any request: no ID, no address, and
        none left behind by the request that ran before it in the same thread."""
        campaign = make_campaign()
        reviewer = make_reviewer(campaign)
        self.client.force_login(reviewer)
        form = {"language": "en", "cells": "labels", "scope": "full", "format": "xlsx"}
        reply = self.client.post(
            reverse("admin:survey_campaign_export", args=[campaign.pk]),
            form,
            REMOTE_ADDR=IP,
        )
        self.assertEqual(reply.status_code, 302)
        job = ExportJob.objects.get()
        with self.assertLogs("survey.audit", "INFO") as captured:
            jobs.run(job.pk)
        job.refresh_from_db()
        self.addCleanup(default_storage.delete, job.file.name)
        (line,) = [json.loads(record.getMessage()) for record in captured.records]
        self.assertEqual(
            (line["event"], line["user_id"], line["ip"], line["request_id"]),
            ("export.created", reviewer.pk, None, None),
        )

    def test_gunicorn_access_lines_end_with_it(self) -> None:
        from gunicorn.config import Config
        from gunicorn.glogging import Logger

        from survey import gunicorn as gunicorn_settings

        config = Config()
        config.set("accesslog", os.devnull)
        config.set("access_log_format", gunicorn_settings.access_log_format)
        logger = Logger(config)
        reply = SimpleNamespace(
            status="200 OK", sent=512, headers=[("X-Request-ID", "0f8e3c0d5a6b")]
        )
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "REMOTE_ADDR": IP}
        environ |= {"RAW_URI": "/", "SERVER_PROTOCOL": "HTTP/1.1"}
        with self.assertLogs(logger.access_log, "INFO") as captured:
            logger.access(reply, [], environ, timedelta(milliseconds=7))
        self.assertEqual(
            captured.records[0].getMessage(), f'{IP} "GET /" 200 512 7ms 0f8e3c0d5a6b'
        )
