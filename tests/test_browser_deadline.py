"""DD-3: the deadline follows the server's clock, never the browser's (a real browser).

Playwright's clock stands for a wrong computer clock: two hours before the deadline while
the server is a minute past it, and the other way round. The server decides whether the
response is open (the section page, the home page, every save), and the countdown the
pages show runs from the seconds the server said were left, measured with the page's
monotonic clock, so that neither a clock set back nor one set ahead counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from survey.models import Campaign, Response
from tests.browser_helpers import log_in, preparer_of, watch_console
from tests.helpers import complete_org_answers, make_campaign

pytestmark = pytest.mark.django_db(transaction=True)

# What the countdown reads an hour before the deadline, from the server's figure.
AN_HOUR_LEFT = re.compile(r"^(0 h 59|1 h 0) min left$")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Closed at the end, so that no keep-alive connection of Chromium's keeps a live
    # server thread, and its database connection, past the test.
    context = browser.new_context()
    yield context.new_page()
    context.close()


def open_page(page: Page, base: str, email: str, browser_time: datetime) -> list[str]:
    """Log in on a page whose clock reads `browser_time` from the first navigation;
    the console's errors."""
    problems = watch_console(page)
    page.clock.install(time=browser_time)
    log_in(page, base, email)
    return problems


def section_a(response: Response) -> str:
    return reverse("survey-section", args=[response.uuid, "A"])


def answer_a1(response: Response) -> str:
    response.refresh_from_db()
    return response.answers["A1"]


def a_response(email: str, deadline: datetime) -> Response:
    campaign = make_campaign(deadline=deadline)
    response, _user = preparer_of(
        email, campaign=campaign, answers=complete_org_answers(A1="Eta Works")
    )
    return response


def test_after_the_deadline_the_pages_are_closed_whatever_the_browser_clock(
    page: Page, live_server: Any
) -> None:
    deadline = timezone.now() - timedelta(minutes=1)
    response = a_response("kim@eta.example", deadline)
    problems = open_page(
        page, live_server.url, "kim@eta.example", deadline - timedelta(hours=2)
    )
    row = page.get_by_role("row", name=re.compile("Eta|Contractor"))
    expect(row).to_contain_text("closed")
    expect(row.locator("[data-countdown]")).to_have_count(0)

    page.goto(f"{live_server.url}{section_a(response)}")
    expect(page.get_by_role("status").first).to_contain_text("The deadline passed at")
    expect(page.locator("[data-countdown]")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"\bleft\b"))).to_have_count(0)
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    assert problems == []


def test_saves_after_the_deadline_are_refused_though_the_browser_clock_is_before_it(
    page: Page, live_server: Any
) -> None:
    """The page was opened while the response was open; then the server's clock passed
    the deadline (moved to a minute ago here), the browser's still two hours before."""
    deadline = timezone.now() - timedelta(minutes=1)
    response = a_response("kim@theta.example", timezone.now() + timedelta(hours=1))
    problems = open_page(
        page, live_server.url, "kim@theta.example", deadline - timedelta(hours=2)
    )
    page.goto(f"{live_server.url}{section_a(response)}")
    # From the server's hour left, not the three the browser's clock would make.
    expect(page.locator("[data-countdown]")).to_have_text(AN_HOUR_LEFT)

    Campaign.objects.filter(pk=response.campaign_id).update(deadline=deadline)
    page.locator("#id_A1").fill("Typed too late")
    page.clock.run_for(16_000)  # the autosave's interval
    expect(page.locator("[data-autosave-status]")).to_contain_text(
        "The deadline passed at"
    )
    assert answer_a1(response) == "Eta Works"

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading")).to_contain_text("Your change was not accepted")
    expect(page.get_by_role("alert")).to_contain_text("The deadline passed at")
    assert answer_a1(response) == "Eta Works"

    page.goto(f"{live_server.url}{section_a(response)}")
    expect(page.locator("[data-countdown]")).to_have_count(0)
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    # Chromium logs the two 403s it was answered; nothing else went wrong.
    assert [p for p in problems if "status of 403" not in p] == []


def test_before_the_deadline_saves_go_through_though_the_browser_clock_is_after_it(
    page: Page, live_server: Any
) -> None:
    deadline = timezone.now() + timedelta(hours=1)
    response = a_response("kim@iota.example", deadline)
    problems = open_page(
        page, live_server.url, "kim@iota.example", deadline + timedelta(hours=2)
    )
    row = page.get_by_role("row", name=re.compile("Eta|Contractor"))
    expect(row.locator("[data-countdown]")).to_have_text(AN_HOUR_LEFT)

    page.goto(f"{live_server.url}{section_a(response)}")
    expect(page.locator("[data-countdown]")).to_have_text(AN_HOUR_LEFT)
    page.locator("#id_A1").fill("Iota Autosaved")
    page.clock.run_for(16_000)
    expect(page.locator("[data-autosave-status]")).to_contain_text("Draft saved at")
    assert answer_a1(response) == "Iota Autosaved"

    page.locator("#id_A1").fill("Iota Saved")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved at")
    assert answer_a1(response) == "Iota Saved"
    assert problems == []
