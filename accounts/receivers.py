"""Receivers that keep sessions and the security log true to the account.

jwt_sessions reports what happened to login sessions through its signals;
the security log's entries for them are written here, and a password
change or a deactivation, however it is saved, ends the account's sessions.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jwt_sessions import services as sessions
from jwt_sessions.models import Session
from jwt_sessions.signals import (
    refresh_token_reused,
    session_refreshed,
    session_revoked,
    session_started,
    session_stepped_up,
)
from mfa import services as mfa
from mfa.models import Authenticator
from mfa.signals import (
    passkey_counter_regressed,
    passkey_used,
    recovery_code_used,
    recovery_codes_regenerated,
    second_factor_added,
    second_factor_removed,
)

from . import services
from .lockout import RESET_LINK_COUNTER, attempted_email, is_reset_link_attempt
from .models import (
    REVOKED_BECAUSE,
    SecurityEvent,
    User,
    describe_methods,
    normalize_email,
)

Reason = Session.RevokeReason
Event = SecurityEvent.Type


@receiver(session_started)
def record_login(sender, session, request, **kwargs):
    """Log a login, with the session it started."""
    services.record_event(
        Event.LOGIN, user=session.user, session=session, request=request
    )


@receiver(session_refreshed)
def log_refresh(sender, session, request=None, **kwargs):
    """Write the auth log's line for a refresh (not a security event: routine)."""
    services.log_auth_event("refresh", user_id=session.user_id, sid=session.pk)


@receiver(refresh_token_reused)
def record_reuse(sender, session, request=None, **kwargs):
    """Log that an old refresh token came back, which ended its session."""
    services.record_event(
        Event.REUSE_DETECTED, user=session.user, session=session, request=request
    )


@receiver(session_stepped_up)
def record_step_up(sender, session, methods, request=None, **kwargs):
    """Log that the user of a session proved who they are again, and how."""
    services.record_event(
        Event.STEPPED_UP,
        user=session.user,
        session=session,
        request=request,
        detail=_("Confirmed who you are again on %(device)s, with %(methods)s.")
        % {"device": session.device, "methods": describe_methods(methods)},
    )


@receiver(second_factor_added)
def record_second_factor_added(sender, user, authenticator, request=None, **kwargs):
    detail = ""
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        detail = _("A passkey was added: “%(name)s”. It logs in on its own.") % {
            "name": authenticator.name
        }
    services.record_event(
        Event.MFA_ADDED, user=user, request=request, detail=detail[:255]
    )


@receiver(second_factor_removed)
def record_second_factor_removed(sender, user, type, request=None, name="", **kwargs):
    detail = ""
    if type == Authenticator.Type.WEBAUTHN:
        detail = _("The passkey “%(name)s” was removed.") % {"name": name}
    services.record_event(
        Event.MFA_REMOVED, user=user, request=request, detail=detail[:255]
    )


@receiver(passkey_used)
def record_passkey_used(sender, user, authenticator, request=None, **kwargs):
    services.record_event(
        Event.PASSKEY_USED,
        user=user,
        request=request,
        detail=(_("The passkey “%(name)s” was used.") % {"name": authenticator.name})[
            :255
        ],
    )


@receiver(passkey_counter_regressed)
def record_passkey_counter_regressed(
    sender, user, authenticator, request=None, **kwargs
):
    services.record_event(
        Event.PASSKEY_COUNTER_REGRESSED,
        user=user,
        request=request,
        detail=(
            _(
                "The passkey “%(name)s” was refused: its signature counter went "
                "backwards, a sign that the key may have been copied."
            )
            % {"name": authenticator.name}
        )[:255],
    )


@receiver(recovery_code_used)
def record_recovery_code_used(sender, user, remaining, request=None, **kwargs):
    services.record_event(
        Event.RECOVERY_CODE_USED,
        user=user,
        request=request,
        detail=ngettext(
            "A recovery code was used; %(count)d is left.",
            "A recovery code was used; %(count)d are left.",
            remaining,
        )
        % {"count": remaining},
    )


@receiver(recovery_codes_regenerated)
def record_recovery_codes_replaced(sender, user, request=None, **kwargs):
    services.record_event(Event.RECOVERY_CODES_REPLACED, user=user, request=request)


@receiver(session_revoked)
def record_revocation(
    sender, sessions, reason, request=None, one_by_one=True, **kwargs
):
    """Log the end of sessions, in words their owner understands."""
    if reason == Reason.REPLACED:
        return  # the new login on the same browser is logged instead
    if reason == Reason.REUSE_DETECTED:
        return  # record_reuse() says more
    if not one_by_one:
        # One entry for "every session ended", saying how many.
        services.record_event(
            Event.SESSION_REVOKED,
            user=sessions[0].user,
            request=request,
            detail=ngettext(
                "%(count)d session was ended %(why)s.",
                "%(count)d sessions were ended %(why)s.",
                len(sessions),
            )
            % {"count": len(sessions), "why": REVOKED_BECAUSE[reason]},
        )
        return
    for session in sessions:
        if reason == Reason.LOGOUT:
            type, detail = Event.LOGOUT, ""
        elif reason == Reason.KEY_RETIRED:
            type = Event.SESSION_REVOKED
            detail = _(
                "A session was ended because the key that signed it (%(kid)s) "
                "was retired in an emergency."
            ) % {"kid": session.signing_kid}
        else:
            type = Event.SESSION_REVOKED
            detail = _("A session on %(device)s was ended %(why)s.") % {
                "device": session.device,
                "why": REVOKED_BECAUSE[reason],
            }
        services.record_event(
            type, user=session.user, session=session, request=request, detail=detail
        )


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs):
    """Log a failed login, on the account it was aimed at if that exists."""
    if is_reset_link_attempt(credentials):
        return  # not a login: the reset view records its own event
    email = attempted_email(request, credentials)
    user = User.objects.filter(email=email).first()
    if (credentials or {}).get(mfa.SECOND_FACTOR_CREDENTIAL):
        # A wrong code: counted like a password, and told as what it was.
        services.record_event(Event.MFA_FAILED, user=user, request=request)
        return
    services.record_event(
        Event.LOGIN_FAILED,
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
        Event.LOCKED_OUT, user=user, request=request, detail=detail[:255]
    )


@receiver(post_save, sender=User)
def end_sessions_of_deactivated_user(sender, instance, created, **kwargs):
    """End every session of a user who has just been deactivated."""
    # Whoever unticks "active" (admin, shell, a script) ends the sessions at
    # once. Requests do not read the user: only a refresh, and the session
    # check's database fallback, look at is_active; a cached answer does not.
    if not created and not instance.is_active:
        sessions.end_sessions(user=instance, reason=Reason.ACCOUNT_DEACTIVATED)


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
