"""A new password ends the user's sessions on every path that saves it.

The password pages do it through their services; these tests take the other
paths (manage.py changepassword, a shell, a data migration's historical
model) and check that the old cookies and Bearer tokens are refused at once.
"""

import io

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent, User
from jwt_sessions.models import Session
from tests.helpers.clients import log_in

NEW_PASSWORD = "an entirely new passphrase 77"


def is_logged_in(client) -> bool:
    return client.get(reverse("api:me")).status_code == 200


@pytest.fixture
def victim(user):
    """A browser and an app of `user`, both logged in."""
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, user.email)
    app = Client()
    response = app.post(
        reverse("api:app-token"),
        {"email": user.email, "password": "correct horse battery staple 42"},
        content_type="application/json",
    )
    app.defaults["HTTP_AUTHORIZATION"] = f"Bearer {response.json()['access']}"
    assert is_logged_in(browser)
    assert is_logged_in(app)
    return browser, app


def assert_sessions_ended(user, victim):
    browser, app = victim
    assert not is_logged_in(browser)
    assert not is_logged_in(app)
    assert not Session.objects.active().filter(user=user).exists()
    assert set(Session.objects.values_list("revoked_reason", flat=True)) == {
        Session.RevokeReason.PASSWORD_CHANGED
    }
    assert SecurityEvent.objects.filter(
        user=user, type=SecurityEvent.Type.PASSWORD_CHANGED
    ).exists()


def test_changepassword_command_ends_every_session(user, victim, monkeypatch):
    # The command reads the new password from the terminal; the terminal is
    # the outside world here.
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", user.email, stdout=io.StringIO())

    assert_sessions_ended(user, victim)
    assert (
        Client()
        .post(
            reverse("api:app-token"),
            {"email": user.email, "password": NEW_PASSWORD},
            content_type="application/json",
        )
        .status_code
        == 200
    )


def test_set_password_and_save_in_a_shell_ends_every_session(user, victim):
    shell_user = User.objects.get(email=user.email)
    shell_user.set_password(NEW_PASSWORD)
    shell_user.save()

    assert_sessions_ended(user, victim)


def test_assigning_a_password_hash_and_saving_ends_every_session(user, victim):
    shell_user = User.objects.get(pk=user.pk)
    shell_user.password = make_password(NEW_PASSWORD)
    shell_user.save(update_fields=["password"])

    assert_sessions_ended(user, victim)


def test_saving_an_instance_not_read_from_the_database_ends_every_session(user, victim):
    # No row was loaded, so the hook reads the stored hash to compare.
    User(
        pk=user.pk,
        email=user.email,
        password=make_password(NEW_PASSWORD),
        date_joined=user.date_joined,
    ).save()

    assert_sessions_ended(user, victim)


def test_a_data_migrations_historical_model_ends_every_session(user, victim):
    apps = MigrationExecutor(connection).loader.project_state().apps
    HistoricalUser = apps.get_model("accounts", "User")
    historical = HistoricalUser.objects.get(pk=user.pk)
    historical.password = make_password(NEW_PASSWORD)
    historical.save()

    assert_sessions_ended(user, victim)


def test_saving_the_same_password_hash_keeps_the_sessions(user, victim):
    shell_user = User.objects.get(pk=user.pk)
    shell_user.email = "alice.renamed@example.com"
    shell_user.save()
    User.objects.get(pk=user.pk).save()

    browser, app = victim
    assert is_logged_in(browser)
    assert is_logged_in(app)
    assert not SecurityEvent.objects.filter(
        type=SecurityEvent.Type.PASSWORD_CHANGED
    ).exists()


def test_saving_other_fields_reads_no_password(user, django_assert_num_queries):
    loaded = User.objects.get(pk=user.pk)
    # One UPDATE: the stored hash was remembered when the row was loaded.
    with django_assert_num_queries(1):
        loaded.save()
    with django_assert_num_queries(1):
        loaded.save(update_fields=["last_login"])


def test_a_second_save_after_a_change_ends_nothing_more(user, victim):
    shell_user = User.objects.get(pk=user.pk)
    shell_user.set_password(NEW_PASSWORD)
    shell_user.save()
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, user.email, NEW_PASSWORD)

    shell_user.save()

    assert is_logged_in(browser)
