"""The API's one exception handler: DRF's, with a `code` in every error."""

from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    """Answer every API error as DRF does, always with a `code` beside `detail`."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and "code" not in data:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        data["code"] = codes if isinstance(codes, str) else "error"
    if (
        response.status_code == 401
        and isinstance(data, dict)
        and data.get("code") == "token_not_valid"
        and "WWW-Authenticate" in response
    ):
        # RFC 6750 section 3.1: a presented but unusable token is named so.
        response["WWW-Authenticate"] += ', error="invalid_token"'
    return response
