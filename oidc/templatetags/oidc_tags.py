"""The provider buttons and the security page's section, for other apps' pages."""

from django import template

from .. import app_settings, services
from ..models import Identity

register = template.Library()


@register.inclusion_tag("oidc/provider_buttons.html")
def provider_login_buttons(next_url=""):
    """The "Sign in with <Name>" buttons, each going on to `next_url`."""
    return {"providers": app_settings.providers(), "next": next_url}


@register.inclusion_tag("oidc/identities_section.html", takes_context=True)
def linked_identities(context):
    """The security page's list of linked providers, and links to add."""
    user = context["request"].user
    identities = list(Identity.objects.of(user).order_by("created_at"))
    linked = {identity.provider for identity in identities}
    for identity in identities:
        identity.removable = services.other_ways_in(user, besides=identity)
    return {
        "identities": identities,
        "linkable": [p for p in app_settings.providers() if p.id not in linked],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("oidc/confirm_buttons.html", takes_context=True)
def confirm_with_providers(context, next_url=""):
    """On "Confirm it's you": log in again with a linked provider, then go on."""
    user = context["request"].user
    linked = set(Identity.objects.of(user).values_list("provider", flat=True))
    return {
        "providers": [p for p in app_settings.providers() if p.id in linked],
        "next": next_url,
    }
