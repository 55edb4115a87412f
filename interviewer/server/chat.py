"""The chat hub: connections, live sessions and the write-before-reply turn, free of Socket.IO.

Each method takes a connection id and a payload and returns the events to send, in order, as
(event, data) pairs; the Socket.IO handlers in `sockets.py` only emit them. Every turn is committed
to the store before its replies are returned, so a reply the user sees is always saved.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from interviewer.dialogue import Config, Interviewer, Reply, State
from interviewer.dialogue.state import DEFAULT_COUNT
from interviewer.errors import InputError, InterviewerError, StoreError
from interviewer.server.guard import RateLimiter, StartRequest, TooLong, check_message, check_start

log = logging.getLogger(__name__)

Event = tuple[str, dict[str, Any]]

# What the user reads when something unexpected breaks; the traceback goes to the server log.
GENERIC_ERROR = ("Sorry — something went wrong on my side and that message was not saved. "
                 "Your text is back in the answer box: send it again, or say /help.")


@dataclass
class Live:
    """A session in play on this process: its latest saved state, the lock that orders its turns."""

    session_id: str
    token: str
    state: State
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0


@dataclass
class Connection:
    """One socket: its rate limit and the session it is attached to, if any."""

    limiter: RateLimiter
    session_id: str | None = None


class Hub:
    """Runs interviews over sockets: `start`, `message`, and the bookkeeping of who is connected."""

    def __init__(self, engine: Interviewer, store: Any, *, max_message_bytes: int = 8192,
                 rate: float = 5.0, burst: int = 10, seed: int | None = None,
                 new_limiter: Callable[[], RateLimiter] | None = None):
        """`rate`/`burst`: events per second per connection; `seed`: fix question order (tests)."""
        self.engine = engine
        self.store = store
        self.max_message_bytes = max_message_bytes
        self.seed = seed
        self._new_limiter = new_limiter or (lambda: RateLimiter(rate, burst))
        self._connections: dict[str, Connection] = {}
        self._live: dict[str, Live] = {}
        # Guards the two tables above only; never held while a turn is worked on. A turn holds only
        # its own session's lock (the store queues its writers itself), so a long answer being graded
        # in one session never makes another session's message wait for it.
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connections

    def connect(self, sid: str) -> None:
        """Register a new connection."""
        with self._lock:
            self._connections[sid] = Connection(self._new_limiter())

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
        try:
            lead: list[Reply] = []
            if request.token:
                record = self.store.session_by_token(request.token)
                if record is not None:
                    return self._resume(sid, record)
                lead.append(Reply("notice", "I couldn't find your earlier session (it may have been made "
                                            "on another server), so here is a new one."))
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
            return [_error("Start an interview first: the page does this for you (a client sends `start`).")]
        with live.lock:
            try:
                state, replies = self.engine.handle(live.state, text)
                payloads = [r.to_dict() for r in replies]
                self.store.record_turn(live.session_id, text, payloads, state.to_dict())
            except StoreError as exc:
                # Nothing was written and the state did not move: the same text can be sent again.
                return [_error(f"{exc} Your message was not lost — it's back in the answer box; send it again.",
                               retry=True, unsent=text)]
            except InterviewerError as exc:
                return [_error(str(exc), retry=True, unsent=text)]
            except Exception:
                log.exception("message failed in session %s", live.session_id)
                return [_error(GENERIC_ERROR, retry=True, unsent=text)]
            live.state = state
        return [("reply", p) for p in payloads]

    # ------------------------------------------------------------------ sessions

    def _open(self, sid: str, request: StartRequest, lead: list[Reply]) -> list[Event]:
        seed = self.seed if self.seed is not None else secrets.randbelow(2**31)
        config = Config(topic=request.topic, difficulty=request.difficulty,
                        count=request.count or DEFAULT_COUNT, seed=seed)
        state, replies = self.engine.start(config)
        payloads = [r.to_dict() for r in lead + replies]
        record = self.store.create_session(asdict(state.config), state.to_dict(), payloads, client="web")
        self._attach(sid, Live(record.id, record.token, state))
        session = {"session_id": record.id, "token": record.token, "resumed": False}
        return [("session", session)] + [("reply", p) for p in payloads]

    def _resume(self, sid: str, record: Any) -> list[Event]:
        with self._lock:
            live = self._live.get(record.id)
        if live is None:
            live = Live(record.id, record.token, State.from_dict(record.state))
        live = self._attach(sid, live)
        turns = [transcript_item(t) for t in self.store.transcript(record.id)]
        session = {"session_id": record.id, "token": record.token, "resumed": True}
        return [("session", session),
                ("transcript", {"session_id": record.id, "phase": live.state.phase, "turns": turns})]

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


def _error(text: str, *, retry: bool = False, **data: Any) -> Event:
    reply: dict[str, Any] = {"kind": "error", "text": text}
    if retry:
        reply["retry"] = True
    reply.update({k: v for k, v in data.items() if v is not None})
    return ("reply", reply)


def _too_fast(limiter: RateLimiter, text: str | None = None) -> Event:
    wait = limiter.wait()
    return _error(f"You're sending messages faster than I can take them — wait {max(1, round(wait + 0.5))} s "
                  "and send that again.", retry=True, retry_after=round(wait, 2), unsent=text)
