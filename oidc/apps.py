from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = _("Identity providers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the system checks of OIDC_PROVIDERS.
        from . import checks  # noqa: F401
