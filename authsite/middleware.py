from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _


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
            and request.path.startswith("/api/")
            and not request.is_secure()
        ):
            return JsonResponse(
                {
                    "detail": _(
                        "This API is served over HTTPS only. Send the request to "
                        "https://, and treat any token sent over plain HTTP as "
                        "exposed: log in again."
                    ),
                    "code": "https_required",
                },
                status=403,
            )
        return self.get_response(request)
