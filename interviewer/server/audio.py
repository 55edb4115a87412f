"""Dictation over Socket.IO: a connection streams 16 kHz mono 16-bit PCM, the decoder pool answers.

Events (namespace "/"):

- client → `audio_start` {rate: 16000}; server → `dictation` {kind: "started"}
- client → `audio_chunk` <binary PCM, at most PoolLimits.max_chunk_bytes>
- client → `audio_end`
- server → `dictation` {kind: "partial", text} while it decodes, then {kind: "final", text,
  normalised, seconds, speaking_seconds, …}; or {kind: "error", text} (busy, too long, bad data).

(`transcript` already names the resumed-session event, hence `dictation`.) Decoding happens in
the pool's worker processes; these handlers only check payloads and queue audio, so they return
at once. One recording per connection at a time; a closed connection drops its recording.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from interviewer.errors import InterviewerError
from interviewer.speech.audio import RATE, AudioError
from interviewer.speech.model import SpeechModel
from interviewer.speech.pool import DecoderPool, PoolLimits

log = logging.getLogger(__name__)

EVENT = "dictation"
Emit = Callable[[str, str, dict[str, Any]], None]  # (sid, event, data), safe from any thread
Event = tuple[str, dict[str, Any]]


class Dictation:
    """Every connection's dictation, over one lazily started decoder pool."""

    def __init__(self, model_dir, limits: PoolLimits, emit: Emit,
                 pool_factory: Callable[[], DecoderPool] | None = None):
        self.model_dir = model_dir
        self.limits = limits
        self.emit = emit
        self._pool_factory = pool_factory or (lambda: DecoderPool(model_dir, limits))
        self._pool: DecoderPool | None = None
        self._lock = threading.Lock()

    def pool(self) -> DecoderPool:
        """Return the decoder pool, created on first use (its workers start when first needed)."""
        with self._lock:
            if self._pool is None:
                SpeechModel(self.model_dir).check()
                self._pool = self._pool_factory()
            return self._pool

    def start(self, sid: str, payload: Any) -> list[Event]:
        """Open a recording for this connection."""
        try:
            rate = payload.get("rate", RATE) if isinstance(payload, dict) else RATE if payload is None else None
            if rate != RATE:
                raise AudioError(f"send 16 kHz mono 16-bit PCM: `audio_start` takes {{\"rate\": {RATE}}}")
            self.pool().open(sid, lambda kind, data: self._relay(sid, kind, data))
        except InterviewerError as exc:
            return [_error(str(exc))]
        return [(EVENT, {"kind": "started", "max_seconds": self.limits.max_seconds})]

    def chunk(self, sid: str, payload: Any) -> list[Event]:
        """Queue a chunk of audio for this connection's recording."""
        stream = self._pool.stream_of(sid) if self._pool is not None else None
        if stream is None:
            return [_error("send `audio_start` before audio")]
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            return [_error("`audio_chunk` takes binary 16-bit PCM")]
        try:
            stream.feed(bytes(payload))
        except AudioError as exc:
            stream.end()  # what was said so far still comes back as the final text
            return [_error(f"{exc}; the text so far is kept")]
        return []

    def end(self, sid: str) -> list[Event]:
        """Finish this connection's recording; the final text follows as a `dictation` event."""
        stream = self._pool.stream_of(sid) if self._pool is not None else None
        if stream is not None:
            stream.end()
        return []

    def disconnect(self, sid: str) -> None:
        """Drop the recording of a connection that closed."""
        if self._pool is not None:
            self._pool.release(sid)

    def close(self) -> None:
        """Stop the pool's workers."""
        if self._pool is not None:
            self._pool.close()

    def _relay(self, sid: str, kind: str, data: dict[str, Any]) -> None:
        self.emit(sid, EVENT, {"kind": kind, **data})


def _error(text: str) -> Event:
    return (EVENT, {"kind": "error", "text": text})
