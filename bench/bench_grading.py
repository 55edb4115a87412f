"""Benchmark the grader: agreement with human graders (Mohler), spoken-style robustness, speed.

    .venv/bin/python bench/bench_grading.py            # everything, 3 timing rounds
    .venv/bin/python bench/bench_grading.py --quick    # 1 timing round, fewer single-answer samples
    .venv/bin/python bench/bench_grading.py --sensitivity --details   # + how r moves with each setting

Mohler (../shared/data/mohler/dev.csv, 1,074 answers to 37 data-structures questions, each graded 0-5
by two humans): Pearson r between `score` and the humans' mean, pooled over all answers and the mean
of the per-question r. The baseline is plain stemmed coverage: the share of the reference's distinct
terms (interviewer.text.analyze) that the answer contains. The grader uses the corpus lexicon, as
`interviewer grade` does; the row "no lexicon" shows it without one.

Robustness (bench/robustness.jsonl, answers written for this benchmark to 16 bank questions of every
kind): each question has a clean answer, the same content dictated (fillers, spelled-out numbers,
swapped abbreviations, a few typos), a partial and a vague answer. Reported: mean and largest
|clean − spoken| score gap, and how often clean > partial > vague holds (per question, per pair).

Speed: `grade_batch` over every Mohler and robustness answer as JSONL (a fresh grader, so concept
extraction of each reference is included), and single `Grader.grade` calls against a bank question
whose reference the grader has seen (p50/p95), plus the first call for an unseen reference; and
the concept picker over every question of the bundled bank (what grading an unseen reference costs);
and linearity: one answer of 10 KB, 100 KB and 1 MB (the grader's MAX_ANSWER_CHARS), CPU seconds each.

Every grader here is the product's: the lexicon and concept inventory of a built data dir (built in a
temporary dir when --data-dir is not given), as `interviewer grade` uses them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tempfile  # noqa: E402

from interviewer.bank import Bank  # noqa: E402
from interviewer.build import ensure_built  # noqa: E402
from interviewer.concepts import Inventory  # noqa: E402
from interviewer.config import bundled, load_settings  # noqa: E402
from interviewer.grading import MAX_ANSWER_CHARS, Grader, grade_batch  # noqa: E402
from interviewer.lexicon import Lexicon  # noqa: E402
from interviewer.records import Question  # noqa: E402
from interviewer.vocabulary import default_synonyms  # noqa: E402
from interviewer.text import analyze  # noqa: E402

MOHLER = ROOT.parent / "shared" / "data" / "mohler" / "dev.csv"
ROBUSTNESS = ROOT / "bench" / "robustness.jsonl"


def pearson(x: list[float], y: list[float]) -> float:
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sx = math.sqrt(sum((a - mx) ** 2 for a in x))
    sy = math.sqrt(sum((b - my) ** 2 for b in y))
    if not sx or not sy:
        return float("nan")
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / (sx * sy)


def agreement(scores: list[float], rows: list[dict]) -> tuple[float, float]:
    """Return (pooled r, mean per-question r); a question where a scorer is constant counts as r = 0."""
    human = [float(r["score"]) for r in rows]
    by_q: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for s, r in zip(scores, rows):
        by_q[r["id"]].append((s, float(r["score"])))
    per = []
    for pairs in by_q.values():
        r = pearson([a for a, _ in pairs], [b for _, b in pairs])
        per.append(0.0 if math.isnan(r) else r)
    return pearson(scores, human), statistics.fmean(per)


def plain_coverage(reference: str, answer: str) -> float:
    """Return the share of the reference's distinct terms the answer contains (the baseline)."""
    ref = set(analyze(reference))
    return len(ref & set(analyze(answer))) / len(ref) if ref else 0.0


def mohler(lexicon) -> list[tuple[str, float, float]]:
    rows = list(csv.DictReader(MOHLER.open(encoding="utf-8")))
    out = [("plain stemmed coverage (baseline)", *agreement([plain_coverage(r["reference"], r["answer"]) for r in rows], rows))]
    for name, lex, inv in (("grader, corpus lexicon and concept inventory (the product's)", lexicon, INVENTORY),
                           ("grader, no lexicon, no inventory", None, None)):
        g = Grader(lex, inventory=inv)
        scores = [g.grade(r["answer"], reference=r["reference"], question_text=r["question"]).score for r in rows]
        out.append((name, *agreement(scores, rows)))
    a = [float(r["score_a"]) for r in rows]
    b = [float(r["score_b"]) for r in rows]
    out.append(("human A vs human B", pearson(a, b), float("nan")))
    return out


SENSITIVITY = {
    "gamma": (0.35, 0.5, 0.7, 1.0),
    "question_term": (0.0, 0.1, 0.2, 0.5, 1.0),
    "concept_share": (0.0, 0.5, 0.8, 1.0),
    "delivery_share": (0.0, 0.1, 0.2, 0.3),
    "short_length_share": (0.0, 0.1, 0.2, 0.3),
    "short_reference_to": (15, 30, 45),
    "named_share": (0.1, 0.2, 0.4),
    "idf_power": (0.0, 0.5, 1.0),
}


def sensitivity(lexicon) -> list[tuple[str, float, float, float]]:
    """Return Mohler r for each main setting moved off its default, one at a time."""
    rows = list(csv.DictReader(MOHLER.open(encoding="utf-8")))
    out = []
    for name, values in SENSITIVITY.items():
        for value in values:
            g = Grader(lexicon, inventory=INVENTORY, **{name: value})
            scores = [g.grade(r["answer"], reference=r["reference"], question_text=r["question"]).score for r in rows]
            out.append((name, value, *agreement(scores, rows)))
    return out


def robustness_items() -> list[dict]:
    return [json.loads(line) for line in ROBUSTNESS.read_text(encoding="utf-8").splitlines() if line.strip()]


def as_question(item: dict) -> Question:
    return Question(
        id=item["id"], kind=item["kind"], topic="", difficulty="medium", prompt=item["question"],
        reference=item["reference"], options=tuple(item.get("options", ())), answer_option=item.get("answer_option"),
    )


def robustness(grader: Grader) -> dict:
    gaps, chains, pairs_ok, pairs = [], 0, 0, 0
    rows = []
    items = robustness_items()
    for item in items:
        q = as_question(item)
        s = {k: grader.grade(v, question=q).score for k, v in item["answers"].items()}
        gaps.append(abs(s["clean"] - s["spoken"]))
        ok = [s["clean"] > s["partial"], s["partial"] > s["vague"], s["clean"] > s["vague"]]
        pairs_ok += sum(ok)
        pairs += len(ok)
        chains += all(ok)
        rows.append((item["id"], item["kind"], s))
    return {
        "items": len(items),
        "mean_gap": statistics.fmean(gaps),
        "max_gap": max(gaps),
        "chain": chains / len(items),
        "pairs": pairs_ok / pairs,
        "rows": rows,
    }


def speed(lexicon, rounds: int, singles: int) -> dict:
    rows = list(csv.DictReader(MOHLER.open(encoding="utf-8")))
    lines = [json.dumps({"id": f"m{i}", "reference": r["reference"], "question": r["question"], "answer": r["answer"]}) for i, r in enumerate(rows)]
    for item in robustness_items():
        for k, v in item["answers"].items():
            lines.append(json.dumps({"id": f"{item['id']}/{k}", "reference": item["reference"], "question": item["question"], "answer": v}))
    rates = []
    for _ in range(rounds):
        g = Grader(lexicon, inventory=INVENTORY)
        t = time.perf_counter()
        n = sum(1 for _ in grade_batch(lines, g))
        rates.append(n / (time.perf_counter() - t))
    g = Grader(lexicon, inventory=INVENTORY)
    items = robustness_items()
    questions = [as_question(i) for i in items]
    answers = [v for i in items for v in i["answers"].values()] + [r["answer"] for r in rows[:200]]
    for q in questions:
        g.grade("warm up", question=q)
    samples = []
    for i in range(singles):
        q = questions[i % len(questions)]
        a = answers[i % len(answers)]
        t = time.perf_counter()
        g.grade(a, question=q)
        samples.append(time.perf_counter() - t)
    cold = []
    unseen = [(i["reference"], i["question"], i["answers"]["clean"]) for i in items]
    unseen += list({r["reference"]: (r["reference"], r["question"], r["answer"]) for r in rows}.values())
    for reference, question, answer in unseen:
        fresh = Grader(lexicon, inventory=INVENTORY)
        t = time.perf_counter()
        fresh.grade(answer, reference=reference, question_text=question)
        cold.append(time.perf_counter() - t)
    samples.sort()
    cold.sort()
    pct = lambda xs, p: xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000  # noqa: E731
    return {
        "batch_lines": len(lines),
        "batch_rate": statistics.median(rates),
        "p50": pct(samples, 50),
        "p95": pct(samples, 95),
        "cold_p50": pct(cold, 50),
        "cold_p95": pct(cold, 95),
        "cold_n": len(cold),
    }


# The product's concept inventory, set by main() from the built data dir.
INVENTORY = None


def concept_speed(bank: Bank, lexicon) -> dict:
    """Time the concept picker over every bank question's model answer (CPU time, one pass)."""
    g = Grader(lexicon, inventory=INVENTORY)
    questions = list(bank)
    t = time.process_time()
    for q in questions:
        g.concepts(q.reference, q.prompt, q.kind)
    seconds = time.process_time() - t
    return {"questions": len(questions), "ms": 1000 * seconds / max(1, len(questions))}


def linearity(bank: Bank, lexicon) -> list[tuple[int, float]]:
    """Grade one long answer of each size against a bank question: (characters, CPU seconds)."""
    g = Grader(lexicon, inventory=INVENTORY)
    q = bank.get("000-open-185")
    g.grade("warm up", question=q)
    unit = ("so basically the service writes the order and the event in one local transaction into an outbox "
            "table, and a relay polls it and publishes to Kafka, um, with retries and idempotent consumers. ")
    out = []
    for size in (10_000, 100_000, MAX_ANSWER_CHARS):
        answer = (unit * (size // len(unit) + 1))[:size]
        t = time.process_time()
        g.grade(answer, question=q)
        out.append((size, time.process_time() - t))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one timing round, fewer single samples")
    parser.add_argument("--details", action="store_true", help="print every robustness score")
    parser.add_argument("--sensitivity", action="store_true", help="Mohler r with each main setting moved off its default")
    parser.add_argument("--data-dir", type=Path, help="use the build in this data dir (built if missing)")
    args = parser.parse_args()
    global INVENTORY
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        settings = load_settings(data_dir=args.data_dir or Path(tmp) / "data", corpus_dir=bundled("corpus"), env={})
        ensure_built(settings)
        lexicon = Lexicon.load(settings.lexicon_path)
        INVENTORY = Inventory.load(settings.inventory_path, default_synonyms())
        bank = Bank.load(settings.bank_path)
    # First, before the other figures warm any cache.
    concepts = concept_speed(bank, lexicon)

    print("### Grading: agreement with human graders (Mohler dev, 1,074 answers, 37 questions)\n")
    print("| scorer | pooled r | mean per-question r |")
    print("|---|---|---|")
    for name, pooled, perq in mohler(lexicon):
        per = "—" if math.isnan(perq) else f"{perq:.3f}"
        print(f"| {name} | {pooled:.3f} | {per} |")

    if args.sensitivity:
        from interviewer.grading import GRADER_DEFAULTS

        print("\n| setting | value | pooled r | mean per-question r |\n|---|---|---|---|")
        for name, value, pooled, perq in sensitivity(lexicon):
            mark = " (default)" if value == GRADER_DEFAULTS[name] else ""
            print(f"| {name} | {value}{mark} | {pooled:.3f} | {perq:.3f} |")

    rob = robustness(Grader(lexicon, inventory=INVENTORY))
    print(f"\n### Grading: spoken-style robustness ({rob['items']} questions × clean/spoken/partial/vague)\n")
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| mean \\|clean − spoken\\| score gap | {rob['mean_gap']:.3f} | < 0.05 |")
    print(f"| largest gap | {rob['max_gap']:.3f} | |")
    print(f"| clean > partial > vague, per question | {rob['chain']:.0%} | ≥ 90% |")
    print(f"| … per pair | {rob['pairs']:.0%} | |")
    if args.details:
        print("\n| question | kind | clean | spoken | partial | vague |\n|---|---|---|---|---|---|")
        for qid, kind, s in rob["rows"]:
            print(f"| {qid} | {kind} | {s['clean']:.2f} | {s['spoken']:.2f} | {s['partial']:.2f} | {s['vague']:.2f} |")

    sp = speed(lexicon, rounds=1 if args.quick else 3, singles=300 if args.quick else 2000)
    print("\n### Grading: speed\n")
    print("| figure | value | budget |")
    print("|---|---|---|")
    print(f"| batch, answers/s ({sp['batch_lines']} JSONL lines, fresh grader) | {sp['batch_rate']:.0f} | ≥ 1000 |")
    print(f"| single answer, p50 ms (known question) | {sp['p50']:.2f} | |")
    print(f"| single answer, p95 ms (known question) | {sp['p95']:.2f} | < 10 |")
    print(f"| single answer, p50 / p95 ms (unseen reference: concepts extracted first; {sp['cold_n']} references) | {sp['cold_p50']:.2f} / {sp['cold_p95']:.2f} | |")
    print(f"| concept picker, ms CPU per question (all {concepts['questions']} bank model answers, one pass) | {concepts['ms']:.2f} | |")
    for size, seconds in linearity(bank, lexicon):
        budget = "< 3" if size == MAX_ANSWER_CHARS else ""
        print(f"| one answer of {size:,} characters, CPU s | {seconds:.2f} | {budget} |")


if __name__ == "__main__":
    main()
