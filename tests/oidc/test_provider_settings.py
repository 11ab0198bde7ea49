"""OIDC_PROVIDERS: from the environment, and refused at start-up when unusable."""

import json

import pytest

from oidc import checks
from tests.helpers.subprocesses import run_django

GOOD = {
    "id": "acme",
    "name": "Acme",
    "issuer": "https://id.acme.example",
    "client_id": "authsite",
    "client_secret": "s3cret",
    "scopes": "openid email profile",
}


def check_ids(settings, providers):
    settings.OIDC_PROVIDERS = providers
    return [error.id for error in checks.check_oidc_providers(None)]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"issuer": "http://localhost:9400"}, []),
        ({"issuer": "http://127.0.0.1:9400"}, []),
        ({"issuer": "http://[::1]:9400"}, []),
        ({"issuer": "http://id.acme.example"}, ["oidc.E004"]),
        ({"issuer": "http://10.0.0.5"}, ["oidc.E004"]),
        ({"issuer": "ftp://id.acme.example"}, ["oidc.E004"]),
        ({"issuer": "https://id.acme.example/?x=1"}, ["oidc.E004"]),
        ({"client_id": ""}, ["oidc.E002"]),
        ({"name": None}, ["oidc.E002"]),
        ({"id": "Not A Slug"}, ["oidc.E003"]),
        ({"scopes": "email profile"}, ["oidc.E005"]),
    ],
)
def test_each_provider_entry_is_checked(settings, changes, expected):
    entry = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    assert check_ids(settings, [entry]) == expected


def test_two_providers_cannot_share_an_id(settings):
    assert check_ids(settings, [GOOD, GOOD]) == ["oidc.E003"]


def test_a_setting_that_is_not_a_list_of_objects_is_refused(settings):
    assert check_ids(settings, {"id": "acme"}) == ["oidc.E001"]
    assert check_ids(settings, ["acme"]) == ["oidc.E001"]


def test_the_message_says_what_to_change(settings):
    settings.OIDC_PROVIDERS = [{**GOOD, "issuer": "http://id.acme.example"}]
    (error,) = checks.check_oidc_providers(None)
    assert "plain http" in error.msg
    assert "https://" in error.hint


def test_the_providers_come_from_the_environment_as_json():
    result = run_django(
        {"OIDC_PROVIDERS": json.dumps([GOOD])},
        "from oidc import app_settings; print(app_settings.provider('acme').issuer)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://id.acme.example"


def test_providers_that_are_not_json_stop_the_start():
    result = run_django({"OIDC_PROVIDERS": "[{id: acme}]"})
    assert result.returncode != 0
    assert "OIDC_PROVIDERS must be a JSON list of providers" in result.stderr
