"""IN-1: an XSS corpus typed everywhere a user writes, then every page that shows it.

The payload (CORPUS joined) goes into every free-text answer of the questionnaire that
takes it (organisation and use questions, text, text areas, text lists, rows and groups;
a question with a format pattern, an email or a phone refuses it, which its page then
shows back), through the pages' own forms; and into the organisation's name, the
contractor's name, the vendor's name, the campaign's title, instructions and handling
banner, and a reviewer's comment. Then every contractor page (also with the payload in
the query string), the confirmation and the receipt, every page of the admin, the
dashboard and its JSON, an error page and the emails (invitation, reminder) are read:

- in HTML, no element or attribute comes from a payload: no script without a nonce or a
  source, no on* handler, no javascript: link; the raw strings are absent; and the
  pages meant to show the data show it escaped;
- template syntax is shown, never evaluated ("XSS {{7*7}}", never "XSS 49");
- JSON is served as JSON with nosniff; the emails are plain text only, and show the
  payload as typed (not HTML-escaped), with a one-line subject;
- every HTML page carries the Content-Security-Policy header (DH-1).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode

from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from survey import questionnaire as qn
from survey.emails import send_invitation, send_reminder
from survey.models import (
    Attachment,
    Invitation,
    Membership,
    Response,
    ReviewComment,
    Use,
    User,
    Vendor,
)
from tests import routes
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
)
from tests.journey import answer_everything, csrf_token, page_data, post_form, submit

CORPUS = [
    # Template syntax first: a display cut short still shows it.
    "{{7*7}}",
    "{% debug %}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    # Breaks out of a <script> block, json_script's included, if not escaped.
    "</script><script>alert(1)</script>",
    "javascript:alert(1)",
    "'-alert(1)-'",
]
PAYLOAD = "XSS " + " ".join(CORPUS)
# What the payload looks like escaped (case-insensitive: text lists are upper-cased).
ESCAPED_PROBE = "&lt;script&gt;alert(1)&lt;/script&gt;"
# The payload's tags as markup (escaped, "onerror=alert(1)" is still there as text).
RAW = ["<script>alert(1)", "<svg onload", "<img src=x"]
TEXT_TYPES = {"text", "textarea", "text_list"}
NAME_MAX = Attachment._meta.get_field("name").max_length


class Created(HTMLParser):
    """The elements and attributes of a page that a payload could have created."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if (
            tag == "script"
            and "src" not in values
            and "nonce" not in values
            and values.get("type") != "application/json"
        ):
            self.found.append(f"<script {values}> without a nonce or a source")
        if tag in ("img", "svg") and values.get("src") == "x":
            self.found.append(f"<{tag} {values}>")


def takes_payload(question: qn.Question) -> bool:
    return question.type in TEXT_TYPES and not (
        question.pattern or question.item_pattern
    )


def text_subfields(question: qn.Question) -> list[qn.Subfield]:
    return [
        sub for sub in question.subfields if sub.format == "text" and not sub.pattern
    ]


def with_payload(
    section: qn.Section, answers: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The answers with the payload in every free text of the section; which ones."""
    answers = dict(answers)
    filled = []
    for question in section.questions:
        if takes_payload(question):
            answers[question.id] = (
                [PAYLOAD] if question.type == "text_list" else PAYLOAD
            )
            filled.append(question.id)
        elif question.type == "group":
            group = dict(answers.get(question.id) or {})
            for sub in text_subfields(question):
                group[sub.id] = PAYLOAD
                filled.append(f"{question.id}.{sub.id}")
            answers[question.id] = group
        elif question.type == "rows":
            rows = [dict(r) for r in answers.get(question.id) or [{}]]
            for sub in text_subfields(question):
                rows[0][sub.id] = PAYLOAD
                filled.append(f"{question.id}.{sub.id}")
            answers[question.id] = rows
    return answers, filled


class XssTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        vendor = Vendor.objects.create(name=f"Vendor {PAYLOAD}")
        cls.campaign = make_campaign(
            vendor=vendor,
            title=f"Campaign {PAYLOAD}",
            instructions=PAYLOAD,
            handling_banner=PAYLOAD,
            reminder_offsets=[24],
        )
        cls.org = make_organisation(legal_name=PAYLOAD)
        cls.signatory = make_user(
            "pat@xss.example",
            cls.org,
            Membership.Role.SIGNATORY,
            full_name=PAYLOAD,
        )
        cls.root = User.objects.create_superuser("root@xss.example", "x" * 16)
        cls.response = make_response(cls.campaign, cls.org)
        questionnaire = cls.campaign.questionnaire.parsed
        # Controlling answers that show every text question (A4a, C1a, D2b, D17a...).
        cls.org_answers = complete_org_answers(
            A4="business_units",
            B1="yes",
            C1=["other"],
            C2="1000.00",
            E1="documented",
            E1a="2026-01-15",
        )
        cls.use_answers = complete_use_answers(
            D2="other",
            D16="highly_complex",
            D16a=["no_real_alternatives"],
            D17="yes_tested",
            D18="task_blocked",
        )
        cls.filled = []
        for section in questionnaire.sections:
            if section.repeatable:
                cls.use_answers, filled = with_payload(section, cls.use_answers)
            else:
                cls.org_answers, filled = with_payload(section, cls.org_answers)
            cls.filled += filled
        # A use's contracts are chosen among A6's rows, by number (the payload).
        cls.use_answers["D5"] = [row["piid"] for row in cls.org_answers["A6"]]

    def check_html(self, reply: Any, where: str, shows: bool = False) -> None:
        """No payload made markup; template syntax not evaluated; CSP on the page."""
        body = reply.content.decode()
        self.assertIn("Content-Security-Policy", reply, where)
        parser = Created()
        parser.feed(body)
        self.assertEqual(parser.found, [], where)
        for raw in RAW:
            self.assertNotIn(raw, body, where)
        self.assertNotIn("XSS 49", body, where)
        if ESCAPED_PROBE.lower() in body.lower():
            self.assertIn("xss {{7*7}} {% debug %}", body.lower(), where)
        elif shows:
            self.fail(f"{where} does not show the payload")

    def check_reply(self, reply: Any, where: str, shows: bool = False) -> None:
        kind = reply.get("Content-Type", "")
        if kind.startswith("text/html"):
            self.check_html(reply, where, shows)
        elif kind.startswith("application/json"):
            json.loads(reply.content)
            self.assertEqual(reply["X-Content-Type-Options"], "nosniff", where)
            self.assertNotIn("XSS 49", reply.content.decode(), where)
        else:
            self.assertFalse(shows, f"{where} is {kind!r}, not a page")


class ContractorPagesTests(XssTestCase):
    def test_every_text_question_takes_the_payload_and_shows(self) -> None:
        questionnaire = self.campaign.questionnaire.parsed
        for section in questionnaire.sections:
            answers = self.use_answers if section.repeatable else self.org_answers
            for question in section.questions:
                if takes_payload(question) or text_subfields(question):
                    with self.subTest(question=question.id):
                        self.assertTrue(section.shown(self.org_answers))
                        self.assertTrue(question.shown(answers))
        self.assertGreaterEqual(len(self.filled), 10)

    def test_every_contractor_page_shows_the_payload_escaped(self) -> None:
        client = Client()
        client.force_login(self.signatory)
        ReviewComment.objects.create(
            response=self.response, question_id="A1", text=PAYLOAD, author=self.root
        )
        replies = answer_everything(
            client, self.response, self.org_answers, [self.use_answers]
        )
        for reply in replies:
            self.assertEqual(reply.status_code, 302, reply.content[:2000])
        response = Response.objects.get(pk=self.response.pk)
        for key in self.filled:
            question = key.split(".")[0]
            stored = response.answers.get(question) or response.uses.get().answers.get(
                question
            )
            self.assertIn("XSS", json.dumps(stored), key)
        self.sweep(client, "before submission")
        confirm = client.post(reverse("survey-submit", args=[self.response.uuid]))
        self.check_reply(confirm, "the confirmation", shows=True)
        self.assertRedirects(
            submit(client, self.response),
            reverse("survey-receipt", args=[self.response.uuid]),
        )
        self.sweep(client, "after submission")
        receipt = client.get(reverse("survey-receipt", args=[self.response.uuid]))
        self.check_reply(receipt, "the receipt", shows=True)
        # A refusal (the response is submitted) shows the response's page too.
        section = reverse("survey-section", args=[self.response.uuid, "A"])
        self.check_reply(client.post(section, {"A1": PAYLOAD}), "a refusal")

    def sweep(self, client: Client, when: str) -> None:
        """Every contractor page, every section, with and without the payload in the
        query string."""
        use = Use.objects.get(response=self.response)
        attachment = Attachment.objects.create(
            response=self.response,
            question_id="E1b",
            name=PAYLOAD[:NAME_MAX],
            content_type="application/pdf",
            size=5,
            sha256="0" * 64,
            content=b"%PDF-",
            uploaded_by=self.signatory,
        )
        sections = [s.id for s in self.campaign.questionnaire.parsed.sections]
        query = "?" + urlencode({"next": PAYLOAD, "q": PAYLOAD})
        for route in routes.routes_of(routes.KIND_RESPONSE, routes.KIND_SITE):
            for section_id in sections if "section_id" in route.kwargs else [""]:
                samples = routes.Samples(
                    self.response, use, attachment, self.signatory, "", section_id
                )
                path = route.path(samples.for_route(route))
                shows = route.name in {
                    "survey-home",
                    "survey-section",
                    "survey-uses",
                    "survey-use",
                    "survey-review",
                }
                for suffix in ["", query]:
                    reply = client.get(path + suffix)
                    if reply.status_code in (301, 302):
                        continue
                    where = f"{when}: GET {path}{suffix[:20]} ({route.label})"
                    self.check_reply(reply, where, shows and reply.status_code == 200)
        attachment.delete()

    def test_answers_a_field_refuses_come_back_escaped(self) -> None:
        """A UEI (a pattern), CAGE codes (an item pattern) and an email refuse the
        payload: the page comes back with it, as typed, in the form."""
        client = Client()
        client.force_login(self.signatory)
        questionnaire = self.campaign.questionnaire.parsed
        first = questionnaire.sections[0]
        refused = {
            q.id: PAYLOAD for q in first.questions if q.pattern or q.item_pattern
        }
        self.assertTrue(refused)
        path = reverse("survey-section", args=[self.response.uuid, first.id])
        reply = post_form(
            client, path, {**page_data(first, self.org_answers), **refused}
        )
        self.assertEqual(reply.status_code, 200)
        self.check_reply(reply, "refused answers", shows=True)
        last = questionnaire.sections[-1]
        answers = dict(self.org_answers)
        groups = [q for q in last.questions if q.type == "group"]
        for question in groups:
            answers[question.id] = {sub.id: PAYLOAD for sub in question.subfields}
        self.assertTrue(groups)
        path = reverse("survey-section", args=[self.response.uuid, last.id])
        reply = post_form(client, path, page_data(last, answers))
        self.assertEqual(reply.status_code, 200)
        self.check_reply(reply, "a refused email", shows=True)

    def test_an_error_page_and_the_login_page_reflect_nothing(self) -> None:
        client = Client()
        for path in [
            "/r/" + quote(PAYLOAD) + "/",
            reverse("login") + "?" + urlencode({"next": PAYLOAD}),
            reverse("password_reset") + "?" + urlencode({"email": PAYLOAD}),
        ]:
            with self.subTest(path=path):
                self.check_reply(client.get(path), path)
        page = client.get(reverse("login"))
        reply = client.post(
            reverse("login"),
            {
                "username": PAYLOAD,
                "password": PAYLOAD,
                "csrfmiddlewaretoken": csrf_token(page),
            },
        )
        self.check_reply(reply, "a refused login")


class AdminPagesTests(XssTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.response.answers = cls.org_answers
        cls.response.save()
        questionnaire = cls.campaign.questionnaire.parsed
        use = Use(response=cls.response, position=1, answers=cls.use_answers)
        use.refresh_derived(questionnaire, cls.org_answers)
        use.save()
        cls.attachment = Attachment.objects.create(
            response=cls.response,
            question_id="E1b",
            name=PAYLOAD[:NAME_MAX],
            content_type="application/pdf",
            size=5,
            sha256="0" * 64,
            content=b"%PDF-",
            uploaded_by=cls.signatory,
        )
        cls.response.submit(cls.signatory, ip="192.0.2.1", at=timezone.now())
        ReviewComment.objects.create(
            response=cls.response, question_id="A1", text=PAYLOAD, author=cls.root
        )
        cls.invitation, cls.token = Invitation.issue(
            cls.org, "new@xss.example", Membership.Role.PREPARER, full_name=PAYLOAD
        )

    def test_every_admin_page_shows_the_payload_escaped(self) -> None:
        client = Client()
        client.force_login(self.root)
        samples = routes.Samples(
            self.response,
            self.response.uses.get(),
            self.attachment,
            self.signatory,
            self.token,
        )
        shows = {
            "admin:survey_response_change",
            "admin:survey_response_changelist",
            "admin:survey_organisation_change",
            "admin:survey_organisation_changelist",
            "admin:survey_use_changelist",
            "admin:survey_reviewcomment_changelist",
            "admin:survey_campaign_dashboard",
        }
        for route in routes.admin_routes():
            if route.name == "admin:logout":
                continue
            try:
                path = route.path(samples.for_route(route))
            except routes.Unclassified:
                continue  # a model without rows here (groups, devices): no payload
            reply = client.get(path)
            if reply.status_code in (301, 302):
                continue
            with self.subTest(path=path):
                self.check_reply(reply, f"GET {path}", route.name in shows)
        dashboard = reverse("admin:survey_campaign_dashboard", args=[self.campaign.pk])
        data = client.get(dashboard, {"format": "json"})
        self.check_reply(data, "the dashboard's JSON")
        self.assertEqual(data.json()["campaign"]["title"], f"Campaign {PAYLOAD}")


class EmailTests(XssTestCase):
    def test_emails_are_plain_text_with_the_payload_as_typed(self) -> None:
        invitation, token = Invitation.issue(
            self.org, "new@xss.example", Membership.Role.PREPARER, full_name=PAYLOAD
        )
        send_invitation(invitation, token)
        send_reminder(self.response, 24, ["pat@xss.example"])
        self.assertEqual(len(mail.outbox), 2)
        for message in mail.outbox:
            with self.subTest(subject=message.subject):
                self.assertEqual(getattr(message, "alternatives", []), [])
                self.assertEqual(message.content_subtype, "plain")
                self.assertNotIn("\n", message.subject)
                self.assertIn(PAYLOAD, message.body)
                self.assertIn(PAYLOAD, message.subject)
                self.assertNotIn("&lt;", message.body)
                self.assertNotIn("XSS 49", message.body + message.subject)
