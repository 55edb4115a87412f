"""Look-up quality: recall@1, recall@3 and MRR by style on the labelled questions of bench/lookups.jsonl.

    .venv/bin/python bench/bench_lookups.py              # SearchIndex vs plain BM25Plus, bundled corpus
    .venv/bin/python bench/bench_lookups.py --misses     # also list the questions answered below rank 3
    .venv/bin/python bench/bench_lookups.py --json       # the figures as one JSON object

Each line of lookups.jsonl is one question as a candidate asks it mid-interview:

    {"id", "style", "query", "answers": [passage | [passage, ...], ...]}

style is keyword | natural | paraphrase (the section's own terms avoided) | comparison | spoken.
`answers` lists alternatives; an alternative is one passage, or a list of passages that must all
be shown (a comparison answered by the two defining passages). A passage is
{"doc", "heading"}, the heading being the last part(s) of a heading path joined with " > " (the
section and everything under it), or {"doc", "lines": [first, last]} (file lines, inclusive).

A hit shows a labelled passage when the hit's text holds at least half of the passage's words, or
at least `ENOUGH_WORDS` of them, counted over whole lines (headings and lines of under three words
are not counted). Judging by the text shown, not by chunk ids or heading paths, keeps the labels
valid however the passages are cut.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from interviewer.errors import InputError  # noqa: E402
from interviewer.ingest import load_corpus, strip_inline_markdown  # noqa: E402
from interviewer.records import Document  # noqa: E402

LOOKUPS = ROOT / "bench" / "lookups.jsonl"
STYLES = ("keyword", "natural", "paraphrase", "comparison", "spoken")
ENOUGH_WORDS = 35
DEPTH = 10  # ranks looked at for MRR


@dataclass(frozen=True)
class Target:
    """A labelled passage resolved to the corpus: its document and its countable lines (normalised)."""

    doc: str
    lines: dict[str, int]  # normalised line → its word count

    @property
    def words(self) -> int:
        return sum(self.lines.values())


@dataclass(frozen=True)
class Lookup:
    id: str
    style: str
    query: str
    answers: tuple[tuple[Target, ...], ...]  # alternatives; each needs all of its targets shown


def normalise(line: str) -> str:
    """Return a line as compared: inline markdown stripped, whitespace collapsed, lowercased."""
    return " ".join(strip_inline_markdown(line).split()).lower()


def _countable(raw: str) -> tuple[str, int] | None:
    text = raw.strip()
    if not text or text.startswith("#"):
        return None
    norm = normalise(text)
    n = len(re.findall(r"\w+", re.sub(r"<[^<>]*>", " ", norm)))  # a pasted <img> tag is no text
    return (norm, n) if n >= 3 else None


def _key(heading: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", heading.lower()).split())


def resolve(spec: dict, documents: dict[str, Document]) -> Target:
    """Turn a {"doc", "heading"} or {"doc", "lines"} label into the lines it covers."""
    doc = documents.get(spec["doc"])
    if doc is None:
        raise ValueError(f"no document {spec['doc']!r}")
    file_lines = doc.text.split("\n")
    if "lines" in spec:
        first, last = spec["lines"]
        spans = [(first, last)]
    else:
        want = [_key(p) for p in spec["heading"].split(" > ")]
        sections = list(doc.sections)
        spans = []
        for i, s in enumerate(sections):
            path = [_key(p) for p in s.heading_path]
            if len(path) < len(want) or path[-len(want):] != want:
                continue
            end = len(file_lines)
            for later in sections[i + 1:]:
                if later.level and later.level <= s.level:
                    end = later.line - 1
                    break
            spans.append((s.line, end))
        if not spans:
            raise ValueError(f"no section {spec['heading']!r} in {spec['doc']}")
    lines: dict[str, int] = {}
    for first, last in spans:  # a heading found twice (a copied section): either copy counts
        for raw in file_lines[first - 1 : last]:
            found = _countable(raw)
            if found:
                lines[found[0]] = found[1]
    if not lines:
        raise ValueError(f"label {spec} covers no text")
    return Target(doc.doc, lines)


def load_lookups(path: Path = LOOKUPS, corpus_dir: Path | None = None) -> list[Lookup]:
    """Read the labelled questions and resolve every label against the corpus."""
    corpus = load_corpus(corpus_dir or ROOT / "corpus")
    documents = {d.doc: d for d in corpus.documents}
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["style"] not in STYLES:
            raise ValueError(f"line {n}: unknown style {row['style']!r}")
        answers = tuple(
            tuple(resolve(s, documents) for s in (alt if isinstance(alt, list) else [alt]))
            for alt in row["answers"]
        )
        out.append(Lookup(row["id"], row["style"], row["query"], answers))
    return out


def shows(hit_doc: str, hit_text: str, target: Target) -> bool:
    """Tell whether a hit shows enough of a labelled passage."""
    if hit_doc != target.doc:
        return False
    shown = {normalise(ln) for ln in hit_text.split("\n")}
    got = sum(n for line, n in target.lines.items() if line in shown)
    return got >= min(ENOUGH_WORDS, target.words / 2)


def answered_at(lookup: Lookup, hits: Sequence[tuple[str, str]]) -> int | None:
    """Return the rank (1-based) at which an alternative is first fully shown, or None."""
    best = None
    for alt in lookup.answers:
        ranks = []
        for target in alt:
            rank = next((i for i, (doc, text) in enumerate(hits, 1) if shows(doc, text, target)), None)
            if rank is None:
                break
            ranks.append(rank)
        else:
            rank = max(ranks)
            best = rank if best is None else min(best, rank)
    return best


def evaluate(lookups: Sequence[Lookup], search: Callable[[str], list[tuple[str, str]]]) -> dict:
    """Return recall@1, recall@3 and MRR overall and by style, and the rank of every question."""
    ranks = {}
    for lk in lookups:
        try:
            hits = search(lk.query)
        except InputError:  # a query the engine refuses counts as unanswered
            hits = []
        ranks[lk.id] = answered_at(lk, hits[:DEPTH])
    groups: dict[str, list[Lookup]] = defaultdict(list)
    for lk in lookups:
        groups[lk.style].append(lk)
        groups["all"].append(lk)

    def figures(items: list[Lookup]) -> dict:
        rs = [ranks[lk.id] for lk in items]
        return {
            "n": len(rs),
            "recall@1": sum(1 for r in rs if r == 1) / len(rs),
            "recall@3": sum(1 for r in rs if r is not None and r <= 3) / len(rs),
            "mrr": sum(1 / r for r in rs if r) / len(rs),
        }

    return {"by_style": {s: figures(groups[s]) for s in (*STYLES, "all") if groups[s]}, "ranks": ranks}


def table(results: dict[str, dict]) -> str:
    """Render the figures of one or more engines as a markdown table."""
    out = ["| engine | style | n | recall@1 | recall@3 | MRR@10 |", "|---|---|---|---|---|---|"]
    for engine, res in results.items():
        for style, f in res["by_style"].items():
            name = f"**{style}**" if style == "all" else style
            out.append(f"| {engine} | {name} | {f['n']} | {f['recall@1']:.2f} | {f['recall@3']:.2f} | {f['mrr']:.2f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lookups", type=Path, default=LOOKUPS)
    parser.add_argument("--data-dir", type=Path, help="use the build in this data dir (built if missing)")
    parser.add_argument("--misses", action="store_true", help="list the questions not answered in the top 3")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain BM25Plus comparison")
    args = parser.parse_args()

    from bench_search import PlainBM25

    from interviewer.build import ensure_built
    from interviewer.config import bundled, load_settings
    from interviewer.services import open_search

    lookups = load_lookups(args.lookups)
    with tempfile.TemporaryDirectory(prefix="bench-lookups-") as tmp:
        data = args.data_dir or Path(tmp) / "data"
        settings = load_settings(data_dir=data, corpus_dir=bundled("corpus"), env={})
        ensure_built(settings)
        with open_search(settings) as index:  # as the product opens it: the inventory's definitions too
            results = {"SearchIndex": evaluate(
                lookups, lambda q: [(h.doc, h.text) for h in index.search(q, top=DEPTH).hits])}
            if not args.no_plain:
                plain = PlainBM25(index.chunks)
                results["plain BM25Plus"] = evaluate(
                    lookups, lambda q: [(c.doc, c.text) for c in plain.search(q, top=DEPTH)])
            chunks = len(index.chunks)
            if args.misses:
                for lk in lookups:
                    rank = results["SearchIndex"]["ranks"][lk.id]
                    if rank is None or rank > 3:
                        top = [f"{h.doc[:3]}:{h.line} {h.heading.split(' > ')[-1][:40]}"
                               for h in index.search(lk.query, top=3).hits]
                        print(f"{lk.id} [{rank}] {lk.query!r}\n    got: {top}")
    if args.json:
        print(json.dumps({k: v["by_style"] for k, v in results.items()}, indent=1))
        return
    print(f"{len(lookups)} labelled look-ups over {chunks} passages (bundled corpus)\n")
    print(table(results))


if __name__ == "__main__":
    main()
