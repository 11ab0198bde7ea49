import uuid

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ua_parser import parse as ua_parse


def normalize_email(email: str) -> str:
    """Return the form an email address is stored and looked up in."""
    # Lower-cased whole: nobody expects Alice@ and alice@ to be two accounts.
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email=normalize_email(email))

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address and a password."""

    email = models.EmailField(
        _("email address"),
        unique=True,
        error_messages={"unique": _("A user with that email address already exists.")},
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can log into the admin site."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Unselect this instead of deleting accounts."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Stored lower-cased, so the plain unique index on email is also
            # case-insensitive and lookups by email can use it.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="accounts_user_email_lowercase",
                violation_error_message=_("Email addresses are stored lower-cased."),
            ),
        ]

    def __str__(self):
        return self.email

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        # The password hash as loaded, so that saving can tell whether it
        # changed without reading the row again (see accounts.signals).
        user._stored_password = user.__dict__.get("password")
        return user

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)


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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="login_sessions"
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
    successor_access = models.TextField(blank=True)
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


def describe_user_agent(user_agent: str) -> str:
    parsed = ua_parse(user_agent or "")
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown device")


class SecurityEvent(models.Model):
    """Something that happened to an account's security, kept for its owner."""

    class Type(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOCKED_OUT = "locked_out", _("Locked out after too many failed attempts")
        LOGOUT = "logout", _("Logged out")
        SESSION_REVOKED = "session_revoked", _("Session ended")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        REUSE_DETECTED = "reuse_detected", _("Refresh token reuse detected")

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="security_events",
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    type = models.CharField(max_length=32, choices=Type.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self):
        return (
            f"{self.get_type_display()} ({self.user}, {self.created_at:%Y-%m-%d %H:%M})"
        )

    @property
    def device(self) -> str:
        """Describe the browser and operating system in a few words."""
        return describe_user_agent(self.user_agent)
