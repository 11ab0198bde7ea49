"""The login, sign-up and password-change forms; credentials checks passwords."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from . import app_settings
from .credentials import (
    INVALID_LOGIN,
    SAME_EMAIL,
    WRONG_PASSWORD,
    CredentialsRefused,
    authenticate_credentials,
    verify_current_password,
    verify_identity,
)
from .models import User, normalize_email

EMAIL_LINKS_THROTTLED_MESSAGE = _(
    "You have asked for many emails in a short time. Wait an hour, then try again."
)
SIGNUP_THROTTLED_MESSAGE = _(
    "Too many sign-ups from your network. Wait an hour, then try again."
)


class LoginForm(forms.Form):
    """Check an email and password, as Django's AuthenticationForm does."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        # "webauthn": where the browser offers it, the field's autofill
        # lists this site's passkeys too (conditional mediation, passkeys.js).
        widget=forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "username webauthn"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {"invalid_login": INVALID_LOGIN}

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        try:
            if not (email and password):
                # The field's own error says what is missing; the form adds
                # the one message every failed login gets.
                raise CredentialsRefused(INVALID_LOGIN, code="invalid_login")
            self.user_cache = authenticate_credentials(
                self.request, email=email, password=password
            )
        except CredentialsRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
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

    def validate_unique(self):
        # Where nobody is logged in before the address is proved, a taken
        # address is answered as a free one is (services.sign_up_by_email):
        # the page must not tell who has an account.
        if app_settings.email_verification_is_mandatory():
            return
        super().validate_unique()


class ReauthenticateForm(forms.Form):
    """Ask a logged-in user to prove who they are again (a step-up).

    The password, or a code from the authenticator app (the field is there
    only for a user who has one); either renews the login's proof, a code
    also makes it two factors.
    """

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autofocus": True, "autocomplete": "current-password"}
        ),
    )
    code = forms.CharField(
        label=_("Or a code from your authenticator app"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off"}
        ),
    )

    def __init__(self, user, *args, request=None, with_code=False, **kwargs):
        self.user = user
        self.request = request
        self.methods = ()
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["code"]

    def clean(self):
        try:
            self.methods = verify_identity(
                self.request,
                user=self.user,
                password=self.cleaned_data.get("password", ""),
                code=self.cleaned_data.get("code", ""),
            )
        except CredentialsRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
        return self.cleaned_data


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form, with the old password checked like a login attempt."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        try:
            verify_current_password(self.request, user=self.user, password=old_password)
        except CredentialsRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
        return old_password


class EmailChangeForm(forms.Form):
    """Ask for the new address and the password that allows the change."""

    email = forms.EmailField(
        label=_("New email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {"same_email": SAME_EMAIL}

    def __init__(self, user, *args, request=None, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if email == self.user.email:
            raise forms.ValidationError(
                self.error_messages["same_email"], code="same_email"
            )
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        try:
            verify_current_password(
                self.request, user=self.user, password=password, message=WRONG_PASSWORD
            )
        except CredentialsRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
        return password
