"""The settings of mfa, read at use (the tests change them)."""

from django.conf import settings


def required_for_staff() -> bool:
    """MFA_REQUIRED_FOR_STAFF: the admin wants a second factor of staff."""
    return bool(getattr(settings, "MFA_REQUIRED_FOR_STAFF", True))


def totp_issuer() -> str:
    """The name authenticator apps show beside the account (MFA_TOTP_ISSUER)."""
    return getattr(settings, "MFA_TOTP_ISSUER", "authsite")


def webauthn_rp_id() -> str:
    """WEBAUTHN_RP_ID: the relying party id every passkey is bound to."""
    return getattr(settings, "WEBAUTHN_RP_ID", "localhost")


def webauthn_origins() -> list[str]:
    """WEBAUTHN_ORIGINS: the origins whose ceremonies are accepted."""
    return list(
        getattr(
            settings,
            "WEBAUTHN_ORIGINS",
            ["http://localhost:8000", "https://localhost:8000"],
        )
    )


def webauthn_rp_name() -> str:
    """WEBAUTHN_RP_NAME: the site's name as authenticators show it."""
    return getattr(settings, "WEBAUTHN_RP_NAME", "authsite")
