"""Every add, change and delete made through the admin also goes to the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Field, Model
from django.http import HttpRequest

from survey.audit import client_ip
from survey.deadlines import validate_instant
from survey.models import AuditEvent


class AuditedMixin:
    """Mix into a ModelAdmin: Django's LogEntry can be edited in the database; ours cannot.

    It also bounds every date an admin types (see deadlines.validate_instant).
    """

    def formfield_for_dbfield(
        self, db_field: Field, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if isinstance(
            field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField
        ):
            field.validators.append(validate_instant)
        return field

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        _record("admin.added", request, obj, message)
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        _record("admin.changed", request, obj, message)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)  # type: ignore[misc]
        for obj in queryset:
            _record("admin.deleted", request, obj, str(obj))
        return entries


def _record(action: str, request: HttpRequest, obj: Model, message: Any) -> None:
    AuditEvent.record(
        action,
        actor=request.user,
        obj=obj,
        ip=client_ip(request),
        changes=message if isinstance(message, list | str) else str(message),
    )
