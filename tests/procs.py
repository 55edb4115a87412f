"""Real `interviewer serve` processes and Socket.IO clients, for the process-level tests and bench_soak.

A plain module (not a conftest): `from procs import Server, Client`. Every wait is bounded; every
server is killed by whoever started it (`with Server(...) as s:` or `s.kill()` in a `finally`).
"""

from __future__ import annotations

import os
import random
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_load import LOAD_ENV, REPLY_TIMEOUT, Interview  # noqa: E402  (the load bench's client, reused)

# Seconds a server may take to print "Serving on" (it builds the index first when it must: ~3 s).
START_TIMEOUT = 45.0


class ServerExited(RuntimeError):
    """The server process ended before it was serving; `stderr` holds what it said."""

    def __init__(self, returncode: int | None, stderr: str):
        super().__init__(f"interviewer serve exited with {returncode} before serving:\n{stderr}")
        self.returncode = returncode
        self.stderr = stderr


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def copy_data_dir(built: Path, where: Path) -> Path:
    """Copy a built data dir (bank, lexicon, index, manifest) to `where`, so a test may damage it."""
    shutil.copytree(built, where, ignore=shutil.ignore_patterns("*.db", "*.db-*", ".build.lock"))
    return where


class Server:
    """`interviewer serve` in a subprocess on 127.0.0.1: start it, read its log, kill it."""

    def __init__(self, data_dir: Path, db_url: str, *, port: int = 0, queue: str | None = None,
                 channel: str | None = None, seed: int | None = 7, corpus: Path | None = None,
                 log: Path | None = None, env: dict[str, str] | None = None):
        """Describe the server; `start()` runs it. `log`: where its stderr goes (default beside data_dir).

        env: INTERVIEWER_* settings for it; by default every client may start as many sessions as it
        likes (all tests connect from 127.0.0.1, one address), as in the load bench.
        """
        self.data_dir, self.db_url, self.port = Path(data_dir), db_url, port
        self.env = dict(LOAD_ENV if env is None else env)
        self.queue, self.channel, self.seed, self.corpus = queue, channel, seed, corpus
        self.log = Path(log) if log else self.data_dir.parent / f"{self.data_dir.name}-serve.log"
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "interviewer", "--data-dir", str(self.data_dir)]
        if self.corpus is not None:
            cmd += ["--corpus", str(self.corpus)]
        cmd += ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--db", self.db_url]
        if self.queue:
            cmd += ["--message-queue", self.queue]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed)]
        return cmd

    def environ(self) -> dict[str, str]:
        """The server's environment: this one's, without any INTERVIEWER_* setting of the caller's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
        env.update(self.env)
        if self.channel:
            env["INTERVIEWER_MESSAGE_CHANNEL"] = self.channel
        return env

    def start(self, timeout: float = START_TIMEOUT) -> Server:
        """Run the server and wait until it serves; raise ServerExited if it stops first."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log_from = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as err:
            # A session of its own: a kill reaches every process of the server (gunicorn's workers too).
            self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=err, cwd=ROOT,
                                         env=self.environ(), start_new_session=True)
        if not self._await_serving(timeout):
            self.kill()
            raise ServerExited(self.proc.returncode, self.stderr())
        return self

    def _await_serving(self, timeout: float) -> bool:
        """Wait for the "Serving on URL" line `interviewer serve` prints; note the URL."""
        match = re.match(r"Serving on (http://\S+)", self._first_line(timeout))
        if match:
            self.url = match.group(1)
            self.port = int(self.url.rsplit(":", 1)[1])
        return bool(match)

    def _first_line(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    break
                chunk = os.read(fd, 4096)
                if not chunk:  # the process closed stdout: it exited
                    break
                buf += chunk
        if b"\n" not in buf:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        return buf.decode("utf-8", "replace").split("\n", 1)[0]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr(self) -> str:
        """Return what this run of the server wrote to its log."""
        if not self.log.exists():
            return ""
        with open(self.log, "rb") as f:
            f.seek(getattr(self, "_log_from", 0))
            return f.read().decode("utf-8", "replace")

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, str]:
        """GET a path of the server; return (status, body)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def rss_mb(self) -> float:
        """Return the server's resident memory in MB."""
        return psutil.Process(self.pid).memory_info().rss / 2**20

    def kill(self) -> None:
        """kill -9 the server (no clean-up of any kind) and reap it."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """Stop the server with SIGTERM (SIGKILL after 10 s) and reap it."""
        self._end(signal.SIGTERM)

    def _end(self, sig: int) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            _signal_group(proc, sig)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=10)
        _signal_group(proc, signal.SIGKILL)  # whatever the server started and left behind
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> Server:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Signal every process of the server's session (it leads its own group); none left is fine."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Gunicorn(Server):
    """The production set-up the README documents: gunicorn, one worker with threads, the app factory.

    Settings go through the environment (INTERVIEWER_DATA, _DB, _MESSAGE_QUEUE), as on a real node.
    """

    def command(self) -> list[str]:
        if not self.port:
            self.port = free_port()
        # gunicorn calls the factory with literal arguments: the seed makes the question order known.
        config = "" if self.seed is None else repr({"SEED": self.seed})
        factory = f"interviewer.server:create_app({config})"
        return [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "100", "--graceful-timeout", "2",
                "-b", f"127.0.0.1:{self.port}", factory]

    def environ(self) -> dict[str, str]:
        env = super().environ()
        env["INTERVIEWER_DATA"] = str(self.data_dir)
        env["INTERVIEWER_DB"] = self.db_url
        if self.corpus is not None:
            env["INTERVIEWER_CORPUS"] = str(self.corpus)
        if self.queue:
            env["INTERVIEWER_MESSAGE_QUEUE"] = self.queue
        return env

    def _await_serving(self, timeout: float) -> bool:
        """gunicorn prints nothing on stdout: wait until /healthz answers (or the process ends)."""
        assert self.proc is not None
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        return False


class Client(Interview):
    """A Socket.IO client that keeps every event it is sent: bench_load's interview client, driven by hand.

    `events` holds the replies in order, plus {"kind": "_session", …}, {"kind": "_transcript", …}
    and {"kind": "_disconnect"} for the other events. `say` and `start` use Socket.IO acks: the
    server acknowledges an event once its handler returned, after every reply it emitted, so the
    replies of one message are exactly those that arrived before the ack.
    """

    def __init__(self, url: str, connect: bool = True):
        super().__init__(url, topic="", questions=0, think=0.0, rng=random.Random(0))
        self.sio.on("transcript", lambda data: self._on_reply({"kind": "_transcript", **data}))
        if connect:
            self.sio.connect(url, transports=["websocket"], wait_timeout=REPLY_TIMEOUT)

    @property
    def events(self) -> list[dict[str, Any]]:
        with self.cond:
            return list(self.replies)

    def call(self, event: str, payload: Any, timeout: float = REPLY_TIMEOUT) -> list[dict[str, Any]]:
        """Send an event, wait for the server to finish with it; return what it sent meanwhile."""
        with self.cond:
            since = len(self.replies)
        self.sio.call(event, payload, timeout=timeout)
        with self.cond:
            return list(self.replies[since:])

    def start(self, **payload: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """Send `start`; return the session event (None if refused) and the other events after it."""
        got = self.call("start", payload)
        session = next((e for e in got if e["kind"] == "_session"), None)
        return ({k: v for k, v in session.items() if k != "kind"} if session else None,
                [e for e in got if e is not session])

    def say(self, text: Any, timeout: float = REPLY_TIMEOUT) -> list[dict[str, Any]]:
        """Send one chat message; return the replies to it."""
        return self.call("message", {"text": text}, timeout=timeout)

    def wait_for(self, kind: str, since: int = 0, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        """Wait for an event of `kind` after index `since` (errors included); raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = next((r for r in self.replies[since:] if r["kind"] == kind), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {kind!r} event within {timeout:.0f} s")
                self.cond.wait(left)

    def close(self) -> None:
        """Drop the connection at once, as a closed laptop lid does."""
        # A polite disconnect often waits out websocket-client's 3 s close timeout: the server
        # ends the socket on Engine.IO's close packet without answering the websocket close frame.
        ws = getattr(self.sio.eio, "ws", None)
        try:
            if ws is not None:
                ws.abort()
            self.sio.eio.disconnect(abort=True)
        except Exception:
            pass
        finally:
            if ws is not None:
                ws.shutdown()  # closes the socket, also when the server had gone already


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["kind"] for e in events]


def answer_for(question: dict[str, Any]) -> str:
    """A canned answer to a `question` reply's question: a letter for choice questions, else a paragraph."""
    from bench_load import ANSWER, CHOICE

    return CHOICE if question.get("options") else ANSWER
