"""DL-6: a process killed with SIGKILL in the middle of a save or a submit.

A child process (python -c, on the same test database) saves several answers, or
submits, and is made to pause at a chosen step inside the transaction: the step's method
is replaced, in the child only, by one that says "paused" and sleeps. The test then kills
it with SIGKILL and checks that the database holds none of that write (answers, version,
uses, contracts, audit events, submissions, review comments), or, when the child was
killed after its commit, all of it; that SQLite's integrity check passes; and that the
response can be saved and submitted again at once (no lock left behind: SQLite's WAL
is recovered, PostgreSQL ends the dead client's transaction and releases its row lock).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

from django.db import connection
from django.test import Client, TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from survey.editing import Edit
from survey.models import (
    AuditEvent,
    Contract,
    Membership,
    Response,
    ReviewComment,
    Submission,
    Use,
)
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
)

ROOT = Path(__file__).resolve().parent.parent
# Seconds: long enough for any step; the child is killed long before.
CHILD_TIMEOUT = 60

# The child: the parent's settings (DATABASE_URL and all) with the test database's name.
CHILD = r"""
import json, os, sys, time
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["CRASH_DB_NAME"]
import django
django.setup()
from importlib import import_module
from django.utils import timezone
from survey.editing import Edit
from survey.models import Response, User

def pause(*args, **kwargs):
    print("paused", flush=True)
    time.sleep(600)

if os.environ["CRASH_AT"]:
    module, _, path = os.environ["CRASH_AT"].partition(":")
    owner, _, attribute = path.partition(".")
    setattr(getattr(import_module(module), owner), attribute, pause)

response = Response.objects.get(pk=int(os.environ["CRASH_RESPONSE"]))
user = User.objects.get(pk=int(os.environ["CRASH_USER"]))
if os.environ["CRASH_VERB"] == "save":
    posted = json.loads(os.environ["CRASH_POSTED"])
    edit = Edit(posted, dict(response.answers), response.version, list(posted))
    response.save_answers(edit, user=user, ip="192.0.2.1", at=timezone.now())
else:
    response.submit(user, "192.0.2.1", timezone.now())
print("committed", flush=True)
time.sleep(600)
"""

# Several answers of several sections, the contracts (A6) among them, so that the
# save writes the response, its uses' derived columns, contracts and an audit event.
CHANGES = {
    "A1": "Renamed Systems Inc.",
    "A6": [
        {"piid": "W56HZV-24-C-0101", "program": "Vehicles"},
        {"piid": "N00024-25-C-0202", "program": "Ships"},
    ],
    "B6": ["procurement_records", "supplier_inquiry"],
    "F2": "Sam Poe, COO",
}
# Steps inside the transaction, in order (module:Class.method).
SAVE_STEPS = [
    "survey.models:Response.sync_contracts",
    "survey.models:Response.audit_save",
    "survey.models:ReviewComment.answer_changed",
]
SUBMIT_STEPS = [
    "survey.models:Response.sync_contracts",
    "survey.models:Response._keep_attested",
    "survey.models:ReviewComment.answer_all",
]


def snapshot(pk: int) -> dict[str, Any]:
    """Everything a save or a submit of this response may write."""
    response = Response.objects.filter(pk=pk).values().get()
    return {
        "response": response,
        "uses": list(Use.objects.filter(response_id=pk).order_by("pk").values()),
        "attested": list(Use.attested.filter(response_id=pk).order_by("pk").values()),
        "contracts": list(
            Contract.objects.filter(response_id=pk).order_by("pk").values()
        ),
        "audit": list(AuditEvent.objects.order_by("pk").values()),
        "submissions": list(
            Submission.objects.filter(response_id=pk).order_by("pk").values()
        ),
        "comments": list(
            ReviewComment.objects.filter(response_id=pk).order_by("pk").values()
        ),
    }


class SavedResponseTestCase(TransactionTestCase):
    """A complete response with one use, saved and committed, ready to submit."""

    def setUp(self) -> None:
        self.org = make_organisation()
        self.signatory = make_user(None, self.org, Membership.Role.SIGNATORY)
        self.response = make_response(make_campaign(), self.org)
        self.response.save_answers(
            Edit(complete_org_answers(), {}, 0, list(complete_org_answers())),
            user=self.signatory,
            ip=None,
            at=timezone.now(),
        )
        use = self.response.add_use(self.signatory, None, timezone.now())
        use.save_answers(
            Edit(complete_use_answers(), {}, 0, list(complete_use_answers())),
            user=self.signatory,
            ip=None,
            at=timezone.now(),
        )
        self.response.refresh_from_db()

    def run_child(self, verb: str, crash_at: str) -> str:
        """Start the child, wait for it to pause (or commit), kill it: what it said."""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "survey.settings",
            "CRASH_DB_NAME": str(connection.settings_dict["NAME"]),
            "CRASH_AT": crash_at,
            "CRASH_VERB": verb,
            "CRASH_RESPONSE": str(self.response.pk),
            "CRASH_USER": str(self.signatory.pk),
            "CRASH_POSTED": json.dumps(CHANGES),
        }
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            said = child.stdout.readline().strip() if child.stdout else ""
            if not said:
                child.wait(CHILD_TIMEOUT)
                self.fail(
                    f"the child ended: {child.stderr.read() if child.stderr else ''}"
                )
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(CHILD_TIMEOUT)
        self.assertEqual(child.returncode, -signal.SIGKILL)
        return said

    def assert_database_sound(self) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA integrity_check")
                self.assertEqual(cursor.fetchall(), [("ok",)])

    def assert_writable_again(self) -> None:
        """A save and a submit go through at once: no lock left by the dead process."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '10s'")
        response = Response.objects.get(pk=self.response.pk)
        version = response.version
        result = response.save_answers(
            Edit({"F2": "After the crash"}, dict(response.answers), version, ["F2"]),
            user=self.signatory,
            ip=None,
            at=timezone.now(),
        )
        self.assertEqual(result.changed, ["F2"])
        self.assertEqual(Response.objects.get(pk=response.pk).version, version + 1)
        self.assertIsNotNone(response.submit(self.signatory, None, timezone.now()))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")


class CrashMidSaveTests(SavedResponseTestCase):
    def test_a_save_killed_inside_its_transaction_leaves_nothing(self) -> None:
        for step in SAVE_STEPS:
            with self.subTest(step=step):
                before = snapshot(self.response.pk)
                self.assertEqual(self.run_child("save", step), "paused")
                self.assertEqual(snapshot(self.response.pk), before)
                self.assert_database_sound()
        self.assert_writable_again()

    def test_a_save_killed_after_its_commit_is_all_there(self) -> None:
        before = snapshot(self.response.pk)
        self.assertEqual(self.run_child("save", ""), "committed")
        after = snapshot(self.response.pk)
        response = after["response"]
        self.assertEqual(response["version"], before["response"]["version"] + 1)
        for qid, value in CHANGES.items():
            self.assertEqual(response["answers"][qid], value)
        self.assertEqual(
            [e["action"] for e in after["audit"][len(before["audit"]) :]],
            ["response.saved"],
        )
        self.assertEqual(
            sorted(c["piid"] for c in after["contracts"] if c["submission_id"] is None),
            sorted(row["piid"] for row in CHANGES["A6"]),
        )
        self.assert_database_sound()
        self.assert_writable_again()

    def test_a_submit_killed_inside_its_transaction_leaves_nothing(self) -> None:
        for step in SUBMIT_STEPS:
            with self.subTest(step=step):
                before = snapshot(self.response.pk)
                self.assertEqual(self.run_child("submit", step), "paused")
                self.assertEqual(snapshot(self.response.pk), before)
                self.assert_database_sound()
        self.assertEqual(Submission.objects.count(), 0)
        self.assert_writable_again()

    def test_a_submit_killed_after_its_commit_is_all_there(self) -> None:
        before = snapshot(self.response.pk)
        self.assertEqual(self.run_child("submit", ""), "committed")
        after = snapshot(self.response.pk)
        response = after["response"]
        self.assertEqual(response["status"], Response.Status.SUBMITTED)
        self.assertEqual(response["version"], before["response"]["version"] + 1)
        [submission] = after["submissions"]
        self.assertEqual(submission["sha256"], response["answers_sha256"])
        self.assertEqual(
            [e["action"] for e in after["audit"][len(before["audit"]) :]],
            ["response.submitted"],
        )
        self.assert_database_sound()
        # Reopened by a reviewer, it can be saved and submitted again.
        Response.objects.filter(pk=self.response.pk).update(
            status=Response.Status.RETURNED
        )
        self.assert_writable_again()


class ErrorMidSaveTests(SavedResponseTestCase):
    """DL-6 (a): a step inside the transaction raises instead of the process dying."""

    def test_a_failing_audit_insert_rolls_the_autosave_back_and_the_page_is_told(
        self,
    ) -> None:
        client = Client(raise_request_exception=False)
        client.force_login(self.signatory)
        path = reverse("survey-autosave", args=[self.response.uuid, "A"])
        state = {
            "version": str(self.response.version),
            "loaded": json.dumps({"A1": self.response.answers["A1"]}),
            "A1": "Changed",
        }
        before = snapshot(self.response.pk)
        with mock.patch(
            "survey.models.Response.audit_save", side_effect=RuntimeError("disk full")
        ):
            reply = client.post(path, state)
        self.assertEqual(reply.status_code, 500)
        self.assertNotIn(b"saved", reply.content)
        self.assertEqual(snapshot(self.response.pk), before)
        # The page retries with the same state, and it goes in.
        self.assertEqual(client.post(path, state).json()["status"], "saved")
        self.assertEqual(
            Response.objects.get(pk=self.response.pk).answers["A1"], "Changed"
        )

    def test_a_failing_step_of_a_submit_rolls_it_back(self) -> None:
        for step in SUBMIT_STEPS:
            with self.subTest(step=step):
                before = snapshot(self.response.pk)
                module, _, path = step.partition(":")
                with (
                    mock.patch(f"{module}.{path}", side_effect=RuntimeError(step)),
                    self.assertRaises(RuntimeError),
                ):
                    Response.objects.get(pk=self.response.pk).submit(
                        self.signatory, None, timezone.now()
                    )
                self.assertEqual(snapshot(self.response.pk), before)
        self.assert_writable_again()
