"""What the contractor views share: the response reached, the writer, a refusal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from survey.audit import client_ip, own_organisation
from survey.models import AuditEvent, Membership, Refused, Response, Use, User

View = Callable[..., HttpResponseBase]


def login_required_json(view: View) -> View:
    """For autosave: an expired session gets 401 JSON, not a redirect to a login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return session_ended_json(
                f"{reverse('login')}?next={request.path.rsplit('/', 1)[0]}/"
            )
        return view(request, *args, **kwargs)

    return wrapper


def session_ended_json(login_url: str) -> JsonResponse:
    return JsonResponse(
        {
            "status": "login",
            "message": _(
                "Your session expired. Log in again; "
                "your draft up to the last save is kept."
            ),
            "login_url": login_url,
        },
        status=401,
    )


def _response(request: HttpRequest, response_uuid: Any) -> Response:
    """The user's own organisation's response; anything else is a plain 404, logged."""
    found = (
        Response.objects.for_user(request.user)
        .select_related("campaign__vendor", "campaign__questionnaire", "organisation")
        .filter(uuid=response_uuid)
        .first()
    )
    if found is None:
        AuditEvent.record(
            "access.denied",
            actor=request.user,
            organisation=own_organisation(request.user),
            ip=client_ip(request),
            path=request.path,
            method=request.method,
        )
        raise Http404
    # The first time the organisation reaches a response of a campaign that follows
    # another, it starts from what they submitted there (a no-op otherwise).
    found.carry_forward(request.received_at)  # type: ignore[attr-defined]
    return found


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _actor(request: HttpRequest) -> tuple[User, str | None, datetime]:
    """Who writes, from where and when (the time the request arrived): the arguments
    every model write path takes."""
    at = request.received_at  # type: ignore[attr-defined]
    return request.user, client_ip(request), at  # type: ignore[return-value]


def _use(response: Response, use_uuid: Any) -> Use:
    return get_object_or_404(Use.objects.filter(response=response), uuid=use_uuid)


def _role(request: HttpRequest, response: Response) -> str:
    membership = Membership.objects.filter(
        user=request.user, organisation=response.organisation
    ).first()
    return membership.role if membership else ""


def _refused(
    request: HttpRequest, response: Response, refusal: Refused, as_json: bool = False
) -> HttpResponse:
    """A write the model refused (deadline, status, role): audited, then the 403."""
    AuditEvent.record(
        "write.refused",
        actor=request.user,
        obj=response,
        organisation=response.organisation,
        campaign=response.campaign,
        ip=client_ip(request),
        path=request.path,
    )
    if as_json:
        return JsonResponse({"status": "refused", "message": str(refusal)}, status=403)
    return render(
        request,
        "survey/refused.html",
        {"response": response, "reason": str(refusal)},
        status=403,
    )
