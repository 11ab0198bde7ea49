"""The dashboard: only for a logged-in user, whom it greets with the session's end."""

from django.urls import reverse


def test_dashboard_sends_anonymous_visitors_to_login_with_next(browser, db):
    response = browser.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/dashboard/"


def test_dashboard_welcomes_the_user_and_says_when_the_session_expires(logged_in, user):
    response = logged_in.get(reverse("dashboard"))

    assert response.status_code == 200
    assert b"Welcome, alice@example.com" in response.content
    assert b"Session expires" in response.content
    assert response.context["session"].user == user
    assert "no-store" in response["Cache-Control"]
