"""The jwt_sessions app: connects its checks, receivers and schema extensions."""

from django.apps import AppConfig, apps


class JWTSessionsConfig(AppConfig):
    """Login sessions carried in SimpleJWT tokens, in cookies or Bearer headers."""

    name = "jwt_sessions"
    # Not "... sessions": the admin lists the model "Login sessions" under it.
    verbose_name = "Logins"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the system checks and the receivers.
        from . import checks, receivers  # noqa: F401

        if apps.is_installed("drf_spectacular"):
            from . import schema  # noqa: F401  (the OpenAPI auth schemes)
