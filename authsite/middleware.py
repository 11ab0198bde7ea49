"""Project middleware: the API's transport rules and its JSON errors."""

from http import HTTPStatus

from django.conf import settings
from django.http import JsonResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.urls import is_valid_path
from django.utils.translation import gettext as _
from rest_framework.response import Response

API_PREFIX = "/api/"


def is_api_request(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(status: int, detail: str, code: str) -> JsonResponse:
    """Return an error in DRF's shape, for answers that no DRF view gave."""
    return JsonResponse({"detail": detail, "code": code}, status=status)


class RefuseInsecureAPIMiddleware:
    """Answer API requests over plain HTTP with 403, never with a redirect.

    A browser follows the HTTPS redirect and HSTS keeps it there; an app that
    sent its Bearer token over HTTP would follow a redirect just as silently,
    the token already exposed. Failing loudly gets the client fixed (ASVS
    4.1.2). Only where HTTPS is enforced (SECURE_SSL_REDIRECT).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.SECURE_SSL_REDIRECT
            and is_api_request(request)
            and not request.is_secure()
        ):
            return api_error(
                403,
                _(
                    "This API is served over HTTPS only. Send the request to "
                    "https://, and treat any token sent over plain HTTP as "
                    "exposed: log in again."
                ),
                "https_required",
            )
        return self.get_response(request)


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's CommonMiddleware, without the trailing-slash redirect under /api/.

    A redirect drops a POST's body (and with DEBUG on, Django raises instead
    of redirecting one, a 500); an API client is better told the right URL.
    """

    def should_redirect_with_slash(self, request):
        return not is_api_request(request) and super().should_redirect_with_slash(
            request
        )


def _request_too_large(request) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # Django refuses it as it reads the body
    return limit is not None and length > limit


def _not_found_detail(request) -> str:
    path = request.path_info
    if not path.endswith("/") and is_valid_path(f"{path}/"):
        return _(
            "There is no API endpoint at %(path)s. API URLs end with a slash: "
            "send the request to %(path)s/."
        ) % {"path": path}
    return _(
        "There is no API endpoint at %(path)s. The endpoints are listed at /api/docs/."
    ) % {"path": path}


class APIErrorMiddleware:
    """Make every error under /api/ a JSON body in DRF's shape.

    DRF views answer their own errors so; what happens before or outside a
    view (an unknown URL, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a Django
    error page) would otherwise be an HTML page that no API client can read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_request(request):
            return self.get_response(request)
        if _request_too_large(request):
            # Refused before anything reads (or buffers) the body.
            return api_error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                _(
                    "The request body is larger than the %(limit)d bytes this API "
                    "accepts. Send a smaller body."
                )
                % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
                "request_too_large",
            )
        response = self.get_response(request)
        if response.status_code < 400 or _answered_by_api(response):
            return response
        if response.status_code >= 500 and settings.DEBUG:
            return response  # the developer's traceback page
        json_response = self._as_json(request, response)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                json_response[header] = response[header]
        json_response.cookies = response.cookies
        return json_response

    def _as_json(self, request, response) -> JsonResponse:
        status = response.status_code
        if status == 404:
            return api_error(404, _not_found_detail(request), "not_found")
        if status == 405:
            return api_error(
                405,
                _("The method %(method)s is not allowed at this URL.")
                % {"method": request.method},
                "method_not_allowed",
            )
        if status == 403:
            return api_error(
                403,
                _("You do not have permission to perform this action."),
                "permission_denied",
            )
        if status >= 500:
            return api_error(
                status,
                _(
                    "Something went wrong on our side and it has been logged. "
                    "Try again in a moment."
                ),
                "server_error",
            )
        return api_error(
            status,
            _("The request could not be understood: %(reason)s.")
            % {"reason": HTTPStatus(status).phrase.lower()}
            if status in HTTPStatus._value2member_map_
            else _("The request could not be understood."),
            "bad_request" if status == 400 else "error",
        )


def _answered_by_api(response) -> bool:
    # A DRF view rendered its own error: JSON for clients, or the browsable
    # API's page for a browser that asked for HTML.
    if isinstance(response, Response):
        return True
    content_type = response.get("Content-Type", "")
    return content_type.startswith("application/") and "json" in content_type
