"""The review and administration site: the Django admin, customised."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from survey.admin import (
    accounts,
    campaigns,
    exports,
    invitations,
    questionnaires,
    records,
    responses,
    scoring,
)

__all__ = [
    "accounts",
    "campaigns",
    "exports",
    "invitations",
    "questionnaires",
    "records",
    "responses",
    "scoring",
]

admin.site.site_header = _("Dependency survey – review and administration")
admin.site.site_title = _("Dependency survey")
