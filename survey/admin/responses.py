"""Responses in the admin: the review list, the response page and the workflow actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import (
    BooleanField,
    Case,
    Count,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from survey import readable
from survey.admin import exports as exports_admin
from survey.admin import labels
from survey.admin.diffs import DiffMixin
from survey.admin.response_filters import (
    AttestedFilter,
    BandFilter,
    CarriedFilter,
    CountedUsesFilter,
    LateFilter,
    ProgressFilter,
    RouteFilter,
    TierFilter,
)
from survey.admin.review import SIMPLE_VERBS, ReviewMixin, local_time
from survey.admin.scoping import CampaignScopedAdmin
from survey.models import AuditEvent, Response, Use


class UseInline(labels.UseLabels, admin.TabularInline):
    model = Use
    template = "admin/survey/response/uses_inline.html"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "position",
        "name",
        "channel_label",
        "supply_tier",
        "criticality_label",
        "days",
        "cost_money",
        *labels.FACTOR_FIELDS,
        "dri",
        "band_label",
        "assumed_factors",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Use]:
        # The labels read each use's campaign, vendor and version: joined, not one
        # query a use.
        return (
            super()
            .get_queryset(request)
            .select_related("response__campaign__vendor", labels.VERSION)
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(ReviewMixin, DiffMixin, CampaignScopedAdmin):
    change_form_template = "admin/survey/response/change_form.html"
    # Eight columns fit a laptop screen; the campaign and each flag are filters, and
    # the flags are short badges in one column (issue 10 §11).
    list_display = [
        "organisation",
        "status",
        "submitted_local",
        "effective_band",
        "cdi",
        "use_count",
        "completeness",
        "flag_badges",
    ]
    list_filter = [
        ("campaign", admin.RelatedOnlyFieldListFilter),
        "status",
        BandFilter,
        LateFilter,
        ProgressFilter,
        CarriedFilter,
        AttestedFilter,
        CountedUsesFilter,
        TierFilter,
        RouteFilter,
        "flag_direct",
        "flag_indirect_only",
        "flag_nss",
        "flag_classified",
        "flag_deliverable",
        "flag_policy_friction",
        "flag_assumed",
        "flag_unresolved",
    ]
    search_fields = [
        "organisation__legal_name",
        "organisation__uei",
        "organisation__cage_codes",
    ]
    list_select_related = ["organisation", "campaign"]
    actions = [
        "start_review_selected",
        "accept_selected",
        "escalate_selected",
        "return_selected",
        "reopen_selected",
        "export_selected",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organisation",
                    "campaign",
                    "status",
                    "submitted_local",
                    "submitted_by",
                    "deadline_local",
                    "extension_reason",
                    "carried_forward",
                    "reviewed_by",
                    "reviewed_at",
                ]
            },
        ),
        (
            _("Score"),
            {
                "fields": [
                    "route",
                    "cdi",
                    "tier",
                    "override_band",
                    "override_justification",
                    "completeness",
                    "scoring_version",
                    "flags",
                ]
            },
        ),
        (_("Answers"), {"fields": ["answers_readable"]}),
        (_("Review"), {"fields": ["review_comments", "submission_versions"]}),
        (_("Audit history"), {"fields": ["audit_history"]}),
    ]
    readonly_fields = [
        "organisation",
        "campaign",
        "status",
        "submitted_local",
        "submitted_by",
        "deadline_local",
        "extension_reason",
        "carried_forward",
        "reviewed_by",
        "reviewed_at",
        "route",
        "cdi",
        "tier",
        "override_band",
        "override_justification",
        "completeness",
        "scoring_version",
        "flags",
        "answers_readable",
        "review_comments",
        "submission_versions",
        "audit_history",
    ]
    inlines = [UseInline]

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("survey.add_exportjob")

    @admin.action(description=_("Export selected responses"), permissions=["export"])
    def export_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> HttpResponse | None:
        return exports_admin.export_selected(self, request, queryset)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        # Uses are counted by a correlated subquery, not Count("uses"): a GROUP BY over
        # responses x uses made the list cost the whole campaign instead of one page.
        uses = (
            Use.objects.filter(response=OuterRef("pk"))
            .order_by()
            .values("response")
            .annotate(n=Count("pk"))
            .values("n")
        )
        queryset = (
            super()
            .get_queryset(request)
            .with_deadline()
            .annotate(
                _uses=Coalesce(Subquery(uses), 0),
                _late=Case(
                    When(Response.late_q(timezone.now()), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
                _band=Coalesce(NullIf("override_band", Value("")), "tier"),
            )
        )
        match = request.resolver_match
        if match is not None and match.url_name == "survey_response_changelist":
            # The list shows no answers: keep the JSON columns out of its query.
            queryset = queryset.defer("answers", "answer_meta")
        return queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Responses come from invitations (the import); answers come from contractors.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Every field is derived or the contractor's: changes go through the review
        # verbs, which check the status and audit, never through this form.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Submissions hold responses (PROTECT); only a superuser may remove a blank one.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("survey.review_response")

    def has_administer_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("survey.change_response")

    # List columns.

    @admin.display(description=_("uses"), ordering="_uses")
    def use_count(self, obj: Response) -> int:
        return obj._uses  # type: ignore[attr-defined]

    @admin.display(description=_("submitted at (local)"), ordering="submitted_at")
    def submitted_local(self, obj: Response) -> str:
        return local_time(obj.submitted_at, obj.campaign.display_timezone)

    @admin.display(description=_("deadline (local)"))
    def deadline_local(self, obj: Response) -> str:
        return local_time(obj.effective_deadline, obj.campaign.display_timezone)

    @admin.display(description=_("carried forward from"))
    def carried_forward(self, obj: Response) -> str:
        source = obj.carried_from
        if source is None:
            return "—"
        url = reverse("admin:survey_response_change", args=[source.response_id])
        unconfirmed = ", ".join(s.title.get() for s in obj.unconfirmed())
        return format_html(
            '<a href="{}">{}</a>, {} #{} ({}){}',
            url,
            source.response.campaign,
            _("submission"),
            source.number,
            local_time(source.submitted_at, obj.campaign.display_timezone),
            format_html(" — {} {}", _("still to confirm:"), unconfirmed)
            if unconfirmed
            else "",
        )

    @admin.display(description=_("flags"))
    def flag_badges(self, obj: Response) -> str:
        shown = [
            label
            for name, label in labels.flag_badges().items()
            if (obj._late if name == "late" else getattr(obj, name))  # type: ignore[attr-defined]
        ]
        return (
            format_html_join(
                " ", '<span class="flag-badge" title="{}">{}</span>', shown
            )
            or "—"
        )

    @admin.display(description=_("late"), boolean=True, ordering="_late")
    def is_late(self, obj: Response) -> bool:
        return obj._late  # type: ignore[attr-defined]

    @admin.display(description=_("band"), ordering="_band")
    def effective_band(self, obj: Response) -> str:
        if obj.override_band:
            return gettext("%(band)s (override; computed %(tier)s)") % {
                "band": labels.band(obj.override_band),
                "tier": labels.band(obj.tier),
            }
        return labels.band(obj.tier)

    # Response page.

    @admin.display(description=_("flags"))
    def flags(self, obj: Response) -> str:
        names = [
            ("flag_direct", _("direct")),
            ("flag_indirect_only", _("indirect only")),
            ("flag_nss", _("NSS")),
            ("flag_classified", _("classified")),
            ("flag_deliverable", _("deliverable")),
            ("flag_policy_friction", _("policy friction")),
            ("flag_assumed", _("assumed values")),
            ("flag_unresolved", _("unresolved")),
        ]
        return ", ".join(str(label) for f, label in names if getattr(obj, f)) or "—"

    @admin.display(description=_("answers"))
    def answers_readable(self, obj: Response) -> str:
        questionnaire = obj.campaign.questionnaire.parsed
        answers = questionnaire.visible_answers(obj.answers)
        uses = [
            questionnaire.visible_use_answers(u.answers, answers)
            for u in obj.uses.all()
        ]
        blocks = readable.blocks(questionnaire, answers, uses, obj.campaign.vendor.name)
        return render_to_string(
            "admin/survey/response/_answers.html", {"blocks": blocks}
        )

    @admin.display(description=_("review comments"))
    def review_comments(self, obj: Response) -> str:
        comments = obj.comments.select_related("author", "use")
        return render_to_string(
            "admin/survey/response/_comments.html", {"comments": comments}
        )

    @admin.display(description=_("submitted versions"))
    def submission_versions(self, obj: Response) -> str:
        submissions = obj.submissions.select_related("submitted_by", "questionnaire")
        vendor = obj.campaign.vendor.name
        # Each read with the version it was given on: the campaign may have moved on.
        rows = [
            (s, readable.blocks(s.version_parsed(), s.answers, s.uses, vendor))
            for s in submissions
        ]
        return render_to_string(
            "admin/survey/response/_submissions.html",
            {
                "rows": rows,
                "diff_url": reverse("admin:survey_response_diff", args=[obj.pk]),
            },
        )

    @admin.display(description=_("audit history"))
    def audit_history(self, obj: Response) -> str:
        events = AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
        rows = [(event, labels.details(event.details)) for event in events]
        return render_to_string("admin/survey/response/_audit.html", {"rows": rows})

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_review": self.has_review_permission(request),
            "can_administer": self.has_administer_permission(request),
            "simple_verbs": list(SIMPLE_VERBS.items()),
        }
        return super().change_view(request, object_id, form_url, extra_context)
