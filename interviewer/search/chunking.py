"""Sections → passages: small sibling sections packed under their parent, long ones split.

Passages are cut from ingest's section tree (`Document.sections`):

* a section longer than `max_words` is split between paragraphs (never inside a code fence or a
  table), each piece after the first repeating the end of the one before;
* small sibling sections are packed under their parent until a pack holds `pack_words` words,
  never more than `max_words`; an absorbed section keeps its heading as a line of text;
* a parent's short intro (a scenario, the question asked, an overview of at most `intro_words`
  words) is carried into its first child's passage, so a question and its answer are found together;
* the top-level sections of a document are never packed together: they are separate topics.

Every passage lists its parts (where each section's text starts in it, with that section's
heading path and file line), so a hit cites the part that matched; its own `heading_path` and
`line` are those of its first part, the section a result list shows once.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from interviewer import markdown
from interviewer.ingest import strip_inline_markdown
from interviewer.records import Chunk, Document, Section

# (doc, line, heading_path): a place where a heading-less section should be cut and what to call the
# piece that starts there (the quiz in 003 has no headings, but its questions are known).
Anchor = tuple[str, int, tuple[str, ...]]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
# Lines that are only HTML tags (an <img> pasted from GitHub) carry no words worth finding.
_TAGS = re.compile(r"<[^<>\n]*>")


@dataclass(frozen=True)
class Part:
    """Where one section's text sits in a passage, and how a hit on it is cited."""

    offset: int  # character offset of the part (its heading lines, then its text) in the passage
    heading_path: tuple[str, ...]
    line: int  # file line of the part's first line


@dataclass(frozen=True)
class Passage(Chunk):
    """A chunk of one section, or a pack of small ones; `parts` says where each section sits."""

    parts: tuple[Part, ...] = ()

    def part_at(self, offset: int) -> Part:
        """Return the part that holds a character offset of the text."""
        starts = [p.offset for p in self.parts]
        return self.parts[max(0, bisect.bisect_right(starts, offset) - 1)]

    def part_texts(self) -> list[str]:
        """Return the text of every part (an absorbed part's heading lines first)."""
        ends = [p.offset for p in self.parts[1:]] + [len(self.text)]
        return [self.text[p.offset : end] for p, end in zip(self.parts, ends)]

    def body_offsets(self) -> list[int]:
        """Return where each part's own words start, after the heading lines an absorbed part opens with."""
        out = []
        for part, text in zip(self.parts, self.part_texts()):
            offset = part.offset
            for line in text.split("\n"):
                if not line.strip() or line.strip() not in part.heading_path:
                    break
                offset += len(line) + 1
            out.append(offset)
        return out

    def shared_headings(self) -> int:
        """Return how many leading headings all the parts share (the pack's parent and above)."""
        paths = [p.heading_path for p in self.parts] or [self.heading_path]
        shared = 0
        while all(len(p) > shared for p in paths) and len({p[shared] for p in paths}) == 1:
            shared += 1
        return shared


@dataclass(frozen=True)
class _Block:
    """A paragraph, code fence or table of a section: sections are split between blocks only."""

    start: int  # character offsets into the piece text
    end: int
    words: int
    kind: str  # text | code | table


@dataclass(frozen=True)
class _Piece:
    """A section's text, or one piece of a long section's text."""

    path: tuple[str, ...]
    line: int
    text: str
    words: int
    opens: bool  # whether the piece starts its section (and may show its heading when absorbed)
    heading_lines: tuple[tuple[str, int], ...] = ()  # the headings above it, with their file lines


@dataclass
class _Unit:
    """Pieces that go into one passage, and whether more may be packed with them."""

    pieces: list[_Piece]
    closed: bool

    @property
    def words(self) -> int:
        return sum(p.words for p in self.pieces)


@dataclass
class _Node:
    section: Section | None
    path: tuple[str, ...]
    pieces: list[_Piece] = field(default_factory=list)
    children: list["_Node"] = field(default_factory=list)


def chunk_documents(
    documents: Iterable[Document],
    anchors: Iterable[Anchor] = (),
    *,
    pack_words: int = 120,
    max_words: int = 220,
    intro_words: int = 120,
    overlap_words: int = 30,
) -> list[Passage]:
    """Cut every document into passages (see the module docstring for the rules)."""
    by_doc: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for doc, line, path in anchors:
        by_doc.setdefault(doc, []).append((line, tuple(path)))
    passages: list[Passage] = []
    for document in documents:
        passages.extend(
            chunk_document(
                document,
                sorted(by_doc.get(document.doc, ())),
                pack_words=pack_words,
                max_words=max_words,
                intro_words=intro_words,
                overlap_words=overlap_words,
            )
        )
    return passages


def chunk_document(
    document: Document,
    anchors: Sequence[tuple[int, tuple[str, ...]]] = (),
    *,
    pack_words: int = 120,
    max_words: int = 220,
    intro_words: int = 120,
    overlap_words: int = 30,
) -> list[Passage]:
    """Cut one document into passages; `anchors` are (line, heading_path) pairs."""
    root = _tree(document, anchors, max_words, overlap_words)
    packer = _Packer(pack_words, max_words, intro_words)
    passages: list[Passage] = []
    seen: set[str] = set()
    for unit in packer.units(root):
        passage = _render(document.doc, unit.pieces)
        chunk_id, n = passage.id, 2
        while chunk_id in seen:  # two passages can start on one long line
            chunk_id, n = f"{passage.id}.{n}", n + 1
        seen.add(chunk_id)
        passages.append(Passage(chunk_id, passage.doc, passage.heading_path, passage.text, passage.line,
                                passage.parts))
    return passages


def _tree(document: Document, anchors: Sequence[tuple[int, tuple[str, ...]]], max_words: int,
          overlap_words: int) -> _Node:
    """Build the section tree of a document, each section's own text cut into pieces."""
    file_lines = document.text.split("\n")
    root = _Node(None, ())
    stack: list[tuple[int, _Node, tuple[tuple[tuple[str, ...], int], ...]]] = [(-1, root, ())]
    for section in document.sections:
        if not section.heading_path:
            # A preamble (or a document without headings) takes the title; anchors cut it up.
            for line, path, text in _anchor_pieces(section, document.title, anchors):
                node = _Node(section, path)
                node.pieces = _split_section(path, line, text, ((path, line),), max_words, overlap_words)
                root.children.append(node)
            continue
        while stack[-1][0] >= section.level:
            stack.pop()
        heads = stack[-1][2] + ((section.heading_path, section.line),)
        node = _Node(section, section.heading_path)
        if section.text.strip():
            node.pieces = _split_section(section.heading_path, _body_line(section, file_lines), section.text,
                                         heads, max_words, overlap_words)
        stack[-1][1].children.append(node)
        stack.append((section.level, node, heads))
    return root


def _split_section(path: tuple[str, ...], line: int, text: str, heads: tuple[tuple[tuple[str, ...], int], ...],
                   max_words: int, overlap_words: int) -> list[_Piece]:
    """Cut a section's text into pieces of at most about `max_words` words."""
    pieces = _split(text, line, max_words, overlap_words)
    return [_Piece(path, start, strip_inline_markdown(body), _words(body), n == 0, heads)
            for n, (start, body) in enumerate(pieces)]


class _Packer:
    """Pack the pieces of a section tree into passage-sized units, bottom-up."""

    def __init__(self, pack_words: int, max_words: int, intro_words: int):
        self.pack_words = pack_words
        self.max_words = max_words
        self.intro_words = intro_words

    def units(self, node: _Node) -> list[_Unit]:
        """Return the units of a subtree; an open one may still be packed with its siblings."""
        own = [_Unit([p], closed=len(node.pieces) > 1) for p in node.pieces]
        below = [u for child in node.children for u in self.units(child)]
        if node.section is None:
            return own + below  # the top-level topics of a document are never packed together
        intro = own[0] if len(own) == 1 and below and own[0].words <= self.intro_words else None
        out: list[_Unit] = []
        for unit in own + below:
            if not out:
                out.append(unit)
                continue
            last = out[-1]
            if (not last.closed and not unit.closed and last.words < self.pack_words
                    and last.words + unit.words <= self.max_words):
                out[-1] = _Unit(last.pieces + unit.pieces, closed=False)
            elif last is intro and last.words + unit.words <= self.max_words + self.intro_words:
                # The scenario or question goes with the start of its answer, even into a full unit.
                out[-1] = _Unit(last.pieces + unit.pieces, closed=unit.closed)
            else:
                out.append(unit)
        if len(out) > 1:
            for unit in out:
                unit.closed = True
        return out


def _render(doc: str, pieces: list[_Piece]) -> Passage:
    """Join pieces into one passage; an absorbed section's headings become lines of its text."""
    text = ""
    parts: list[Part] = []
    previous: tuple[str, ...] = ()
    for n, piece in enumerate(pieces):
        lines: list[tuple[str, int]] = []
        if n and piece.opens:
            same = 0
            while same < min(len(previous), len(piece.path)) and previous[same] == piece.path[same]:
                same += 1
            lines = [(piece.path[k], 0) for k in range(same, len(piece.path))]
        if n:
            text += "\n\n"
        start = len(text)
        first_line = piece.line
        if lines:
            heads = _heading_lines(piece, len(lines))
            first_line = heads[0] or piece.line
            text += "\n".join(title for title, _ in lines) + "\n"
        text += piece.text
        parts.append(Part(start, piece.path, first_line))
        previous = piece.path
    first = parts[0]
    return Passage(f"{doc}:{first.line}", doc, first.heading_path, text, first.line, tuple(parts))


def _heading_lines(piece: _Piece, count: int) -> list[int]:
    """Return the file lines of the last `count` headings of a piece's path (0 when unknown)."""
    known = dict(piece.heading_lines)
    return [known.get(piece.path[:k], 0) for k in range(len(piece.path) - count + 1, len(piece.path) + 1)]


def _words(text: str) -> int:
    return len(_TAGS.sub(" ", text).split())


def _body_line(section: Section, file_lines: list[str]) -> int:
    """Return the 1-based file line of a section's first body line."""
    head = section.text.split("\n", 1)[0]
    for i in range(section.line, min(len(file_lines), section.line + 50)):
        if file_lines[i] == head:
            return i + 1
    return section.line + 1


def _anchor_pieces(
    section: Section, title: str, anchors: Sequence[tuple[int, tuple[str, ...]]]
) -> list[tuple[int, tuple[str, ...], str]]:
    """Split a heading-less section at the anchors inside it; name every piece."""
    first = section.line
    lines = section.text.split("\n")
    path = (title,)
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


def _split(text: str, first_line: int, max_words: int, overlap_words: int) -> list[tuple[int, str]]:
    """Group the blocks of a section's text into pieces; return (file line, text) pairs.

    A piece is closed before the block that would take it past `max_words`, once it holds a
    third of that; each piece after the first starts with the end of the one before.
    """
    min_words = max_words // 3
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

    def close(end: int) -> None:
        nonlocal block_start
        if block_start is not None:
            blocks.extend(_make_blocks(text, block_start, end, kind, max_words))
            block_start = None

    # What each line is comes from the one markdown parser: code (fences included), tables, rules.
    for line, what in zip(text.split("\n"), markdown.line_kinds(text)):
        if what in ("fence", "code", "indented"):
            if block_start is None:
                block_start = pos
            kind = "code"  # a fence glued to a paragraph makes the whole block unsplittable
        elif what == "blank":
            close(pos - 1)
        elif what == "rule":
            close(pos - 1)  # a horizontal rule separates; it is not content
        elif block_start is None:
            block_start = pos
            kind = "table" if what == "table" else "text"
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
