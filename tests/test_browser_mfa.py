"""Staff two-factor in a real browser: enrolment from the QR page's key, recovery codes, the
verification page; each page under the strict CSP and with no axe violation."""

from __future__ import annotations

from base64 import b32decode
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from tests.browser_helpers import can_log_in, log_in, watch_console
from tests.helpers import make_campaign
from tests.review_helpers import make_reviewer
from tests.test_accessibility import problems

pytestmark = pytest.mark.django_db(transaction=True)


def code_from_key(key: bytes, shift: int = 0) -> str:
    return f"{totp(key, t0=shift):06d}"


def type_code(page: Page, label: str, code: str, button: str) -> None:
    page.get_by_label(label).fill(code)
    page.get_by_role("button", name=button).click()


def test_a_reviewer_enrols_then_logs_in_with_a_recovery_code(
    browser: Browser, live_server: Any, settings: Any
) -> None:
    settings.STAFF_MFA = True
    reviewer = can_log_in(make_reviewer(make_campaign()))
    base = live_server.url
    page = browser.new_context().new_page()
    console = watch_console(page)
    found: list[str] = []

    log_in(page, base, reviewer.email)
    page.goto(f"{base}{reverse('admin:index')}")
    expect(page).to_have_url(f"{base}{reverse('survey-mfa-enrol')}?next=/manage/")
    qr = page.get_by_role("img", name="QR code of the secret, for your app to scan")
    expect(qr).to_be_visible()
    found += problems(page)
    key = b32decode(page.locator("#totp-secret").inner_text().replace(" ", ""))

    right = {code_from_key(key, shift) for shift in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in right)
    type_code(page, "Code shown by the app", wrong, "Confirm")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Code shown by the app")).to_have_attribute(
        "aria-invalid", "true"
    )
    found += problems(page)
    # django-otp throttles the next try for a second after a failure: let it lapse by
    # moving the failure back rather than by waiting on the clock.
    TOTPDevice.objects.filter(throttling_failure_timestamp__isnull=False).update(
        throttling_failure_timestamp=F("throttling_failure_timestamp")
        - timedelta(seconds=2)
    )
    type_code(page, "Code shown by the app", code_from_key(key), "Confirm")

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    found += problems(page)
    page.get_by_role("link", name="Continue").click()
    expect(page).to_have_url(f"{base}/manage/")
    expect(page.get_by_role("link", name="Recovery codes")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, base, reviewer.email)
    page.goto(f"{base}{reverse('admin:index')}")
    expect(
        page.get_by_role("heading", name="Two-factor authentication")
    ).to_be_visible()
    found += problems(page)
    type_code(page, "Code", codes[0], "Continue")
    expect(page).to_have_url(f"{base}/manage/")
    expect(page.get_by_text("You used a recovery code; 9 are left.")).to_be_visible()

    assert found == []
    assert console == []
