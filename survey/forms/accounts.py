"""The account form: a contractor accepting an invitation sets a name and a password."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy


class AcceptInvitationForm(SetPasswordForm):
    """A new contractor user chooses a password (Django's validators apply)."""

    full_name = forms.CharField(
        label=gettext_lazy("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["full_name", "new_password1", "new_password2"]
