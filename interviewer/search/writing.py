"""Passages → the whoosh index on disk: schema, analysers, weighted fields, and what search reads
back from meta.json (acronyms, synonym groups, defined names, sections that only ask)."""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Sequence

from whoosh import index as whoosh_index
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, STORED, TEXT, Schema

from interviewer.ingest import strip_inline_markdown
from interviewer.lexicon import Lexicon
from interviewer.records import Chunk, Question
from interviewer.search.chunking import Part, Passage
from interviewer.search.vocabulary import heading_names, sentence_name
from interviewer.text import analyze, word_terms, words

# Bump when the schema, the analyzer or meta.json change: an older index is then rebuilt.
FORMAT = 2
META = "meta.json"


# A field value may be several segments of text, each with the weight its words count for
# (BM25F: a word in a passage's own heading counts more than one in its body, before saturation).
# whoosh takes one string per field, so the segments travel in it behind these separators.
_SEGMENT, _WEIGHT = "\x1e", "\x1f"


def weighted(segments: Iterable[tuple[str, float]]) -> str:
    """Join (text, weight) segments into one field value for `TermTokenizer`."""
    clean = str.maketrans(_SEGMENT + _WEIGHT, "  ")  # a stray separator in the text is a space
    return "".join(f"{_SEGMENT}{weight:g}{_WEIGHT}{text.translate(clean)}" for text, weight in segments
                   if text and weight)


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


def heading_fields(passage: Passage) -> tuple[str, str]:
    """Return the passage's own headings and the headings above them, as text.

    The own headings are those below the headings all its parts share, and the last shared one
    (a single section's own heading; a pack's parent and the sections it absorbed).
    """
    paths = [p.heading_path for p in passage.parts] or [passage.heading_path]
    shared = passage.shared_headings()
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
        for part, text in zip(passage.parts, passage.part_texts()):
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


