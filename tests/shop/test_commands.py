"""seed_demo: the demo users and a shop full of products, safe to run twice."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from shop.models import Product


def test_seed_demo_is_idempotent_and_resets_products(db, settings, capsys):
    settings.DEBUG = True  # as on a developer's machine
    call_command("seed_demo")
    Product.objects.filter(slug="enamel-camp-mug").update(stock=0, price="1.00")

    call_command("seed_demo")

    out = capsys.readouterr().out
    assert "demo@example.com / demo-password-2026" in out
    assert "staff@example.com / staff-password-2026" in out
    assert Product.objects.active().count() == 12
    mug = Product.objects.get(slug="enamel-camp-mug")
    assert (mug.stock, str(mug.price)) == (40, "14.00")
    assert User.objects.get(email="staff@example.com").is_staff
    assert User.objects.get(email="demo@example.com").check_password(
        "demo-password-2026"
    )


def test_seed_demo_refuses_without_debug_unless_forced(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Product.objects.exists()

    call_command("seed_demo", force=True)
    assert Product.objects.count() == 12
