"""Identities at OpenID Connect providers, each linked to one account."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdentityQuerySet(models.QuerySet):
    def of(self, user):
        return self.filter(user=user)


class Identity(models.Model):
    """One person at one provider (its `sub`), who may log in to `user`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="identities",
    )
    # The id of the provider in OIDC_PROVIDERS; the pair (provider, sub) is
    # the only thing that names a person there (an email can change hands).
    provider = models.CharField(_("provider"), max_length=50)
    sub = models.CharField(_("subject"), max_length=255)
    email = models.EmailField(_("email at the provider"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = IdentityQuerySet.as_manager()

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(
                fields=("provider", "sub"), name="oidc_identity_provider_sub"
            ),
        ]

    def __str__(self):
        return f"{self.provider}: {self.email or self.sub}"

    @property
    def provider_name(self) -> str:
        from . import app_settings

        provider = app_settings.provider(self.provider)
        return provider.name if provider is not None else self.provider
