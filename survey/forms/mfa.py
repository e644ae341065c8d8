"""The staff two-factor forms: a code to confirm a new authenticator app, or to log in."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy


class _CodeForm(forms.Form):
    code = forms.CharField(max_length=20, strip=True)

    def clean_code(self) -> str:
        # Apps show "123 456" and people copy recovery codes with spaces or dashes.
        return re.sub(r"[\s-]", "", self.cleaned_data["code"]).lower()


class ConfirmDeviceForm(_CodeForm):
    """The first code the new app shows, which proves it holds the secret."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = gettext_lazy("Code shown by the app")
        field.help_text = gettext_lazy("6 digits, for example 123456.")
        field.widget.attrs.update(
            autocomplete="one-time-code", inputmode="numeric", autofocus=True
        )


class VerifyCodeForm(_CodeForm):
    """A code from the authenticator app, or one of the recovery codes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = gettext_lazy("Code")
        field.help_text = gettext_lazy(
            "The 6 digits your authenticator app shows now, or one of your recovery "
            "codes (8 characters)."
        )
        field.widget.attrs.update(
            autocomplete="one-time-code",
            autocapitalize="none",
            spellcheck="false",
            autofocus=True,
        )
