"""The one HTTP transport every platform client uses: timeouts, retries, a rate limit.

- **Timeouts** on connect and read (``timeout`` seconds, default 20).
- **Retries** with exponential backoff and full jitter on 429, 408, 5xx, timeouts, dropped
  connections, bodies that are not the JSON promised, and platform errors a client's
  ``check`` marks retryable (Taobao's "App Call Limited", Shopify's GraphQL ``THROTTLED``).
  ``Retry-After`` (seconds or an HTTP date) is honoured when it says to wait longer than the
  backoff would. Requests that change something on the platform (``idempotent=False``) are
  retried only when the platform certainly did not act on them: a refused connection, a 429.
- **A rate limit per account**: a token bucket shared by every client of the account in this
  process, so a pull and a stock push of one shop together stay under the platform's quota.
- **Errors** become :class:`~omnioms.channels.clients.ClientError` with ``retryable`` set:
  True for the transient causes above once the attempts are used up, False for what a person
  must fix (credentials refused, a request the platform rejects). Nothing is swallowed: a
  malformed body raises, naming the URL and the first bytes received.

Settings come from the account's ``api_credentials`` (see :class:`TransportSettings`) so that a
slow or strict platform can be tuned per shop, and tests can point ``base_url`` at loopback.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from omnioms.channels.clients import ClientError

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "omnioms (+https://github.com/omnioms/omnioms)"
BODY_SNIPPET = 200


@dataclass(frozen=True)
class TransportSettings:
    """Tuning read from ``api_credentials``; every key is optional but ``base_url``.

    ``timeout`` (seconds per attempt), ``max_attempts``, ``backoff`` (first wait, seconds),
    ``max_backoff``, ``max_retry_after`` (a longer ``Retry-After`` gives up instead of
    blocking the worker), ``rate_per_second`` and ``burst`` (the token bucket).
    """

    base_url: str
    timeout: float = 20.0
    max_attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    rate_per_second: float = 4.0
    burst: int = 8

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any], *, account: str) -> TransportSettings:
        """Raise :class:`ClientError` (not retryable) naming the first bad key."""
        base_url = credentials.get("base_url")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ClientError(
                f"account {account}: api_credentials.base_url must be an http(s) URL, "
                f"got {base_url!r}",
                retryable=False,
            )
        values: dict[str, Any] = {"base_url": base_url.rstrip("/")}
        numbers: dict[str, type] = {
            "timeout": float,
            "max_attempts": int,
            "backoff": float,
            "max_backoff": float,
            "max_retry_after": float,
            "rate_per_second": float,
            "burst": int,
        }
        for key, kind in numbers.items():
            if key not in credentials:
                continue
            raw = credentials[key]
            try:
                if isinstance(raw, bool):
                    raise ValueError
                value = kind(raw)
            except (TypeError, ValueError):
                raise ClientError(
                    f"account {account}: api_credentials.{key} must be a number, got {raw!r}",
                    retryable=False,
                ) from None
            if value < 0 or (key in {"max_attempts", "rate_per_second", "burst"} and value <= 0):
                raise ClientError(
                    f"account {account}: api_credentials.{key} must be positive, got {raw!r}",
                    retryable=False,
                )
            values[key] = value
        return cls(**values)


# ----------------------------------------------------------------------------------------------
# Rate limit


class TokenBucket:
    """``rate`` requests a second on average, up to ``burst`` at once. Thread-safe."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.updated = clock()
        self.lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token; return how long the caller must wait before using it."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            if self.tokens >= 0:
                return 0.0
            return -self.tokens / self.rate


_buckets: dict[str, TokenBucket] = {}
_buckets_lock = threading.Lock()


def bucket_for(key: str, rate: float, burst: int) -> TokenBucket:
    """The process-wide bucket of an account; re-made when its settings change."""
    with _buckets_lock:
        bucket = _buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.burst != burst:
            bucket = _buckets[key] = TokenBucket(rate, burst)
        return bucket


# ----------------------------------------------------------------------------------------------
# Transport


Check = Callable[[Any], ClientError | None]
"""Reads a parsed 2xx body; returns the platform error it carries (Taobao, Douyin and JD answer
errors with 200), or None."""


@dataclass
class Reply:
    """A successful answer: the raw bytes (stored as the payload), the parsed JSON, headers."""

    status: int
    content: bytes
    data: Any
    headers: httpx.Headers


class Transport:
    """HTTP for one account. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        settings: TransportSettings,
        *,
        account: str,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.account = account
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.bucket = bucket_for(account, settings.rate_per_second, settings.burst)
        self.client = httpx.Client(
            base_url=settings.base_url,
            timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            follow_redirects=False,
        )

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        check: Check | None = None,
        expect_json: bool = True,
    ) -> Reply:
        """Send with retries; return the 2xx reply or raise :class:`ClientError`.

        ``idempotent`` defaults to True for GET, HEAD, PUT and DELETE; platforms whose reads
        are POSTs (Taobao's gateway) pass True. ``url`` is relative to ``base_url`` or
        absolute (a pagination link).
        """
        if idempotent is None:
            idempotent = method.upper() in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
        content = None
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        where = f"{method.upper()} {_path(url)}"
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            wait = self.bucket.reserve()
            if wait:
                self.sleep(wait)
            outcome, retry_after, again = self._attempt(
                method, url, where, params, content, data, headers, idempotent, check, expect_json
            )
            if isinstance(outcome, Reply):
                return outcome
            error = outcome
            if not again or attempt == attempts:
                if again:
                    error = ClientError(
                        f"{error} (gave up after {attempts} attempts)",
                        retryable=True,
                        status=error.status,
                    )
                raise error
            delay = self._backoff(attempt)
            if retry_after is not None:
                if retry_after > self.settings.max_retry_after:
                    raise ClientError(
                        f"{error}; the platform asks to wait {retry_after:.0f} s",
                        retryable=True,
                        status=error.status,
                    )
                delay = max(delay, retry_after)
            logger.info(
                "%s: %s failed (%s), attempt %d of %d, retrying in %.2f s",
                self.account,
                where,
                error,
                attempt,
                attempts,
                delay,
            )
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(
        self,
        method: str,
        url: str,
        where: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        data: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        idempotent: bool,
        check: Check | None,
        expect_json: bool,
    ) -> tuple[Reply | ClientError, float | None, bool]:
        """One try: the reply, or the error, the platform's ``Retry-After`` if it sent one, and
        whether to try again at once (a transient error on a request that is safe to repeat).

        A transient error on a change (``idempotent=False``) is still ``retryable``: the
        caller's queue tries again later, and the client checks first whether it took effect.
        """
        try:
            response = self.client.request(
                method, url, params=params, content=content, data=data, headers=headers
            )
        except httpx.ConnectError as exc:  # never reached the platform: always safe to repeat
            return ClientError(f"{where}: cannot connect ({exc})", retryable=True), None, True
        except httpx.TimeoutException as exc:
            error = ClientError(
                f"{where}: no answer within {self.settings.timeout:g} s ({type(exc).__name__})",
                retryable=True,
            )
            return error, None, idempotent
        except httpx.TransportError as exc:
            error = ClientError(
                f"{where}: connection failed ({type(exc).__name__}: {exc})", retryable=True
            )
            return error, None, idempotent
        status = response.status_code
        if status >= 300:
            error = self._status_error(response, where)
            # A 429 was refused before anything happened: repeating a change is safe.
            again = error.retryable and (idempotent or status == 429)
            return error, _retry_after(response), again
        body = response.content
        if not expect_json:
            return Reply(status, body, None, response.headers), None, False
        try:
            parsed = json.loads(body) if body.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            error = ClientError(
                f"{where}: the platform answered {status} with a body that is not JSON "
                f"({exc}): {_snippet(body)!r}",
                retryable=True,
                status=status,
            )
            return error, None, idempotent
        if parsed is None:
            error = ClientError(
                f"{where}: the platform answered {status} with an empty body",
                retryable=True,
                status=status,
            )
            return error, None, idempotent
        if check is not None:
            problem = check(parsed)
            if problem is not None:
                error = ClientError(
                    f"{where}: {problem}",
                    retryable=problem.retryable,
                    status=problem.status or status,
                )
                return error, None, problem.retryable and idempotent
        return Reply(status, body, parsed, response.headers), None, False

    def _status_error(self, response: httpx.Response, where: str) -> ClientError:
        status = response.status_code
        detail = _snippet(response.content)
        message = f"{where}: the platform answered {status}"
        if detail:
            message += f": {detail}"
        if status == 429:
            return ClientError(message + " (rate limited)", retryable=True, status=status)
        if status in RETRY_STATUSES or status >= 500:
            return ClientError(message, retryable=True, status=status)
        if status in (401, 403):
            message += " (the account's API credentials were refused; renew them)"
        return ClientError(message, retryable=False, status=status)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to ``backoff * 2^(attempt-1)``, capped."""
        ceiling = min(self.settings.max_backoff, self.settings.backoff * 2 ** (attempt - 1))
        return self.rng.uniform(ceiling / 2, ceiling)


def _path(url: str) -> str:
    """The URL without its query, which can carry tokens and signatures."""
    return url.split("?", 1)[0]


def _snippet(body: bytes) -> str:
    text = body[:BODY_SNIPPET].decode("utf-8", "replace").strip()
    return text + ("…" if len(body) > BODY_SNIPPET else "")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def credential(credentials: Mapping[str, Any], key: str, *, account: str) -> str:
    """A required string from ``api_credentials``; a clear, non-retryable error when missing."""
    value = credentials.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ClientError(
            f"account {account}: api_credentials.{key} is missing (set it in the admin)",
            retryable=False,
        )
    return value.strip()
