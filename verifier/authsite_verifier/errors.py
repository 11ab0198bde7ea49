"""The errors the verifier raises, each with what a server answers for it."""


class VerifierError(Exception):
    """Base class of everything the verifier raises on purpose."""


class TokenRejected(VerifierError):
    """An access token is not good here: answer 401 with WWW-Authenticate."""

    def __init__(self, description: str, *, code: str = "invalid_token") -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class TokenRevoked(TokenRejected):
    """The token's session was revoked on the site."""


class EventRejected(VerifierError):
    """A pushed event is refused for good: answer 400 with `as_dict()` (RFC 8935)."""

    # RFC 8935 section 2.4's error codes, the ones the contract uses.
    CODES = frozenset(
        {
            "invalid_request",
            "invalid_key",
            "invalid_issuer",
            "invalid_audience",
            "authentication_failed",
        }
    )

    def __init__(self, err: str, description: str) -> None:
        if err not in self.CODES:
            raise ValueError(f"not an RFC 8935 error code: {err!r}")
        super().__init__(description)
        self.err = err
        self.description = description

    def as_dict(self) -> dict[str, str]:
        """Return the body of the 400 answer."""
        return {"err": self.err, "description": self.description}


class IssuerUnavailable(VerifierError):
    """The site could not be asked (keys, introspection): answer 503, retry later.

    Raised instead of accepting a token (or refusing an event for good) that
    the verifier cannot check without the site.
    """
