"""The security log records each event on the account it concerns."""

from django.urls import reverse

from accounts.models import SecurityEvent, User

Event = SecurityEvent.Type


def test_a_failed_login_is_recorded_on_the_targeted_account(app_client, user):
    app_client.post(
        reverse("api:app-token"),
        {"email": "ALICE@example.com", "password": "nope"},
        content_type="application/json",
    )

    event = SecurityEvent.objects.get(type=Event.LOGIN_FAILED)
    assert event.user == user
    assert User.objects.count() == 1
