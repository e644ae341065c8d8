"""Staff two-factor authentication: TOTP devices, recovery codes and the gate to every page."""

from __future__ import annotations

import math
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey.models import AuditEvent

RECOVERY_CODE_COUNT = 10
# StaticToken.random_token(): five random bytes in base32.
RECOVERY_CODE_LENGTH = 8
# Device names are stored data, shown in the admin: English, like the audit actions.
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
VERIFY_URL = "survey-mfa-verify"
ENROL_URL = "survey-mfa-enrol"
# What a staff user who has not passed the second factor may still reach: the pages that
# let them pass it, logging out and the language switch. Everything else, the admin first,
# sends them to verify (or enrol).
_OPEN_VIEWS = frozenset({VERIFY_URL, ENROL_URL, "logout", "set_language"})


@dataclass(frozen=True)
class Check:
    """The outcome of one code: accepted by `device`, wrong, or refused unchecked."""

    device: Device | None
    throttled_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.device is not None and not self.throttled_seconds


def applies(user: Any) -> bool:
    """Whether this user must use a second factor: staff, while STAFF_MFA is on.

    Read at each request, not at import, so that override_settings and a restart with
    another environment both take effect.
    """
    return bool(
        settings.STAFF_MFA
        and user.is_authenticated
        and (user.is_staff or user.is_superuser)
    )


def required(user: Any) -> bool:
    """Whether this user must still pass the second factor in this session."""
    return applies(user) and not user.is_verified()


class StaffMFAMiddleware:
    """Send staff who have not passed a second factor in this session to do so first.

    After URL resolution (process_view), so that the few open pages are named by their
    URL names rather than by path prefixes that ADMIN_URL_PATH could shadow.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        if not required(request.user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in _OPEN_VIEWS:
            return None
        target = VERIFY_URL if totp_device(request.user) else ENROL_URL
        return redirect_to_login(request.get_full_path(), reverse(target))


def totp_device(user: Any, confirmed: bool = True) -> TOTPDevice | None:
    return (
        TOTPDevice.objects.devices_for_user(user, confirmed=confirmed)
        .order_by("pk")
        .first()
    )


def pending_device(user: Any) -> TOTPDevice:
    """The device being enrolled: the same secret on every reload until it is confirmed."""
    return totp_device(user, confirmed=False) or TOTPDevice.objects.create(
        user=user, name=TOTP_NAME, confirmed=False
    )


def secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice, title: str) -> SafeString:
    """The otpauth:// link as an inline SVG QR code: no script, no style, no image file."""
    code = segno.make(device.config_url, error="m")
    # segno escapes the title; the rest is path data built from the link.
    return mark_safe(code.svg_inline(scale=4, title=title, light="#fff"))


def confirm(user: Any, device: TOTPDevice, code: str, ip: str | None) -> Check:
    """Confirm the device being enrolled with its first code (throttled and audited)."""
    with transaction.atomic():
        locked = (
            TOTPDevice.objects.select_for_update()
            .filter(pk=device.pk, user=user, confirmed=False)
            .first()
        )
        result = _check(locked, code) if locked else Check(None)
        if result.ok:
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            # One app per user: a new phone replaces the old one, and the devices of
            # an enrolment left half-done (in another tab) would never be confirmed.
            TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
    _audit(user, ip, result, "totp", "auth.mfa_enrolled")
    return result


def verify(user: Any, code: str, ip: str | None) -> Check:
    """Check a code from the user's authenticator app, or one of their recovery codes.

    A TOTP code has six digits and a recovery code eight characters, so the length says
    which device to ask: each keeps its own throttle (django-otp's exponential delay,
    stored in the database so that every app server sees it).
    """
    kind = "recovery" if len(code) == RECOVERY_CODE_LENGTH else "totp"
    model = TOTPDevice if kind == "totp" else StaticDevice
    with transaction.atomic():
        device = (
            model.objects.devices_for_user(user, confirmed=True)
            .select_for_update()
            .order_by("pk")
            .first()
        )
        result = _check(device, code) if device else Check(None)
    _audit(user, ip, result, kind, "auth.mfa_verified")
    return result


def _check(device: Device, code: str) -> Check:
    allowed, data = device.verify_is_allowed()
    if not allowed:
        wait = (data or {}).get("locked_until", timezone.now()) - timezone.now()
        return Check(device, throttled_seconds=max(1, math.ceil(wait.total_seconds())))
    # verify_token counts a failure towards the throttle, and clears it on success.
    return Check(device if device.verify_token(code) else None)


def _audit(user: Any, ip: str | None, result: Check, kind: str, success: str) -> None:
    # The code itself is never recorded, right or wrong.
    if result.ok:
        AuditEvent.record(success, actor=user, obj=result.device, ip=ip, device=kind)
        return
    failures = getattr(result.device, "throttling_failure_count", None)
    AuditEvent.record(
        "auth.mfa_failed",
        actor=user,
        ip=ip,
        device=kind,
        reason="throttled" if result.throttled_seconds else "wrong code",
        failures=failures,
    )


def log_in(request: HttpRequest, device: Device) -> None:
    """Mark this session as having passed the second factor, under a new session key."""
    request.session.cycle_key()
    otp_login(request, device)


def new_recovery_codes(user: Any, ip: str | None) -> list[str]:
    """Replace the user's recovery codes with new ones, each usable once.

    The device is kept (only its codes change), so that a session verified with a
    recovery code stays verified.
    """
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user).order_by("pk").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME)
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(
            StaticToken(device=device, token=code) for code in codes
        )
        AuditEvent.record(
            "auth.mfa_recovery_codes_created", actor=user, obj=device, ip=ip
        )
    return codes


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
