"""Per-campaign scoping: a reviewer sees only what belongs to the campaigns assigned."""

from __future__ import annotations

from typing import Any, NoReturn

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from survey import roles
from survey.admin.audited import AuditedMixin
from survey.audit import client_ip
from survey.models import AuditEvent


class CampaignScopedAdmin(AuditedMixin, admin.ModelAdmin):
    # The lookup from this model to its Campaign.
    campaign_path = "campaign"
    # True when the path crosses a many-valued relation (it would repeat rows).
    campaign_path_multi = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope(request, super().get_queryset(request))

    def scope(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The rows of `queryset` within the user's campaigns."""
        if roles.sees_every_campaign(request.user):
            return queryset
        lookup = {f"{self.campaign_path}__in": roles.assigned_campaigns(request.user)}
        if self.campaign_path_multi:
            return queryset.filter(
                pk__in=self.model._default_manager.filter(**lookup).values("pk")
            )
        return queryset.filter(**lookup)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Model:
        # Django's admin redirects with "does not exist" for a missing object; outside a
        # reviewer's campaigns we answer 404 so that the page reveals nothing.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            self.deny(request)
        return obj

    def object_or_404(
        self, request: HttpRequest, object_id: str, queryset: QuerySet[Any]
    ) -> Any:
        """For the admin's own pages: the object in `queryset` (already scoped), or 404.

        A malformed id ("abc") is a 404 like a missing one, never a ValueError's 500.
        """
        model = queryset.model
        try:
            return queryset.get(pk=model._meta.pk.to_python(unquote(object_id)))
        except (model.DoesNotExist, ValidationError, ValueError):
            self.deny(request)

    def deny(self, request: HttpRequest) -> NoReturn:
        AuditEvent.record(
            "access.denied",
            actor=request.user,
            ip=client_ip(request),
            path=request.path[:300],
            method=request.method,
        )
        raise Http404
