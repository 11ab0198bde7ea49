"""Receivers that keep sessions and the security log true to the account."""

from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import services, session_state
from .models import SecurityEvent, Session, User, normalize_email


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs):
    """Log a failed login on the account it was aimed at, if it exists."""
    email = credentials.get("email") or credentials.get("username") or ""
    user = User.objects.filter(email=normalize_email(str(email))).first()
    if user is not None:
        services.record_event(
            SecurityEvent.Type.LOGIN_FAILED, user=user, request=request
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
