"""Append-only records: the audit trail and the reminders sent."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from survey.admin.scoping import CampaignScopedAdmin
from survey.models import (
    Attachment,
    AuditEvent,
    ReminderSent,
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
    list_filter = [
        "action",
        "object_type",
        ("campaign", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["actor_email", "object_id", "action"]
    list_select_related = ["organisation", "campaign"]
    date_hierarchy = "at"


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdmin):
    campaign_path = "response__campaign"
    list_display = ["response", "offset_hours", "sent_at"]
    list_select_related = ["response__organisation", "response__campaign"]


@admin.register(Use)
class UseAdmin(CampaignScopedAdmin):
    campaign_path = "response__campaign"
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
        ("response__campaign", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "intermediary", "response__organisation__legal_name"]
    list_select_related = ["response__organisation", "response__campaign"]
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
    list_display = ["response", "question_id", "author", "created_at", "resolved_at"]
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
