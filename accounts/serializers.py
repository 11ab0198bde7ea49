"""The accounts API's fields: sign-up, credentials, the user, a password change."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers

from authsite import fields
from jwt_sessions.serializers import AssuranceSerializer, AudienceField
from mfa import services as mfa

from . import app_settings
from .credentials import (
    SAME_EMAIL,
    WRONG_CURRENT_PASSWORD,
    WRONG_PASSWORD,
    AttemptsLockedOut,
    CredentialsRefused,
    authenticate_credentials,
    verify_current_password,
    verify_identity,
)
from .lockout import LockedOut
from .models import User, normalize_email


def _api_error(refused: CredentialsRefused, *, failed: type[Exception], code: str):
    # The credential check's refusal, as the API answers it: 429 with
    # Retry-After when locked out, else `failed` with `code`.
    if isinstance(refused, AttemptsLockedOut):
        return LockedOut(refused.message, wait=refused.wait)
    return failed(refused.message, code=code)


class UserSerializer(serializers.ModelSerializer):
    email_verified = serializers.BooleanField(
        source="email_is_verified",
        read_only=True,
        help_text=_("Whether the owner has proved that the address is theirs."),
    )

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "email_verified",
            "is_staff",
            "date_joined",
            "last_login",
        )
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    email = fields.EmailField(max_length=254)
    password = fields.CharField(max_length=4096, write_only=True, trim_whitespace=False)

    def validate_email(self, value):
        email = normalize_email(value)
        # Where nobody is logged in before the address is proved, a taken
        # address is answered as a free one is (services.sign_up_by_email).
        if (
            not app_settings.email_verification_is_mandatory()
            and User.objects.filter(email=email).exists()
        ):
            raise serializers.ValidationError(
                User._meta.get_field("email").error_messages["unique"], code="unique"
            )
        return email

    def validate(self, attrs):
        try:
            validate_password(attrs["password"], user=User(email=attrs["email"]))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class CredentialsSerializer(serializers.Serializer):
    """Check an email and password; a mismatch is a 401 that names no field."""

    email = fields.EmailField(max_length=254)
    password = fields.CharField(max_length=4096, write_only=True, trim_whitespace=False)

    def validate(self, attrs):
        try:
            attrs["user"] = authenticate_credentials(
                self.context["request"]._request,
                email=attrs["email"],
                password=attrs["password"],
            )
        except CredentialsRefused as refused:
            if refused.code == "email_not_verified":
                # The right password: 403, not a 401 that says it was wrong.
                raise exceptions.PermissionDenied(
                    refused.message, code=refused.code
                ) from None
            raise _api_error(
                refused,
                failed=exceptions.AuthenticationFailed,
                code="invalid_credentials",
            ) from None
        return attrs


class AppCredentialsSerializer(CredentialsSerializer):
    """An app's login: the credentials, and the audience of its access token."""

    # A field: an unknown audience is a 400 before any password is checked.
    audience = AudienceField()


class ReauthenticationStateSerializer(AssuranceSerializer):
    """How this login stands, and the ways to prove who you are again."""

    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=mfa.REAUTHENTICATION_METHODS),
        help_text=_("What POST /api/reauthenticate/ accepts from this user."),
    )

    def to_representation(self, token):
        methods = ["password", *mfa.second_factor_methods(self.context["user"])]
        return {"methods": methods, **super().to_representation(token)}


class ReauthenticateSerializer(serializers.Serializer):
    """The password, or a second factor's code, of the logged-in user (a step-up)."""

    password = fields.CharField(
        max_length=4096, trim_whitespace=False, required=False, default=""
    )
    code = fields.CharField(max_length=64, required=False, default="")

    def validate(self, attrs):
        try:
            attrs["methods"] = verify_identity(
                self.context["request"]._request,
                user=self.context["user"],
                password=attrs["password"],
                code=attrs["code"],
            )
        except CredentialsRefused as refused:
            raise _api_error(
                refused, failed=serializers.ValidationError, code=refused.code
            ) from None
        return attrs


class PasswordChangeSerializer(serializers.Serializer):
    old_password = fields.CharField(max_length=4096, trim_whitespace=False)
    new_password = fields.CharField(max_length=4096, trim_whitespace=False)

    def validate_old_password(self, value):
        return _current_password(self, value, message=WRONG_CURRENT_PASSWORD)

    def validate_new_password(self, value):
        try:
            validate_password(value, user=self.context["user"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc
        return value


class EmailTokenSerializer(serializers.Serializer):
    """The token of an emailed link: the last part of its path."""

    token = fields.CharField(max_length=1024, trim_whitespace=True)


class EmailChangeSerializer(serializers.Serializer):
    """The new address, and the password that allows the change."""

    email = fields.EmailField(max_length=254)
    password = fields.CharField(max_length=4096, write_only=True, trim_whitespace=False)

    def validate_email(self, value):
        email = normalize_email(value)
        if email == self.context["user"].email:
            raise serializers.ValidationError(
                SAME_EMAIL,
                code="same_email",
            )
        return email

    def validate_password(self, value):
        return _current_password(self, value, message=WRONG_PASSWORD)


def _current_password(serializer, value: str, *, message) -> str:
    """Return `value` if it is the context user's password; else a 400 (or 429)."""
    try:
        verify_current_password(
            serializer.context["request"]._request,
            user=serializer.context["user"],
            password=value,
            message=message,
        )
    except CredentialsRefused as refused:
        raise _api_error(
            refused, failed=serializers.ValidationError, code="password_incorrect"
        ) from None
    return value
