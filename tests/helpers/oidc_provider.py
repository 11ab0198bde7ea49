"""A real OpenID Connect provider for the tests: oidc-provider-mock, in a thread.

It serves discovery, its JWKS, an authorization form and a token endpoint
on a free port of 127.0.0.1 (plain http on a loopback host, which
OIDC_PROVIDERS accepts). Tests tell it who signs in (PUT /users/<sub>) and
post its form with requests, as a person would; `sign` makes ID tokens with
its own private key, for the attacks whose token a real provider would not
issue.
"""

import threading
import time
from contextlib import contextmanager
from urllib.parse import quote, urlsplit

import flask
import oidc_provider_mock
import requests
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "authsite-tests"
CLIENT_SECRET = "not-a-secret"


class MockProvider:
    def __init__(self, server, app):
        self.server = server
        self.app = app
        self.issuer = f"http://127.0.0.1:{server.server_port}"
        with app.test_request_context():
            app.preprocess_request()
            jwk = flask.g.oidc_provider_mock_storage.jwk
        self.private_key = RSAKey.import_key(jwk.as_dict(is_private=True))
        self.kid = self.private_key.kid

    def settings_entry(self, **changes) -> dict:
        """The OIDC_PROVIDERS entry for this provider, as a site would set it."""
        return {
            "id": "acme",
            "name": "Acme",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": "openid email profile",
            **changes,
        }

    def set_user(self, sub: str, **claims) -> None:
        """Say what the provider knows of the person `sub` (email, email_verified)."""
        response = requests.put(
            f"{self.issuer}/users/{quote(sub, safe='')}", json=claims, timeout=5
        )
        assert response.status_code == 204, response.text

    def authorize(self, authorization_url: str, sub: str, *, deny=False) -> str:
        """Sign in at the provider's form as `sub`; return where it sends back."""
        assert authorization_url.startswith(self.issuer + "/"), authorization_url
        form = {"action": "deny"} if deny else {"sub": sub}
        response = requests.post(
            authorization_url, data=form, allow_redirects=False, timeout=5
        )
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def sign(self, claims: dict, *, header=None, key=None) -> str:
        """Return a JWT of `claims` signed with this provider's key (RS256)."""
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(
            {"alg": "RS256", "kid": self.kid, **(header or {})},
            payload,
            key or self.private_key,
        )

    def id_token_for(self, sub: str, *, client_id: str, nonce: str) -> str:
        """Get a real ID token for `client_id`, through the provider's code flow."""
        redirect_uri = "http://app.example/callback"
        location = self.authorize(
            f"{self.issuer}/oauth2/authorize?"
            + "&".join(
                f"{k}={quote(v, safe='')}"
                for k, v in {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "scope": "openid email profile",
                    "nonce": nonce,
                    "state": "app",
                }.items()
            ),
            sub,
        )
        code = dict(part.split("=", 1) for part in urlsplit(location).query.split("&"))[
            "code"
        ]
        response = requests.post(
            f"{self.issuer}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
            },
            auth=(client_id, "any"),
            timeout=5,
        )
        assert response.status_code == 200, response.text
        return response.json()["id_token"]


@contextmanager
def running_provider():
    """Run oidc-provider-mock on a free port until the block ends."""
    app = oidc_provider_mock.app()
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        yield MockProvider(server, app)
    finally:
        server.shutdown()
        thread.join(2)
        server.server_close()
