"""The chat hub: connections, live sessions and the write-before-reply turn, free of Socket.IO.

Each method takes a connection id and a payload and returns the events to send, in order, as
(event, data) pairs; the Socket.IO handlers in `sockets.py` only emit them. Every turn is committed
to the store before its replies are returned, so a reply the user sees is always saved, and only
if the session still has the version (turn count) this process read: a session may be written from
two processes (two tabs on two servers behind the balancer), and the one that is behind reloads
the state from the store and answers from that rather than fork the interview.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from interviewer.dialogue import Config, Interviewer, Reply, State
from interviewer.dialogue.state import DEFAULT_COUNT
from interviewer.errors import InputError, InterviewerError, StoreError
from interviewer.practice import Practice
from interviewer.server.guard import (KeyedRateLimiter, RateLimiter, StartRequest, TooLong, check_earlier,
                                      check_message, check_start)
from interviewer.store import StaleState

log = logging.getLogger(__name__)

Event = tuple[str, dict[str, Any]]

# What a client that sends before `start` is told.
START_FIRST = "Start an interview first: the page does this for you (a client sends `start`)."
# What the user reads when something unexpected breaks; the traceback goes to the server log.
GENERIC_ERROR = ("Sorry — something went wrong on my side and that message was not saved. "
                 "Your text is back in the answer box: send it again, or say /help.")


# How many times a turn is worked out again after finding its session moved on in another process.
STALE_RETRIES = 3


@dataclass(frozen=True)
class Limits:
    """What one session and one client may take; every field is an app setting (see app.DEFAULTS)."""

    max_turns: int = 2000  # turns (messages and replies) one session keeps; past it, start a new one
    transcript_page: int = 200  # turns sent on resume, and at most per `earlier` request
    idle_days: float = 30.0  # a session untouched this long can no longer be resumed; 0: never
    start_rate: float = 1.0  # `start` events (new sessions and resumes) per second per client address…
    start_burst: int = 30  # …with bursts of this many
    # `start` events per second over all clients of this process, with bursts: room for every
    # client of a busy process to resume at once after a restart.
    all_start_rate: float = 50.0
    all_start_burst: int = 300


@dataclass
class Live:
    """A session in play on this process: its latest saved state and version, the lock that orders its turns."""

    session_id: str
    token: str
    state: State
    version: int  # the session's turn count when `state` was saved: writes are conditional on it
    share: str | None = None
    learner: str | None = None  # the learner whose concepts its graded answers review
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0


@dataclass
class Connection:
    """One socket: its rate limit, its client's address, and the session it is attached to, if any."""

    limiter: RateLimiter
    address: str = "unknown"
    session_id: str | None = None
    learner_key: str | None = None  # the browser's learner cookie, read at the handshake


class Hub:
    """Runs interviews over sockets: `start`, `message`, `earlier`, and the bookkeeping of who is connected."""

    def __init__(self, engine: Interviewer, store: Any, *, max_message_bytes: int = 8192,
                 rate: float = 5.0, burst: int = 10, seed: int | None = None, limits: Limits = Limits(),
                 new_limiter: Callable[[], RateLimiter] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 practice: Practice | None = None):
        """`rate`/`burst`: events per second per connection; `seed`: fix question order (tests);
        `clock` (seconds, for the rate limits) and `now` (for idle expiry, the time of turns and of
        reviews) are injectable for tests; `practice`: review the concepts of every graded answer for
        the connection's learner, and plan review rounds (None: no practice loop)."""
        self.engine = engine
        self.store = store
        self.practice = practice
        self.max_message_bytes = max_message_bytes
        self.seed = seed
        self.limits = limits
        self.now = now
        self._new_limiter = new_limiter or (lambda: RateLimiter(rate, burst, clock))
        self._starts_by_address = KeyedRateLimiter(limits.start_rate, limits.start_burst, clock)
        self._starts = RateLimiter(limits.all_start_rate, limits.all_start_burst, clock)
        self._connections: dict[str, Connection] = {}
        self._live: dict[str, Live] = {}
        # Guards the two tables above only; never held while a turn is worked on. A turn holds only
        # its own session's lock (the store queues its writers itself), so a long answer being graded
        # in one session never makes another session's message wait for it.
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connections

    def connect(self, sid: str, address: str | None = None, learner_key: str | None = None) -> None:
        """Register a new connection from a client address, with the learner key its cookie holds."""
        with self._lock:
            self._connections[sid] = Connection(self._new_limiter(), address or "unknown",
                                                learner_key=learner_key)

    def disconnect(self, sid: str) -> None:
        """Forget a connection; drop its session from memory when no connection uses it."""
        with self._lock:
            conn = self._connections.pop(sid, None)
            if conn and conn.session_id:
                self._release(conn.session_id)

    def session_of(self, sid: str) -> str | None:
        """Return the id of the session a connection is attached to."""
        conn = self._connections.get(sid)
        return conn.session_id if conn else None

    @property
    def connections(self) -> int:
        return len(self._connections)

    # ------------------------------------------------------------------ events

    def start(self, sid: str, payload: Any) -> list[Event]:
        """Open a new session or resume the one a token names; return `session` and the replies."""
        conn = self._connection(sid)
        if not conn.limiter.allow():
            return [_too_fast(conn.limiter)]
        try:
            request = check_start(payload)
        except InputError as exc:
            return [_error(str(exc))]
        # New sessions and resumes (a token guess is one) are limited per address and in all, not
        # only per connection: a client that reconnects for every `start` meets the same limit.
        refused = self._start_refused(conn.address)
        if refused:
            return [refused]
        try:
            lead: list[Reply] = []
            if request.token:
                record = self.store.session_by_token(request.token)
                if record is not None and not self._expired(record):
                    return self._resume(sid, record)
                lead.append(Reply("notice", self._not_resumed(record)))
            return self._open(sid, request, lead)
        except StoreError as exc:
            return [_error(f"{exc} Reload the page to try again.", retry=True)]
        except InterviewerError as exc:
            return [_error(str(exc))]
        except Exception:
            log.exception("start failed")
            return [_error("Sorry — I couldn't start the interview. Reload the page to try again.", retry=True)]

    def message(self, sid: str, payload: Any) -> list[Event]:
        """Take one message: run the engine, commit the turn, then return the replies."""
        conn = self._connection(sid)
        if not conn.limiter.allow():
            text = payload.get("text") if isinstance(payload, dict) else None
            small = isinstance(text, str) and len(text.encode("utf-8", "replace")) <= self.max_message_bytes
            return [_too_fast(conn.limiter, text if small else None)]
        try:
            text = check_message(payload, self.max_message_bytes)
        except TooLong as exc:
            # The text is not echoed back (it is big); the client still holds it.
            return [_error(str(exc), retry=True, limit=exc.limit, size=exc.size)]
        except InputError as exc:
            return [_error(str(exc))]
        live = self._live.get(conn.session_id) if conn.session_id else None
        if live is None:
            return [_error(START_FIRST)]
        with live.lock:
            if live.version >= self.limits.max_turns:
                return [_error(f"This interview has reached {self.limits.max_turns:,} turns, the most one session "
                               "keeps. Everything so far is saved on its scorecard; start a new interview to go on.",
                               unsent=text, limit=self.limits.max_turns)]
            try:
                state, payloads, version = self._turn(live, text)
            except StoreError as exc:
                # Nothing was written and the state did not move: the same text can be sent again.
                return [_error(f"{exc} Your message was not lost — it's back in the answer box; send it again.",
                               retry=True, unsent=text)]
            except InterviewerError as exc:
                return [_error(str(exc), retry=True, unsent=text)]
            except Exception:
                log.exception("message failed in session %s", live.session_id)
                return [_error(GENERIC_ERROR, retry=True, unsent=text)]
            live.state, live.version = state, version
        return [("reply", p) for p in payloads]

    def earlier(self, sid: str, payload: Any) -> list[Event]:
        """Return a page of the turns before `before` (the client's first), for a resumed transcript."""
        conn = self._connection(sid)
        if not conn.limiter.allow():
            return [_too_fast(conn.limiter)]
        try:
            before, limit = check_earlier(payload, self.limits.transcript_page)
        except InputError as exc:
            return [_error(str(exc))]
        if conn.session_id is None:
            return [_error(START_FIRST)]
        try:
            turns, earlier = self.store.transcript_page(conn.session_id, before=before, limit=limit)
        except StoreError as exc:
            return [_error(f"{exc} Reload the page to try again.", retry=True)]
        return [("earlier", {"session_id": conn.session_id, "turns": [transcript_item(t) for t in turns],
                             "earlier": earlier})]

    # ------------------------------------------------------------------ turns

    def _turn(self, live: Live, text: str) -> tuple[State, list[dict[str, Any]], int]:
        """Work out and save one turn (with `live.lock` held); return the new state, the replies and the version.

        The write is conditional on the version this process holds. When another process wrote
        first, the session's saved state is loaded and the same text is answered from it.
        """
        lead: list[dict[str, Any]] = []
        for _ in range(STALE_RETRIES):
            at = self.now()
            state, replies = self.engine.handle(live.state, text)
            write = None
            if self.practice is not None:
                # Reviews go in the turn's own conditional write: a stale turn, refused, reviews nothing.
                replies, write = self.practice.turn(self.store, live.learner, live.state, state, replies, at)
            payloads = lead + [r.to_dict() for r in replies]
            try:
                return state, payloads, self.store.record_turn(live.session_id, text, payloads, state,
                                                               version=live.version, practice=write, at=at,
                                                               before=live.state)
            except StaleState:
                record = self.store.session(live.session_id)
                if record is None:
                    raise StoreError("This session is no longer in the database; start a new interview.") from None
                live.state, live.version = State.from_dict(record.state), record.turns
                log.info("session %s moved on in another process; reloaded at %d turns", live.session_id,
                         record.turns)
                lead = [Reply("notice", _moved_on(live.state)).to_dict()]
        raise StoreError("This interview is being written from another window at the same time.")

    # ------------------------------------------------------------------ sessions

    def _open(self, sid: str, request: StartRequest, lead: list[Reply]) -> list[Event]:
        seed = self.seed if self.seed is not None else secrets.randbelow(2**31)
        config = Config(topic=request.topic, difficulty=request.difficulty,
                        count=request.count or DEFAULT_COUNT, seed=seed, round=request.round)
        at = self.now()
        key = self._connection(sid).learner_key
        learner = self.store.learner(key=key) if key and self.practice is not None else None
        who = learner.id if learner else None
        plan = None
        if config.round == "review" and self.practice is not None:
            plan = self.practice.review_plan(self.store, who, at, seed=seed, limit=request.count)
        state, replies = self.engine.start(config, review=plan)
        payloads = [r.to_dict() for r in lead + replies]
        record = self.store.create_session(asdict(state.config), state, payloads, client="web", learner=who, at=at)
        self._attach(sid, Live(record.id, record.token, state, record.turns, record.share, learner=who))
        return [("session", _session_event(record, resumed=False))] + [("reply", p) for p in payloads]

    def _resume(self, sid: str, record: Any) -> list[Event]:
        with self._lock:
            live = self._live.get(record.id)
        if live is None:
            live = Live(record.id, record.token, State.from_dict(record.state), record.turns, record.share,
                        learner=record.learner)
        live = self._attach(sid, live)
        with live.lock:
            if live.version < record.turns:  # another process wrote turns since this one loaded the session
                live.state, live.version = State.from_dict(record.state), record.turns
            phase = live.state.phase
        turns, earlier = self.store.transcript_page(record.id, limit=self.limits.transcript_page)
        return [("session", _session_event(record, resumed=True)),
                ("transcript", {"session_id": record.id, "phase": phase,
                                "turns": [transcript_item(t) for t in turns], "earlier": earlier})]

    def _expired(self, record: Any) -> bool:
        days = self.limits.idle_days
        return bool(days) and record.updated_at < self.now() - timedelta(days=days)

    def _not_resumed(self, record: Any) -> str:
        if record is None:
            return ("I couldn't find your earlier session (it may have been made on another server), "
                    "so here is a new one.")
        return (f"Your earlier interview had no activity for over {_days(self.limits.idle_days)}, so it can't be "
                "continued; its scorecard stays in your History. Here is a new one.")

    def _start_refused(self, address: str) -> Event | None:
        if not self._starts_by_address.allow(address):
            return _too_many(self._starts_by_address.wait(address), "from your address")
        if not self._starts.allow():
            return _too_many(self._starts.wait(), "on this server")
        return None

    def _attach(self, sid: str, live: Live) -> Live:
        """Attach a connection to a session; return the session's one Live record on this process."""
        with self._lock:
            conn = self._connections.setdefault(sid, Connection(self._new_limiter()))
            if conn.session_id == live.session_id:
                return self._live[live.session_id]
            if conn.session_id:
                self._release(conn.session_id)
            live = self._live.setdefault(live.session_id, live)
            live.connections += 1
            conn.session_id = live.session_id
            return live

    def _release(self, session_id: str) -> None:
        # Called with self._lock held.
        live = self._live.get(session_id)
        if live is not None:
            live.connections -= 1
            if live.connections <= 0:
                del self._live[session_id]

    def _connection(self, sid: str) -> Connection:
        with self._lock:
            return self._connections.setdefault(sid, Connection(self._new_limiter()))


def transcript_item(turn: Any) -> dict[str, Any]:
    """Return one stored turn as the page replays it: {seq, role, at, kind, text, ...reply data}."""
    payload = dict(turn.payload or {})
    payload.pop("role", None)
    at = turn.created_at.isoformat() if hasattr(turn.created_at, "isoformat") else turn.created_at
    return {**payload, "seq": turn.seq, "role": turn.role, "at": at, "kind": turn.kind, "text": turn.text}


def _session_event(record: Any, resumed: bool) -> dict[str, Any]:
    # `token` resumes and writes (the page keeps it in localStorage); `share` only reads the scorecard.
    return {"session_id": record.id, "token": record.token, "resumed": resumed, "share": record.share}


def _moved_on(state: State) -> str:
    where = (f"question {state.number} of {state.config.count}" if state.current and state.phase != "ended"
             else "its end" if state.phase == "ended" else "the set-up")
    return (f"This interview had moved on in another window or tab (it is at {where}); "
            "I've caught up, and your message was taken from there.")


def _days(days: float) -> str:
    return f"{days:g} day{'s' if days != 1 else ''}"


def _error(text: str, *, retry: bool = False, **data: Any) -> Event:
    reply: dict[str, Any] = {"kind": "error", "text": text}
    if retry:
        reply["retry"] = True
    reply.update({k: v for k, v in data.items() if v is not None})
    return ("reply", reply)


def _too_many(wait: float, whose: str) -> Event:
    return _error(f"Too many interviews were started or resumed {whose} just now — wait "
                  f"{max(1, round(wait + 0.5))} s and reload the page.", retry=True, retry_after=round(wait, 2))


def _too_fast(limiter: RateLimiter, text: str | None = None) -> Event:
    wait = limiter.wait()
    return _error(f"You're sending messages faster than I can take them — wait {max(1, round(wait + 0.5))} s "
                  "and send that again.", retry=True, retry_after=round(wait, 2), unsent=text)
