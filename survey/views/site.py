"""Pages outside any one response: home, the health check, the stale-form page, the
session's status."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from survey import pages, sessions
from survey.models import Response
from survey.views.common import session_ended_json


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A stale form (another tab logged out and in): explain, never lose the draft."""
    back = (
        request.path if request.method == "GET" else request.path.split("/autosave")[0]
    )
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.path.endswith("/autosave") or wants_json:
        return JsonResponse(
            {"status": "stale", "message": _stale_message()}, status=403
        )
    return render(request, "survey/stale.html", {"back": back}, status=403)


def _stale_message() -> str:
    return _(
        "This page is out of date (you may have logged in again in another tab). "
        "Reload it to continue; your saved draft is intact."
    )


@sessions.refreshes_itself
@never_cache
@require_http_methods(["GET", "POST"])
def session_status(request: HttpRequest) -> JsonResponse:
    """For the pages' expiry warning. GET tells how long the session has left and does
    not count as activity (another tab may be keeping it alive); POST, the warning's
    "Stay signed in", pushes the idle expiry forward."""
    if not request.user.is_authenticated:
        return session_ended_json(reverse("login"))
    now = request.received_at  # type: ignore[attr-defined]
    if request.method == "POST":
        sessions.touch(request.session, now, force=True)
    return JsonResponse({"status": "ok", **sessions.status(request.session, now)})


@login_required
@never_cache
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    responses = list(
        Response.objects.for_user(request.user)
        .select_related("campaign__vendor", "campaign__questionnaire", "organisation")
        .prefetch_related("uses")
        .order_by("campaign__deadline", "organisation__legal_name")
    )
    now = request.received_at  # type: ignore[attr-defined]
    rows = [pages.summary(r, list(r.uses.all()), now) for r in responses]
    # Every page carries the campaigns' classification notices (spec §1), once each.
    handling = [r["handling_banner"] for r in rows if r["handling_banner"]]
    context = {
        "rows": rows,
        "handling_banners": list(dict.fromkeys(handling)),
        "notices": list(dict.fromkeys(r["banner"] for r in rows)),
        # Each campaign's instructions, once, whatever the number of organisations.
        "instructions": list(
            dict.fromkeys(
                (r["title"], r["instructions"]) for r in rows if r["instructions"]
            )
        ),
    }
    return render(request, "survey/home.html", context)
