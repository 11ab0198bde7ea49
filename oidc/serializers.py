from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jwt_sessions.flows import MAX_TOKEN_LENGTH

from .provider import MAX_ID_TOKEN_LENGTH


class AppNonceSerializer(serializers.Serializer):
    nonce = serializers.CharField(
        help_text=_(
            "Put it in the app's authorization request to the provider as "
            "`nonce`, then send it with the ID token. Good once."
        )
    )
    expires_in = serializers.IntegerField(help_text=_("Seconds it stays good."))


class AppProviderTokenSerializer(serializers.Serializer):
    id_token = serializers.CharField(
        max_length=MAX_ID_TOKEN_LENGTH,
        trim_whitespace=False,
        help_text=_("The ID token the provider gave the app."),
    )
    nonce = serializers.CharField(
        max_length=MAX_TOKEN_LENGTH,
        trim_whitespace=False,
        help_text=_("The nonce of POST /api/app/oidc/nonce/ the ID token carries."),
    )
