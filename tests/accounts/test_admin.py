"""The Django admin on the JWT cookie: same login page, staff only."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.helpers.clients import PASSWORD, auth_cookie, log_in
from tests.helpers.second_factor import next_code


def form_post(client, url, data):
    return client.post(
        url,
        {
            **data,
            "csrfmiddlewaretoken": client.cookies[settings.CSRF_COOKIE_NAME].value,
        },
    )


def test_admin_sends_anonymous_visitors_to_the_site_login_with_next(browser, db):
    response = browser.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('accounts:login')}?next=/admin/"
    assert b'name="email"' in response.content


def test_staff_logs_in_through_the_site_login_and_lands_in_the_admin(
    browser, staff_user
):
    browser.get(f"{reverse('accounts:login')}?next=/admin/")
    response = form_post(
        browser,
        reverse("accounts:login"),
        {"email": staff_user.email, "password": PASSWORD, "next": "/admin/"},
    )

    # Staff have an authenticator app: the code, then the admin.
    assert response["Location"] == reverse("mfa:login-step")
    response = form_post(
        browser, reverse("mfa:login-step"), {"code": next_code(staff_user)}
    )
    assert response["Location"] == "/admin/"
    page = browser.get("/admin/")
    assert page.status_code == 200
    assert b"Site administration" in page.content


def test_admin_post_forms_work_on_the_jwt_cookie(browser, superuser, user):
    log_in(browser, superuser.email)
    change_url = reverse("admin:accounts_user_change", args=[user.pk])
    page = browser.get(change_url)
    assert page.status_code == 200

    response = form_post(
        browser,
        change_url,
        {
            "email": user.email,
            "is_active": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.is_active is False


def test_admin_post_without_csrf_token_is_refused(browser, superuser, user):
    log_in(browser, superuser.email)

    response = browser.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {"email": user.email, "is_active": ""},
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.is_active is True


def test_admin_can_change_a_password_without_a_server_session(browser, superuser, user):
    log_in(browser, superuser.email)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    browser.get(url)

    response = form_post(
        browser,
        url,
        {
            "password1": "a brand new passphrase 7",
            "password2": "a brand new passphrase 7",
            "set_usable_password": "true",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase 7")


def test_admin_add_user_form_works(browser, superuser):
    log_in(browser, superuser.email)
    url = reverse("admin:accounts_user_add")
    browser.get(url)

    response = form_post(
        browser,
        url,
        {
            "email": "Carol@Example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 302
    assert User.objects.filter(email="carol@example.com").exists()


def test_a_logged_in_non_staff_user_is_not_admitted(logged_in):
    response = logged_in.get(reverse("admin:index"), follow=True)

    assert response.status_code == 403
    assert b"The admin is for staff only" in response.content
    assert logged_in.get(reverse("admin:accounts_user_changelist")).status_code != 200


def test_admin_logout_logs_out_of_the_whole_site(browser, staff_user):
    log_in(browser, staff_user.email)

    response = form_post(browser, reverse("admin:logout"), {})

    assert response.status_code == 302
    assert auth_cookie(browser, "access") is None
    assert browser.get(reverse("admin:index")).status_code == 302


def test_the_admins_own_password_change_ends_every_other_session(browser, superuser):
    elsewhere = Client(enforce_csrf_checks=True)
    log_in(elsewhere, superuser.email)
    log_in(browser, superuser.email)
    url = reverse("admin:password_change")
    browser.get(url)

    response = form_post(
        browser,
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 7",
            "new_password2": "a brand new passphrase 7",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    superuser.refresh_from_db()
    assert superuser.check_password("a brand new passphrase 7")
    assert elsewhere.get(reverse("api:me")).status_code == 401
    assert browser.get(reverse("api:me")).status_code == 200


def test_the_admin_is_named_after_the_site(browser, staff_user):
    log_in(browser, staff_user.email)

    page = browser.get(reverse("admin:index")).content.decode()

    assert '<a href="/admin/">authsite administration</a>' in page
    assert "<title>Site administration | authsite admin</title>" in page
    assert "Django" not in page
