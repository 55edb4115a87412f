"""Does the grade follow answer quality? Grades the answer set of bench/quality/answers.jsonl.

    .venv/bin/python bench/bench_quality.py                 # the bundled corpus, built in a tmp dir
    .venv/bin/python bench/bench_quality.py --data-dir .interviewer --details

For 48 bank questions (16 probe, 12 concept, 10 open, 10 scenario) the set holds five answers each,
written by a reader who never saw the grader (bench/quality/README.md): an expert spoken answer, the
same dictated (fillers, no punctuation, numbers spelled out), a bare list of the right terms, a vague
confident one and a partial one. Targets (issue "Grades that follow answer quality"): expert mean
≥ 4.0/5, dictated within 0.05 of expert (score), every list ≤ 2.0, vague mean ≤ 2.5, expert above
list on every question.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviewer.config import bundled, load_settings  # noqa: E402
from interviewer.services import open_services  # noqa: E402

ANSWERS = ROOT / "bench" / "quality" / "answers.jsonl"
STYLES = ("expert", "dictated", "partial", "vague", "list")


def grade_all(services) -> list[dict]:
    rows = []
    for line in ANSWERS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        q = services.bank.get(item["id"])
        cards = {style: services.grader.grade(item["answers"][style], question=q) for style in STYLES}
        rows.append({"id": item["id"], "kind": item["kind"], "cards": cards})
    return rows


def report(rows: list[dict], details: bool) -> None:
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    print(f"### Grade by answer style ({len(rows)} bank questions × {len(STYLES)} answers; mean grade /5)\n")
    print("| kind | questions | " + " | ".join(STYLES) + " | expert > list + 0.5 | list ≤ 2.0 |")
    print("|---|---:|" + "---:|" * len(STYLES) + "---:|---:|")
    for kind, group in sorted(by_kind.items()) + [("all", rows)]:
        means = [statistics.fmean(r["cards"][s].grade for r in group) for s in STYLES]
        ahead = sum(r["cards"]["expert"].grade >= r["cards"]["list"].grade + 0.5 for r in group)
        capped = sum(r["cards"]["list"].grade <= 2.0 for r in group)
        print(f"| {kind} | {len(group)} | " + " | ".join(f"{m:.2f}" for m in means)
              + f" | {ahead}/{len(group)} | {capped}/{len(group)} |")
    gaps = [abs(r["cards"]["expert"].score - r["cards"]["dictated"].score) for r in rows]
    above = sum(r["cards"]["expert"].grade > r["cards"]["list"].grade for r in rows)
    order = sum(r["cards"]["expert"].score > r["cards"]["partial"].score > r["cards"]["vague"].score for r in rows)
    print()
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| expert mean grade | {statistics.fmean(r['cards']['expert'].grade for r in rows):.2f} | ≥ 4.0 |")
    print(f"| mean \\|expert − dictated\\| score | {statistics.fmean(gaps):.3f} (max {max(gaps):.3f}) | ≤ 0.05 |")
    print(f"| largest list grade | {max(r['cards']['list'].grade for r in rows):.1f} | ≤ 2.0 |")
    print(f"| vague mean grade | {statistics.fmean(r['cards']['vague'].grade for r in rows):.2f} | ≤ 2.5 |")
    print(f"| expert above list | {above}/{len(rows)} | all |")
    print(f"| expert > partial > vague | {order}/{len(rows)} | |")
    if details:
        print("\n| question | kind | " + " | ".join(STYLES) + " | list flags |")
        print("|---|---|" + "---:|" * len(STYLES) + "---|")
        for r in rows:
            flags = ", ".join(f.name for f in r["cards"]["list"].flags)
            print(f"| {r['id']} | {r['kind']} | " + " | ".join(f"{r['cards'][s].grade:.1f}" for s in STYLES) + f" | {flags} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None, help="a built data dir (default: build the bundled corpus in a tmp dir)")
    parser.add_argument("--details", action="store_true", help="every question's grades")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        data = Path(args.data_dir) if args.data_dir else Path(tmp) / "data"
        services = open_services(load_settings(data_dir=data, corpus_dir=bundled("corpus"), env={}))
        try:
            report(grade_all(services), args.details)
        finally:
            services.close()


if __name__ == "__main__":
    main()
