"""The campaign dashboard in the admin: who sees it, what it shows, its JSON, its cost."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from survey import analytics
from survey.models import Organisation, Response, Submission, Use
from tests.analytics_data import seven_contractors
from tests.helpers import make_campaign
from tests.review_helpers import make_admin_officer, make_reviewer, make_submitted


def dashboard_url(campaign: object, **query: str) -> str:
    url = reverse("admin:survey_campaign_dashboard", args=[campaign.pk])  # type: ignore[attr-defined]
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


class DashboardPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.campaign = seven_contractors()
        cls.reviewer = make_reviewer(cls.campaign)

    def test_an_assigned_reviewer_sees_the_figures_with_links_and_charts(self) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(dashboard_url(self.campaign))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, '<title id="uses-by-band-title">Uses by band</title>')
        self.assertContains(page, "Amazon Bedrock")
        self.assertContains(page, "Ground Vehicles")
        self.assertContains(page, "Blocked for export work")
        responses = reverse("admin:survey_response_changelist")
        self.assertContains(
            page,
            f'href="{responses}?campaign__id__exact={self.campaign.pk}'
            '&amp;status__exact=returned"',
        )
        uses = reverse("admin:survey_use_changelist")
        self.assertContains(
            page,
            f'href="{uses}?response__campaign__id__exact={self.campaign.pk}'
            '&amp;rows=attested&amp;band__exact=critical"',
        )
        self.assertNotContains(page, "style=")
        self.assertContains(page, "Classification (D8) by band")
        self.assertContains(page, "Classified SECRET (IL6 / SIPRNet)")

    def test_every_drill_down_link_opens_its_admin_list(self) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(dashboard_url(self.campaign)).content.decode()
        links = set(
            re.findall(r'href="(/manage/survey/(?:response|use)/\?[^"]+)"', page)
        )
        self.assertGreater(len(links), 20)
        for link in sorted(links):
            with self.subTest(link=link):
                # An unknown filter makes the admin redirect to ?e=1 instead.
                self.assertEqual(self.client.get(html.unescape(link)).status_code, 200)
        # The lists behind the figures hold exactly the rows counted.
        figures = analytics.dashboard(self.campaign, analytics.Filter(), timezone.now())
        for figure, expected in [
            ("all", figures.dependency.contractors),
            ("direct", figures.dependency.direct),
            ("indirect_only", figures.dependency.indirect_only),
            ("band:critical", 2),
            ("tier:critical", 1),
        ]:
            with self.subTest(figure=figure):
                listing = self.client.get(
                    reverse("admin:survey_response_changelist"),
                    {"campaign__id__exact": self.campaign.pk, "attested": figure},
                )
                self.assertEqual(listing.context["cl"].result_count, expected)
        uses = self.client.get(
            reverse("admin:survey_use_changelist"),
            {
                "response__campaign__id__exact": self.campaign.pk,
                "rows": "attested",
                "band__exact": "high",
            },
        )
        self.assertEqual(
            sorted(u.name for u in uses.context["cl"].result_list),
            ["Code review", "Signal triage"],
        )
        copy = uses.context["cl"].result_list[0]
        page = reverse("admin:survey_use_change", args=[copy.pk])
        self.assertEqual(self.client.get(page).status_code, 200)

    def test_every_count_opens_a_list_of_exactly_that_many_rows(self) -> None:
        """Issue 8 §4: each count links to the responses or uses behind it, with the
        dashboard's filter (a program, a channel, drafts) carried into the list."""
        self.client.force_login(self.reviewer)
        programs = analytics.by_program(self.campaign, analytics.Filter())
        ground = next(p.program_key for p in programs if p.program == "Ground Vehicles")
        count_link = re.compile(
            r'<a href="(/manage/survey/(?:response|use)/\?[^"]+)">(\d+)</a>'
        )
        for query in [
            {},
            {"program": ground},
            {"channel": "cloud_platform", "band": "low"},
            {"drafts": "1"},
            {"program": ground, "drafts": "1"},
        ]:
            page = self.client.get(dashboard_url(self.campaign, **query))
            counts = count_link.findall(page.content.decode())
            self.assertGreater(len(counts), 40)
            for link, shown in counts:
                with self.subTest(query=query, link=html.unescape(link)):
                    listing = self.client.get(html.unescape(link))
                    self.assertEqual(listing.status_code, 200)
                    self.assertEqual(listing.context["cl"].result_count, int(shown))

    def test_the_days_filter_reads_ranges_and_shows_nothing_for_a_mangled_one(
        self,
    ) -> None:
        self.client.force_login(self.reviewer)
        uses = reverse("admin:survey_use_changelist")
        base = {"response__campaign__id__exact": self.campaign.pk, "rows": "attested"}
        # Counted: Alpha 200 and 14 days, Bravo 60, Foxtrot 400 (as submitted).
        for value, expected in [
            ("0-30", 1),
            ("-200", 3),
            ("61-", 2),
            ("unknown", 0),
            ("abc", 0),
            ("1-2-3", 0),
        ]:
            with self.subTest(days=value):
                listing = self.client.get(uses, {**base, "days": value})
                self.assertEqual(listing.status_code, 200)
                self.assertEqual(listing.context["cl"].result_count, expected)

    def test_the_json_holds_the_same_figures_for_the_same_filter(self) -> None:
        self.client.force_login(self.reviewer)
        for query in [
            {},
            {"band": "high"},
            {"program": "ground vehicles", "drafts": "1"},
        ]:
            with self.subTest(query=query):
                reply = self.client.get(
                    dashboard_url(self.campaign), {**query, "format": "json"}
                )
                expected = analytics.dashboard(
                    self.campaign, analytics.Filter.from_query(query), timezone.now()
                ).as_json()
                data = reply.json()
                self.assertEqual(data["campaign"]["slug"], self.campaign.slug)
                for key in ["dependency", "bands", "programs", "channels", "policy"]:
                    self.assertEqual(data[key], expected[key], key)
        data = self.client.get(dashboard_url(self.campaign), {"format": "json"}).json()
        self.assertEqual(data["dependency"]["indirect_only"], 2)
        self.assertEqual(data["transition"]["cost_total"], "3500.00")

    def test_a_filter_is_kept_in_the_url_and_the_form(self) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(dashboard_url(self.campaign, band="high"))
        self.assertContains(page, '<option value="high" selected>', html=False)
        self.assertEqual(page.context["figures"].bands.uses_total, 2)

    def test_who_may_not_see_it_gets_404_or_the_login_page(self) -> None:
        other_reviewer = make_reviewer(make_campaign())
        contractor = (
            Organisation.objects.get(legal_name="Alpha").memberships.first().user
        )
        login = reverse("admin:login")
        for user, expected in [
            (other_reviewer, 404),
            (contractor, login),
            (None, login),
        ]:
            for query in [{}, {"format": "json"}]:
                with self.subTest(user=str(user), query=query):
                    self.client.logout()
                    if user is not None:
                        self.client.force_login(user)
                    reply = self.client.get(dashboard_url(self.campaign), query)
                    if expected == 404:
                        self.assertEqual(reply.status_code, 404)
                    else:
                        self.assertEqual(reply.status_code, 302)
                        self.assertIn(login, reply["Location"])

    def test_it_is_reached_from_the_campaign_and_the_admin_index(self) -> None:
        self.client.force_login(make_admin_officer())
        change = self.client.get(
            reverse("admin:survey_campaign_change", args=[self.campaign.pk])
        )
        self.assertContains(change, dashboard_url(self.campaign))
        listing = self.client.get(reverse("admin:survey_campaign_changelist"))
        self.assertContains(listing, dashboard_url(self.campaign))
        index = self.client.get(reverse("admin:index"))
        self.assertContains(index, "Campaign dashboards")

    def test_french_keeps_the_charts_valid(self) -> None:
        self.client.force_login(self.reviewer)
        page = self.client.get(dashboard_url(self.campaign), HTTP_ACCEPT_LANGUAGE="fr")
        self.assertNotRegex(page.content.decode(), r'width="\d+,\d+"')


class DashboardQueryCountTests(TestCase):
    """The same number of queries at 10 and at 1,000 responses, HTML and JSON alike."""

    def grow(self, campaign: object, n: int) -> None:
        """Add n submitted responses cheaply, copying one made the real way."""
        template = make_submitted(campaign)  # type: ignore[arg-type]
        use = Use.attested.get(response=template)
        submission = Submission.objects.get(response=template)
        start = Organisation.objects.count()
        organisations = Organisation.objects.bulk_create(
            Organisation(legal_name=f"Bulk {i}", uei=f"B{i:011d}")
            for i in range(start, start + n)
        )
        responses = Response.objects.bulk_create(
            Response(
                campaign=template.campaign,
                organisation=org,
                status="submitted",
                answers=template.answers,
                submitted_at=template.submitted_at,
                route=template.route,
                tier=template.tier,
                cdi=template.cdi,
            )
            for org in organisations
        )
        submissions = Submission.objects.bulk_create(
            Submission(
                response=r,
                number=1,
                latest=True,
                questionnaire_id=submission.questionnaire_id,
                answers=submission.answers,
                uses=submission.uses,
                sha256=submission.sha256,
                attestation="x",
                submitted_at=submission.submitted_at,
                submitted_by=submission.submitted_by,
                route=submission.route,
                tier=submission.tier,
                cdi=submission.cdi,
            )
            for r in responses
        )
        skip = {"id", "uuid", "response", "submission"}
        fields = {
            f.attname: getattr(use, f.attname)
            for f in Use._meta.concrete_fields
            if f.name not in skip
        }
        Use.objects.bulk_create(
            Use(response=r, submission=s, **fields)
            for r, s in zip(responses, submissions, strict=True)
        )

    def queries(self, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            self.assertEqual(self.client.get(url).status_code, 200)
        return len(captured)

    def test_queries_do_not_grow_with_the_campaign(self) -> None:
        campaign = make_campaign(deadline=timezone.now() + timedelta(days=3))
        self.grow(campaign, 9)
        self.client.force_login(make_reviewer(campaign))
        html, json = dashboard_url(campaign), dashboard_url(campaign, format="json")
        self.queries(html)
        few = (self.queries(html), self.queries(json))
        self.grow(campaign, 990)
        self.assertEqual((self.queries(html), self.queries(json)), few)
        # Two responses made the real way, and 999 copies of them.
        self.assertEqual(analytics.status(campaign, timezone.now()).responded, 1001)
