"""Template filters of the account pages."""

from datetime import timedelta

from django import template
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
