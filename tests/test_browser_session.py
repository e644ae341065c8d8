"""The session expiry warning in a real browser (AC-5, DL-2): the page's clock is Playwright's
fake one, the session's end is set on the server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, expect

from survey.models import Response
from tests.browser_helpers import log_in, preparer_of, watch_console

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_warning_extends_the_session_and_an_ended_one_keeps_the_page(
    browser: Browser, live_server: Any
) -> None:
    response, _user = preparer_of("lee@zeta.example")
    context = browser.new_context()
    page = context.new_page()
    problems = watch_console(page)
    page.clock.install()
    log_in(page, live_server.url, "lee@zeta.example")
    page.goto(
        f"{live_server.url}{reverse('survey-section', args=[response.uuid, 'A'])}"
    )
    page.locator("#id_A1").fill("Zeta Works")
    page.clock.run_for(16_000)
    expect(page.locator("[data-autosave-status]")).to_contain_text("Draft saved at")
    cookie = next(
        c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME
    )
    session = SessionStore(session_key=cookie["value"])
    session.set_expiry(timezone.now() + timedelta(seconds=110))
    session.save()

    # 27 minutes later by the page's clock, the server says under 2 minutes are left.
    page.clock.fast_forward("27:10")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Your session will end in 2 minutes.")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    left = Session.objects.get(session_key=cookie["value"]).expire_date - timezone.now()
    assert left > timedelta(minutes=29)
    expect(page.locator("#id_A1")).to_have_value("Zeta Works")

    # The session ends on the server; the page says so at its next look.
    Session.objects.all().delete()
    page.clock.fast_forward("30:00")
    expect(dialog).to_contain_text("Your session has ended.")
    expect(dialog.get_by_role("link", name="Log in again")).to_be_focused()
    dialog.get_by_role("button", name="Stay on this page").click()
    expect(dialog).to_be_hidden()
    answer = page.locator("#id_A1")
    expect(answer).to_have_value("Zeta Works")
    answer.fill("Zeta Works Ltd")
    page.clock.run_for(16_000)
    expect(page.locator("[data-autosave-status]")).to_contain_text(
        "Your session expired: log in again"
    )
    context.close()
    assert Response.objects.get(pk=response.pk).answers["A1"] == "Zeta Works"
    # Chromium logs each 401 it was answered; nothing else, CSP included, went wrong.
    assert [p for p in problems if "status of 401" not in p] == []
