from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default = True

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers checks, receivers)


class JWTAdminConfig(admin_apps.AdminConfig):
    """The admin, with a site that logs in through the JWT login page."""

    default = False
    default_site = "accounts.sites.AdminSite"
