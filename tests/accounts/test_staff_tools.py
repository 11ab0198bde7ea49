"""Staff tools for accounts: read the security log, set a user's password."""

from django.urls import reverse

from accounts.models import SecurityEvent
from tests.helpers.clients import admin_post, log_in


def test_the_security_log_is_read_only_and_searchable(browser, superuser, user):
    log_in(browser, user.email)
    log_in(browser, superuser.email)
    url = reverse("admin:accounts_securityevent_changelist")

    page = browser.get(url, {"q": user.email})
    event = SecurityEvent.objects.filter(user=user).first()

    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert b"securityevent/add/" not in page.content
    assert b"to view" in page.content
    change = browser.get(
        reverse("admin:accounts_securityevent_change", args=[event.pk])
    )
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert (
        browser.get(
            reverse("admin:accounts_securityevent_delete", args=[event.pk])
        ).status_code
        == 403
    )


def test_staff_setting_a_password_ends_the_users_sessions(browser, superuser, user):
    from django.test import Client

    victim = Client()
    log_in(victim, user.email)
    log_in(browser, superuser.email)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    browser.get(url)

    admin_post(
        browser,
        url,
        {
            "password1": "set by staff 12345",
            "password2": "set by staff 12345",
            "set_usable_password": "true",
        },
    )

    assert victim.get(reverse("api:me")).status_code == 401
