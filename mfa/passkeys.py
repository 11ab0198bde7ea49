"""The WebAuthn ceremonies of a passkey, done by py_webauthn.

Options are made and responses verified by py_webauthn alone (CBOR, COSE
keys, signatures, the RP id hash, the origin, the challenge, the flags, the
signature counter): nothing here parses or checks them by hand. What this
module adds is the site's policy: discoverable credentials, user
verification required, the RP id and origins from the settings, and what
of a credential is kept (only what is public).
"""

import json
import secrets
from dataclasses import dataclass

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from jwt_sessions import assurance

from . import app_settings

# How long the browser waits for the user (the flow lives 5 minutes).
CEREMONY_TIMEOUT_MS = 120_000
TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


class CeremonyRefused(Exception):
    """A response that proves nothing: malformed, or failing a check."""


def new_challenge() -> bytes:
    return secrets.token_bytes(32)


def new_user_handle() -> bytes:
    # Random, not the user's id: the handle is stored on the authenticator
    # and must say nothing about the account (WebAuthn section 14.6.1).
    return secrets.token_bytes(32)


def _descriptors(stored: list[dict]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(data["credential_id"]),
            transports=[
                AuthenticatorTransport(t)
                for t in data.get("transports", [])
                if t in TRANSPORTS
            ],
        )
        for data in stored
    ]


def registration_options(
    *, user, user_handle: bytes, challenge: bytes, existing: list[dict]
) -> dict:
    """Return the options of navigator.credentials.create(), as JSON."""
    options = generate_registration_options(
        rp_id=app_settings.webauthn_rp_id(),
        rp_name=app_settings.webauthn_rp_name(),
        user_name=user.get_username(),
        user_display_name=user.get_username(),
        user_id=user_handle,
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT_MS,
        # A passkey: kept on the authenticator (so a login needs no email)
        # and unlocked by the user (PIN or biometrics), so that it alone is
        # two factors.
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        # The same authenticator twice would be one factor under two names.
        exclude_credentials=_descriptors(existing),
    )
    return json.loads(options_to_json(options))


def authentication_options(*, challenge: bytes, allowed: list[dict] = ()) -> dict:
    """Return the options of navigator.credentials.get(), as JSON.

    With no `allowed` credentials the authenticator offers its discoverable
    ones for this site: the login needs no email, and the options are the
    same whoever asks (nothing to enumerate).
    """
    options = generate_authentication_options(
        rp_id=app_settings.webauthn_rp_id(),
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=_descriptors(list(allowed)),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return json.loads(options_to_json(options))


def verify_registration(*, credential: dict, challenge: bytes) -> dict:
    """Verify a new credential; return what is kept of it (all public)."""
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=app_settings.webauthn_rp_id(),
            expected_origin=app_settings.webauthn_origins(),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as e:
        raise CeremonyRefused(str(e)) from None
    transports = _response_of(credential).get("transports")
    if not isinstance(transports, list):
        transports = []
    return {
        "credential_id": bytes_to_base64url(verified.credential_id),
        "public_key": bytes_to_base64url(verified.credential_public_key),
        "sign_count": verified.sign_count,
        "transports": sorted(
            {t for t in transports if isinstance(t, str) and t in TRANSPORTS}
        ),
        "backup_eligible": verified.credential_device_type
        == CredentialDeviceType.MULTI_DEVICE,
        "backup_state": verified.credential_backed_up,
        "aaguid": verified.aaguid,
    }


def credential_id_of(credential) -> str | None:
    """Return the id a response names (unverified), or None."""
    if not isinstance(credential, dict):
        return None
    raw = credential.get("rawId") or credential.get("id")
    return raw if isinstance(raw, str) and 0 < len(raw) <= 1400 else None


def _response_of(credential: dict) -> dict:
    response = credential.get("response")
    return response if isinstance(response, dict) else {}


def user_handle_of(credential: dict) -> str | None:
    handle = _response_of(credential).get("userHandle")
    return handle if isinstance(handle, str) else None


@dataclass(frozen=True)
class Assertion:
    new_sign_count: int
    backed_up: bool


def verify_assertion(*, credential: dict, challenge: bytes, stored: dict) -> Assertion:
    """Verify a login with the stored passkey `stored`; raise CeremonyRefused."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=app_settings.webauthn_rp_id(),
            expected_origin=app_settings.webauthn_origins(),
            credential_public_key=base64url_to_bytes(stored["public_key"]),
            credential_current_sign_count=stored.get("sign_count", 0),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as e:
        raise CeremonyRefused(str(e)) from None
    return Assertion(
        new_sign_count=verified.new_sign_count, backed_up=verified.credential_backed_up
    )


def is_counter_regression(*, credential: dict, challenge: bytes, stored: dict) -> bool:
    """Say whether a refused assertion was genuine but its counter went back.

    py_webauthn checks the counter before the signature, so the refusal alone
    does not say the signature was good: verify again without the counter,
    so that only the holder of the key can make us record a clone.
    """
    if not stored.get("sign_count"):
        return False
    try:
        verify_assertion(
            credential=credential,
            challenge=challenge,
            stored={**stored, "sign_count": 0},
        )
    except CeremonyRefused:
        return False
    return True


def methods_of(stored: dict) -> tuple[str, ...]:
    """Return the amr of a login with the passkey `stored` (user verified)."""
    # A backup-eligible credential is synced (a password manager, a phone's
    # keychain): its private key can leave the device, so RFC 8176 calls it
    # a software key ("swk"); a device-bound one (a security key, a TPM) is
    # a hardware key ("hwk"). User verification was required, so "user" too:
    # possession and inherence, two factors (amr "mfa", acr aal2).
    key = (
        assurance.SOFTWARE_KEY
        if stored.get("backup_eligible")
        else assurance.HARDWARE_KEY
    )
    return (key, assurance.USER_VERIFIED)
