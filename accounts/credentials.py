"""The one check of an email and password, for the login form and the API.

Both call these and only translate a refusal into their own kind of error:
a form's ValidationError, or the API's 401 and 429. Every check goes through
authenticate(), so each miss counts towards django-axes' lockout and sends
user_login_failed (which the security log records).
"""

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from jwt_sessions import assurance
from mfa import services as mfa

from . import app_settings, services
from .lockout import is_locked_out, lockout_message, retry_after_seconds
from .models import User, normalize_email
from .throttles import email_link_wait

# One message for a wrong password, an unknown email and an inactive
# account: a login never tells which accounts exist.
INVALID_LOGIN = _(
    "That email and password do not match an active account. Check both and try again."
)
WRONG_CURRENT_PASSWORD = _(
    "Your old password was entered incorrectly. Please enter it again."
)
WRONG_PASSWORD = _("That is not your password. Enter it again.")
# The email change's form and serializer check the password here; they
# share this message too (a serializer never imports the forms).
SAME_EMAIL = _("That is your address already. Enter the new one.")
# Said only after the right password: it tells nothing to anyone who does
# not already hold the account.
EMAIL_NOT_VERIFIED = _(
    "Your email address is not verified yet. We have sent a link to it (at "
    "most a few an hour): open it, then log in."
)


class CredentialsRefused(Exception):
    """The password check failed; `message` says so to the person who tried."""

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class AttemptsLockedOut(CredentialsRefused):
    """Too many failed checks: none is made until `wait` seconds have passed."""

    def __init__(self):
        super().__init__(lockout_message(), code="locked_out")
        self.wait = retry_after_seconds()


def refusal(request, message, *, code: str) -> CredentialsRefused:
    """Return the error for a failed check: the lockout's, if that refused it."""
    if is_locked_out(request):
        return AttemptsLockedOut()
    return CredentialsRefused(message, code=code)


def authenticate_credentials(request, *, email: str, password: str) -> User:
    """Return the active user `email` and `password` belong to, or raise.

    Raises AttemptsLockedOut once the account or the address is locked out,
    else CredentialsRefused, with one message whatever was wrong; and, where
    ACCOUNT_EMAIL_VERIFICATION is "mandatory", code "email_not_verified"
    for the right password of an account whose address is not verified.
    """
    user = authenticate(request, email=normalize_email(email), password=password)
    if user is None:
        raise refusal(request, INVALID_LOGIN, code="invalid_login")
    if app_settings.email_verification_is_mandatory() and not user.email_is_verified:
        # ACCOUNT_EMAIL_VERIFICATION = "mandatory": no session until the
        # address is proved. The link goes out again, within the rate limit.
        if email_link_wait(request, user=user) is None:
            services.send_verification_email(request=request, user=user)
        raise CredentialsRefused(EMAIL_NOT_VERIFIED, code="email_not_verified")
    return user


def verify_current_password(
    request, *, user: User, password: str, message=WRONG_CURRENT_PASSWORD
) -> None:
    """Raise unless `password` is `user`'s; a miss counts as a failed login."""
    # Through authenticate(), not user.check_password(): wrong guesses count
    # towards the same lockout as failed logins.
    if authenticate(request, email=user.email, password=password) != user:
        raise refusal(request, message, code="password_incorrect")


def verify_identity(request, *, user: User, password: str = "", code: str = ""):
    """Check what `user` gave to prove who they are again; return the amr methods.

    A step-up takes the password, a code of a second factor, or both. Each
    wrong one counts as a failed login; raises CredentialsRefused (or
    AttemptsLockedOut), with nothing proved, if any of them is wrong.
    """
    if not password and not code:
        raise CredentialsRefused(
            _("Enter your password, or a code from your authenticator app.")
            if mfa.has_authenticator_app(user)
            else _("Enter your password."),
            code="required",
        )
    methods = []
    if password:
        verify_current_password(
            request, user=user, password=password, message=WRONG_PASSWORD
        )
        methods.append(assurance.PASSWORD)
    if code:
        try:
            methods.append(
                mfa.verify_second_factor(request=request, user=user, code=code)
            )
        except mfa.CodesLockedOut:
            raise AttemptsLockedOut() from None
        except mfa.CodeRefused as refused:
            raise CredentialsRefused(refused.message, code=refused.code) from None
    return tuple(methods)
