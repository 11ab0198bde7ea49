"""Staff tools for sessions: revoke from the admin, the token records, purge."""

from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from jwt_sessions.models import Session
from tests.helpers.clients import admin_post, csrf_headers, log_in


def test_staff_revokes_a_users_session_from_the_admin(browser, superuser, user):
    from django.test import Client

    victim = Client()
    log_in(victim, user.email)
    session = Session.objects.get(user=user)
    log_in(browser, superuser.email)
    changelist = reverse("admin:jwt_sessions_session_changelist")
    assert user.email.encode() in browser.get(changelist).content

    response = admin_post(
        browser,
        changelist,
        {"action": "revoke_sessions", "_selected_action": [str(session.pk)]},
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.revoked_reason == Session.RevokeReason.ADMIN
    assert victim.get(reverse("api:me")).status_code == 401


def test_token_records_are_read_only_and_say_which_are_blacklisted(
    browser, superuser, user
):
    from django.test import Client

    owner = Client()
    log_in(owner, user.email)
    first = Session.objects.get(user=user).refresh_jti
    owner.post(reverse("api:token-refresh"), **csrf_headers(owner))
    second = Session.objects.get(user=user).refresh_jti
    log_in(browser, superuser.email)
    record = OutstandingToken.objects.get(jti=first)

    listing = browser.get(
        reverse("admin:token_blacklist_outstandingtoken_changelist"), {"q": user.email}
    )
    change = browser.get(
        reverse("admin:token_blacklist_outstandingtoken_change", args=[record.pk])
    )

    assert listing.status_code == change.status_code == 200
    rows = {row.jti: row for row in listing.context["cl"].result_list}
    assert set(rows) == {first, second}
    model_admin = listing.context["cl"].model_admin
    assert model_admin.blacklisted(rows[first])
    assert not model_admin.blacklisted(rows[second])
    assert b'name="_save"' not in change.content
    for action in ("add", "delete"):
        args = [] if action == "add" else [record.pk]
        url = reverse(f"admin:token_blacklist_outstandingtoken_{action}", args=args)
        assert browser.get(url).status_code == 403
    # Blacklist entries are shown with their record, never edited on their own.
    assert not admin.site.is_registered(BlacklistedToken)


def test_purge_removes_expired_sessions_and_tokens_only(browser, user, capsys):
    log_in(browser, user.email)
    old = Session.objects.get()
    Session.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    OutstandingToken.objects.filter(jti=old.refresh_jti).update(
        expires_at=timezone.now()
    )
    log_in(browser, user.email)

    call_command("purge_expired_sessions")

    assert list(Session.objects.values_list("pk", flat=True)) != [old.pk]
    assert Session.objects.count() == 1
    assert OutstandingToken.objects.count() == 1
    assert "Deleted 1 expired session(s) and 1 expired token record(s)." in (
        capsys.readouterr().out
    )
    assert browser.get(reverse("api:me")).status_code == 200
