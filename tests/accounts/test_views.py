"""The HTML pages: sign up, log in, log out, the reset link."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import User
from jwt_sessions.tokens import RefreshToken
from tests.helpers.clients import PASSWORD, auth_cookie, log_in

ACCESS = settings.JWT_COOKIE_ACCESS_NAME
REFRESH = settings.JWT_COOKIE_REFRESH_NAME


def form_token(client):
    """Load the login page as a browser would, and return its CSRF token."""
    client.get(reverse("accounts:login"))
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def post_form(client, url, data):
    return client.post(url, {**data, "csrfmiddlewaretoken": form_token(client)})


def test_signup_creates_user_logs_in_and_redirects_to_dashboard(browser, db):
    response = post_form(
        browser,
        reverse("accounts:signup"),
        {"email": "New@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get()
    assert user.email == "new@example.com"
    assert user.check_password(PASSWORD)
    assert response.cookies[ACCESS].value and response.cookies[REFRESH].value
    page = browser.get(reverse("dashboard"))
    assert page.status_code == 200
    assert b"new@example.com" in page.content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"password1": PASSWORD, "password2": PASSWORD}, "email", "required"),
        (
            {"email": "a@b.co", "password1": "12345678", "password2": "12345678"},
            "password2",
            "too common",
        ),
        (
            {"email": "a@b.co", "password1": PASSWORD, "password2": PASSWORD + "x"},
            "password2",
            "match",
        ),
        (
            {
                "email": "ALICE@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
            "email",
            "already exists",
        ),
    ],
)
def test_signup_shows_field_errors_and_creates_nothing(
    browser, user, data, field, message
):
    response = post_form(browser, reverse("accounts:signup"), data)

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert User.objects.count() == 1
    assert ACCESS not in response.cookies


def test_login_form_posts_email_and_password(browser, db):
    page = browser.get(reverse("accounts:login"))

    assert b'name="email"' in page.content
    assert b'name="password"' in page.content
    assert b'autocomplete="current-password"' in page.content


def test_login_sets_cookies_and_redirects_to_dashboard(browser, user):
    response = post_form(
        browser,
        reverse("accounts:login"),
        {"email": "Alice@Example.com", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert auth_cookie(browser, "access")
    user.refresh_from_db()
    assert user.last_login is not None


def test_login_redirects_to_a_safe_next(browser, user):
    response = post_form(
        browser,
        reverse("accounts:login"),
        {"email": user.email, "password": PASSWORD, "next": "/api/me/?format=json"},
    )

    assert response["Location"] == "/api/me/?format=json"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "https://testserver.evil.example/",
    ],
)
def test_login_refuses_an_open_redirect_through_next(browser, user, next_url):
    response = post_form(
        browser,
        reverse("accounts:login"),
        {"email": user.email, "password": PASSWORD, "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_login_page_passes_next_on_to_the_signup_page_and_back(browser, db):
    chosen = "/shop/products/mug/?quantity=3"

    login = browser.get(reverse("accounts:login"), {"next": chosen})
    signup = browser.get(reverse("accounts:signup"), {"next": chosen})

    encoded = "/shop/products/mug/%3Fquantity%3D3"
    assert f'href="{reverse("accounts:signup")}?next={encoded}"' in login.text
    assert f'name="next" value="{chosen}"' in signup.text
    assert f'href="{reverse("accounts:login")}?next={encoded}"' in signup.text


def test_signup_page_drops_a_next_that_leaves_the_site(browser, db):
    page = browser.get(reverse("accounts:signup"), {"next": "https://evil.example/"})

    assert "evil.example" not in page.text


def test_signup_goes_on_to_a_safe_next(browser, db):
    response = post_form(
        browser,
        reverse("accounts:signup"),
        {
            "email": "new@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": "/shop/products/mug/?quantity=3",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/shop/products/mug/?quantity=3"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"],
)
def test_signup_refuses_an_open_redirect_through_next(browser, db, next_url):
    response = post_form(
        browser,
        reverse("accounts:signup"),
        {
            "email": "new@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": next_url,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


@pytest.mark.parametrize(
    "data",
    [
        {"email": "alice@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "inactive@example.com", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-email", "inactive"],
)
def test_failed_login_rerenders_one_generic_message_and_sets_no_cookie(
    browser, user, data
):
    User.objects.create_user("inactive@example.com", PASSWORD, is_active=False)

    response = post_form(browser, reverse("accounts:login"), data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "That email and password do not match an active account. "
        "Check both and try again."
    ]
    assert ACCESS not in response.cookies and REFRESH not in response.cookies


def test_logout_get_asks_for_confirmation_and_changes_nothing(logged_in):
    response = logged_in.get(reverse("accounts:logout"))

    assert response.status_code == 200
    assert b"Log out?" in response.content
    assert ACCESS not in response.cookies
    assert not BlacklistedToken.objects.exists()
    assert logged_in.get(reverse("dashboard")).status_code == 200


def test_logout_blacklists_refresh_token_deletes_cookies_and_redirects_home(
    logged_in,
):
    refresh = auth_cookie(logged_in, "refresh")
    token = logged_in.cookies[settings.CSRF_COOKIE_NAME].value

    response = logged_in.post(
        reverse("accounts:logout"), {"csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert BlacklistedToken.objects.filter(
        token__jti=RefreshToken(refresh)["jti"]
    ).exists()
    assert auth_cookie(logged_in, "access") is None
    assert logged_in.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize("url_name", ["home", "accounts:login", "accounts:signup"])
def test_garbage_cookies_never_block_public_pages(browser, db, url_name):
    browser.cookies[ACCESS] = "not.a.jwt"
    browser.cookies[REFRESH] = "x" * 5000

    response = browser.get(reverse(url_name))

    assert response.status_code == 200
    # The useless cookies are cleared so they stop riding along.
    assert response.cookies[ACCESS].value == ""


def test_login_works_with_a_stale_cookie_present(browser, user):
    browser.cookies[ACCESS] = "stale"
    browser.cookies[REFRESH] = "stale"

    response = post_form(
        browser, reverse("accounts:login"), {"email": user.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert auth_cookie(browser, "access") not in (None, "stale")


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("accounts:login", {"email": "alice@example.com", "password": PASSWORD}),
        (
            "accounts:signup",
            {"email": "c@example.com", "password1": PASSWORD, "password2": PASSWORD},
        ),
        ("accounts:logout", {}),
    ],
)
def test_html_forms_refuse_a_post_without_csrf_token(browser, user, url_name, data):
    log_in(browser, user.email)

    response = browser.post(reverse(url_name), data)

    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert ACCESS not in response.cookies
    assert User.objects.count() == 1
    assert not BlacklistedToken.objects.exists()


@pytest.mark.parametrize("link", ["valid", "used or forged"])
def test_reset_link_pages_send_no_referer_to_other_sites_but_let_forms_post(
    browser, user, link
):
    token = default_token_generator.make_token(user)
    if link != "valid":
        token = token[:-1] + ("0" if token[-1] != "0" else "1")
    url = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
    )

    page = browser.get(url)
    answer = post_form(browser, url, {"new_password1": "x", "new_password2": "x"})

    assert (b"<h1>Choose a new password</h1>" in page.content) is (link == "valid")
    # "same-origin": the URL (and its token) never goes to another site in
    # a Referer, and the form's POST still carries the page's real Origin.
    # "no-referrer" would make Chromium send "Origin: null", which CSRF
    # refuses (tests/e2e/test_password_journeys.py walks it in Chromium).
    assert page["Referrer-Policy"] == "same-origin"
    assert answer.status_code == 200
    assert answer["Referrer-Policy"] == "same-origin"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- pages that explain themselves ----------------------------------------------


def messages_of(page) -> list[str]:
    """Return the texts of the messages a page shows."""
    return re.findall(r'<li class="[a-z ]*">(.*?)</li>', page.content.decode())


def login_links(page) -> list[str]:
    """Return where the page's "Log in" links lead."""
    return re.findall(
        r'<a href="(/accounts/login/[^"]*)">Log in</a>', page.content.decode()
    )


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/accounts/sessions/",
        "/accounts/password/change/",
        "/shop/cart/",
        "/shop/orders/",
        "/admin/",
    ],
)
def test_a_page_that_needs_a_login_sends_there_and_says_why(browser, db, url):
    page = browser.get(url, follow=True)

    assert page.redirect_chain[-1][0] == f"{reverse('accounts:login')}?next={url}"
    assert messages_of(page) == ["Log in to see that page."]
    # Said once.
    assert not messages_of(browser.get(page.redirect_chain[-1][0]))


def test_opening_the_login_page_with_next_says_nothing(browser, db):
    page = browser.get(f"{reverse('accounts:login')}?next=/shop/orders/")

    assert not messages_of(page)


def test_a_refused_form_says_nothing_about_seeing_a_page(browser, db):
    form_token(browser)
    page = post_form(browser, reverse("accounts:sessions-end-others"), {})

    assert page.status_code == 302
    assert not messages_of(browser.get(page["Location"]))


@pytest.mark.parametrize(
    ("url", "login"),
    [
        ("/", "/accounts/login/?next=/"),
        ("/?page=1", "/accounts/login/?next=/%3Fpage%3D1"),
        ("/no/such/page/", "/accounts/login/?next=/no/such/page/"),
        ("/accounts/login/?next=/shop/orders/", "/accounts/login/?next=/shop/orders/"),
        ("/accounts/login/", "/accounts/login/"),
        ("/accounts/signup/", "/accounts/login/"),
        ("/accounts/logout/", "/accounts/login/"),
        ("/accounts/password/reset/", "/accounts/login/"),
        ("/accounts/password/reset/sent/", "/accounts/login/"),
        ("/accounts/reset/done/", "/accounts/login/"),
    ],
)
def test_the_top_bar_log_in_link_comes_back_to_the_page(browser, db, url, login):
    page = browser.get(url)

    assert login_links(page)[0] == login


def test_the_reset_link_page_never_puts_its_token_in_a_link(browser, user):
    token = default_token_generator.make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))

    page = browser.get(reverse("accounts:password_reset_confirm", args=(uid, token)))

    assert page.status_code == 200
    assert login_links(page) == ["/accounts/login/"]
    assert page.content.decode().count(token) == 0


@pytest.mark.parametrize("url", ["/accounts/login/?next=/shop/", "/accounts/signup/"])
def test_the_login_and_signup_pages_say_who_is_logged_in_already(logged_in, url):
    page = logged_in.get(url).content.decode()

    assert "You are already logged in as <strong>alice@example.com</strong>." in page
    assert '<a href="/dashboard/" class="button">Go to your dashboard</a>' in page
    assert f'<input type="hidden" name="next" value="{url}">' in page
    assert page.count('action="/accounts/logout/"') == 2  # and the top bar's
