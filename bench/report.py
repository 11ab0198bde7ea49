"""Render the results of `python -m bench` as docs/BENCHMARKS.md."""

REQUEST_ROWS = (
    "anonymous",
    "cookie",
    "bearer",
    "session",
    "simplejwt",
    "stateless",
    "silent_refresh",
    "refresh_then_get",
    "cookie_refresh",
    "app_refresh",
    "login_browser",
    "login_app",
)
OTHER_ROWS = (
    "hash",
    "pyjwt",
    "verify",
    "stock_verify",
    "memo",
    "session_check",
    "no_store",
)
# Issue 15: a steady-state authenticated request adds at most this much over
# the floor, and at most this share of what stock SimpleJWT adds.
STEADY_EXTRA_US = 25
STEADY_SHARE_OF_STOCK = 0.1
REVOCATION_LIMIT_MS = 50
VERIFY_LIMIT = 1.3  # times a bare PyJWT decode
LOGIN_LIMIT = 0.10  # of the Argon2 check

RUN_TITLES = {
    "db": "Default configuration: session state in Django's database cache",
    "redis": "With REDIS_URL: session state in Redis",
}


def fmt(us: float) -> str:
    return f"{us:,.0f}" if us >= 100 else f"{us:,.1f}"


def table(run: dict) -> str:
    rows = run["rows"]
    anon = rows["anonymous"]
    lines = [
        "| Row | µs / request | extra µs over the floor | ratio to the floor "
        "| queries / request |",
        "|---|---:|---:|---:|---:|",
    ]
    for key in REQUEST_ROWS:
        row = rows[key]
        extra = row["us"] - anon["us"]
        lines.append(
            f"| {row['label']} | {fmt(row['us'])} | {extra:+,.0f} "
            f"| {row['us'] / anon['us']:.2f} | {row['queries']} |"
        )
    for key in OTHER_ROWS:
        row = rows[key]
        lines.append(
            f"| {row['label']} | {fmt(row['us'])} | n/a "
            f"| {row['us'] / anon['us']:.3f} | {row['queries']} |"
        )
    return "\n".join(lines)


PAIRED_LABELS = {
    "cookie": "Ours: access cookie",
    "bearer": "Ours: Bearer token",
    "session": "Django session auth (SessionAuthentication)",
    "simplejwt": "SimpleJWT JWTAuthentication (stock)",
    "stateless": "SimpleJWT JWTStatelessUserAuthentication",
}


def paired_table(run: dict) -> str:
    lines = [
        "| Row | extra µs over the floor (median of the pairs) | 95% interval "
        "| pairs |",
        "|---|---:|---:|---:|",
    ]
    for key, label in PAIRED_LABELS.items():
        row = run["paired"][key]
        lines.append(
            f"| {label} | {row['median']:+,.1f} | {row['low']:+,.1f} to "
            f"{row['high']:+,.1f} | {row['pairs']:,} |"
        )
    return "\n".join(lines)


def profile_table(run: dict) -> str:
    """Say which part of the code the steady-state cookie request's extra is."""
    parts = run["profile"]
    measured = run["paired"]["cookie"]["median"]
    profiled = sum(part["us"] for part in parts.values())
    lines = [
        "| Part of the code | function calls added | µs added under cProfile "
        "| share | µs of the measured extra |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, part in parts.items():
        share = part["us"] / profiled if profiled else 0.0
        lines.append(
            f"| {label} | {part['calls']:+.0f} | {part['us']:+.1f} | {share:.0%} "
            f"| {share * measured:+.1f} |"
        )
    lines.append(
        f"| **all** | {sum(p['calls'] for p in parts.values()):+.0f} "
        f"| {profiled:+.1f} | 100% | {measured:+.1f} |"
    )
    return "\n".join(lines)


def components_table(run: dict) -> str:
    rows = run["rows"]
    lines = ["| Step, timed alone | µs |", "|---|---:|"]
    for key in ("memo", "session_check", "no_store", "verify", "pyjwt"):
        lines.append(f"| {rows[key]['label']} | {fmt(rows[key]['us'])} |")
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def targets(run: dict, name: str) -> list[str]:
    rows = run["rows"]
    us = {key: row["us"] for key, row in rows.items()}
    queries = {key: row["queries"] for key, row in rows.items()}
    anon = us["anonymous"]
    stock = us["simplejwt"] - anon
    paired = run["paired"]
    stock = paired["simplejwt"]["median"]
    out = []
    for key, what in (("cookie", "access cookie"), ("bearer", "Bearer token")):
        extra = paired[key]["median"]
        high = paired[key]["high"]
        auth_queries = queries[key] - queries["anonymous"]
        # The upper end of the interval, not the median, must be under the
        # limit: the goal is met only if the measurement shows it.
        fast = high <= STEADY_EXTRA_US and extra <= STEADY_SHARE_OF_STOCK * stock
        why = []
        if not fast:
            why.append("see where the steady-state extra goes, below")
        if rows[key]["user_queries"]:
            why.append("the cart view loads the user row although it needs only the id")
        if auth_queries:
            why.append(
                f"{auth_queries} database quer{'y' if auth_queries == 1 else 'ies'} "
                "for authentication per request: no revocation feed vouched"
            )
        out.append(
            f"- [{name}] A steady-state request by our {what} adds at most "
            f"{STEADY_EXTRA_US} µs over the floor and a tenth of stock SimpleJWT's "
            f"extra, with no authentication query: adds {extra:,.1f} µs "
            f"(95% interval up to {high:,.1f} µs; stock SimpleJWT adds "
            f"{stock:,.0f} µs, Django's sessions "
            f"{paired['session']['median']:,.0f} µs), {auth_queries} extra "
            f"quer{'y' if auth_queries == 1 else 'ies'}: "
            f"{verdict(fast and not auth_queries)}"
            + (f" ({'; '.join(why)})" if why else "")
        )
    ratio = us["verify"] / us["pyjwt"]
    out.append(
        f"- [{name}] Token verification ≤ {VERIFY_LIMIT}x a bare PyJWT decode: "
        f"{fmt(us['verify'])} µs vs {fmt(us['pyjwt'])} µs = {ratio:.2f}x: "
        f"{verdict(ratio <= VERIFY_LIMIT)}"
        + (
            ""
            if ratio <= VERIFY_LIMIT
            else " (on top of jwt.decode: the header and kid check, the claim "
            "type checks and SimpleJWT's Token wrapper)"
        )
    )
    out.append(
        f"- [{name}] Silent refresh ≤ explicit refresh + the request: "
        f"{fmt(us['silent_refresh'])} µs vs {fmt(us['refresh_then_get'])} µs "
        f"({queries['silent_refresh']} vs {queries['refresh_then_get']} queries): "
        f"{verdict(us['silent_refresh'] <= us['refresh_then_get'])}"
    )
    for key in ("login_browser", "login_app"):
        rest = us[key] - us["hash"]
        out.append(
            f"- [{name}] {rows[key]['label']} costs < 10% more than the Argon2 check: "
            f"{fmt(us[key])} µs vs {fmt(us['hash'])} µs, everything else "
            f"{rest:,.0f} µs = {rest / us['hash']:.1%}: "
            f"{verdict(rest < LOGIN_LIMIT * us['hash'])}"
        )
    growth = run["growth"]
    flat = growth["api_3"] == growth["api_30"] and growth["page_3"] == growth["page_30"]
    out.append(
        f"- [{name}] Query counts constant as the cart grows (3 → 30 lines, access "
        f"cookie): GET /api/cart/ {growth['api_3']} → {growth['api_30']}, cart page "
        f"{growth['page_3']} → {growth['page_30']}: {verdict(flat)}"
    )
    return out


def wrk_table(results: dict, labels: dict) -> str:
    lines = [
        "| Row | requests/s | mean latency (ms) | ratio to anonymous (req/s) "
        "| non-2xx |",
        "|---|---:|---:|---:|---:|",
    ]
    anon = results["anonymous"]["rps"] or 1
    for key, result in results.items():
        latency = result["latency_ms"]
        lines.append(
            f"| {labels[key]} | {result['rps']:,.0f} | "
            f"{'n/a' if latency is None else f'{latency:.2f}'} | "
            f"{result['rps'] / anon:.2f} | {result['errors']} |"
        )
    return "\n".join(lines)


METHOD = """\
## How it is measured

`make bench` (`python -m bench`) runs each configuration in a child process
with `bench.settings`: the product's settings plus the peers, with DEBUG off,
persistent database connections and WhiteNoise without autorefresh (as in
production), on a fresh SQLite file in a temporary directory (migrated, cache
table created, one user with a 3-line cart).

- **In-process**: the Django WSGI application is called directly with a
  hand-built environ (no network, no server). Every row is one callable;
  rows run in batches of about 40 ms, in a shuffled order each round,
  11 rounds, and the table keeps each row's best batch (login and the bare
  hash: 6 rounds of one call). Queries are counted in a separate, untimed
  call with `CaptureQueriesContext`.
- **Same view, same data**: every request row is `GET` of the product's
  `shop.api.CartAPIView` (subclassed only so that an anonymous request sees
  the bench user's cart), mounted by `bench/urls.py` under one prefix per
  authentication: `/anonymous/` (no authentication class), `/ours/` (the
  product's `JWTBearerAuthentication` + `JWTCookieAuthentication`),
  `/peer-session/` (DRF `SessionAuthentication`), `/peer-simplejwt/`
  (SimpleJWT's stock `JWTAuthentication`) and `/peer-stateless/`
  (`JWTStatelessUserAuthentication`). The product's own URLs are mounted too
  (login, refresh, `/api/cart/`, `/shop/cart/`).
- **Middleware**: the product's stack, with `JWTAuthenticationMiddleware`
  replaced by `bench.middleware.BenchAuthenticationMiddleware`, which is the
  product middleware everywhere except under `/peer-session/`, where it runs
  Django's `SessionMiddleware` + `AuthenticationMiddleware` instead. Each row
  pays for its own authentication middleware only.
- **Tokens**: ours come from `POST /api/app/token/` (HS256, `kid`, `sid`);
  the SimpleJWT peers get `rest_framework_simplejwt.tokens.AccessToken.for_user()`
  tokens signed by SimpleJWT's own backend with the same HS256 key (the bench
  settings point `AUTH_TOKEN_CLASSES` at SimpleJWT's stock `AccessToken`;
  the product's classes never read it). The session peer gets a database
  session made the way `django.contrib.auth.login()` makes it.
- **Refresh rows** rotate for real: each call presents the newest refresh
  token of its own login session (never one already used). *Silent refresh*
  is a cart `GET` with only the refresh cookie; *explicit* is
  `POST /api/token/refresh/` (refresh + CSRF cookie, `X-CSRFToken`) followed
  by the cart `GET` with the new access cookie.
- **Login** is `POST /api/token/` (with the CSRF cookie and header) or
  `POST /api/app/token/`, compared with `check_password()` of the same
  password against the same Argon2 hash, in the same run.
- **Where a steady-state request's extra goes** (the rows after the
  requests): the access token was seen before, so its verification is the
  memo's dictionary lookup (`verified_access_token`), not a signature check;
  the session check is this process's memory, believed after a look at the
  revocation feed (SQLite's commit counter, read at most every 20 ms; with
  Redis, the memory the kernel writes for the listener thread's wait on the
  subscription, with no system call); a credentialed response gets
  no-store and Vary headers. The rest of the difference to the floor is
  the authentication middleware and DRF's authentication step around them.
- **The bare floor**: `jwt.decode()` of our access token with the key, HS256,
  audience and issuer; *our verification* is `jwt_sessions.tokens.AccessToken(raw)`
  (header check, kid lookup, decode, claim types).
- **Load test**: when `/usr/bin/wrk` exists, gunicorn (1 sync worker, bench
  settings) is pinned to core 0 with `taskset` and `wrk -t1 -c8 -d4s` runs on
  core 1 per row with the row's header. The auth event log is at WARNING in
  the bench settings (it would log every login and refresh).

- **The steady state, in pairs**: a request row's best batch moves by up to
  about 100 µs from one run to the next on this shared 2-core machine, more
  than the steady-state extra itself, so the targets do not compare best
  batches. Each of the five authenticated rows is timed against the floor
  in pairs instead: one call of the row and one of the floor, back to back
  (the floor first in every other pair), 6,000 pairs per row, in blocks of
  100 with the rows' blocks shuffled, the garbage collector off within a
  block. A change of load touches both calls of a pair alike. The table
  gives the median of the pairs' differences and its distribution-free 95%
  interval (order statistics); a target is met only if the interval's upper
  end is within it.
- **Where the steady-state extra goes**: cProfile over 2,000 requests of the
  floor and 2,000 of the access-cookie row; each function's own time in the
  row minus the floor's is charged to the part of the code that defines it
  (bench/inprocess.py `PROFILE_PARTS`). The profiler adds to every function
  call, so its µs are larger than the measured ones: the last column scales
  each part's share to the paired median. The steps timed alone (memo hit,
  session check, headers) are measured without the profiler.

The machine is shared: absolute numbers move with its load (noted above).
Speed is not asserted in the test suite; query counts are.
"""


def latency_section(latency: dict | None) -> list[str]:
    """Say how soon another server's every worker refused a revoked session."""
    parts = ["", "## Revocation across two servers", ""]
    if latency is None:
        return [
            *parts,
            "Not measured: it needs PostgreSQL on 127.0.0.1:5432 and Redis on "
            "127.0.0.1:6379.",
        ]
    met = latency["last_p99"] <= REVOCATION_LIMIT_MS and not latency["accepted"]
    return [
        *parts,
        "Two gunicorn servers with two workers each, over PostgreSQL and Redis "
        "(bench/revocation.py): an app logs in on A, B's workers answer it from "
        "memory, it logs out on A, and from A's answer on four threads ask B "
        "until each is refused. Times include the request to B.",
        "",
        "| trials | requests accepted after A answered | first refusal on B, p50 "
        "| every thread refused, p50 | p99 | max |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {latency['trials']} | {latency['accepted']} | "
        f"{latency['first_p50']:.1f} ms | {latency['last_p50']:.1f} ms | "
        f"{latency['last_p99']:.1f} ms | {latency['last_max']:.1f} ms |",
        "",
        f"- Every worker of every server refuses a revocation within "
        f"{REVOCATION_LIMIT_MS} ms of its commit (p99), and none accepts it after "
        f"the revoking server has answered: p99 {latency['last_p99']:.1f} ms, "
        f"{latency['accepted']} accepted: {verdict(met)}",
    ]


SERVICE_LIMIT_MS = 1000


def service_section(elsewhere: dict | None) -> list[str]:
    parts = ["## Revocation heard by another service", ""]
    if elsewhere is None:
        return [*parts, "Not measured: it needs gunicorn."]
    met = elsewhere["max"] < SERVICE_LIMIT_MS
    return [
        *parts,
        "The site and the example service (examples/inventory/, with the "
        "verifier) under gunicorn, two workers each (bench/service.py): an app "
        "logs in on the site for the service's audience, the service accepts "
        "its token, it logs out on the site, and from the site's answer on the "
        "service is asked until six answers in a row (both workers) refuse it.",
        "",
        "| trials | p50 | p99 | max |",
        "|---:|---:|---:|---:|",
        f"| {elsewhere['trials']} | {elsewhere['p50']:.1f} ms | "
        f"{elsewhere['p99']:.1f} ms | {elsewhere['max']:.1f} ms |",
        "",
        f"- Another service refuses a logged-out token within a second: max "
        f"{elsewhere['max']:.1f} ms: {verdict(met)}",
    ]


def render(
    info: dict,
    runs: dict,
    wrk: dict,
    *,
    wrk_available: bool,
    latency=None,
    elsewhere=None,
) -> str:
    versions = ", ".join(f"{name} {v}" for name, v in info["versions"].items())
    load = ", ".join(f"{value:.1f}" for value in info["load"])
    parts = [
        "# Benchmarks: what authentication costs per request",
        "",
        "Generated by `make bench` (bench/); do not edit by hand.",
        "",
        f"- Date: {info['date']}, commit {info['commit']}",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['system']}; "
        f"load average at start {load}",
        f"- Python {info['python']}; {versions}",
        "",
    ]
    for name, run in runs.items():
        anon = run["rows"]["anonymous"]["us"]
        parts += [
            f"## {RUN_TITLES[name]}",
            "",
            "### The steady state, measured in pairs against the floor",
            "",
            paired_table(run),
            "",
            f"The floor in this run: {fmt(anon)} µs per request.",
            "",
            "### Where the steady-state extra goes (access cookie)",
            "",
            profile_table(run),
            "",
            components_table(run),
            "",
            "### Every row, best batch",
            "",
            table(run),
            "",
        ]
    parts += ["## Targets", ""]
    for name, run in runs.items():
        parts += targets(run, "database cache" if name == "db" else "Redis")
    if "redis" not in runs:
        parts.append(
            "- Redis did not answer on 127.0.0.1:6379, so there is no Redis run."
        )
    parts += latency_section(latency)
    parts += ["", *service_section(elsewhere)]
    parts += ["", "## Load test (wrk against gunicorn on one core)", ""]
    if not wrk_available:
        parts.append(
            "Skipped: `/usr/bin/wrk` (Debian package `wrk`) or `taskset` is missing."
        )
    for name, results in wrk.items():
        labels = {key: row["label"] for key, row in runs[name]["rows"].items()}
        parts += [f"### {RUN_TITLES[name]}", "", wrk_table(results, labels), ""]
    parts += ["", METHOD]
    return "\n".join(parts).rstrip() + "\n"
