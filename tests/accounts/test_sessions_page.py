"""The sessions page: every session with its device, the security log, ending them."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from jwt_sessions.tokens import AccessToken
from tests.helpers.clients import auth_cookie, csrf_headers, second_browser
from tests.helpers.clock import seconds_later

ACCESS = settings.JWT_COOKIE_ACCESS_NAME


def test_sessions_page_lists_sessions_with_this_device_and_events(logged_in, user):
    browser_b = second_browser(user)
    Client().post(
        reverse("api:app-token"),
        {"email": user.email, "password": "wrong"},
        content_type="application/json",
    )

    page = logged_in.get(reverse("accounts:sessions"))

    assert page.status_code == 200
    assert len(page.context["sessions"]) == 2
    assert page.content.count(b"This device") == 1
    assert b"Firefox on Windows" in page.content
    assert b"Someone tried to log in to this account with a wrong password." in (
        page.content
    )
    assert b"Log out everywhere else" in page.content
    assert browser_b.get(reverse("accounts:sessions")).status_code == 200


def test_each_session_has_a_button_that_says_what_it_does(logged_in, user):
    second_browser(user)

    page = logged_in.get(reverse("accounts:sessions")).content.decode()

    assert page.count('">End this session<span class="visually-hidden">: ') == 2
    assert ": Firefox on Windows, started " in page
    assert ", this device, started " in page
    assert '<th scope="col"><span class="visually-hidden">Actions</span></th>' in page
    assert '<th scope="col"></th>' not in page


def test_last_active_says_just_now_then_how_long_ago(logged_in, user):
    second_browser(user)

    now = logged_in.get(reverse("accounts:sessions")).content.decode()
    with seconds_later(3 * 60 + 5):
        later = logged_in.get(reverse("accounts:sessions")).content.decode()

    assert now.count(">just now</time>") == 2
    assert "0\xa0minutes" not in now and "0 minutes" not in now
    assert later.count(">3\xa0minutes ago</time>") == 2


def test_security_events_name_the_device(logged_in, user):
    second_browser(user)  # logs in with Firefox on Windows

    page = logged_in.get(reverse("accounts:sessions")).content.decode()

    events = page[page.index('<table class="table events">') :]
    assert '<td data-label="Device">Firefox on Windows</td>' in events
    assert "Mozilla/5.0" not in events


def test_sessions_page_ends_another_session(logged_in, user):
    other = second_browser(user)
    other_sid = AccessToken(auth_cookie(other, "access"))["sid"]

    response = logged_in.post(
        reverse("accounts:session-end", args=[other_sid]), **csrf_headers(logged_in)
    )

    assert response["Location"] == reverse("accounts:sessions")
    assert other.get(reverse("dashboard")).status_code == 302
    assert logged_in.get(reverse("dashboard")).status_code == 200


def test_sessions_page_ends_everything_else(logged_in, user):
    others = [second_browser(user), second_browser(user)]

    logged_in.post(reverse("accounts:sessions-end-others"), **csrf_headers(logged_in))

    assert [c.get(reverse("api:me")).status_code for c in others] == [401, 401]
    assert logged_in.get(reverse("api:me")).status_code == 200


def test_sessions_page_ends_everything(logged_in, user):
    other = second_browser(user)

    response = logged_in.post(
        reverse("accounts:sessions-end-all"), **csrf_headers(logged_in)
    )

    assert response.cookies[ACCESS].value == ""
    assert logged_in.get(reverse("api:me")).status_code == 401
    assert other.get(reverse("api:me")).status_code == 401


def test_sessions_page_posts_need_csrf(logged_in, user):
    other = second_browser(user)

    response = logged_in.post(reverse("accounts:sessions-end-others"))

    assert response.status_code == 403
    assert other.get(reverse("api:me")).status_code == 200
