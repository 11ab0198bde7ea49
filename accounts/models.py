"""The user, who logs in by email, and the security log of their account."""

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jwt_sessions import assurance
from jwt_sessions.client import describe_user_agent
from jwt_sessions.models import Session


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
    email_verified_at = models.DateTimeField(
        _("email verified at"),
        null=True,
        blank=True,
        help_text=_(
            "When its owner proved the address is theirs (a link sent to it, "
            "or an identity provider that vouches for it). Empty: not verified."
        ),
    )

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
        # changed without reading the row again (see accounts.receivers).
        user._stored_password = user.__dict__.get("password")
        return user

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def email_is_verified(self) -> bool:
        """Say whether the owner has proved that the email address is theirs."""
        return self.email_verified_at is not None


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
        RESET_LINK_REFUSED = "reset_link_refused", _("Password-reset link refused")
        STEPPED_UP = "stepped_up", _("Identity confirmed again")
        MFA_ADDED = "mfa_added", _("Second factor added")
        MFA_REMOVED = "mfa_removed", _("Second factor removed")
        MFA_FAILED = "mfa_failed", _("Wrong code")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        RECOVERY_CODES_REPLACED = "recovery_codes_replaced", _("New recovery codes")
        PASSKEY_USED = "passkey_used", _("Passkey used")
        PASSKEY_COUNTER_REGRESSED = (
            "passkey_counter_regressed",
            _("Passkey refused: it may have been copied"),
        )
        IDENTITY_LINKED = "identity_linked", _("Identity provider linked")
        IDENTITY_UNLINKED = "identity_unlinked", _("Identity provider unlinked")
        IDENTITY_LOGIN = "identity_login", _("Logged in with an identity provider")
        EMAIL_VERIFIED = "email_verified", _("Email address verified")
        EMAIL_CHANGE_REQUESTED = (
            "email_change_requested",
            _("Email address change asked for"),
        )
        EMAIL_CHANGED = "email_changed", _("Email address changed")

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
        """Describe the browser and system it came from, as the sessions table does."""
        return describe_user_agent(self.user_agent)

    @property
    def sentence(self) -> str:
        """Say what happened in a sentence its owner understands."""
        if self.type == self.Type.LOGIN_FAILED and self.user_id is None:
            # Kept for staff: attempts on addresses that have no account.
            email = self.detail.removeprefix("No account: ")
            return _("Someone tried to log in as %(email)s, which has no account.") % {
                "email": email or _("an empty address")
            }
        # A detail, where there is one, is the whole sentence: it says more
        # than the type's own (which session ended and why, say).
        default = EVENT_SENTENCES.get(self.type, self.get_type_display())
        return self.detail or str(default)


EVENT_SENTENCES = {
    SecurityEvent.Type.LOGIN: _("Logged in."),
    SecurityEvent.Type.LOGIN_FAILED: _(
        "Someone tried to log in to this account with a wrong password."
    ),
    SecurityEvent.Type.LOCKED_OUT: _(
        "Logins were paused for a while after too many failed attempts."
    ),
    SecurityEvent.Type.LOGOUT: _("Logged out."),
    SecurityEvent.Type.SESSION_REVOKED: _("A session was ended."),
    SecurityEvent.Type.PASSWORD_CHANGED: _("The password was changed."),
    SecurityEvent.Type.PASSWORD_RESET: _(
        "The password was reset through an emailed link."
    ),
    SecurityEvent.Type.REUSE_DETECTED: _(
        "An old sign-in token of a session was used again, so the session was "
        "ended for safety."
    ),
    SecurityEvent.Type.RESET_LINK_REFUSED: _(
        "A password-reset link for this account was opened, but it had already "
        "been used or had expired."
    ),
    SecurityEvent.Type.STEPPED_UP: _(
        "Confirmed who you are again, before a sensitive change."
    ),
    SecurityEvent.Type.MFA_ADDED: _(
        "An authenticator app was set up: logins now ask for its code."
    ),
    SecurityEvent.Type.MFA_REMOVED: _(
        "The authenticator app was removed, with its recovery codes."
    ),
    SecurityEvent.Type.MFA_FAILED: _(
        "Someone entered a wrong code for this account's second step."
    ),
    SecurityEvent.Type.RECOVERY_CODE_USED: _("A recovery code was used."),
    SecurityEvent.Type.RECOVERY_CODES_REPLACED: _(
        "New recovery codes were made; the old ones no longer work."
    ),
    SecurityEvent.Type.PASSKEY_USED: _("A passkey was used."),
    SecurityEvent.Type.PASSKEY_COUNTER_REGRESSED: _(
        "A passkey was refused: its signature counter went backwards, a sign "
        "that the key may have been copied."
    ),
    SecurityEvent.Type.IDENTITY_LINKED: _(
        "An identity provider was linked: it can log in to this account."
    ),
    SecurityEvent.Type.IDENTITY_UNLINKED: _(
        "An identity provider was unlinked: it no longer logs in to this account."
    ),
    SecurityEvent.Type.IDENTITY_LOGIN: _("Logged in with an identity provider."),
    SecurityEvent.Type.EMAIL_VERIFIED: _(
        "The email address was verified through the link sent to it."
    ),
    SecurityEvent.Type.EMAIL_CHANGE_REQUESTED: _(
        "A change of the email address was asked for; a link was sent to the "
        "new address."
    ),
    SecurityEvent.Type.EMAIL_CHANGED: _("The email address was changed."),
}


# How the security log names the ways of proving who one is (RFC 8176 amr).
METHOD_NAMES = {
    assurance.PASSWORD: _("the password"),
    assurance.ONE_TIME_CODE: _("a one-time code"),
    assurance.HARDWARE_KEY: _("a security key"),
    assurance.SOFTWARE_KEY: _("a passkey"),
    assurance.USER_VERIFIED: _("the device's fingerprint, face or PIN"),
    assurance.FEDERATED: _("an identity provider"),
}


def describe_methods(methods) -> str:
    """Name the methods `methods` in words, for the security log."""
    names = [str(METHOD_NAMES[m]) for m in methods if m in METHOD_NAMES]
    return _(" and ").join(names) or str(METHOD_NAMES[assurance.PASSWORD])


# Completes "A session was ended ..." in the security log, for each reason.
REVOKED_BECAUSE = {
    Session.RevokeReason.LOGOUT: _("by logging out"),
    Session.RevokeReason.REPLACED: _("by a new login on the same device"),
    Session.RevokeReason.ENDED_BY_USER: _("from the sessions page"),
    Session.RevokeReason.PASSWORD_CHANGED: _("because the password was changed"),
    Session.RevokeReason.PASSWORD_RESET: _("because the password was reset"),
    Session.RevokeReason.REUSE_DETECTED: _(
        "because an old sign-in token of it was used again"
    ),
    Session.RevokeReason.ACCOUNT_DEACTIVATED: _("because the account was deactivated"),
    Session.RevokeReason.ADMIN: _("by staff"),
    Session.RevokeReason.KEY_RETIRED: _("because staff retired the key that signed it"),
}
