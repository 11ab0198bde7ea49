"""Time every row in one process: the WSGI app called directly, best of N.

Run by `python -m bench` in a child process whose environment names the
settings (bench.settings), a fresh SQLite file and, for the Redis run, the
cache. Writes the results as JSON to the path given on the command line.
"""

import cProfile
import gc
import io
import json
import math
import pstats
import random
import sys
import time
from decimal import Decimal

PASSWORD = "bench-Password-1234"  # a throwaway user in a throwaway database
EMAIL = "bench@example.com"
CART_ITEMS = 3
GROWN_CART_ITEMS = 30
ROUNDS = 11
BATCH_SECONDS = 0.04
SLOW_ROUNDS = 6  # login and the bare hash: each call takes tens of ms
# Paired measurement of the steady state: each pair is one call of the floor
# and one of the row, back to back, in alternating order.
PAIRED_ROWS = ("cookie", "bearer", "session", "simplejwt", "stateless")
PAIRS = 6000
PAIRS_PER_BLOCK = 100
PROFILED_REQUESTS = 2000


class WSGIClient:
    """Call the Django WSGI application directly, with a hand-built environ."""

    def __init__(self, app):
        self.app = app
        from wsgiref.util import setup_testing_defaults

        self.base = {}
        setup_testing_defaults(self.base)

    def environ(self, method, path, *, cookies=None, headers=None, body=b"", ctype=""):
        """Return an environ template; `call` copies it for each request."""
        env = dict(self.base)
        env.update(
            REQUEST_METHOD=method,
            PATH_INFO=path,
            QUERY_STRING="",
            CONTENT_LENGTH=str(len(body)),
            CONTENT_TYPE=ctype,
            HTTP_ACCEPT="application/json",
        )
        if cookies:
            env["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        for name, value in (headers or {}).items():
            env["HTTP_" + name.upper().replace("-", "_")] = value
        env["bench.body"] = body
        return env

    def call(self, template):
        env = dict(template)
        env["wsgi.input"] = io.BytesIO(template["bench.body"])
        answer = []

        def start_response(status, headers, exc_info=None):
            answer[:] = [int(status[:3]), headers]

        result = self.app(env, start_response)
        try:
            body = b"".join(result)
        finally:
            result.close()
        return answer[0], answer[1], body


def set_cookie_value(headers, name):
    """Return the value a response sets for cookie `name` (cheap, no parser)."""
    prefix = name + "="
    for header, value in headers:
        # Django writes each cookie as " name=value; attributes".
        value = value.lstrip()
        if header == "Set-Cookie" and value.startswith(prefix):
            return value[len(prefix) : value.index(";")]
    raise AssertionError(f"no {name} cookie was set")


def seed():
    """Create the bench user, three products in their cart, and the cache table."""
    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import User
    from shop.models import Cart, Product

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    user = User.objects.create_user(email=EMAIL, password=PASSWORD)
    assert user.pk == settings.BENCH_USER_ID, "the bench database is not fresh"
    products = [
        Product.objects.create(
            name=f"Product {n}", slug=f"product-{n}", price=Decimal("9.99"), stock=1000
        )
        for n in range(GROWN_CART_ITEMS)
    ]
    cart = Cart.objects.create(user=user)
    for product in products[:CART_ITEMS]:
        cart.add(product, 2)
    return user, cart, products


class Bench:
    def __init__(self, client, user):
        from django.conf import settings

        self.client = client
        self.user = user
        self.access_cookie = settings.JWT_COOKIE_ACCESS_NAME
        self.refresh_cookie = settings.JWT_COOKIE_REFRESH_NAME
        self.csrf_cookie = settings.CSRF_COOKIE_NAME
        status, headers, _ = client.call(client.environ("GET", "/api/csrf/"))
        assert status == 200, status
        self.csrf = set_cookie_value(headers, self.csrf_cookie)

    def app_login(self):
        """Log in as an app does; return (access, refresh) of a new session."""
        status, _, body = self.client.call(self.login_environ())
        assert status == 200, (status, body)
        data = json.loads(body)
        return data["access"], data["refresh"]

    def login_environ(self, *, browser=False):
        body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
        if browser:
            return self.client.environ(
                "POST",
                "/api/token/",
                cookies={self.csrf_cookie: self.csrf},
                headers={"X-CSRFToken": self.csrf},
                body=body,
                ctype="application/json",
            )
        return self.client.environ(
            "POST", "/api/app/token/", body=body, ctype="application/json"
        )

    def get(self, path, **kwargs):
        template = self.client.environ("GET", path, **kwargs)
        call = self.client.call

        def request():
            status, _, body = call(template)
            if status != 200:
                raise AssertionError(f"GET {path}: {status} {body[:200]!r}")

        return request

    def rows(self):
        """Return {key: (label, callable)}, one call of each is one request."""
        import jwt
        from django.conf import settings
        from django.contrib.auth.hashers import check_password
        from django.contrib.sessions.backends.db import SessionStore
        from django.http import HttpResponse
        from rest_framework_simplejwt.tokens import AccessToken as StockAccessToken

        from jwt_sessions.middleware import forbid_caching, vary_with_credentials
        from jwt_sessions.session_state import active_session_user_id
        from jwt_sessions.tokens import AccessToken, verified_access_token

        client = self.client
        access, _refresh = self.app_login()
        stock_access = str(StockAccessToken.for_user(self.user))
        session = SessionStore()
        session["_auth_user_id"] = str(self.user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = self.user.get_session_auth_hash()
        session.create()
        self.credentials = {
            "access": access,
            "stock_access": stock_access,
            "session_key": session.session_key,
            "access_cookie": self.access_cookie,
            "session_cookie": settings.SESSION_COOKIE_NAME,
        }
        rows = {
            "anonymous": (
                "Floor: the same view, a fixed in-memory user, no authentication",
                self.get("/anonymous/cart/"),
            ),
            "cookie": (
                "Ours: access cookie",
                self.get("/ours/cart/", cookies={self.access_cookie: access}),
            ),
            "bearer": (
                "Ours: Bearer token",
                self.get("/ours/cart/", headers={"Authorization": f"Bearer {access}"}),
            ),
            "session": (
                "Django session auth (SessionAuthentication)",
                self.get(
                    "/peer-session/cart/",
                    cookies={settings.SESSION_COOKIE_NAME: session.session_key},
                ),
            ),
            "simplejwt": (
                "SimpleJWT JWTAuthentication (stock)",
                self.get(
                    "/peer-simplejwt/cart/",
                    headers={"Authorization": f"Bearer {stock_access}"},
                ),
            ),
            "stateless": (
                "SimpleJWT JWTStatelessUserAuthentication",
                self.get(
                    "/peer-stateless/cart/",
                    headers={"Authorization": f"Bearer {stock_access}"},
                ),
            ),
            "silent_refresh": (
                "Silent refresh: cart GET with only the refresh cookie",
                self.silent_refresh(),
            ),
            "refresh_then_get": (
                "Explicit POST /api/token/refresh/, then the cart GET",
                self.cookie_refresh(then_get=True),
            ),
            "cookie_refresh": (
                "POST /api/token/refresh/ (cookies)",
                self.cookie_refresh(),
            ),
            "app_refresh": ("POST /api/app/token/refresh/ (body)", self.app_refresh()),
        }
        key = settings.JWT_SIGNING_KEY
        audience = settings.JWT_AUDIENCE
        issuer = settings.JWT_ISSUER
        rows["pyjwt"] = (
            "Bare PyJWT decode of our access token (HS256, aud, iss)",
            lambda: jwt.decode(
                access, key, algorithms=["HS256"], audience=audience, issuer=issuer
            ),
        )
        rows["verify"] = (
            "Ours: AccessToken(raw) verification",
            lambda: AccessToken(access),
        )
        sid = AccessToken(access)["sid"]
        rows["session_check"] = (
            "Ours: session check alone (steady state: this process's memory)",
            lambda: active_session_user_id(sid),
        )
        rows["memo"] = (
            "Ours: a token seen before (verified-token memo hit)",
            lambda: verified_access_token(access),
        )

        def no_store_headers():
            response = HttpResponse()
            forbid_caching(response)
            vary_with_credentials(response)

        rows["no_store"] = (
            "Ours: no-store and Vary headers of a credentialed response",
            no_store_headers,
        )
        rows["stock_verify"] = (
            "SimpleJWT stock AccessToken(raw) verification",
            lambda: StockAccessToken(stock_access),
        )
        encoded = self.user.password
        browser_login = self.login_environ(browser=True)
        app_login = self.login_environ()

        def login(template):
            def request():
                status, _, body = client.call(template)
                if status != 200:
                    raise AssertionError(f"login: {status} {body[:200]!r}")

            return request

        rows["login_browser"] = (
            "Login POST /api/token/ (cookies)",
            login(browser_login),
        )
        rows["login_app"] = ("Login POST /api/app/token/ (body)", login(app_login))
        rows["hash"] = (
            "Argon2 check_password alone",
            lambda: check_password(PASSWORD, encoded),
        )
        return rows

    def silent_refresh(self):
        client = self.client
        _, refresh = self.app_login()
        state = {"refresh": refresh}

        def request():
            template = client.environ(
                "GET", "/ours/cart/", cookies={self.refresh_cookie: state["refresh"]}
            )
            status, headers, body = client.call(template)
            if status != 200:
                raise AssertionError(f"silent refresh: {status} {body[:200]!r}")
            state["refresh"] = set_cookie_value(headers, self.refresh_cookie)

        return request

    def cookie_refresh(self, *, then_get=False):
        client = self.client
        _, refresh = self.app_login()
        state = {"refresh": refresh}

        def request():
            template = client.environ(
                "POST",
                "/api/token/refresh/",
                cookies={
                    self.refresh_cookie: state["refresh"],
                    self.csrf_cookie: self.csrf,
                },
                headers={"X-CSRFToken": self.csrf},
            )
            status, headers, body = client.call(template)
            if status != 200:
                raise AssertionError(f"cookie refresh: {status} {body[:200]!r}")
            state["refresh"] = set_cookie_value(headers, self.refresh_cookie)
            if then_get:
                access = set_cookie_value(headers, self.access_cookie)
                template = client.environ(
                    "GET", "/ours/cart/", cookies={self.access_cookie: access}
                )
                status, _, body = client.call(template)
                if status != 200:
                    raise AssertionError(f"cart after refresh: {status}")

        return request

    def app_refresh(self):
        client = self.client
        _, refresh = self.app_login()
        state = {"refresh": refresh}

        def request():
            template = client.environ(
                "POST",
                "/api/app/token/refresh/",
                body=json.dumps({"refresh": state["refresh"]}).encode(),
                ctype="application/json",
            )
            status, _, body = client.call(template)
            if status != 200:
                raise AssertionError(f"app refresh: {status} {body[:200]!r}")
            state["refresh"] = json.loads(body)["refresh"]

        return request


def calibrate(fn):
    """Return how many calls make a batch of about BATCH_SECONDS."""
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    return max(1, min(2000, round(BATCH_SECONDS / max(once, 1e-7))))


def time_batch(fn, n):
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        return (time.perf_counter_ns() - start) / n / 1000
    finally:
        gc.enable()


def measure(rows):
    """Return {key: best µs per call}, rows interleaved in a shuffled order."""
    slow = {"login_browser", "login_app", "hash"}
    for _label, fn in rows.values():
        for _ in range(3):
            fn()  # warm up: caches, connections, imports
    sizes = {key: calibrate(fn) for key, (_label, fn) in rows.items()}
    for key in slow:
        sizes[key] = 1
    best = {key: float("inf") for key in rows}
    order = list(rows)
    shuffler = random.Random(9)
    for round_number in range(ROUNDS):
        shuffler.shuffle(order)
        for key in order:
            if key in slow and round_number >= SLOW_ROUNDS:
                continue
            best[key] = min(best[key], time_batch(rows[key][1], sizes[key]))
    return best


def paired_extras(rows, keys=PAIRED_ROWS, *, pairs=PAIRS):
    """Return {key: what one request of the row adds to the floor, in µs}.

    Whole requests differ by a few µs while two runs of the same row differ
    by up to about 100 µs (the machine's load moves), so each row is timed
    against the floor in pairs: one call of each, back to back, the floor
    first in every other pair, with the rows interleaved in blocks. A load
    change then touches both halves of a pair alike. The answer is the
    median of the pairs' differences, with the distribution-free 95%
    confidence interval of that median (order statistics of the sorted
    differences).
    """
    floor = rows["anonymous"][1]
    differences = {key: [] for key in keys}
    clock = time.perf_counter_ns
    order = list(keys)
    shuffler = random.Random(15)
    for _block in range(math.ceil(pairs / PAIRS_PER_BLOCK)):
        shuffler.shuffle(order)
        for key in order:
            fn = rows[key][1]
            out = differences[key]
            gc.collect()
            gc.disable()
            try:
                for number in range(PAIRS_PER_BLOCK):
                    if number % 2:
                        start = clock()
                        floor()
                        middle = clock()
                        fn()
                        out.append((clock() - middle) - (middle - start))
                    else:
                        start = clock()
                        fn()
                        middle = clock()
                        floor()
                        out.append((middle - start) - (clock() - middle))
            finally:
                gc.enable()
    return {key: median_with_interval(values) for key, values in differences.items()}


def median_with_interval(values_ns):
    """Return the median in µs and its 95% confidence interval, as a dict."""
    values = sorted(values_ns)
    n = len(values)
    half_width = 1.96 * math.sqrt(n) / 2
    low = max(0, math.floor(n / 2 - half_width))
    high = min(n - 1, math.ceil(n / 2 + half_width))
    return {
        "median": values[n // 2] / 1000,
        "low": values[low] / 1000,
        "high": values[high] / 1000,
        "pairs": n,
    }


# Where the profiler's time of each function is charged, by the module that
# defines it; the first prefix that matches wins.
PROFILE_PARTS = (
    ("jwt_sessions/tokens.py", "token: the verified-token memo"),
    ("jwt/", "token: the verified-token memo"),
    ("jwt_sessions/session_state.py", "session state: memory and revocation feed"),
    ("jwt_sessions/revocation_feed.py", "session state: memory and revocation feed"),
    ("redis/", "session state: memory and revocation feed"),
    ("_socket.socket", "session state: memory and revocation feed"),
    ("sqlite3", "session state: memory and revocation feed"),
    ("jwt_sessions/authentication.py", "cookie or header read, TokenUser"),
    ("jwt_sessions/middleware.py", "middleware: what the response gets"),
    ("jwt_sessions/cookies.py", "middleware: what the response gets"),
    ("django/utils/cache.py", "response headers: no-store and Vary"),
    ("django/utils/http.py", "response headers: no-store and Vary"),
    ("django/http/response.py", "response headers: no-store and Vary"),
    ("rest_framework/authentication.py", "DRF: the authentication step"),
    ("rest_framework/request.py", "DRF: the authentication step"),
    ("rest_framework/permissions.py", "DRF: the authentication step"),
    ("django/utils/functional.py", "lazy objects (request.user, TokenUser)"),
    ("django/http/request.py", "request: cookies and headers parsed"),
    ("http/cookies.py", "request: cookies and headers parsed"),
    ("django/http/cookie.py", "request: cookies and headers parsed"),
)
OTHER_PART = "everything else (view, ORM, rendering: the same for both)"


def profile_extra(rows, key="cookie", *, requests=PROFILED_REQUESTS):
    """Return {part: profiled µs per request that `key` adds to the floor}.

    Two profilers, one for the floor and one for the row, each switched on
    for its own calls only, the calls alternating as in the pairs: a change
    of load falls on both alike. Per function, the row's own time minus the
    floor's is charged to the part of the code that defines it. The
    profiler adds to every function call, so the parts are shown scaled to
    the paired measurement as well as raw.
    """
    floor, fn = rows["anonymous"][1], rows[key][1]
    floor_profile, row_profile = cProfile.Profile(), cProfile.Profile()
    gc.collect()
    gc.disable()
    try:
        for _ in range(requests):
            floor_profile.enable()
            floor()
            floor_profile.disable()
            row_profile.enable()
            fn()
            row_profile.disable()
    finally:
        gc.enable()

    def per_part(profiler):
        parts, calls = {}, {}
        for (filename, _line, name), stats in pstats.Stats(profiler).stats.items():
            _cc, ncalls, tottime, _cumtime, _callers = stats
            # A built-in has no file ("~"): its name says whose it is
            # ("<method 'sendall' of '_socket.socket' objects>").
            where = f"{filename} {name}"
            part = next(
                (label for prefix, label in PROFILE_PARTS if prefix in where),
                OTHER_PART,
            )
            parts[part] = parts.get(part, 0.0) + tottime * 1e6 / requests
            calls[part] = calls.get(part, 0) + ncalls / requests
        return parts, calls

    floor_parts, floor_calls = per_part(floor_profile)
    row_parts, row_calls = per_part(row_profile)
    labels = dict.fromkeys(label for _prefix, label in PROFILE_PARTS)
    labels[OTHER_PART] = None
    return {
        label: {
            "us": row_parts.get(label, 0.0) - floor_parts.get(label, 0.0),
            "calls": row_calls.get(label, 0) - floor_calls.get(label, 0),
        }
        for label in labels
    }


def count_queries(rows):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for key, (_label, fn) in rows.items():
        # Once first: the steady state is a request right after another of
        # its kind (a process re-asks what it remembers after a second, and
        # the rows before may have written, which on SQLite it hears of).
        fn()
        with CaptureQueriesContext(connection) as captured:
            fn()
        counts[key] = {
            "queries": len(captured),
            "user_queries": sum(
                'FROM "accounts_user"' in query["sql"]
                for query in captured.captured_queries
            ),
        }
    return counts


def growth_queries(bench, cart, products):
    """Count the queries of GET /api/cart/ and /shop/cart/ at 3 and 30 items."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    access, _ = bench.app_login()
    pages = {"api": "/api/cart/", "page": "/shop/cart/"}
    counts = {}
    for size in (CART_ITEMS, GROWN_CART_ITEMS):
        for product in products[cart.items.count() : size]:
            cart.add(product, 1)
        for name, path in pages.items():
            request = bench.get(path, cookies={bench.access_cookie: access})
            # Twice: on SQLite the first one's own write to the cache table
            # is a commit the process then hears of, and forgets.
            request()
            request()
            with CaptureQueriesContext(connection) as captured:
                request()
            counts[f"{name}_{size}"] = len(captured)
    return counts


def main(out_path):
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    user, cart, products = seed()
    bench = Bench(WSGIClient(get_wsgi_application()), user)
    rows = bench.rows()
    best = measure(rows)
    paired = paired_extras(rows)
    profile = profile_extra(rows)
    queries = count_queries(rows)
    result = {
        "paired": paired,
        "profile": profile,
        "rows": {
            key: {"label": label, "us": best[key], **queries[key]}
            for key, (label, _fn) in rows.items()
        },
        "growth": growth_queries(bench, cart, products),
        "credentials": bench.credentials,
    }
    with open(out_path, "w") as fh:
        json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
