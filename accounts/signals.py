"""Receivers that keep sessions and the security log true to the account."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from . import services, session_state
from .lockout import RESET_LINK_COUNTER, attempted_email, is_reset_link_attempt
from .models import SecurityEvent, Session, User, normalize_email


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs):
    """Log a failed login, on the account it was aimed at if that exists."""
    if is_reset_link_attempt(credentials):
        return  # not a login: the reset view records its own event
    email = attempted_email(request, credentials)
    user = User.objects.filter(email=email).first()
    services.record_event(
        SecurityEvent.Type.LOGIN_FAILED,
        user=user,
        request=request,
        # For staff: attempts on addresses without an account are kept too.
        detail="" if user is not None else f"No account: {email}"[:255],
    )


@receiver(user_locked_out)
def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """Log that an account or an address has been locked out."""
    if username == RESET_LINK_COUNTER:
        user = None
        detail = _(
            "Password-reset links opened from %(ip)s were refused for a while "
            "after too many that were invalid or expired."
        ) % {"ip": ip_address or _("an unknown address")}
    else:
        user = User.objects.filter(email=normalize_email(username or "")).first()
        detail = _(
            "Logins to %(account)s, or from %(ip)s, were paused for a while after "
            "too many failed attempts."
        ) % {
            "account": username or _("an unnamed account"),
            "ip": ip_address or _("an unknown address"),
        }
    services.record_event(
        SecurityEvent.Type.LOCKED_OUT, user=user, request=request, detail=detail[:255]
    )


@receiver(post_save, sender=User)
def end_sessions_of_deactivated_user(sender, instance, created, **kwargs):
    """End every session of a user who has just been deactivated."""
    # Whoever unticks "active" (admin, shell, a script) ends the sessions at
    # once; the request path also checks is_active on every request.
    if not created and not instance.is_active:
        services.end_sessions(
            user=instance, reason=Session.RevokeReason.ACCOUNT_DEACTIVATED
        )


def _is_user_model(model) -> bool:
    # The historical User of a data migration is another class of the same
    # label; its password changes end sessions all the same.
    return model._meta.label_lower == User._meta.label_lower


def _stored_password(sender, instance) -> str | None:
    """Return the password hash the row holds now (None: no such row yet)."""
    stored = instance.__dict__.get("_stored_password")
    if stored is not None:
        return stored
    return (
        sender._base_manager.filter(pk=instance.pk)
        .values_list("password", flat=True)
        .first()
    )


@receiver(pre_save)
def note_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """Notice, before a user row is saved, whether its password changes."""
    if not _is_user_model(sender) or raw or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. the last_login update of every login
    stored = _stored_password(sender, instance)
    instance._password_changed = stored is not None and stored != instance.password


@receiver(post_save)
def end_sessions_after_password_change(sender, instance, **kwargs):
    """End every session of a user whose new password has just been saved."""
    # Whatever set it (the password pages, the admin, manage.py
    # changepassword, a shell, a data migration): a password changed after a
    # compromise must log the attacker out, on every path.
    if not _is_user_model(sender):
        return
    changed = instance.__dict__.pop("_password_changed", False)
    instance._stored_password = instance.__dict__.get("password")
    if not changed:
        return
    # A historical model instance cannot stand in a query of the real
    # models; its primary key can.
    user = instance if isinstance(instance, User) else User(pk=instance.pk)
    if user is not instance and "_password_change" in instance.__dict__:
        user._password_change = instance.__dict__.pop("_password_change")
    services.end_sessions_after_password_change(user=user)


@receiver(post_delete, sender=Session)
def forget_deleted_session(sender, instance, **kwargs):
    """Refuse the tokens of a session whose row is gone (user deleted)."""
    session_state.mark_revoked([instance.pk])


@receiver(pre_save, sender=OutstandingToken)
def never_store_the_token(sender, instance, **kwargs):
    """Save SimpleJWT's token record without the token itself."""
    # RefreshToken.for_session stores none; this covers SimpleJWT's own
    # for_user() and blacklist(), which would write the token into the row
    # for anyone who reads the database or a backup to use.
    instance.token = ""
