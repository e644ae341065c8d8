"""Append-only records: the audit trail and the reminders sent."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from survey.admin.scoping import CampaignScopedAdmin
from survey.models import AuditEvent, ReminderSent


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
