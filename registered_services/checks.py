"""System checks of registered services: ids registered_services.E001, W001."""

from django.core.checks import Error, Tags, Warning, register
from django.db import connections

from authsite.cache import database_exists
from jwt_sessions import keys

from . import app_settings


@register(Tags.security)
def check_delivery_setting(app_configs, **kwargs):
    """Refuse a SERVICE_EVENTS_DELIVERY that names no way of delivering."""
    if app_settings.delivery() in app_settings.DELIVERY_CHOICES:
        return []
    return [
        Error(
            f"SERVICE_EVENTS_DELIVERY is {app_settings.delivery()!r}.",
            hint="Set it to background (the web processes push), inline, or "
            "command (only `manage.py deliver_events` pushes).",
            id="registered_services.E002",
        )
    ]


@register(Tags.security)
def check_registered_services(app_configs, databases=None, **kwargs):
    """Warn of services the configuration cannot serve; refuse bad events URLs."""
    from .models import RegisteredService, events_url_problem

    try:
        if not database_exists(connections[RegisteredService.objects.db]):
            return []  # a build step with no database: nothing registered
        services = list(RegisteredService.objects.values_list("name", "events_url"))
    except Exception:
        # Whatever keeps us from looking (no table before `migrate`, an
        # unreachable database, a test that allows no database access)
        # proves nothing registered, as authsite.checks does for its table.
        return []
    messages = []
    if services and keys.configured_algorithm() in keys.HMAC_ALGORITHMS:
        messages.append(
            Warning(
                f"{len(services)} service(s) are registered but JWT_ALGORITHM "
                "is HS256: they cannot verify tokens, and no revocation event "
                "can be signed.",
                hint="Set JWT_ALGORITHM to ES256, EdDSA or RS256 and run "
                "`manage.py jwt_keys generate`.",
                id="registered_services.W001",
            )
        )
    for name, url in services:
        problem = events_url_problem(url) if url else None
        if problem:
            messages.append(
                Error(
                    f"The events URL of service {name!r} is refused: {problem}",
                    hint="Use its https:// URL (http:// only on localhost), in "
                    "the admin or with `manage.py register_service`.",
                    id="registered_services.E001",
                )
            )
    return messages
