"""A key retired in an emergency ends its sessions for a reason of their own."""

import re

from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent
from jwt_sessions.models import Session
from tests.helpers.clients import log_in
from tests.helpers.key_files import generate_key, jwt_keys, use_key_file


def test_an_emergency_retirement_says_the_key_ended_the_session(
    settings, tmp_path, user
):
    use_key_file(settings, tmp_path, "EdDSA")
    leaked = generate_key()
    browser = Client()
    log_in(browser, user.email)

    jwt_keys("retire", leaked, "--emergency")

    ended = Session.objects.get(user=user)
    assert ended.revoked_reason == Session.RevokeReason.KEY_RETIRED
    assert ended.revoked_reason != Session.RevokeReason.ADMIN
    event = SecurityEvent.objects.get(
        user=user, session=ended, type=SecurityEvent.Type.SESSION_REVOKED
    )
    assert f"the key that signed it ({leaked}) was retired" in event.sentence
    # Its browser's tokens no longer verify, so nothing in them (which
    # session, why it ended) is believed: it is simply asked to log in.
    page = browser.get(reverse("dashboard"), follow=True)
    shown = re.findall(r'<li class="[a-z ]*">(.*?)</li>', page.content.decode())
    assert page.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert shown == ["Log in to see that page."]


def test_staff_ending_a_session_is_still_the_admin_reason(user, staff_user):
    from jwt_sessions import services

    log_in(Client(), user.email)
    session = Session.objects.get(user=user)

    services.end_session(
        user=user, session_id=session.pk, reason=Session.RevokeReason.ADMIN
    )

    session.refresh_from_db()
    assert session.revoked_reason == Session.RevokeReason.ADMIN
