"""AC-8: no log line of a whole contractor journey holds a secret.

The journey runs through the test client with CSRF checks on, as a browser: accept an
invitation by its token, log in, answer every page with marker strings in the text
answers, autosave, add a use, submit, fail a login with a marker password, reset the
password by email, open the spent invitation link again, and post a form with a stale
CSRF token. Every record of every logger is captured (a handler on the root logger and
on any logger that does not propagate, at DEBUG), its message, traceback and extra
attributes rendered; then each secret is searched for: the answers, the passwords, every
session key and CSRF token the client held, the invitation and reset tokens.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core import mail
from django.http import HttpRequest
from django.test import Client, SimpleTestCase, TestCase
from django.urls import reverse

from survey.emails import send_invitation
from survey.logs import MASK, mask_link_tokens
from survey.models import AuditEvent, Invitation, Membership, Response, User
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
)
from tests.journey import (
    answer_everything,
    csrf_token,
    page_data,
    post_form,
    submit,
)

PASSWORD = "Pw-canary-5e1f correct horse"
WRONG_PASSWORD = "Pw-canary-0bad wrong horse"
NEW_PASSWORD = "Pw-canary-77aa battery staple"
# One per text answer: the organisation's and the use's free text.
ANSWERS = {
    "A1": "Answer-canary-A1 Widgets LLC",
    "A6": "Answer-canary-A6 program",
    "B6a": "Answer-canary-B6a how we looked",
    "F1": "Answer-canary-F1 Pat",
    "F2": "Answer-canary-F2 Alex, VP",
    "D1": "Answer-canary-D1 drafting",
    "D3": "Answer-canary-D3 bedrock",
    "D5a": "Answer-canary-D5a other program",
    "autosave": "Answer-canary-autosaved",
}
# Attributes every LogRecord has; anything else was added by the caller (extra=).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class Capture(logging.Handler):
    """Every record as the project's handlers see it (through their filters): message,
    traceback and extra fields (but the request object, which they do not print)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        for handler in logging.getLogger().handlers:
            for log_filter in handler.filters:
                self.addFilter(log_filter)

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, record.levelname, record.getMessage()]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            parts.append(record.stack_info)
        extras = {
            k: v
            for k, v in vars(record).items()
            if k not in _STANDARD and not isinstance(v, HttpRequest)
        }
        if extras:
            parts.append(repr(extras))
        self.lines.append(" ".join(parts))


@contextmanager
def every_log_record() -> Iterator[Capture]:
    capture = Capture()
    root = logging.getLogger()
    # Records of loggers that do not propagate never reach the root's handlers.
    loggers = [root] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        for logger in loggers:
            logger.removeHandler(capture)
            logger.setLevel(levels[logger])


class LogSecretsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_campaign()
        cls.org = make_organisation(legal_name="Canary Works")
        cls.response = make_response(cls.campaign, cls.org)

    def setUp(self) -> None:
        self.secrets: dict[str, str] = {
            f"answer {k}": v for k, v in ANSWERS.items() if k != "F1"
        }
        self.secrets |= {
            "answer F1": ANSWERS["F1"],
            "password": PASSWORD,
            "wrong password": WRONG_PASSWORD,
            "new password": NEW_PASSWORD,
        }

    def keep(self, client: Client, label: str) -> None:
        """Note the session key and CSRF secret the client holds now."""
        for name, kind in [
            (settings.SESSION_COOKIE_NAME, "session key"),
            (settings.CSRF_COOKIE_NAME, "CSRF token"),
        ]:
            cookie = client.cookies.get(name)
            if cookie is not None and cookie.value:
                self.secrets[f"{kind} ({label})"] = cookie.value

    def keep_token(self, page: Any, label: str) -> None:
        if token := csrf_token(page):
            self.secrets[f"CSRF form token ({label})"] = token

    def journey(self) -> None:
        invitation, token = Invitation.issue(
            self.org, "pat@canary.example", Membership.Role.SIGNATORY
        )
        send_invitation(invitation, token)
        link = re.search(r"https?://[^/]+(/invite/\S+/)", mail.outbox[-1].body)
        assert link is not None
        self.secrets["invitation token"] = token
        path = link.group(1)
        browser = Client(enforce_csrf_checks=True)
        # A stale form first (a cookie from another tab): the POST is refused.
        page = browser.get(path)
        self.keep(browser, "invitation")
        self.keep_token(page, "invitation")
        browser.cookies[settings.CSRF_COOKIE_NAME] = "x" * 32
        stale = browser.post(path, {"csrfmiddlewaretoken": "y" * 32})
        self.assertEqual(stale.status_code, 403)
        accepted = post_form(
            browser,
            path,
            {
                "full_name": "Pat Canary",
                "new_password1": PASSWORD,
                "new_password2": PASSWORD,
            },
        )
        self.assertRedirects(accepted, reverse("survey-home"))
        self.keep(browser, "after the invitation")
        # The link again, spent: a 404.
        self.assertEqual(browser.get(path).status_code, 404)

        # Log out, then in again by the login page.
        home = browser.get(reverse("survey-home"))
        browser.post(reverse("logout"), {"csrfmiddlewaretoken": csrf_token(home)})
        login = reverse("login")
        page = browser.get(login)
        self.keep(browser, "before login")
        reply = browser.post(
            login,
            {
                "username": "pat@canary.example",
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf_token(page),
            },
        )
        self.assertEqual(reply.status_code, 302)
        self.keep(browser, "logged in")

        org = complete_org_answers(
            A1=ANSWERS["A1"],
            A6=[{"piid": "W56HZV-24-C-0101", "program": ANSWERS["A6"]}],
            B6a=ANSWERS["B6a"],
            F1={
                "name": ANSWERS["F1"],
                "title": "Manager",
                "email": "pat@canary.example",
                "phone": "+1 555 0100",
            },
            F2=ANSWERS["F2"],
        )
        use = complete_use_answers(
            D1=ANSWERS["D1"], D3=ANSWERS["D3"], D5a=ANSWERS["D5a"]
        )
        for reply in answer_everything(browser, self.response, org, [use]):
            self.assertEqual(reply.status_code, 302, reply.content[:300])
        self.keep(browser, "answered")
        # An autosave of a text answer (the script sends the whole form).
        first = self.campaign.questionnaire.parsed.sections[0]
        section = reverse("survey-section", args=[self.response.uuid, first.id])
        page = browser.get(section)
        self.keep_token(page, "section A")
        saved = browser.post(
            reverse("survey-autosave", args=[self.response.uuid, first.id]),
            {
                **page_data(first, org),
                "csrfmiddlewaretoken": csrf_token(page),
                "version": page.context["version"],
                "loaded": page.context["loaded"],
                "A1": ANSWERS["autosave"],
            },
        )
        self.assertEqual(saved.json()["status"], "saved")
        # The same form posted after the token changed (a login in another tab).
        browser.cookies[settings.CSRF_COOKIE_NAME] = "z" * 32
        self.assertEqual(browser.post(section, {"A1": "x"}).status_code, 403)
        browser.get(section)
        self.keep(browser, "new CSRF token")
        submitted = submit(browser, self.response)
        self.assertRedirects(
            submitted, reverse("survey-receipt", args=[self.response.uuid])
        )
        self.assertEqual(
            Response.objects.get(pk=self.response.pk).status,
            Response.Status.SUBMITTED,
        )

        # A wrong password, then a reset by email.
        other = Client(enforce_csrf_checks=True)
        page = other.get(login)
        self.keep(other, "wrong password")
        refused = other.post(
            login,
            {
                "username": "pat@canary.example",
                "password": WRONG_PASSWORD,
                "csrfmiddlewaretoken": csrf_token(page),
            },
        )
        self.assertEqual(refused.status_code, 200)
        reset_page = reverse("password_reset")
        sent = post_form(other, reset_page, {"email": "pat@canary.example"})
        self.assertEqual(sent.status_code, 302)
        link = re.search(
            r"https?://[^/]+(/accounts/reset/([^/]+)/([^/]+)/)", mail.outbox[-1].body
        )
        assert link is not None
        self.secrets["reset token"] = link.group(3)
        form = other.get(link.group(1))
        self.assertEqual(form.status_code, 302)
        done = post_form(
            other,
            form["Location"],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        self.assertEqual(done.status_code, 302)
        self.keep(other, "reset")
        self.assertTrue(
            User.objects.get(email="pat@canary.example").check_password(NEW_PASSWORD)
        )

    def test_no_log_line_of_a_whole_journey_holds_a_secret(self) -> None:
        with every_log_record() as capture:
            self.journey()
        text = "\n".join(capture.lines)
        # The capture works: the structured audit lines of the journey are in it.
        for event in [
            "invitation.accepted",
            "auth.login",
            "auth.login_failed",
            "response.submitted",
        ]:
            self.assertIn(f'"event": "{event}"', text)
        found = {
            label: next(line for line in capture.lines if secret in line)
            for label, secret in self.secrets.items()
            if secret in text
        }
        self.assertEqual(found, {}, "secrets in log lines")
        self.assertGreaterEqual(
            sum(1 for label in self.secrets if label.startswith("session key")), 3
        )


class MaskLinkTokensTests(SimpleTestCase):
    def test_the_secret_segment_of_account_links_is_masked(self) -> None:
        cases = {
            "Not Found: /invite/AbC-_12/": f"Not Found: /invite/{MASK}/",
            "Forbidden: /accounts/reset/MQ/abc-123def/": (
                f"Forbidden: /accounts/reset/MQ/{MASK}/"
            ),
            "'/invite/tok?next=/'": f"'/invite/{MASK}?next=/'",
            "/accounts/reset/MQ/set-password/": "/accounts/reset/MQ/set-password/",
            "/r/5f0c/s/A/": "/r/5f0c/s/A/",
        }
        for line, masked in cases.items():
            with self.subTest(line=line):
                self.assertEqual(mask_link_tokens(line), masked)


class LineBreakTests(TestCase):
    def test_a_line_break_in_a_path_cannot_forge_a_log_line(self) -> None:
        """AC-8: one record, one line (Django escapes the path it logs since 5.2.2)."""
        forged = '2026-01-01 {"event": "auth.login", "user_id": 1}'
        with every_log_record() as capture:
            reply = self.client.get("/nowhere%0A" + forged.replace(" ", "%20"))
        self.assertEqual(reply.status_code, 404)
        lines = [line for line in capture.lines if "nowhere" in line]
        self.assertEqual(len(lines), 1, capture.lines)
        self.assertNotIn("\n", lines[0])
        self.assertIn("/nowhere\\n" + forged, lines[0])

    def test_a_line_break_in_a_typed_username_cannot_forge_a_log_line(self) -> None:
        """AC-8: what is typed into the login form stays inside its event's one line."""
        User.objects.create_user("pat@example.com", "correct horse battery")
        forged = '{"event": "auth.login", "user_id": 1}'
        typed = f"pat@example.com\r\n{forged}\n"
        with every_log_record() as capture:
            reply = self.client.post(
                reverse("login"), {"username": typed, "password": "wrong"}
            )
        self.assertEqual(reply.status_code, 200)
        for line in capture.lines:
            self.assertNotIn("\n", line)
            self.assertNotIn("\r", line)
        audit = [line for line in capture.lines if line.startswith("survey.audit ")]
        self.assertEqual(len(audit), 1, capture.lines)
        self.assertIn('"event": "auth.login_failed"', audit[0])
        # The row keeps what was typed; the line carries identifiers only.
        event = AuditEvent.objects.get(action="auth.login_failed")
        self.assertEqual(event.details["email"], typed.strip())
