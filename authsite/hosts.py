"""What the project's apps ask of a host name."""

import ipaddress


def is_loopback(host: str) -> bool:
    """Say whether `host` names this machine (where plain http is harmless)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
