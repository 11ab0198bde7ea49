from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage


class MessageCookieStorage(CookieStorage):
    """Django's cookie storage, under the site's cookie name (__Host- prefix)."""

    @property
    def cookie_name(self):
        return settings.MESSAGES_COOKIE_NAME
