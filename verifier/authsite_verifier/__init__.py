"""Verify authsite's access tokens in another service; refuse revoked sessions.

The core (`Verifier`) is framework-neutral; `authsite_verifier.django` adds a
DRF authentication class and a view that receives the site's pushed events.
"""

from authsite_verifier.core import SESSION_REVOKED, SessionRevoked, Verifier
from authsite_verifier.errors import (
    EventRejected,
    IssuerUnavailable,
    TokenRejected,
    TokenRevoked,
    VerifierError,
)

__all__ = [
    "SESSION_REVOKED",
    "EventRejected",
    "IssuerUnavailable",
    "SessionRevoked",
    "TokenRejected",
    "TokenRevoked",
    "Verifier",
    "VerifierError",
]
