"""Vendors, campaigns (with their progress page), organisations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from survey import analytics, progress, roles
from survey.admin import dashboard
from survey.admin import exports as exports_admin
from survey.admin import versioning as versioning_admin
from survey.admin.audited import AuditedMixin
from survey.admin.forms import CampaignForm
from survey.admin.review import local_time
from survey.admin.scoping import CampaignScopedAdmin
from survey.deadlines import describe
from survey.models import (
    Campaign,
    Membership,
    Organisation,
    Response,
    User,
    Vendor,
)


@admin.register(Vendor)
class VendorAdmin(AuditedMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Campaign)
class CampaignAdmin(CampaignScopedAdmin):
    campaign_path = "pk"
    change_form_template = "admin/survey/campaign/change_form.html"
    form = CampaignForm
    list_display = [
        "title",
        "slug",
        "vendor",
        "status",
        "opens_local",
        "deadline_local",
        "response_count",
        "dashboard_link",
    ]
    list_filter = ["status", "vendor"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    list_select_related = ["vendor"]
    filter_horizontal = ["reviewers"]
    readonly_fields = ["created_at"]

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "reviewers":
            # Program-office staff in the Reviewer group, never contractor accounts.
            kwargs["queryset"] = User.objects.filter(
                is_staff=True, is_active=True, groups__name=roles.REVIEWER
            ).order_by("email")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("opens at"), ordering="opens_at")
    def opens_local(self, obj: Campaign) -> str:
        return describe(obj.opens_at, obj.display_timezone)

    @admin.display(description=_("deadline"), ordering="deadline")
    def deadline_local(self, obj: Campaign) -> str:
        return describe(obj.deadline, obj.display_timezone)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name == "survey_campaign_changelist":
            # Only the list shows the count; a correlated subquery, not a GROUP BY
            # over every response of every campaign.
            count = (
                Response.objects.filter(campaign=OuterRef("pk"))
                .order_by()
                .values("campaign")
                .annotate(n=Count("pk"))
                .values("n")
            )
            queryset = queryset.annotate(_responses=Coalesce(Subquery(count), 0))
        return queryset

    @admin.display(description=_("responses"), ordering="_responses")
    def response_count(self, obj: Campaign) -> int:
        return obj._responses  # type: ignore[attr-defined]

    @admin.display(description=_("figures"))
    def dashboard_link(self, obj: Campaign) -> str:
        url = reverse("admin:survey_campaign_dashboard", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Dashboard"))

    def get_urls(self) -> list[URLPattern]:
        def view(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(func)

        return [
            path(
                "<path:object_id>/progress/",
                view(self.progress_view),
                name="survey_campaign_progress",
            ),
            path(
                "<path:object_id>/dashboard/",
                view(self.dashboard_view),
                name="survey_campaign_dashboard",
            ),
            path(
                "<path:object_id>/export/",
                view(self.export_view),
                name="survey_campaign_export",
            ),
            path(
                "<path:object_id>/move/",
                view(self.move_view),
                name="survey_campaign_move",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The campaign's figures (survey.analytics); ?format=json gives the same data."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = self.object_or_404(
            request,
            object_id,
            self.get_queryset(request).select_related("vendor", "questionnaire"),
        )
        flt = analytics.Filter.from_query(request.GET)
        now = timezone.now()
        figures = analytics.dashboard(campaign, flt, now)
        if request.GET.get("format") == "json":
            return JsonResponse(
                {
                    "campaign": {
                        "slug": campaign.slug,
                        "title": campaign.title,
                        "vendor": campaign.vendor.name,
                        "deadline": campaign.deadline.isoformat(),
                    },
                    **figures.as_json(),
                }
            )
        return TemplateResponse(
            request,
            "admin/survey/campaign/dashboard.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": campaign,
                "title": gettext("Dashboard: %(title)s") % {"title": campaign.title},
                **dashboard.context(campaign, flt, figures, now, request.path),
            },
        )

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The workbook's options; the dashboard's filters come in the query string."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = self.object_or_404(request, object_id, self.get_queryset(request))
        return exports_admin.export_view(self, request, campaign)

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Move the campaign to another version of its questionnaire: admins only."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        campaign = self.object_or_404(
            request,
            object_id,
            self.get_queryset(request).select_related("vendor", "questionnaire"),
        )
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        return versioning_admin.move_view(self, request, campaign)

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = self.object_or_404(request, object_id, self.get_queryset(request))
        state = progress.campaign_progress(
            campaign,
            timezone.now(),
            page=_page_number(request.GET.get("page")),
            only_stage=request.GET.get("stage", ""),
        )
        zone = campaign.display_timezone
        # One URL prefix and one time format for the whole table: no reverse() or date
        # filter per row (a campaign has thousands of them).
        change = reverse("admin:survey_response_change", args=[0]).replace(
            "/0/", "/{}/"
        )
        rows = [
            (row, change.format(row.pk), local_time(row.submitted_at, zone))
            for row in state.rows
        ]
        return TemplateResponse(
            request,
            "admin/survey/campaign/progress.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": campaign,
                "title": gettext("Progress: %(title)s") % {"title": campaign.title},
                "progress": state,
                "rows": rows,
                "stage": request.GET.get("stage", ""),
                "countdown": progress.countdown(state.remaining),
                "deadline": describe(campaign.deadline, campaign.display_timezone),
                "audit_url": reverse("admin:survey_auditevent_changelist")
                + f"?campaign__id__exact={campaign.pk}",
                "responses_url": reverse("admin:survey_response_changelist")
                + f"?campaign__id__exact={campaign.pk}",
            },
        )


def _page_number(value: str | None) -> int:
    try:
        return int(value or 1)
    except ValueError:
        return 1


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(CampaignScopedAdmin):
    campaign_path = "responses__campaign"
    campaign_path_multi = True
    list_display = ["legal_name", "uei", "cage_codes", "parent"]
    search_fields = ["legal_name", "uei", "cage_codes"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(CampaignScopedAdmin):
    campaign_path = "organisation__responses__campaign"
    campaign_path_multi = True
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organisation__legal_name", "organisation__uei"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation"]
