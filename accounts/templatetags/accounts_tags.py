"""Template filters of the account pages."""

from datetime import timedelta

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(moment):
    """Say how long ago a moment was, as "just now" within its first minute."""
    # timesince() counts in whole minutes: "0 minutes ago" says nothing.
    if timezone.now() - moment < timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment)}


@register.simple_tag
def csrf_cookie_name():
    """Name the CSRF cookie, whose value scripts echo in X-CSRFToken."""
    return settings.CSRF_COOKIE_NAME
