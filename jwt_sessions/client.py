"""Who is on the other end of a request: address, user agent and device."""

from django.conf import settings
from django.utils.translation import gettext as _
from ua_parser import parse as ua_parse

USER_AGENT_MAX_LENGTH = 512


def client_ip(request) -> str | None:
    """Return the client's address, trusting only the configured proxies."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
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


def describe_user_agent(user_agent: str) -> str:
    """Name the browser and operating system of a User-Agent in a few words."""
    parsed = ua_parse(user_agent or "")
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")
