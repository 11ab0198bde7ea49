"""A user's second factors: an authenticator app, recovery codes, passkeys."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuthenticatorQuerySet(models.QuerySet):
    def of(self, user):
        return self.filter(user_id=user.pk)


class Authenticator(models.Model):
    """One second factor of one user; what it holds depends on its type.

    Nothing in `data` can be used as it is: an authenticator app's secret is
    encrypted (vault.py), recovery codes are kept as keyed hashes, and a
    passkey is only its public key.
    """

    class Type(models.TextChoices):
        TOTP = "totp", _("Authenticator app")
        RECOVERY_CODES = "recovery_codes", _("Recovery codes")
        # One row per passkey (a WebAuthn credential): its id, public key,
        # signature counter, transports, backup flags and AAGUID.
        WEBAUTHN = "webauthn", _("Passkey")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="authenticators",
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    name = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = AuthenticatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("second factor")
        ordering = ("created_at",)
        constraints = [
            # One authenticator app and one set of recovery codes per user.
            models.UniqueConstraint(
                fields=("user", "type"),
                condition=models.Q(type__in=("totp", "recovery_codes")),
                name="mfa_one_totp_and_one_set_of_codes_per_user",
            )
        ]

    def __str__(self):
        return f"{self.get_type_display()} of {self.user}"
