from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveyConfig(AppConfig):
    name = "survey"
    verbose_name = _("Dependency survey")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from survey import audit

        # Framework hooks only: each receiver just records an audit event.
        user_logged_in.connect(audit.record_login, dispatch_uid="survey.audit.login")
        user_login_failed.connect(
            audit.record_login_failure, dispatch_uid="survey.audit.login_failed"
        )
        user_locked_out.connect(
            audit.record_lockout, dispatch_uid="survey.audit.locked_out"
        )
