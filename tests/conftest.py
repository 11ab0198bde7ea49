"""Fixtures shared by the whole suite.

Every logged-in client here logs in the way a browser or an app does, through
the real endpoints, and then carries the real cookies the server set. Nothing
uses force_login.
"""

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.test import Client
from django.utils import timezone

from accounts.models import User
from jwt_sessions import session_state
from tests.helpers.clients import PASSWORD, bearer_token, log_in
from tests.helpers.oidc_provider import running_provider
from tests.helpers.second_factor import give_authenticator_app
from tests.helpers.users import create_user


@pytest.fixture(autouse=True)
def _empty_shared_cache():
    """Start every test with an empty Redis cache, as the database starts empty."""
    # The database cache lives in the test database and goes with it; Redis
    # keeps revocations and throttle counters across tests unless emptied.
    # (So REDIS_URL must name a database that tests may flush.)
    cache = caches["default"]
    if not isinstance(cache, DatabaseCache):
        cache.clear()
    # And this process remembers no session of an earlier test.
    session_state.memory.forget_everything()


def pytest_configure(config):
    """Push revocation events in the commit hook: no deliverer thread in tests.

    Set before any module is collected (some make requests as they load,
    and a request starts a web process's deliverer): a thread of its own
    would query the test database between tests. The tests of the
    deliverer start what they need themselves.
    """
    from django.conf import settings

    settings.SERVICE_EVENTS_DELIVERY = "inline"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """The test databases of pytest-django, dropped once no feed holds them."""
    yield
    # On PostgreSQL without Redis the feed's own connection (its LISTEN)
    # would keep the test database from being dropped.
    for feed in session_state._feeds.values():
        feed.close()
    session_state._feeds.clear()


@pytest.fixture
def user(db):
    """Alice, whose address is verified: most tests are not about that."""
    return create_user("alice@example.com")


@pytest.fixture
def unverified_user(db):
    """Carol, who signed up and has not opened the emailed link yet."""
    return create_user("carol@example.com", verified=False)


@pytest.fixture
def other_user(db):
    return create_user("bob@example.com")


@pytest.fixture
def staff_user(db):
    # With an authenticator app: the admin wants staff's second factor
    # (MFA_REQUIRED_FOR_STAFF), and log_in() gives its code.
    user = create_user("staff@example.com", is_staff=True)
    give_authenticator_app(user)
    return user


@pytest.fixture
def superuser(db):
    user = User.objects.create_superuser(
        "root@example.com", PASSWORD, email_verified_at=timezone.now()
    )
    give_authenticator_app(user)
    return user


@pytest.fixture
def browser(db):
    """A browser: keeps cookies, and CSRF is enforced as in production."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def logged_in(browser, user):
    """A browser logged in as `user` through the API login."""
    log_in(browser, user.email)
    return browser


@pytest.fixture
def app_client(db):
    """A non-browser client: no cookies matter, CSRF is enforced regardless."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def user_bearer(app_client, user):
    """Authorization header kwargs for `user`, obtained from /api/app/token/."""
    return {"HTTP_AUTHORIZATION": f"Bearer {bearer_token(app_client, user.email)}"}


@pytest.fixture(scope="session")
def provider_server():
    """oidc-provider-mock, a real OpenID Connect provider, for the whole run."""
    with running_provider() as provider:
        yield provider


@pytest.fixture
def acme(provider_server, settings):
    """The provider "Acme" in OIDC_PROVIDERS, served by oidc-provider-mock."""
    settings.OIDC_PROVIDERS = [provider_server.settings_entry()]
    return provider_server
