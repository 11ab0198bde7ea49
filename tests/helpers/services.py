"""Registered services as the tests need them: through the real command."""

import base64
from dataclasses import dataclass
from io import StringIO

import jwt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from registered_services.models import RegisteredService


@dataclass
class Registered:
    name: str
    client_id: str
    client_secret: str

    @property
    def service(self) -> RegisteredService:
        return RegisteredService.objects.get(client_id=self.client_id)

    @property
    def basic(self) -> dict:
        """The HTTP Basic header of its credentials, for the test client."""
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(pair).decode()}


def register_service(name: str, *args) -> str:
    """Run `manage.py register_service NAME ARGS`; return its stdout."""
    stdout = StringIO()
    call_command("register_service", name, *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def registered(name: str, audience: str, events_url: str = "") -> Registered:
    """Register a service; return its credentials as the command printed them."""
    args = ["--audience", audience]
    if events_url:
        args += ["--events-url", events_url]
    lines = register_service(name, *args).splitlines()
    values = dict(line.split(": ", 1) for line in lines)
    return Registered(name, values["client_id"], values["client_secret"])


def verify_event(raw: str, *, audience: str) -> dict:
    """Verify a pushed SET as a service does: by the site's JWKS alone."""
    header = jwt.get_unverified_header(raw)
    jwks = Client().get(reverse("jwks")).json()
    jwk = next(key for key in jwks["keys"] if key["kid"] == header["kid"])
    claims = jwt.decode(
        raw,
        jwt.PyJWK(jwk).key,
        algorithms=[jwk["alg"]],
        audience=audience,
        issuer="authsite",
        options={"require": ["iss", "aud", "iat", "jti"]},
    )
    return {"header": header, **claims}
