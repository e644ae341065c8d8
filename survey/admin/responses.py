"""Responses in the admin: the review list, the response page and the workflow actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest, NullIf
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from survey import readable
from survey.admin.forms import ExtensionForm, OverrideForm, ReasonForm, ReturnForm
from survey.admin.scoping import CampaignScopedAdmin
from survey.models import AuditEvent, Response, ReviewComment, Submission, Use
from survey.scoring import Band

# Verbs a reviewer applies without a form, on one response or on a selection.
SIMPLE_VERBS = {
    "start_review": _("Start review"),
    "accept": _("Accept"),
    "escalate": _("Escalate"),
}


class LateFilter(admin.SimpleListFilter):
    title = _("late")
    parameter_name = "late"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        late = Q(submitted_at__gt=F("_deadline")) | Q(
            submitted_at__isnull=True, _deadline__lt=timezone.now()
        )
        if self.value() == "yes":
            return queryset.filter(late)
        if self.value() == "no":
            return queryset.exclude(late)
        return queryset


class BandFilter(admin.SimpleListFilter):
    title = _("band")
    parameter_name = "band"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(b, b) for b in Band.ORDER] + [
            ("none_attested", _("No dependence attested")),
            ("unresolved", _("Unresolved")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> Any:
        if self.value():
            return queryset.filter(_band=self.value())
        return queryset


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
        "t",
        "sub",
        "a",
        "s",
        "e",
        "r",
        "m",
        "dri",
        "band",
        "assumed_factors",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(CampaignScopedAdmin):
    change_form_template = "admin/survey/response/change_form.html"
    list_display = [
        "organisation",
        "campaign",
        "status",
        "submitted_local",
        "is_late",
        "cdi",
        "effective_band",
        "use_count",
        "completeness",
        "flag_nss",
        "flag_classified",
        "flag_deliverable",
        "flag_policy_friction",
        "flag_unresolved",
    ]
    list_filter = [
        ("campaign", admin.RelatedOnlyFieldListFilter),
        "status",
        BandFilter,
        LateFilter,
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
    actions = ["start_review_selected", "accept_selected", "escalate_selected"]
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _uses=Count("uses"),
                _deadline=Greatest(
                    F("campaign__deadline"),
                    Coalesce("extended_deadline", "campaign__deadline"),
                ),
                _band=Coalesce(NullIf("override_band", Value("")), "tier"),
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Responses come from invitations (the import); answers come from contractors.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Submissions hold responses (PROTECT); only a superuser may remove a blank one.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("survey.review_response")

    def has_extension_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("survey.change_response")

    # List columns.

    @admin.display(description=_("uses"), ordering="_uses")
    def use_count(self, obj: Response) -> int:
        return obj._uses  # type: ignore[attr-defined]

    @admin.display(description=_("submitted at (local)"), ordering="submitted_at")
    def submitted_local(self, obj: Response) -> str:
        return _local(obj.submitted_at, obj.campaign.display_timezone)

    @admin.display(description=_("deadline (local)"))
    def deadline_local(self, obj: Response) -> str:
        return _local(obj.effective_deadline, obj.campaign.display_timezone)

    @admin.display(description=_("late"), boolean=True)
    def is_late(self, obj: Response) -> bool:
        deadline = obj.effective_deadline
        return (obj.submitted_at or timezone.now()) > deadline

    @admin.display(description=_("band"), ordering="_band")
    def effective_band(self, obj: Response) -> str:
        if obj.override_band:
            return gettext("%(band)s (override; computed %(tier)s)") % {
                "band": obj.override_band,
                "tier": obj.tier,
            }
        return obj.tier

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
        submissions = list(obj.submissions.select_related("submitted_by"))
        return render_to_string(
            "admin/survey/response/_submissions.html",
            {
                "submissions": submissions,
                "diff_url": reverse("admin:survey_response_diff", args=[obj.pk]),
            },
        )

    @admin.display(description=_("audit history"))
    def audit_history(self, obj: Response) -> str:
        events = AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
        return render_to_string("admin/survey/response/_audit.html", {"events": events})

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
            "can_extend": self.has_extension_permission(request),
            "simple_verbs": list(SIMPLE_VERBS.items()),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # Workflow: bulk actions.

    def _apply_to_selection(
        self, request: HttpRequest, queryset: QuerySet[Response], verb: str
    ) -> None:
        done = skipped = 0
        for response in queryset.select_related("organisation", "campaign"):
            try:
                getattr(response, verb)(request.user)
            except ValidationError:
                skipped += 1
            else:
                done += 1
        self.message_user(
            request,
            gettext("%(action)s: %(done)d done, %(skipped)d skipped (wrong status).")
            % {"action": SIMPLE_VERBS[verb], "done": done, "skipped": skipped},
            messages.SUCCESS if not skipped else messages.WARNING,
        )

    @admin.action(description=_("Start review"), permissions=["review"])
    def start_review_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> None:
        self._apply_to_selection(request, queryset, "start_review")

    @admin.action(description=_("Accept"), permissions=["review"])
    def accept_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> None:
        self._apply_to_selection(request, queryset, "accept")

    @admin.action(description=_("Escalate"), permissions=["review"])
    def escalate_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> None:
        self._apply_to_selection(request, queryset, "escalate")

    # Workflow: pages of one response.

    def get_urls(self) -> list[URLPattern]:
        def view(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(func)

        return [
            path(
                "<path:object_id>/workflow/",
                view(self.workflow_view),
                name="survey_response_workflow",
            ),
            path(
                "<path:object_id>/return/",
                view(self.return_view),
                name="survey_response_return",
            ),
            path(
                "<path:object_id>/reopen/",
                view(self.reopen_view),
                name="survey_response_reopen",
            ),
            path(
                "<path:object_id>/override/",
                view(self.override_view),
                name="survey_response_override",
            ),
            path(
                "<path:object_id>/extension/",
                view(self.extension_view),
                name="survey_response_extension",
            ),
            path(
                "<path:object_id>/diff/",
                view(self.diff_view),
                name="survey_response_diff",
            ),
            *super().get_urls(),
        ]

    def _response_for(
        self, request: HttpRequest, object_id: str, perm: str
    ) -> Response:
        if not getattr(self, f"has_{perm}_permission")(request):
            raise PermissionDenied
        return get_object_or_404(
            self.get_queryset(request).select_related(
                "organisation", "campaign__vendor", "campaign__questionnaire"
            ),
            pk=object_id,
        )

    def _back(self, response: Response) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:survey_response_change", args=[response.pk])
        )

    def _page(
        self, request: HttpRequest, response: Response, title: str, **context: Any
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/survey/response/action_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": response,
                "title": title,
                **context,
            },
        )

    def workflow_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._workflow)(request, object_id)

    def _workflow(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, "review")
        verb = request.POST.get("verb", "")
        if verb not in SIMPLE_VERBS:
            raise PermissionDenied
        try:
            getattr(response, verb)(request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(action)s: done; the response is now %(status)s.")
                % {
                    "action": SIMPLE_VERBS[verb],
                    "status": response.get_status_display(),
                },
            )
        return self._back(response)

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, "review")
        uses = list(response.uses.all())
        form = ReturnForm(response, uses, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                response.return_for_clarification(request.user, form.comments())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, gettext("Returned for clarification."))
                return self._back(response)
        return self._page(
            request,
            response,
            gettext("Return for clarification"),
            form=form,
            groups=form.groups,
        )

    def reopen_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, "review")
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                response.reopen(request.user, form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, gettext("Reopened for an amendment."))
                return self._back(response)
        return self._page(
            request, response, gettext("Reopen for an amendment"), form=form
        )

    def override_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, "review")
        form = OverrideForm(
            request.POST or None,
            initial={
                "band": response.override_band,
                "justification": response.override_justification,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                response.override(
                    request.user,
                    form.cleaned_data["band"],
                    form.cleaned_data["justification"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, gettext("Band override saved."))
                return self._back(response)
        return self._page(
            request,
            response,
            gettext("Override the band (computed: %(tier)s)") % {"tier": response.tier},
            form=form,
        )

    def extension_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, "extension")
        zone = response.campaign.display_timezone
        form = ExtensionForm(zone, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                response.grant_extension(
                    request.user,
                    form.cleaned_data["deadline"],
                    form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, gettext("Extension granted."))
                return self._back(response)
        return self._page(
            request,
            response,
            gettext("Grant an extension (campaign deadline: %(deadline)s)")
            % {"deadline": _local(response.campaign.deadline, zone)},
            form=form,
        )

    def diff_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, "view")
        submissions = {s.number: s for s in response.submissions.all()}
        numbers = sorted(submissions)
        before = _number(request.GET.get("a"), numbers[-2] if len(numbers) > 1 else 0)
        after = _number(request.GET.get("b"), numbers[-1] if numbers else 0)
        changes: list[readable.Change] = []
        if before in submissions and after in submissions:
            changes = readable.diff(
                response.campaign.questionnaire.parsed,
                _snapshot(submissions[before]),
                _snapshot(submissions[after]),
                response.campaign.vendor.name,
            )
        return TemplateResponse(
            request,
            "admin/survey/response/diff.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": response,
                "title": gettext("Changes between submitted versions"),
                "numbers": numbers,
                "before": before,
                "after": after,
                "compared": before in submissions and after in submissions,
                "changes": changes,
            },
        )


def _snapshot(submission: Submission) -> dict[str, Any]:
    return {"answers": submission.answers, "uses": submission.uses}


def _number(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def _local(instant: Any, zone: str) -> str:
    if instant is None:
        return "—"
    local = timezone.localtime(instant, ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


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
