"""The store's share of a turn, in process: whole 20-question interviews played with the load bench's
answer, thread CPU timed around `Store.record_turn` only (the engine's work is not counted).

    .venv/bin/python bench/bench_store_turn.py [--interviews 8] [--data-dir .interviewer] [--db URL]

Prints the CPU per call (mean over every turn, and at the 1st, 15th and 30th turn of an interview).
Runs on code without `before=` too (then it is not passed),
so the same script measures a baseline checkout.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_load import ANSWER, TOPICS  # noqa: E402

from interviewer.config import load_settings  # noqa: E402
from interviewer.dialogue import Config  # noqa: E402
from interviewer.services import open_services  # noqa: E402
from interviewer.store import Store  # noqa: E402


def play(store: Store, engine, topic: str, seed: int, incremental: bool) -> list[float]:
    """Play one interview to its summary; return the CPU seconds of each record_turn."""
    state, replies = engine.start(Config(topic=topic, count=20, seed=seed))
    record = store.create_session(asdict(state.config), state, [r.to_dict() for r in replies], client="bench")
    version, costs = record.turns, []
    while state.phase != "ended":
        new, replies = engine.handle(state, ANSWER)
        extra = {"before": state} if incremental else {}
        t0 = time.thread_time()
        version = store.record_turn(record.id, ANSWER, [r.to_dict() for r in replies], new, version=version, **extra)
        costs.append(time.thread_time() - t0)
        state = new
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=8)
    parser.add_argument("--data-dir", default=str(ROOT / ".interviewer"))
    parser.add_argument("--db", default=None, help="a database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    services = open_services(load_settings(data_dir=args.data_dir))
    engine = services.interviewer()
    incremental = "before" in inspect.signature(Store.record_turn).parameters
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}") as store:
            play(store, engine, TOPICS[0], 0, incremental)  # warm up: caches, compiled statements
            runs = [play(store, engine, TOPICS[i % len(TOPICS)], i + 1, incremental) for i in range(args.interviews)]
    every = [c for run in runs for c in run]
    at = {k: [run[k - 1] for run in runs if len(run) >= k] for k in (1, 15, 30)}
    print(f"record_turn, {'with' if incremental else 'without'} before=: {len(runs)} interviews, "
          f"{len(every)} turns ({min(map(len, runs))}-{max(map(len, runs))} an interview)")
    print(f"  CPU per call: mean {1e3 * sum(every) / len(every):.3f} ms; " + "; ".join(
        f"turn {k} {1e3 * sum(v) / len(v):.3f} ms" for k, v in at.items() if v))
    services.close()


if __name__ == "__main__":
    main()
