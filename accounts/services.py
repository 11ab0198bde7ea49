"""Sign-up, verified addresses, password changes and resets, the security log.

One function per flow; the HTML views and the API views both call these.
Starting, refreshing and ending login sessions is jwt_sessions' (its
services module); what it reports back through its signals becomes the
security log here (accounts.receivers).
"""

import logging
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jwt_sessions import assurance
from jwt_sessions import services as sessions
from jwt_sessions.authentication import current_assurance
from jwt_sessions.client import client_ip, user_agent
from jwt_sessions.models import Session
from jwt_sessions.services import TokenPair

from . import email_tokens
from .email_tokens import EmailLink, LinkRefused
from .models import SecurityEvent, User, normalize_email

logger = logging.getLogger("accounts.auth")

Reason = Session.RevokeReason
Event = SecurityEvent.Type


def log_auth_event(event: str, *, user_id=None, sid=None, request=None) -> None:
    """Write one structured log line for an auth event; never a token or secret."""
    ip = client_ip(request) if request is not None else None
    logger.info(
        "auth_event type=%s user_id=%s sid=%s",
        event,
        user_id,
        sid,
        extra={
            "event": str(event),
            "user_id": user_id,
            "sid": str(sid) if sid is not None else None,
            "ip": ip,
        },
    )


def record_event(type, *, user, session=None, request=None, detail="") -> None:
    """Keep a security event for the account's owner and for staff."""
    SecurityEvent.objects.create(
        type=type,
        user=user,
        session=session,
        ip_address=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        detail=detail,
    )
    log_auth_event(
        type,
        user_id=getattr(user, "pk", None),
        sid=getattr(session, "pk", None),
        request=request,
    )


def register_user(*, request, email: str, password: str) -> User:
    """Create an active user with `email` and `password`; mail them the link.

    The account starts unverified (email_verified_at empty) until the link
    in that email is used: see verify_email().
    """
    user = User.objects.create_user(email=normalize_email(email), password=password)
    log_auth_event("signup", user_id=user.pk)
    send_verification_email(request=request, user=user)
    return user


def signed_up_message(email: str) -> str:
    """Say what a sign-up by email is answered, whoever has the address."""
    return _(
        "Check your email: we have sent a message to %(email)s. Open the link "
        "in it to confirm the address, then log in."
    ) % {"email": normalize_email(email)}


def sign_up_by_email(*, request, email: str, password: str) -> User | None:
    """Sign up where the address must be proved first; None if it was taken.

    For ACCOUNT_EMAIL_VERIFICATION = "mandatory", where nobody is logged in
    until the link is used, so the asker can be answered the same whether
    the address is free or not ("check your email"): a free one gets an
    account and its link, a taken one a notice to its owner (no link), and
    only the owner learns that it was tried.
    """
    email = normalize_email(email)
    if not User.objects.filter(email=email).exists():
        try:
            with transaction.atomic():
                return register_user(request=request, email=email, password=password)
        except IntegrityError:
            pass  # signed up a moment ago, by another request
    # The time a new account's password hash takes, so that the answer's
    # delay does not tell either.
    make_password(password)
    _send(request=request, template="signup_taken", to=email, context={"email": email})
    log_auth_event("signup_address_taken", request=request)
    return None


def _send(*, request, template: str, to: str, context: dict) -> None:
    # As Django's password reset mails: the site and scheme of the request.
    site = get_current_site(request)
    context = {
        "site_name": site.name,
        "domain": site.domain,
        "protocol": "https" if request.is_secure() else "http",
        **context,
    }
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
    body = render_to_string(f"accounts/email/{template}.txt", context)
    try:
        send_mail(" ".join(subject.splitlines()).strip(), body, None, [to])
    except Exception:
        # A mail server that is down must not undo what was asked (a sign-up,
        # a change asked for) nor answer a 500: the link can be sent again
        # ("Send the link again"), as Django's password reset does it.
        logger.exception("the %s email could not be sent", template)


def _link_path(token: str) -> str:
    return reverse("accounts:email-verify", args=(token,))


def send_verification_email(*, request, user: User) -> bool:
    """Mail `user` a link that verifies their address; False if it is verified."""
    if user.email_is_verified:
        return False
    token = email_tokens.make_token(
        user=user, purpose=email_tokens.VERIFY, email=user.email
    )
    _send(
        request=request,
        template="verify",
        to=user.email,
        context={"email": user.email, "path": _link_path(token)},
    )
    log_auth_event("email_verification_sent", user_id=user.pk, request=request)
    return True


class EmailTaken(LinkRefused):
    """The new address of a change belongs to another account by now."""

    status = 409


def read_email_link(*, token) -> EmailLink:
    """Return what an emailed link's token says, or raise LinkRefused."""
    return email_tokens.read_token(token)


@transaction.atomic
def use_email_link(*, request, token) -> EmailLink:
    """Verify the address, or finish the change, that `token`'s link is for.

    Raise LinkRefused, changing nothing, for a link that is broken, expired,
    used, or (a change) whose address another account took meanwhile.
    """
    # Read under the account's row lock: two uses of one link at once see
    # one another, and the second finds the link used.
    link = email_tokens.read_token(token, for_update=True)
    if link.purpose == email_tokens.VERIFY:
        return verify_email(request=request, link=link)
    return change_email(request=request, link=link)


def verify_email(*, request, link: EmailLink) -> EmailLink:
    """Mark `link`'s address as its account's own, now."""
    user = link.user
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    record_event(Event.EMAIL_VERIFIED, user=user, request=request)
    return link


def address_is_taken(*, email: str, user: User) -> bool:
    """Say whether an account other than `user` has the address `email`."""
    return User.objects.filter(email=email).exclude(pk=user.pk).exists()


def request_email_change(*, request, user: User, new_email: str) -> None:
    """Mail `new_email` a link that, once used, makes it `user`'s address.

    Nothing changes until then. Whether the address is free or another
    account's, the asker is answered the same; a taken address gets a
    notice instead of a link, so only its owner learns it was tried.
    """
    new_email = normalize_email(new_email)
    if address_is_taken(email=new_email, user=user):
        _send(
            request=request,
            template="change_taken",
            to=new_email,
            context={"email": new_email},
        )
    else:
        token = email_tokens.make_token(
            user=user, purpose=email_tokens.CHANGE, email=new_email
        )
        _send(
            request=request,
            template="change",
            to=new_email,
            context={
                "email": new_email,
                "old_email": user.email,
                "path": _link_path(token),
            },
        )
    record_event(
        Event.EMAIL_CHANGE_REQUESTED,
        user=user,
        request=request,
        detail=_(
            "A change of the email address to %(email)s was asked for; a link "
            "was sent to it."
        )
        % {"email": new_email},
    )


EMAIL_TAKEN = _(
    "Another account uses this address now, so it cannot become yours. "
    "Nothing was changed."
)


def change_email(*, request, link: EmailLink) -> EmailLink:
    """Make `link`'s new address its account's, verified; tell the old one."""
    user = link.user
    old_email = user.email
    if address_is_taken(email=link.email, user=user):
        raise EmailTaken(EMAIL_TAKEN, code="email_taken")
    user.email = link.email
    user.email_verified_at = timezone.now()
    try:
        # A savepoint: the unique index refuses an address taken between the
        # check above and this write, and the transaction goes on.
        with transaction.atomic():
            user.save(update_fields=["email", "email_verified_at"])
    except IntegrityError:
        raise EmailTaken(EMAIL_TAKEN, code="email_taken") from None
    # Sessions go on: the address is not a credential, and the owner who
    # made the change proved the password to ask for it and the new inbox
    # to finish it. The old inbox hears of it, in case it was not them.
    record_event(
        Event.EMAIL_CHANGED,
        user=user,
        request=request,
        detail=_("The email address was changed from %(old)s to %(new)s.")
        % {"old": old_email, "new": user.email},
    )
    transaction.on_commit(
        lambda: _send(
            request=request,
            template="changed",
            to=old_email,
            context={"old_email": old_email, "email": user.email},
        )
    )
    return link


@dataclass(frozen=True)
class PasswordChange:
    """Why a user's password is being set, and by which request, for the log."""

    reason: str = Reason.PASSWORD_CHANGED
    event: str = Event.PASSWORD_CHANGED
    request: object = None


def expect_password_change(user: User, change: PasswordChange) -> None:
    """Say why `user`'s next saved password change happens (default: changed)."""
    # Read by end_sessions_after_password_change() when the new password is
    # saved; without it a change (changepassword, a shell) is still handled.
    user._password_change = change


def end_sessions_after_password_change(*, user: User) -> int:
    """End every session of `user`, whose new password was just saved."""
    change = user.__dict__.pop("_password_change", None) or PasswordChange()
    ended = sessions.end_sessions(
        user=user, reason=change.reason, request=change.request
    )
    record_event(change.event, user=user, request=change.request)
    return ended


def _set_password(*, request, user: User, new_password: str, reason, event) -> None:
    user.set_password(new_password)
    # Every token issued before the change dies with its session: saving the
    # password does that (accounts.receivers), whichever code path saves it.
    expect_password_change(
        user, PasswordChange(reason=reason, event=event, request=request)
    )
    user.save(update_fields=["password"])


@transaction.atomic
def change_password(*, request, user: User, new_password: str) -> TokenPair:
    """Set a new password, end every session, and log this device in afresh.

    The new login is as strong as the one that changed the password (its
    second factor, if it had one, carries over): the old password was just
    given again, and the device is the same.
    """
    proved = current_assurance(request)
    _set_password(
        request=request,
        user=user,
        new_password=new_password,
        reason=Reason.PASSWORD_CHANGED,
        event=Event.PASSWORD_CHANGED,
    )
    return sessions.log_in(
        request=request,
        user=user,
        methods=proved.methods if proved is not None else (assurance.PASSWORD,),
    )


@transaction.atomic
def reset_password(*, request, user: User, new_password: str) -> None:
    """Set a password chosen through a reset link and end every session."""
    _set_password(
        request=request,
        user=user,
        new_password=new_password,
        reason=Reason.PASSWORD_RESET,
        event=Event.PASSWORD_RESET,
    )
