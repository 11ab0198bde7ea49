"""Smaller hardening: the sign-up rate limit, passwords of any composition."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.helpers.clients import PASSWORD


@pytest.fixture
def two_signups_an_hour(settings):
    from rest_framework.settings import api_settings

    from accounts.throttles import SignupRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "signup": "2/hour"}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": rates,
    }
    original = SignupRateThrottle.THROTTLE_RATES
    SignupRateThrottle.THROTTLE_RATES = rates  # DRF binds the rates at import
    yield
    SignupRateThrottle.THROTTLE_RATES = original


def test_registration_api_is_rate_limited_per_address(
    app_client, db, two_signups_an_hour
):
    answers = [
        app_client.post(
            reverse("api:register"),
            {"email": f"user{n}@example.com", "password": PASSWORD},
            content_type="application/json",
        )
        for n in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2]["Retry-After"]
    assert User.objects.count() == 2
    other_address = app_client.post(
        reverse("api:register"),
        {"email": "user9@example.com", "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.9",
    )
    assert other_address.status_code == 201


def test_signup_page_is_rate_limited_per_address(browser, db, two_signups_an_hour):
    browser.get(reverse("accounts:signup"))

    def sign_up(n):
        # Each sign-up logs in, which rotates the CSRF token.
        token = browser.cookies[settings.CSRF_COOKIE_NAME].value
        return browser.post(
            reverse("accounts:signup"),
            {
                "email": f"page{n}@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
        )

    statuses = [sign_up(n).status_code for n in range(2)]
    limited = sign_up(3)

    assert statuses == [302, 302]
    assert limited.status_code == 429
    assert b"Too many sign-ups" in limited.content
    assert not User.objects.filter(email="page3@example.com").exists()


def test_all_digit_passwords_are_not_refused_for_their_composition(app_client, db):
    """ASVS 6.2.5: no rule on the kinds of characters; length and lists apply."""
    response = app_client.post(
        reverse("api:register"),
        {"email": "digits@example.com", "password": "8302 9917 4465 1029"},
        content_type="application/json",
    )

    assert response.status_code == 201
