"""The whoosh index on disk: write chunks into it, open it, search it (BM25F, heading boosted)."""

from __future__ import annotations

import gc
import json
import threading
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.scoring import BM25F

from interviewer.errors import IndexCorrupt, IndexMissing, InputError, InterviewerError
from interviewer.lexicon import Lexicon
from interviewer.records import HEADING_SEPARATOR, Chunk
from interviewer.search.query import Planner, Speller
from interviewer.search.snippet import snippet
from interviewer.text import word_terms, words

# Bump when the schema, the analyzer or meta.json change: an older index is then rebuilt.
FORMAT = 1
META = "meta.json"
_HOW_TO_FIX = "run `interviewer build-index` to rebuild it"


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
        for w in words(value):
            for term in word_terms(w.text):
                token.text, token.boost, token.stopped = term, 1.0, False
                if keeporiginal:
                    token.original = w.text
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = start_char + w.start, start_char + w.end
                pos += 1
                yield token


def make_schema(heading_boost: float = 2.0) -> Schema:
    """Return the index schema; `heading_boost` weighs a heading-path match over a body match."""
    analyzer = TermTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        doc=ID(stored=True),
        path=STORED,
        line=STORED,
        heading=TEXT(analyzer=analyzer, field_boost=heading_boost),
        body=TEXT(analyzer=analyzer, stored=True),
    )


def write_index(
    index_dir: Path,
    chunks: Sequence[Chunk],
    lexicon: Lexicon | None = None,
    *,
    heading_boost: float = 2.0,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write chunks into a new whoosh index in `index_dir` (which must not hold one yet)."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index_dir), make_schema(heading_boost))
    writer = ix.writer(limitmb=256)
    vocabulary: Counter[str] = Counter()
    total = len(chunks)
    try:
        for n, chunk in enumerate(chunks, 1):
            writer.add_document(
                id=chunk.id,
                doc=chunk.doc,
                path=list(chunk.heading_path),
                line=chunk.line,
                heading=HEADING_SEPARATOR.join(chunk.heading_path),
                body=chunk.text,
            )
            for text in (chunk.text, *chunk.heading_path):
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
        "acronyms": {k: list(v) for k, v in sorted((lexicon.acronyms if lexicon else {}).items())},
        "vocabulary": dict(sorted(spelled.items())),
    }
    (index_dir / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


@dataclass(frozen=True)
class Hit:
    """One ranked passage: where it is, the whole text and a highlighted excerpt."""

    rank: int
    score: float
    doc: str
    heading: str
    line: int
    text: str
    snippet: str

    def to_dict(self) -> dict[str, Any]:
        """Return the hit shaped as the CLI and Socket.IO contracts expect."""
        return {"rank": self.rank, "score": round(self.score, 4), "doc": self.doc, "heading": self.heading,
                "line": self.line, "text": self.text, "snippet": self.snippet}


@dataclass(frozen=True)
class SearchResult:
    """The hits of one query and the corrected query when a word looked misspelled."""

    query: str
    suggestion: str | None
    hits: tuple[Hit, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the result shaped as `interviewer search --json` prints it."""
        return {"query": self.query, "suggestion": self.suggestion, "hits": [h.to_dict() for h in self.hits]}


class SearchIndex:
    """An open whoosh index; `search` is safe to call from many threads."""

    def __init__(self, ix, meta: dict, *, b: float = 0.75, k1: float = 1.2, heading_b: float = 0.3,
                 common_share: float = 0.2, per_section: int = 1, fetch_factor: int = 3,
                 snippet_words: int = 32, cache_size: int = 2048):
        """Wrap an open whoosh index.

        BM25F tunables: `k1` (term-frequency saturation), `b` (body length normalisation) and
        `heading_b` (heading paths are short and alike in length, so they are barely normalised).
        A query word found in more than `common_share` of the passages is left out of the ranking
        when the query has rarer words (it is still highlighted). At most `per_section` passages of
        one section are returned, chosen from the best `top * fetch_factor`. The last `cache_size`
        results are remembered: the index is read-only, and the interviews of a server look up the
        same concepts again and again (one locked searcher answering them all made 200 concurrent
        chat clients queue for seconds).
        """
        self._common_share = common_share
        self._per_section = per_section
        self._fetch_factor = fetch_factor
        self._ix = ix
        self._lock = threading.Lock()
        self._searcher = ix.searcher(weighting=BM25F(B=b, K1=k1, heading_B=heading_b))
        self._snippet_words = snippet_words
        reader = self._searcher.reader()
        chunks: dict[int, Chunk] = {}
        for docnum, stored in reader.iter_docs():
            chunks[docnum] = Chunk(stored["id"], stored["doc"], tuple(stored["path"]), stored["body"],
                                   int(stored["line"]))
        if len(chunks) != meta.get("chunks"):
            self._searcher.close()
            raise IndexCorrupt(f"the search index holds {len(chunks)} passages, its meta file says "
                               f"{meta.get('chunks')}; {_HOW_TO_FIX}")
        self._chunks = chunks
        acronyms = {k: tuple(v) for k, v in meta["acronyms"].items()}
        speller = Speller(meta["vocabulary"], self._known_term, acronyms)
        self._planner = Planner(acronyms, speller)
        self._cached = lru_cache(maxsize=cache_size)(self._search) if cache_size else self._search

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
    def chunks(self) -> tuple[Chunk, ...]:
        """Return every indexed chunk in index order."""
        return tuple(self._chunks[n] for n in sorted(self._chunks))

    def document_frequency(self, term: str) -> int:
        """Return how many chunks use a pipeline term, in their text or their heading."""
        reader = self._searcher.reader()
        return max(reader.doc_frequency("body", term), reader.doc_frequency("heading", term))

    def _known_term(self, term: str) -> bool:
        reader = self._searcher.reader()
        return ("body", term) in reader or ("heading", term) in reader

    def search(self, query: str, top: int = 5) -> SearchResult:
        """Return the `top` passages that best answer a query, with snippets and a suggestion."""
        if not isinstance(top, int) or top < 1:
            raise InputError(f"top must be a whole number of at least 1, not {top!r}")
        if not isinstance(query, str):
            raise InputError(f"the query must be text, not {type(query).__name__}")
        return self._cached(query, top)

    def _search(self, query: str, top: int) -> SearchResult:
        with self._lock:
            plan = self._planner.plan(query)
            # One flat Or: whoosh sums the scores of the clauses a passage matches, and a flat union
            # is ~40% faster than nesting one Or per query word.
            whoosh_query = Q.Or([
                _match(field, alt)
                for group in self._selective(plan.groups) for alt in group for field in ("heading", "body")
            ])
            try:
                found = [(hit.docnum, hit.score)
                         for hit in self._searcher.search(whoosh_query, limit=top * self._fetch_factor)]
            except Exception as exc:
                raise IndexCorrupt(f"the search index is damaged ({type(exc).__name__}: {exc}); "
                                   f"{_HOW_TO_FIX}") from exc
        hits = []
        per_section: dict[tuple[str, tuple[str, ...]], int] = {}
        for docnum, score in found:
            chunk = self._chunks[docnum]
            key = (chunk.doc, chunk.heading_path)
            if per_section.get(key, 0) >= self._per_section:
                continue  # the next passage of a section already shown adds little; show another
            per_section[key] = per_section.get(key, 0) + 1
            rank = len(hits) + 1
            hits.append(Hit(rank, float(score), chunk.doc, chunk.heading, chunk.line, chunk.text,
                            snippet(chunk.text, plan.highlight, width=self._snippet_words)))
            if len(hits) == top:
                break
        return SearchResult(query, plan.suggestion, tuple(hits))

    def _selective(self, groups):
        """Drop query words that occur in most passages when rarer ones remain.

        Such a word adds almost nothing to a BM25 score but its long posting lists are what makes
        a large index slow ("system design interview questions: replication" is about replication).
        """
        reader = self._searcher.reader()
        limit = self._common_share * reader.doc_count()

        def common(group) -> bool:
            return all(len(alt) == 1 and max(reader.doc_frequency(f, alt[0]) for f in ("heading", "body")) > limit
                       for alt in group)

        rare = [g for g in groups if not common(g)]
        return rare or groups

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


def _match(field: str, terms: tuple[str, ...]) -> Q.Query:
    """Match one term, or a run of terms as a phrase (an acronym's long form)."""
    return Q.Term(field, terms[0]) if len(terms) == 1 else Q.Phrase(field, list(terms))
