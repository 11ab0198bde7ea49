"""Who is on the other end of a request: address and user agent."""

from django.conf import settings

USER_AGENT_MAX_LENGTH = 512


def client_ip(request) -> str | None:
    """Return the client's address, trusting only the configured proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        # Each trusted proxy appends the address it saw; anything left of
        # those entries was written by the client and may be forged.
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH]
