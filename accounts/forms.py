from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import User, normalize_email


class LoginForm(forms.Form):
    """Check an email and password, as Django's AuthenticationForm does."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        # One message for a wrong password, an unknown email and an inactive
        # account: the form never tells which accounts exist.
        "invalid_login": _(
            "That email and password do not match an active account. "
            "Check both and try again."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        if email and password:
            self.user_cache = authenticate(
                self.request, email=normalize_email(email), password=password
            )
        if self.user_cache is None:
            raise forms.ValidationError(
                self.error_messages["invalid_login"], code="invalid_login"
            )
        return self.cleaned_data

    def get_user(self):
        return self.user_cache


class SignupForm(BaseUserCreationForm):
    """Collect an email and a password twice; Django's validators apply."""

    class Meta:
        model = User
        fields = ("email",)
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])
