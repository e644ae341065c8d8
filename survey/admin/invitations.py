"""Invitations: import organisations and contacts from a file, send and resend links."""

from __future__ import annotations

import logging
from collections.abc import Callable
from io import BytesIO
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from survey import imports
from survey.admin.audited import AuditedMixin
from survey.admin.forms import ImportForm
from survey.emails import send_invitation
from survey.invitations import new_token, renew
from survey.models import AuditEvent, Invitation, UserManager

# The last import's problems, kept in the session for the report download.
SESSION_KEY = "survey_import_problems"
# At most this many addresses are named in the message about emails that failed.
UNSENT_SHOWN = 10

logger = logging.getLogger(__name__)


@admin.register(Invitation)
class InvitationAdmin(AuditedMixin, admin.ModelAdmin):
    change_list_template = "admin/survey/invitation/change_list.html"
    list_display = [
        "email",
        "organisation",
        "role",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
    ]
    list_filter = ["role"]
    search_fields = ["email", "organisation__legal_name", "organisation__uei"]
    list_select_related = ["organisation"]
    readonly_fields = [
        "created_by",
        "created_at",
        "expires_at",
        "sent_at",
        "accepted_at",
    ]
    autocomplete_fields = ["organisation"]
    actions = ["resend"]

    def save_model(
        self, request: HttpRequest, obj: Invitation, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new invitation typed in here gets a token and its email, as an imported one.
        token, obj.token_hash = new_token()
        obj.email = UserManager.normalize_email(obj.email)
        obj.expires_at = timezone.now() + Invitation.VALIDITY
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not self._send(request, obj, token):
            self._report_unsent(request, [obj.email])

    @admin.action(description=_("Send a new link"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        sent, unsent = 0, []
        for invitation in queryset.filter(accepted_at__isnull=True).select_related(
            "organisation"
        ):
            token = renew(invitation)
            if token is None:
                continue
            if self._send(request, invitation, token):
                sent += 1
            else:
                unsent.append(invitation.email)
        self.message_user(
            request,
            gettext("%(n)d invitation(s) sent; accepted ones were skipped.")
            % {"n": sent},
        )
        if unsent:
            self._report_unsent(request, unsent)

    def _send(self, request: HttpRequest, invitation: Invitation, token: str) -> bool:
        """Email one invitation; False (logged) when the mail relay refuses it."""
        try:
            send_invitation(invitation, token, actor=request.user)
        except Exception:  # noqa: BLE001 – any backend's error; logged, reported
            logger.exception("Invitation %s not emailed", invitation.pk)
            return False
        return True

    def _report_unsent(self, request: HttpRequest, emails: list[str]) -> None:
        shown = ", ".join(emails[:UNSENT_SHOWN])
        if len(emails) > UNSENT_SHOWN:
            shown += ", …"
        self.message_user(
            request,
            gettext(
                "%(n)d invitation(s) could not be emailed: %(emails)s. Select them "
                "below and use “Send a new link”."
            )
            % {"n": len(emails), "emails": shown},
            messages.WARNING,
        )

    def get_urls(self) -> list[URLPattern]:
        def view(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(func)

        return [
            path("import/", view(self.import_view), name="survey_invitation_import"),
            path(
                "import/problems.csv",
                view(self.problems_view),
                name="survey_invitation_import_problems",
            ),
            path(
                "import/template.xlsx",
                view(self.template_view),
                name="survey_invitation_import_template",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        problems: list[imports.Problem] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                table = imports.read_table(upload.name, upload.read())
            except Exception as error:  # noqa: BLE001 – any unreadable file is a form error
                form.add_error(
                    "file", gettext("The file cannot be read: %(e)s") % {"e": error}
                )
            else:
                rows, problems = imports.parse(table)
                problems = sorted(
                    problems + imports.conflicts(rows), key=lambda p: p.line
                )
                if not problems:
                    return self._import(request, form, rows)
                request.session[SESSION_KEY] = imports.error_report(problems)
        return TemplateResponse(
            request,
            "admin/survey/invitation/import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Import organisations and contacts"),
                "form": form,
                "problems": problems,
            },
        )

    def _import(
        self, request: HttpRequest, form: ImportForm, rows: list[imports.Row]
    ) -> HttpResponse:
        campaign = form.cleaned_data["campaign"]
        result = imports.apply(rows, campaign, request.user)
        AuditEvent.record(
            "invitations.imported",
            actor=request.user,
            campaign=campaign,
            file=form.cleaned_data["file"].name,
            rows=len(rows),
            organisations_created=result.organisations_created,
        )
        unsent = []
        if form.cleaned_data["send_emails"]:
            # The import is committed: one refused address or a mail server that drops
            # out must not leave the later invitations unsent, nor end in a 500.
            unsent = [
                invitation.email
                for invitation, token in result.invitations
                if not self._send(request, invitation, token)
            ]
        self.message_user(
            request,
            gettext(
                "%(rows)d row(s) imported: %(orgs)d new organisation(s), "
                "%(invitations)d invitation(s)."
            )
            % {
                "rows": len(rows),
                "orgs": result.organisations_created,
                "invitations": len(result.invitations),
            },
            messages.SUCCESS,
        )
        if unsent:
            self._report_unsent(request, unsent)
        return HttpResponseRedirect(reverse("admin:survey_invitation_changelist"))

    def template_view(self, request: HttpRequest) -> HttpResponse:
        """The file to fill in: the expected headers and one example row."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        content = BytesIO()
        imports.template(content)
        response = HttpResponse(
            content.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            'attachment; filename="invitations-template.xlsx"'
        )
        return response

    def problems_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        report = request.session.get(SESSION_KEY)
        if report is None:
            return HttpResponseRedirect(reverse("admin:survey_invitation_import"))
        response = HttpResponse(report, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="import-problems-{stamp}.csv"'
        )
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_import": self.has_add_permission(request),
        }
        return super().changelist_view(request, extra_context)
