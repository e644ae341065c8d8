from __future__ import annotations

import pytest


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
