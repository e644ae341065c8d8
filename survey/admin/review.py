"""The review pages of one response, and the bulk review actions, for ResponseAdmin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from survey.admin.forms import (
    BulkReturnForm,
    ExtensionForm,
    OverrideForm,
    ReasonForm,
    ReturnForm,
)
from survey.deadlines import describe
from survey.models import Response

SIMPLE_VERBS = {
    "start_review": _("Start review"),
    "accept": _("Accept"),
    "escalate": _("Escalate"),
}


class ReviewMixin:
    """Mixed into ResponseAdmin; relies on its get_queryset (scoped) and permissions."""

    # Workflow: bulk actions.

    def _apply_to_selection(
        self,
        request: HttpRequest,
        queryset: QuerySet[Response],
        label: Any,
        call: Callable[[Response], Any],
    ) -> None:
        done = skipped = 0
        for response in queryset.select_related(
            "organisation", "campaign__questionnaire"
        ):
            try:
                call(response)
            except ValidationError:
                skipped += 1
            else:
                done += 1
        self.message_user(
            request,
            gettext("%(action)s: %(done)d done, %(skipped)d skipped (wrong status).")
            % {"action": label, "done": done, "skipped": skipped},
            messages.SUCCESS if not skipped else messages.WARNING,
        )

    def _simple(
        self, request: HttpRequest, queryset: QuerySet[Response], verb: str
    ) -> None:
        self._apply_to_selection(
            request,
            queryset,
            SIMPLE_VERBS[verb],
            lambda response: getattr(response, verb)(request.user),
        )

    def _bulk_form(
        self,
        request: HttpRequest,
        queryset: QuerySet[Response],
        form: Any,
        title: str,
    ) -> TemplateResponse:
        # The intermediate page of an action that needs more input, as for delete.
        return TemplateResponse(
            request,
            "admin/survey/response/bulk_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "form": form,
                "responses": queryset.select_related("organisation", "campaign"),
                "action": request.POST.get("action", ""),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            },
        )

    @admin.action(description=_("Return for clarification"), permissions=["review"])
    def return_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> TemplateResponse | None:
        form = BulkReturnForm(
            queryset, request.POST if "apply" in request.POST else None
        )
        if not form.is_valid():
            return self._bulk_form(
                request, queryset, form, gettext("Return for clarification")
            )
        comment = (form.cleaned_data["question"], None, form.cleaned_data["comment"])
        self._apply_to_selection(
            request,
            queryset,
            _("Return for clarification"),
            lambda r: r.return_for_clarification(request.user, [comment]),
        )
        return None

    @admin.action(description=_("Reopen for an amendment"), permissions=["review"])
    def reopen_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> TemplateResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._bulk_form(
                request, queryset, form, gettext("Reopen for an amendment")
            )
        reason = form.cleaned_data["reason"]
        self._apply_to_selection(
            request,
            queryset,
            _("Reopen for an amendment"),
            lambda r: r.reopen(request.user, reason),
        )
        return None

    @admin.action(description=_("Start review"), permissions=["review"])
    def start_review_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> None:
        self._simple(request, queryset, "start_review")

    @admin.action(description=_("Accept"), permissions=["review"])
    def accept_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> None:
        self._simple(request, queryset, "accept")

    @admin.action(description=_("Escalate"), permissions=["review"])
    def escalate_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> None:
        self._simple(request, queryset, "escalate")

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
                "<path:object_id>/withdraw/",
                view(self.withdraw_view),
                name="survey_response_withdraw",
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
        return self.object_or_404(  # type: ignore[attr-defined]
            request,
            object_id,
            self.get_queryset(request).select_related(  # type: ignore[attr-defined]
                "organisation", "campaign__vendor", "campaign__questionnaire"
            ),
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
            head=[form["message"]],
            groups=[(title, rows, form.opened(rows)) for title, rows in form.groups],
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

    def withdraw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, "administer")
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                response.withdraw(request.user, form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, gettext("Withdrawn."))
                return self._back(response)
        return self._page(request, response, gettext("Withdraw"), form=form)

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
        response = self._response_for(request, object_id, "administer")
        zone = response.campaign.display_timezone
        form = ExtensionForm(
            zone, request.POST or None, current=response.effective_deadline
        )
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
            % {"deadline": describe(response.campaign.deadline, zone)},
            form=form,
        )


def local_time(instant: Any, zone: str) -> str:
    if instant is None:
        return "—"
    # strftime, not describe(): this runs for every row of the response list.
    local = timezone.localtime(instant, ZoneInfo(zone))
    utc = instant.astimezone(UTC)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc:%H:%M} UTC)"
