"""What the token checks refuse: wrong iss, aud, alg, key, type or claims."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from tests.helpers.forged_tokens import DROP, forge, valid_claims

ACCESS = settings.JWT_COOKIE_ACCESS_NAME


def get_me_with_bearer(client, token):
    return client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {token}")


def get_me_with_cookie(client, token):
    client.cookies[ACCESS] = token
    return client.get(reverse("api:me"))


@pytest.fixture(
    params=[get_me_with_bearer, get_me_with_cookie], ids=["bearer", "cookie"]
)
def get_me(request):
    return request.param


def test_a_well_formed_hand_made_token_is_accepted(app_client, user, get_me):
    # The control for every refusal below: only the one altered part differs.
    response = get_me(app_client, forge(valid_claims(user)))

    assert response.status_code == 200


A_SECOND_AGO = int(time.time()) - 1


def claim_id(value) -> str:
    """Name a claim's value in a test id that stays the same from run to run."""
    if value is DROP:
        return "missing"
    return "a-second-ago" if value == A_SECOND_AGO else str(value)


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "someone-else"},
        {"aud": "another-service"},
        {"aud": ["another-service"]},
        {"token_type": "refresh"},
        {"token_type": "id"},
        {"exp": A_SECOND_AGO},
        {"exp": "tomorrow"},
        {"exp": 10**30},
        {"iat": "yesterday"},
        {"user_id": "999999"},
        {"user_id": None},
        {"iss": DROP},
        {"aud": DROP},
        {"exp": DROP},
        {"iat": DROP},
        {"jti": DROP},
        {"token_type": DROP},
        {"user_id": DROP},
    ],
    ids=lambda o: "-".join(f"{k}={claim_id(v)}" for k, v in o.items()),
)
def test_tokens_with_wrong_or_missing_claims_are_refused(
    app_client, user, get_me, overrides
):
    response = get_me(app_client, forge(valid_claims(user, **overrides)))

    assert response.status_code == 401


def test_a_token_signed_with_another_key_is_refused(app_client, user, get_me):
    token = forge(valid_claims(user), key="another key that is long enough to use!!")

    assert get_me(app_client, token).status_code == 401


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_a_token_with_another_algorithm_is_refused_even_with_the_right_key(
    app_client, user, get_me, algorithm
):
    token = forge(valid_claims(user), algorithm=algorithm)

    assert get_me(app_client, token).status_code == 401


def test_an_unsigned_alg_none_token_is_refused(app_client, user, get_me):
    token = forge(valid_claims(user), key="", algorithm="none")

    assert get_me(app_client, token).status_code == 401


def test_a_token_of_an_inactive_user_is_refused(app_client, user, get_me):
    token = forge(valid_claims(user))
    user.is_active = False
    user.save()

    assert get_me(app_client, token).status_code == 401


def test_a_deleted_user_and_an_inactive_user_get_the_same_401(app_client, user):
    token = forge(valid_claims(user))
    other = forge(valid_claims(user, user_id="999999"))
    user.is_active = False
    user.save()

    inactive = get_me_with_bearer(app_client, token)
    deleted = get_me_with_bearer(app_client, other)

    assert inactive.status_code == deleted.status_code == 401
    assert inactive.content == deleted.content
