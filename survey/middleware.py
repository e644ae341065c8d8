"""Request plumbing that must run before everything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class ReceivedAtMiddleware:
    """Stamp each request with the server's time of receipt.

    The deadline gate compares this stamp, taken once, so a request that arrives before the
    deadline and commits just after it is still accepted, and no client clock counts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.received_at = timezone.now()  # type: ignore[attr-defined]
        return self.get_response(request)
