"""A fake authsite for the verifier's tests: JWKS, poll and introspection.

A real HTTP server on a loopback port (http.server in a thread) that signs
access tokens and SETs with PyJWT exactly as the contract between the site
and a service describes (docs: /work/briefs/issue18-interface.md, README
"Other services").
"""

import base64
import contextlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from authsite_verifier import SESSION_REVOKED

ISSUER = "authsite"
AUDIENCE = "inventory"
OTHER_AUDIENCE = "orders"
CLIENT_ID = "svc_inventory"
CLIENT_SECRET = "inventory-secret"


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(kid, private_key):
    jwk = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
    return {**jwk, "kid": kid, "alg": "ES256", "use": "sig"}


class FakeIssuer:
    """The site, as far as a service sees it."""

    def __init__(self):
        self.keys = {}  # kid -> private key, all published
        self.active_kid = None
        self.rotate()
        self.events = []  # (seq, jti, compact), the retained ones
        self.seq = 0
        self.revoked_sids = set()
        self.poll_mode = "ok"  # or "fail" (500) or "stall" (hangs)
        self.page_size = None  # None: the client's limit
        self.hits = {"jwks": 0, "events": 0, "introspect": 0}
        self.stalled = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def close(self):
        self.stalled.set()
        self._server.shutdown()
        self._server.server_close()

    # -- keys --

    def rotate(self):
        """Publish a new key and sign with it from now on; return its kid."""
        kid = uuid.uuid4().hex[:16]
        self.keys[kid] = new_key()
        self.active_kid = kid
        return kid

    def jwks(self):
        return {"keys": [public_jwk(kid, key) for kid, key in self.keys.items()]}

    # -- tokens --

    def mint(self, *, sid="", user_id="42", aud=AUDIENCE, lifetime=300, **claims):
        """Return an access token as the site mints it for a service."""
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": aud,
            "exp": now + lifetime,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "token_type": "access",
            "user_id": user_id,
            "sid": str(uuid.uuid4()) if sid == "" else sid,
            "auth_time": now,
            "amr": ["pwd"],
            "acr": "1",
        }
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        return self.sign(payload, typ="JWT")

    def sign(self, payload, *, typ, kid=None, key=None, headers=None):
        kid = kid or self.active_kid
        header = {"kid": kid, "typ": typ, **(headers or {})}
        return jwt.encode(
            payload, key or self.keys[kid], algorithm="ES256", headers=header
        )

    def sign_raw(self, payload, *, typ):
        """Sign any JSON payload (PyJWT's encode checks claims; attackers don't)."""
        header = {"kid": self.active_kid, "typ": typ}
        if not isinstance(payload, bytes):
            payload = json.dumps(payload).encode()
        return jwt.PyJWS().encode(
            payload,
            self.keys[self.active_kid],
            algorithm="ES256",
            headers=header,
        )

    # -- events --

    def event_claims(self, sid, *, seq, aud=AUDIENCE, jti=None, sub="42"):
        now = int(time.time())
        return {
            "iss": ISSUER,
            "aud": aud,
            "iat": now,
            "jti": jti or uuid.uuid4().hex,
            "seq": seq,
            "sid": sid,
            "sub": sub,
            "sub_id": {
                "format": "complex",
                "session": {"format": "opaque", "id": sid},
                "user": {"format": "opaque", "id": sub},
            },
            "events": {
                SESSION_REVOKED: {
                    "event_timestamp": now,
                    "initiating_entity": "user",
                    "reason_admin": {"en": "Logged out"},
                }
            },
        }

    def revoke(self, sid):
        """End a session: queue its event (retained for the poll); return the SET."""
        with self._lock:
            self.revoked_sids.add(sid)
            self.seq += 1
            claims = self.event_claims(sid, seq=self.seq)
            compact = self.sign(claims, typ="secevent+jwt")
            self.events.append((self.seq, claims["jti"], compact))
            return compact

    def poll_page(self, after, limit):
        with self._lock:
            limit = min(limit, self.page_size or limit)
            later = [event for event in self.events if event[0] > after]
            page = later[:limit]
            return {
                "sets": {jti: compact for _, jti, compact in page},
                "moreAvailable": len(later) > limit,
                "last": self.seq,
            }

    def introspect(self, token):
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys[header["kid"]].public_key()
            claims = jwt.decode(token, key, algorithms=["ES256"], audience=AUDIENCE)
        except (jwt.PyJWTError, KeyError):
            return {"active": False}
        if claims.get("sid") in self.revoked_sids:
            return {"active": False}
        return {"active": True, **claims, "sub": claims["user_id"]}


def _handler(issuer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _client_ok(self):
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode())
            if self.headers.get("Authorization", "") == "Basic " + expected.decode():
                return True
            self._answer(401, {"error": "invalid_client", "error_description": "No."})
            return False

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/.well-known/jwks.json":
                issuer.hits["jwks"] += 1
                self._answer(200, issuer.jwks())
            elif url.path == "/api/events/":
                issuer.hits["events"] += 1
                if not self._client_ok():
                    return
                if issuer.poll_mode == "fail":
                    self._answer(500, {"error": "server_error"})
                    return
                if issuer.poll_mode == "stall":
                    issuer.stalled.wait(10)
                    with contextlib.suppress(OSError):
                        self._answer(503, {})
                    return
                query = parse_qs(url.query)
                after = int(query.get("after", ["0"])[0])
                limit = int(query.get("limit", ["100"])[0])
                self._answer(200, issuer.poll_page(after, limit))
            else:
                self._answer(404, {})

        def do_POST(self):
            if urlsplit(self.path).path != "/api/introspect/":
                self._answer(404, {})
                return
            issuer.hits["introspect"] += 1
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            if not self._client_ok():
                return
            if "token" not in form:
                self._answer(400, {"error": "invalid_request"})
                return
            self._answer(200, issuer.introspect(form["token"][0]))

    return Handler


def wait_until(predicate, timeout=5.0):
    """Wait for another thread (the poller) to make `predicate` true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the poller")
        time.sleep(0.01)
