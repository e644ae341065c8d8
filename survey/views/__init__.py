"""Views: thin functions that check access, call model methods and render.

One module per group of pages. Every view is re-exported here, so that survey/urls.py and
the settings' dotted paths (CSRF_FAILURE_VIEW, AXES_LOCKOUT_CALLABLE) keep naming
`survey.views.X`.
"""

from __future__ import annotations

from survey.views.accounts import PasswordResetConfirm, accept_invitation, locked_out
from survey.views.common import login_required_json
from survey.views.mfa import recovery_codes, two_factor, two_factor_setup
from survey.views.register import use_delete, uses
from survey.views.sections import autosave, section, start, use_autosave, use_edit
from survey.views.site import csrf_failure, healthz, home, session_status
from survey.views.submission import attachment, export, receipt, review, submit

__all__ = [
    "PasswordResetConfirm",
    "accept_invitation",
    "attachment",
    "autosave",
    "csrf_failure",
    "export",
    "healthz",
    "home",
    "locked_out",
    "login_required_json",
    "receipt",
    "recovery_codes",
    "review",
    "section",
    "session_status",
    "start",
    "submit",
    "two_factor",
    "two_factor_setup",
    "use_autosave",
    "use_delete",
    "use_edit",
    "uses",
]
