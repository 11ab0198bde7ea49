"""Receivers that keep sessions and the security log true to the account."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from . import services, session_state
from .lockout import attempted_email
from .models import SecurityEvent, Session, User, normalize_email


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs):
    """Log a failed login, on the account it was aimed at if that exists."""
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
    user = User.objects.filter(email=normalize_email(username or "")).first()
    services.record_event(
        SecurityEvent.Type.LOCKED_OUT,
        user=user,
        request=request,
        detail=f"Account {username or '?'} or address {ip_address or '?'}"[:255],
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
