"""Automated accessibility scan (axe-core, bundled by axe-playwright-python, offline) of
every kind of page, in Debian's Chromium: no violation at all (issue 10 §19 asks for no
serious or critical one; the minor ones it found, an empty table header, are fixed too)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page

from survey.models import Membership, ReviewComment, Use
from tests.browser_helpers import can_log_in, log_in, reviewer_of
from tests.helpers import (
    complete_org_answers,
    complete_use_answers,
    make_campaign,
    make_organisation,
    make_response,
    make_user,
)
from tests.review_helpers import make_admin_officer

pytestmark = pytest.mark.django_db(transaction=True)


def problems(page: Page) -> list[str]:
    """Every violation on the page, whatever its impact, one line each."""
    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): "
        + "; ".join(n["target"][0] if n.get("target") else "" for n in v["nodes"][:3])
        for v in results.response["violations"]
    ]


def test_no_violation_anywhere(browser: Browser, live_server: Any) -> None:
    from tests.analytics_data import seven_contractors

    campaign = make_campaign(handling_banner="CUI // PROPRIETARY")
    org = make_organisation(legal_name="Alpha Systems")
    preparer = make_user("pat@alpha.example", org, Membership.Role.PREPARER)
    signatory = make_user("sam@alpha.example", org, Membership.Role.SIGNATORY)
    can_log_in(preparer)
    draft = make_response(campaign, org, answers={"A1": "Alpha Systems"})
    use = Use.objects.create(response=draft, position=1, answers={"D1": "Drafting"})
    other = make_campaign(slug="second", title="Second campaign")
    done = make_response(other, org, answers=complete_org_answers())
    Use.objects.create(response=done, position=1, answers=complete_use_answers())
    done.submit(signatory, None, timezone.now())
    figures = seven_contractors()
    reviewer = reviewer_of(figures, other)
    ReviewComment.objects.create(
        response=done, question_id="A4", text="Please check", author=reviewer
    )
    context = browser.new_context()
    page = context.new_page()
    base = live_server.url
    found: list[str] = []
    page.goto(f"{base}{reverse('login')}")
    found += problems(page)
    log_in(page, base, preparer.email)
    for path in (
        reverse("survey-home"),
        reverse("survey-section", args=[draft.uuid, "A"]),
        reverse("survey-uses", args=[draft.uuid]),
        reverse("survey-use", args=[draft.uuid, use.uuid]),
        reverse("survey-review", args=[draft.uuid]),
        reverse("survey-receipt", args=[done.uuid]),
    ):
        page.goto(f"{base}{path}")
        found += problems(page)
    # The error summary, as after a bad answer.
    page.goto(f"{base}{reverse('survey-section', args=[draft.uuid, 'A'])}")
    page.locator("#id_A2").fill("not a UEI")
    page.get_by_role("button", name="Save draft").click()
    found += problems(page)
    page.context.clear_cookies()
    log_in(page, base, reviewer.email)
    for path in (
        reverse("admin:survey_response_changelist"),
        reverse("admin:survey_response_change", args=[done.pk]),
        reverse("admin:survey_campaign_dashboard", args=[figures.pk]),
        reverse("admin:survey_response_return", args=[done.pk]),
        reverse("admin:survey_response_diff", args=[done.pk]),
    ):
        page.goto(f"{base}{path}")
        found += problems(page)
    # The return page with a section's comment boxes unfolded.
    page.goto(f"{base}{reverse('admin:survey_response_return', args=[done.pk])}")
    page.locator("details.return-section summary").first.click()
    found += problems(page)
    # Its error, as after confirming with nothing written.
    page.get_by_role("button", name="Confirm").click()
    page.locator(".errorlist").first.wait_for()
    found += problems(page)
    page.context.clear_cookies()
    log_in(page, base, can_log_in(make_admin_officer()).email)
    for path in (
        reverse("admin:survey_invitation_import"),
        reverse("admin:survey_response_extension", args=[draft.pk]),
        reverse("admin:survey_campaign_export", args=[campaign.pk]),
    ):
        page.goto(f"{base}{path}")
        found += problems(page)
    # The export's job page, as the options page's button leads to it.
    page.get_by_role("button", name="Start the export").click()
    page.get_by_label("Progress").wait_for()
    found += problems(page)
    # The import page's field errors, as after importing with nothing chosen.
    page.goto(f"{base}{reverse('admin:survey_invitation_import')}")
    page.get_by_role("button", name="Import").click()
    page.locator(".errorlist").first.wait_for()
    found += problems(page)
    context.close()
    assert found == [], "\n".join(found)
