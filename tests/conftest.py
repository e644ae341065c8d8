from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# browser tests' setup are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _reset_language(request: pytest.FixtureRequest) -> None:
    # A request served in French leaves French active in the test thread; later tests
    # that read get_language() would then depend on the order the tests ran in.
    from django.utils import translation

    request.addfinalizer(lambda: translation.activate("en"))


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # The production hasher is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Serve static files from the apps as in development: tests run no collectstatic.
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True
    # force_login stands for the whole login elsewhere; tests/test_mfa.py turns staff
    # two-factor on with override_settings, whatever STAFF_MFA or DEBUG the shell has.
    settings.STAFF_MFA = False


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
) -> dict[str, Any]:
    """Debian's Chromium (Playwright cannot download its own here); no silent skip."""
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
