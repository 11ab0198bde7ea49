"""Every JWT setting has one home: JWT_*, read at use by app_settings."""

from datetime import timedelta

from django.conf import settings as django_settings
from django.core import checks
from django.test import Client

from jwt_sessions.app_settings import app_settings
from jwt_sessions.checks import check_no_simple_jwt_settings
from jwt_sessions.tokens import AccessToken
from tests.helpers.clients import auth_cookie, log_in


def test_the_site_sets_no_simple_jwt():
    assert not hasattr(django_settings, "SIMPLE_JWT")


def test_a_simple_jwt_setting_is_refused_with_where_it_lives_now(settings):
    settings.SIMPLE_JWT = {"ACCESS_TOKEN_LIFETIME": timedelta(minutes=1)}

    [error] = check_no_simple_jwt_settings(None)

    assert error.id == "jwt_sessions.E009"
    assert error.level == checks.ERROR
    assert "ACCESS_TOKEN_LIFETIME -> JWT_ACCESS_LIFETIME" in error.hint
    assert error in checks.run_checks(tags=[checks.Tags.compatibility])


def test_a_changed_lifetime_applies_to_the_next_token(settings, user):
    settings.JWT_ACCESS_LIFETIME = 90
    browser = Client()
    log_in(browser, user.email)

    access = AccessToken(auth_cookie(browser, "access"))

    assert access["exp"] - access["iat"] == 90
    assert timedelta(seconds=90) == app_settings.ACCESS_TOKEN_LIFETIME


def test_every_jwt_setting_has_a_default(settings):
    for name in [n for n in dir(settings) if n.startswith("JWT_")]:
        delattr(settings, name)

    assert app_settings.ALGORITHM == "HS256"
    assert timedelta(days=1) == app_settings.REFRESH_TOKEN_LIFETIME
    assert app_settings.COOKIE_ACCESS_NAME == "__Host-access"
    assert timedelta(days=1) == app_settings.LONGEST_TOKEN_LIFETIME
