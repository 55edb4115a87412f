"""What the chat server accepts: payload checks and the per-connection rate limit (pure, no Flask)."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from interviewer.dialogue.state import LEVELS, MAX_COUNT, ROUNDS
from interviewer.errors import InputError
from interviewer.report import printable

# A topic is free text ("leader election"); anything longer than this is not a topic.
MAX_TOPIC_CHARS = 80
# Tokens are secrets.token_urlsafe(32): 43 characters. Anything far longer is not a token.
MAX_TOKEN_CHARS = 128

# JSON may carry half of a UTF-16 surrogate pair (an emoji cut in two by a client); Python keeps it
# as a lone surrogate, which neither the engine nor the database can encode.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

START_FIELDS = ("token", "topic", "difficulty", "count", "mode")
MESSAGE_FIELDS = ("text",)
EARLIER_FIELDS = ("before", "limit")


@dataclass(frozen=True)
class StartRequest:
    """A checked `start` payload."""

    token: str | None = None
    topic: str | None = None
    difficulty: str | None = None
    count: int | None = None
    round: str = "interview"  # the payload's `mode`: interview | review | design


def _fields(payload: Any, allowed: tuple[str, ...], event: str) -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise InputError(f"`{event}` takes an object like {{{', '.join(repr(f) for f in allowed)}}}, "
                         f"not {_kind(payload)}.")
    extra = sorted(str(k) for k in payload if k not in allowed)
    if extra:
        raise InputError(f"`{event}` does not take {', '.join(repr(k) for k in extra)}; "
                         f"it takes {', '.join(repr(f) for f in allowed)}.")
    return payload


def _kind(value: Any) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "a list",
            type(None): "null"}.get(type(value), type(value).__name__)


def check_start(payload: Any) -> StartRequest:
    """Return the `start` request in a payload, or raise InputError saying what is wrong with it."""
    data = _fields(payload, START_FIELDS, "start")
    token = data.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS):
        raise InputError("`token` must be the session token string the server gave you.")
    topic = data.get("topic")
    if topic is not None:
        if not isinstance(topic, str):
            raise InputError(f"`topic` must be a string, not {_kind(topic)}.")
        # ESC and BEL in a topic would reach every terminal that prints it (`interviewer report`).
        topic = " ".join(printable(_LONE_SURROGATE.sub("\ufffd", topic)).split())
        if len(topic) > MAX_TOPIC_CHARS:
            raise InputError(f"`topic` is too long ({len(topic)} characters; at most {MAX_TOPIC_CHARS}).")
    difficulty = data.get("difficulty")
    if difficulty is not None and difficulty not in LEVELS:
        raise InputError(f"`difficulty` must be one of {', '.join(LEVELS)}.")
    count = data.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT):
        raise InputError(f"`count` must be a whole number from 1 to {MAX_COUNT}.")
    mode = data.get("mode")
    if mode is not None and mode not in ROUNDS:
        raise InputError(f"`mode` must be one of {', '.join(ROUNDS)}.")
    return StartRequest(token=token or None, topic=topic or None, difficulty=difficulty, count=count,
                        round=mode or "interview")


def check_message(payload: Any, max_bytes: int) -> str:
    """Return the text of a `message` payload, or raise InputError saying what is wrong with it."""
    if isinstance(payload, str):
        # A bare string is what `socket.send("…")` sends; accept it rather than puzzle the sender.
        payload = {"text": payload}
    data = _fields(payload, MESSAGE_FIELDS, "message")
    if "text" not in data:
        raise InputError("`message` needs a `text` field: {\"text\": \"your answer\"}.")
    text = data["text"]
    if not isinstance(text, str):
        raise InputError(f"`text` must be a string, not {_kind(text)}.")
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise TooLong(size, max_bytes)
    return _LONE_SURROGATE.sub("\ufffd", text)


def check_earlier(payload: Any, max_limit: int) -> tuple[int | None, int]:
    """Return (before, limit) of an `earlier` payload, or raise InputError saying what is wrong with it."""
    data = _fields(payload, EARLIER_FIELDS, "earlier")
    before, limit = data.get("before"), data.get("limit", max_limit)
    if before is not None and (isinstance(before, bool) or not isinstance(before, int) or before < 1):
        raise InputError("`before` must be the `seq` of the first turn you have (a whole number from 1).")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= max_limit:
        raise InputError(f"`limit` must be a whole number from 1 to {max_limit}.")
    return before, limit


class TooLong(InputError):
    """A message over the size limit."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"That message is {size:,} bytes; the limit is {limit:,}. "
                         "Send it in parts — I'll keep collecting until you say “done”.")
        self.size = size
        self.limit = limit


class RateLimiter:
    """A token bucket: `rate` events a second on average, bursts of up to `burst`."""

    def __init__(self, rate: float = 5.0, burst: int = 10, clock: Callable[[], float] = time.monotonic):
        """Start full, so a fresh connection may send a burst at once."""
        self.rate = float(rate)
        self.burst = float(burst)
        self.clock = clock
        self._tokens = self.burst
        self._at = clock()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Take one token if there is one; say whether the event may go ahead."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def wait(self) -> float:
        """Return how many seconds until the next event would be allowed."""
        with self._lock:
            return max(0.0, (1.0 - self._tokens) / self.rate) if self.rate > 0 else float("inf")

    def full(self) -> bool:
        """Tell whether the bucket has refilled to its burst (nothing to remember about it)."""
        with self._lock:
            return self._tokens + (self.clock() - self._at) * self.rate >= self.burst


class KeyedRateLimiter:
    """A token bucket per key (a client's address); keys whose bucket is full again are forgotten."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000):
        """`max_keys`: how many addresses are remembered at most (the global limit covers the rest)."""
        self.rate, self.burst, self.clock, self.max_keys = rate, burst, clock, max_keys
        self._buckets: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: str) -> RateLimiter:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._forget()
                bucket = self._buckets[key] = RateLimiter(self.rate, self.burst, self.clock)
            return bucket

    def _forget(self) -> None:
        # Called with the lock held: drop full buckets (they hold nothing a new one would not),
        # then, if an address flood left none full, the oldest ones.
        full = [k for k, b in self._buckets.items() if b.full()]
        for key in full or list(self._buckets)[: len(self._buckets) // 2 + 1]:
            del self._buckets[key]

    def allow(self, key: str) -> bool:
        """Take one token from this key's bucket if there is one; say whether the event may go ahead."""
        return self._bucket(key).allow()

    def wait(self, key: str) -> float:
        """Return how many seconds until this key's next event would be allowed."""
        return self._bucket(key).wait()
