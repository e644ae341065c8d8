"""AC-1: every URL pattern of the site, the admin included, swept for who may open it.

The list of patterns is the URLconf itself (tests/routes.py walks the resolver), filled
with the ids of real objects built here: a submitted response of organisation A with a
use, an attachment, a review comment, a reminder, an export job... in campaign A. Each
pattern is requested with GET and POST:

- anonymously: a redirect to a login page, or 401/403/404/405; the few public pages
  (routes.PUBLIC) may answer, but never with data, and nothing answers 500;
- as a user of organisation B: A's contractor pages are 404, the admin is closed;
- for the admin's patterns, as A's own contractor (closed) and as a reviewer assigned
  to campaign B only (A's objects are 403/404, the lists show nothing of A).

"Data" is any of A's distinctive strings (MARK), searched in every reply. Each sweep
records the patterns it requested and fails listing any it did not, so that a pattern
nobody requests, or one it cannot fill or classify, fails the suite with its name. A
superuser opens every admin page with the same ids (no 500), and ?next= never leads
off the site. No request of a sweep changes a row (compared by digest).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client, TestCase
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from survey.models import (
    Attachment,
    AuditEvent,
    ExportJob,
    IntermediaryAlias,
    Invitation,
    Membership,
    ReminderSent,
    ReviewComment,
    ScoringVersion,
    Use,
    User,
)
from survey.roles import ensure_staff_groups
from tests import routes
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
)
from tests.review_helpers import make_admin_officer, make_reviewer

# In every string of A's that a page could show; never in a reply to the sweeps' users.
MARK = "Sweepmark"
METHODS = ("get", "post")
# What the sweeps post: answers, in case a page took them (no MARK: pages reflect it).
POSTED = {"A1": "Injected", "D1": "Injected", "text": "Injected"}
# Redirects to these pages ask for (more) authentication: a login page, or a step of
# the staff's second factor. Nothing is shown there.
LOGIN_PAGE = re.compile(r"(^|:)login$|(^|[:-])mfa-")


def snapshot() -> str:
    """A digest of every row of the survey's tables (audit trail and last logins aside):
    equal digests mean that no request of a sweep changed anything."""
    rows = []
    for model in apps.get_app_config("survey").get_models():
        if model is AuditEvent:
            continue
        values = model._default_manager.order_by("pk").values()
        rows.append([{k: v for k, v in r.items() if k != "last_login"} for r in values])
    text = json.dumps(rows, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def is_login_page(location: str) -> bool:
    try:
        name = resolve(urlsplit(location).path).view_name or ""
    except Resolver404:
        return False
    return bool(LOGIN_PAGE.search(name))


class Sweep:
    """Requests routes as one user (None: anonymously), and says what went wrong."""

    def __init__(self, test: SweepTestCase, user: User | None) -> None:
        self.test = test
        self.user = user
        self.client = Client()
        self.exercised: set[str] = set()
        self.problems: list[str] = []

    def fresh_client(self) -> Client:
        # A POST to a logout page ends the session: log in again for the next request.
        if self.user is not None and SESSION_KEY not in self.client.session:
            self.client.force_login(self.user)
        return self.client

    def run(
        self,
        chosen: list[routes.Route],
        judge: Callable[[routes.Route, str, Any], str],
    ) -> None:
        """GET and POST each route; fail listing every problem and every route the
        server never resolved (the registry: what was requested, not what was meant)."""
        for route in chosen:
            path = route.path(self.test.samples(route))
            for method in METHODS:
                data = POSTED if method == "post" else None
                reply = getattr(self.fresh_client(), method)(path, data)
                self.exercised.add(reply.resolver_match.route)
                reply = self.followed(reply)
                verdict = judge(route, method, reply)
                # getvalue(): file downloads stream their content.
                if not verdict and MARK.encode() in reply.getvalue():
                    verdict = "shows data of A"
                if not verdict and reply.status_code >= 500:
                    verdict = "server error"
                if verdict:
                    where = reply.get("Location", "")
                    self.problems.append(
                        f"{method.upper()} {path} ({route.label}) → "
                        f"{reply.status_code} {where}: {verdict}"
                    )
        missed = sorted(r.label for r in chosen if r.route not in self.exercised)
        self.test.assertEqual(missed, [], "URL patterns this sweep never requested")
        self.test.assertEqual(self.problems, [], "\n" + "\n".join(self.problems))

    def followed(self, reply: Any) -> Any:
        """A redirect to anything but a login page is followed (the admin's bare object
        URL sends to its change page): what counts is the page reached."""
        for _hop in range(3):
            location = reply.get("Location", "")
            if reply.status_code not in (301, 302) or is_login_page(location):
                return reply
            if urlsplit(location).netloc:
                return reply  # off the site: judged as it is
            reply = self.fresh_client().get(location)
        return reply


def closed(reply: Any, *codes: int) -> bool:
    """Refused: sent to log in, or one of `codes`."""
    if reply.status_code in (301, 302):
        return is_login_page(reply["Location"])
    return reply.status_code in codes


class SweepTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        ensure_staff_groups()
        cls.officer = make_admin_officer()
        cls.campaign_a = make_campaign(title="Campaign A")
        cls.campaign_b = make_campaign(title="Campaign B")
        cls.org_a = make_organisation(legal_name=f"{MARK} Systems")
        cls.org_b = make_organisation(legal_name="Beta Works")
        cls.a1 = make_user("a1@alpha.example", cls.org_a)
        signatory = make_user(
            "a2@alpha.example", cls.org_a, role=Membership.Role.SIGNATORY
        )
        cls.b1 = make_user("b1@beta.example", cls.org_b, Membership.Role.SIGNATORY)
        cls.reviewer_b = make_reviewer(cls.campaign_b)
        answers = complete_org_answers(A1=f"{MARK} Systems Inc.", F2=f"{MARK} Signer")
        cls.response_a = make_response(cls.campaign_a, cls.org_a, answers=answers)
        cls.use_a = Use(
            response=cls.response_a,
            position=1,
            answers=complete_use_answers(D1=f"{MARK} drafting"),
        )
        cls.use_a.refresh_derived(cls.campaign_a.questionnaire.parsed, answers)
        cls.use_a.save()
        cls.attachment_a = Attachment.objects.create(
            response=cls.response_a,
            question_id="E1b",
            name=f"{MARK}-plan.pdf",
            content_type="application/pdf",
            size=15,
            sha256="0" * 64,
            content=f"%PDF- {MARK}".encode(),
            uploaded_by=cls.a1,
        )
        cls.response_a.submit(signatory, ip="192.0.2.1", at=timezone.now())
        ReviewComment.objects.create(
            response=cls.response_a,
            question_id="A1",
            text=f"{MARK}: check the name",
            author=cls.officer,
        )
        ReminderSent.objects.create(
            response=cls.response_a, offset_hours=24, deadline=cls.campaign_a.deadline
        )
        ExportJob.objects.create(campaign=cls.campaign_a, requested_by=cls.officer)
        ScoringVersion.objects.create(
            campaign=cls.campaign_a, number=1, config={}, note=f"{MARK} defaults"
        )
        AuditEvent.record(
            "response.viewed",
            obj=cls.response_a,
            organisation=cls.org_a,
            campaign=cls.campaign_a,
            note=MARK,
        )
        # Organisation B answers campaign A too (the same campaign, another organisation)
        # and campaign B, the only one its reviewer is assigned to.
        make_response(cls.campaign_a, cls.org_b)
        make_response(cls.campaign_b, cls.org_b)
        cls.invitation, cls.invitation_token = Invitation.issue(
            cls.org_b, "new@beta.example", Membership.Role.PREPARER
        )
        IntermediaryAlias.objects.create(key="aws bedrock", platform="Amazon Bedrock")
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            extra = {"get_data": "", "post_data": "", "failures_since_start": 1}
            model.objects.create(
                username="a1@alpha.example",
                ip_address="192.0.2.9",
                user_agent="sweep",
                http_accept="*/*",
                path_info="/accounts/login/",
                **(extra if model is AccessAttempt else {}),
            )
        # Second factors of staff (django-otp), when installed: one device of each kind.
        for label, model_name in [
            ("otp_totp", "TOTPDevice"),
            ("otp_static", "StaticDevice"),
        ]:
            if apps.is_installed(f"django_otp.plugins.{label}"):
                device = apps.get_model(label, model_name)
                device.objects.create(user=cls.officer, name=f"{label} device")
        DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="survey.tasks.build_export",
            backend_name="default",
            run_after=timezone.now(),
            exception_class_path="",
            traceback="",
        )

    def samples(self, route: routes.Route) -> dict[str, Any]:
        """Real ids of A's objects for every keyword a pattern may take."""
        return routes.Samples(
            self.response_a,
            self.use_a,
            self.attachment_a,
            self.a1,
            self.invitation_token,
        ).for_route(route)

    def scoped(self, route: routes.Route) -> bool:
        """An admin page about one object of a model scoped by campaign."""
        if not routes.OBJECT_KEYWORDS & set(route.kwargs):
            return False
        if "content_type_id" in route.kwargs:
            return True
        return routes.scoped_admin(route.admin_model())


class EveryPatternTests(SweepTestCase):
    def test_every_pattern_has_a_kind(self) -> None:
        self.assertEqual(routes.unclassified(), [])

    def test_every_keyword_has_a_sample(self) -> None:
        for route in routes.all_routes():
            with self.subTest(route=route.label):
                route.path(self.samples(route))

    def test_a_pattern_it_cannot_fill_or_classify_fails_by_name(self) -> None:
        odd = routes.Route("things/<int:thing>/", "survey-thing", "", ("thing",))
        with self.assertRaisesMessage(routes.Unclassified, "'survey-thing'"):
            odd.kind  # noqa: B018 - the property raises
        new = routes.Route(
            "r/<uuid:response_uuid>/notes/<int:note>/",
            "survey-note",
            "",
            ("response_uuid", "note"),
        )
        self.assertEqual(new.kind, routes.KIND_RESPONSE)
        with self.assertRaisesMessage(routes.Unclassified, "note of 'survey-note'"):
            new.path(self.samples(new))

    def test_the_public_pages_are_few(self) -> None:
        self.assertLessEqual(len(routes.PUBLIC), 5)
        names = {r.name for r in routes.all_routes()}
        self.assertEqual(routes.PUBLIC_NAMES - names, set(), "stale public names")


class OpenRedirectTests(SweepTestCase):
    EVIL = "https://evil.example/"

    def assert_stays(self, reply: Any, where: str) -> None:
        self.assertIn(reply.status_code, (301, 302), where)
        self.assertIn(urlsplit(reply["Location"]).netloc, ("", "testserver"), where)

    def test_next_never_leaves_the_site(self) -> None:
        """AC-1: ?next= on the login pages, logging out and the language switch."""
        for name in sorted(routes.PUBLIC["log in"]):
            staff = name.startswith("admin:")
            user = make_admin_officer() if staff else self.a1
            path = reverse(name) + "?" + urlencode({"next": self.EVIL})
            reply = Client().post(
                path, {"username": user.email, "password": "correct horse battery"}
            )
            self.assert_stays(reply, f"POST {name}")
            client = Client()
            client.force_login(user)
            if not staff:  # the contractors' page sends a logged-in user on
                self.assert_stays(client.get(path), f"GET {name} logged in")
        for name in ["logout", "set_language"]:
            client = Client()
            client.force_login(self.a1)
            reply = client.post(reverse(name), {"next": self.EVIL, "language": "fr"})
            self.assert_stays(reply, name)


class AnonymousSweepTests(SweepTestCase):
    def test_every_pattern_refuses_anonymous_users(self) -> None:
        def judge(route: routes.Route, method: str, reply: Any) -> str:
            if route.kind == routes.KIND_PUBLIC:
                return ""
            if closed(reply, 401, 403, 404, 405):
                return ""
            return "open to anonymous users"

        before = snapshot()
        Sweep(self, None).run(list(routes.all_routes()), judge)
        self.assertEqual(snapshot(), before)


class OtherOrganisationSweepTests(SweepTestCase):
    def test_every_pattern_is_404_or_closed_to_another_organisation(self) -> None:
        def judge(route: routes.Route, method: str, reply: Any) -> str:
            if route.kind == routes.KIND_RESPONSE:
                # 405: a page that does not serve this method says so before any lookup.
                if reply.status_code == 405:
                    return ""
                if reply.status_code != 404:
                    return "not 404"
                # AC-2: every refused lookup leaves a security line, this one's.
                last = AuditEvent.objects.order_by("-pk").first()
                if (
                    last is None
                    or last.action != "access.denied"
                    or last.actor_id != self.b1.pk
                    or last.details.get("path") != reply.request["PATH_INFO"]
                ):
                    return "404 not audited"
                return ""
            if route.kind == routes.KIND_ADMIN:
                return "" if closed(reply, 403, 404, 405) else "admin open"
            return ""  # their own pages, public or not: only the leak check applies

        before = snapshot()
        denied = AuditEvent.objects.filter(action="access.denied").count()
        Sweep(self, self.b1).run(list(routes.all_routes()), judge)
        self.assertEqual(snapshot(), before)
        self.assertGreater(
            AuditEvent.objects.filter(action="access.denied").count(), denied
        )


class AdminSweepTests(SweepTestCase):
    def test_the_admin_is_closed_to_contractors(self) -> None:
        def judge(route: routes.Route, method: str, reply: Any) -> str:
            if route.name in routes.PUBLIC_NAMES:
                return ""
            return "" if closed(reply, 403, 404, 405) else "admin open"

        before = snapshot()
        Sweep(self, self.a1).run(routes.admin_routes(), judge)
        self.assertEqual(snapshot(), before)

    def test_a_reviewer_of_another_campaign_sees_nothing_of_it(self) -> None:
        def judge(route: routes.Route, method: str, reply: Any) -> str:
            if self.scoped(route):
                return "" if closed(reply, 403, 404, 405) else "not 403/404"
            return ""  # lists and shared records: only the leak check applies

        before = snapshot()
        Sweep(self, self.reviewer_b).run(routes.admin_routes(), judge)
        self.assertEqual(snapshot(), before)

    def test_every_admin_page_opens_for_a_superuser_without_error(self) -> None:
        """The same real ids, GET only: no page of the admin answers 500 to its owner."""
        root = User.objects.create_superuser("root@example.com", "x" * 16)
        client = Client()
        problems = []
        for route in routes.routes_of(routes.KIND_ADMIN):
            if route.name == "admin:logout":
                continue
            client.force_login(root)
            path = route.path(self.samples(route))
            status = client.get(path).status_code
            if status >= 500:
                problems.append(f"GET {path} ({route.label}) → {status}")
        self.assertEqual(problems, [])


class CsrfSweepTests(SweepTestCase):
    """AC-7: every pattern refuses a POST without a CSRF token, or with another
    session's, before its view runs: the stale-page 403, and no row changes."""

    def test_every_post_without_a_valid_token_is_refused(self) -> None:
        mine, theirs = Client(), Client()
        mine.get(reverse("login"))
        page = theirs.get(reverse("login")).content.decode()
        foreign = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert foreign is not None
        cookie = mine.cookies[settings.CSRF_COOKIE_NAME].value
        root = User.objects.create_superuser("root@example.com", "x" * 16)
        owners = [
            (self.a1, routes.routes_of(routes.KIND_RESPONSE, routes.KIND_SITE)),
            (None, routes.routes_of(routes.KIND_PUBLIC)),
            (root, routes.admin_routes()),
        ]
        before = snapshot()
        problems, exercised = [], set()
        for user, chosen in owners:
            for route in chosen:
                path = route.path(self.samples(route))
                for token in [None, foreign.group(1)]:
                    client = Client(enforce_csrf_checks=True)
                    client.cookies[settings.CSRF_COOKIE_NAME] = cookie
                    if user is not None:
                        client.force_login(user)
                    data = dict(POSTED)
                    if token:
                        data["csrfmiddlewaretoken"] = token
                    reply = client.post(path, data)
                    exercised.add(route.label)
                    stale = any(t.name == "survey/stale.html" for t in reply.templates)
                    if reply.get("Content-Type") == "application/json":
                        stale = reply.json().get("status") == "stale"
                    if reply.status_code != 403 or not stale:
                        problems.append(
                            f"POST {path} ({route.label}, token={bool(token)}) → "
                            f"{reply.status_code}"
                        )
        self.assertEqual(problems, [], "\n" + "\n".join(problems))
        self.assertEqual(snapshot(), before)
        self.assertEqual(
            sorted(r.label for r in routes.all_routes() if r.label not in exercised), []
        )


class NoStoreSweepTests(SweepTestCase):
    """DH-1: every page a logged-in owner opens is sent with Cache-Control: no-store, so
    that no browser or proxy cache keeps answers."""

    def test_every_page_with_data_is_no_store(self) -> None:
        root = User.objects.create_superuser("root@example.com", "x" * 16)
        owners = [
            (self.a1, routes.routes_of(routes.KIND_RESPONSE, routes.KIND_SITE)),
            (root, routes.admin_routes()),
        ]
        # No data on these: Django's own password-change pages and its JavaScript
        # translation catalogue.
        exempt = {
            "logout",
            "admin:logout",
            "admin:password_change",
            "admin:password_change_done",
            "admin:jsi18n",
        }
        problems = []
        for user, chosen in owners:
            for route in chosen:
                if route.name in exempt:
                    continue
                client = Client()
                client.force_login(user)
                reply = client.get(route.path(self.samples(route)))
                if reply.status_code == 200 and "no-store" not in reply.get(
                    "Cache-Control", ""
                ):
                    problems.append(f"{route.label}: {reply.get('Cache-Control')}")
        self.assertEqual(problems, [], "\n" + "\n".join(problems))


class SafeMethodSweepTests(SweepTestCase):
    """AC-7: GET, HEAD and OPTIONS by the owners themselves, on every pattern, change no
    row (the audit trail aside) and never answer 500.

    One documented exception: the first visit of a section page records when the
    organisation opened the response (`opened_at`, the progress page's first stage; no
    answer). That first GET is made before the check, which then holds for every later
    request."""

    def test_safe_methods_change_nothing(self) -> None:
        root = User.objects.create_superuser("root@example.com", "x" * 16)
        owners = [
            (self.a1, routes.routes_of(routes.KIND_RESPONSE, routes.KIND_SITE)),
            (None, routes.routes_of(routes.KIND_PUBLIC)),
            (root, routes.admin_routes()),
        ]
        problems = []
        for user, chosen in owners:
            for route in chosen:
                path = route.path(self.samples(route))
                for method in ("get", "head", "options"):
                    client = Client()
                    if user is not None:
                        client.force_login(user)
                    if route.name == "survey-section":
                        client.get(path)
                    mark = snapshot()
                    reply = getattr(client, method)(path)
                    if snapshot() != mark:
                        problems.append(f"{method.upper()} {route.label}: changed")
                    if reply.status_code >= 500:
                        problems.append(f"{method.upper()} {route.label}: 500")
        self.assertEqual(problems, [], "\n" + "\n".join(problems))
