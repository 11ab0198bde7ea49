"""The JWKS, and the pages' side of step-up."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import assurance, keys
from .app_settings import app_settings
from .authentication import login_satisfies


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


def safe_next(request, url: str, *, default="dashboard") -> str:
    """Return `url` if it stays on this site, else `default` (a URL or its name)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(default)


def reauthenticate_url(next_url: str) -> str:
    """Return the page that asks for proof again, then goes on to `next_url`."""
    return (
        f"{resolve_url(app_settings.REAUTHENTICATE_URL)}?"
        f"{urlencode({'next': next_url})}"
    )


class StepUpRequiredMixin:
    """Send a user whose login is too old or weak to prove who they are again.

    After LoginRequiredMixin. `step_up_requirement` says what the view needs
    (by default a login proved within STEP_UP_MAX_AGE seconds); the user
    comes back to the page asked for or, after a form's POST, to
    `step_up_return_url` (the page that holds the form) and finds it as
    they left it. The same check as the API's (authentication.login_satisfies).
    """

    step_up_requirement = assurance.RECENT_LOGIN
    # Where to come back to after a POST was refused; None: this URL.
    step_up_return_url = None

    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and self.needs_step_up()
            and not login_satisfies(request, self.step_up_requirement)
        ):
            return HttpResponseRedirect(
                reauthenticate_url(self.get_step_up_return_url())
            )
        return super().dispatch(request, *args, **kwargs)

    def needs_step_up(self) -> bool:
        """Return whether this request is the sensitive kind (by default: all)."""
        return True

    def get_step_up_return_url(self) -> str:
        if self.request.method in ("GET", "HEAD") or self.step_up_return_url is None:
            return self.request.get_full_path()
        return resolve_url(self.step_up_return_url)
