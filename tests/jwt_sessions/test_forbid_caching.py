"""The quick no-store headers are exactly Django's add_never_cache_headers()."""

import pytest
import time_machine
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from jwt_sessions.middleware import forbid_caching, vary_with_credentials


@time_machine.travel("2026-12-01 12:00:00", tick=False)
def test_a_response_without_cache_headers_gets_djangos_exact_headers():
    ours, djangos = HttpResponse(), HttpResponse()

    forbid_caching(ours)
    add_never_cache_headers(djangos)

    assert dict(ours.headers) == dict(djangos.headers)


@time_machine.travel("2026-12-01 12:00:00", tick=False)
def test_a_response_with_cache_headers_is_merged_as_django_merges():
    ours, djangos = HttpResponse(), HttpResponse()
    for response in (ours, djangos):
        response["Cache-Control"] = "public, max-age=300"

    forbid_caching(ours)
    add_never_cache_headers(djangos)

    assert dict(ours.headers) == dict(djangos.headers)
    assert "no-store" in ours["Cache-Control"]


@pytest.mark.parametrize("vary", [None, "Accept", "Accept, Cookie", "*"])
def test_vary_is_what_patch_vary_headers_makes_of_it(vary):
    ours, djangos = HttpResponse(), HttpResponse()
    if vary is not None:
        ours["Vary"] = djangos["Vary"] = vary

    vary_with_credentials(ours)
    patch_vary_headers(djangos, ("Cookie", "Authorization"))

    assert ours.get("Vary") == djangos.get("Vary")
