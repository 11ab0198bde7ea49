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


class PasskeyNameForm(forms.Form):
    """What to call a passkey, so that its owner knows which one it is."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        strip=True,
        help_text=_("Say where it lives, e.g. “Phone” or “Work laptop”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
