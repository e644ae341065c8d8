"""What the browser tests share: a password that logs in, the login and invitation pages,
the console, and questions found by their id."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from playwright.sync_api import Locator, Page

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


def accept_invitation(page: Page, base: str, token: str, name: str) -> None:
    """Follow an invitation link and set the password that logs in (PASSWORD)."""
    page.goto(f"{base}{reverse('survey-accept-invitation', args=[token])}")
    page.locator("#id_full_name").fill(name)
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="Set my password and continue").click()


def answer(page: Page, question: str) -> Locator:
    """The input of a question by its id, dotted ids included (a dot in a CSS id
    selector would read as a class)."""
    return page.locator(f"[id='id_{question}']")


def choose(page: Page, question: str, value: str) -> None:
    page.locator(f"input[name='{question}'][value='{value}']").check()


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
