"""The app API's provider login: a nonce, then an ID token for this site's tokens."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from jwt_sessions.api import TokenFlowAPIView
from jwt_sessions.client import client_ip
from jwt_sessions.flows import Flow
from jwt_sessions.serializers import TokenPairSerializer
from mfa.api import AppMfaRequiredSerializer, mfa_required

from . import app_settings, services
from .serializers import AppNonceSerializer, AppProviderTokenSerializer


class NonceRateThrottle(SimpleRateThrottle):
    """Limit nonces per client address (rate: REST_FRAMEWORK's "oidc_nonce")."""

    # Each nonce is a cache entry for ten minutes: no one fills the cache.
    scope = "oidc_nonce"

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": client_ip(request) or "unknown",
        }


class ProviderLoginRefused(exceptions.APIException):
    """A provider login refused (400, 403 or 409), with what to do."""

    def __init__(self, refused: services.LoginRefused):
        super().__init__(refused.message, code=refused.code)
        self.status_code = refused.status


def api_error(refused: services.LoginRefused) -> exceptions.APIException:
    if refused.status == 401:
        # 401 with the Bearer challenge, like a wrong password.
        return exceptions.AuthenticationFailed(refused.message, code=refused.code)
    return ProviderLoginRefused(refused)


class AppNonceAPIView(TokenFlowAPIView):
    """Get a nonce for an app's own sign-in at a provider (good once, 10 minutes)."""

    name = gettext_lazy("Get a nonce for a provider login")
    throttle_classes = (NonceRateThrottle,)

    @extend_schema(request=None, responses={201: AppNonceSerializer})
    def post(self, request):
        flow = services.issue_app_nonce()
        return Response(
            AppNonceSerializer({"nonce": flow.token, "expires_in": flow.max_age}).data,
            status=201,
        )


class AppProviderTokenAPIView(TokenFlowAPIView):
    """Log in an app with the provider's ID token; both tokens come in the body.

    The ID token is verified as a browser's is (signature against the
    provider's JWKS, iss, aud: this site's client id, exp, iat, azp) and
    must carry a nonce from POST /api/app/oidc/nonce/, which it uses up. The
    answer is POST /api/app/token/'s: the pair, or the second step.
    """

    name = gettext_lazy("Log in an app with a provider's ID token")

    @extend_schema(
        request=AppProviderTokenSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="AppProviderLogin",
                serializers=[TokenPairSerializer, AppMfaRequiredSerializer],
                resource_type_field_name=None,
            ),
            401: OpenApiResponse(
                description="The nonce or the ID token was refused "
                "(codes nonce_invalid, id_token_invalid)."
            ),
            403: OpenApiResponse(
                description="The provider has not verified the email "
                "(email_unverified), or the account is deactivated (inactive)."
            ),
            404: OpenApiResponse(description="No provider has that id."),
            409: OpenApiResponse(
                description="An account has this email already: log in with its "
                "password and link the provider on the security page "
                "(link_required)."
            ),
        },
    )
    def post(self, request, provider_id):
        provider = app_settings.provider(provider_id)
        if provider is None:
            raise Http404(_("No identity provider of this site has that id."))
        serializer = AppProviderTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user, started = services.log_in_app(
                request=request, provider=provider, **serializer.validated_data
            )
        except services.LoginRefused as refused:
            raise api_error(refused) from None
        if isinstance(started, Flow):
            # No tokens: the flow token, then POST /api/app/token/mfa/.
            return Response(mfa_required(user, started, for_app=True))
        return Response(TokenPairSerializer(started).data)
