"""How the OpenAPI schema (drf-spectacular) describes this site's auth classes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object

from .app_settings import app_settings


class JWTBearerScheme(OpenApiAuthenticationExtension):
    target_class = "jwt_sessions.authentication.JWTBearerAuthentication"
    name = "bearerAuth"
    # Ahead of drf-spectacular's own extension for SimpleJWT's base class.
    priority = 1

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="HTTP_AUTHORIZATION", token_prefix="Bearer", bearer_format="JWT"
        )
        scheme["description"] = (
            "An access token from POST /api/app/token/, sent as "
            "`Authorization: Bearer <token>`. Needs no CSRF token."
        )
        return scheme


class JWTCookieScheme(OpenApiAuthenticationExtension):
    target_class = "jwt_sessions.authentication.JWTCookieAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": app_settings.COOKIE_ACCESS_NAME,
            "description": (
                "The HttpOnly access cookie set by POST /api/token/ (with its "
                f"refresh cookie `{app_settings.COOKIE_REFRESH_NAME}`, which "
                "renews it silently). Unsafe methods also need the CSRF cookie's "
                "value in the `X-CSRFToken` header; GET /api/csrf/ sets it."
            ),
        }
