"""Benchmark `build`: the bundled corpus (median of 3) and a synthetic corpus N× larger.

    .venv/bin/python bench/bench_build.py            # 1× (median of 3) and 100×
    .venv/bin/python bench/bench_build.py --quick    # 1× once and 10×

The synthetic corpus holds N copies of every document with ~8% of the words swapped for other
words of the same document (seeded), so no two copies are identical but every format survives.
Prints markdown table rows: time, chunks, questions and size on disk, with growth against 1×.
"""

from __future__ import annotations

import argparse
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviewer.build import build  # noqa: E402
from interviewer.config import bundled, load_settings  # noqa: E402

_WORD = re.compile(r"\b[a-z]{4,}\b")


def synthetic_corpus(target: Path, copies: int, source: Path | None = None, swap: float = 0.08) -> Path:
    """Write `copies` perturbed copies of every corpus document into `target`; return it."""
    source = source or bundled("corpus")
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.txt")):
        text = path.read_bytes().decode("utf-8")
        vocabulary = sorted(set(_WORD.findall(text)))
        for n in range(copies):
            rng = random.Random(f"{path.stem}-{n}")

            def swap_word(m: re.Match[str]) -> str:
                return rng.choice(vocabulary) if rng.random() < swap else m.group(0)

            copy = text if n == 0 else _WORD.sub(swap_word, text)
            (target / f"{path.stem}-{n:03d}.txt").write_text(copy, encoding="utf-8")
    return target


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def run_build(corpus: Path, work: Path) -> dict:
    """Build `corpus` in a fresh interpreter, as `interviewer build-index` would; return its figures.

    A fresh process each time: a second build in the same process would find the text pipeline's
    and the grader's caches already warm and look faster than any real build.
    """
    # Not a multiprocessing.Pool: its workers are daemons, which may not start the build's own helper
    # process (the speech model is built on the second core).
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_build_here, corpus, work).result()


def _build_here(corpus: Path, work: Path) -> dict:
    """Build `corpus` into a fresh data dir in this process; return the figures and stage times."""
    data = Path(tempfile.mkdtemp(dir=work, prefix="data-"))
    settings = load_settings(data_dir=data, corpus_dir=corpus, env={})
    stages: list[tuple[str, float]] = []
    started = time.perf_counter()
    report = build(settings, progress=lambda stage, _: stages.append((stage, time.perf_counter())))
    seconds = time.perf_counter() - started
    spans = {}
    for (stage, t0), (_, t1) in zip(stages, stages[1:]):
        spans[stage] = spans.get(stage, 0.0) + t1 - t0
    return {
        "seconds": seconds, "documents": report.documents, "chunks": report.chunks,
        "questions": report.questions, "index_mb": size_mb(settings.index_dir), "data_mb": size_mb(data),
        "corpus_mb": size_mb(corpus), "stages": spans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one 1× build and a 10× corpus")
    parser.add_argument("--scale", type=int, default=None, help="copies in the synthetic corpus (default 100)")
    args = parser.parse_args()
    scale = args.scale or (10 if args.quick else 100)
    repeats = 1 if args.quick else 3

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        work = Path(tmp)
        small = [run_build(bundled("corpus"), work) for _ in range(repeats)]
        base = sorted(small, key=lambda r: r["seconds"])[len(small) // 2]
        base["seconds"] = statistics.median(r["seconds"] for r in small)
        made = time.perf_counter()
        big_corpus = synthetic_corpus(work / "corpus-big", scale)
        made = time.perf_counter() - made
        big = run_build(big_corpus, work)

    print("| corpus | corpus MB | documents | chunks | questions | build s | index MB | data dir MB | time × | chunks × | index MB × |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, r in ((f"bundled (median of {repeats})", base), (f"synthetic {scale}×", big)):
        print(f"| {label} | {r['corpus_mb']:.2f} | {r['documents']} | {r['chunks']} | {r['questions']} | "
              f"{r['seconds']:.2f} | {r['index_mb']:.1f} | {r['data_mb']:.1f} | "
              f"{r['seconds'] / base['seconds']:.1f} | {r['chunks'] / base['chunks']:.1f} | "
              f"{r['index_mb'] / base['index_mb']:.1f} |")
    print()
    print("| stage | bundled s | synthetic s |")
    print("|---|---|---|")
    for stage in base["stages"]:
        print(f"| {stage} | {base['stages'][stage]:.2f} | {big['stages'].get(stage, 0.0):.2f} |")
    print(f"\n(synthetic corpus written in {made:.1f} s; budget: bundled < 5 s, {scale}× linear and < 5 min)")


if __name__ == "__main__":
    main()
