"""Use the tokens db-made-by-<commit>.json keeps, through the API; print the answers.

Run in a checkout (the code under test), with the environment of the JSON's
`env` and DATABASE_URL naming a copy of its database:

    python tests/jwt_sessions/data/use_the_kept_tokens.py db-made-by-db7776f.json

It prints one JSON object: for each step, the status code and what the answer
says. It asks only for URLs and settings, so it runs alike on the code that
made the database and on today's: the fixture can be shown to be live before
the move, and alive after it.
"""

import json
import os
import sys
from pathlib import Path


def use_the_kept_tokens(facts: dict) -> dict:
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    import jwt
    from django.conf import settings
    from django.test import Client

    logins = facts["logins"]

    def answer(response) -> dict:
        result = {"status": response.status_code}
        if not response.get("Content-Type", "").startswith("application/json"):
            return result
        body = response.json()
        # Whose account, or why not; and the new pair of a refresh.
        for name in ("email", "code", "access", "refresh"):
            if name in body:
                result[name] = body[name]
        return result

    def me(access: str) -> dict:
        return answer(Client().get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {access}"))

    def app_refresh(refresh: str) -> dict:
        return answer(
            Client().post(
                "/api/app/token/refresh/",
                {"refresh": refresh},
                content_type="application/json",
            )
        )

    def claims(token: str) -> dict:
        # Which session and token it is; the site has checked it already.
        return jwt.decode(token, options={"verify_signature": False})

    steps = {}
    app = logins["app"]
    steps["app: kept access on /api/me/"] = me(app["access"])
    refreshed = app_refresh(app["refresh"])
    steps["app: refresh"] = refreshed
    if "access" in refreshed:
        steps["app: new access on /api/me/"] = me(refreshed["access"])
    steps["app refreshed once: refresh"] = app_refresh(
        logins["app_refreshed_once"]["refresh"]
    )
    logged_out = logins["app_logged_out"]
    steps["app logged out: refresh"] = app_refresh(logged_out["refresh"])
    steps["app logged out: kept access on /api/me/"] = me(logged_out["access"])

    browser = Client(enforce_csrf_checks=True)
    browser.cookies[settings.JWT_COOKIE_REFRESH_NAME] = logins["browser"]["refresh"]
    browser.get("/api/csrf/")
    cookie_refresh = browser.post(
        "/api/token/refresh/",
        HTTP_X_CSRFTOKEN=browser.cookies[settings.CSRF_COOKIE_NAME].value,
    )
    steps["browser: refresh"] = {
        "status": cookie_refresh.status_code,
        "refresh": cookie_refresh.cookies[settings.JWT_COOKIE_REFRESH_NAME].value
        if settings.JWT_COOKIE_REFRESH_NAME in cookie_refresh.cookies
        else None,
    }
    steps["browser: /api/me/ with the new cookies"] = answer(browser.get("/api/me/"))

    # Tokens out, their claims in: what the caller compares is which session
    # each new token belongs to and which jti its session now expects.
    for step in steps.values():
        for name in ("access", "refresh"):
            if step.get(name):
                token = step.pop(name)
                step[f"{name}_sid"] = claims(token)["sid"]
                step[f"{name}_jti"] = claims(token)["jti"]
    return steps


if __name__ == "__main__":
    facts = json.loads(Path(sys.argv[1]).read_text())
    json.dump(use_the_kept_tokens(facts), sys.stdout, indent=2)
