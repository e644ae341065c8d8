"""Audit of logins and permission denials (the other events are recorded by the verbs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from survey.models import AuditEvent, Organisation, User, UserManager


def client_ip(request: HttpRequest | None) -> str | None:
    # Behind a Unix socket REMOTE_ADDR is "", which an IP column (inet) refuses.
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def own_organisation(user: Any) -> Organisation | None:
    """The organisation a contractor acts for, as their audit events name it: their one
    organisation; None for staff and for someone in several (no single one is meant)."""
    if not getattr(user, "is_authenticated", False):
        return None
    found = list(Organisation.objects.filter(memberships__user=user)[:2])
    return found[0] if len(found) == 1 else None


def named_account(name: str) -> User | None:
    """The account a failed or refused login named, if there is one: the event's object,
    so that attempts on one account can be followed without the typed text in the line."""
    email = UserManager.normalize_email(name)
    return User.objects.filter(email=email).first() if email else None


def login_username(request: HttpRequest | None, credentials: Any = None) -> str:
    """The account a login attempt names, as django-axes counts it.

    Normalised as the user model stores emails, so that "Pat@X" and "pat@x " count
    towards the same lockout.
    """
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username")
    return UserManager.normalize_email(str(value or ""))[:254]


def record_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    AuditEvent.record(
        "auth.login",
        actor=user,
        obj=user,
        organisation=own_organisation(user),
        ip=client_ip(request),
    )


def record_login_failure(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    # Django has already masked the password; keep only the address that was tried.
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    AuditEvent.record(
        "auth.login_failed",
        obj=named_account(email),
        ip=client_ip(request),
        email=email,
    )


def record_lockout(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    **kwargs: Any,
) -> None:
    # django-axes' user_locked_out: the lock itself, and each attempt refused by it.
    email = str(username or "")[:254]
    AuditEvent.record(
        "auth.locked_out", obj=named_account(email), ip=client_ip(request), email=email
    )


class PermissionDeniedAuditMiddleware:
    """Record every 403 raised as PermissionDenied, then let Django answer as usual."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied):
            user = getattr(request, "user", None)
            AuditEvent.record(
                "auth.permission_denied",
                actor=user if user is not None and user.is_authenticated else None,
                ip=client_ip(request),
                path=request.path[:300],
                method=request.method,
            )
        return None
