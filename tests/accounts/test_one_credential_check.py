"""The login form and the API ask one credential check and only translate it."""

import ast
from pathlib import Path

from django.test import Client
from django.urls import reverse

from accounts.credentials import INVALID_LOGIN

ACCOUNTS = Path(__file__).resolve().parents[2] / "accounts"


def imports_of(module: str) -> set[str]:
    tree = ast.parse((ACCOUNTS / f"{module}.py").read_text())
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }


def test_serializers_and_forms_share_the_check_and_not_each_other():
    assert "credentials" in imports_of("serializers")
    assert "credentials" in imports_of("forms")
    assert "forms" not in imports_of("serializers")
    # Neither calls authenticate() itself.
    for module in ("serializers", "forms"):
        assert "authenticate(" not in (ACCOUNTS / f"{module}.py").read_text()


def test_a_wrong_password_reads_the_same_on_the_page_and_in_the_api(user):
    page = Client().post(
        reverse("accounts:login"), {"email": user.email, "password": "wrong 1234"}
    )
    api = Client().post(
        reverse("api:app-token"),
        {"email": user.email, "password": "wrong 1234"},
        content_type="application/json",
    )

    assert str(INVALID_LOGIN) in page.content.decode()
    assert api.status_code == 401
    assert api.json() == {"detail": str(INVALID_LOGIN), "code": "invalid_credentials"}
