"""The open index: search it (BM25+ in whoosh), read comparisons and definitions, cite the part that matched."""

from __future__ import annotations

import bisect
import gc
import json
import math
import threading
import warnings
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from whoosh import query as Q
from whoosh.filedb.filestore import RamStorage

from interviewer.errors import IndexCorrupt, IndexMissing, InputError, InterviewerError
from interviewer.records import HEADING_SEPARATOR
from interviewer.search.chunking import Part, Passage
from interviewer.search.query import Clause, Plan, Planner, Speller, default_rules
from interviewer.search.scoring import BM25Plus, match
from interviewer.search.snippet import Span, snippet, tokens
from interviewer.search.vocabulary import (
    DefinitionSources, Definitions, PhraseDefinitions, PhraseVocabulary, Vocabularies, Vocabulary,
    acronym_groups, heading_terms,
)
from interviewer.search.writing import FORMAT, META

_HOW_TO_FIX = "run `interviewer build-index` to rebuild it"


@dataclass(frozen=True)
class Hit:
    """One ranked passage: where the part that matched is, the whole text and a highlighted excerpt."""

    rank: int
    score: float
    doc: str
    heading: str
    line: int
    text: str
    snippet: str
    parts: tuple[Part, ...] = ()  # the sections the passage holds (one unless it is a pack)
    cited: int = 0  # which of them matched best: `heading` and `line` are its

    def part_text(self, n: int) -> str:
        """Return the text of one part (its heading lines, if absorbed, and its words)."""
        if not self.parts:
            return self.text
        end = self.parts[n + 1].offset if n + 1 < len(self.parts) else len(self.text)
        return self.text[self.parts[n].offset : end].strip()

    def to_dict(self) -> dict[str, Any]:
        """Return the hit shaped as the CLI and Socket.IO contracts expect."""
        return {"rank": self.rank, "score": round(self.score, 4), "doc": self.doc, "heading": self.heading,
                "line": self.line, "text": self.text, "snippet": self.snippet}


@dataclass(frozen=True)
class SearchResult:
    """The hits of one query, the corrected query when a word looked misspelled, and what was asked."""

    query: str
    suggestion: str | None
    hits: tuple[Hit, ...]
    topic: str = ""  # the question as searched: fillers, tails and question words taken out
    kind: str = "lookup"  # lookup | definition | comparison | pair ("X and Y")

    def to_dict(self) -> dict[str, Any]:
        """Return the result shaped as `interviewer search --json` prints it."""
        return {"query": self.query, "suggestion": self.suggestion, "hits": [h.to_dict() for h in self.hits]}


class SearchIndex:
    """An open whoosh index; `search` is safe to call from many threads."""

    def __init__(self, ix, meta: dict, *, vocabularies: Sequence[Vocabulary] = (),
                 definitions: Sequence[Definitions] = (), k1: float = 1.5, b: float = 0.75, delta: float = 1.0,
                 synonym_weight: float = 0.5, acronym_weight: float = 0.5, pair_weight: float = 0.3,
                 asking_weight: float = 0.5, common_share: float = 0.1, candidates: int = 50,
                 fetch_factor: int = 3, snippet_words: int = 32, cache_size: int = 2048):
        """Wrap an open whoosh index.

        Ranking is BM25+ (`k1`, `b`, `delta`) over each passage's weighted headings and text (the
        weights are the index's, see `write_index`). Other wordings count `synonym_weight` (the
        grader's synonym table) or `acronym_weight` (the corpus's acronyms) of the user's own
        words, and two neighbouring words of the question found side by side add `pair_weight`.
        A passage that only asks (a list of interview questions, a scenario whose solution is
        elsewhere) counts `asking_weight`. `vocabularies` and `definitions` are asked before the
        built-in ones (the concept inventory plugs in here).

        Words found in more than `common_share` of the passages only reorder the `candidates`
        passages the rarer words find. One passage per section (the first section of a pack) is
        returned, chosen from the best `top * fetch_factor`. The last `cache_size` results are
        remembered: the index is read-only, and the interviews of a server look up the same
        concepts again and again.
        """
        self._common_share = common_share
        self._candidates = candidates
        self._asking_weight = asking_weight
        self._fetch_factor = fetch_factor
        self._ix = ix
        # whoosh readers seek shared file objects: one search (and any reader call) at a time.
        self._lock = threading.RLock()
        with ix.reader() as reader:
            lengths = {f: [reader.doc_field_length(n, f, 0) for n in range(reader.doc_count_all())]
                       for f in ("text", "pairs")}
        self._searcher = ix.searcher(weighting=BM25Plus(lengths, B=b, K1=k1, delta=delta))
        self._snippet_words = snippet_words
        reader = self._searcher.reader()
        passages: dict[int, Passage] = {}
        for docnum, stored in reader.iter_docs():
            parts = tuple(Part(int(o), tuple(p), int(ln)) for o, p, ln in stored["parts"])
            passages[docnum] = Passage(stored["id"], stored["doc"], tuple(stored["path"]), stored["body"],
                                       int(stored["line"]), parts)
        if len(passages) != meta.get("chunks"):
            self._searcher.close()
            raise IndexCorrupt(f"the search index holds {len(passages)} passages, its meta file says "
                               f"{meta.get('chunks')}; {_HOW_TO_FIX}")
        self._passages = passages
        self._docnums = {p.id: n for n, p in passages.items()}
        self._asking = {(doc, tuple(path)) for doc, path in meta.get("asking", ())}
        self._only_asking = {n for n, p in passages.items()
                             if all((p.doc, part.heading_path) in self._asking for part in p.parts)}
        self._places: dict[str, tuple[list[int], list[int]]] = {}
        for docnum in sorted(passages):
            for part in passages[docnum].parts:
                lines, nums = self._places.setdefault(passages[docnum].doc, ([], []))
                lines.append(part.line)
                nums.append(docnum)
        for lines, nums in self._places.values():
            order = sorted(range(len(lines)), key=lines.__getitem__)
            lines[:], nums[:] = [lines[i] for i in order], [nums[i] for i in order]
        acronyms = {k: tuple(v) for k, v in meta["acronyms"].items()}
        rules = default_rules()
        self.vocabulary = Vocabularies(
            *vocabularies,
            PhraseVocabulary(((g, synonym_weight) for g in meta.get("synonyms", ())), per_span=3),
            PhraseVocabulary(((g, acronym_weight) for g in acronym_groups(acronyms)), per_span=3),
        )
        self.definitions = DefinitionSources(
            *definitions,
            PhraseDefinitions({tuple(k.split()): tuple(v) for k, v in meta.get("definitions", {}).items()},
                              rules.kind_nouns),
        )
        speller = Speller(meta["vocabulary"], self._known_term, acronyms, trade=self.vocabulary.knows)
        self._planner = Planner(self.vocabulary, speller, rules=rules, pair_weight=pair_weight)
        self._cached = lru_cache(maxsize=cache_size)(self._search) if cache_size else self._search
        # Passage counts of terms: every query asks for several, and the index never changes.
        self._df = lru_cache(maxsize=65536)(lambda term: self._searcher.reader().doc_frequency("text", term))
        # The words of the passages shown most: a hit's snippet and citation both read them.
        self._tokens = lru_cache(maxsize=4096)(lambda docnum: tokens(self._passages[docnum].text))

    @classmethod
    def open(cls, index_dir: Path, **tunables) -> SearchIndex:
        """Open the index in `index_dir`; raise IndexMissing or IndexCorrupt with how to fix it."""
        index_dir = Path(index_dir)
        if not index_dir.is_dir() or not any(index_dir.iterdir()):
            raise IndexMissing(f"there is no search index in {index_dir}; run `interviewer build-index`")
        try:
            meta = json.loads((index_dir / META).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"the search index in {index_dir} is half-written or damaged "
                               f"({type(exc).__name__}: {exc}); {_HOW_TO_FIX}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise IndexCorrupt(f"the search index in {index_dir} has format {found!r}, this version "
                               f"reads {FORMAT}; {_HOW_TO_FIX}")
        problem = None
        # whoosh leaves files open when it trips over a damaged segment; they are closed (and their
        # ResourceWarnings dropped) here, before the clear error goes up.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            ix = None
            try:
                ix = _in_memory(index_dir)
                return cls(ix, meta, **tunables)
            except InterviewerError as exc:
                problem = str(exc)
            except Exception as exc:  # whoosh raises many kinds on damaged files
                problem = (f"the search index in {index_dir} is damaged ({type(exc).__name__}: {exc}); "
                           f"{_HOW_TO_FIX}")
            if ix is not None:
                ix.close()
            gc.collect()
        raise IndexCorrupt(problem)

    @property
    def chunks(self) -> tuple[Passage, ...]:
        """Return every indexed passage in index order."""
        return tuple(self._passages[n] for n in sorted(self._passages))

    def document_frequency(self, term: str) -> int:
        """Return how many passages use a pipeline term, in their text or their headings."""
        with self._lock:
            return self._df(term)

    def _known_term(self, term: str) -> bool:
        reader = self._searcher.reader()
        return ("text", term) in reader

    def passage_at(self, doc: str, line: int) -> Passage | None:
        """Return the passage that holds a file line of a document (a part starting at or above it)."""
        place = self._places.get(doc)
        if not place:
            return None
        lines, nums = place
        i = bisect.bisect_right(lines, line) - 1
        if i + 1 < len(lines) and 0 < lines[i + 1] - line <= 2:
            i += 1  # a heading line just above the first line of a part
        return self._passages[nums[max(i, 0)]]

    def search(self, query: str, top: int = 5) -> SearchResult:
        """Return the `top` passages that best answer a query, with snippets and a suggestion."""
        if not isinstance(top, int) or top < 1:
            raise InputError(f"top must be a whole number of at least 1, not {top!r}")
        if not isinstance(query, str):
            raise InputError(f"the query must be text, not {type(query).__name__}")
        return self._cached(query, top)

    def _search(self, query: str, top: int) -> SearchResult:
        with self._lock:
            return self._search_locked(query, top)

    def _search_locked(self, query: str, top: int) -> SearchResult:
        plan = self._planner.plan(query)
        ranked = self._answers_first(self._rank(plan, top * self._fetch_factor))
        if plan.kind == "definition":
            ranked = self._promote(plan, ranked, 0, [self._defining(plan.subjects[0])])
        elif plan.kind in ("comparison", "pair"):
            ranked = self._compare(plan, ranked)
        hits: list[Hit] = []
        shown: set[tuple[str, tuple[str, ...]]] = set()
        for docnum, score in ranked:
            passage = self._passages[docnum]
            key = (passage.doc, passage.heading_path)
            if key in shown:
                continue  # the next passage of a section already shown adds little; show another
            shown.add(key)
            words_ = self._tokens(docnum)
            cited = self._cited(passage, words_, plan)
            part = passage.parts[cited]
            hits.append(Hit(len(hits) + 1, float(score), passage.doc, HEADING_SEPARATOR.join(part.heading_path),
                            part.line, passage.text,
                            snippet(passage.text, plan.highlight, width=self._snippet_words, tokens_=words_),
                            passage.parts, cited))
            if len(hits) == top:
                break
        return SearchResult(query, plan.suggestion, tuple(hits), plan.topic, plan.kind)

    def _rank(self, plan: Plan, limit: int) -> list[tuple[int, float]]:
        """Return (docnum, score) of the best passages for a plan.

        Words found in more than `common_share` of the passages only reorder the passages the
        rarer words find (`candidates` of them): a common word adds little to a score, and
        walking its long posting list through a union is most of what makes a large index slow.
        When every word is common, the rarest of them (within twice its passage count) find.
        """
        df = [self._df(t) for t in plan.terms]
        common_df = self._common_share * self._searcher.reader().doc_count_all()
        if min(df, default=0) > common_df:
            common_df = 2 * min(df)  # only common words: the rarest of them select the passages
        common = {i for i, n in enumerate(df) if n > common_df}

        def selects(clause: Clause) -> bool:
            if common.issuperset(clause.covers):
                return False
            # Another wording that is itself a common word ("store" for "persist") only reorders.
            return len(clause.terms) > 1 or self._df(clause.terms[0]) <= common_df

        first = [c for c in plan.clauses if selects(c)]
        later = [c for c in plan.clauses if not selects(c)]
        try:
            results = self._searcher.search(Q.Or([match(c.terms, c.weight) for c in first]),
                                            limit=max(limit, self._candidates) if later else limit)
            ranked = [(hit.docnum, hit.score) for hit in results]
            if later and ranked:
                extra = self._rescore(later, sorted(d for d, _ in ranked))
                ranked = sorted(((d, s + extra.get(d, 0.0)) for d, s in ranked), key=lambda r: -r[1])[:limit]
        except Exception as exc:
            raise IndexCorrupt(f"the search index is damaged ({type(exc).__name__}: {exc}); "
                               f"{_HOW_TO_FIX}") from exc
        return ranked

    def _rescore(self, clauses: Sequence[Clause], docnums: Sequence[int]) -> dict[int, float]:
        """Return what some clauses add to the scores of some passages (docnums in order)."""
        extra: dict[int, float] = {}
        for clause in clauses:
            if len(clause.terms) == 1:
                postings = [("text", clause.terms[0], clause.weight)]
            else:  # a phrase: each pair of neighbours, as `match` weighs them
                share = clause.weight / (len(clause.terms) - 1)
                postings = [("pairs", f"{a} {b}", share) for a, b in zip(clause.terms, clause.terms[1:])]
            for field, term, weight in postings:
                if (field, term) not in self._searcher.reader():
                    continue
                matcher = self._searcher.postings(field, term)
                for docnum in docnums:
                    if not matcher.is_active():
                        break
                    if matcher.id() < docnum:
                        matcher.skip_to(docnum)
                    if matcher.is_active() and matcher.id() == docnum:
                        extra[docnum] = extra.get(docnum, 0.0) + weight * matcher.score()
        return extra

    def _answers_first(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Weigh a passage that only asks (a list of interview questions) at `asking_weight`."""
        if not self._asking_weight < 1:
            return ranked
        weighed = [(d, s * self._asking_weight if d in self._only_asking else s) for d, s in ranked]
        return sorted(weighed, key=lambda r: -r[1])

    def _defining(self, phrase: str) -> int | None:
        place = self.definitions.defining_passage(phrase)
        if place is None:
            return None
        passage = self.passage_at(*place)
        return self._docnums.get(passage.id) if passage else None

    def _sides(self, *sides: str) -> tuple[str, ...]:
        """Give the first side of "X vs Y N" the head noun N it shares ("strong vs eventual consistency")."""
        x, y = sides[0], sides[-1]
        xs, ys = x.split(), y.split()
        if self._defining(x) is None and len(xs) < len(ys):
            for k in range(1, len(ys)):
                if self._defining(" ".join(xs + ys[k:])) is not None:
                    return (" ".join(xs + ys[k:]), *sides[1:])
            if len(xs) == 1:
                return (" ".join(xs + ys[1:]), *sides[1:])
        return sides

    def _compare(self, plan: Plan, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Rank a comparison: the passage that speaks of both sides most evenly (often the one that
        compares them), then each side's defining (or best) passage, then the rest."""
        sides = self._sides(*plan.subjects)
        lists = [self._ranking(side, self._fetch_factor * 5) for side in sides]
        both = []
        if all(lists):
            tops = [max(s for _, s in found) for found in lists]
            scores = [dict(found) for found in lists]
            both = sorted(((min(sc[d] / top for sc, top in zip(scores, tops)), d)
                           for d in scores[0] if all(d in sc for sc in scores)), reverse=True)
        head = [both[0][1]] if both else [d for d, _ in ranked[:1]]
        firsts = [self._defining(side) for side in sides]
        firsts = [f if f is not None else (found[0][0] if found else None) for f, found in zip(firsts, lists)]
        return self._promote(plan, ranked, 0, head + firsts)

    def _ranking(self, phrase: str, limit: int) -> list[tuple[int, float]]:
        """Rank passages for a phrase that is the whole of what is asked about.

        So its words in order, and any wording that names all of it (an exact synonym), count in full.
        """
        try:
            plan = self._planner.plan(phrase)
        except InputError:
            return []
        whole = tuple(range(len(plan.terms)))
        clauses = [Clause(c.terms, 1.0, c.covers) if c.covers == whole else c for c in plan.clauses]
        if len(plan.terms) > 1:
            clauses.append(Clause(plan.terms, 1.0, whole))
        return self._answers_first(self._rank(replace(plan, clauses=tuple(clauses)), limit))

    def _promote(self, plan: Plan, ranked: list[tuple[int, float]], after: int,
                 wanted: Sequence[int | None]) -> list[tuple[int, float]]:
        """Put passages at rank `after` + 1 onwards, ahead of the rest; each keeps its own score."""
        head = ranked[:after]
        wanted = [d for d in dict.fromkeys(wanted) if d is not None and d not in dict(head)]
        scores = dict(ranked)
        missing = sorted(d for d in wanted if d not in scores)
        if missing:
            scores.update(self._rescore(plan.clauses, missing))
        return head + [(d, scores.get(d, 0.0)) for d in wanted] + [r for r in ranked[after:] if r[0] not in wanted]

    def _cited(self, passage: Passage, words_: Sequence[Span], plan: Plan) -> int:
        """Return which part of a passage matched best.

        A part scores the weight (IDF) of the query words its text holds, plus that of the words
        its own heading holds times the share of the heading they make up: "2. Eventual
        Consistency" is about "eventual consistency", "Taming the Retry Storm" less so than the
        solution below it that says "this is known as a retry storm".
        """
        if len(passage.parts) == 1:
            return 0
        starts = [p.offset for p in passage.parts]
        bodies = passage.body_offsets()
        said: dict[int, set[str]] = {}
        for start, _, terms in words_:
            hit = plan.highlight.intersection(terms)
            i = bisect.bisect_right(starts, start) - 1
            if hit and start >= bodies[i]:
                said.setdefault(i, set()).update(hit)
        reader = self._searcher.reader()
        n = reader.doc_count_all()

        def weight(term: str) -> float:
            return math.log((n + 1) / (1 + self._df(term)))

        shared = passage.shared_headings()

        def score(i: int) -> float:
            part = passage.parts[i]
            best = 0.0
            for heading in part.heading_path[max(0, shared - 1):]:  # the headings the part brings
                head = set(heading_terms(heading))
                named = head & plan.highlight
                if named:
                    best = max(best, len(named) / len(head) * sum(map(weight, named)))
            total = sum(map(weight, said.get(i, ()))) + best
            # A section that only asks (a scenario above its solution) is cited after the answer.
            return total * self._asking_weight if (passage.doc, part.heading_path) in self._asking else total

        return max(range(len(passage.parts)), key=lambda i: (score(i), -i))

    def close(self) -> None:
        """Release the index files."""
        with self._lock:
            self._searcher.close()
            self._ix.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _in_memory(index_dir: Path):
    """Open the whoosh index from a copy of its files in memory."""
    # whoosh maps segment files into memory (mmap): a segment truncated on disk under a running
    # server killed the whole process with SIGBUS on the next search. A private copy (the size of
    # the files, which the mmap brought into memory anyway) keeps answering whatever happens to the
    # files; the next start's `ensure_built` checks them against the manifest and rebuilds.
    storage = RamStorage()
    for path in index_dir.iterdir():
        if path.is_file() and path.name != META:
            storage.files[path.name] = path.read_bytes()
    return storage.open_index()


