"""Review, submit, receipt and the response's downloads."""

from __future__ import annotations

import tempfile
from datetime import UTC
from io import BytesIO
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from survey import exports, pages
from survey.audit import client_ip
from survey.checks import soft_checks
from survey.deadlines import describe
from survey.models import AuditEvent, Incomplete, Membership, Refused
from survey.views.common import _actor, _refused, _response, _role


@login_required
@never_cache
@require_safe
def review(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    items = list(response.uses.all())
    context = pages.page_context(response, items, "review", request)
    context.update(pages.review_context(response, items))
    questionnaire = response.campaign.questionnaire.parsed
    org = context["org_answers"]
    context["warnings"] = (
        soft_checks(
            questionnaire,
            org,
            [questionnaire.visible_use_answers(u.answers, org) for u in items],
            response.campaign.vendor.name,
        )
        if response.route == "dependence"
        else []
    )
    context["is_signatory"] = _role(request, response) == Membership.Role.SIGNATORY
    return render(request, "survey/review.html", context)


@login_required
@never_cache
@require_POST
def submit(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    if request.POST.get("confirmed") != "1":
        # A legal commitment takes a second, explicit step (WCAG 3.3.4): say what is
        # about to be attested, for whom, and ask again; refused as the submit would be.
        if response.submitted_at and not response.is_editable:
            return redirect("survey-receipt", response_uuid=response.uuid)
        now = request.received_at  # type: ignore[attr-defined]
        if reason := response.submit_refusal(request.user, now):  # type: ignore[arg-type]
            return _refused(request, response, Refused(reason))
        items = list(response.uses.all())
        questionnaire = response.campaign.questionnaire.parsed
        uses_count = len(items) if questionnaire.register_shown(response.answers) else 0
        context = pages.page_context(response, items, "review", request)
        context.update(
            attestation=response.attestation_text(),
            uses_count=uses_count,
            submit_url=request.path,
        )
        return render(request, "survey/confirm.html", context)
    try:
        submission = response.submit(*_actor(request))
    except Incomplete:
        messages.error(
            request, _("Some required answers are missing: see the list below.")
        )
        return redirect("survey-review", response_uuid=response.uuid)
    except Refused as refusal:
        return _refused(request, response, refusal)
    if submission is None:
        # A double click or a resubmitted form: the first submission stands.
        messages.info(request, _("This response was already submitted."))
    return redirect("survey-receipt", response_uuid=response.uuid)


@login_required
@never_cache
@require_safe
def receipt(request: HttpRequest, response_uuid: Any) -> HttpResponse:
    response = _response(request, response_uuid)
    submission = response.submissions.select_related("submitted_by").last()
    if submission is None:
        raise Http404
    zone = response.campaign.display_timezone
    context = pages.page_context(
        response, list(response.uses.all()), "receipt", request
    )
    context.update(
        submission=submission,
        submitted_utc=f"{submission.submitted_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        submitted_local=describe(submission.submitted_at, zone),
    )
    return render(request, "survey/receipt.html", context)


@login_required
@never_cache
@require_GET
def export(request: HttpRequest, response_uuid: Any) -> FileResponse:
    response = _response(request, response_uuid)
    # An anonymous temporary file: nothing stays on disk, and FileResponse closes it.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    exports.response_workbook(response, list(response.uses.all()), handle)
    handle.seek(0)
    AuditEvent.record(
        "response.exported",
        actor=request.user,
        obj=response,
        organisation=response.organisation,
        campaign=response.campaign,
        ip=client_ip(request),
    )
    filename = f"{response.campaign.slug}-{response.organisation.uei}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename)


@login_required
@never_cache
@require_safe
def attachment(
    request: HttpRequest, response_uuid: Any, attachment_uuid: Any
) -> FileResponse:
    response = _response(request, response_uuid)
    stored = get_object_or_404(response.attachments, uuid=attachment_uuid)
    return FileResponse(
        BytesIO(bytes(stored.content)),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type,
    )
