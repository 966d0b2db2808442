"""Who is asking: the session cookie (signed, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` over
HTTPS or behind a trusted proxy, ended by idle time), the CSRF token every form carries, the
client's address as a trusted proxy tells it, and the login throttle.

As Datasette does: the session is a signed cookie holding the user's id (and a fingerprint of
their password, so that a new password or a disabled user ends every session at once); the
user is read again from the database on every request. The CSRF token is a random value in a
signed cookie of its own that each form repeats in a hidden field (double submit, as
``asgi-csrf`` does for Datasette), and a browser's ``Sec-Fetch-Site: cross-site`` is refused
outright.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "sixplustwo_session"
CSRF_COOKIE = "sixplustwo_csrf"
CSRF_FIELD = "csrftoken"
IDLE_SECONDS = 2 * 60 * 60  # a session unused for two hours ends


class Signer:
    """Session and CSRF cookies, signed with the server's secret."""

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="sixplustwo.session")
        self._csrf = URLSafeTimedSerializer(secret, salt="sixplustwo.csrf")

    def session(self, user_id: int, fingerprint: str) -> str:
        return self._session.dumps({"u": user_id, "f": fingerprint})

    def read_session(self, cookie: str | None) -> tuple[int, str] | None:
        """The user id and password fingerprint of a good, recently used session."""
        if not cookie:
            return None
        try:
            data = self._session.loads(cookie, max_age=IDLE_SECONDS)
        except BadSignature:  # forged, or expired (SignatureExpired is one)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int):
            return None
        return data["u"], str(data.get("f", ""))

    def new_csrf(self) -> tuple[str, str]:
        """A new token and its cookie."""
        token = secrets.token_urlsafe(24)
        return token, self._csrf.dumps(token)

    def read_csrf(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            token = self._csrf.loads(cookie)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None


def csrf_ok(cookie_token: str | None, form_token: object) -> bool:
    return (
        isinstance(cookie_token, str)
        and isinstance(form_token, str)
        and bool(form_token)
        and hmac.compare_digest(cookie_token.encode(), form_token.encode())
    )


class Proxies:
    """The addresses whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed (the
    reverse proxy in front, ``--trust-proxy``); nobody's by default."""

    def __init__(self, trusted: Iterable[str] = ()) -> None:
        self.networks = [ipaddress.ip_network(t.strip(), strict=False) for t in trusted]

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: str | None) -> bool:
        if not address or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address: the peer's, unless it is a trusted proxy; then the nearest
        address in ``X-Forwarded-For`` that is not one."""
        if not self.trusts(peer) or not forwarded_for:
            return peer or "?"
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else (peer or "?")


class Throttle:
    """Failed logins, counted per user name and per address over a window; past the limit a
    login is refused without looking at the password, until the window has passed. In the
    server's memory (one process, as ``serve`` runs)."""

    def __init__(self, per_user: int = 5, per_address: int = 20, window: float = 900.0) -> None:
        self.limits = {"user": per_user, "address": per_address}
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, user: str, address: str, now: float | None = None) -> int:
        """Seconds until a login may be tried again (0: it may now)."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        with self._lock:
            for kind, value in (("user", user), ("address", address)):
                times = self._recent((kind, value), now)
                if len(times) >= self.limits[kind]:
                    wait = max(wait, times[0] + self.window - now)
        return int(wait) + 1 if wait else 0

    def failed(self, user: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for kind, value in (("user", user), ("address", address)):
                self._recent((kind, value), now).append(now)
            if len(self._failures) > 100_000:  # a flood of names: forget the idle ones
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop(("user", user), None)
