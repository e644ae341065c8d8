"""The review and administration site: the Django admin, customised."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from survey.models import (
    Attachment,
    AuditEvent,
    Campaign,
    Invitation,
    Membership,
    Organisation,
    QuestionnaireVersion,
    ReminderSent,
    Response,
    ReviewComment,
    Submission,
    Use,
    User,
    Vendor,
)

admin.site.site_header = _("Dependency survey – review and administration")
admin.site.site_title = _("Dependency survey")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only superusers assign roles, so nobody can raise their own rights.
            fields += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return fields


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
    list_display = ["key", "version", "title", "question_count", "created_at"]
    list_filter = ["key"]
    search_fields = ["key", "title"]
    # Versions are loaded from files (manage.py load_questionnaire) and never edited here.
    readonly_fields = ["key", "version", "title", "digest", "created_at", "definition"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("questions"))
    def question_count(self, obj: QuestionnaireVersion) -> int:
        return len(obj.parsed.questions)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "slug",
        "vendor",
        "status",
        "opens_at",
        "deadline",
        "response_count",
    ]
    list_filter = ["status", "vendor"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    list_select_related = ["vendor"]
    filter_horizontal = ["reviewers"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return super().get_queryset(request).annotate(_responses=Count("responses"))

    @admin.display(description=_("responses"), ordering="_responses")
    def response_count(self, obj: Campaign) -> int:
        return obj._responses  # type: ignore[attr-defined]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "uei", "cage_codes", "parent"]
    search_fields = ["legal_name", "uei", "cage_codes"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organisation__legal_name", "organisation__uei"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation"]


class UseInline(admin.TabularInline):
    model = Use
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "position",
        "name",
        "channel",
        "supply_tier",
        "criticality",
        "days",
        "cost",
        "c",
        "s",
        "e",
        "r",
        "m",
        "dri",
        "band",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "campaign",
        "status",
        "submitted_at",
        "cdi",
        "tier",
        "use_count",
        "completeness",
        "flag_nss",
        "flag_classified",
        "flag_deliverable",
        "flag_policy_friction",
        "flag_unresolved",
    ]
    list_filter = [
        "campaign",
        "status",
        "tier",
        "flag_nss",
        "flag_classified",
        "flag_deliverable",
        "flag_policy_friction",
        "flag_unresolved",
    ]
    search_fields = [
        "organisation__legal_name",
        "organisation__uei",
        "organisation__cage_codes",
    ]
    list_select_related = ["organisation", "campaign"]
    readonly_fields = [
        "uuid",
        "campaign",
        "organisation",
        "version",
        "answers",
        "created_at",
        "updated_at",
        "started_at",
        "submitted_at",
        "submitted_by",
        "submitted_ip",
        "answers_sha256",
        "route",
        "cdi",
        "tier",
        "completeness",
        "scoring_version",
        "flag_direct",
        "flag_indirect_only",
        "flag_nss",
        "flag_classified",
        "flag_deliverable",
        "flag_policy_friction",
        "flag_assumed",
        "flag_unresolved",
    ]
    inlines = [UseInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        return super().get_queryset(request).annotate(_uses=Count("uses"))

    @admin.display(description=_("uses"), ordering="_uses")
    def use_count(self, obj: Response) -> int:
        return obj._uses  # type: ignore[attr-defined]


@admin.register(Use)
class UseAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "response",
        "channel",
        "supply_tier",
        "function",
        "days",
        "cost",
        "dri",
        "band",
    ]
    list_filter = [
        "band",
        "channel",
        "classification",
        "function",
        "response__campaign",
    ]
    search_fields = ["name", "intermediary", "response__organisation__legal_name"]
    list_select_related = ["response__organisation", "response__campaign"]
    readonly_fields = [f.name for f in Use._meta.fields]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "action",
        "actor_email",
        "object_type",
        "object_id",
        "organisation",
        "ip",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_email", "object_id", "action"]
    list_select_related = ["organisation"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["response", "number", "submitted_at", "submitted_by", "sha256"]
    list_filter = ["response__campaign"]
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
class ReviewCommentAdmin(admin.ModelAdmin):
    list_display = ["response", "question_id", "author", "created_at", "resolved_at"]
    search_fields = ["response__organisation__legal_name", "text"]
    list_select_related = ["response__organisation", "response__campaign", "author"]


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    list_display = ["response", "offset_hours", "sent_at"]
    list_select_related = ["response__organisation", "response__campaign"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organisation",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    list_filter = ["role"]
    search_fields = ["email", "organisation__legal_name"]
    list_select_related = ["organisation"]
    readonly_fields = ["created_by", "created_at", "sent_at", "accepted_at"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
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
