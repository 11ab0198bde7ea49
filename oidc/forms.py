from django import forms
from django.utils.translation import gettext_lazy as _


class LinkPasswordForm(forms.Form):
    """The existing account's password, which proves it before a link."""

    password = forms.CharField(
        label=_("Password of this account"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autofocus": True}
        ),
        error_messages={"required": _("Enter the password of this account.")},
    )
