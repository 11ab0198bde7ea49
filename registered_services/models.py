"""Registered services and the outbox of the revocation events they are owed."""

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from authsite.hosts import is_loopback
from jwt_sessions.app_settings import app_settings

AUDIENCE_PATTERN = re.compile(r"\A[A-Za-z0-9._:/-]{1,200}\Z")
CLIENT_ID_PREFIX = "svc_"


def events_url_problem(url: str) -> str | None:
    """Return what is wrong with an events URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("The events URL is not an http(s) URL.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        # Signed events still say which sessions end: nobody else's business.
        return _("The events URL must use https:// unless its host is localhost.")
    if parts.username or parts.password:
        return _("The events URL must not carry credentials.")
    return None


def secret_digest(secret: str) -> str:
    """Return the SHA-256 hex digest a client secret is kept as."""
    # A plain hash is enough: the secret is 256 random bits, not a password
    # anyone could guess, so no slow hash is needed to resist a dictionary.
    return hashlib.sha256(secret.encode()).hexdigest()


class RegisteredServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class RegisteredService(models.Model):
    """Another service that trusts this site's access tokens for its audience."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    audience = models.CharField(
        _("audience"),
        max_length=200,
        unique=True,
        validators=[
            RegexValidator(
                AUDIENCE_PATTERN,
                _("Use 1 to 200 letters, digits and . _ : / - only."),
            )
        ],
        help_text=_("The aud its access tokens carry, e.g. orders-api."),
    )
    events_url = models.URLField(
        _("events URL"),
        max_length=500,
        blank=True,
        help_text=_(
            "Where revocation events are pushed (https://; http:// only on "
            "localhost). Blank: the service polls GET /api/events/."
        ),
    )
    client_id = models.CharField(
        _("client id"), max_length=64, unique=True, editable=False
    )
    # SHA-256 of the client secret; the secret itself is shown once.
    client_secret_digest = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    # The seq of the last event queued for it: the next one is last_seq + 1.
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)

    objects = RegisteredServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("registered service")
        ordering = ("name",)

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.audience and self.audience == app_settings.AUDIENCE:
            raise ValidationError(
                {"audience": _("This is the site's own audience; choose another.")}
            )
        problem = events_url_problem(self.events_url) if self.events_url else None
        if problem:
            raise ValidationError({"events_url": problem})

    def set_new_credentials(self) -> str:
        """Give the service a client id (if it has none) and a new secret; return it."""
        if not self.client_id:
            self.client_id = CLIENT_ID_PREFIX + secrets.token_urlsafe(16)
        secret = secrets.token_urlsafe(32)
        self.client_secret_digest = secret_digest(secret)
        return secret

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(secret_digest(secret), self.client_secret_digest)


class ServiceEvent(models.Model):
    """One revocation event owed to one service: the outbox row.

    Written in the revocation's transaction, so it exists exactly when the
    revocation does; its claims are fixed then and signed at every send.
    """

    service = models.ForeignKey(
        RegisteredService, on_delete=models.CASCADE, related_name="events"
    )
    seq = models.PositiveBigIntegerField()
    jti = models.CharField(max_length=32, unique=True)
    session_id = models.UUIDField(_("session"))
    user_id = models.CharField(_("user"), max_length=64)
    claims = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    # Kept (and retried) until then: the tokens it covers have expired.
    expires_at = models.DateTimeField()
    due_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # A deliverer that claimed the row holds it until then (one sender).
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("revocation event")
        ordering = ("service", "seq")
        constraints = [
            models.UniqueConstraint(fields=("service", "seq"), name="one_event_per_seq")
        ]
        indexes = [models.Index(fields=("delivered_at", "rejected_at", "due_at"))]

    def __str__(self):
        return f"{self.service} #{self.seq}"
