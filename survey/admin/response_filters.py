"""List filters of the response list: lateness, progress, bands and dashboard figures."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey.analytics.lists import inquiry_status_is
from survey.analytics.sources import Filter, counted_uses
from survey.models import Campaign, Response, Submission
from survey.pages import BAND_LABELS
from survey.scoring import Band


class LateFilter(admin.SimpleListFilter):
    title = _("late")
    parameter_name = "late"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        if self.value() in ("yes", "no"):
            return queryset.filter(_late=self.value() == "yes")
        return queryset


class CarriedFilter(admin.SimpleListFilter):
    """Responses that started from a predecessor campaign's submission."""

    title = _("carried forward")
    parameter_name = "carried"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        if self.value() in ("yes", "no"):
            return queryset.filter(carried_from__isnull=self.value() == "no")
        return queryset


class ProgressFilter(admin.SimpleListFilter):
    """Who has not answered: not withdrawn and never submitted; overdue once past the
    response's effective deadline (the dashboard's definitions, Response.with_deadline)."""

    title = _("progress")
    parameter_name = "progress"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("non_respondent", _("Non-respondents")),
            ("overdue", _("Overdue")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        if self.value() not in ("non_respondent", "overdue"):
            return queryset
        waiting = queryset.exclude(status=Response.Status.WITHDRAWN).filter(
            submitted_at__isnull=True
        )
        if self.value() == "overdue":
            return waiting.filter(_deadline__lte=timezone.now())
        return waiting


class CountedUsesFilter(admin.SimpleListFilter):
    """The responses owning the uses a dashboard figure counts: the value is the
    dashboard's filter as a query string ("program=…&band=high&drafts=1"), read by the
    same analytics.counted_uses the figure was."""

    title = _("uses on the dashboard")
    parameter_name = "uses"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        value = str(request.GET.get(self.parameter_name) or "")[:1000]
        return [(value, _("As filtered on the dashboard"))] if value else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        # The list is already scoped to the user's campaigns: another's id finds nothing.
        pk = str(request.GET.get("campaign__id__exact") or "")[:20]
        campaign = Campaign.objects.filter(pk=pk).first() if pk.isdigit() else None
        if not self.value() or campaign is None:
            return queryset
        flt = Filter.from_query(QueryDict(self.value()))
        return queryset.filter(pk__in=counted_uses(campaign, flt).values("response_id"))


class BandFilter(admin.SimpleListFilter):
    title = _("band")
    parameter_name = "band"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(b, BAND_LABELS[b]) for b in reversed(Band.ORDER)] + [
            ("none_attested", _("No dependence attested")),
            ("unresolved", _("Unresolved")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        if self.value():
            return queryset.filter(_band=self.value())
        return queryset


class LabelledFilter(admin.SimpleListFilter):
    """A filter on a coded column, offering its labels (never a raw or empty code).

    The parameter keeps the name of the field filter it replaces ("tier__exact"), so
    that the dashboard's drill-down links work unchanged.
    """

    field = ""
    labels: dict[str, Any] = {}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(self.labels.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        if self.value() in self.labels:
            return queryset.filter(**{self.field: self.value()})
        return queryset


class TierFilter(LabelledFilter):
    title = _("tier")
    parameter_name = "tier__exact"
    field = "tier"
    labels = dict(BAND_LABELS)


class RouteFilter(LabelledFilter):
    title = _("screening route")
    parameter_name = "route__exact"
    field = "route"
    labels = {
        "dependence": _("Dependence reported"),
        "no_dependence": _("No dependence attested"),
        "unresolved": _("Unresolved"),
    }


class AttestedFilter(admin.SimpleListFilter):
    """The responses a dashboard figure counts: by their last submission's scores."""

    title = _("counted in the figures")
    parameter_name = "attested"
    FIGURES = {
        "all": Q(),
        "none_attested": Q(route="no_dependence"),
        "direct": Q(route="dependence", flag_direct=True),
        "indirect_only": Q(route="dependence", flag_indirect_only=True),
        "direct_unknown": Q(
            route="dependence", flag_direct=False, flag_indirect_only=False
        ),
        "unresolved": Q(route="unresolved"),
        "assumed": Q(flag_assumed=True),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("all", _("Counted (last submission)")),
            ("none_attested", _("No dependence attested")),
            ("direct", _("Direct relationship")),
            ("indirect_only", _("Indirect only")),
            ("unresolved", _("Unresolved")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        value = self.value() or ""
        if not value:
            return queryset
        counted = queryset.exclude(status=Response.Status.WITHDRAWN)
        if value.startswith("drafts:"):
            # The dashboard with drafts: the live responses that have a route.
            return self.live(counted.exclude(route=""), value.removeprefix("drafts:"))
        latest = Submission.objects.filter(latest=True)
        kind, _sep, tier = value.partition(":")
        if kind == "inquiry":  # the supplier inquiry's status as submitted
            inquiry = latest.filter(inquiry_status_is(tier))
            return counted.filter(pk__in=inquiry.values("response"))
        if kind == "tier":  # the computed tier as submitted
            return counted.filter(pk__in=latest.filter(tier=tier).values("response"))
        if kind == "band":  # the tier that counts: an override, else as submitted
            submitted = latest.filter(response=OuterRef("pk")).values("tier")[:1]
            return counted.annotate(
                _counted_band=Coalesce(NullIf("override_band", Value("")), submitted)
            ).filter(_counted_band=tier)
        figure = self.FIGURES.get(value, Q(pk__in=[]))
        return counted.filter(pk__in=latest.filter(figure).values("response"))

    def live(self, rows: QuerySet[Response], value: str) -> QuerySet[Response]:
        kind, _sep, tier = value.partition(":")
        if kind == "inquiry":
            return rows.filter(inquiry_status_is(tier))
        if kind == "tier":
            return rows.filter(tier=tier)
        if kind == "band":
            return rows.filter(_band=tier)  # ResponseAdmin's override-else-tier
        return rows.filter(self.FIGURES.get(value, Q(pk__in=[])))
