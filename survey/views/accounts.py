"""Accounts: the login lockout, password reset and accepting an invitation."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from survey.audit import client_ip
from survey.forms import AcceptInvitationForm
from survey.models import AuditEvent, Invitation, Membership, User


def locked_out(request: HttpRequest, *args: Any) -> HttpResponse:
    """django-axes' answer to a login on a locked account: the same for unknown ones."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes},
        status=429,
    )


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's password reset; a new password also lifts a login lockout."""

    def form_valid(self, form: Any) -> HttpResponse:
        axes_reset(username=form.user.get_username())
        return super().form_valid(form)


@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.usable(token)
    if invitation is None:
        return render(request, "survey/invitation_invalid.html", status=404)
    user = User.objects.filter(email=invitation.email).first() or User(
        email=invitation.email, full_name=invitation.full_name
    )
    form = AcceptInvitationForm(
        user, request.POST or None, initial={"full_name": user.full_name}
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if not invitation.mark_accepted():
                return render(request, "survey/invitation_invalid.html", status=404)
            user.full_name = form.cleaned_data["full_name"]
            form.save()
            Membership.objects.get_or_create(
                user=user,
                organisation=invitation.organisation,
                defaults={"role": invitation.role},
            )
            AuditEvent.record(
                "invitation.accepted",
                actor=user,
                obj=invitation,
                organisation=invitation.organisation,
                ip=client_ip(request),
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("survey-home")
    return render(
        request, "survey/invitation.html", {"form": form, "invitation": invitation}
    )
