"""Request plumbing that must run before everything else."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.utils import timezone

from survey import logs, sessions

# An ID the proxy in front gave the request: kept only behind a trusted proxy (which
# sets the header on every request, so a client cannot choose it) and only when it is a
# short token that cannot break or forge a log line; anything else is replaced.
_INCOMING_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


class RequestIdMiddleware:
    """Give each request an ID, returned as the X-Request-ID response header and carried
    by every audit line the request writes (survey.logs.current_request), so that a
    user's report of a failed page leads to its log lines.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from survey.audit import client_ip

        incoming = request.headers.get("X-Request-ID", "")
        trusted = settings.SECURE_PROXY_SSL_HEADER is not None
        if trusted and _INCOMING_ID.fullmatch(incoming):
            request_id = incoming
        else:
            request_id = uuid.uuid4().hex
        request.id = request_id  # type: ignore[attr-defined]
        # Unbound again afterwards: a worker thread serves many requests, and a line
        # logged between them must not carry the previous one's ID.
        token = logs.bind_request(logs.RequestTag(request_id, client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            logs.unbind_request(token)
        response["X-Request-ID"] = request_id
        return response


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


class RequestGuardMiddleware:
    """Refuse, in one place, requests that no page of this site serves.

    - Methods other than GET, HEAD and POST (TRACE, PUT, ...): 405, for the admin too.
    - A NUL character anywhere in the path, query string, headers, form fields or
      cookies: 400.
      No URL or answer holds one, and PostgreSQL refuses it in text, so letting it
      through turns a lookup into a 500 and loses the audit event. The refusal itself is
      audited as access.denied.
    """

    METHODS = ("GET", "HEAD", "POST")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in self.METHODS:
            return HttpResponseNotAllowed(self.METHODS)
        if any("\x00" in value for value in _request_strings(request)):
            # Runs before the session is read (its key is a cookie), so the actor is
            # not known here; the address and the path are.
            from survey.audit import client_ip
            from survey.models import AuditEvent

            AuditEvent.record(
                "access.denied",
                ip=client_ip(request),
                path=request.path[:300],
                method=request.method,
                reason="NUL character in the request",
            )
            return HttpResponseBadRequest()
        return self.get_response(request)


class SessionLifetimeMiddleware:
    """End a session SESSION_ABSOLUTE_SECONDS after its login whatever the activity, and
    move its idle expiry on at most once a minute (survey.sessions).

    An ended session is logged out before the view runs: a page then sends its user to
    the login page with `next`, and an autosave gets its 401 JSON, so the draft stays as
    last saved.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        # A login in this request (the session has just been written anyway): its
        # lifetime starts now. Checked on `modified` first so as not to load a session
        # that nothing read.
        if (
            session.modified
            and session.get(auth.SESSION_KEY)
            and sessions.STARTED not in session
        ):
            sessions.touch(session, request.received_at, force=True)  # type: ignore[attr-defined]
        return response

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        if not request.user.is_authenticated:
            return
        now = request.received_at  # type: ignore[attr-defined]
        if sessions.has_ended(request.session, now):
            from survey.audit import client_ip
            from survey.models import AuditEvent

            AuditEvent.record(
                "auth.session_ended",
                actor=request.user,
                ip=client_ip(request),
                path=request.path[:300],
            )
            auth.logout(request)
        elif not getattr(view, "session_refreshes_itself", False):
            sessions.touch(request.session, now)


def _request_strings(request: HttpRequest) -> Iterator[str]:
    yield request.path_info
    # Headers too: django-axes stores the user agent of a failed login.
    yield from (str(v) for k, v in request.META.items() if k.startswith("HTTP_"))
    yield from request.COOKIES.keys()
    yield from request.COOKIES.values()
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            yield key
            yield from values
