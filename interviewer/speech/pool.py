"""A bounded pool of recognizers in worker processes, for the threading server.

pocketsphinx holds Python's lock while it decodes, so decoding in a request thread would stall
every other connection. Each worker process loads one recognizer (lazily, the first time it is
needed) and decodes one recording at a time; a connection streams its audio to the worker it was
given and gets partial and final text back through a callback, called from the pool's own
threads. Nothing here blocks the caller: `feed` and `end` queue their message and return.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

from interviewer.errors import InterviewerError
from interviewer.speech.audio import BYTES_PER_SECOND, AudioError

log = logging.getLogger(__name__)

# on_text(kind, data): kind is "partial" ({"text"}), "final" (a Transcript's dict) or "error" ({"text"}).
OnText = Callable[[str, dict[str, Any]], None]


class Busy(InterviewerError):
    """No recognizer is free, or this connection already has one."""


@dataclass(frozen=True)
class PoolLimits:
    """How many recognizers run and how much audio one recording may send."""

    workers: int = 2  # one per core: each decodes at 0.1–0.2× real time
    max_seconds: float = 300.0  # one recording, at 16 kHz 16-bit mono
    max_chunk_bytes: int = 64 * 1024  # one audio_chunk (2 s); the page sends ~0.25 s at a time

    @property
    def max_bytes(self) -> int:
        return int(self.max_seconds * BYTES_PER_SECOND)


class Stream:
    """One recording in progress on one worker."""

    def __init__(self, pool: DecoderPool, slot: _Slot, owner: str, on_text: OnText):
        self.pool, self.slot, self.owner, self.on_text = pool, slot, owner, on_text
        self.received = 0
        self.ended = False

    def feed(self, pcm: bytes) -> None:
        """Queue a chunk of 16 kHz mono 16-bit PCM; raise AudioError past the limits."""
        if self.ended:
            raise AudioError("this recording has ended; start a new one")
        limits = self.pool.limits
        if len(pcm) > limits.max_chunk_bytes:
            raise AudioError(f"an audio chunk of {len(pcm):,} bytes is too big; at most {limits.max_chunk_bytes:,}")
        if len(pcm) % 2:
            raise AudioError("audio chunks must hold whole 16-bit samples (an even number of bytes)")
        if self.received + len(pcm) > limits.max_bytes:
            raise AudioError(f"the recording reached the limit of {limits.max_seconds:.0f} s")
        self.received += len(pcm)
        self.slot.send(("audio", pcm))

    def end(self) -> None:
        """Finish the recording; its final text comes to on_text."""
        if not self.ended:
            self.ended = True
            self.slot.send(("end", None))

    def cancel(self) -> None:
        """Drop the recording; nothing more comes to on_text."""
        if not self.ended:
            self.ended = True
            self.on_text = _ignore
            self.slot.send(("cancel", None))


def _ignore(kind: str, data: dict[str, Any]) -> None:
    pass


class DecoderPool:
    """At most `limits.workers` recognizer processes, started when first needed."""

    def __init__(self, model_dir: Path, limits: PoolLimits = PoolLimits(), start_method: str = "spawn",
                 decoder_options: dict[str, Any] | None = None):
        # spawn, not fork: forking a threaded server copies its locks in whatever state they are.
        self.model_dir = Path(model_dir)
        self.limits = limits
        self.decoder_options = dict(decoder_options or {})
        self._context = multiprocessing.get_context(start_method)
        self._slots: list[_Slot] = []
        self._owners: dict[str, Stream] = {}
        self._lock = threading.Lock()
        self._closed = False

    def open(self, owner: str, on_text: OnText) -> Stream:
        """Give `owner` (a connection) a recognizer for one recording; raise Busy if none is free."""
        with self._lock:
            if self._closed:
                raise Busy("speech recognition is shutting down")
            if owner in self._owners:
                raise Busy("you are already dictating; stop that recording first")
            slot = next((s for s in self._slots if s.stream is None and s.alive()), None)
            if slot is None:
                self._slots = [s for s in self._slots if s.alive() or s.stream is not None]
                if len(self._slots) >= self.limits.workers:
                    raise Busy(f"all {self.limits.workers} speech recognizers are in use; try again in a moment, "
                               "or type your answer")
                slot = _Slot(self)
                self._slots.append(slot)
            stream = Stream(self, slot, owner, on_text)
            slot.stream = stream
            self._owners[owner] = stream
        slot.send(("start", None))
        return stream

    def stream_of(self, owner: str) -> Stream | None:
        """Return the recording `owner` has in progress, if any."""
        with self._lock:
            return self._owners.get(owner)

    def release(self, owner: str) -> None:
        """Cancel whatever recording `owner` has (a connection closed)."""
        stream = self.stream_of(owner)
        if stream is not None:
            stream.cancel()

    def _done(self, slot: _Slot, stream: Stream) -> None:
        with self._lock:
            if slot.stream is stream:
                slot.stream = None
            if self._owners.get(stream.owner) is stream:
                del self._owners[stream.owner]

    def workers(self) -> list[int]:
        """Return the process ids of the running workers."""
        with self._lock:
            return [s.process.pid for s in self._slots if s.alive() and s.process.pid]

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            slots, self._slots = self._slots, []
        for slot in slots:
            slot.stop()


class _Slot:
    """One worker process, a thread that sends it messages and one that reads its answers."""

    def __init__(self, pool: DecoderPool):
        self.pool = pool
        self.stream: Stream | None = None
        parent, child = pool._context.Pipe()
        self.conn: Connection = parent
        self.process = pool._context.Process(target=serve, args=(child, str(pool.model_dir), pool.decoder_options),
                                              name="interviewer-speech", daemon=True)
        self.process.start()
        child.close()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._dead = False
        threading.Thread(target=self._send_loop, name="speech-send", daemon=True).start()
        threading.Thread(target=self._read_loop, name="speech-read", daemon=True).start()

    def alive(self) -> bool:
        return not self._dead and self.process.is_alive()

    def send(self, message: tuple[str, Any]) -> None:
        self._outbox.put(message)

    def _send_loop(self) -> None:
        while True:
            kind, data = self._outbox.get()
            if kind == "audio":
                # Chunks that queued up while the worker was busy go as one: one partial for all.
                parts = [data]
                while True:
                    try:
                        nxt = self._outbox.get_nowait()
                    except queue.Empty:
                        nxt = None
                        break
                    if nxt[0] != "audio":
                        break
                    parts.append(nxt[1])
                data = b"".join(parts)
                self._put(("audio", data))
                if nxt is not None:
                    self._put(nxt)
                    if nxt[0] == "stop":
                        return
            else:
                self._put((kind, data))
                if kind == "stop":
                    return

    def _put(self, message: tuple[str, Any]) -> None:
        try:
            self.conn.send(message)
        except (OSError, ValueError):
            self._dead = True

    def _read_loop(self) -> None:
        while True:
            try:
                kind, data = self.conn.recv()
            except (EOFError, OSError):
                self._dead = True
                stream = self.stream
                if stream is not None and not self.pool._closed:
                    log.error("a speech recognizer process stopped (exit code %s)", self.process.exitcode)
                    stream.on_text("error", {"text": "The speech recognizer stopped; please try again."})
                    self.pool._done(self, stream)
                return
            stream = self.stream
            if stream is None:
                continue
            if kind in ("final", "error", "cancelled"):
                self.pool._done(self, stream)
            if kind != "cancelled":
                try:
                    stream.on_text(kind, data)
                except Exception:  # a callback's bug must not stop the reader
                    log.exception("speech callback failed")

    def stop(self) -> None:
        self.send(("stop", None))
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def serve(conn: Connection, model_dir: str, decoder_options: dict[str, Any]) -> None:
    """The worker process: load a recognizer, then decode what the pool sends until told to stop."""
    from interviewer.speech.model import SpeechModel
    from interviewer.speech.recognizer import Recognizer

    try:
        recognizer = Recognizer(SpeechModel(Path(model_dir)), **decoder_options)
    except Exception as exc:  # a missing or broken model: say so for every recording, then stop
        conn.send(("error", {"text": f"speech recognition is not available ({exc})"}))
        return
    last = ""
    while True:
        try:
            kind, data = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            if kind == "start":
                recognizer.start()
                last = ""
            elif kind == "audio":
                text = recognizer.feed(data)
                if text and text != last:
                    conn.send(("partial", {"text": text}))
                    last = text
            elif kind == "end":
                conn.send(("final", recognizer.finish().to_dict()))
            elif kind == "cancel":
                recognizer.cancel()
                conn.send(("cancelled", None))
            elif kind == "stop":
                return
        except Exception as exc:
            recognizer.cancel()
            conn.send(("error", {"text": f"the recording could not be decoded ({type(exc).__name__}: {exc})"}))
