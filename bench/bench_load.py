"""Load test: N concurrent Socket.IO clients, each running a whole interview against a real
`interviewer serve` on 127.0.0.1 (SQLite store in a temporary dir).

    .venv/bin/python bench/bench_load.py                     # 1, 50 and 200 clients
    .venv/bin/python bench/bench_load.py --quick             # 1 and 20 clients, 2 questions each
    .venv/bin/python bench/bench_load.py --clients 200 --think 3

Each client connects (websocket), sends `start` with a topic, answers every question with a canned
answer after a pause ("thinking", uniform in [think/2, 3·think/2]), says "next" to follow-up probes
and ends with /end. Measured: connect time (connect + `start` → first question), answer → feedback
latency (p50/p95/p99), errors (error replies, timeouts, dropped connections), and the server's
resident memory at start / peak / end. Every run is bounded: a level that overruns --deadline counts
the unfinished clients as errors. Budget (DESIGN.md): 200 clients, p95 under 150 ms, zero errors.

    .venv/bin/python bench/bench_load.py --saturate --clients 10,25,50 --seconds 20
    .venv/bin/python bench/bench_load.py --stall --clients 20 --seconds 30

--saturate: clients with no think time (answer after answer, a new interview on the same topic
after each summary), the per-connection rate limit lifted; messages answered per second, latency,
and the server's CPU per message. Budget: at least 250 messages/s per process, p95 under 250 ms.
With --light the clients write Socket.IO's text frames themselves (a tenth of python-socketio's
client CPU, which otherwise caps the figure near 300 messages/s and takes the server's CPU); with
--transport the server is bench/transport_server.py, the same stack answering with canned replies:
the ceiling the transport alone sets.
--stall: ordinary clients' answer latency without and with one client sending 4 × 7.6 KB parts
and "done" over and over (a 30 KB answer graded each time). Budget: their p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviewer.build import build  # noqa: E402
from interviewer.config import bundled, load_settings  # noqa: E402

TOPICS = ["caching", "messaging", "consensus", "replication", "databases", "scalability", "reliability",
          "observability"]
ANSWER = ("I would start with the requirements and the read and write rates, then put a cache in front of "
          "the database with a TTL, replicate the data across availability zones with a leader and "
          "followers, use a queue to absorb bursts with idempotent consumers and retries with backoff, "
          "and add monitoring of latency percentiles, error rates and saturation with alerts.")
CHOICE = "A, because it keeps reads fast and the data fresh enough for the users who depend on it."
REPLY_TIMEOUT = 15.0  # seconds a client waits for any one reply before calling it an error


@dataclass
class Result:
    connect: float | None = None
    feedback: list[float] = field(default_factory=list)
    other: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    done: bool = False


class Interview:
    """One simulated candidate on one connection."""

    def __init__(self, url: str, topic: str, questions: int, think: float, rng: random.Random):
        self.url, self.topic, self.questions, self.think, self.rng = url, topic, questions, think, rng
        self.result = Result()
        self.replies: list[dict] = []
        self.cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("reply", self._on_reply)
        self.sio.on("session", lambda data: self._on_reply({"kind": "_session", **data}))
        self.sio.on("disconnect", lambda *a: self._on_reply({"kind": "_disconnect"}))

    def _on_reply(self, data: dict) -> None:
        with self.cond:
            self.replies.append(data)
            self.cond.notify_all()

    def _wait_for(self, kinds: set[str], since: int) -> tuple[dict, int]:
        """Wait for the first reply of one of `kinds` after index `since`; raise on error or timeout."""
        deadline = time.monotonic() + REPLY_TIMEOUT
        with self.cond:
            while True:
                for i in range(since, len(self.replies)):
                    r = self.replies[i]
                    if r["kind"] in ("error", "_disconnect"):
                        raise RuntimeError(f"{r['kind']}: {r.get('text', '')[:80]}")
                    if r["kind"] in kinds:
                        return r, i + 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {sorted(kinds)} within {REPLY_TIMEOUT:.0f} s")
                self.cond.wait(left)

    def _send(self, text: str, kinds: set[str]) -> tuple[dict, float]:
        """Send a message; return the first reply of `kinds` to it and the seconds until the server's ack."""
        # Wait for the server's ack, not just the first reply of a wanted kind: the ack comes after
        # every reply to this message, so a reply still on its way from the message before (the
        # summary after the last feedback) is never taken for this one's, and the interview never
        # hangs up on a message the server has not read yet.
        self.sending(text)
        with self.cond:
            since = len(self.replies)
        t0 = time.perf_counter()
        self.sio.call("message", {"text": text}, timeout=REPLY_TIMEOUT)
        seconds = time.perf_counter() - t0
        reply, _ = self._wait_for(kinds, since)
        return reply, seconds

    def sending(self, text: str) -> None:
        """Hook: a message is about to be sent."""

    def run(self) -> Result:
        try:
            t0 = time.perf_counter()
            self.sio.connect(self.url, transports=["websocket"], wait_timeout=REPLY_TIMEOUT)
            self.sio.emit("start", {"topic": self.topic, "count": self.questions})
            question, _ = self._wait_for({"question"}, 0)
            self.result.connect = time.perf_counter() - t0
            for _ in range(self.questions):
                time.sleep(self.rng.uniform(self.think / 2, self.think * 1.5))
                text = CHOICE if question["question"]["options"] else ANSWER
                feedback, seconds = self._send(text, {"feedback"})
                self.result.feedback.append(seconds)
                with self.cond:
                    tail = list(self.replies[-3:])
                nxt = next((r for r in tail if r["kind"] in ("question", "summary")), None)
                if feedback.get("follow_up"):
                    time.sleep(self.rng.uniform(self.think / 4, self.think / 2))
                    nxt, seconds = self._send("next", {"question", "summary"})
                    self.result.other.append(seconds)
                if nxt is None:
                    nxt, _ = self._wait_for({"question", "summary"}, 0)
                if nxt["kind"] == "summary":
                    break
                question = nxt
            else:
                _, seconds = self._send("/end", {"summary"})
                self.result.other.append(seconds)
            self.result.done = True
        except Exception as exc:  # every failure is a counted error, never a crash of the bench
            self.result.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            try:
                self.sio.disconnect()
            except Exception:
                pass
        return self.result


class Drafter(Interview):
    """A candidate who answers every question with a long answer in parts (up to the draft cap)."""

    PART = ("so the leader sends heartbeats to every follower and when they stop a follower times out, "
            "becomes a candidate, bumps the term and asks for votes; ") * 50  # about 7.6 KB

    def run(self) -> Result:
        try:
            self.sio.connect(self.url, transports=["websocket"], wait_timeout=REPLY_TIMEOUT)
            self.sio.emit("start", {"topic": self.topic, "count": 20})
            self._wait_for({"question"}, 0)
            while not self.stop.is_set():
                for _ in range(4):  # 4 × 7.6 KB: just under the 32 KB a draft may hold
                    self.sio.call("message", {"text": self.PART}, timeout=REPLY_TIMEOUT)
                    time.sleep(self.PACE)
                _, seconds = self._send("done", {"feedback"})
                self.result.feedback.append(seconds)
                time.sleep(self.PACE)
                reply, _ = self._send("/skip", {"question", "summary", "notice"})
                time.sleep(self.PACE)
                with self.cond:
                    ended = any(r["kind"] == "summary" for r in self.replies[-3:])
                if ended:  # all 20 questions done: another interview, as the page's button starts it
                    with self.cond:
                        since = len(self.replies)
                    self.sio.emit("start", {"topic": self.topic, "count": 20})
                    self._wait_for({"question"}, since)
            self.result.done = True
        except Exception as exc:
            self.result.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            try:
                self.sio.disconnect()
            except Exception:
                pass
        return self.result

    stop = threading.Event()
    PACE = 0.25  # seconds between messages: 4 a second, within the server's rate limit (5/s)


class Saturator(Interview):
    """A client with no think time: answer after answer for `seconds`, a new interview after each summary.

    Counts the messages answered (every reply to them was not an error) and the refused ones apart:
    a refusal ("faster than I can take them") costs the server almost nothing and is not throughput.
    """

    def __init__(self, *args, seconds: float = 20.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.seconds = seconds
        self.messages = 0
        self.refused = 0

    def _call(self, event: str, payload: dict) -> None:
        with self.cond:
            since = len(self.replies)
        t0 = time.perf_counter()
        self.sio.call(event, payload, timeout=REPLY_TIMEOUT)
        seconds = time.perf_counter() - t0
        with self.cond:
            got = self.replies[since:]
        if any(r["kind"] == "error" for r in got):
            self.refused += 1
            if len(self.result.errors) < 3:
                self.result.errors.append(next(r["text"][:80] for r in got if r["kind"] == "error"))
        else:
            self.messages += 1
            self.result.feedback.append(seconds)

    def run(self) -> Result:
        try:
            self.sio.connect(self.url, transports=["websocket"], wait_timeout=REPLY_TIMEOUT)
            self.sio.emit("start", {"topic": self.topic, "count": 20})
            self._wait_for({"question"}, 0)
            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                self._call("message", {"text": ANSWER})
                with self.cond:
                    last = self.replies[-1]["kind"] if self.replies else ""
                if last == "summary":  # the interview is over: a new one on the same topic, from the page's button
                    self._call("start", {"topic": self.topic, "count": 20})
            self.result.done = True
        except Exception as exc:
            self.result.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            try:
                self.sio.disconnect()
            except Exception:
                pass
        return self.result


class LightSaturator:
    """A saturating client that speaks Socket.IO's text frames itself over one websocket.

    python-socketio's client costs about 3 ms of CPU a message, as much as half the server's: the
    bench's clients, in one process, then top out near 300 messages/s on their own and take CPU
    the server needs. This client sends and reads the same events (start, message with an ack,
    reply, session) with a few string operations each, and counts the same way as `Saturator`.
    """

    def __init__(self, url: str, topic: str, seconds: float):
        self.url, self.topic, self.seconds = url, topic, seconds
        self.result = Result()
        self.messages = 0
        self.refused = 0
        self._ack = 0
        self.doing = "connect"  # the event waited on, for the error line

    def _ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1).rstrip("/") + "/socket.io/?EIO=4&transport=websocket"

    def _frame(self, ws) -> str:
        """Return the next Socket.IO frame, answering the server's pings on the way."""
        while True:
            data = ws.receive(timeout=REPLY_TIMEOUT)
            if data is None:
                raise TimeoutError(f"no frame within {REPLY_TIMEOUT:.0f} s")
            if data == "2":  # Engine.IO ping
                ws.send("3")
                continue
            return data

    def _call(self, ws, event: str, payload: dict) -> tuple[list[dict], float]:
        """Emit `event` with an ack; return the replies before the ack and the seconds it took."""
        self.doing = event
        self._ack += 1
        t0 = time.perf_counter()
        ws.send(f"42{self._ack}" + json.dumps([event, payload]))
        replies: list[dict] = []
        ack = f"43{self._ack}["
        while True:
            frame = self._frame(ws)
            if frame.startswith(ack):
                return replies, time.perf_counter() - t0
            if frame.startswith('42["reply",'):
                replies.append(json.loads(frame[2:])[1])

    def run(self) -> Result:
        import simple_websocket
        ws = None
        try:
            ws = simple_websocket.Client.connect(self._ws_url())
            # "40" goes out before the Engine.IO open frame is read: simple-websocket's client leaves
            # a frame that arrived with the handshake's response unread until more data comes.
            ws.send("40")
            while not self._frame(ws).startswith("40"):  # the open frame, then Socket.IO's connect
                pass
            self._call(ws, "start", {"topic": self.topic, "count": 20})
            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                replies, seconds = self._call(ws, "message", {"text": ANSWER})
                errors = [r for r in replies if r.get("kind") == "error"]
                if errors:
                    self.refused += 1
                    if len(self.result.errors) < 3:
                        self.result.errors.append(errors[0].get("text", "")[:80])
                else:
                    self.messages += 1
                    self.result.feedback.append(seconds)
                if replies and replies[-1].get("kind") == "summary":
                    self._call(ws, "start", {"topic": self.topic, "count": 20})
            self.result.done = True
        except Exception as exc:
            self.result.errors.append(f"{type(exc).__name__} in {self.doing}: {exc}")
        finally:
            if ws is not None:
                try:
                    ws.close()
                except Exception:
                    pass
        return self.result


# Every bench client connects from 127.0.0.1: the per-address limit on starting sessions would
# refuse all but the first few of them (it is meant for one person, or one office behind a NAT).
LOAD_ENV = {"INTERVIEWER_START_RATE": "1000", "INTERVIEWER_START_BURST": "1000",
            "INTERVIEWER_ALL_START_RATE": "1000", "INTERVIEWER_ALL_START_BURST": "1000"}
# A saturation client sends without pause: past the per-connection limit (5 messages a second)
# it would measure the limiter's refusals, not the server's work.
SATURATE_ENV = {**LOAD_ENV, "INTERVIEWER_RATE_LIMIT": "100000", "INTERVIEWER_RATE_BURST": "100000"}


class Server:
    """`interviewer serve` in a subprocess, with its memory sampled."""

    def __init__(self, data_dir: Path, db: Path, log: Path, env: dict[str, str] | None = None,
                 transport: bool = False):
        cmd = [sys.executable, "-m", "interviewer", "--data-dir", str(data_dir), "serve", "--port", "0",
               "--db", f"sqlite:///{db}"]
        if transport:  # the same stack answering with canned replies: what the transport alone costs
            cmd = [sys.executable, str(ROOT / "bench" / "transport_server.py"), "--data-dir", str(data_dir)]
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT,
                                         env={**os.environ, **(LOAD_ENV if env is None else env)})
        line = self.proc.stdout.readline()
        match = re.match(r"Serving on (http://\S+)", line)
        if not match:
            self.stop()
            raise SystemExit(f"the server did not start: {line!r}; see {log}")
        self.url = match.group(1)
        self.ps = psutil.Process(self.proc.pid)
        self.peak = self.rss()
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def rss(self) -> float:
        return self.ps.memory_info().rss / 2**20

    def _sample(self) -> None:
        while self._sampling:
            try:
                self.peak = max(self.peak, self.rss())
            except psutil.Error:
                return
            time.sleep(0.1)

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def stop(self) -> None:
        self._sampling = False
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, q)) if samples else float("nan")


def run_level(server: Server, clients: int, questions: int, think: float, ramp: float, deadline: float,
              seed: int) -> dict:
    """Run `clients` interviews at once; return the figures."""
    rss_start = server.rss()
    server.peak = rss_start
    cpu_start = server.cpu()
    rng = random.Random(seed)
    interviews = [Interview(server.url, TOPICS[i % len(TOPICS)], questions, think, random.Random(rng.random()))
                  for i in range(clients)]
    threads = []
    t0 = time.perf_counter()
    for i, iv in enumerate(interviews):
        th = threading.Thread(target=iv.run, daemon=True)
        threads.append(th)
        th.start()
        # Spread the connections over the ramp, as real users arrive.
        time.sleep(ramp / clients if clients > 1 else 0)
    end = time.monotonic() + deadline
    for th in threads:
        th.join(max(0.0, end - time.monotonic()))
    wall = time.perf_counter() - t0
    results = [iv.result for iv in interviews]
    errors = [e for r in results for e in r.errors]
    unfinished = sum(1 for r, th in zip(results, threads) if th.is_alive())
    feedback = [s for r in results for s in r.feedback]
    connects = [r.connect for r in results if r.connect is not None]
    return {
        "clients": clients, "finished": sum(r.done for r in results), "answers": len(feedback),
        "connect_p50": pct(connects, 50), "connect_p95": pct(connects, 95),
        "p50": pct(feedback, 50), "p95": pct(feedback, 95), "p99": pct(feedback, 99),
        "max": pct(feedback, 100), "errors": len(errors) + unfinished, "error_samples": errors[:3],
        "rss_start": rss_start, "rss_peak": server.peak, "rss_end": server.rss(), "wall": wall,
        "rate": len(feedback) / wall if wall else 0.0, "server_cpu": server.cpu() - cpu_start,
    }


def run_stall(server: Server, clients: int, think: float, seconds: float, seed: int, drafters: int) -> dict:
    """Run `clients` ordinary interviews for `seconds` while `drafters` clients send long answers in parts."""
    rng = random.Random(seed)
    Drafter.stop = threading.Event()
    long_ones = [Drafter(server.url, "consensus", 20, 0.0, random.Random(i)) for i in range(drafters)]
    others = [Interview(server.url, TOPICS[i % len(TOPICS)], 20, think, random.Random(rng.random()))
              for i in range(clients)]
    threads = [threading.Thread(target=iv.run, daemon=True) for iv in long_ones + others]
    for th in threads:
        th.start()
    time.sleep(seconds)
    Drafter.stop.set()
    for iv in others:  # an ordinary client stops at its next /end; give each a short deadline
        iv.questions = 0
    for th in threads:
        th.join(REPLY_TIMEOUT * 2)
    feedback = [s for iv in others for s in iv.result.feedback]
    drafts = [s for iv in long_ones for s in iv.result.feedback]
    errors = [e for iv in long_ones + others for e in iv.result.errors]
    return {"drafters": drafters, "clients": clients, "answers": len(feedback), "p50": pct(feedback, 50),
            "p95": pct(feedback, 95), "max": pct(feedback, 100), "drafts": len(drafts),
            "draft_p50": pct(drafts, 50), "errors": len(errors), "error_samples": errors[:3]}


def run_saturation(server: Server, clients: int, seconds: float, seed: int, light: bool = False) -> dict:
    """Run `clients` clients with no think time for `seconds`; return messages/s and latency."""
    rng = random.Random(seed)
    cpu0 = server.cpu()
    me = psutil.Process()
    own0 = sum(me.cpu_times()[:2])
    if light:
        sats = [LightSaturator(server.url, TOPICS[i % len(TOPICS)], seconds) for i in range(clients)]
    else:
        sats = [Saturator(server.url, TOPICS[i % len(TOPICS)], 20, 0.0, random.Random(rng.random()), seconds=seconds)
                for i in range(clients)]
    threads = [threading.Thread(target=s.run, daemon=True) for s in sats]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(seconds + REPLY_TIMEOUT * 2)
    wall = time.perf_counter() - t0
    lat = [x for s in sats for x in s.result.feedback]
    errors = [e for s in sats for e in s.result.errors]
    return {"clients": clients, "messages": sum(s.messages for s in sats), "rate": sum(s.messages for s in sats) / wall,
            "refused": sum(s.refused for s in sats),
            "p50": pct(lat, 50), "p95": pct(lat, 95), "errors": len(errors), "error_samples": errors[:3],
            "server_cpu": server.cpu() - cpu0, "client_cpu": sum(me.cpu_times()[:2]) - own0, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,50,200", help="comma-separated client counts (default 1,50,200)")
    parser.add_argument("--questions", type=int, default=3, help="questions per interview (default 3)")
    parser.add_argument("--think", type=float, default=3.0,
                        help="mean seconds a client pauses before each answer (default 3)")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which clients connect (default 5)")
    parser.add_argument("--deadline", type=float, default=180.0, help="seconds a level may take (default 180)")
    parser.add_argument("--data-dir", default=None, help="a built data dir to reuse (default: build one in a tmp dir)")
    parser.add_argument("--quick", action="store_true", help="1 and 20 clients, 2 questions, short pauses")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stall", action="store_true",
                        help="other clients' latency while one client sends 32 KB answers in parts (with and without it)")
    parser.add_argument("--saturate", action="store_true", help="clients with no think time: messages/s and p95")
    parser.add_argument("--light", action="store_true",
                        help="with --saturate: clients that write Socket.IO frames themselves (LightSaturator), "
                             "so the clients' own CPU does not cap the figure")
    parser.add_argument("--transport", action="store_true",
                        help="with --saturate: serve canned replies on the same stack (bench/transport_server.py), "
                             "the ceiling the transport sets")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of a --stall or --saturate run (default 30)")
    args = parser.parse_args()
    if args.stall or args.saturate:
        return special_runs(args)
    if args.quick:
        args.clients, args.questions, args.think, args.ramp = "1,20", 2, 1.0, 1.0
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    if not levels or min(levels) < 1 or max(levels) > 500:
        raise SystemExit("--clients takes counts from 1 to 500, e.g. 1,50,200")

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        tmp_path = Path(tmp)
        data_dir = Path(args.data_dir) if args.data_dir else tmp_path / "data"
        if not args.data_dir:
            build(load_settings(data_dir=data_dir, corpus_dir=bundled("corpus"), env={}))
        rows = []
        for n in levels:
            # A fresh server per level: memory and latency of one level do not leak into the next.
            server = Server(data_dir, tmp_path / f"sessions-{n}.db", tmp_path / "server.log")
            try:
                print(f"… {n} client(s) against {server.url}", file=sys.stderr, flush=True)
                rows.append(run_level(server, n, args.questions, args.think, args.ramp, args.deadline, args.seed))
            finally:
                server.stop()
        log = (tmp_path / "server.log").read_text(errors="replace")
        tracebacks = log.count("Traceback")

    print(f"\nLoad: {args.questions} questions per interview, think time ~{args.think:g} s, ramp {args.ramp:g} s, "
          f"{os.cpu_count()} CPUs, server and clients on one machine (127.0.0.1, websocket, SQLite)\n")
    print("| clients | finished | answers | answers/s | connect p50 / p95 (ms) | answer → feedback p50 / p95 / p99 / max (ms) "
          "| errors | server RSS start / peak / end (MB) | server CPU (s) | wall (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['clients']} | {r['finished']} | {r['answers']} | {r['rate']:.1f} | "
              f"{r['connect_p50']:.0f} / {r['connect_p95']:.0f} | "
              f"{r['p50']:.1f} / {r['p95']:.1f} / {r['p99']:.1f} / {r['max']:.1f} | {r['errors']} | "
              f"{r['rss_start']:.0f} / {r['rss_peak']:.0f} / {r['rss_end']:.0f} | {r['server_cpu']:.1f} | {r['wall']:.1f} |")
    for r in rows:
        for e in r["error_samples"]:
            print(f"  error ({r['clients']} clients): {e}")
    if tracebacks:
        print(f"  the server logged {tracebacks} traceback(s)")
    worst = rows[-1]
    ok = worst["errors"] == 0 and worst["p95"] < 150
    print(f"\nBudget (200 clients, p95 < 150 ms, 0 errors) at {worst['clients']} clients: "
          f"{'met' if ok else 'NOT met'} (p95 {worst['p95']:.1f} ms, {worst['errors']} errors)")


def special_runs(args: argparse.Namespace) -> None:
    """The --stall and --saturate runs, each against a fresh server."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        tmp_path = Path(tmp)
        data_dir = Path(args.data_dir) if args.data_dir else tmp_path / "data"
        if not args.data_dir:
            build(load_settings(data_dir=data_dir, corpus_dir=bundled("corpus"), env={}))
        levels = [int(c) for c in args.clients.split(",") if c.strip()]
        if args.stall:
            clients = levels[-1] if args.clients != "1,50,200" else 20
            print(f"\nStall: {clients} clients answering every ~{args.think:g} s for {args.seconds:g} s, "
                  "without and with one client sending 4 × 7.6 KB parts + done, over and over\n")
            print("| long-answer clients | other clients' answers | their p50 / p95 / max (ms) | long answers graded "
                  "| long answer p50 (ms) | errors |")
            print("|---:|---:|---:|---:|---:|---:|")
            for drafters in (0, 1):
                server = Server(data_dir, tmp_path / f"stall-{drafters}.db", tmp_path / "server.log")
                try:
                    r = run_stall(server, clients, args.think, args.seconds, args.seed, drafters)
                finally:
                    server.stop()
                print(f"| {r['drafters']} | {r['answers']} | {r['p50']:.1f} / {r['p95']:.1f} / {r['max']:.1f} | "
                      f"{r['drafts']} | {r['draft_p50']:.0f} | {r['errors']} |", flush=True)
                for e in r["error_samples"]:
                    print(f"  error: {e}")
        if args.saturate:
            counts = levels if args.clients != "1,50,200" else [10, 50]
            what = "the transport alone (canned replies)" if args.transport else "one server process"
            print(f"\nSaturation: clients with no think time, {args.seconds:g} s each, {what}\n")
            print("| clients | messages answered | messages/s | p50 / p95 (ms) | refused | server CPU (s) "
                  "| server CPU per message (ms) | clients' CPU (s) |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|")
            for n in counts:
                server = Server(data_dir, tmp_path / f"sat-{n}.db", tmp_path / "server.log", env=SATURATE_ENV,
                                transport=args.transport)
                try:
                    r = run_saturation(server, n, args.seconds, args.seed, light=args.light)
                finally:
                    server.stop()
                print(f"| {r['clients']} | {r['messages']} | {r['rate']:.1f} | {r['p50']:.1f} / {r['p95']:.1f} | "
                      f"{r['refused']} | {r['server_cpu']:.1f} | {1000 * r['server_cpu'] / max(1, r['messages']):.2f} | "
                      f"{r['client_cpu']:.1f} |", flush=True)
                for e in r["error_samples"]:
                    print(f"  error: {e}")


if __name__ == "__main__":
    main()
