"""The registered_services app: other services that trust this site's tokens."""

from django.apps import AppConfig, apps
from django.core.signals import request_started


class RegisteredServicesConfig(AppConfig):
    """Resource services: their audience, credential and revocation events."""

    name = "registered_services"
    verbose_name = "Other services"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the system checks and the receiver that queues events.
        from . import checks, delivery, receivers  # noqa: F401

        # A web process starts its deliverer with its first request: never
        # at import, and never in a management command (which serves none).
        request_started.connect(
            delivery.start_with_first_request, dispatch_uid="service-events"
        )
        if apps.is_installed("drf_spectacular"):
            from . import schema  # noqa: F401
