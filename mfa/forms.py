"""The code field of the login's second step and of an authenticator's setup."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A code from the authenticator app, or (at login) a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class SetupConfirmForm(CodeForm):
    """The first code of a new authenticator app, which proves it was added."""
