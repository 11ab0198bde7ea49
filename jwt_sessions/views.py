"""The JWKS: the public keys that verify this site's tokens."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import keys


@require_safe
def jwks(request):
    """Publish the public keys that verify our tokens, as a JWK Set (RFC 7517)."""
    key_set = keys.get_key_set()
    if key_set.algorithm in keys.HMAC_ALGORITHMS:
        # An HMAC key signs as well as verifies: it is never published, so
        # with HS256 no other service can verify our tokens on its own.
        return JsonResponse(
            {
                "detail": _(
                    "This site signs its tokens with a shared secret (HS256), "
                    "which is never published. Set JWT_ALGORITHM to RS256, ES256 "
                    "or EdDSA to publish verification keys here."
                ),
                "code": "no_public_keys",
            },
            status=404,
        )
    response = JsonResponse(key_set.public_jwks())
    # Other services may cache it; a new key is published here (by
    # `jwt_keys generate`) at least this long before it signs anything.
    response["Cache-Control"] = f"public, max-age={keys.JWKS_MAX_AGE}"
    return response
