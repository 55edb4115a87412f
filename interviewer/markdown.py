"""THE markdown parser: markdown-it turns a text into headings and blocks of plain text, each with its
file line, list depth and emphasised spans. Ingest cuts documents into sections with it; the concept
inventory and the grader read blocks, never markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark").enable("table")
# Emphasis markers and decorations (emoji, pictographs, variation selectors, keycaps) around headings.
_EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")
_DECORATION = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\ufe0f\u20e3\U0001f000-\U0001faff]+"
)
_SPACES = re.compile(r"[ \t]+")
# A backticked span that is code rather than a term: operators, calls, paths.
_CODEY = re.compile(r"[=<>{}();\[\]@$#]|\w\.\w|\*")


@dataclass(frozen=True)
class Block:
    """A heading, paragraph, list item, table row or code block, as plain text.

    kind: heading | text | item (the first paragraph of a list item) | row (a table row) | code.
    line: the file line the block starts on; a "\\n" in `text` is a line break of the source.
    depth: list nesting (0 outside lists); level: a heading's level; header: a table's header row.
    emphasis: the spans written in bold, italics or backticks (code-like backticks left out).
    """

    kind: str
    text: str
    line: int
    depth: int = 0
    level: int = 0
    emphasis: tuple[str, ...] = ()
    header: bool = False
    cells: tuple[str, ...] = ()
    ordered: bool = False

    def line_of(self, offset: int) -> int:
        """Return the file line of a character offset into `text`."""
        return self.line + self.text.count("\n", 0, offset)


def parse(text: str) -> list[Token]:
    """Return markdown-it's tokens for a text (line maps refer to its lines)."""
    return _PARSER.parse(text)


def line_kinds(text: str) -> list[str]:
    """Say what each line of a text is, as the parser reads it: "fence" (a code fence's ``` line),
    "code" (inside a fenced block), "indented" (an indented code block), "table", "heading" (an ATX
    "## …" line), "rule" (a thematic break, or the underline of a setext heading), "blank", or "text"."""
    return list(_line_kinds(text))


# A build reads a section's text in several stages (questions, passages, concepts): it is parsed once.
_MEMO = 4096


@lru_cache(maxsize=_MEMO)
def _line_kinds(text: str) -> tuple[str, ...]:
    lines = text.split("\n")
    kinds = ["blank" if not line.strip() else "text" for line in lines]
    for token in parse(text):
        if token.map is None:
            continue
        kind = {"fence": "code", "code_block": "indented", "table_open": "table", "hr": "rule"}.get(token.type)
        if token.type == "heading_open":
            start, end = token.map
            if token.markup.startswith("#"):
                kinds[start] = "heading"
            else:  # "Title\n-----": the title reads as text, its underline as a rule
                kinds[end - 1] = "rule"
            continue
        if kind is not None:
            start, end = token.map
            for i in range(start, min(end, len(lines))):
                if kind not in ("code", "indented") and not lines[i].strip():
                    continue
                kinds[i] = kind
            if token.type == "fence":
                kinds[start] = "fence"
                if end - 1 > start and lines[end - 1].strip().startswith(token.markup):
                    kinds[end - 1] = "fence"  # the closing fence (an unclosed block runs to the end)
    return tuple(kinds)


_ATX = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)(.*?)(?:\s+#+)?\s*$")


def atx_title(line: str) -> str:
    """Return the title of an ATX heading line ("## Title ##" → "Title")."""
    m = _ATX.match(line)
    return m.group(1) if m else line.strip()


def blocks(text: str, first_line: int = 1) -> list[Block]:
    """Parse markdown into blocks; `first_line` is the file line of the text's first line."""
    return list(_blocks(text, first_line))


@lru_cache(maxsize=_MEMO)
def _blocks(text: str, first_line: int) -> tuple[Block, ...]:
    return tuple(walk(parse(text), first_line))


def walk(tokens: Sequence[Token], first_line: int = 1) -> Iterator[Block]:
    """Turn markdown-it tokens into blocks, in order."""
    depth = 0
    ordered: list[bool] = []
    item_pending = False
    in_head = False
    cells: list[str] = []
    row_line = 0
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        kind = tok.type
        line = (tok.map[0] if tok.map else 0) + first_line
        if kind in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            ordered.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered.pop()
        elif kind == "list_item_open":
            item_pending = True
        elif kind == "heading_open":
            # From the source as written, as ingest names sections (ids and citations depend on it).
            yield Block("heading", clean_heading(tokens[i + 1].content), line, level=int(tok.tag[1:]))
            i += 2
        elif kind == "paragraph_open" and i + 1 < n and tokens[i + 1].type == "inline":
            plain, spans = inline_text(tokens[i + 1])
            if plain.strip():
                yield Block("item" if item_pending else "text", plain, line, depth, emphasis=spans,
                            ordered=bool(item_pending and ordered and ordered[-1]))
            item_pending = False
            i += 1
        elif kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            cells, row_line = [], line
        elif kind == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            cells.append(inline_text(tok)[0].strip())
        elif kind == "tr_close":
            if any(cells):
                yield Block("row", " | ".join(cells), row_line, depth, header=in_head, cells=tuple(cells))
        elif kind in ("fence", "code_block"):
            yield Block("code", tok.content.rstrip("\n"), line + (1 if kind == "fence" else 0), depth)
        i += 1


def inline_text(token: Token) -> tuple[str, tuple[str, ...]]:
    """Return an inline token as plain text, and the spans it emphasises (bold, italics, backticks)."""
    out: list[str] = []
    spans: list[str] = []
    opened: list[int] = []
    for child in token.children or ():
        kind = child.type
        if kind == "text":
            out.append(child.content)
        elif kind == "code_inline":
            out.append(child.content)
            if not _CODEY.search(child.content):
                spans.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind in ("strong_open", "em_open"):
            opened.append(len("".join(out)))
        elif kind in ("strong_close", "em_close") and opened:
            start = opened.pop()
            span = "".join(out)[start:].strip()
            if span:
                spans.append(span)
        elif kind == "image":
            out.append(child.content or "")
    plain = _SPACES.sub(" ", "".join(out))
    spans = [_SPACES.sub(" ", s).strip(" :.-") for s in spans]
    return plain.strip(" "), tuple(s for s in dict.fromkeys(spans) if s)


def strong_spans(text: str) -> list[str]:
    """Return the spans a text writes in bold, in order: the names a page means to teach."""
    out: list[str] = []
    for token in parse(text):
        if token.type != "inline":
            continue
        written: list[str] = []
        opened: list[int] = []
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                written.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                written.append(" ")
            elif child.type == "strong_open":
                opened.append(len("".join(written)))
            elif child.type == "strong_close" and opened:
                span = _SPACES.sub(" ", "".join(written)[opened.pop():]).strip()
                if span:
                    out.append(span)
    return out


def clean_heading(title: str) -> str:
    """Strip emphasis markers, emoji and stray punctuation from a heading."""
    title = _DECORATION.sub(" ", _EMPHASIS.sub("", title))
    return re.sub(r"\s+", " ", title).strip(" \t-:|")


def strip_inline_markdown(text: str) -> str:
    """Remove emphasis markers and link targets from markdown, keeping code and tables as written."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return _EMPHASIS.sub("", text)
