"""Exports in the admin: the options form, "my exports", the job page with its progress
bar, and the permission-checked download.

Who may open a job: the person who asked for it, while the campaign is still theirs to
see (CampaignScopedAdmin); anyone else gets 404, as for a missing job.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from survey import exports, jobs
from survey.admin.scoping import CampaignScopedAdmin
from survey.analytics import Filter
from survey.audit import client_ip
from survey.models import AuditEvent, Campaign, ExportJob


class ExportForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"), choices=[("en", "English"), ("fr", "Français")]
    )
    cells = forms.ChoiceField(
        label=_("Answer cells"),
        choices=[("labels", _("Labels")), ("codes", _("Option codes"))],
        widget=forms.RadioSelect,
    )
    scope = forms.ChoiceField(
        label=_("Sheets"),
        choices=[
            ("full", _("Full workbook")),
            ("aggregates", _("Aggregate sheets only")),
        ],
        widget=forms.RadioSelect,
    )
    drafts = forms.BooleanField(
        label=_("Include drafts (the live answers, not yet attested)"), required=False
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("xlsx", _("Excel workbook (.xlsx)")),
            ("csv", _("CSV: Contractors and Uses in a zip")),
        ],
        widget=forms.RadioSelect,
    )

    def options(self, flt: Filter, responses: tuple[int, ...] = ()) -> exports.Options:
        data = self.cleaned_data
        return exports.Options(
            filter=replace(flt, include_drafts=data["drafts"]),
            language=data["language"],
            codes=data["cells"] == "codes",
            aggregates_only=data["scope"] == "aggregates" and not responses,
            format=data["format"],
            responses=responses,
        )


def export_form_initial(request: HttpRequest, flt: Filter) -> dict[str, Any]:
    language = (getattr(request, "LANGUAGE_CODE", "") or "en")[:2]
    return {
        "drafts": flt.include_drafts,
        "language": language if language in exports.campaign.LANGUAGES else "en",
        "cells": "labels",
        "scope": "full",
        "format": "xlsx",
    }


def export_view(
    model_admin: Any, request: HttpRequest, campaign: Campaign
) -> HttpResponse:
    """The options of a campaign export (the dashboard's filters come along)."""
    if not request.user.has_perm("survey.add_exportjob"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    flt = Filter.from_query(source)
    form = ExportForm(
        request.POST if request.method == "POST" else None,
        initial=export_form_initial(request, flt),
    )
    if request.method == "POST" and form.is_valid():
        job = jobs.request(
            campaign, request.user, form.options(flt), client_ip(request)
        )
        return redirect("admin:survey_exportjob_change", job.pk)
    return TemplateResponse(
        request,
        "admin/survey/exportjob/start.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": ExportJob._meta,
            "original": campaign,
            "title": gettext("Export: %(title)s") % {"title": campaign.title},
            "form": form,
            # The filters travel as hidden fields; drafts is the form's own checkbox.
            "filter_fields": [(k, v) for k, v in flt.query().items() if k != "drafts"],
            "filters": ", ".join(
                f"{k}={v}" for k, v in flt.query().items() if k != "drafts"
            ),
        },
    )


@admin.register(ExportJob)
class ExportJobAdmin(CampaignScopedAdmin):
    """ "My exports": a person sees the jobs they asked for, nobody else's."""

    list_display = (
        "created_at",
        "campaign",
        "status",
        "progress",
        "summary",
        "expires_at",
    )
    list_filter = ("status",)
    list_select_related = ("campaign",)
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ExportJob.fail_stale(timezone.now())
        return super().get_queryset(request).filter(requested_by=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress(self, job: ExportJob) -> str:
        return f"{job.percent} %"

    @admin.display(description=_("options"))
    def summary(self, job: ExportJob) -> str:
        return jobs.describe_options(job.options)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/download/",
                view(self.download_view),
                name="survey_exportjob_download",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The job page: status, a progress bar updated by polling, then the link.
        ?format=json is what the page polls."""
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = self.object_or_404(request, object_id, self.get_queryset(request))
        now = timezone.now()
        state = _state(job, now)
        if request.GET.get("format") == "json":
            return JsonResponse(state)
        return TemplateResponse(
            request,
            "admin/survey/exportjob/job.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": job,
                "title": gettext("Export of %(campaign)s")
                % {"campaign": job.campaign.title},
                "job": job,
                "state": state,
                "summary": jobs.describe_options(job.options),
                "list_url": reverse("admin:survey_exportjob_changelist"),
            },
        )

    def download_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = self.object_or_404(request, object_id, self.get_queryset(request))
        if not job.is_downloadable(timezone.now()):
            # Expired (or not ready): the file is gone or will be; nothing to serve.
            raise Http404
        AuditEvent.record(
            "export.downloaded",
            actor=request.user,
            obj=job,
            campaign=job.campaign,
            ip=client_ip(request),
            sha256=job.sha256,
        )
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=job.filename
        )


def _state(job: ExportJob, now: Any) -> dict[str, Any]:
    download = (
        reverse("admin:survey_exportjob_download", args=[job.pk])
        if job.is_downloadable(now)
        else ""
    )
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "finished": job.finished,
        "error": job.error,
        "download": download,
        "sha256": job.sha256,
        "expires_at": job.expires_at.isoformat() if job.expires_at else None,
    }


def export_selected(
    model_admin: Any, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    """The admin action: the detail sheets of the selected responses of one campaign."""
    from django.contrib import messages

    campaigns = list(
        queryset.order_by().values_list("campaign_id", flat=True).distinct()
    )
    if len(campaigns) != 1:
        model_admin.message_user(
            request,
            gettext("Select responses of one campaign to export them together."),
            messages.ERROR,
        )
        return None
    flt = Filter()
    form = ExportForm(
        request.POST if "apply" in request.POST else None,
        initial=export_form_initial(request, flt),
    )
    if not form.is_valid():
        return model_admin._bulk_form(
            request, queryset, form, gettext("Export selected responses")
        )
    campaign = Campaign.objects.get(pk=campaigns[0])
    selection = tuple(sorted(queryset.values_list("pk", flat=True)))
    job = jobs.request(
        campaign, request.user, form.options(flt, selection), client_ip(request)
    )
    return redirect("admin:survey_exportjob_change", job.pk)
