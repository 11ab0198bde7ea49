from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers

from authsite import fields

from .exceptions import LockedOut
from .forms import LoginForm, check_password_attempt
from .lockout import is_locked_out, lockout_message, retry_after_seconds
from .models import Session, User, normalize_email


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "is_staff", "date_joined", "last_login")
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    email = fields.EmailField(max_length=254)
    password = fields.CharField(max_length=4096, write_only=True, trim_whitespace=False)

    def validate_email(self, value):
        email = normalize_email(value)
        if User.objects.filter(email=email).exists():
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
        request = self.context["request"]._request
        user = authenticate(
            request, email=normalize_email(attrs["email"]), password=attrs["password"]
        )
        if user is None:
            if is_locked_out(request):
                raise LockedOut(lockout_message(), wait=retry_after_seconds())
            raise exceptions.AuthenticationFailed(
                LoginForm.error_messages["invalid_login"], code="invalid_credentials"
            )
        attrs["user"] = user
        return attrs


class TokenPairExpirySerializer(serializers.Serializer):
    """Describe a browser login: who, and when its cookies run out."""

    user = UserSerializer()
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()
    session_expires_at = serializers.DateTimeField()


class TokenPairSerializer(serializers.Serializer):
    """The token pair in SimpleJWT's usual shape, for apps."""

    access = serializers.CharField()
    refresh = serializers.CharField()

    def to_representation(self, pair):
        return {"access": str(pair.access), "refresh": str(pair.refresh)}


class RefreshTokenSerializer(serializers.Serializer):
    refresh = fields.CharField(max_length=8192)


class TokenSerializer(serializers.Serializer):
    token = fields.CharField(max_length=8192)


# Shown when a cookie-based call arrives without a usable refresh cookie.
NO_REFRESH_COOKIE = _("You are not logged in, or your session has ended. Log in again.")


class SessionSerializer(serializers.ModelSerializer):
    device = serializers.CharField(read_only=True)
    current = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = (
            "id",
            "device",
            "user_agent",
            "ip_address",
            "created_at",
            "last_used_at",
            "expires_at",
            "current",
        )
        read_only_fields = fields

    def get_current(self, session) -> bool:
        return str(session.pk) == self.context.get("current_session_id")


class PasswordChangeSerializer(serializers.Serializer):
    old_password = fields.CharField(max_length=4096, trim_whitespace=False)
    new_password = fields.CharField(max_length=4096, trim_whitespace=False)

    def validate_old_password(self, value):
        request = self.context["request"]._request
        if not check_password_attempt(request, self.context["user"], value):
            if is_locked_out(request):
                raise LockedOut(lockout_message(), wait=retry_after_seconds())
            raise serializers.ValidationError(
                _("Your old password was entered incorrectly. Please enter it again."),
                code="password_incorrect",
            )
        return value

    def validate_new_password(self, value):
        try:
            validate_password(value, user=self.context["user"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc
        return value
