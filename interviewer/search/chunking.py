"""Sections → heading-aware chunks: a chunk never spans two sections and carries its heading path."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from interviewer.ingest import strip_inline_markdown
from interviewer.records import Chunk, Document, Section

# (doc, line, heading_path): a place where a heading-less section should be cut and what to call the
# piece that starts there (the quiz in 003 has no headings, but its questions are known).
Anchor = tuple[str, int, tuple[str, ...]]

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
# Lines that are only HTML tags (an <img> pasted from GitHub) carry no words worth finding.
_TAGS = re.compile(r"<[^<>\n]*>")


@dataclass(frozen=True)
class _Block:
    """A paragraph, code fence or table of a section: chunks are cut between blocks only."""

    start: int  # character offsets into the piece text
    end: int
    words: int
    kind: str  # text | code | table


def chunk_documents(
    documents: Iterable[Document],
    anchors: Iterable[Anchor] = (),
    *,
    min_words: int = 60,
    max_words: int = 220,
    overlap_words: int = 30,
) -> list[Chunk]:
    """Cut every section of the documents into chunks of about `min_words`..`max_words` words.

    A long section is split on blank-line paragraph boundaries (never inside a code fence or a table);
    each chunk after the first repeats the last paragraph of the one before (or its last
    ~`overlap_words` words) so an idea cut in two is still found whole.
    """
    by_doc: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for doc, line, path in anchors:
        by_doc.setdefault(doc, []).append((line, tuple(path)))
    chunks: list[Chunk] = []
    for document in documents:
        chunks.extend(
            chunk_document(
                document,
                sorted(by_doc.get(document.doc, ())),
                min_words=min_words,
                max_words=max_words,
                overlap_words=overlap_words,
            )
        )
    return chunks


def chunk_document(
    document: Document,
    anchors: Sequence[tuple[int, tuple[str, ...]]] = (),
    *,
    min_words: int = 60,
    max_words: int = 220,
    overlap_words: int = 30,
) -> list[Chunk]:
    """Cut one document into chunks (see `chunk_documents`); `anchors` are (line, heading_path) pairs."""
    file_lines = document.text.split("\n")
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in document.sections:
        if not section.text.strip():
            continue  # a heading with nothing under it
        first = _body_line(section, file_lines)
        for line, path, text in _pieces(section, first, document.title, anchors):
            for start_line, chunk_text in _pack(text, line, min_words, max_words, overlap_words):
                chunk_id = f"{document.doc}:{start_line}"
                n = 2
                while chunk_id in seen:  # two chunks can start on one long line
                    chunk_id, n = f"{document.doc}:{start_line}.{n}", n + 1
                seen.add(chunk_id)
                chunks.append(Chunk(chunk_id, document.doc, path, strip_inline_markdown(chunk_text), start_line))
    return chunks


def _body_line(section: Section, file_lines: list[str]) -> int:
    """Return the 1-based file line of a section's first body line."""
    if not section.heading_path:
        return section.line  # a preamble's line is already its first body line
    head = section.text.split("\n", 1)[0]
    for i in range(section.line, min(len(file_lines), section.line + 50)):
        if file_lines[i] == head:
            return i + 1
    return section.line + 1


def _pieces(
    section: Section, first: int, title: str, anchors: Sequence[tuple[int, tuple[str, ...]]]
) -> list[tuple[int, tuple[str, ...], str]]:
    """Split a heading-less section at the anchors inside it; name every piece."""
    lines = section.text.split("\n")
    path = section.heading_path or (title,)
    if section.heading_path:
        return [(first, path, section.text)]
    cuts = [(line - first, p) for line, p in anchors if first <= line < first + len(lines)]
    starts = [(0, path)] + [c for c in cuts if c[0] > 0]
    if cuts and cuts[0][0] == 0:
        starts[0] = cuts[0]
    pieces = []
    for n, (i, p) in enumerate(starts):
        j = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        body = lines[i:j]
        while body and not body[0].strip():
            body, i = body[1:], i + 1
        text = "\n".join(body).rstrip()
        if text:
            pieces.append((first + i, p, text))
    return pieces


def _pack(
    text: str, first_line: int, min_words: int, max_words: int, overlap_words: int
) -> list[tuple[int, str]]:
    """Group the blocks of a piece into chunks; return (file line, text) pairs."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        return first_line + bisect.bisect_right(line_starts, offset) - 1

    blocks = [b for b in _blocks(text, max_words) if b.words]
    out: list[tuple[int, str]] = []
    start: int | None = None  # where the chunk being filled starts
    words = 0
    fresh = False  # whether the chunk holds anything beyond the overlap
    last: _Block | None = None
    for block in blocks:
        if start is not None and fresh and words + block.words > max_words and words >= min_words:
            out.append(_emit(text, start, last.end, line_of))
            start, words = _overlap(text, last, overlap_words)
            fresh = False
        if start is None:
            start, words = block.start, 0
        words += block.words
        fresh = True
        last = block
    if start is not None and fresh:
        out.append(_emit(text, start, last.end, line_of))
    return out


def _emit(text: str, start: int, end: int, line_of: Callable[[int], int]) -> tuple[int, str]:
    """Return the file line and the stripped text of the chunk text[start:end]."""
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    return line_of(start + lead), chunk.strip()


def _overlap(text: str, block: _Block, overlap_words: int) -> tuple[int, int]:
    """Return where the next chunk starts (inside the last block) and how many words that repeats."""
    if block.words <= 2 * overlap_words:
        return block.start, block.words
    if block.kind != "text":
        return block.end, 0  # never start a chunk inside a code fence or a table
    body = text[block.start : block.end]
    # Prefer a sentence start among the last ~overlap words; fall back to a plain word cut.
    for m in _SENTENCE.finditer(body):
        rest = len(body[m.end() :].split())
        if rest <= 2 * overlap_words:
            if rest >= overlap_words // 2:
                return block.start + m.end(), rest
            break
    spans = [m.start() for m in re.finditer(r"\S+", body)]
    cut = spans[-overlap_words]
    return block.start + cut, overlap_words


def _blocks(text: str, max_words: int) -> list[_Block]:
    """Find the blank-line separated blocks of a piece; split over-long prose blocks further."""
    blocks: list[_Block] = []
    pos = 0
    block_start: int | None = None
    kind = "text"
    in_fence = False

    def close(end: int) -> None:
        nonlocal block_start
        if block_start is not None:
            blocks.extend(_make_blocks(text, block_start, end, kind, max_words))
            block_start = None

    for line in text.split("\n"):
        if in_fence:
            in_fence = not _FENCE.match(line)
        elif _FENCE.match(line):
            in_fence = True
            if block_start is None:
                block_start = pos
            kind = "code"  # a fence glued to a paragraph makes the whole block unsplittable
        elif not line.strip():
            close(pos - 1)
        elif _RULE.match(line):
            close(pos - 1)  # a horizontal rule separates; it is not content
        elif block_start is None:
            block_start = pos
            kind = "table" if line.lstrip().startswith("|") else "text"
        pos += len(line) + 1
    close(len(text))
    return blocks


def _make_blocks(text: str, start: int, end: int, kind: str, max_words: int) -> list[_Block]:
    """Make one block, or for prose longer than `max_words` one per line (or per sentence run)."""
    body = text[start:end]
    n = len(_TAGS.sub(" ", body).split())
    if kind != "text" or n <= max_words:
        return [_Block(start, end, n, kind)]
    out: list[_Block] = []
    pos = start
    for line in body.split("\n"):
        line_end = pos + len(line)
        words = len(line.split())
        if words <= max_words:
            if words:
                out.append(_Block(pos, line_end, words, kind))
        else:
            # One enormous line: cut between sentences.
            s = pos
            for m in _SENTENCE.finditer(line):
                piece = text[s : pos + m.start()]
                if len(piece.split()) >= max_words // 2:
                    out.append(_Block(s, pos + m.start(), len(piece.split()), kind))
                    s = pos + m.end()
            out.append(_Block(s, line_end, len(text[s:line_end].split()), kind))
        pos = line_end + 1
    return out
