from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # The production hasher is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Serve static files from the apps as in development: tests run no collectstatic.
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True
