"""Staff journeys in a real browser (Debian's Chromium driven by Playwright): a reviewer
returns a response for clarification and accepts the amendment; an admin imports
organisations, extends a deadline, and exports and downloads the campaign workbook."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from survey.models import (
    AuditEvent,
    Campaign,
    Invitation,
    Membership,
    Organisation,
    Response,
    ReviewComment,
    Submission,
)
from tests.browser_helpers import (
    PASSWORD,
    can_log_in,
    log_in,
    reviewer_of,
    watch_console,
)
from tests.helpers import make_campaign
from tests.review_helpers import make_admin_officer, make_submitted

pytestmark = pytest.mark.django_db(transaction=True)


def log_in_to_admin(page: Page, base: str, email: str) -> None:
    """Through the admin's own login page, where staff arrive by its address."""
    page.goto(f"{base}{reverse('admin:index')}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # In, with no second factor asked: tests run with STAFF_MFA off (conftest).
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def open_response(page: Page, organisation: Organisation) -> None:
    """From the admin's home to the response, by the list of responses."""
    page.get_by_role("link", name="Responses", exact=True).first.click()
    page.get_by_role("link", name=str(organisation), exact=True).click()
    expect(page.get_by_role("link", name="Compare versions")).to_be_visible()


def test_reviewer_returns_a_response_and_accepts_the_amendment(
    browser: Browser, live_server: Any
) -> None:
    base = live_server.url
    campaign = make_campaign()
    response = make_submitted(campaign)
    organisation = response.organisation
    signatory = can_log_in(Membership.objects.get(organisation=organisation).user)
    reviewer = reviewer_of(campaign)

    # The reviewer returns it with a comment on A1.
    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    log_in_to_admin(page, base, reviewer.email)
    open_response(page, organisation)
    page.get_by_role("link", name="Return for clarification").click()
    expect(page.get_by_role("heading", name="Return for clarification")).to_be_visible()
    comment = page.get_by_label(re.compile(r"^Comment on A1:?$"))
    expect(comment).to_have_count(1)
    expect(comment).to_be_hidden()
    page.locator("details.return-section summary").first.click()
    comment.fill("Please give the legal name as registered in SAM.")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Returned for clarification.")).to_be_visible()
    context.close()
    response.refresh_from_db()
    assert response.status == Response.Status.RETURNED

    # The signatory sees the comment on that question, amends it and submits again.
    context = browser.new_context()
    page = context.new_page()
    problems += watch_console(page)
    log_in(page, base, signatory.email)
    page.get_by_role("link", name="1 reviewer comment to answer").click()
    returned = page.get_by_role("region", name=re.compile("Returned for clarification"))
    expect(returned).to_contain_text("Please give the legal name as registered in SAM.")
    returned.get_by_role("link", name=re.compile("A1")).click()
    question = page.locator("#q-A1")
    expect(question.get_by_role("note")).to_contain_text(
        "Please give the legal name as registered in SAM."
    )
    page.locator("#id_A1").fill("Acme Widgets Holdings LLC")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved at")
    expect(returned.get_by_text("answered", exact=True)).to_be_visible()
    page.get_by_role("link", name="Review and submit").click()
    expect(page.get_by_text("required answers are missing")).to_have_count(0)
    page.get_by_role("button", name="Attest and submit").click()
    page.get_by_role("button", name="Confirm: attest and submit").click()
    expect(page.get_by_role("heading", name="Submission receipt")).to_be_visible()
    context.close()

    # The reviewer sees what changed in the new version, and accepts it.
    context = browser.new_context()
    page = context.new_page()
    problems += watch_console(page)
    log_in_to_admin(page, base, reviewer.email)
    open_response(page, organisation)
    page.get_by_role("link", name="Compare versions").click()
    expect(
        page.get_by_role("heading", name="Changes between submitted versions")
    ).to_be_visible()
    change = page.get_by_role("row", name=re.compile("A1"))
    expect(change.locator("del")).to_have_text("Acme Widgets LLC")
    expect(change.locator("ins")).to_have_text("Acme Widgets Holdings LLC")
    # Only A1 changed: the header row and its row (the admin's sidebar is a table too).
    expect(page.locator("#content").get_by_role("row")).to_have_count(2)
    # Back to the response by the breadcrumbs.
    page.locator(".breadcrumbs").get_by_role("link", name=str(response)).click()
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_text("the response is now Accepted")).to_be_visible()
    context.close()

    response.refresh_from_db()
    assert response.status == Response.Status.ACCEPTED
    assert response.answers["A1"] == "Acme Widgets Holdings LLC"
    submissions = list(response.submissions.order_by("number"))
    assert [s.number for s in submissions] == [1, 2]
    assert [s.answers["A1"] for s in submissions] == [
        "Acme Widgets LLC",
        "Acme Widgets Holdings LLC",
    ]
    assert submissions[0].sha256 != submissions[1].sha256
    assert Submission.objects.filter(response=response).count() == 2
    comment = ReviewComment.objects.get(response=response)
    assert (comment.question_id, comment.author) == ("A1", reviewer)
    assert comment.state == "resolved"  # answered by the amendment, closed by Accept
    assert problems == []


CONTACTS = [
    ["Legal name", "UEI", "CAGE codes", "Contact name", "Email", "Role"],
    [
        "Juniper Robotics LLC",
        "JNPRRBT12345",
        "3JNP7",
        "Jo Park",
        "jo@juniper.example",
        "signatory",
    ],
    [
        "Larch Analytics Inc",
        "LRCHANL67890",
        "",
        "Lou Reed",
        "lou@larch.example",
        "preparer",
    ],
]


def test_admin_imports_extends_a_deadline_and_downloads_the_export(
    browser: Browser, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    campaign = make_campaign(title="AI vendor dependence 2027")
    admin_officer = can_log_in(make_admin_officer())
    contacts = tmp_path / "contacts.xlsx"
    book = openpyxl.Workbook()
    for row in CONTACTS:
        book.active.append(row)
    book.save(contacts)

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems = watch_console(page)
    log_in_to_admin(page, base, admin_officer.email)

    # Import the two organisations and their contacts.
    page.get_by_role("link", name="Invitations", exact=True).first.click()
    page.get_by_role("link", name="Import from a file").click()
    page.get_by_label("Campaign").select_option(label=str(campaign))
    page.get_by_label("File (.xlsx or .csv)").set_input_files(contacts)
    page.get_by_role("button", name="Import").click()
    expect(
        page.get_by_text("2 row(s) imported: 2 new organisation(s), 2 invitation(s)")
    ).to_be_visible()
    expect(page.get_by_role("link", name="jo@juniper.example")).to_be_visible()

    # Give one of them a week more.
    page.get_by_role("link", name="Home").first.click()
    juniper = Organisation.objects.get(uei="JNPRRBT12345")
    open_response(page, juniper)
    page.get_by_role("link", name="Grant extension").click()
    zone = ZoneInfo(campaign.display_timezone)
    later = (campaign.deadline + timedelta(days=7)).astimezone(zone)
    later = later.replace(hour=17, minute=0, second=0, microsecond=0)
    page.get_by_label(re.compile("^New deadline")).fill(
        later.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Reason").fill("Key staff on leave until next week")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Extension granted.")).to_be_visible()

    # Export the campaign and download the workbook.
    page.get_by_role("link", name="Home").first.click()
    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    page.get_by_role("link", name=str(campaign), exact=True).click()
    page.get_by_role("link", name="Export to Excel").click()
    page.get_by_label("Full workbook").check()
    page.get_by_label("Excel workbook (.xlsx)").check()
    page.get_by_role("button", name="Start the export").click()
    expect(page).to_have_url(re.compile(r"/exportjob/\d+/change/"))
    progress = page.get_by_label("Progress")
    expect(progress).to_have_attribute("value", "0")
    # The worker, as `manage.py db_worker` runs it beside the web server; the page
    # keeps polling meanwhile.
    call_command("db_worker", batch=True, startup_delay=False, stdout=StringIO())
    expect(progress).to_have_attribute("value", "100")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the file").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    content = download.path().read_bytes()
    context.close()

    workbook = openpyxl.load_workbook(BytesIO(content))
    manifest = dict(
        row[:2] for row in workbook["Manifest"].iter_rows(values_only=True) if row
    )
    assert manifest["Campaign"] == campaign.title
    # Invited and not started: both imported organisations are non-respondents (the
    # category's count row first, then one row per response).
    quality = [
        row
        for row in workbook["Data quality"].iter_rows(values_only=True)
        if row[0] == "Non-respondents"
    ]
    assert quality[0][1] == 2
    assert sorted((row[3], row[4], row[5]) for row in quality[1:]) == [
        ("JNPRRBT12345", "Juniper Robotics LLC", "Invited"),
        ("LRCHANL67890", "Larch Analytics Inc", "Invited"),
    ]

    juniper_response = Response.objects.get(organisation=juniper, campaign=campaign)
    assert juniper_response.extended_deadline == later.astimezone(UTC)
    assert juniper_response.extension_reason == "Key staff on leave until next week"
    granted = AuditEvent.objects.get(action="response.extension_granted")
    assert (granted.actor, granted.object_id) == (
        admin_officer,
        str(juniper_response.pk),
    )
    larch = Response.objects.get(organisation__uei="LRCHANL67890")
    assert larch.extended_deadline is None
    assert (
        Invitation.objects.filter(
            organisation__in=[juniper, larch.organisation]
        ).count()
        == 2
    )
    assert Campaign.objects.get(pk=campaign.pk).deadline == campaign.deadline
    assert problems == []
