"""System checks refuse a short signing key and host cookies that are not Secure."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_a_short_hmac_signing_key_fails_the_system_check(settings):
    settings.JWT_SIGNING_KEY = "x" * 31

    with pytest.raises(SystemCheckError, match=r"jwt_sessions\.E001"):
        call_command("check")


def test_a_32_byte_signing_key_passes_the_system_check(settings):
    settings.JWT_SIGNING_KEY = "x" * 32

    call_command("check")


def test_host_prefixed_cookies_without_secure_fail_the_system_check(settings):
    settings.JWT_COOKIE_SECURE = False

    with pytest.raises(SystemCheckError, match=r"jwt_sessions\.E003"):
        call_command("check")
