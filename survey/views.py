"""Views: thin functions that check access, call model methods and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from survey.models import Response


@require_GET
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


@login_required
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    responses = (
        Response.objects.for_user(request.user)
        .select_related("campaign__vendor", "organisation")
        .order_by("campaign__deadline", "organisation__legal_name")
    )
    return render(request, "survey/home.html", {"responses": responses})
