"""A second questionnaire (issue 11 §4): other ids, a section fewer, no code of its own.

A campaign on survey/questionnaires/ai-vendor-dependence-lite-v1.json goes through the
contractor pages, the scoring, the dashboard and the workbook as the default does.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from survey import exports
from survey import questionnaire as qn
from survey.models import Membership, Response, Submission, Use
from tests.helpers import (
    LITE_DEFINITION,
    lite_org_answers,
    lite_use_answers,
    make_lite_campaign,
    make_organisation,
    make_response,
    make_user,
)
from tests.review_helpers import make_reviewer

PREPARER, SIGNATORY = Membership.Role.PREPARER, Membership.Role.SIGNATORY


def default_ids_named_in(text: str) -> set[str]:
    """The default questionnaire's ids that a text names ("Channel (D2)", "D17 = No")."""
    from survey.demo import DEFAULT_DEFINITION

    ids = {q.id for q in qn.load_file(DEFAULT_DEFINITION).questions}
    return set(re.findall(r"\b[A-Z][0-9]+[a-z]?\b", text)) & ids


def url(name: str, response: Response, *args: Any) -> str:
    return reverse(name, args=[response.uuid, *args])


# What each page of the second questionnaire posts, as a person fills it in.
ORG_PAGE = {
    "org.name": "Lima Analytics LLC",
    "org.uei": "LMNLYT1C5678",
    "org.cage": "7LMA1",
    "org.classification": "secret",
}
SCREEN_PAGE = {
    "screen.direct": "no",
    "screen.cloud": "yes",
    "screen.embedded": "no",
    "screen.supplies": "no",
}
SIGN_PAGE = {
    "sign.plan": "drafting",
    "sign.date": "2027-03-31",
    "sign.contact__name": "Lee Lima",
    "sign.contact__email": "lee@lima.example",
    "sign.official": "Lee Lima, CEO",
}
# Two uses, scored by hand (questionnaire-spec.md §2.3):
#
# Report summaries: C = 3 (severe), 120 days so T = 3, Sub = 3 (hard), alternative named
#   but untested so A = 0 and S = max(1, max(3, 3) - 0) = 3; E = 3 (SECRET), R = 3.
#   Core = 3 × 3 = 9; M = 1 + 0.25 (E ≥ 3) = 1.25; DRI = 100 × 9 × 1.25 / 24 = 46.875,
#   so 46.9, High.
# Proposal drafts: C = 4 (mission failure), days unknown so T = 4 (assumed), Sub = 4,
#   no alternative so A = 0 and S = max(1, 4 - 0) = 4 (at least 3); E = 1 (public),
#   R = 4 (entirely). Core = 16; M = 1 + 0.25 (R = 4) = 1.25;
#   DRI = 100 × 16 × 1.25 / 24 = 83.33, so 83.3, Critical.
# Contractor: CDI = 83.3 + 5 × (2 High or Critical uses − 1) = 88.3, Critical.
FIRST_USE_PAGE = {
    "use.name": "Report summaries",
    "use.channel": "cloud",
    "use.intermediary": "Cloud model catalogue",
    "use.relationship": "performance",
    "use.classification": "secret",
    "use.reliance": "much",
    "use.criticality": "severe",
    "use.days": "120",
    "use.cost": "250000",
    "use.substitutability": "hard",
    "use.alternative": "named",
    "use.alternative_name": "An open-weight model",
}
SECOND_USE_PAGE = {
    "use.name": "Proposal drafts",
    "use.channel": "direct",
    "use.relationship": "internal",
    "use.classification": "public",
    "use.reliance": "entirely",
    "use.criticality": "mission_failure",
    "use.days__unknown": "on",
    "use.cost": "40000",
    "use.substitutability": "impossible",
    "use.alternative": "none",
}


class LiteDefinitionTests(TestCase):
    def test_it_is_shorter_with_a_section_fewer_and_every_required_binding(
        self,
    ) -> None:
        from survey.demo import DEFAULT_DEFINITION

        lite, default = qn.load_file(LITE_DEFINITION), qn.load_file(DEFAULT_DEFINITION)
        self.assertEqual(len(lite.sections), len(default.sections) - 1)
        self.assertLess(len(lite.questions), len(default.questions))
        self.assertFalse(
            {q.id for q in lite.questions} & {q.id for q in default.questions}
        )
        for name, binding in qn.BINDINGS.items():
            if binding.required:
                self.assertTrue(lite.binding(name), name)
        for name in ("criticality", "substitutability", "alternative", "reliance"):
            self.assertTrue(lite.bound(name).scores, name)
        self.assertEqual(lite.bound("classification").scores, "E")
        self.assertTrue(lite.checks)

    def test_no_text_names_a_vendor_the_campaign_does_not(self) -> None:
        lite = qn.load_file(LITE_DEFINITION)
        vendor = "Example AI"
        texts = [lite.title, lite.banner, *lite.attestation.values()]
        for question in lite.questions:
            texts += [question.label, *(o.label for o in question.options)]
            texts += [question.help] if question.help else []
        for text in texts:
            for language in ("en", "fr"):
                self.assertTrue(text.get(language), text)
                self.assertEqual(text.en.count("{vendor}"), text.fr.count("{vendor}"))
                for name in ("Anthropic", "Claude", "OpenAI", "Bedrock", "Vertex"):
                    self.assertNotIn(name, text.render(vendor, language))


class ContractorJourneyTests(TestCase):
    """The contractor pages, from the first section to the receipt."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_lite_campaign(handling_banner="CUI // PROPRIETARY")
        cls.org = make_organisation(legal_name="Lima Analytics")
        cls.preparer = make_user("pat@lima.example", cls.org, PREPARER)
        cls.signatory = make_user("sam@lima.example", cls.org, SIGNATORY)
        cls.response = make_response(cls.campaign, cls.org)

    def fresh(self) -> Response:
        return Response.objects.get(pk=self.response.pk)

    def post_page(self, path: str, data: dict[str, Any]) -> Any:
        """Post a page as its form does, with the edit state the page handed out."""
        page = self.client.get(path)
        self.assertEqual(page.status_code, 200, path)
        state = {
            "version": str(page.context["version"]),
            "loaded": page.context["loaded"],
        }
        return self.client.post(path, {**state, **data, "continue": ""})

    def add_use(self, data: dict[str, Any]) -> Use:
        reply = self.client.post(url("survey-uses", self.response))
        use = Use.objects.filter(response=self.response).latest("position")
        path = url("survey-use", self.response, use.uuid)
        self.assertRedirects(reply, path)
        self.assertContains(self.client.get(path), 'id="q-use.name"')
        reply = self.post_page(path, data)
        self.assertRedirects(reply, url("survey-uses", self.response))
        use.refresh_from_db()
        return use

    def test_every_page_answers_and_the_signatory_submits(self) -> None:
        self.client.force_login(self.preparer)
        reply = self.client.get(url("survey-start", self.response))
        self.assertRedirects(reply, url("survey-section", self.response, "org"))
        for section in ("org", "screen", "direct", "sign"):
            page = self.client.get(url("survey-section", self.response, section))
            self.assertContains(page, "CUI // PROPRIETARY")
        page = self.client.get(url("survey-section", self.response, "screen"))
        self.assertContains(page, "buy from Example AI directly")
        self.assertContains(page, "Do not enter classified information")

        # The record prefills the identity; the page posts what the person confirms.
        org_page = url("survey-section", self.response, "org")
        form = self.client.get(org_page).context["form"]
        self.assertEqual(form["org.name"].value(), "Lima Analytics")
        reply = self.post_page(org_page, ORG_PAGE)
        self.assertRedirects(reply, url("survey-section", self.response, "screen"))
        # No direct purchase: "Save and continue" skips the direct section.
        reply = self.post_page(
            url("survey-section", self.response, "screen"), SCREEN_PAGE
        )
        self.assertRedirects(reply, url("survey-uses", self.response))
        self.assertContains(
            self.client.get(url("survey-uses", self.response)), "Uses of Example AI"
        )

        first = self.add_use(FIRST_USE_PAGE)
        second = self.add_use(SECOND_USE_PAGE)
        self.assertEqual(
            (first.channel, first.supply_tier, first.days, first.intermediary),
            ("cloud", "2", 120, "Cloud model catalogue"),
        )
        self.assertEqual(
            (first.c, first.t, first.sub, first.a, first.s, first.e, first.r, first.m),
            (3, 3, 3, 0, 3, 3, 3, 1.25),
        )
        self.assertEqual((first.dri, first.band), (46.9, "high"))
        self.assertEqual((second.channel, second.supply_tier), ("direct", "1"))
        self.assertEqual((second.days, second.days_unknown), (None, True))
        self.assertEqual(
            (second.c, second.t, second.sub, second.a, second.s, second.e, second.r),
            (4, 4, 4, 0, 4, 1, 4),
        )
        self.assertEqual((second.dri, second.band), (83.3, "critical"))
        self.assertEqual(second.assumed_factors, "T")
        self.assertIs(first.flag_classified, True)
        self.assertEqual((self.fresh().cdi, self.fresh().tier), (88.3, "critical"))

        reply = self.post_page(url("survey-section", self.response, "sign"), SIGN_PAGE)
        self.assertRedirects(reply, url("survey-review", self.response))
        # The attestation is the signatory's to give, on the page that shows its text.
        self.client.force_login(self.signatory)
        sign_page = url("survey-section", self.response, "sign")
        self.assertContains(self.client.get(sign_page), "to the best of my knowledge")
        self.post_page(sign_page, {**SIGN_PAGE, "sign.attest": "yes"})
        review = self.client.get(url("survey-review", self.response))
        self.assertNotContains(review, "required answers are missing")
        self.assertContains(review, "Band: <strong>High</strong> (DRI 46.9)")
        self.assertContains(review, "Tier: <strong>Critical</strong>")
        reply = self.client.post(
            url("survey-submit", self.response), {"confirmed": "1"}
        )
        self.assertRedirects(reply, url("survey-receipt", self.response))

        response = self.fresh()
        self.assertEqual(
            (response.status, response.submitted_by), ("submitted", self.signatory)
        )
        self.assertEqual(
            Submission.objects.get(response=response).sha256, response.answers_sha256
        )
        self.assertEqual(response.answers["org.cage"], ["7LMA1"])
        self.assertEqual(response.answers["sign.contact"]["email"], "lee@lima.example")
        self.assertNotIn("direct.agreement", response.answers)

    def test_word_section_ids_stay_out_of_headings_and_the_navigator(self) -> None:
        """v1's letter ids (A to F) head its sections; "org" or "use" is only a slug."""
        self.client.force_login(self.preparer)
        page = self.client.get(url("survey-section", self.response, "org"))
        self.assertContains(page, '<h1 class="h3">Your organisation</h1>', html=True)
        self.assertContains(page, "<title>Your organisation")
        self.assertContains(page, ">Screening</a>")
        self.assertNotContains(page, "org. ")
        self.assertNotContains(page, "screen. ")
        uses = self.client.get(url("survey-uses", self.response))
        self.assertContains(uses, '<h1 class="h3">Uses of Example AI</h1>', html=True)
        v1 = make_response(organisation=self.org)
        page = self.client.get(url("survey-section", v1, "A"))
        self.assertContains(
            page, '<h1 class="h3">A. Organisation identification</h1>', html=True
        )
        self.assertContains(page, ">B. Screening after a reasonable inquiry</a>")

    def test_a_soft_check_of_the_definition_warns_before_submission(self) -> None:
        self.response.answers = lite_org_answers(**{"org.classification": "none"})
        self.response.save()
        use = Use(response=self.response, position=1, answers=lite_use_answers())
        use.refresh_derived(self.campaign.questionnaire.parsed, self.response.answers)
        use.save()
        self.client.force_login(self.preparer)
        review = self.client.get(url("survey-review", self.response))
        self.assertContains(review, "operates unclassified systems only")
        # The cloud answer has its use: that check stays quiet.
        self.assertNotContains(review, "no use goes that way")


def submitted_lite(
    campaign: Any, name: str, org_answers: dict[str, Any] | None = None, **use: Any
) -> Response:
    """A response to the second questionnaire with one use, submitted by its signatory."""
    org = make_organisation(legal_name=name)
    answers = lite_org_answers(**{"org.name": name, **(org_answers or {})})
    response = make_response(campaign, org, answers=answers, status="in_progress")
    use = Use(response=response, position=1, answers=lite_use_answers(**use))
    use.refresh_derived(campaign.questionnaire.parsed, response.answers)
    use.save()
    response.refresh_scores([use])
    response.save()
    response.submit(
        make_user(organisation=org, role=SIGNATORY), ip="192.0.2.1", at=timezone.now()
    )
    response.refresh_from_db()
    return response


class FiguresAndWorkbookTests(TestCase):
    """The dashboard and the Excel export count the second questionnaire's answers."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = make_lite_campaign()
        cls.high = submitted_lite(cls.campaign, "Lima Analytics")
        cls.low = submitted_lite(
            cls.campaign,
            "Mike Robotics",
            {"screen.direct": "yes", "direct.agreement": ["api"]},
            **{
                "use.name": "Meeting notes",
                "use.channel": "direct",
                "use.classification": "public",
                "use.reliance": "some",
                "use.criticality": "negligible",
                "use.days": 14,
                "use.substitutability": "easy",
                "use.alternative": "tested",
            },
        )
        # Still a draft: counted only with drafts shown.
        cls.draft = make_response(
            cls.campaign,
            make_organisation(),
            answers=lite_org_answers(),
            status="in_progress",
        )

    def test_the_dashboard_json_counts_the_submitted_responses(self) -> None:
        # Meeting notes: C = 1, T = 1 (14 days), Sub = 1, tested alternative so A = 1 and
        # S = max(1, 1 - 1) = 1; E = 1, R = 2; DRI = 100 × 1 / 24 = 4.2, Low.
        self.assertEqual((self.low.cdi, self.low.tier), (4.2, "low"))
        self.client.force_login(make_reviewer(self.campaign))
        reply = self.client.get(
            reverse("admin:survey_campaign_dashboard", args=[self.campaign.pk]),
            {"format": "json"},
        )
        figures = reply.json()
        self.assertEqual(figures["dependency"]["contractors"], 2)
        self.assertEqual(figures["dependency"]["indirect_only"], 1)
        self.assertEqual(figures["dependency"]["direct"], 1)
        bands = {t["key"]: t["count"] for t in figures["bands"]["uses"]}
        self.assertEqual((bands["high"], bands["low"], bands["critical"]), (1, 1, 0))
        channels = {c["key"]: c["uses"] for c in figures["channels"]["channels"]}
        self.assertEqual(channels, {"cloud": 1, "direct": 1})
        page = self.client.get(
            reverse("admin:survey_campaign_dashboard", args=[self.campaign.pk])
        )
        self.assertContains(
            page, "A cloud provider&#x27;s AI service, under our account"
        )

    def workbook(self, language: str = "en") -> Any:
        handle = BytesIO()
        exports.write(
            self.campaign,
            exports.Options(language=language),
            handle,
            generated_by="analyst@example.com",
            now=timezone.now(),
        )
        return load_workbook(BytesIO(handle.getvalue()))

    def test_the_workbook_has_their_rows_under_the_lite_ids(self) -> None:
        book = self.workbook()
        contractors = list(book["Contractors"].iter_rows(values_only=True))
        header = contractors[0]
        ids = [str(h).split(": ", 1)[0] for h in header if h and ": " in str(h)]
        for qid in ("org.name", "org.uei", "screen.direct", "sign.date"):
            self.assertIn(qid, ids)
        self.assertEqual(len(contractors) - 1, 2)
        names = header.index(next(h for h in header if str(h).startswith("org.name: ")))
        self.assertEqual(
            sorted(row[names] for row in contractors[1:]),
            ["Lima Analytics", "Mike Robotics"],
        )
        uses = list(book["Uses"].iter_rows(values_only=True))
        header = uses[0]
        ids = [str(h).split(": ", 1)[0] for h in header if h and ": " in str(h)]
        for qid in ("use.name", "use.channel", "use.criticality", "use.days"):
            self.assertIn(qid, ids)
        rows = [dict(zip(header, row, strict=True)) for row in uses[1:]]
        self.assertEqual(sorted(r["DRI"] for r in rows), [4.2, 46.9])
        codebook = {row[0] for row in book["Codebook"].iter_rows(values_only=True)}
        self.assertIn("use.substitutability", codebook)

    def test_the_dashboard_names_its_questions_by_their_ids_and_skips_the_others(
        self,
    ) -> None:
        """The figures' labels name the questions of this questionnaire, and a table
        on a question it does not ask (function, stage, data) is left out."""
        self.client.force_login(make_reviewer(self.campaign))
        dashboard = reverse("admin:survey_campaign_dashboard", args=[self.campaign.pk])
        page = self.client.get(dashboard)
        self.assertContains(page, "Classification (use.classification) by band")
        self.assertContains(
            page, "Latest date all uses could be transitioned (sign.date):"
        )
        self.assertNotContains(page, "Function (")
        self.assertNotContains(page, "Supplier inquiry")
        self.assertEqual(default_ids_named_in(page.content.decode()), set())
        figures = self.client.get(dashboard, {"format": "json"}).json()
        self.assertEqual([t["row"] for t in figures["crosstabs"]], ["classification"])
        self.assertEqual(figures["quality"]["inquiry"], [])

    def test_the_workbook_labels_name_the_lite_ids_in_both_languages(self) -> None:
        for language, channel in (("en", "Channel"), ("fr", "Canal")):
            book = self.workbook(language)
            texts = [
                str(cell)
                for sheet in book
                for row in sheet.iter_rows(values_only=True)
                for cell in row
                if isinstance(cell, str)
            ]
            with self.subTest(language=language):
                self.assertEqual(default_ids_named_in("\n".join(texts)), set())
                self.assertIn(f"{channel} (use.channel)", texts)

    def test_the_use_list_headers_name_no_question_id(self) -> None:
        """A list of uses spans questionnaires: its columns are named, not numbered."""
        self.client.force_login(make_user(is_staff=True, is_superuser=True))
        page = self.client.get(
            reverse("admin:survey_use_changelist"),
            {"response__campaign__id__exact": self.campaign.pk},
        ).content.decode()
        table = page[page.index('id="result_list"') :]
        head = table[: table.index("</thead>")]
        self.assertEqual(default_ids_named_in(head), set())
        self.assertIn("Channel", head)
        self.assertIn("Report summaries", page)

    def test_the_campaign_and_use_pages_name_no_default_question_id(self) -> None:
        self.client.force_login(make_user(is_staff=True, is_superuser=True))
        use = self.high.uses.get()
        for path in (
            reverse("admin:survey_campaign_change", args=[self.campaign.pk]),
            reverse("admin:survey_use_change", args=[use.pk]),
            reverse("admin:survey_response_change", args=[self.high.pk]),
        ):
            page = self.client.get(path)
            with self.subTest(path=path):
                self.assertEqual(page.status_code, 200)
                self.assertEqual(default_ids_named_in(page.content.decode()), set())
