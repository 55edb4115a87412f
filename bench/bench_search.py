"""Benchmark search latency: SearchIndex.search against a plain rank_bm25.BM25Plus, same passages.

    .venv/bin/python bench/bench_search.py             # bench/queries.txt, 5 rounds
    .venv/bin/python bench/bench_search.py --quick     # 1 round
    .venv/bin/python bench/bench_search.py --scale 100 --data-dir /tmp/big   # a corpus 100× larger,
                                                       # built once into /tmp/big and reused

Both engines see the same passages and the same terms (interviewer.text.analyze of heading + text);
BM25Plus has no field weights, expansion, phrases, spelling, definitions or snippets. On the
bundled corpus the labelled look-ups of bench/lookups.jsonl give each engine's recall@3.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rank_bm25 import BM25Plus  # noqa: E402

from interviewer.build import ensure_built  # noqa: E402
from interviewer.config import bundled, load_settings  # noqa: E402
from interviewer.errors import InputError  # noqa: E402
from interviewer.search import SearchIndex  # noqa: E402
from interviewer.text import analyze, normalise_spoken  # noqa: E402


def load_queries(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def percentiles(samples: list[float]) -> tuple[float, float, float, float]:
    ms = np.array(samples) * 1000
    return (float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), float(np.percentile(ms, 99)), float(ms.max()))


class PlainBM25:
    """rank_bm25.BM25Plus over the analyzed heading + text of every chunk; top-k by argsort."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.bm25 = BM25Plus([analyze(" ".join(c.heading_path) + "\n" + c.text) or ["-"] for c in chunks])

    def search(self, query: str, top: int = 5):
        terms = analyze(normalise_spoken(query).text)
        if not terms:
            raise InputError("no searchable words")
        scores = self.bm25.get_scores(terms)
        best = np.argsort(-scores, kind="stable")[:top]
        return [self.chunks[i] for i in best]


def time_engine(search, queries: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """Return the wall-clock and the CPU seconds of every query (CPU time shrugs off a busy machine)."""
    wall, cpu = [], []
    for _ in range(rounds):
        for q in queries:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                search(q)
            except InputError:
                pass
            wall.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
    return wall, cpu


def accuracy(search_hits) -> tuple[int, int]:
    """Count the labelled look-ups (bench/lookups.jsonl) answered in the top 3."""
    from bench_lookups import answered_at, load_lookups

    lookups = load_lookups()
    good = 0
    for lk in lookups:
        try:
            rank = answered_at(lk, search_hits(lk.query))
        except InputError:
            rank = None
        good += rank is not None and rank <= 3
    return good, len(lookups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one round of queries")
    parser.add_argument("--rounds", type=int, default=None, help="times every query is run (default 5)")
    parser.add_argument("--scale", type=int, default=1, help="search a synthetic corpus this many times larger")
    parser.add_argument("--data-dir", type=Path, help="build into (and reuse) this directory")
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.txt")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 5)
    queries = load_queries(args.queries)

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        work = args.data_dir or Path(tmp)
        corpus = bundled("corpus")
        if args.scale > 1:
            from bench_build import synthetic_corpus

            corpus = work / f"corpus-{args.scale}"
            if not corpus.is_dir():
                synthetic_corpus(corpus, args.scale)
        settings = load_settings(data_dir=work / f"data-{args.scale}", corpus_dir=corpus, env={})
        ensure_built(settings)
        t0 = time.perf_counter()
        index = SearchIndex.open(settings.index_dir, cache_size=0)  # time every search, not the memo
        open_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        plain = PlainBM25(index.chunks)
        plain_ms = (time.perf_counter() - t0) * 1000
        for q in queries[:20]:  # warm caches (stemmer, whoosh) before timing
            time_engine(lambda x: index.search(x), [q], 1)
        ours = time_engine(lambda q: index.search(q, top=5), queries, rounds)
        theirs = time_engine(lambda q: plain.search(q, top=5), queries, rounds)
        ours_acc = theirs_acc = (0, 0)
        if args.scale == 1:  # the labels name the bundled documents
            ours_acc = accuracy(lambda q: [(h.doc, h.text) for h in index.search(q, top=3).hits])
            theirs_acc = accuracy(lambda q: [(c.doc, c.text) for c in plain.search(q, top=3)])
        chunks = len(index.chunks)
        index.close()

    label = "bundled" if args.scale == 1 else f"synthetic {args.scale}×"
    print(f"{len(queries)} queries × {rounds} rounds over {chunks} passages ({label}); "
          f"open {open_ms:.0f} ms, BM25Plus setup {plain_ms:.0f} ms\n")
    print("| engine | p50 ms | p95 ms | p99 ms | max ms | mean ms | CPU p50 ms | CPU p95 ms | recall@3, labelled look-ups |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (wall, cpu), (good, total) in (
        ("SearchIndex.search (whoosh BM25+ fields, expansion, snippets)", ours, ours_acc),
        ("rank_bm25.BM25Plus (plain, no snippets)", theirs, theirs_acc),
    ):
        p50, p95, p99, mx = percentiles(wall)
        c50, c95, _, _ = percentiles(cpu)
        acc = f"{good}/{total}" if total else "n/a"
        print(f"| {name} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {mx:.2f} | {statistics.mean(wall) * 1000:.2f} | "
              f"{c50:.2f} | {c95:.2f} | {acc} |")
    print(f"\n(budget: p95 under {5 if args.scale < 100 else 50} ms)")


if __name__ == "__main__":
    main()
