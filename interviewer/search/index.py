"""The whoosh index on disk: write passages into it, open it, search it (BM25F over four fields)."""

from __future__ import annotations

import bisect
import gc
import json
import math
import re
import threading
import warnings
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.scoring import WeightingModel, WeightLengthScorer, WeightScorer

from interviewer.errors import IndexCorrupt, IndexMissing, InputError, InterviewerError
from interviewer.ingest import strip_inline_markdown
from interviewer.lexicon import Lexicon
from interviewer.records import HEADING_SEPARATOR, Chunk, Question
from interviewer.search.chunking import Part, Passage
from interviewer.search.query import Clause, Plan, Planner, Speller, default_rules
from interviewer.search.snippet import Span, snippet, tokens
from interviewer.search.vocabulary import (
    DefinitionSources, Definitions, PhraseDefinitions, PhraseVocabulary, Vocabularies, Vocabulary,
    acronym_groups, heading_names, heading_terms, sentence_name,
)
from interviewer.text import analyze, word_terms, words

# Bump when the schema, the analyzer or meta.json change: an older index is then rebuilt.
FORMAT = 2
META = "meta.json"
_HOW_TO_FIX = "run `interviewer build-index` to rebuild it"


# A field value may be several segments of text, each with the weight its words count for
# (BM25F: a word in a passage's own heading counts more than one in its body, before saturation).
# whoosh takes one string per field, so the segments travel in it behind these separators.
_SEGMENT, _WEIGHT = "\x1e", "\x1f"


def weighted(segments: Iterable[tuple[str, float]]) -> str:
    """Join (text, weight) segments into one field value for `TermTokenizer`."""
    return "".join(f"{_SEGMENT}{weight:g}{_WEIGHT}{text}" for text, weight in segments if text and weight)


class TermTokenizer(Tokenizer):
    """Tokenize with the project's text pipeline so index terms == query terms == grader terms."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.text, token.boost, token.stopped = value, 1.0, False
            token.pos, token.startchar, token.endchar = start_pos, start_char, start_char + len(value)
            yield token
            return
        pos = start_pos
        for text, boost, offset in _segments(value):
            for w in words(text):
                for term in word_terms(w.text):
                    token.text, token.boost, token.stopped = term, boost, False
                    if keeporiginal:
                        token.original = w.text
                    if positions:
                        token.pos = pos
                    if chars:
                        token.startchar, token.endchar = start_char + offset + w.start, start_char + offset + w.end
                    pos += 1
                    yield token
            pos += 1  # a phrase never runs from one segment into the next


class PairTokenizer(Tokenizer):
    """Tokenize into pairs of adjacent terms ("write behind"), so a phrase is one posting list."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.text, token.boost, token.stopped, token.pos = value, 1.0, False, start_pos
            yield token
            return
        pos = start_pos
        for text, boost, _ in _segments(value):
            previous = None
            for w in words(text):
                for term in word_terms(w.text):
                    if previous is not None:
                        token.text, token.boost, token.stopped = f"{previous} {term}", boost, False
                        if positions:
                            token.pos = pos
                        pos += 1
                        yield token
                    previous = term


def _segments(value: str) -> Iterable[tuple[str, float, int]]:
    """Split a field value into (text, weight, offset) segments (one of weight 1 if it has none)."""
    if not value.startswith(_SEGMENT):
        yield value, 1.0, 0
        return
    offset = 0
    for piece in value.split(_SEGMENT)[1:]:
        weight, _, text = piece.partition(_WEIGHT)
        offset += 1 + len(weight) + 1
        yield text, float(weight), offset
        offset += len(text)


def make_schema() -> Schema:
    """Return the index schema.

    `text` holds a passage's headings and body, each segment weighted (see `write_index`), and
    `pairs` the same as pairs of adjacent terms (phrases without positions, which are slow to
    match in whoosh); `body` is the text as shown; `parts` says where each section sits in it.
    """
    return Schema(
        id=ID(stored=True, unique=True),
        doc=ID(stored=True),
        path=STORED,
        line=STORED,
        parts=STORED,
        body=STORED,
        text=TEXT(analyzer=TermTokenizer(), phrase=False),
        pairs=TEXT(analyzer=PairTokenizer(), phrase=False),
    )


def write_index(
    index_dir: Path,
    chunks: Sequence[Chunk],
    lexicon: Lexicon | None = None,
    *,
    questions: Sequence[Question] = (),
    synonyms: Iterable[Sequence[Sequence[str]]] = (),
    title_weight: float = 2.0,
    heading_weight: float = 0.5,
    asked_weight: float = 0.5,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write passages into a new whoosh index in `index_dir` (which must not hold one yet).

    A word of the passage's own headings counts `title_weight` times a word of its body, a word
    of the headings above them `heading_weight` times; the prompts of the bank's `questions` the
    passage answers are indexed with it at `asked_weight`. `synonyms` (groups of wordings as
    pipeline terms, e.g. from the grader's synonym table) are kept for query expansion.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    passages = [_as_passage(c) for c in chunks]
    asked, asking = _asked(passages, questions)
    ix = whoosh_index.create_in(str(index_dir), make_schema())
    writer = ix.writer(limitmb=256)
    vocabulary: Counter[str] = Counter()
    total = len(passages)
    try:
        for n, passage in enumerate(passages, 1):
            title, above = heading_fields(passage)
            text = weighted([(above, heading_weight), (title, title_weight), (passage.text, 1.0),
                             ("\n".join(asked.get(n - 1, ())), asked_weight)])
            writer.add_document(
                id=passage.id,
                doc=passage.doc,
                path=list(passage.heading_path),
                line=passage.line,
                parts=[[p.offset, list(p.heading_path), p.line] for p in passage.parts],
                body=passage.text,
                text=text,
                pairs=text,
            )
            for text in (passage.text, *passage.heading_path):
                vocabulary.update(w.text for w in words(text))
            if progress and (n % 100 == 0 or n == total):
                progress(n, total)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()
    # Only words a query could mean to type: letters, 3+ long, not stop words.
    spelled = {w: c for w, c in vocabulary.items() if len(w) >= 3 and w.isalpha() and word_terms(w)}
    meta = {
        "format": FORMAT,
        "chunks": total,
        "weights": {"title": title_weight, "heading": heading_weight, "asked": asked_weight},
        "acronyms": {k: list(v) for k, v in sorted((lexicon.acronyms if lexicon else {}).items())},
        "synonyms": [[list(t) for t in group] for group in synonyms],
        "definitions": defined_names(passages),
        "asking": sorted([doc, list(path)] for doc, path in asking),
        "vocabulary": dict(sorted(spelled.items())),
    }
    (index_dir / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _shared(passage: Passage) -> int:
    """Return how many leading headings all parts of a passage share."""
    paths = [p.heading_path for p in passage.parts] or [passage.heading_path]
    shared = 0
    while all(len(p) > shared for p in paths) and len({p[shared] for p in paths}) == 1:
        shared += 1
    return shared


def heading_fields(passage: Passage) -> tuple[str, str]:
    """Return the passage's own headings and the headings above them, as text.

    The own headings are those below the headings all its parts share, and the last shared one
    (a single section's own heading; a pack's parent and the sections it absorbed).
    """
    paths = [p.heading_path for p in passage.parts] or [passage.heading_path]
    shared = _shared(passage)
    own = [paths[0][shared - 1]] if shared else []
    for path in paths:
        own.extend(h for h in path[shared:] if h not in own)
    return "\n".join(own), "\n".join(paths[0][: max(0, shared - 1)])


def defined_names(passages: Sequence[Passage]) -> dict[str, list]:
    """Map the names the passages define to where: a heading that names the thing whole first,
    then a part of a heading ("… (Linearizability)"), then a first sentence "X is …"; the first
    passage in corpus order breaks a tie."""
    found: dict[str, tuple[int, int, list]] = {}

    def add(name: str, rank: int, where: list) -> None:
        key = " ".join(analyze(name))
        if key and (key not in found or rank < found[key][0]):
            found[key] = (rank, len(found), where)

    opened: set[tuple[str, tuple[str, ...]]] = set()
    for passage in passages:
        for part, text in zip(passage.parts, _part_texts(passage)):
            # The first part under a heading starts its subject, whether the heading has text of
            # its own ("B. Connection Draining" > "What It Is") or not.
            for depth in range(1, len(part.heading_path) + 1):
                if (passage.doc, part.heading_path[:depth]) in opened:
                    continue
                opened.add((passage.doc, part.heading_path[:depth]))
                for name, rank in heading_names(part.heading_path[depth - 1]):
                    add(name, rank, [passage.doc, part.line])
            # An absorbed part opens with its heading lines; the definition is on a line after them.
            for line in text.split("\n", 3)[:3]:
                name = sentence_name(line)
                if name:
                    add(name, 2, [passage.doc, part.line])
                    break
    return {key: where for key, (_, _, where) in found.items()}


def _part_texts(passage: Passage) -> list[str]:
    ends = [p.offset for p in passage.parts[1:]] + [len(passage.text)]
    return [passage.text[p.offset : end] for p, end in zip(passage.parts, ends)]


def _body_offsets(passage: Passage) -> list[int]:
    """Return where each part's own text starts, after the heading lines an absorbed part opens with."""
    out = []
    for part, text in zip(passage.parts, _part_texts(passage)):
        offset = part.offset
        for line in text.split("\n"):
            if line.strip() not in part.heading_path or not line.strip():
                break
            offset += len(line) + 1
        out.append(offset)
    return out


def _as_passage(chunk: Chunk) -> Passage:
    if isinstance(chunk, Passage) and chunk.parts:
        return chunk
    return Passage(chunk.id, chunk.doc, chunk.heading_path, chunk.text, chunk.line,
                   (Part(0, chunk.heading_path, chunk.line),))


def _asked(passages: Sequence[Passage], questions: Sequence[Question]
           ) -> tuple[dict[int, list[str]], set[tuple[str, tuple[str, ...]]]]:
    """Return, by passage, the prompts of the bank questions it answers; and the sections that
    only ask (a scenario whose answer is the section after it, a list of probe questions).

    A question goes to the passage where its reference answer starts (else to the one that holds
    its source section), unless that passage already says the question word for word (a list of
    probe questions, a quiz question above its explanation): the field adds the asker's wording.
    """
    flat = [_flat(p.text) for p in passages]
    by_doc: dict[str, list[int]] = {}
    by_path: dict[tuple[str, tuple[str, ...]], list[tuple[int, int]]] = {}
    for n, passage in enumerate(passages):
        by_doc.setdefault(passage.doc, []).append(n)
        for part in passage.parts:
            by_path.setdefault((passage.doc, part.heading_path), []).append((part.line, n))
    prompts: dict[int, list[str]] = {}
    asking: set[tuple[str, tuple[str, ...]]] = set()
    for q in questions:
        source = (q.source.doc, tuple(q.source.heading_path))
        if q.kind == "probe" and source in by_path:
            asking.add(source)  # a list of probe questions names topics without explaining them
        opening = next((_flat(ln)[:80] for ln in q.reference.split("\n") if len(ln.split()) >= 4), "")
        found = next((n for n in by_doc.get(q.source.doc, ()) if opening and opening in flat[n]), None)
        if found is not None:
            answering = passages[found].part_at(_flat_offset(passages[found].text, opening))
            if answering.heading_path != source[1] and source in by_path:
                asking.add(source)
        else:
            places = sorted(by_path.get(source, ()))
            if not places:
                continue
            # The part that holds the question's line (a long section is split into several).
            at = max(0, bisect.bisect_right([line for line, _ in places], q.source.line) - 1)
            found = places[at][1]
        if _flat(q.prompt) not in flat[found]:
            prompts.setdefault(found, []).append(q.prompt)
    return prompts, asking


def _flat_offset(text: str, flat_piece: str) -> int:
    """Return where a flattened piece of text (its first five words) starts in the text."""
    first = re.findall(r"\w+", flat_piece)[:5]
    m = re.search(r"\W+".join(map(re.escape, first)), text, re.I) if first else None
    return m.start() if m else 0


def _flat(text: str) -> str:
    return " ".join(strip_inline_markdown(text).split()).lower()


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
    kind: str = "lookup"  # lookup | definition | comparison

    def to_dict(self) -> dict[str, Any]:
        """Return the result shaped as `interviewer search --json` prints it."""
        return {"query": self.query, "suggestion": self.suggestion, "hits": [h.to_dict() for h in self.hits]}


class SearchIndex:
    """An open whoosh index; `search` is safe to call from many threads."""

    def __init__(self, ix, meta: dict, *, vocabularies: Sequence[Vocabulary] = (),
                 definitions: Sequence[Definitions] = (), k1: float = 1.5, b: float = 0.75, delta: float = 1.0,
                 synonym_weight: float = 0.5, acronym_weight: float = 0.5, pair_weight: float = 0.3,
                 asking_weight: float = 0.5, common_share: float = 0.4,
                 fetch_factor: int = 3, snippet_words: int = 32, cache_size: int = 2048):
        """Wrap an open whoosh index.

        Ranking is BM25+ (`k1`, `b`, `delta`) over each passage's weighted headings and text (the
        weights are the index's, see `write_index`). Other wordings count `synonym_weight` (the
        grader's synonym table) or `acronym_weight` (the corpus's acronyms) of the user's own words.
        `vocabularies` and `definitions` are asked before the built-in ones (the concept inventory
        plugs in here).

        A query word found in more than `common_share` of the passages is left out of the ranking
        when the query has rarer words (it is still highlighted): it adds little, and its long
        posting list is what makes a large index slow. One passage per section (the first section
        of a pack) is returned, chosen from the best `top * fetch_factor`. The last `cache_size`
        results are remembered: the index is read-only, and the interviews of a server look up the
        same concepts again and again.
        """
        self._common_share = common_share
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
            return self._searcher.reader().doc_frequency("text", term)

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
        elif plan.kind == "comparison":
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
        """Return (docnum, score) of the best passages for a plan."""
        with self._lock:
            try:
                return [(hit.docnum, hit.score) for hit in self._searcher.search(self._query(plan), limit=limit)]
            except Exception as exc:
                raise IndexCorrupt(f"the search index is damaged ({type(exc).__name__}: {exc}); "
                                   f"{_HOW_TO_FIX}") from exc

    def _query(self, plan: Plan) -> Q.Query:
        keep = self._selective(plan)
        # One flat Or: whoosh sums the scores of the clauses a passage matches, and a flat union
        # is faster than nesting one Or per query word.
        return Q.Or([_match(c.terms, c.weight) for c in plan.clauses if keep.intersection(c.covers)])

    def _answers_first(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Weigh a passage that only asks (a list of interview questions) at `asking_weight`."""
        if not self._asking_weight < 1:
            return ranked
        weighed = [(d, s * self._asking_weight if self._only_asks(d) else s) for d, s in ranked]
        return sorted(weighed, key=lambda r: -r[1])

    def _only_asks(self, docnum: int) -> bool:
        passage = self._passages[docnum]
        return all((passage.doc, p.heading_path) in self._asking for p in passage.parts)

    def _defining(self, phrase: str) -> int | None:
        place = self.definitions.defining_passage(phrase)
        if place is None:
            return None
        passage = self.passage_at(*place)
        return self._docnum(passage) if passage else None

    def _sides(self, x: str, y: str) -> tuple[str, str]:
        """Give the first side of "X vs Y N" the head noun N it shares ("strong vs eventual consistency")."""
        xs, ys = x.split(), y.split()
        if self._defining(x) is None and len(xs) < len(ys):
            for k in range(1, len(ys)):
                if self._defining(" ".join(xs + ys[k:])) is not None:
                    return " ".join(xs + ys[k:]), y
            if len(xs) == 1:
                return " ".join(xs + ys[1:]), y
        return x, y

    def _compare(self, plan: Plan, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Rank a comparison: the passage that speaks of both sides most evenly (often the one that
        compares them), then each side's defining (or best) passage, then the rest."""
        sides = self._sides(*plan.subjects)
        lists = [self._ranking(side, self._fetch_factor * 10) for side in sides]
        both = []
        if all(lists):
            tops = [max(s for _, s in found) for found in lists]
            scores = [dict(found) for found in lists]
            both = sorted(((min(sc[d] / top for sc, top in zip(scores, tops)), d) for d in scores[0] if d in scores[1]),
                          reverse=True)
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
        missing = [d for d in wanted if d not in scores]
        if missing:
            scores.update(self._scores(plan, missing))
        return head + [(d, scores.get(d, 0.0)) for d in wanted] + [r for r in ranked[after:] if r[0] not in wanted]

    def _scores(self, plan: Plan, docnums: Sequence[int]) -> dict[int, float]:
        """Return the scores a plan gives some passages (those the ranking did not reach)."""
        with self._lock:
            results = self._searcher.search(self._query(plan), limit=len(docnums), filter=set(docnums))
            return {hit.docnum: hit.score for hit in results}

    def _docnum(self, passage: Passage) -> int | None:
        return self._docnums.get(passage.id)

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
        bodies = _body_offsets(passage)
        said: dict[int, set[str]] = {}
        for start, _, terms in words_:
            hit = plan.highlight.intersection(terms)
            i = bisect.bisect_right(starts, start) - 1
            if hit and start >= bodies[i]:
                said.setdefault(i, set()).update(hit)
        reader = self._searcher.reader()
        n = reader.doc_count_all()

        def weight(term: str) -> float:
            return math.log((n + 1) / (1 + reader.doc_frequency("text", term)))

        shared = len(passage.heading_path) if len(passage.parts) < 2 else _shared(passage)

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
            return total / 2 if (passage.doc, part.heading_path) in self._asking else total

        return max(range(len(passage.parts)), key=lambda i: (score(i), -i))

    def _selective(self, plan: Plan) -> set[int]:
        """Return the positions of the query's own terms to rank by: common ones out when rarer remain.

        Such a word adds almost nothing to a BM25 score but its long posting lists are what makes
        a large index slow ("system design interview questions: replication" is about replication).
        """
        reader = self._searcher.reader()
        limit = self._common_share * reader.doc_count()
        rare = {i for i, t in enumerate(plan.terms) if reader.doc_frequency("text", t) <= limit}
        return rare or set(range(len(plan.terms)))

    def close(self) -> None:
        """Release the index files."""
        with self._lock:
            self._searcher.close()
            self._ix.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class BM25Plus(WeightingModel):
    """BM25+ (Lv & Zhai): BM25 plus `delta` for every query term a passage holds at all.

    Plain BM25 lets a long passage that holds a query word once score almost nothing for it;
    BM25+ counts each word found, so a passage that holds more of a question's words wins (and
    its IDF, log((N + 1) / df), never turns negative). `lengths` are the field lengths of every
    document, read once: whoosh would otherwise look one up for every posting it scores.
    """

    def __init__(self, lengths: Mapping[str, Sequence[int]], B: float = 0.75, K1: float = 1.5,
                 delta: float = 1.0):
        self.B, self.K1, self.delta = B, K1, delta
        # The length part of BM25's denominator, per field and document.
        self.norms = {}
        for field, values in lengths.items():
            avg = (sum(values) / len(values)) if values else 1.0
            self.norms[field] = [K1 * (1 - B + B * n / (avg or 1.0)) for n in values]

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _BM25PlusScorer(self, searcher.get_parent(), fieldname, text)


class _BM25PlusScorer(WeightLengthScorer):
    def __init__(self, model: BM25Plus, searcher, fieldname, text):
        df = searcher.doc_frequency(fieldname, text)
        self.idf = math.log((searcher.doc_count_all() + 1) / df) if df else 0.0
        self.norms, self.K1, self.delta = model.norms[fieldname], model.K1, model.delta
        self.B = model.B
        self.avgfl = searcher.avg_field_length(fieldname) or 1
        ti = searcher.term_info(fieldname, text)
        self._maxquality = self._score(ti.max_weight(), ti.min_length())

    def score(self, matcher):
        weight = matcher.weight()
        return self.idf * (self.delta + weight * (self.K1 + 1) / (weight + self.norms[matcher.id()]))

    def _score(self, weight, length):
        norm = self.K1 * (1 - self.B + self.B * length / self.avgfl)
        return self.idf * (self.delta + weight * (self.K1 + 1) / (weight + norm))


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


def _match(terms: tuple[str, ...], boost: float) -> Q.Query:
    """Match one term, or a run of terms as a phrase: every pair of neighbours in `pairs`."""
    if len(terms) == 1:
        return Q.Term("text", terms[0], boost=boost)
    pairs = [Q.Term("pairs", f"{a} {b}", boost=boost / (len(terms) - 1)) for a, b in zip(terms, terms[1:])]
    return pairs[0] if len(pairs) == 1 else Q.And(pairs)
