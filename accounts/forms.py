from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from .lockout import is_locked_out, lockout_message
from .models import User, normalize_email

SIGNUP_THROTTLED_MESSAGE = _(
    "Too many sign-ups from your network. Wait an hour, then try again."
)


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
            if is_locked_out(self.request):
                raise forms.ValidationError(lockout_message(), code="locked_out")
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


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form, with the old password checked like a login attempt."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        # Through authenticate(), not user.check_password(): wrong guesses
        # count towards the same lockout as failed logins.
        old_password = self.cleaned_data["old_password"]
        if check_password_attempt(self.request, self.user, old_password):
            return old_password
        if is_locked_out(self.request):
            raise forms.ValidationError(lockout_message(), code="locked_out")
        raise forms.ValidationError(
            self.error_messages["password_incorrect"], code="password_incorrect"
        )


def check_password_attempt(request, user, password) -> bool:
    """Return whether `password` is `user`'s, counting a miss as a failed login."""
    return authenticate(request, email=user.email, password=password) == user
