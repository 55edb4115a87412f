"""Benchmark the design rubric: phase detection, estimate checking, verdict ordering, speed.

    .venv/bin/python bench/bench_rubric.py              # everything, 20 timing rounds
    .venv/bin/python bench/bench_rubric.py --quick      # 3 timing rounds
    .venv/bin/python bench/bench_rubric.py --details    # + every disagreement, sentence by sentence

Phases (bench/design_answers.jsonl: 23 design answers written for this benchmark before the rubric
existed, each sentence labelled with its phase by hand — structured, spoken with fillers, dictated
with no punctuation, unstructured with the same terms as a structured one, weak): each labelled
sentence gets the phase the rubric gives most of its words (so the rubric's own sentence splitting
cannot help or hurt), then precision and recall per phase and overall (micro), by style and for the
held-out answers (marked before any tuning and never looked at sentence by sentence).
Answer level: whether each phase is covered at all, as the feedback shows it.

Estimates (bench/estimates.jsonl: 59 statements — right, off by about 3×, off by 10× or more, unit
slips, no arithmetic at all, and choices the numbers contradict): each expected claim must be found
with its expected status (right / rough / wrong); every 10×+ error and slip must be flagged, no right
or rough claim may be, and no statement without arithmetic may get a flag.

Verdicts: the answers' quality labels (strong > solid > borderline > not yet) against the rubric's
score, pair by pair, and each structured answer against its unstructured twin.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviewer.rubric import phase_trace, rubric_for  # noqa: E402
from interviewer.rubric.cues import words_of  # noqa: E402
from interviewer.text import words  # noqa: E402

ANSWERS = ROOT / "bench" / "design_answers.jsonl"
ESTIMATES = ROOT / "bench" / "estimates.jsonl"
PHASES = ["requirements", "estimates", "api", "data_model", "high_level", "deep_dive", "tradeoffs"]
QUALITY = {"strong": 3, "solid": 2, "borderline": 1, "not yet": 0}


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def answer_text(item: dict) -> tuple[str, list[tuple[int, int, str | None]]]:
    """Join an item's labelled sentences into the answer; return it with each sentence's span and label."""
    parts, spans, pos = [], [], 0
    for s in item["sentences"]:
        parts.append(s["text"])
        spans.append((pos, pos + len(s["text"]), s["phase"]))
        pos += len(s["text"]) + 1
    return " ".join(parts), spans


def predicted_labels(item: dict) -> list[tuple[str | None, str | None, str]]:
    """Return (gold, predicted, text) per labelled sentence: predicted = the rubric's phase of most of its words."""
    answer, spans = answer_text(item)
    rows = phase_trace(answer, item["prompt"])
    out = []
    for start, end, gold in spans:
        votes: Counter = Counter()
        for w in words(answer[start:end]):
            at = start + w.start
            row = next((r for r in rows if r.start <= at < r.end), None)
            votes[row.phase if row else None] += 1
        out.append((gold, votes.most_common(1)[0][0] if votes else None, answer[start:end]))
    return out


def prf(pairs: list[tuple[str | None, str | None]], phase: str | None = None) -> tuple[float, float, int]:
    """Return precision, recall and support for one phase (None: micro over all phases)."""
    wanted = [phase] if phase else PHASES
    tp = sum(1 for g, p in pairs if g == p and g in wanted)
    fp = sum(1 for g, p in pairs if p in wanted and g != p)
    fn = sum(1 for g, p in pairs if g in wanted and g != p)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0), tp + fn


def phase_section(answers: list[dict], details: bool) -> dict[str, float]:
    labelled = {a["id"]: predicted_labels(a) for a in answers}
    pairs = [(g, p) for rows in labelled.values() for g, p, _ in rows]
    print("### Rubric: phases, sentence by sentence\n")
    print(f"{len(answers)} answers, {len(pairs)} labelled sentences "
          f"({sum(1 for g, _ in pairs if g is None)} labelled 'no phase')\n")
    print("| phase | precision | recall | sentences |")
    print("|---|---|---|---|")
    for ph in PHASES:
        p, r, n = prf(pairs, ph)
        print(f"| {ph} | {p:.2f} | {r:.2f} | {n} |")
    p, r, n = prf(pairs)
    print(f"| **all phases (micro)** | **{p:.2f}** | **{r:.2f}** | {n} |")
    summary = {"precision": p, "recall": r,
               "below": [ph for ph in PHASES if min(prf(pairs, ph)[:2]) < 0.85]}

    print("\n| answers | precision | recall | sentences |")
    print("|---|---|---|---|")
    groups: dict[str, list] = defaultdict(list)
    for a in answers:
        groups[f"style: {a['style']}"].extend((g, p) for g, p, _ in labelled[a["id"]])
        groups[f"split: {a['split']}"].extend((g, p) for g, p, _ in labelled[a["id"]])
    for name in sorted(groups):
        p, r, n = prf(groups[name])
        print(f"| {name} | {p:.2f} | {r:.2f} | {n} |")

    # Answer level: is each phase covered at all (what the feedback shows)?
    tp = fp = fn = 0
    for a in answers:
        gold = {g for g, _, _ in labelled[a["id"]] if g}
        got = {p.name for p in rubric_for(answer_text(a)[0], a["prompt"]).phases if p.covered}
        tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
    print(f"\nPhase covered or not, per answer ({len(answers)} × 7): precision {tp / (tp + fp):.2f}, "
          f"recall {tp / (tp + fn):.2f} ({fp} shown that the labels do not have, {fn} missed)")
    if details:
        print("\nDisagreements (dev answers only):")
        for a in answers:
            if a["split"] != "dev":
                continue
            for g, p, text in labelled[a["id"]]:
                if g != p:
                    print(f"  {a['id']}: gold {g} / got {p}: {text[:110]}")
    return summary


def _claim_matches(stated: str, claim: str) -> bool:
    s, c = stated.lower(), claim.lower()
    return s in c or c in s


def estimate_section(items: list[dict], details: bool) -> dict[str, float]:
    print("\n### Rubric: estimate checks\n")
    right = Counter()
    total = Counter()
    flagged_wrong = missed_wrong = false_flags = unexpected_flags = 0
    cap_ok = cap_total = 0
    problems = []
    for item in items:
        r = rubric_for(item["text"], kind="design")
        used = set()
        for c in item["claims"]:
            total[c["expect"]] += 1
            found = next((e for i, e in enumerate(r.estimates) if i not in used and _claim_matches(c["stated"], e.claim)), None)
            if found is not None:
                used.add(r.estimates.index(found))
            status = found.status if found else "not found"
            if status == c["expect"]:
                right[c["expect"]] += 1
            else:
                problems.append(f"  {item['id']}: {c['stated']!r} expected {c['expect']}, got {status}"
                                + (f" ({found.formula})" if found else ""))
            if c["expect"] == "wrong":
                flagged_wrong += status == "wrong"
                missed_wrong += status != "wrong"
            elif status == "wrong":
                false_flags += 1
        for i, e in enumerate(r.estimates):
            if i not in used and e.status == "wrong":
                unexpected_flags += 1
                problems.append(f"  {item['id']}: unexpected flag on {e.claim!r} ({e.formula})")
        cap_total += 1
        cap_ok += bool(r.capacity) == item["capacity"]
        if bool(r.capacity) != item["capacity"]:
            problems.append(f"  {item['id']}: capacity note expected {item['capacity']}, got {bool(r.capacity)}")
    n = sum(total.values())
    print(f"{len(items)} statements, {n} claims to check ({total['right']} right, {total['rough']} off by about 3×, "
          f"{total['wrong']} off by 10× or more or a unit slip)\n")
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| claims found with the expected status | {sum(right.values())}/{n} ({sum(right.values()) / n:.0%}) | |")
    for k in ("right", "rough", "wrong"):
        print(f"| … expected {k} | {right[k]}/{total[k]} | |")
    print(f"| 10×+ errors and unit slips flagged | {flagged_wrong}/{total['wrong']} | all |")
    print(f"| right or rough claims flagged | {false_flags} | 0 |")
    print(f"| flags on figures that are not expected claims | {unexpected_flags} | 0 |")
    print(f"| capacity notes as expected | {cap_ok}/{cap_total} | all |")
    for split in ("dev", "held-out"):
        sub = [i for i in items if i["split"] == split]
        print(f"| statements in the {split} split | {len(sub)} | |")
    if details and problems:
        print("\nProblems:")
        print("\n".join(problems))
    return {"accuracy": sum(right.values()) / n, "missed_wrong": missed_wrong, "false_flags": false_flags + unexpected_flags}


def verdict_section(answers: list[dict]) -> None:
    print("\n### Rubric: verdicts\n")
    scored = []
    for a in answers:
        r = rubric_for(answer_text(a)[0], a["prompt"])
        scored.append((a, r))
    pairs = [(x, y) for i, x in enumerate(scored) for y in scored[i + 1 :] if QUALITY[x[0]["quality"]] != QUALITY[y[0]["quality"]]]
    agree = sum(1 for x, y in pairs if (QUALITY[x[0]["quality"]] > QUALITY[y[0]["quality"]]) == (x[1].score > y[1].score))
    exact = sum(1 for a, r in scored if a["quality"] == r.verdict)
    within = sum(1 for a, r in scored if abs(QUALITY[a["quality"]] - QUALITY[r.verdict]) <= 1)
    print("| figure | value |")
    print("|---|---|")
    print(f"| pairs of answers of different quality ordered by score | {agree}/{len(pairs)} ({agree / len(pairs):.0%}) |")
    print(f"| verdict = my label | {exact}/{len(scored)} |")
    print(f"| verdict within one band of my label | {within}/{len(scored)} |")
    twins = defaultdict(dict)
    for a, r in scored:
        if a.get("pair"):
            twins[a["pair"]][a["style"]] = (a, r)
    print("\n| twin answers (same terms) | structured | unstructured |")
    print("|---|---|---|")
    for name, t in sorted(twins.items()):
        if not {"structured", "unstructured"} <= set(t):
            continue
        s, u = t["structured"][1], t["unstructured"][1]
        mark = "✓" if s.score > u.score else "✗"
        print(f"| {name} {mark} | {s.verdict} ({s.score:.2f}) | {u.verdict} ({u.score:.2f}) |")
    print("\n| answer | my label | verdict | score | signals (req / numbers / options / failures / cost) |")
    print("|---|---|---|---|---|")
    for a, r in sorted(scored, key=lambda ar: -ar[1].score):
        levels = " / ".join(s.level for s in r.signals)
        print(f"| {a['id']} | {a['quality']} | {r.verdict} | {r.score:.2f} | {levels} |")


def _times(texts: list[tuple[str, str]], rounds: int) -> tuple[list[float], list[float]]:
    """Return sorted wall and CPU milliseconds of rubric_for over the texts, `rounds` times each."""
    wall, cpu = [], []
    for _ in range(rounds):
        for text, prompt in texts:
            words_of.cache_clear()  # every answer is new to the server: no words cached from the last round
            w0, c0 = time.perf_counter(), time.process_time()
            rubric_for(text, prompt)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
    return sorted(wall), sorted(cpu)


def _p(xs: list[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def timing_section(answers: list[dict], items: list[dict], rounds: int) -> None:
    designs = [(answer_text(a)[0], a["prompt"]) for a in answers]
    lines = [(i["text"], "") for i in items]
    for text, prompt in designs + lines:  # warm the caches (rules, unit registry) first
        rubric_for(text, prompt)
    print("\n### Rubric: speed\n")
    print("CPU time is the figure to compare across runs: wall time on this shared 2-core machine includes")
    print("waiting for the other processes.\n")
    print("| input | calls | CPU p50 / p95 ms | wall p50 / p95 ms | budget |")
    print("|---|---|---|---|---|")
    for name, texts in ((f"design answers ({statistics.mean(len(words(t)) for t, _ in designs):.0f} words on average)", designs),
                        ("one-line estimates", lines)):
        wall, cpu = _times(texts, rounds)
        print(f"| {name} | {len(wall)} | {_p(cpu, 0.5):.2f} / {_p(cpu, 0.95):.2f} | "
              f"{_p(wall, 0.5):.2f} / {_p(wall, 0.95):.2f} | p95 a few ms |")
    import subprocess
    cold = subprocess.run([sys.executable, "-c", "import time; t=time.perf_counter(); "
                           "from interviewer.rubric import rubric_for; rubric_for('100M DAU x 10 requests/day = 11.6k QPS'); "
                           "print((time.perf_counter()-t)*1000)"], capture_output=True, text=True, cwd=ROOT)
    print(f"\nFirst call in a fresh process (imports, rules, pint's unit registry): {float(cold.stdout or 'nan'):.0f} ms wall.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 timing rounds instead of 20")
    parser.add_argument("--details", action="store_true", help="print every disagreement")
    args = parser.parse_args()
    answers, items = load(ANSWERS), load(ESTIMATES)
    phases = phase_section(answers, args.details)
    estimates = estimate_section(items, args.details)
    verdict_section(answers)
    timing_section(answers, items, 3 if args.quick else 20)
    overall = phases["precision"] >= 0.85 and phases["recall"] >= 0.85
    checks = not estimates["missed_wrong"] and not estimates["false_flags"]
    below = ", ".join(phases["below"]) or "none"
    print(f"\n(targets: phase precision and recall ≥ 0.85 overall: {'met' if overall else 'NOT met'}; "
          f"phases below 0.85 in precision or recall: {below}; every 10×+ error flagged and no right figure "
          f"flagged: {'met' if checks else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
