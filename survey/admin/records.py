"""Append-only records: the audit trail and the reminders sent."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from survey.admin import labels
from survey.admin.audited import AuditedMixin
from survey.admin.scoping import CampaignScopedAdmin
from survey.analytics.sources import HIGH_RISK
from survey.models import (
    Attachment,
    AuditEvent,
    Contract,
    IntermediaryAlias,
    QuestionnaireVersion,
    ReminderSent,
    Response,
    ReviewComment,
    Submission,
    Use,
)


class ReadOnlyAdmin(CampaignScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "action",
        "actor_email",
        "object_type",
        "object_id",
        "organisation",
        "campaign",
        "ip",
    ]
    # A date filter, not date_hierarchy: its drill-down query scans the whole table,
    # the fastest-growing one, and ?at__year=9999&at__month=12&at__day=31 is a 500
    # (Django computes the next day, in year 10000).
    list_filter = [
        ("at", admin.DateFieldListFilter),
        "action",
        "object_type",
        ("campaign", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["actor_email", "object_id", "action"]
    list_select_related = ["organisation", "campaign"]


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdmin):
    campaign_path = "response__campaign"
    list_display = ["response", "offset_hours", "sent_at"]
    list_select_related = ["response__organisation", "response__campaign"]


class RowsFilter(admin.SimpleListFilter):
    """Live rows (being edited), or the copies the dashboard counts (as submitted)."""

    title = _("rows")
    parameter_name = "rows"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("attested", _("Counted in the figures (as submitted)")),
            ("drafts", _("Counted with drafts (live)")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Use]) -> Any:
        if self.value() == "drafts":
            # What analytics.counted_uses counts with drafts: live uses of responses on
            # the route "dependence", withdrawn ones left out.
            return queryset.filter(response__route="dependence").exclude(
                response__status=Response.Status.WITHDRAWN
            )
        return queryset  # UseAdmin.get_queryset chose the rows


class RiskFilter(admin.SimpleListFilter):
    title = _("risk")
    parameter_name = "risk"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("high", _("High or Critical"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Use]) -> Any:
        if self.value() == "high":
            return queryset.filter(band__in=HIGH_RISK)
        return queryset


class ValueFilter(admin.SimpleListFilter):
    """A filter the dashboard's links set, on a value too varied to list (a program,
    a platform): shown only while it is applied, with that one value."""

    lookup = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        value = str(request.GET.get(self.parameter_name) or "")[:200]
        return [(value, value)] if value else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Use]) -> Any:
        if self.value():
            return queryset.filter(**{self.lookup: self.value()})
        return queryset


class ProgramFilter(ValueFilter):
    title = _("program")
    parameter_name = "program"

    def queryset(self, request: HttpRequest, queryset: QuerySet[Use]) -> Any:
        if self.value():
            # An IN list, not a join: a use with two contracts of the program stays one row.
            linked = Use.contracts.through.objects.filter(
                contract__program_key=self.value()
            )
            return queryset.filter(pk__in=linked.values("use_id"))
        return queryset


class PlatformFilter(ValueFilter):
    title = _("intermediary platform")
    parameter_name = "platform"
    lookup = "platform"


class DaysFilter(admin.SimpleListFilter):
    """Days to transition (D14) in a range, as the dashboard's buckets and readiness
    count them: "31-90", "-60" (up to 60), "366-" (from 366), or "unknown"."""

    title = _("days to transition")
    parameter_name = "days"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("0-30", "≤30"),
            ("31-90", "31–90"),
            ("91-180", "91–180"),
            ("181-365", "181–365"),
            ("366-", ">365"),
            ("unknown", _("Unknown")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Use]) -> Any:
        value = self.value() or ""
        if value == "unknown":
            return queryset.filter(days__isnull=True)
        if not value:
            return queryset
        low, dash, high = value.partition("-")
        if not dash or not (low + high).isdigit() or len(value) > 12:
            return queryset.none()  # a mangled link shows nothing, not everything
        if low:
            queryset = queryset.filter(days__gte=int(low))
        if high:
            queryset = queryset.filter(days__lte=int(high))
        return queryset


class CostFilter(admin.SimpleListFilter):
    title = _("transition cost")
    parameter_name = "cost"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("unknown", _("Unknown")), ("known", _("Estimated"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Use]) -> Any:
        if self.value() in ("unknown", "known"):
            return queryset.filter(cost__isnull=self.value() == "unknown")
        return queryset


class PolicyFilter(admin.SimpleListFilter):
    """The uses of the dashboard's policy-constraint list: a constraint other than No."""

    title = _("policy constraint")
    parameter_name = "policy"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("listed", _("A constraint reported"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Use]) -> Any:
        if self.value() == "listed":
            # The list may span campaigns: "no constraint" as any stored version says it.
            unconstrained = {
                code
                for version in QuestionnaireVersion.objects.all()
                for code in version.parsed.flagged("unconstrained")
            }
            return queryset.exclude(policy__in=("", *unconstrained))
        return queryset


@admin.register(Use)
class UseAdmin(labels.UseLabels, CampaignScopedAdmin):
    campaign_path = "response__campaign"
    list_display = [
        "name",
        "response",
        "channel_label",
        "supply_tier",
        "function_label",
        "days",
        "cost_money",
        "dri",
        "band_label",
    ]
    list_filter = [
        "band",
        "channel",
        "classification",
        "function",
        "stage",
        "oversight",
        "nss",
        "flag_assumed",
        "flag_deliverable",
        RiskFilter,
        DaysFilter,
        CostFilter,
        PolicyFilter,
        ProgramFilter,
        PlatformFilter,
        RowsFilter,
        ("response__campaign", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "intermediary", "response__organisation__legal_name"]
    list_select_related = [
        "response__organisation",
        "response__campaign__vendor",
        labels.VERSION,
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Use]:
        # Use.objects holds the live rows; the copies kept at submission are what the
        # dashboard counts. The list shows either; a use's own page opens both.
        match = request.resolver_match
        listing = match is not None and match.url_name == "survey_use_changelist"
        if listing and request.GET.get("rows") != "attested":
            return super().get_queryset(request)
        rows = Use._base_manager.all()
        if listing:
            rows = Use.attested.filter(counted_in__isnull=False)
        rows = labels.digests_only(rows.order_by(*self.get_ordering(request)))
        return self.scope(request, rows)

    readonly_fields = [f.name for f in Use._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A use's answers are the contractor's; its columns are derived from them.
        return False


@admin.register(Submission)
class SubmissionAdmin(CampaignScopedAdmin):
    campaign_path = "response__campaign"
    list_display = ["response", "number", "submitted_at", "submitted_by", "sha256"]
    list_filter = [("response__campaign", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["response__organisation__legal_name", "sha256"]
    list_select_related = [
        "response__organisation",
        "response__campaign",
        "submitted_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewComment)
class ReviewCommentAdmin(CampaignScopedAdmin):
    campaign_path = "response__campaign"
    list_display = [
        "response",
        "question_id",
        "author",
        "created_at",
        "answered_at",
        "resolved_at",
    ]
    list_filter = [("response__campaign", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["response__organisation__legal_name", "text"]
    list_select_related = ["response__organisation", "response__campaign", "author"]
    # Comments are written through "return for clarification", which also moves the status.
    readonly_fields = ["response", "question_id", "use", "author", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(CampaignScopedAdmin):
    campaign_path = "response__campaign"
    list_display = [
        "name",
        "response",
        "question_id",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    search_fields = ["name", "response__organisation__legal_name"]
    list_select_related = [
        "response__organisation",
        "response__campaign",
        "uploaded_by",
    ]
    exclude = ["content"]
    readonly_fields = [
        "download",
        "response",
        "use",
        "question_id",
        "name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        download = self.admin_site.admin_view(self.download_view)
        return [
            path(
                "<path:object_id>/download/",
                download,
                name="survey_attachment_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        """The file itself, for whoever may view the attachment (campaign scoping holds)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        stored = self.get_object(request, object_id)
        return FileResponse(
            BytesIO(bytes(stored.content)),
            as_attachment=True,
            filename=stored.name,
            content_type=stored.content_type,
        )

    @admin.display(description=_("file"))
    def download(self, obj: Attachment) -> str:
        url = reverse("admin:survey_attachment_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    """The contracts of A6 as rows (live ones: those being edited, and the last ones)."""

    campaign_path = "response__campaign"
    list_display = ["piid", "program", "response"]
    list_filter = [("response__campaign", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["piid", "program", "response__organisation__legal_name"]
    list_select_related = ["response__organisation", "response__campaign"]


@admin.register(IntermediaryAlias)
class IntermediaryAliasAdmin(AuditedMixin, admin.ModelAdmin):
    """Spellings of one platform grouped as one in the figures."""

    list_display = ["key", "platform"]
    search_fields = ["key", "platform"]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # A bulk delete skips the model's delete(): regroup the uses it named here.
        keys = list(queryset.values_list("key", flat=True))
        super().delete_queryset(request, queryset)
        IntermediaryAlias.regroup(keys)
