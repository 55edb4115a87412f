"""What the practice loop costs: a turn saved with its concept reviews against one without, planning a
review round and building the progress page for a learner with a long history.

    .venv/bin/python bench/bench_practice.py            # 400 turns each way, a learner of 1,000 concepts
    .venv/bin/python bench/bench_practice.py --quick    # 100 turns, 300 concepts

Real SQLite file, real bank and inventory (the data dir is built if missing). Times are wall clock.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from interviewer.config import load_settings
from interviewer.practice import Practice
from interviewer.practice.progress import mastery_svg, progress_view
from interviewer.practice.service import advance_row, cards_of
from interviewer.services import open_services
from interviewer.store import PracticeWrite, ReviewIn, Store

START = datetime(2025, 3, 1, 9, tzinfo=timezone.utc)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def turns(store: Store, n: int, reviews: list[ReviewIn] | None, learner: str) -> list[float]:
    """Time `n` turns of one session, each with `reviews` (or none)."""
    record = store.create_session({}, {"phase": "asking"}, [{"kind": "greeting", "text": "Hi"}], learner=learner)
    version, out = record.turns, []
    reply = [{"kind": "feedback", "text": "score 0.50", "question_id": "q", "score": 0.5, "grade": 2.5}]
    for i in range(n):
        at = START + timedelta(minutes=i)
        write = PracticeWrite(learner, reviews, at, advance_row) if reviews else None
        t = time.perf_counter()
        version = store.record_turn(record.id, "an answer", reply, {"phase": "asking"}, version=version,
                                    practice=write, at=at)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, concepts = (100, 300) if args.quick else (400, 1000)
    services = open_services(load_settings())
    ids = sorted({c.id for q in services.bank for c in q.concepts})[:concepts]
    with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}") as store:
        who = store.learner("bench")
        eight = [ReviewIn(cid, 1 + i % 4, "bench") for i, cid in enumerate(ids[:8])]
        plain = turns(store, n, None, who.id)
        reviewed = turns(store, n, eight, who.id)
        print(f"| turn write, no reviews | p50 {statistics.median(plain):.2f} ms | p95 {percentile(plain, 0.95):.2f} ms |")
        print(f"| turn write, 8 concept reviews | p50 {statistics.median(reviewed):.2f} ms | "
              f"p95 {percentile(reviewed, 0.95):.2f} ms |")

        # A long history: every concept reviewed three times over a month.
        big = store.learner("history")
        record = store.create_session({}, {"phase": "asking"}, [], learner=big.id)
        for day in range(3):
            batch = [ReviewIn(cid, 1 + (i + day) % 4, "bench") for i, cid in enumerate(ids)]
            at = START + timedelta(days=10 * day)
            store.record_turn(record.id, "x", [], {"phase": "asking"}, practice=PracticeWrite(big.id, batch, at, advance_row),
                              at=at)
        now = START + timedelta(days=30)
        practice = Practice(services.bank, services.inventory)
        t = time.perf_counter()
        plan = practice.review_plan(store, big.id, now, seed=1)
        plan_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        view = progress_view(cards_of(store.mastery(big.id)).values(), services.inventory, now)
        charts = [mastery_svg(topic) for topic in view["topics"]]
        page_ms = (time.perf_counter() - t) * 1000
        print(f"| review round plan, {len(ids)} concepts ({plan.due} due) | {plan_ms:.0f} ms |")
        print(f"| progress page data + {len(charts)} charts, {len(ids)} concepts | {page_ms:.0f} ms |")
    services.close()


if __name__ == "__main__":
    main()
