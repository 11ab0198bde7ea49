"""The one place that writes and deletes the auth cookies (and a flow's)."""

from .app_settings import app_settings
from .flows import Flow
from .services import TokenPair

# Browsers drop a cookie when a Set-Cookie for it has expired in the past.
_EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"


def auth_cookie_names() -> tuple[str, str]:
    return app_settings.COOKIE_ACCESS_NAME, app_settings.COOKIE_REFRESH_NAME


def _cookie_attributes() -> dict:
    return {
        "path": app_settings.COOKIE_PATH,
        "domain": app_settings.COOKIE_DOMAIN,
        "secure": app_settings.COOKIE_SECURE,
        # Never readable by JavaScript: an XSS bug must not reach the tokens.
        "httponly": True,
        "samesite": app_settings.COOKIE_SAMESITE,
    }


def set_auth_cookies(response, pair: TokenPair) -> None:
    """Put the access and refresh token of `pair` in cookies on `response`."""
    attributes = _cookie_attributes()
    access_name, refresh_name = auth_cookie_names()
    # Each cookie lives exactly as long as its token, so the browser stops
    # sending an expired access token and the refresh cookie takes over.
    response.set_cookie(
        access_name,
        str(pair.access),
        expires=pair.access_expires_at,
        **attributes,
    )
    response.set_cookie(
        refresh_name,
        str(pair.refresh),
        expires=pair.refresh_expires_at,
        **attributes,
    )


def delete_auth_cookies(response) -> None:
    """Expire both auth cookies with the attributes they were set with."""
    # Deleted with the same path, domain, Secure and SameSite they were set
    # with; otherwise a browser keeps the original as a separate cookie.
    attributes = _cookie_attributes()
    for name in auth_cookie_names():
        response.set_cookie(name, "", max_age=0, expires=_EXPIRED, **attributes)


def sets_auth_cookies(response) -> bool:
    """Return whether a view already wrote or deleted an auth cookie."""
    return any(name in response.cookies for name in auth_cookie_names())


def flow_cookie_name(kind: str) -> str:
    return f"{app_settings._cookie_prefix}flow-{kind}"


def set_flow_cookie(response, flow: Flow) -> None:
    """Give the browser the token of `flow`, for as long as the flow lives."""
    response.set_cookie(
        flow_cookie_name(flow.kind),
        flow.token,
        max_age=flow.max_age,
        **{**_cookie_attributes(), "samesite": "Lax"},
    )


def delete_flow_cookie(response, kind: str) -> None:
    response.set_cookie(
        flow_cookie_name(kind),
        "",
        max_age=0,
        expires=_EXPIRED,
        **{**_cookie_attributes(), "samesite": "Lax"},
    )


def read_flow_cookie(request, kind: str) -> str | None:
    """Return the flow token the browser holds for `kind`, if any."""
    return request.COOKIES.get(flow_cookie_name(kind)) or None
