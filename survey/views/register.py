"""The use register (section D): the list of uses, adding and removing one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from survey import pages
from survey.models import Refused
from survey.views.common import _actor, _refused, _response, _use, _uuid_or_none


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def uses(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    """The use register (section D): a list of uses, with add and remove."""
    response = _response(request, response_uuid)
    questionnaire = response.campaign.questionnaire.parsed
    register = questionnaire.use_section
    if register is None:
        raise Http404
    if request.method == "POST" and "discard" in request.POST:
        # "Back to the list" from a use page: a use nothing was typed into goes.
        use = response.uses.filter(uuid=_uuid_or_none(request.POST["discard"])).first()
        if use is not None and response.is_editable:
            try:
                response.discard_if_empty(use, *_actor(request))
            except Refused as refusal:
                return _refused(request, response, refusal)
        return redirect("survey-uses", response_uuid=response.uuid)
    if request.method == "POST" and "confirm" in request.POST:
        try:
            response.confirm_section(register.id, *_actor(request))
        except Refused as refusal:
            return _refused(request, response, refusal)
        messages.success(request, _("The uses carried forward are confirmed."))
        return redirect("survey-uses", response_uuid=response.uuid)
    if request.method == "POST":
        try:
            use = response.add_use(*_actor(request))
        except Refused as refusal:
            return _refused(request, response, refusal)
        return redirect("survey-use", response_uuid=response.uuid, use_uuid=use.uuid)
    items = list(response.uses.all())
    context = pages.page_context(response, items, register.id, request)
    context.update(
        section=register,
        uses=[
            pages.use_row(questionnaire, response, u, i) for i, u in enumerate(items)
        ],
        shown=register.id in context["visible_sections"],
    )
    return render(request, "survey/uses.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def use_delete(request: HttpRequest, response_uuid: Any, use_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    use = _use(response, use_uuid)
    if request.method == "POST":
        try:
            response.remove_use(use, *_actor(request))
        except Refused as refusal:
            return _refused(request, response, refusal)
        messages.success(request, _("The use was removed."))
        return redirect("survey-uses", response_uuid=response.uuid)
    register = response.campaign.questionnaire.parsed.use_section
    assert register is not None
    context = pages.page_context(
        response, list(response.uses.all()), register.id, request
    )
    context["use"] = use
    return render(request, "survey/use_delete.html", context)
