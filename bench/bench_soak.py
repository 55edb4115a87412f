"""Soak test: many Socket.IO clients for minutes on end against real `interviewer serve` processes —
first one process with the SQLite store, then two processes joined by a Redis message queue (sharing
the SQLite file), each client sticky to one process, assigned round-robin as nginx `ip_hash` would.

    .venv/bin/python bench/bench_soak.py                     # 200 clients × 5 minutes, both set-ups (~12 min)
    .venv/bin/python bench/bench_soak.py --quick             # 40 clients × 30 s, both set-ups
    .venv/bin/python bench/bench_soak.py --only one --clients 100 --minutes 2
    .venv/bin/python bench/bench_soak.py --out bench/soak.md # also write the tables to a file

Each client runs whole interviews back to back until the time is up, each on a new connection and a
new session (bench_load's Interview: connect, `start`, answer, "next" after a follow-up, /end,
disconnect), pausing ~--think seconds before each answer. Reported per minute: answer → feedback
latency p50/p95/p99, messages sent, errors, each server's resident memory. Over the run: messages
sent vs user turns in the database and replies received vs reply turns in the database (targets:
equal — nothing lost), errors (target 0), and memory at start and end (no growth trend).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from bench_load import TOPICS, Interview  # noqa: E402  (the load bench's client)
from procs import Server  # noqa: E402  (the process-level tests' server runner)

from interviewer.build import build  # noqa: E402
from interviewer.config import bundled, load_settings  # noqa: E402

REDIS_URL = os.environ.get("INTERVIEWER_TEST_REDIS") or "redis://127.0.0.1:6379"
SAMPLE_EVERY = 5.0  # seconds between memory samples


class SoakInterview(Interview):
    """bench_load's interview, with every message counted, acknowledged and every answer time-stamped."""

    def __init__(self, *args, log: Log, **kw):
        super().__init__(*args, **kw)
        self.log = log

    def sending(self, text: str) -> None:
        self.log.count_sent()

    def _send(self, text: str, kinds: set[str]) -> tuple[dict, float]:
        reply, seconds = super()._send(text, kinds)
        if kinds == {"feedback"}:
            self.log.answer(seconds)
        return reply, seconds

    def run(self):
        result = super().run()
        with self.cond:
            received = sum(1 for r in self.replies if not r["kind"].startswith("_"))
        self.log.finish(result, received)
        return result


@dataclass
class Log:
    """What all clients saw, time-stamped (monotonic seconds since the start)."""

    t0: float
    answers: list[tuple[float, float]] = field(default_factory=list)  # (at, seconds)
    sent: list[float] = field(default_factory=list)
    errors: list[tuple[float, str]] = field(default_factory=list)
    interviews: int = 0
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def count_sent(self) -> None:
        with self.lock:
            self.sent.append(self.now())

    def answer(self, seconds: float) -> None:
        with self.lock:
            self.answers.append((self.now(), seconds))

    def finish(self, result, received: int) -> None:
        with self.lock:
            self.interviews += result.done
            self.received += received
            self.errors += [(self.now(), e) for e in result.errors]


def client_loop(url: str, n: int, log: Log, until: float, questions: int, think: float, seed: int) -> None:
    """Run interviews back to back on one sticky server until `until` (monotonic)."""
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, min(10.0, think * 3)))  # arrive spread out, not all in one instant
    k = 0
    while time.monotonic() < until:
        topic = TOPICS[(n + k) % len(TOPICS)]
        SoakInterview(url, topic, questions, think, random.Random(rng.random()), log=log).run()
        k += 1


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def sample_memory(servers: list[Server], log: Log, samples: list[tuple[float, list[float]]],
                  stop: threading.Event) -> None:
    while not stop.wait(SAMPLE_EVERY):
        try:
            samples.append((log.now(), [s.rss_mb() for s in servers]))
        except Exception:  # a server died: the run reports it through its errors
            return


def db_counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        user, replies = conn.execute("SELECT sum(role = 'user'), sum(role != 'user') FROM turns").fetchone()
        (sessions,) = conn.execute("SELECT count(*) FROM sessions").fetchone()
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return {"user": user or 0, "replies": replies or 0, "sessions": sessions, "integrity": integrity}


def soak(name: str, processes: int, data_dir: Path, tmp: Path, args: argparse.Namespace) -> dict:
    """Run one set-up; return its figures."""
    db = tmp / f"{name}.db"
    queue = REDIS_URL if processes > 1 else None
    channel = f"interviewer-soak-{secrets.token_hex(4)}" if queue else None
    servers = [Server(data_dir, f"sqlite:///{db}", queue=queue, channel=channel, seed=None,
                      log=tmp / f"{name}-{i}.log") for i in range(processes)]
    try:
        for s in servers:
            s.start()
        rss_start = [s.rss_mb() for s in servers]
        log = Log(time.monotonic())
        seconds = args.minutes * 60
        until = log.t0 + seconds
        samples: list[tuple[float, list[float]]] = [(0.0, rss_start)]
        stop = threading.Event()
        sampler = threading.Thread(target=sample_memory, args=(servers, log, samples, stop), daemon=True)
        sampler.start()
        print(f"… {name}: {args.clients} clients × {args.minutes:g} min against "
              f"{', '.join(s.url for s in servers)}", file=sys.stderr, flush=True)
        threads = [threading.Thread(target=client_loop, daemon=True,
                                    args=(servers[i % processes].url, i, log, until, args.questions, args.think,
                                          args.seed * 100_003 + i))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        # Interviews under way at the end finish (each reply is bounded by bench_load's timeout).
        hard_stop = until + args.grace
        for t in threads:
            t.join(max(0.0, hard_stop - time.monotonic()))
        unfinished = sum(t.is_alive() for t in threads)
        wall = log.now()
        stop.set()
        rss_end = [s.rss_mb() for s in servers]
        samples.append((wall, rss_end))
        alive = [s.alive() for s in servers]
    finally:
        for s in servers:
            s.stop()
    counts = db_counts(db)
    tracebacks = sum(s.stderr().count("Traceback") for s in servers)
    return {"name": name, "processes": processes, "log": log, "samples": samples, "rss_start": rss_start,
            "rss_end": rss_end, "unfinished": unfinished, "wall": wall, "alive": alive, "counts": counts,
            "tracebacks": tracebacks, "seconds": seconds}


def report(run: dict, args: argparse.Namespace) -> tuple[list[str], bool]:
    """Return the markdown lines for one set-up and whether its targets were met."""
    log, counts = run["log"], run["counts"]
    procs = run["processes"]
    minutes = max(1, int(np.ceil(run["wall"] / 60)))
    lines = [f"### {run['name']}: {procs} process{'es' if procs > 1 else ''}"
             f"{' + Redis message queue' if procs > 1 else ''}, SQLite store, {args.clients} clients, "
             f"{args.minutes:g} min", ""]
    rss_head = " | ".join(f"RSS {chr(65 + i)} (MB)" for i in range(procs))
    lines += [f"| minute | answers | answer → feedback p50 / p95 / p99 (ms) | messages sent | errors | {rss_head} |",
              "|---:|---:|---:|---:|---:|" + "---:|" * procs]
    for m in range(minutes):
        lo, hi = m * 60, (m + 1) * 60
        times = [s for at, s in log.answers if lo <= at < hi]
        sent = sum(1 for at in log.sent if lo <= at < hi)
        errors = sum(1 for at, _ in log.errors if lo <= at < hi)
        rss = [r for at, r in run["samples"] if at < hi]
        rss_cells = " | ".join(f"{v:.0f}" for v in rss[-1]) if rss else ""
        label = f"{m + 1}" if hi <= run["seconds"] else f"{m + 1} (wind-down)"
        lines.append(f"| {label} | {len(times)} | {pct(times, 50):.0f} / {pct(times, 95):.0f} / {pct(times, 99):.0f} "
                     f"| {sent} | {errors} | {rss_cells} |")
    every = [s for _, s in log.answers]
    errors = len(log.errors) + run["unfinished"]
    lost_user = len(log.sent) - counts["user"]
    lost_replies = log.received - counts["replies"]
    lines += ["", "| whole run | value |", "|---|---:|",
              f"| interviews finished | {log.interviews} |",
              f"| answers graded / rate | {len(every)} / {len(every) / max(run['wall'], 1):.1f} per s |",
              f"| answer → feedback p50 / p95 / p99 / max (ms) | {pct(every, 50):.0f} / {pct(every, 95):.0f} / "
              f"{pct(every, 99):.0f} / {pct(every, 100):.0f} |",
              f"| errors (target 0) | {errors} |",
              f"| messages sent / user turns in the database (target equal) | {len(log.sent)} / {counts['user']} |",
              f"| replies received / reply turns in the database (target equal) | {log.received} / {counts['replies']} |",
              f"| sessions in the database | {counts['sessions']} (integrity: {counts['integrity']}) |"]
    for i in range(procs):
        series = [r[i] for _, r in run["samples"]]
        half = [(at, r[i]) for at, r in run["samples"] if at >= run["seconds"] / 2]
        slope = np.polyfit([a for a, _ in half], [v for _, v in half], 1)[0] * 60 if len(half) >= 3 else float("nan")
        lines.append(f"| server {chr(65 + i)} RSS start / peak / end (MB); trend over the 2nd half | "
                     f"{run['rss_start'][i]:.0f} / {max(series):.0f} / {run['rss_end'][i]:.0f}; "
                     f"{slope:+.1f} MB/min |")
    lines.append(f"| server tracebacks in the logs | {run['tracebacks']} |")
    samples = sorted({e for _, e in log.errors})[:3]
    lines += [f"\n  error: {e}" for e in samples]
    ok = (errors == 0 and lost_user == 0 and lost_replies == 0 and counts["integrity"] == "ok"
          and all(run["alive"]))
    return lines, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--minutes", type=float, default=5.0, help="minutes each set-up runs (default 5)")
    parser.add_argument("--questions", type=int, default=3, help="questions per interview (default 3)")
    parser.add_argument("--think", type=float, default=3.0,
                        help="mean seconds a client pauses before each answer (default 3)")
    parser.add_argument("--grace", type=float, default=60.0,
                        help="seconds the interviews under way at the end may take to finish (default 60)")
    parser.add_argument("--only", choices=["one", "two"], help="run only one set-up: one process, or two + Redis")
    parser.add_argument("--quick", action="store_true", help="40 clients × 30 s, 2 questions, short pauses")
    parser.add_argument("--data-dir", default=None, help="a built data dir to reuse (default: build one)")
    parser.add_argument("--out", default=None, help="also write the markdown tables to this file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.quick:
        args.clients, args.minutes, args.questions, args.think, args.grace = 40, 0.5, 2, 1.0, 30.0
    if not 1 <= args.clients <= 500 or args.minutes <= 0:
        raise SystemExit("--clients takes 1 to 500 and --minutes a positive number")

    setups = [("one", 1), ("two", 2)]
    if args.only:
        setups = [s for s in setups if s[0] == args.only]
    out = [f"Soak: {args.questions} questions per interview, think time ~{args.think:g} s, interviews back to "
           f"back, {os.cpu_count()} CPUs, servers and clients on one machine (127.0.0.1, websocket)", ""]
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        tmp_path = Path(tmp)
        data_dir = Path(args.data_dir) if args.data_dir else tmp_path / "data"
        if not args.data_dir:
            build(load_settings(data_dir=data_dir, corpus_dir=bundled("corpus"), env={}))
        for name, processes in setups:
            if processes > 1 and (problem := redis_problem()):
                out += [f"### two processes + Redis: skipped ({problem})", ""]
                continue
            lines, good = report(soak(name, processes, data_dir, tmp_path, args), args)
            out += lines + [""]
            ok &= good
    out.append(f"Targets (0 errors, nothing lost, servers up): {'met' if ok else 'NOT met'}")
    text = "\n".join(out)
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0 if ok else 1


def redis_problem() -> str | None:
    """Say why the Redis of INTERVIEWER_TEST_REDIS cannot be used, or None when it can."""
    import redis

    try:
        conn = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        try:
            conn.ping()
        finally:
            conn.close()
    except Exception as exc:
        return f"Redis unreachable at {REDIS_URL}: {exc}"
    return None


if __name__ == "__main__":
    sys.exit(main())
