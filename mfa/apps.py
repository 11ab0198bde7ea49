from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = _("Second factors")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the system checks of the passkey settings.
        from . import checks  # noqa: F401
