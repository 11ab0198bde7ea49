"""What a server process does before its first request (authsite/serving.py)."""

import pytest

from tests.helpers.subprocesses import run_django

# Django, every app and every view make well over this many objects.
OBJECTS_AT_START = 50_000


@pytest.mark.parametrize("module", ["authsite.wsgi", "authsite.asgi"])
def test_loading_the_application_imports_every_view_and_freezes_what_lives_for_ever(
    tmp_path, module
):
    result = run_django(
        {"DJANGO_LOCAL_SECRETS_FILE": str(tmp_path / "s.json")},
        f"import {module}, gc, sys; "
        "print(gc.get_freeze_count(), 'shop.api' in sys.modules, "
        "'accounts.views' in sys.modules)",
    )

    assert result.returncode == 0, result.stderr
    frozen, shop_api, account_views = result.stdout.split()
    # A full garbage collection no longer scans them (each took about 70 ms
    # while a request waited), and no first request pays for the imports.
    assert int(frozen) > OBJECTS_AT_START
    assert (shop_api, account_views) == ("True", "True")
