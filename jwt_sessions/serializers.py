"""What the token and session API reads and answers."""

from datetime import UTC, datetime

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import assurance
from .app_settings import app_settings
from .models import Session
from .services import audience_is_allowed

# Shown when a cookie-based call arrives without a usable refresh cookie.
NO_REFRESH_COOKIE = _("You are not logged in, or your session has ended. Log in again.")


class TokenField(serializers.CharField):
    """A token as JSON text; any other JSON type is a 400 naming the field."""

    default_error_messages = {"not_a_string": _("Give the token as a string.")}

    def __init__(self, **kwargs):
        # Far above MAX_TOKEN_LENGTH: what lies between is refused, without
        # being decoded, as an invalid token (401), not as a bad request.
        kwargs.setdefault("max_length", 8192)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class UserSerializer(serializers.Serializer):
    """Who a login is for (the default of JWT_USER_SERIALIZER)."""

    id = serializers.ReadOnlyField(source="pk")
    username = serializers.CharField(source="get_username", read_only=True)


class TokenPairExpirySerializer(serializers.Serializer):
    """Describe a browser login: who, and when its cookies run out."""

    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()
    session_expires_at = serializers.DateTimeField()

    def get_fields(self):
        # The user as the project describes users (JWT_USER_SERIALIZER).
        return {"user": app_settings.USER_SERIALIZER(), **super().get_fields()}


class TokenPairSerializer(serializers.Serializer):
    """The token pair in SimpleJWT's usual shape, for apps."""

    access = serializers.CharField()
    refresh = serializers.CharField()

    def to_representation(self, pair):
        return {"access": str(pair.access), "refresh": str(pair.refresh)}


class AudienceField(serializers.CharField):
    """The audience an app wants its access token for; unknown ones are a 400."""

    default_error_messages = {
        "unknown_audience": _("No registered service has this audience."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "help_text",
            _("The audience (aud) of the access token: a registered service's."),
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        audience = super().to_internal_value(data)
        if not audience_is_allowed(audience):
            self.fail("unknown_audience")
        return audience


class AudienceSerializer(serializers.Serializer):
    """The optional `audience` of an app's token request."""

    audience = AudienceField()


class RefreshTokenSerializer(serializers.Serializer):
    refresh = TokenField()


class AppRefreshTokenSerializer(RefreshTokenSerializer):
    audience = AudienceField()


class TokenSerializer(serializers.Serializer):
    token = TokenField()


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


class AssuranceSerializer(serializers.Serializer):
    """How a login was proved (amr, acr), when, and until when that is recent."""

    amr = serializers.ListField(child=serializers.CharField())
    acr = serializers.ChoiceField(choices=assurance.LEVELS)
    auth_time = serializers.DateTimeField()
    max_age = serializers.IntegerField(
        help_text=_("STEP_UP_MAX_AGE: how recent a sensitive action wants it (0: any).")
    )
    recent_until = serializers.DateTimeField(allow_null=True)

    def to_representation(self, token):
        auth = assurance.Assurance.of(token)
        max_age = assurance.RECENT_LOGIN.effective_max_age
        field = serializers.DateTimeField()
        return {
            "amr": list(auth.methods),
            "acr": auth.level,
            "auth_time": field.to_representation(_at(auth.auth_time)),
            "max_age": max_age,
            "recent_until": field.to_representation(_at(auth.auth_time + max_age))
            if max_age
            else None,
        }


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)
