"""The login session: one per login, the family of refresh tokens it issued."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .client import describe_user_agent


class SessionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class Session(models.Model):
    """One login: the family of refresh tokens that share its id (`sid`)."""

    class RevokeReason(models.TextChoices):
        LOGOUT = "logout", _("logged out")
        REPLACED = "replaced", _("replaced by a new login on the same device")
        ENDED_BY_USER = "ended_by_user", _("ended from the sessions page")
        PASSWORD_CHANGED = "password_changed", _("password changed")
        PASSWORD_RESET = "password_reset", _("password reset")
        REUSE_DETECTED = "reuse_detected", _("refresh token reuse detected")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("account deactivated")
        ADMIN = "admin", _("ended by staff")
        KEY_RETIRED = "key_retired", _("its signing key was retired by staff")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="login_sessions",
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last active"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("ends at the latest"),
        help_text=_("The absolute limit: never extended by refreshing."),
    )
    user_agent = models.CharField(max_length=512, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The refresh token that may be used next, and the one it replaced: the
    # latter is still honoured for a short grace interval, so that parallel
    # requests racing with one rotation all get the same successor pair.
    refresh_jti = models.CharField(max_length=64, unique=True)
    previous_refresh_jti = models.CharField(max_length=64, blank=True, db_index=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    # The key that signed the current refresh token and its access tokens,
    # so that an emergency key retirement finds the sessions it must end.
    signing_kid = models.CharField(_("signed by key"), max_length=64, blank=True)
    # The claims, never the tokens, of the pair the last rotation issued: a
    # request that raced it gets that same pair, signed again by
    # signing_kid. Claims log nobody in; the key is not in the database.
    successor_claims = models.JSONField(default=dict, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(
        max_length=32, choices=RevokeReason.choices, blank=True
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("login session")
        ordering = ("-last_used_at",)
        indexes = [models.Index(fields=("user", "revoked_at", "expires_at"))]

    def __str__(self):
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def device(self) -> str:
        """Describe the browser and operating system in a few words."""
        return describe_user_agent(self.user_agent)
