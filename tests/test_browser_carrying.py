"""The carried-forward journey in a real browser: a contractor answering the next
campaign checks each page of last time's answers, confirms the uses, and submits."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from survey.models import Membership, Response
from tests.browser_helpers import can_log_in, choose, log_in, watch_console
from tests.helpers import make_campaign, make_response, make_user
from tests.review_helpers import ANSWERS, make_submitted

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_carried_response_is_confirmed_page_by_page_then_submitted(
    browser: Browser, live_server: Any
) -> None:
    before = make_submitted(make_campaign(slug="q1", title="First quarter"))
    campaign = make_campaign(
        slug="q2", title="Second quarter", predecessor=before.campaign
    )
    response = make_response(campaign, before.organisation)
    can_log_in(
        make_user("sam@carried.example", before.organisation, Membership.Role.SIGNATORY)
    )

    page = browser.new_page()
    problems = watch_console(page)
    log_in(page, live_server.url, "sam@carried.example")
    page.get_by_role("link", name="Second quarter").click()

    carried = page.locator("#carried")
    expect(carried).to_contain_text("submission to “First quarter”")
    expect(page.locator("#id_A1")).to_have_value(ANSWERS["A1"])
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="B. ", exact=False)).to_be_visible()
    expect(carried).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()

    # The use register: the use came along; the list is confirmed as a whole.
    expect(carried).to_contain_text("These uses come from")
    expect(page.get_by_role("link", name="Code assistant", exact=True)).to_be_visible()
    page.get_by_role("button", name="Confirm the uses").click()
    expect(page.get_by_role("status").first).to_contain_text("confirmed")
    expect(carried).to_have_count(0)

    page.get_by_role("link", name="E. Transition readiness and flowdown").click()
    page.get_by_role("button", name="Save and continue").click()
    # The attestation is never carried: it is given again.
    choose(page, "F3", "yes")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Confirm the answers carried forward")).to_have_count(0)
    page.get_by_role("button", name="Attest and submit").click()
    page.get_by_role("button", name="Confirm: attest and submit").click()
    expect(page.get_by_role("heading", name="Submission receipt")).to_be_visible()
    page.close()

    response.refresh_from_db()
    assert response.status == Response.Status.SUBMITTED
    assert response.carried_from == before.submissions.get()
    assert response.to_confirm == []
    assert [u.name for u in response.uses.all()] == ["Code assistant"]
    assert problems == []
