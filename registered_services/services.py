"""Register and remove services; say which audiences access tokens may have."""

from dataclasses import dataclass

from django.db import transaction

from jwt_sessions import keys

from .models import RegisteredService


class RegistrationRefused(Exception):
    """Services cannot be registered as the site is configured."""


HS256_REFUSED = (
    "Registered services need an asymmetric signing key: their events are "
    "signed with it and they verify tokens with /.well-known/jwks.json. Set "
    "JWT_ALGORITHM to ES256, EdDSA or RS256 and run `manage.py jwt_keys "
    "generate` first."
)


@dataclass(frozen=True)
class Registration:
    service: RegisteredService
    # Shown once, here; only its SHA-256 digest is kept.
    client_secret: str


def ensure_registration_possible() -> None:
    """Raise RegistrationRefused while tokens are signed with HS256."""
    if keys.configured_algorithm() in keys.HMAC_ALGORITHMS:
        # A service would need the HMAC secret to verify, which would let it
        # mint tokens as this site.
        raise RegistrationRefused(HS256_REFUSED)


@transaction.atomic
def register_service(*, name: str, audience: str, events_url: str = "") -> Registration:
    """Register a service; return it with its one-time client secret."""
    ensure_registration_possible()
    service = RegisteredService(name=name, audience=audience, events_url=events_url)
    secret = service.set_new_credentials()
    service.full_clean()
    service.save()
    return Registration(service=service, client_secret=secret)


def remove_service(*, name: str) -> bool:
    """Remove the service `name` and its queued events; return whether it existed."""
    deleted, _ = RegisteredService.objects.filter(name=name).delete()
    return bool(deleted)


def is_service_audience(audience: str) -> bool:
    """Say whether an active service has `audience` (JWT_AUDIENCE_VALIDATOR)."""
    return RegisteredService.objects.active().filter(audience=audience).exists()
