"""Verify the site's access tokens and hear about the sessions it revokes."""

import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from authsite_verifier.errors import (
    EventRejected,
    IssuerUnavailable,
    TokenRejected,
    TokenRevoked,
)
from authsite_verifier.expiring import ExpiringSet

logger = logging.getLogger("authsite_verifier")

SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
SET_MEDIA_TYPE = "application/secevent+jwt"
# Only public-key signatures: a service holds no secret that could sign a token.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512"}
    | {"PS256", "PS384", "PS512"}
)
DEFAULT_ALGORITHMS = ("ES256", "EdDSA", "RS256")
ACCESS_TOKEN_CLAIMS = ("iss", "aud", "exp", "iat", "jti", "sid", "user_id")
EVENT_CLAIMS = ("iss", "aud", "iat", "jti", "events")
# A token or an event is a few hundred bytes; refuse megabytes before parsing.
MAX_COMPACT_LENGTH = 16 * 1024
# Out-of-order pushed seqs remembered while waiting for the poll to fill a gap.
MAX_SEQS_AHEAD = 10_000
POLL_PAGE_SIZE = 500


@dataclass(frozen=True)
class SessionRevoked:
    """A verified CAEP session-revoked event."""

    jti: str
    seq: int
    sid: str
    sub: str | None
    iat: int
    event_timestamp: int | None


class _PollFailed(Exception):
    pass


class Verifier:
    """Verify the site's access tokens for one audience; refuse revoked sessions.

    issuer_url: the site's base URL (``https://auth.example.com``); the keys
        are read from ``<issuer_url>/.well-known/jwks.json``, events polled
        from ``/api/events/`` and tokens introspected at ``/api/introspect/``.
    audience: the audience this service was registered with; a token or an
        event for any other audience is refused.
    client_id, client_secret: what ``manage.py register_service`` printed;
        sent with HTTP Basic to the poll and introspection endpoints.
    issuer: the site's ``JWT_ISSUER`` (the ``iss`` claim), ``"authsite"`` by
        default as on the site.
    algorithms: the accepted signature algorithms, asymmetric ones only.
    leeway: seconds of clock skew tolerated on ``exp`` and ``iat``.
    max_token_lifetime: the site's ``JWT_ACCESS_LIFETIME`` (seconds) or more.
        A revoked session is remembered this long (plus leeway) after its
        revocation; a token that claims to live longer is refused, since its
        revocation could be forgotten before it expires.
    poll_interval: seconds between two polls of the site's events.
    max_staleness: the deny list is trusted only while the last complete poll
        started at most this many seconds ago and no event is missing; else
        every token is introspected.
    jwks_min_refetch_interval: an unknown ``kid`` refetches the keys at most
        this often (seconds), so that forged kids cannot make us hammer the site.
    jwks_max_age: known keys are refetched after this many seconds, so that a
        key the site retired stops verifying.
    timeout: seconds allowed to each HTTP request to the site.
    max_revoked_sessions, max_seen_events: bounds on memory. Past the first,
        the deny list is not trusted (tokens are introspected) until what it
        had to forget has expired.
    """

    def __init__(
        self,
        issuer_url: str,
        audience: str,
        client_id: str,
        client_secret: str,
        *,
        issuer: str = "authsite",
        algorithms: tuple[str, ...] | list[str] = DEFAULT_ALGORITHMS,
        leeway: float = 10.0,
        max_token_lifetime: float = 300.0,
        poll_interval: float = 0.25,
        max_staleness: float = 1.0,
        jwks_min_refetch_interval: float = 5.0,
        jwks_max_age: float = 300.0,
        timeout: float = 2.0,
        max_revoked_sessions: int = 100_000,
        max_seen_events: int = 200_000,
    ) -> None:
        unsafe = set(algorithms) - ASYMMETRIC_ALGORITHMS
        if unsafe or not algorithms:
            raise ValueError(
                f"algorithms must be asymmetric ones from "
                f"{sorted(ASYMMETRIC_ALGORITHMS)}; not {sorted(unsafe) or 'none'}"
            )
        for name, value in (("issuer_url", issuer_url), ("audience", audience)):
            if not value:
                raise ValueError(f"{name} is required")
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required")
        if max_staleness < poll_interval:
            raise ValueError("max_staleness must be at least poll_interval")
        base = issuer_url.rstrip("/")
        self.jwks_url = f"{base}/.well-known/jwks.json"
        self.events_url = f"{base}/api/events/"
        self.introspection_url = f"{base}/api/introspect/"
        self.audience = audience
        self.issuer = issuer
        self.algorithms = tuple(algorithms)
        self.leeway = leeway
        self.max_token_lifetime = max_token_lifetime
        self.poll_interval = poll_interval
        self.max_staleness = max_staleness
        self.jwks_min_refetch_interval = jwks_min_refetch_interval
        self.jwks_max_age = jwks_max_age
        self.timeout = timeout
        self._auth = (client_id, client_secret)
        self._max_revoked_sessions = max_revoked_sessions
        self._max_seen_events = max_seen_events
        self._reset_process_state()
        # A forked child (gunicorn's workers) gets fresh locks and its own
        # poller; what the parent had is kept, but not trusted until the
        # child's own poll has run.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    # -- state ------------------------------------------------------------

    def _reset_process_state(self) -> None:
        self._lock = threading.Lock()
        self._keys_lock = threading.Lock()
        self._local = threading.local()
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        if not hasattr(self, "_revoked"):
            self._revoked = ExpiringSet(self._max_revoked_sessions)
            self._pushed = ExpiringSet(self._max_seen_events)
            self._polled = ExpiringSet(self._max_seen_events)
            self._keys: dict[str, jwt.PyJWK] = {}
            self._keys_fetched_at: float | None = None
            self._keys_attempted_at: float | None = None
            # Every event up to _synced_seq was applied; _highest_seq is the
            # highest the site is known to have issued. Unequal means a gap.
            self._synced_seq = 0
            self._highest_seq = 0
            self._seqs_ahead: set[int] = set()
            # Until when the deny list may miss a sid it had to forget.
            self._unsure_until = 0.0
        self._polled_at: float | None = None
        self._poll_failing = False

    def _http(self) -> requests.Session:
        # requests.Session is not documented as thread-safe: one per thread.
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def is_fresh(self) -> bool:
        """Return whether the deny list alone can be trusted right now."""
        with self._lock:
            return self._fresh_locked()

    def _fresh_locked(self) -> bool:
        if self._polled_at is None:
            return False
        if time.monotonic() - self._polled_at > self.max_staleness:
            return False
        if self._highest_seq > self._synced_seq:
            return False
        return self._unsure_until <= time.time()

    # -- access tokens ----------------------------------------------------

    def verify(self, token: str) -> dict[str, Any]:
        """Return the claims of a good access token; raise TokenRejected if not.

        Raises IssuerUnavailable when the token would need introspection and
        the site cannot be reached: it is neither accepted nor called bad.
        """
        claims = self._decode_access_token(token)
        self.start()
        with self._lock:
            revoked = self._revoked.contains(claims["sid"], time.time())
            fresh = self._fresh_locked()
        if revoked:
            raise TokenRevoked("The session of this token was revoked.")
        if not fresh:
            # Not sure the deny list is complete: ask the site about this token.
            # (No wake-up of the poller here: a failing site would be polled
            # once per request. A gap wakes it when the event arrives.)
            self._introspect(token)
        return claims

    def _decode_access_token(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > MAX_COMPACT_LENGTH:
            raise TokenRejected("The token is malformed.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected("The token is malformed.") from None
        typ = header.get("typ", "JWT")
        if not isinstance(typ, str) or typ.upper() != "JWT":
            # Above all not a signed event passed off as a token.
            raise TokenRejected("The token is not an access token.")
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise TokenRejected("The token's signature algorithm is not accepted.")
        key = self._signing_key(header.get("kid"))
        if key is None:
            raise TokenRejected("The token is signed with an unknown key.")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(ACCESS_TOKEN_CLAIMS), "strict_aud": True},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("The token has expired.") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("The token is for another audience.") from None
        except jwt.PyJWTError:
            raise TokenRejected("The token is not valid.") from None
        if claims.get("token_type") != "access":
            raise TokenRejected("The token is not an access token.")
        for name in ("sid", "jti"):
            if not isinstance(claims[name], str) or not claims[name]:
                raise TokenRejected(f"The token's {name} claim is not valid.")
        user_id = claims["user_id"]
        if isinstance(user_id, bool) or not isinstance(user_id, str | int):
            raise TokenRejected("The token's user_id claim is not valid.")
        exp, iat = claims["exp"], claims["iat"]
        if exp - iat > self.max_token_lifetime:
            # Its revocation would be forgotten before it expires.
            raise TokenRejected("The token lives longer than this service accepts.")
        return claims

    def _introspect(self, token: str) -> None:
        try:
            response = self._http().post(
                self.introspection_url,
                data={"token": token, "token_type_hint": "access_token"},
                auth=self._auth,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            logger.warning("Introspection failed: %s", error)
            raise IssuerUnavailable(
                "The site cannot be asked about this token."
            ) from None
        if not isinstance(answer, dict) or answer.get("active") is not True:
            raise TokenRevoked("The site says this token is no longer active.")
        if answer.get("aud") not in (None, self.audience):
            raise TokenRejected("The token is for another audience.")

    # -- keys -------------------------------------------------------------

    def _signing_key(self, kid: object) -> jwt.PyJWK | None:
        """Return the site's key for `kid`, refetching the keys if it is unknown."""
        if not isinstance(kid, str) or not kid:
            return None
        now = time.monotonic()
        with self._keys_lock:
            key = self._keys.get(kid)
            stale = (
                self._keys_fetched_at is None
                or now - self._keys_fetched_at > self.jwks_max_age
            )
            may_refetch = (
                self._keys_attempted_at is None
                or now - self._keys_attempted_at >= self.jwks_min_refetch_interval
            )
            if key is not None and not stale:
                return key
            if not may_refetch:
                if key is None and self._keys_fetched_at is None:
                    # No keys ever fetched: the token may well be good.
                    raise IssuerUnavailable("The site's keys cannot be fetched.")
                return key
            self._keys_attempted_at = now
            try:
                self._keys = self._fetch_keys()
                self._keys_fetched_at = now
            except IssuerUnavailable:
                if key is None and not self._keys:
                    raise
                # Keep verifying with the keys we had; an unknown kid stays so.
                logger.warning(
                    "Could not refetch %s; keeping known keys", self.jwks_url
                )
            return self._keys.get(kid)

    def _fetch_keys(self) -> dict[str, jwt.PyJWK]:
        try:
            response = self._http().get(
                self.jwks_url,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as error:
            logger.warning("Could not fetch the keys at %s: %s", self.jwks_url, error)
            raise IssuerUnavailable("The site's keys cannot be fetched.") from None
        entries = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            logger.warning("%s is not a JWK Set", self.jwks_url)
            raise IssuerUnavailable("The site's keys cannot be fetched.")
        keys = {}
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK.from_dict(entry)
            except jwt.PyJWTError:
                continue  # a key type this process cannot use
            if key.key_id and key.algorithm_name in self.algorithms:
                keys[key.key_id] = key
        return keys

    # -- events -----------------------------------------------------------

    def receive(self, body: bytes, content_type: str) -> SessionRevoked:
        """Apply one pushed SET (RFC 8935); raise EventRejected to answer 400.

        Raises IssuerUnavailable (answer 503, the site retries) when the keys
        cannot be fetched to check it.
        """
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type != SET_MEDIA_TYPE:
            raise EventRejected(
                "invalid_request", f"The content type must be {SET_MEDIA_TYPE}."
            )
        if not isinstance(body, bytes | bytearray) or len(body) > MAX_COMPACT_LENGTH:
            raise EventRejected("invalid_request", "The body is not a compact SET.")
        try:
            text = bytes(body).decode("ascii").strip()
        except UnicodeDecodeError:
            raise EventRejected(
                "invalid_request", "The body is not a compact SET."
            ) from None
        event = self.decode_event(text)
        self.start()
        now = time.time()
        with self._lock:
            if self._pushed.contains(event.jti, now):
                raise EventRejected(
                    "invalid_request", "This event (jti) was already received."
                )
            self._pushed.add(event.jti, self._deadline(event), now)
            if not self._polled.contains(event.jti, now):
                self._apply_locked(event, now)
        return event

    def decode_event(self, text: str) -> SessionRevoked:
        """Verify a compact CAEP session-revoked SET; raise EventRejected if not."""
        if not isinstance(text, str) or not text or len(text) > MAX_COMPACT_LENGTH:
            raise EventRejected("invalid_request", "The body is not a compact SET.")
        try:
            header = jwt.get_unverified_header(text)
        except jwt.PyJWTError:
            raise EventRejected(
                "invalid_request", "The body is not a compact SET."
            ) from None
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in (
            "secevent+jwt",
            SET_MEDIA_TYPE,
        ):
            raise EventRejected("invalid_request", "The typ must be secevent+jwt.")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise EventRejected("authentication_failed", "The event is not signed.")
        if alg not in self.algorithms:
            raise EventRejected("invalid_key", "The signature algorithm is refused.")
        key = self._signing_key(header.get("kid"))
        if key is None:
            raise EventRejected(
                "invalid_key", "The event is signed with an unknown key."
            )
        try:
            claims = jwt.decode(
                text,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(EVENT_CLAIMS), "strict_aud": True},
            )
        except jwt.InvalidSignatureError:
            raise EventRejected(
                "authentication_failed", "The event's signature does not verify."
            ) from None
        except jwt.InvalidIssuerError:
            raise EventRejected(
                "invalid_issuer", "The event's issuer is not ours."
            ) from None
        except jwt.InvalidAudienceError:
            raise EventRejected(
                "invalid_audience", "The event is for another audience."
            ) from None
        except jwt.PyJWTError:
            raise EventRejected(
                "invalid_request", "The event's claims are not valid."
            ) from None
        return _session_revoked(claims)

    def _deadline(self, event: SessionRevoked) -> float:
        # The tokens of the session were minted before its revocation, so
        # they all expire by then (by the site's clock, as their exp).
        # iat is when the site created the event, in the revocation's
        # transaction; PyJWT refused it if it is in the future.
        return event.iat + self.max_token_lifetime + self.leeway + 1

    def _apply_locked(self, event: SessionRevoked, now: float) -> None:
        forgotten = self._revoked.add(event.sid, self._deadline(event), now)
        if forgotten is not None:
            logger.warning("Deny list full: introspecting until %s", forgotten)
            self._unsure_until = max(self._unsure_until, forgotten)
        self._note_seq_locked(event.seq)

    def _note_seq_locked(self, seq: int) -> None:
        if seq <= self._synced_seq:
            return
        self._highest_seq = max(self._highest_seq, seq)
        if seq == self._synced_seq + 1:
            self._synced_seq = seq
            while self._synced_seq + 1 in self._seqs_ahead:
                self._synced_seq += 1
                self._seqs_ahead.discard(self._synced_seq)
        else:
            # A gap: some event did not arrive. Ask for it now.
            if len(self._seqs_ahead) < MAX_SEQS_AHEAD:
                self._seqs_ahead.add(seq)
            self._wake.set()

    # -- the poller -------------------------------------------------------

    def start(self) -> None:
        """Start this process's poller thread if it is not running."""
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                # Forked without register_at_fork having run (should not be).
                self._reset_process_state()
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="authsite-verifier-poller", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        """Stop the poller thread (tests; a server process simply exits)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.timeout + 1)

    def poll_now(self) -> None:
        """Fetch and apply what the site has, once; raise IssuerUnavailable if not."""
        try:
            self._poll_once()
        except _PollFailed as error:
            raise IssuerUnavailable(str(error)) from None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll_once()
            except _PollFailed as error:
                if not self._poll_failing:
                    logger.warning("Polling %s failed: %s", self.events_url, error)
                self._poll_failing = True
            else:
                if self._poll_failing:
                    logger.warning("Polling %s works again", self.events_url)
                self._poll_failing = False
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def _poll_once(self) -> None:
        started = time.monotonic()
        with self._lock:
            after = self._synced_seq
        while True:
            page = self._fetch_page(after)
            events = sorted(page["events"], key=lambda event: event.seq)
            now = time.time()
            with self._lock:
                for event in events:
                    seen = self._pushed.contains(
                        event.jti, now
                    ) or self._polled.contains(event.jti, now)
                    self._polled.add(event.jti, self._deadline(event), now)
                    if seen:
                        self._note_seq_locked(event.seq)
                    else:
                        self._apply_locked(event, now)
                if not page["more"]:
                    # Everything the site still holds up to `last` is here; what
                    # is missing below it was dropped once its tokens expired.
                    last = page["last"]
                    self._synced_seq = max(self._synced_seq, last)
                    self._highest_seq = max(self._highest_seq, last)
                    self._seqs_ahead = {
                        seq for seq in self._seqs_ahead if seq > self._synced_seq
                    }
                    while self._synced_seq + 1 in self._seqs_ahead:
                        self._synced_seq += 1
                        self._seqs_ahead.discard(self._synced_seq)
                    self._polled_at = started
                    return
            if not events:
                raise _PollFailed("moreAvailable without events")
            after = events[-1].seq

    def _fetch_page(self, after: int) -> dict[str, Any]:
        try:
            response = self._http().get(
                self.events_url,
                params={"after": after, "limit": POLL_PAGE_SIZE},
                auth=self._auth,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as error:
            raise _PollFailed(str(error)) from None
        if response.status_code != 200:
            raise _PollFailed(f"answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise _PollFailed("answered something else than JSON") from None
        sets, more, last = (
            (data.get("sets"), data.get("moreAvailable"), data.get("last"))
            if isinstance(data, dict)
            else (None, None, None)
        )
        if (
            not isinstance(sets, dict)
            or not isinstance(more, bool)
            or isinstance(last, bool)
            or not isinstance(last, int)
        ):
            raise _PollFailed("answered JSON without sets, moreAvailable and last")
        events = []
        for jti, compact in sets.items():
            try:
                event = self.decode_event(compact)
            except (EventRejected, IssuerUnavailable) as error:
                # Trusting the poll without this event could accept its sid.
                raise _PollFailed(f"event {jti!r} refused: {error}") from None
            if event.jti != jti:
                raise _PollFailed(f"event {jti!r} carries jti {event.jti!r}")
            events.append(event)
        return {"events": events, "more": more, "last": last}


def _session_revoked(claims: dict[str, Any]) -> SessionRevoked:
    """Return the event in verified claims; raise EventRejected if it is not one."""
    events = claims["events"]
    if not isinstance(events, dict) or not isinstance(
        events.get(SESSION_REVOKED), dict
    ):
        raise EventRejected("invalid_request", "The event is not a session-revoked.")
    sid, seq, jti = claims.get("sid"), claims.get("seq"), claims["jti"]
    if not isinstance(sid, str) or not sid:
        raise EventRejected("invalid_request", "The event carries no sid.")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise EventRejected("invalid_request", "The event carries no valid seq.")
    if not isinstance(jti, str) or not jti:
        raise EventRejected("invalid_request", "The event carries no jti.")
    sub = claims.get("sub")
    timestamp = events[SESSION_REVOKED].get("event_timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        timestamp = None
    iat = claims["iat"]
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise EventRejected("invalid_request", "The event's iat is not valid.")
    return SessionRevoked(
        jti=jti,
        seq=seq,
        sid=sid,
        sub=sub if isinstance(sub, str) else None,
        iat=int(iat),
        event_timestamp=timestamp,
    )


def _after_fork(ref: "weakref.ref[Verifier]") -> None:
    verifier = ref()
    if verifier is not None:
        verifier._reset_process_state()
