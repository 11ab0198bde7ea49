"""The accounts app, and the admin configured with the site's own admin site."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default = True

    def ready(self):
        # Connects the receivers that keep sessions and the security log
        # true to the account.
        # And registers the system checks of the email settings.
        from . import checks, receivers  # noqa: F401


class JWTAdminConfig(admin_apps.AdminConfig):
    """The admin, with a site that logs in through the JWT login page."""

    default = False
    default_site = "accounts.sites.AdminSite"
