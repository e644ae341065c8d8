"""Who may see and write what, and when: isolation, mass assignment, the deadline gate."""

from __future__ import annotations

import hashlib
import importlib
import itertools
import re
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import time_machine
from django.conf import global_settings, settings
from django.contrib.auth.hashers import MD5PasswordHasher, PBKDF2PasswordHasher
from django.core import mail
from django.db import connection
from django.test import Client, TestCase, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from survey.models import (
    Attachment,
    AuditEvent,
    Membership,
    Response,
    Submission,
    Use,
    User,
)
from tests import routes
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
    url_samples,
)
from tests.review_helpers import make_admin_officer, make_reviewer


def response_patterns() -> list[routes.Route]:
    """Every contractor pattern of the URLconf (under r/<uuid:response_uuid>/), walked
    from the resolver: a new one is in the walks below without editing them."""
    return routes.routes_of(routes.KIND_RESPONSE)


def reverse_for(pattern: routes.Route, samples: dict[str, Any]) -> str:
    # One sample per URL keyword; a new keyword without a sample fails the walkers.
    return pattern.path(samples)


def samples_for(response: Response, use: Use, attachment: Attachment) -> dict[str, Any]:
    return {
        "response_uuid": response.uuid,
        "section_id": "A",
        "use_uuid": use.uuid,
        "attachment_uuid": attachment.uuid,
    }


def random_samples() -> dict[str, Any]:
    return {
        "response_uuid": uuid.uuid4(),
        "section_id": "A",
        "use_uuid": uuid.uuid4(),
        "attachment_uuid": uuid.uuid4(),
    }


def make_attachment(response: Response) -> Attachment:
    return Attachment.objects.create(
        response=response,
        question_id="E1b",
        name="plan.pdf",
        content_type="application/pdf",
        size=5,
        sha256="0" * 64,
        content=b"%PDF-",
        uploaded_by=make_user(),
    )


def snapshot() -> tuple[Any, ...]:
    """Row counts and a hash of every answer: equal snapshots mean nothing changed."""
    answers = sorted(
        str(a) for a in Response.objects.values_list("answers", "status", "version")
    )
    uses = sorted(str(a) for a in Use.objects.values_list("answers", "version"))
    digest = hashlib.sha256(("".join(answers) + "".join(uses)).encode()).hexdigest()
    return (
        Response.objects.count(),
        Use.objects.count(),
        Submission.objects.count(),
        digest,
    )


class IsolationTests(TestCase):
    """AC-2: another organisation's objects answer 404, exactly like missing ones."""

    @classmethod
    def setUpTestData(cls) -> None:
        campaign = make_campaign()
        cls.org_a, cls.org_b = make_organisation(), make_organisation()
        cls.response_a = make_response(
            campaign, cls.org_a, answers=complete_org_answers()
        )
        cls.use_a = Use.objects.create(
            response=cls.response_a, answers=complete_use_answers()
        )
        cls.samples_a = samples_for(
            cls.response_a, cls.use_a, make_attachment(cls.response_a)
        )
        make_response(campaign, cls.org_b)
        cls.b1 = make_user("b1@beta.example", cls.org_b, Membership.Role.SIGNATORY)

    def test_every_response_url_is_404_for_another_organisation(self) -> None:
        self.client.force_login(self.b1)
        before = snapshot()
        for pattern in response_patterns():
            for method in ("get", "post"):
                with self.subTest(url=pattern.name, method=method):
                    theirs = getattr(self.client, method)(
                        reverse_for(pattern, self.samples_a),
                        {"A1": "Injected", "D1": "Injected"},
                    )
                    missing = getattr(self.client, method)(
                        reverse_for(pattern, random_samples()),
                        {"A1": "Injected"},
                    )
                    if theirs.status_code == 405:  # GET-only page asked to POST
                        self.assertEqual(missing.status_code, 405)
                        continue
                    self.assertEqual(theirs.status_code, 404)
                    self.assertEqual(missing.status_code, 404)
                    self.assertEqual(theirs.content, missing.content)
                    self.assertNotIn(self.org_a.legal_name.encode(), theirs.content)
        self.assertEqual(snapshot(), before)

    def test_their_use_under_my_response_is_404(self) -> None:
        own = Response.objects.get(organisation=self.org_b)
        self.client.force_login(self.b1)
        reply = self.client.get(reverse("survey-use", args=[own.uuid, self.use_a.uuid]))
        self.assertEqual(reply.status_code, 404)

    def test_anonymous_users_are_sent_to_log_in(self) -> None:
        for pattern in response_patterns():
            path = reverse_for(pattern, self.samples_a)
            with self.subTest(url=pattern.name):
                reply = self.client.post(path)
                if pattern.name.endswith("autosave"):
                    self.assertEqual(reply.status_code, 401)
                elif reply.status_code != 405:
                    self.assertEqual(reply.status_code, 302)
                    self.assertTrue(reply["Location"].startswith(reverse("login")))


class MassAssignmentTests(TestCase):
    """AC-3: fields outside the questionnaire page never persist."""

    def test_extra_and_read_only_fields_are_ignored(self) -> None:
        campaign = make_campaign()
        org, other = make_organisation(), make_organisation()
        response = make_response(campaign, org)
        user = make_user(organisation=org)
        self.client.force_login(user)
        path = reverse("survey-section", args=[response.uuid, "A"])
        page = self.client.get(path)
        reply = self.client.post(
            path,
            {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
                "A1": "Real answer",
                "organisation": other.pk,
                "organisation_id": other.pk,
                "status": "submitted",
                "submitted_at": "2020-01-01T00:00:00Z",
                "user": user.pk,
                "is_staff": "1",
                "reviewer_notes": "x",
                "Z9": "not a question",
                "B1": "yes",
                "answers": '{"B1": "yes"}',
            },
        )
        self.assertEqual(reply.status_code, 302)
        response.refresh_from_db()
        user.refresh_from_db()
        self.assertEqual(response.answers, {"A1": "Real answer"})
        self.assertEqual((response.organisation, response.status), (org, "in_progress"))
        self.assertIsNone(response.submitted_at)
        self.assertFalse(user.is_staff)

    def test_a_forged_version_cannot_overwrite_silently(self) -> None:
        response = make_response(answers={"A1": "Theirs"})
        user = make_user(organisation=response.organisation)
        self.client.force_login(user)
        path = reverse("survey-section", args=[response.uuid, "A"])
        for version, loaded in [("999", "{}"), ("abc", "not json"), ("7", "[1, 2]")]:
            reply = self.client.post(
                path, {"version": version, "loaded": loaded, "A1": "Mine"}
            )
            self.assertEqual(reply.status_code, 200)
            self.assertContains(reply, "Someone else changed these answers")
        response.refresh_from_db()
        self.assertEqual(response.answers, {"A1": "Theirs"})


class DeadlineGateTests(TestCase):
    """DD-1: every contractor write path is refused at and after the deadline."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign()
        cls.deadline = cls.campaign.deadline
        org = make_organisation()
        cls.response = make_response(cls.campaign, org, answers=complete_org_answers())
        cls.use = Use.objects.create(
            response=cls.response, answers=complete_use_answers()
        )
        cls.signatory = make_user(organisation=org, role=Membership.Role.SIGNATORY)
        cls.samples = samples_for(cls.response, cls.use, make_attachment(cls.response))

    def post_everywhere(self) -> dict[str, int]:
        self.client.force_login(self.signatory)
        codes = {}
        for pattern in response_patterns():
            path = reverse_for(pattern, self.samples)
            codes[pattern.name] = self.client.post(
                path, {"A1": "Late", "D1": "Late"}
            ).status_code
        return codes

    def test_writes_at_or_after_the_deadline_are_refused_and_change_nothing(
        self,
    ) -> None:
        for offset in [timedelta(0), timedelta(milliseconds=1), timedelta(hours=1)]:
            with (
                self.subTest(offset=offset),
                time_machine.travel(self.deadline + offset, tick=False),
            ):
                before = snapshot()
                codes = self.post_everywhere()
                self.assertEqual(set(codes.values()) - {403, 405}, set(), codes)
                self.assertEqual(snapshot(), before)
        self.assertTrue(AuditEvent.objects.filter(action="write.refused").exists())
        with time_machine.travel(self.deadline + timedelta(hours=1), tick=False):
            self.client.force_login(self.signatory)
            page = self.client.post(
                reverse("survey-section", args=[self.response.uuid, "A"])
            )
            self.assertContains(page, "The deadline passed at", status_code=403)
            self.assertContains(page, " ET (", status_code=403)

    def test_a_request_received_before_the_deadline_commits_after_it(self) -> None:
        """DD-1: the time of receipt decides: a save received 50 ms before the deadline
        that reaches its row lock 2 s after it still goes through."""
        original = Response.lock_for_write
        locked_at = []
        with time_machine.travel(
            self.deadline - timedelta(milliseconds=50), tick=False
        ) as clock:

            def slow(*args: Any, **kwargs: Any) -> Any:
                clock.move_to(self.deadline + timedelta(seconds=2))
                locked_at.append(timezone.now())
                return original(*args, **kwargs)

            self.client.force_login(self.signatory)
            path = reverse("survey-section", args=[self.response.uuid, "A"])
            page = self.client.get(path)
            with mock.patch.object(Response, "lock_for_write", staticmethod(slow)):
                reply = self.client.post(
                    path,
                    {
                        "version": page.context["version"],
                        "loaded": page.context["loaded"],
                        "A1": "Just in time",
                    },
                )
        self.assertEqual(reply.status_code, 302)
        self.assertEqual(locked_at, [self.deadline + timedelta(seconds=2)])
        self.response.refresh_from_db()
        self.assertEqual(self.response.answers["A1"], "Just in time")

    def test_a_millisecond_before_the_deadline_writes_go_through(self) -> None:
        with time_machine.travel(self.deadline - timedelta(milliseconds=1), tick=False):
            self.client.force_login(self.signatory)
            codes = self.post_everywhere()
            self.assertNotIn(403, codes.values(), codes)
            # Each answer-writing endpoint, posted with its page's real state, saves.
            section = reverse("survey-section", args=[self.response.uuid, "A"])
            page = self.client.get(section)
            state = {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
            }
            reply = self.client.post(section, {**state, "A1": "Saved in time"})
            self.assertEqual(reply.status_code, 302)
            page = self.client.get(section)
            state = {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
            }
            autosave = reverse("survey-autosave", args=[self.response.uuid, "A"])
            data = self.client.post(
                autosave, {**state, "A1": "Autosaved in time"}
            ).json()
            self.assertEqual(data["status"], "saved")
            use = Use.objects.filter(response=self.response).last()
            use_page = reverse("survey-use", args=[self.response.uuid, use.uuid])
            page = self.client.get(use_page)
            state = {
                "version": page.context["version"],
                "loaded": page.context["loaded"],
            }
            reply = self.client.post(use_page, {**state, "D1": "Use saved in time"})
            self.assertEqual(reply.status_code, 302)
        self.response.refresh_from_db()
        use.refresh_from_db()
        self.assertEqual(self.response.answers["A1"], "Autosaved in time")
        self.assertEqual(use.answers["D1"], "Use saved in time")

    def test_the_gate_honours_an_extension(self) -> None:
        Response.objects.filter(pk=self.response.pk).update(
            extended_deadline=self.deadline + timedelta(days=1)
        )
        with time_machine.travel(self.deadline + timedelta(hours=1), tick=False):
            self.client.force_login(self.signatory)
            path = reverse("survey-section", args=[self.response.uuid, "A"])
            page = self.client.get(path)
            reply = self.client.post(
                path,
                {
                    "version": page.context["version"],
                    "loaded": page.context["loaded"],
                    "A1": "On time",
                },
            )
        self.assertEqual(reply.status_code, 302)
        self.response.refresh_from_db()
        self.assertEqual(self.response.answers["A1"], "On time")

    def test_every_write_view_is_behind_the_gate(self) -> None:
        """Enumerated from the URLconf, not listed: after the deadline the signatory
        posts to every pattern outside the admin. Under a response it is refused (403;
        405 where the page takes no POST); anywhere else (accounts, language, session)
        it may answer, but no answer changes. So a new endpoint that takes a POST is
        behind the gate, or writes no answer, without editing this test."""
        refused: set[str] = set()
        outside = {"token": "not-a-token", "uidb64": "MQ"}
        with time_machine.travel(self.deadline + timedelta(hours=1), tick=False):
            before = snapshot()
            for route in routes.all_routes():
                if route.namespace == "admin":
                    continue
                # A logout page ends the session: each POST starts logged in.
                self.client.force_login(self.signatory)
                path = route.path({**self.samples, **outside})
                code = self.client.post(path, {"A1": "Late", "D1": "Late"}).status_code
                if route.kind == routes.KIND_RESPONSE:
                    self.assertIn(code, {403, 405}, route.label)
                if code == 403:
                    refused.add(route.name)
            self.assertEqual(snapshot(), before)
        # The write endpoints the old hard-coded list named are still refused.
        self.assertLessEqual(
            {
                "survey-section",
                "survey-autosave",
                "survey-uses",
                "survey-use",
                "survey-use-autosave",
                "survey-use-delete",
                "survey-submit",
            },
            refused,
        )


class ConcurrentSubmitTests(TransactionTestCase):
    """DL-4: 20 simultaneous submits make exactly one submission and no error."""

    def test_twenty_threads_submit_at_once(self) -> None:
        campaign = make_campaign()
        org = make_organisation()
        response = make_response(campaign, org, answers=complete_org_answers())
        Use.objects.create(response=response, answers=complete_use_answers())
        signatory = make_user(organisation=org, role=Membership.Role.SIGNATORY)
        clients = []
        for _ in range(20):
            client = Client()
            client.force_login(signatory)
            clients.append(client)
        barrier = threading.Barrier(len(clients))
        codes: list[int] = []
        errors: list[BaseException] = []
        path = reverse("survey-submit", args=[response.uuid])

        def submit(client: Client) -> None:
            try:
                barrier.wait()
                codes.append(client.post(path, {"confirmed": "1"}).status_code)
            except BaseException as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(sorted(set(codes)), [302])
        self.assertEqual(Submission.objects.filter(response=response).count(), 1)
        self.assertEqual(
            AuditEvent.objects.filter(action="response.submitted").count(), 1
        )
        response.refresh_from_db()
        self.assertEqual(response.status, "submitted")


class SubmitRaceTests(TransactionTestCase):
    """A submit committing while another write is under way: 403 or success, never 500.

    The writer loads the response, then the signatory's submit commits, then the writer
    reaches the row lock: the window in which a rule judged on the copy loaded at the
    start of the request would let the write through, or answer 500.
    """

    def setUp(self) -> None:
        self.campaign = make_campaign()

    def prepared(self) -> tuple[Response, Use, Client, Client]:
        org = make_organisation()
        response = make_response(
            self.campaign, org, answers=complete_org_answers(), status="in_progress"
        )
        use = Use.objects.create(response=response, answers=complete_use_answers())
        writer, signer = Client(), Client()
        writer.force_login(make_user(organisation=org))
        signer.force_login(make_user(organisation=org, role=Membership.Role.SIGNATORY))
        return response, use, writer, signer

    def writes(self, response: Response, use: Use) -> dict[str, tuple[str, dict]]:
        state = {"version": response.version, "loaded": "{}"}
        use_state = {"version": use.version, "loaded": "{}"}
        return {
            "section": (
                reverse("survey-section", args=[response.uuid, "A"]),
                {**state, "A1": "Changed"},
            ),
            "autosave": (
                reverse("survey-autosave", args=[response.uuid, "A"]),
                {**state, "A1": "Changed"},
            ),
            "add use": (reverse("survey-uses", args=[response.uuid]), {}),
            "use": (
                reverse("survey-use", args=[response.uuid, use.uuid]),
                {**use_state, "D1": "Changed"},
            ),
            "use autosave": (
                reverse("survey-use-autosave", args=[response.uuid, use.uuid]),
                {**use_state, "D1": "Changed"},
            ),
            "remove use": (
                reverse("survey-use-delete", args=[response.uuid, use.uuid]),
                {},
            ),
        }

    def in_thread(self, call: Any) -> Any:
        """call() in a thread of its own (its own connection): its result or exception."""
        results: list[Any] = []

        def target() -> None:
            try:
                results.append(call())
            except BaseException as exc:  # noqa: BLE001 - returned to the test
                results.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        return results[0]

    def interleaved(self, name: str) -> None:
        response, use, writer, signer = self.prepared()
        path, data = self.writes(response, use)[name]
        submit = reverse("survey-submit", args=[response.uuid])
        submitted: list[int] = []

        def before_lock(execute: Any, sql: str, *args: Any) -> Any:
            # The first statement of the write's transaction: BEGIN on SQLite,
            # SELECT ... FOR UPDATE on PostgreSQL. The submit commits just before it.
            if not submitted and (sql.startswith("BEGIN") or "FOR UPDATE" in sql):
                submitted.append(
                    self.in_thread(
                        lambda: signer.post(submit, {"confirmed": "1"})
                    ).status_code
                )
            return execute(sql, *args)

        def write() -> Any:
            with connection.execute_wrapper(before_lock):
                return writer.post(path, data)

        reply = self.in_thread(write)
        self.assertEqual(submitted, [302])
        self.assertNotIsInstance(reply, BaseException)
        self.assertEqual(reply.status_code, 403)
        response.refresh_from_db()
        self.assertEqual(response.status, "submitted")
        self.assertEqual(response.answers, complete_org_answers())
        self.assertEqual(
            list(response.uses.values_list("answers", flat=True)),
            [complete_use_answers()],
        )

    def free_race(self, name: str) -> None:
        response, use, writer, signer = self.prepared()
        path, data = self.writes(response, use)[name]
        submit = reverse("survey-submit", args=[response.uuid])
        barrier = threading.Barrier(2)

        def post(client: Client, path: str, data: dict[str, Any]) -> Any:
            barrier.wait()
            return client.post(path, data).status_code

        results: dict[str, Any] = {}

        def run(key: str, client: Client, path: str, data: dict[str, Any]) -> None:
            try:
                results[key] = post(client, path, data)
            except BaseException as exc:  # noqa: BLE001 - asserted below
                results[key] = exc
            finally:
                connection.close()

        threads = [
            threading.Thread(target=run, args=("write", writer, path, data)),
            threading.Thread(
                target=run, args=("submit", signer, submit, {"confirmed": "1"})
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertIn(results["write"], {200, 302, 403}, results)
        # Removing the only use, or adding an empty one, first makes it incomplete.
        self.assertEqual(results["submit"], 302, results)
        submissions = Submission.objects.filter(response=response).count()
        self.assertLessEqual(submissions, 1)
        if results["write"] == 403:
            self.assertEqual(submissions, 1)

    def test_a_submit_between_load_and_lock_is_seen_by_every_write(self) -> None:
        for name in self.writes(*self.prepared()[:2]):
            with self.subTest(write=name):
                self.interleaved(name)

    def test_a_free_race_of_submit_and_each_write_never_answers_500(self) -> None:
        for name in self.writes(*self.prepared()[:2]):
            with self.subTest(write=name):
                self.free_race(name)


# The algorithm and cost of every password hash computed while a counting hasher is in
# PASSWORD_HASHERS: a real hasher that also keeps count, never a stand-in.
HASHES: list[dict[str, Any]] = []


class _Counting:
    def encode(self, password: str, salt: str, *args: Any) -> str:
        encoded = super().encode(password, salt, *args)  # type: ignore[misc]
        parts = self.decode(encoded)  # type: ignore[attr-defined]
        HASHES.append({k: v for k, v in parts.items() if k not in {"hash", "salt"}})
        return encoded


class CountingMD5Hasher(_Counting, MD5PasswordHasher):
    """The test settings' hasher (tests/conftest.py), counted."""


class CountingPBKDF2Hasher(_Counting, PBKDF2PasswordHasher):
    """The production hasher, at its production cost, counted."""


def production_hashers() -> list[str]:
    """PASSWORD_HASHERS as survey/settings.py leaves it (conftest.py swaps it for tests)."""
    module = importlib.import_module(settings.SETTINGS_MODULE)
    return getattr(module, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)


def most_in_an_hour(times: list[datetime]) -> int:
    """The largest number of `times` inside any window of one hour."""
    return max(
        (
            sum(start <= t < start + timedelta(hours=1) for t in times)
            for start in times
        ),
        default=0,
    )


class LoginThrottlingTests(TestCase):
    """Wrong passwords lock the account they name, on both login pages, for everyone."""

    PASSWORD = "correct horse battery"

    @classmethod
    def setUpTestData(cls) -> None:
        org = make_organisation()
        cls.contractor = make_user("pat@alpha.example", org)
        cls.colleague = make_user("sam@alpha.example", org)
        cls.reviewer = make_reviewer(make_campaign())

    def attempt(self, email: str, password: str, page: str = "login") -> Any:
        client = Client()
        return client, client.post(
            reverse(page), {"username": email, "password": password}
        )

    def hammer(self, email: str, page: str = "login", times: int = 30) -> None:
        for _ in range(times):
            self.attempt(email, "wrong password", page)

    def test_thirty_wrong_passwords_stop_the_right_one_on_both_login_pages(
        self,
    ) -> None:
        for user, page in [(self.contractor, "login"), (self.reviewer, "admin:login")]:
            with self.subTest(page=page):
                client, reply = self.attempt(user.email, self.PASSWORD, page)
                self.assertEqual(reply.status_code, 302)
                self.hammer(user.email, page)
                client, reply = self.attempt(user.email, self.PASSWORD, page)
                self.assertEqual(reply.status_code, 429)
                self.assertContains(reply, "Too many failed logins", status_code=429)
                self.assertNotIn("_auth_user_id", client.session)

    def test_the_limit_is_ten_failures(self) -> None:
        """AC-6: N <= 10; nine failures still let the right password in."""
        self.assertLessEqual(settings.AXES_FAILURE_LIMIT, 10)
        self.hammer(self.contractor.email, times=settings.AXES_FAILURE_LIMIT - 1)
        self.assertEqual(
            self.attempt(self.contractor.email, self.PASSWORD)[1].status_code, 302
        )
        self.assertFalse(AuditEvent.objects.filter(action="auth.locked_out").exists())
        with self.assertLogs("survey.audit", "INFO") as logs:
            self.hammer(self.contractor.email, times=settings.AXES_FAILURE_LIMIT)
        self.assertEqual(
            self.attempt(self.contractor.email, self.PASSWORD)[1].status_code, 429
        )
        # Lockouts are logged (AC-6, AC-8): a structured line, the address in the row.
        self.assertTrue(
            any('"event": "auth.locked_out"' in line for line in logs.output)
        )
        event = AuditEvent.objects.filter(action="auth.locked_out").first()
        self.assertEqual(event.details["email"], self.contractor.email)

    def test_the_lock_is_per_account_not_per_office_address(self) -> None:
        self.hammer("PAT@alpha.example ")  # any spelling of the same account counts
        self.assertEqual(
            self.attempt(self.contractor.email, self.PASSWORD)[1].status_code, 429
        )
        # A colleague behind the same address still logs in.
        self.assertEqual(
            self.attempt(self.colleague.email, self.PASSWORD)[1].status_code, 302
        )

    def test_refusals_read_the_same_for_an_unknown_account(self) -> None:
        def text(reply: Any) -> str:
            return re.sub(r'(value|nonce)="[^"]*"', "", reply.content.decode())

        wrong_known = self.attempt(self.contractor.email, "wrong")[1]
        wrong_unknown = self.attempt("nobody@alpha.example", "wrong")[1]
        self.assertEqual(text(wrong_known), text(wrong_unknown))
        self.hammer(self.contractor.email)
        self.hammer("nobody@alpha.example")
        locked_known = self.attempt(self.contractor.email, "wrong")[1]
        locked_unknown = self.attempt("nobody@alpha.example", "wrong")[1]
        self.assertEqual(locked_known.status_code, locked_unknown.status_code)
        self.assertEqual(text(locked_known), text(locked_unknown))
        self.assertNotIn("pat@alpha.example", text(locked_known))

    def test_a_locked_out_user_resets_the_password_and_logs_in(self) -> None:
        self.hammer(self.contractor.email)
        self.client.post(reverse("password_reset"), {"email": self.contractor.email})
        link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body)
        form_page = self.client.get(link.group(1), follow=True)
        new = "a brand new passphrase"
        self.client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": new, "new_password2": new},
        )
        self.assertEqual(self.attempt(self.contractor.email, new)[1].status_code, 302)

    def test_an_admin_lifts_a_lockout_in_the_admin(self) -> None:
        from axes.models import AccessAttempt

        self.hammer(self.contractor.email)
        attempt = AccessAttempt.objects.get(username=self.contractor.email)
        self.client.force_login(make_admin_officer())
        listing = self.client.get(reverse("admin:axes_accessattempt_changelist"))
        self.assertContains(listing, self.contractor.email)
        self.client.post(
            reverse("admin:axes_accessattempt_delete", args=[attempt.pk]),
            {"post": "yes"},
        )
        self.assertFalse(AccessAttempt.objects.exists())
        self.assertEqual(
            self.attempt(self.contractor.email, self.PASSWORD)[1].status_code, 302
        )

    def test_failures_during_a_lockout_do_not_prolong_it(self) -> None:
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            self.hammer(self.contractor.email, times=10)
        with time_machine.travel(start + timedelta(minutes=10), tick=False):
            self.hammer(self.contractor.email, times=10)
            self.assertEqual(
                self.attempt(self.contractor.email, self.PASSWORD)[1].status_code, 429
            )
        with time_machine.travel(start + timedelta(minutes=16), tick=False):
            self.assertEqual(
                self.attempt(self.contractor.email, self.PASSWORD)[1].status_code, 302
            )

    @override_settings(PASSWORD_HASHERS=["tests.test_views_security.CountingMD5Hasher"])
    def test_an_hour_of_guessing_checks_at_most_100_passwords(self) -> None:
        """AC-6: at most 100 failures per account per hour, on both login pages at once.

        Each minute for 75 minutes the attacker guesses until the lock refuses a
        guess; only guesses that reached the password check count (a hash computed).
        Meanwhile a colleague behind the same address logs in: the lock is the account's.
        """
        checked: list[datetime] = []
        pages = itertools.cycle(["login", "admin:login"])
        guesses = itertools.count()
        with time_machine.travel(timezone.now(), tick=False) as clock:
            for _minute in range(75):
                for _ in range(settings.AXES_FAILURE_LIMIT + 2):
                    hashed = len(HASHES)
                    reply = self.attempt(
                        self.reviewer.email, f"guess {next(guesses)}", next(pages)
                    )[1]
                    if len(HASHES) > hashed:
                        checked.append(timezone.now())
                    if reply.status_code == 429:  # the lock page, locking or locked
                        break
                    self.assertEqual(reply.status_code, 200)
                else:
                    self.fail("a burst of guesses was never refused")
                if checked and checked[-1] == timezone.now():  # locked just now
                    self.assertEqual(
                        self.attempt(self.colleague.email, self.PASSWORD)[
                            1
                        ].status_code,
                        302,
                    )
                clock.shift(timedelta(minutes=1))
        most = most_in_an_hour(checked)
        self.assertLessEqual(most, 100)
        # The lock lifted and guessing went on: the walk crossed several cool-offs.
        self.assertGreater(len(checked), 2 * settings.AXES_FAILURE_LIMIT)
        self.assertLessEqual(
            most,
            settings.AXES_FAILURE_LIMIT
            * (timedelta(hours=1) // settings.AXES_COOLOFF_TIME + 1),
        )

    def test_an_unknown_account_costs_the_same_hash_as_a_wrong_password(self) -> None:
        """AC-6: either refusal computes exactly one hash, of the production algorithm
        at its production cost, on both login pages, so that neither answers sooner
        (`make bench` times the two: login_unknown_account, login_wrong_password)."""
        self.assertTrue(
            issubclass(CountingPBKDF2Hasher, import_string(production_hashers()[0]))
        )
        production = {
            "algorithm": PBKDF2PasswordHasher.algorithm,
            "iterations": PBKDF2PasswordHasher.iterations,
        }
        with override_settings(
            PASSWORD_HASHERS=["tests.test_views_security.CountingPBKDF2Hasher"]
        ):
            known = make_user("kim@alpha.example")
            for page in ["login", "admin:login"]:
                for email in [known.email, "nobody@alpha.example"]:
                    with self.subTest(page=page, email=email):
                        HASHES.clear()
                        reply = self.attempt(email, "wrong password", page)[1]
                        self.assertEqual(reply.status_code, 200)
                        self.assertEqual(HASHES, [production])

    def test_reviewers_cannot_see_login_attempts(self) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(reverse("admin:axes_accessattempt_changelist"))
        self.assertEqual(page.status_code, 403)


class OddRequestTests(TestCase):
    """NUL characters, malformed ids and unserved methods: 400, 404 or 405, never 500.

    Each sweep walks every URL pattern of the site, the admin included, so a new page
    is covered without editing this test. PostgreSQL is where a NUL used to be a 500.
    """

    @classmethod
    def setUpTestData(cls) -> None:
        cls.superuser = User.objects.create_superuser("root@example.com", "x" * 16)
        org = make_organisation()
        cls.contractor = make_user(organisation=org)
        cls.response = make_response(make_campaign(), org)
        cls.theirs = make_response(cls.response.campaign)

    def client_for(self, user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    def test_a_nul_in_any_path_or_query_is_400_for_everyone(self) -> None:
        paths = url_samples()
        for user in [None, self.contractor, self.superuser]:
            client = self.client_for(user)
            for path in paths:
                for target in [path + "%00", path + "?q=%00", path + "?%00=1"]:
                    for method in [client.get, client.post]:
                        with self.subTest(user=str(user), target=target):
                            self.assertEqual(method(target).status_code, 400)

    def test_the_reported_nul_requests_are_400_and_audited(self) -> None:
        contractor = self.client_for(self.contractor)
        mine, theirs = self.response.uuid, self.theirs.uuid
        for path in [
            f"/r/{mine}/s/%00/",
            f"/r/{mine}/s/%00/autosave",
            f"/r/{theirs}/s/%00/",
        ]:
            with self.subTest(path=path):
                self.assertEqual(contractor.get(path).status_code, 400)
                self.assertEqual(contractor.post(path).status_code, 400)
        event = AuditEvent.objects.filter(
            action="access.denied", details__path=f"/r/{theirs}/s//"
        ).first()
        self.assertIsNotNone(event)
        self.assertEqual(event.ip, "127.0.0.1")
        admin = self.client_for(self.superuser)
        for path in [
            "/manage/survey/response/%00/change/",
            "/manage/survey/attachment/%00/download/",
            "/manage/survey/response/?status__exact=%00",
            "/manage/autocomplete/?term=%00&app_label=survey&model_name=organisation"
            "&field_name=parent",
        ]:
            with self.subTest(path=path):
                self.assertEqual(admin.get(path).status_code, 400)

    def test_a_nul_in_a_form_field_or_a_cookie_is_400(self) -> None:
        login = reverse("login")
        self.assertEqual(
            Client()
            .post(login, {"username": "a\x00@b.example", "password": "x"})
            .status_code,
            400,
        )
        section = reverse("survey-section", args=[self.response.uuid, "A"])
        contractor = self.client_for(self.contractor)
        self.assertEqual(contractor.post(section, {"A1": "x\x00y"}).status_code, 400)
        self.response.refresh_from_db()
        self.assertEqual(self.response.answers, {})
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijkl"
        self.assertEqual(client.get("/").status_code, 400)

    def test_out_of_range_dates_in_admin_filters_are_not_a_500(self) -> None:
        admin = self.client_for(self.superuser)
        for query in [
            "/manage/survey/auditevent/?at__year=9999&at__month=12&at__day=31",
            "/manage/survey/auditevent/?at__gte=99999-12-31",
            "/manage/survey/response/?submitted_at__gte=10000-01-01",
            "/manage/survey/response/?extended_deadline__gte=9999-12-31+23:59:59",
        ]:
            with self.subTest(query=query):
                self.assertIn(admin.get(query).status_code, {200, 302, 400})

    def test_a_nul_in_a_header_is_400_before_the_login_is_counted(self) -> None:
        from axes.models import AccessAttempt

        reply = Client(HTTP_USER_AGENT="a\x00b").post(
            reverse("login"), {"username": self.contractor.email, "password": "x"}
        )
        self.assertEqual(reply.status_code, 400)
        self.assertFalse(AccessAttempt.objects.exists())

    def test_the_audit_writer_drops_nul_characters(self) -> None:
        event = AuditEvent.record(
            "access.denied", path="/a\x00b", nested={"k\x00": ["v\x00", 1]}
        )
        event.refresh_from_db()
        self.assertEqual(event.details, {"path": "/ab", "nested": {"k": ["v", 1]}})

    def test_malformed_ids_are_404_in_the_admin_pages_of_our_own(self) -> None:
        admin = self.client_for(self.superuser)
        pages = [
            "/manage/survey/campaign/abc/progress/",
            *(
                f"/manage/survey/response/abc/{page}/"
                for page in [
                    "diff",
                    "return",
                    "override",
                    "extension",
                    "reopen",
                    "withdraw",
                    "workflow",
                ]
            ),
        ]
        for path in pages:
            with self.subTest(path=path):
                # The workflow page only takes POST: its GET is 405 before any lookup.
                expected = 405 if path.endswith("/workflow/") else 404
                self.assertEqual(admin.get(path).status_code, expected)
                self.assertEqual(admin.post(path).status_code, 404)

    def test_malformed_ids_anywhere_are_never_a_500(self) -> None:
        for user in [None, self.contractor, self.superuser]:
            client = self.client_for(user)
            for path in url_samples("abc"):
                with self.subTest(user=str(user), path=path):
                    self.assertLess(client.get(path).status_code, 500)

    def test_unserved_methods_are_405_everywhere(self) -> None:
        for user in [None, self.superuser]:
            client = self.client_for(user)
            for path in url_samples():
                for method in ["TRACE", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT"]:
                    with self.subTest(user=str(user), path=path, method=method):
                        self.assertEqual(client.generic(method, path).status_code, 405)

    def test_pages_answer_only_the_methods_they_serve(self) -> None:
        contractor = self.client_for(self.contractor)
        self.assertEqual(contractor.post("/").status_code, 405)
        self.assertEqual(contractor.head("/").status_code, 200)
        review = reverse("survey-review", args=[self.response.uuid])
        self.assertEqual(contractor.post(review).status_code, 405)
        self.assertEqual(contractor.head(review).status_code, 200)


class SessionEndpointTests(TestCase):
    """AC-5's session endpoint (the expiry warning's): a login, the CSRF token for
    POST, and only GET and POST."""

    def test_it_refuses_anonymous_users_other_methods_and_forged_posts(self) -> None:
        url = reverse("survey-session")
        self.assertIn(url, url_samples())
        for method in (Client().get, Client().post):
            self.assertEqual(method(url).status_code, 401)
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user(organisation=make_organisation()))
        self.assertEqual(client.head(url).status_code, 405)
        self.assertEqual(client.post(url).status_code, 403)
        self.assertEqual(client.get(url).json()["status"], "ok")


class RequestLimitTests(TestCase):
    """IN-3: a body over Django's limits is a 400 on every write path, and saves nothing."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.response = make_response(answers={"A1": "Kept"})
        cls.user = make_user(organisation=cls.response.organisation)

    def paths(self) -> list[str]:
        return [
            reverse("survey-section", args=[self.response.uuid, "A"]),
            reverse("survey-autosave", args=[self.response.uuid, "A"]),
        ]

    def assert_refused(self, data: dict[str, Any]) -> None:
        self.client.force_login(self.user)
        for path in self.paths():
            with self.subTest(path=path):
                before = snapshot()
                reply = self.client.post(path, data)
                self.assertEqual(reply.status_code, 400)
                self.assertEqual(snapshot(), before)

    def test_a_body_over_the_upload_limit_is_400(self) -> None:
        self.assert_refused(
            {"version": "1", "A1": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
        )

    def test_too_many_fields_are_400(self) -> None:
        fields = {
            f"Z{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)
        }
        self.assert_refused({"version": "1", "A1": "Changed", **fields})
