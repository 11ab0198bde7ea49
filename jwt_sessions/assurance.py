"""How strongly, and how lately, the user of a login proved who they are.

Every token of a login says it in three claims, kept through every
refresh: `amr`, the methods used (RFC 8176 values); `acr`, the level they
reach (ONE_FACTOR or TWO_FACTORS); and `auth_time`, when the user last
proved it. A step-up (services.step_up) proves it again and mints a new pair
on the same session.

A view declares what it needs as a `Requirement` (how recent, how strong);
`authentication.login_satisfies()` is the one check that pages
(views.StepUpRequiredMixin)
and the API (permissions.RecentAuthentication) both make. A page then sends
the user to log in again, more strongly, and back; the API answers RFC
9470's challenge (`WWW-Authenticate: Bearer
error="insufficient_user_authentication"`, with `max_age` and `acr_values`).
"""

import time
from dataclasses import dataclass

from .app_settings import app_settings

# RFC 8176's authentication method reference values this site issues.
PASSWORD = "pwd"
ONE_TIME_CODE = "otp"
HARDWARE_KEY = "hwk"
SOFTWARE_KEY = "swk"
USER_VERIFIED = "user"
MULTIPLE_FACTORS = "mfa"
# Proved to an OpenID Connect provider the site trusts ("Sign in with").
FEDERATED = "fed"
# Recovery codes are one-time codes the user keeps apart (RFC 8176 has no
# value of its own for them).
RECOVERY_CODE = ONE_TIME_CODE

# Which kind of factor each method proves: something known, something
# held, something the user is (a passkey's user verification).
FACTOR_OF = {
    PASSWORD: "knowledge",
    ONE_TIME_CODE: "possession",
    HARDWARE_KEY: "possession",
    SOFTWARE_KEY: "possession",
    USER_VERIFIED: "inherence",
    # Whatever the provider asked for, this site saw one proof: that the
    # provider vouches for the person. It counts as a factor of its own kind,
    # so a provider login followed by this site's second factor is two.
    FEDERATED: "federation",
}
KNOWN_METHODS = frozenset(FACTOR_OF) | {MULTIPLE_FACTORS}

# The `acr` values: one factor, or two of different kinds (NIST SP 800-63B's
# authenticator assurance levels 1 and 2, as Supabase names them too).
ONE_FACTOR = "aal1"
TWO_FACTORS = "aal2"
LEVELS = (ONE_FACTOR, TWO_FACTORS)

# What a token issued before these claims existed stands for: the password
# was the only way to log in.
LEGACY_METHODS = (PASSWORD,)


def methods_together(*groups) -> tuple[str, ...]:
    """Return the amr of having used every method of `groups`, in one order."""
    methods = {method for group in groups for method in group}
    methods.discard(MULTIPLE_FACTORS)
    if len({FACTOR_OF[method] for method in methods if method in FACTOR_OF}) >= 2:
        methods.add(MULTIPLE_FACTORS)
    return tuple(sorted(methods))


def level_of(methods) -> str:
    """Return the acr that the methods `methods` reach together."""
    return TWO_FACTORS if MULTIPLE_FACTORS in methods_together(methods) else ONE_FACTOR


@dataclass(frozen=True)
class Assurance:
    """What one token says of its login: the methods, and when."""

    methods: tuple[str, ...]
    auth_time: int

    @property
    def level(self) -> str:
        return level_of(self.methods)

    @classmethod
    def of(cls, token) -> "Assurance":
        """Return the assurance a verified token of ours carries."""
        return cls(
            methods=tuple(token.get("amr", LEGACY_METHODS)),
            auth_time=token["auth_time"],
        )


@dataclass(frozen=True)
class Requirement:
    """What a view needs: a login at least `level`, at most `max_age` old.

    max_age is in seconds since the user last proved who they are; None
    takes the STEP_UP_MAX_AGE setting when the check is made; 0 means no
    limit.
    """

    max_age: int | None = None
    level: str = ONE_FACTOR

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {self.level!r}")

    @property
    def effective_max_age(self) -> int:
        if self.max_age is None:
            return int(app_settings.STEP_UP_MAX_AGE.total_seconds())
        return self.max_age

    def is_met_by(self, assurance: Assurance, *, now: float | None = None) -> bool:
        if LEVELS.index(assurance.level) < LEVELS.index(self.level):
            return False
        max_age = self.effective_max_age
        now = time.time() if now is None else now
        return not max_age or now - assurance.auth_time <= max_age

    def challenge(self) -> str:
        """Return RFC 9470's WWW-Authenticate challenge for this requirement."""
        params = [
            'Bearer realm="api"',
            'error="insufficient_user_authentication"',
            'error_description="A more recent or stronger authentication is needed"',
        ]
        if self.level != ONE_FACTOR:
            params.append(f'acr_values="{self.level}"')
        if self.effective_max_age:
            params.append(f"max_age={self.effective_max_age}")
        return ", ".join(params)


# What every sensitive action of this site asks unless it says otherwise: a
# login proved within STEP_UP_MAX_AGE seconds.
RECENT_LOGIN = Requirement()
