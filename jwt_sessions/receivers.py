"""Receivers that keep token records and session state true to the database."""

from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from . import session_state
from .models import Session


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
