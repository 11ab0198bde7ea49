"""Verified addresses: the emailed link, the banner, the mandatory mode, checkout.

Every request goes through the client with the cookies the server set, and
every link is the one in the email Django's test backend kept (mail.outbox).
"""

import re

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import email_tokens
from accounts.models import SecurityEvent, User
from shop.models import Cart, Order, Product
from tests.helpers.clients import (
    PASSWORD,
    auth_cookie,
    bearer_token,
    csrf_headers,
    log_in,
)
from tests.helpers.clock import seconds_later
from tests.helpers.mail import DOWN

LINK = re.compile(r"https?://testserver(/accounts/email/verify/(?P<token>[^/\s]+)/)")
ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME


def link_in(message) -> tuple[str, str]:
    """Return the path and token of the link in an email."""
    match = LINK.search(message.body)
    assert match, message.body
    return match[1], match["token"]


def form_post(client: Client, url: str, data: dict | None = None, **extra):
    """POST a form as a browser does, with the CSRF cookie's token."""
    if settings.CSRF_COOKIE_NAME not in client.cookies:
        client.get(reverse("accounts:login"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)


def api_post(client: Client, name: str, data=None, **extra):
    return client.post(
        reverse(name),
        data or {},
        content_type="application/json",
        **csrf_headers(client),
        **extra,
    )


def sign_up(browser, email="new@example.com"):
    browser.get(reverse("accounts:signup"))
    return form_post(
        browser,
        reverse("accounts:signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def fill_cart(user):
    product = Product.objects.create(
        name="Enamel mug", slug="enamel-mug", price="14.00", stock=10
    )
    Cart.objects.open_for(user).add(product, 1)


@pytest.fixture
def email_rates(settings):
    """Two emailed links an hour per account, three per client address."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "email_link": "2/hour",
            "email_link_ip": "3/hour",
        },
    }


# --- the link -----------------------------------------------------------------


def test_signup_sends_a_link_that_verifies_the_address_once(browser, db):
    response = sign_up(browser)

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert not user.email_is_verified
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    path, _ = link_in(mail.outbox[0])

    page = browser.get(path)
    assert page.status_code == 200
    assert b"Confirm your email address" in page.content
    assert page["Referrer-Policy"] == "same-origin"
    user.refresh_from_db()
    assert not user.email_is_verified, "opening the link must change nothing"

    confirmed = form_post(browser, path)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("dashboard")
    user.refresh_from_db()
    assert user.email_is_verified
    assert user.security_events.filter(type=SecurityEvent.Type.EMAIL_VERIFIED).exists()

    again = form_post(browser, path)
    assert again.status_code == 409
    assert b"already" in again.content
    assert browser.get(path).status_code == 409


def test_a_mail_server_that_is_down_does_not_undo_the_sign_up(
    browser, db, settings, caplog
):
    settings.EMAIL_BACKEND = DOWN

    response = sign_up(browser)

    # Signed up and logged in; the banner's "Send the link again" is there.
    assert response.status_code == 302
    assert not User.objects.get(email="new@example.com").email_is_verified
    assert "could not be sent" in caplog.text
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    again = form_post(browser, reverse("accounts:email-verify-resend"))
    assert again.status_code == 302
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_the_link_works_in_a_browser_that_is_not_logged_in(browser, unverified_user):
    log_in(browser, unverified_user.email)
    api_post(browser, "api:email-verify-resend")
    path, _ = link_in(mail.outbox[-1])

    elsewhere = Client(enforce_csrf_checks=True)
    elsewhere.get(path)
    response = form_post(elsewhere, path)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    unverified_user.refresh_from_db()
    assert unverified_user.email_is_verified


def test_register_api_sends_the_link_and_the_app_verifies_with_its_token(
    app_client, db
):
    response = app_client.post(
        reverse("api:register"),
        {"email": "app@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["email_verified"] is False
    _, token = link_in(mail.outbox[-1])

    verified = app_client.post(
        reverse("api:email-verify"), {"token": token}, content_type="application/json"
    )
    assert verified.status_code == 200
    assert verified.json() == {
        "email": "app@example.com",
        "email_verified": True,
        "changed": False,
    }
    again = app_client.post(
        reverse("api:email-verify"), {"token": token}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_verified"


def test_a_link_expires(browser, unverified_user, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION_MAX_AGE = 3600
    log_in(browser, unverified_user.email)
    api_post(browser, "api:email-verify-resend")
    path, token = link_in(mail.outbox[-1])

    with seconds_later(3601):
        page = browser.get(path)
        posted = form_post(browser, path)
        api = api_post(browser, "api:email-verify", {"token": token})

    assert page.status_code == posted.status_code == 410
    assert b"expired" in posted.content
    assert api.status_code == 410
    assert api.json()["code"] == "token_expired"
    unverified_user.refresh_from_db()
    assert not unverified_user.email_is_verified


def test_a_link_still_works_just_before_it_expires(app_client, unverified_user):
    token = email_tokens.make_token(
        user=unverified_user, purpose=email_tokens.VERIFY, email=unverified_user.email
    )
    with seconds_later(settings.ACCOUNT_EMAIL_VERIFICATION_MAX_AGE - 60):
        response = app_client.post(
            reverse("api:email-verify"),
            {"token": token},
            content_type="application/json",
        )
    assert response.status_code == 200


def _tamper(token: str, **changes) -> str:
    # The payload re-encoded with changes, the old signature kept.
    payload, stamp, signature = token.rsplit(":", 2)
    data = signing.loads(token, salt=email_tokens.SALT)
    data.update(changes)
    forged = signing.b64_encode(signing.JSONSerializer().dumps(data)).decode()
    assert forged != payload
    return f"{forged}:{stamp}:{signature}"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda t, other: t[:-1] + ("A" if t[-1] != "A" else "B"), id="sig"
        ),
        pytest.param(lambda t, other: t[: len(t) // 2], id="cut-short"),
        pytest.param(lambda t, other: _tamper(t, u=other.pk), id="other-user"),
        pytest.param(lambda t, other: _tamper(t, e=other.email), id="other-email"),
        pytest.param(lambda t, other: _tamper(t, p="change"), id="other-purpose"),
        pytest.param(lambda t, other: "not-a-token", id="garbled"),
        pytest.param(lambda t, other: "é" * 300, id="unicode"),
    ],
)
def test_a_forged_link_is_refused_and_changes_nothing(
    app_client, unverified_user, other_user, forge
):
    token = email_tokens.make_token(
        user=unverified_user, purpose=email_tokens.VERIFY, email=unverified_user.email
    )
    forged = forge(token, other_user)

    api = app_client.post(
        reverse("api:email-verify"), {"token": forged}, content_type="application/json"
    )
    page = Client().get(reverse("accounts:email-verify", args=(forged,)))

    assert api.status_code == 400
    assert api.json()["code"] == "invalid_token"
    assert page.status_code == 400
    assert b"does not work" in page.content
    unverified_user.refresh_from_db()
    other_user.refresh_from_db()
    assert not unverified_user.email_is_verified
    assert other_user.email == "bob@example.com"


def test_a_token_of_another_site_key_is_refused(app_client, unverified_user, settings):
    token = email_tokens.make_token(
        user=unverified_user, purpose=email_tokens.VERIFY, email=unverified_user.email
    )
    settings.SECRET_KEY = "another site's key, long enough to be a real one 123"

    response = app_client.post(
        reverse("api:email-verify"), {"token": token}, content_type="application/json"
    )

    assert response.status_code == 400


# --- the banner, and sending the link again ----------------------------------


def test_an_unverified_account_sees_the_banner_on_every_page(browser, unverified_user):
    log_in(browser, unverified_user.email)

    for name in ("dashboard", "home", "shop:cart", "accounts:sessions"):
        page = browser.get(reverse(name))
        assert b"data-verify-banner" in page.content, name
        assert reverse("accounts:email-verify-resend").encode() in page.content


def test_a_verified_account_sees_no_banner(logged_in):
    assert b"data-verify-banner" not in logged_in.get(reverse("dashboard")).content


def test_the_banner_costs_no_query(browser, user, unverified_user):
    def queries(email):
        client = Client(enforce_csrf_checks=True)
        log_in(client, email)
        client.get(reverse("dashboard"))
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("dashboard"))
        assert page.status_code == 200
        return len(captured)

    # The banner reads the user row the top bar reads anyway.
    assert queries(unverified_user.email) == queries(user.email)


def test_the_banner_button_sends_the_link_again(browser, unverified_user):
    log_in(browser, unverified_user.email)

    response = form_post(
        browser,
        reverse("accounts:email-verify-resend"),
        {"next": reverse("shop:cart")},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("shop:cart")
    assert [m.to for m in mail.outbox] == [[unverified_user.email]]
    path, _ = link_in(mail.outbox[0])
    form_post(browser, path)
    unverified_user.refresh_from_db()
    assert unverified_user.email_is_verified
    assert b"data-verify-banner" not in browser.get(reverse("dashboard")).content


def test_sending_again_is_limited_per_account(browser, unverified_user, email_rates):
    log_in(browser, unverified_user.email)

    answers = [
        form_post(browser, reverse("accounts:email-verify-resend")).status_code
        for _ in range(3)
    ]
    api = api_post(browser, "api:email-verify-resend")

    assert answers == [302, 302, 429]
    assert api.status_code == 429
    assert api["Retry-After"]
    assert len(mail.outbox) == 2


def test_sending_again_is_limited_per_client_address(db, email_rates):
    users = [User.objects.create_user(f"u{n}@example.com", PASSWORD) for n in range(3)]
    answers = []
    for user in users:
        client = Client(enforce_csrf_checks=True)
        log_in(client, user.email)
        answers += [api_post(client, "api:email-verify-resend").status_code]
        if user is users[-1]:
            answers += [api_post(client, "api:email-verify-resend").status_code]

    assert answers == [202, 202, 202, 429]
    assert len(mail.outbox) == 3


def test_a_verified_account_is_sent_nothing(logged_in, user):
    response = api_post(logged_in, "api:email-verify-resend")

    assert response.status_code == 409
    assert response.json()["code"] == "already_verified"
    assert mail.outbox == []


def test_me_says_whether_the_address_is_verified(browser, app_client, unverified_user):
    log_in(browser, unverified_user.email)
    assert browser.get(reverse("api:me")).json()["email_verified"] is False

    unverified_user.email_verified_at = timezone.now()
    unverified_user.save()
    bearer = bearer_token(app_client, unverified_user.email)
    me = app_client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert me.json()["email_verified"] is True


# --- checkout -----------------------------------------------------------------


def test_an_unverified_account_cannot_check_out_on_the_page(browser, unverified_user):
    fill_cart(unverified_user)
    log_in(browser, unverified_user.email)
    browser.get(reverse("shop:cart"))

    response = form_post(browser, reverse("shop:checkout"))

    assert response.status_code == 403
    assert b"Confirm your email address" in response.content
    assert reverse("accounts:email-verify-resend").encode() in response.content
    assert not Order.objects.exists()
    assert unverified_user.cart.items.count() == 1


def test_an_unverified_account_cannot_check_out_in_the_api(app_client, unverified_user):
    fill_cart(unverified_user)
    bearer = bearer_token(app_client, unverified_user.email)

    response = app_client.post(
        reverse("api:checkout"), HTTP_AUTHORIZATION=f"Bearer {bearer}"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    assert "Confirm your email address" in response.json()["detail"]
    assert not Order.objects.exists()


def test_once_verified_the_same_account_checks_out(app_client, unverified_user):
    fill_cart(unverified_user)
    token = bearer_token(app_client, unverified_user.email)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert app_client.post(reverse("api:checkout"), **bearer).status_code == 403
    app_client.post(reverse("api:email-verify-resend"), **bearer)
    _, token = link_in(mail.outbox[-1])
    app_client.post(
        reverse("api:email-verify"), {"token": token}, content_type="application/json"
    )

    assert app_client.post(reverse("api:checkout"), **bearer).status_code == 201


# --- mandatory verification ---------------------------------------------------


@pytest.fixture
def mandatory(settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"


@pytest.mark.parametrize("door", ["api:token", "api:app-token"])
def test_mandatory_mode_refuses_an_unverified_login_with_no_tokens(
    mandatory, app_client, unverified_user, door
):
    response = app_client.post(
        reverse(door),
        {"email": unverified_user.email, "password": PASSWORD},
        content_type="application/json",
        **csrf_headers(app_client),
    )

    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    assert "open it, then log in" in response.json()["detail"]
    assert "access" not in response.json()
    assert auth_cookie(app_client, "access") is None
    assert auth_cookie(app_client, "refresh") is None
    assert [m.to for m in mail.outbox] == [[unverified_user.email]]


def test_mandatory_mode_login_page_sets_no_cookies_and_says_what_to_do(
    mandatory, browser, unverified_user
):
    browser.get(reverse("accounts:login"))
    response = form_post(
        browser,
        reverse("accounts:login"),
        {"email": unverified_user.email, "password": PASSWORD},
    )

    assert response.status_code == 200
    assert b"not verified yet" in response.content
    assert ACCESS not in response.cookies
    assert REFRESH not in response.cookies
    assert unverified_user.login_sessions.count() == 0
    # The link in that email verifies, and then the login works.
    path, _ = link_in(mail.outbox[-1])
    browser.get(path)
    form_post(browser, path)
    assert log_in(browser, unverified_user.email).status_code == 200


def test_mandatory_mode_a_wrong_password_says_only_that(
    mandatory, app_client, unverified_user
):
    response = app_client.post(
        reverse("api:token"),
        {"email": unverified_user.email, "password": "wrong password 1"},
        content_type="application/json",
        **csrf_headers(app_client),
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert mail.outbox == []


def test_mandatory_mode_sign_up_does_not_log_in(mandatory, browser, db):
    response = sign_up(browser)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert ACCESS not in response.cookies
    assert len(mail.outbox) == 1


def test_mandatory_mode_sign_up_answers_a_taken_address_as_a_free_one(
    mandatory, browser, user
):
    stranger = Client(enforce_csrf_checks=True)

    free = sign_up(browser, email="new@example.com")
    taken = sign_up(stranger, email=user.email.upper())

    # The same redirect, and the same words on the page it leads to.
    assert (taken.status_code, taken["Location"]) == (302, free["Location"])
    free_page, taken_page = (
        browser.get(free["Location"]),
        stranger.get(taken["Location"]),
    )
    assert b"Check your email" in free_page.content
    assert b"Check your email" in taken_page.content
    # The free address got its account and link; the owner of the taken one
    # a notice without a link, and their account is as it was.
    assert User.objects.filter(email__in=["new@example.com", user.email]).count() == 2
    to_free, to_owner = mail.outbox
    assert to_free.to == ["new@example.com"] and LINK.search(to_free.body)
    assert to_owner.to == [user.email]
    assert "already has an account" in to_owner.body
    assert not LINK.search(to_owner.body)
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_mandatory_mode_register_api_answers_a_taken_address_as_a_free_one(
    mandatory, app_client, user
):
    def register(email):
        return app_client.post(
            reverse("api:register"),
            {"email": email, "password": "another-Password-5678"},
            content_type="application/json",
        )

    free, taken = register("new@example.com"), register(user.email)

    assert free.status_code == taken.status_code == 202
    assert free.json().keys() == taken.json().keys() == {"detail", "email"}
    assert (
        free.json()["detail"].replace("new@example.com", user.email)
        == (taken.json()["detail"])
    )
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    assert [m.to for m in mail.outbox] == [["new@example.com"], [user.email]]


def test_optional_mode_sign_up_says_an_address_is_taken(browser, user):
    # It logs the new account in at once, so it cannot answer the same.
    response = sign_up(browser, email=user.email)

    assert response.status_code == 200
    assert b"already exists" in response.content
    assert mail.outbox == []


def test_mandatory_mode_lets_a_verified_account_log_in(mandatory, browser, user):
    assert log_in(browser, user.email).status_code == 200


def test_mandatory_mode_resends_within_the_limit(
    mandatory, app_client, unverified_user, email_rates
):
    for _ in range(4):
        app_client.post(
            reverse("api:app-token"),
            {"email": unverified_user.email, "password": PASSWORD},
            content_type="application/json",
        )

    assert len(mail.outbox) == 2


@pytest.mark.parametrize("value", ["required", "", "MANDATORY"])
def test_a_bad_verification_mode_fails_the_system_check(settings, value):
    settings.ACCOUNT_EMAIL_VERIFICATION = value

    with pytest.raises(SystemCheckError, match=r"accounts\.E001"):
        call_command("check")


@pytest.mark.parametrize("value", [0, -5, "soon"])
def test_a_bad_link_lifetime_fails_the_system_check(settings, value):
    settings.ACCOUNT_EMAIL_VERIFICATION_MAX_AGE = value

    with pytest.raises(SystemCheckError, match=r"accounts\.E002"):
        call_command("check")


def test_both_modes_pass_the_system_check(settings):
    for mode in ("optional", "mandatory"):
        settings.ACCOUNT_EMAIL_VERIFICATION = mode
        call_command("check")


# --- CSRF ---------------------------------------------------------------------


def test_every_email_endpoint_refuses_a_post_without_the_csrf_token(
    browser, unverified_user
):
    log_in(browser, unverified_user.email)
    change = email_tokens.make_token(
        user=unverified_user, purpose=email_tokens.CHANGE, email="m@example.com"
    )
    verify = email_tokens.make_token(
        user=unverified_user, purpose=email_tokens.VERIFY, email=unverified_user.email
    )
    forged = [
        (reverse("accounts:email-verify-resend"), {}),
        (
            reverse("accounts:email-change"),
            {"email": "m@example.com", "password": PASSWORD},
        ),
        (reverse("accounts:email-verify", args=(change,)), {}),
        (reverse("accounts:email-verify", args=(verify,)), {}),
    ]
    api = [
        (reverse("api:email-verify-resend"), {}),
        (reverse("api:email-change"), {"email": "m@example.com", "password": PASSWORD}),
        (reverse("api:email-verify"), {"token": change}),
    ]

    answers = [browser.post(url, data).status_code for url, data in forged]
    answers += [
        browser.post(url, data, content_type="application/json").status_code
        for url, data in api
    ]

    assert answers == [403] * len(answers)
    unverified_user.refresh_from_db()
    assert unverified_user.email == "carol@example.com"
    assert not unverified_user.email_is_verified
    assert mail.outbox == []


# --- the OpenAPI schema -------------------------------------------------------


def test_the_schema_documents_the_email_endpoints(client, db):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    paths = schema["paths"]

    for path in (
        "/api/email/verify/",
        "/api/email/verify/resend/",
        "/api/email/change/",
    ):
        assert "post" in paths[path], path
    user = schema["components"]["schemas"]["User"]
    assert user["properties"]["email_verified"]["type"] == "boolean"
    assert {} in paths["/api/email/verify/"]["post"]["security"]
    assert {} not in paths["/api/email/change/"]["post"]["security"]


# --- the admin ----------------------------------------------------------------


def test_the_admin_lists_and_filters_users_by_a_verified_address(
    browser, superuser, user, unverified_user
):
    log_in(browser, superuser.email)
    changelist = reverse("admin:accounts_user_changelist")

    unverified = browser.get(changelist, {"email_verified_at__isempty": "1"})
    verified = browser.get(changelist, {"email_verified_at__isempty": "0"})

    assert unverified.status_code == verified.status_code == 200
    assert unverified_user.email in unverified.content.decode()
    assert user.email not in unverified.content.decode()
    assert user.email in verified.content.decode()
    assert "Email verified at" in browser.get(changelist).content.decode()
