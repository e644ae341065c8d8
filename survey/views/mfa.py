"""Staff two-factor pages: verify a code, enrol an authenticator app, recovery codes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from survey import mfa
from survey.audit import client_ip
from survey.forms.mfa import ConfirmDeviceForm, VerifyCodeForm

# New recovery codes wait here between the POST that makes them and the one page that
# shows them, which removes them.
_NEW_CODES = "survey_mfa_new_codes"


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the app, or a recovery code."""
    user = request.user
    if not mfa.required(user):
        return redirect(_next(request))
    if mfa.totp_device(user) is None:
        return _to("survey-mfa-enrol", request)
    form = VerifyCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa.verify(user, form.cleaned_data["code"], client_ip(request))
        if check.ok:
            mfa.log_in(request, check.device)
            _warn_if_recovery(request, check.device)
            return redirect(_next(request))
        form.add_error("code", _refusal(check))
    return render(
        request,
        "registration/two_factor.html",
        {"form": form, "next": _next(request)},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Scan the secret, type the first code to confirm it: at the first login, or to
    move to a new phone (the new app then replaces the old one).

    A user who has an app must have passed the second factor in this session first:
    otherwise a stolen password would be enough to add an attacker's app.
    """
    user = request.user
    if not mfa.applies(user):
        return redirect(_next(request))
    if mfa.required(user) and mfa.totp_device(user) is not None:
        return _to("survey-mfa-verify", request)
    device = mfa.pending_device(user)
    form = ConfirmDeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa.confirm(user, device, form.cleaned_data["code"], client_ip(request))
        if check.ok:
            mfa.log_in(request, check.device)
            request.session[_NEW_CODES] = mfa.new_recovery_codes(
                user, client_ip(request)
            )
            return _to("survey-mfa-recovery-codes", request)
        form.add_error("code", _refusal(check))
    context = {
        "form": form,
        "next": _next(request),
        "qr_svg": mfa.qr_svg(device, _("QR code of the secret, for your app to scan")),
        "secret": mfa.secret_text(device),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "registration/two_factor_setup.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once; a POST replaces them all."""
    user = request.user
    if not mfa.applies(user):
        return redirect(_next(request))
    if mfa.required(user):
        return _to("survey-mfa-verify", request)
    if request.method == "POST":
        request.session[_NEW_CODES] = mfa.new_recovery_codes(user, client_ip(request))
        return _to("survey-mfa-recovery-codes", request)
    context = {
        "codes": request.session.pop(_NEW_CODES, None),
        "left": mfa.recovery_codes_left(user),
        "next": _next(request),
    }
    return render(request, "registration/recovery_codes.html", context)


def _next(request: HttpRequest) -> str:
    """Where to go once done: the page asked for, if it is on this site; else the admin
    for staff, home for anyone else."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    staff = request.user.is_staff or request.user.is_superuser
    return reverse("admin:index" if staff else "survey-home")


def _to(url_name: str, request: HttpRequest) -> HttpResponseRedirect:
    return redirect(
        f"{reverse(url_name)}?{urlencode({'next': _next(request)}, safe='/')}"
    )


def _warn_if_recovery(request: HttpRequest, device: Device) -> None:
    if not isinstance(device, StaticDevice):
        return
    left = mfa.recovery_codes_left(request.user)
    messages.warning(
        request,
        ngettext(
            "You used a recovery code; %(left)d is left. To make new ones, follow "
            "“Recovery codes” at the top of the page.",
            "You used a recovery code; %(left)d are left. To make new ones, follow "
            "“Recovery codes” at the top of the page.",
            left,
        )
        % {"left": left},
    )


def _refusal(check: mfa.Check) -> str:
    if check.throttled_seconds:
        return ngettext(
            "Too many wrong codes. Wait %(seconds)d second, then try again.",
            "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
            check.throttled_seconds,
        ) % {"seconds": check.throttled_seconds}
    return _("This code is not valid. Check it and try again.")
