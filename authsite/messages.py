"""Where Django's messages wait for the next page: a signed cookie."""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage


class MessageCookieStorage(CookieStorage):
    """Django's cookie storage, under the site's cookie name (__Host- prefix)."""

    # There is no server-side session to keep messages in.

    @property
    def cookie_name(self):
        return settings.MESSAGES_COOKIE_NAME
