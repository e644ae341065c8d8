"""What the browser tests share: a password that logs in, the login page, the console."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from playwright.sync_api import Page

from survey.models import Campaign, Membership, Response, User
from tests.helpers import make_organisation, make_response, make_user

PASSWORD = "a long passphrase 42"


def watch_console(page: Page) -> list[str]:
    """Collect console errors, CSP violations included, to assert there are none."""
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def can_log_in(user: User) -> User:
    user.set_password(PASSWORD)
    user.save()
    return user


def preparer_of(email: str, **response_fields: Any) -> tuple[Response, Any]:
    """A response, and a preparer of its organisation who logs in with PASSWORD."""
    org = response_fields.pop("organisation", None) or make_organisation()
    response = make_response(organisation=org, **response_fields)
    user = can_log_in(make_user(email, org, Membership.Role.PREPARER))
    return response, user


def reviewer_of(*campaigns: Campaign) -> User:
    """A reviewer assigned to these campaigns who logs in with PASSWORD."""
    from tests.review_helpers import make_reviewer

    return can_log_in(make_reviewer(*campaigns))
