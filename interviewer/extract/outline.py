"""A document's sections as a tree with file line numbers, and clean plain text from markdown lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Sequence

from interviewer import markdown
from interviewer.ingest import clean_heading, strip_inline_markdown
from interviewer.records import Document, Section
from interviewer.text import words

from interviewer.extract.rules import replace_notation

_HTML = re.compile(r"^\s*</?[a-zA-Z][^>]*>\s*$")
_LINK_ONLY = re.compile(r"^\s*(?:[-*+]|\d+[.)])?\s*!?\[[^\]]*\]\([^)]*\)\s*[.,;]?\s*$")
_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s+\S")
_BLOCK_START = re.compile(r"^\s*([-*+]|\d+[.)]|\||>|`)")
_BOLD = re.compile(r"\*\*([^*\n]+?)\*\*|__([^_\n]+?)__")


@dataclass(frozen=True)
class Node:
    """One section with its raw body lines, the file line of the first of them, and its tree links."""

    index: int
    section: Section
    body: tuple[str, ...]
    body_line: int
    parent: int | None
    children: tuple[int, ...]

    @property
    def heading(self) -> str:
        return self.section.heading_path[-1] if self.section.heading_path else ""

    @property
    def path(self) -> tuple[str, ...]:
        return self.section.heading_path


class Outline:
    """The section tree of a document, with each section's lines as they are in the file."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.lines = doc.text.split("\n")
        sections = doc.sections
        parents: list[int | None] = []
        latest: dict[tuple[str, ...], int] = {}
        for i, s in enumerate(sections):
            parents.append(latest.get(s.heading_path[:-1]) if s.heading_path else None)
            latest[s.heading_path] = i
        kids: dict[int, list[int]] = {}
        for i, p in enumerate(parents):
            if p is not None:
                kids.setdefault(p, []).append(i)
        nodes = []
        for i, s in enumerate(sections):
            start = s.line if s.heading_path else s.line - 1  # 0-based index of the first body line
            end = sections[i + 1].line - 1 if i + 1 < len(sections) else len(self.lines)
            nodes.append(Node(i, s, tuple(self.lines[start:end]), start + 1, parents[i], tuple(kids.get(i, ()))))
        self.nodes: tuple[Node, ...] = tuple(nodes)

    def subtree(self, index: int) -> list[Node]:
        """Return a node and all its descendants, in file order."""
        out, stack = [], [index]
        while stack:
            i = stack.pop()
            out.append(self.nodes[i])
            stack.extend(reversed(self.nodes[i].children))
        return out

    def next_sibling(self, index: int) -> Node | None:
        """Return the section right after a node's subtree when it sits at the same level."""
        node = self.nodes[index]
        last = self.subtree(index)[-1].index
        if last + 1 < len(self.nodes):
            after = self.nodes[last + 1]
            if after.parent == node.parent and after.section.level == node.section.level:
                return after
        return None

    @cached_property
    def roots(self) -> tuple[int, ...]:
        return tuple(n.index for n in self.nodes if n.parent is None)

    @cached_property
    def own_words(self) -> tuple[int, ...]:
        """The prose words of each section's own text (before its first subsection)."""
        return tuple(prose_words(n.body) for n in self.nodes)


# --------------------------------------------------------------------------- prose and clean text


def prose_lines(lines: Iterable[str]) -> list[str]:
    """Keep the lines that read as prose: not code, tables, markup, rules or bare links."""
    lines = list(lines)
    out = []
    for line, what in zip(lines, markdown.line_kinds("\n".join(lines))):
        if what in _NOT_PROSE or _HTML.match(line) or _LINK_ONLY.match(line) or _table_like(line):
            continue
        out.append(line)
    return out


# Lines that are not prose, as the markdown parser reads them (an indented block is kept: in these
# notes it is a wrapped list item, not code).
_NOT_PROSE = frozenset({"fence", "code", "rule", "table", "heading"})


def _table_like(line: str) -> bool:
    """A "| a | b |" row the parser does not take for a table (no delimiter row) is no prose either."""
    return line.lstrip().startswith("|")


def prose_words(lines: Iterable[str]) -> int:
    """Count the prose words of markdown lines (tables, code, images and link lists excluded)."""
    return sum(len(words(strip_inline_markdown(line))) for line in prose_lines(lines))


def clean_lines(lines: Sequence[str]) -> str:
    """Turn markdown lines into readable plain text: no emphasis markers, headings as plain lines,
    code kept as written (without its fences), tables kept, blank runs collapsed."""
    out: list[str] = []
    lines = list(lines)
    for line, what in zip(lines, markdown.line_kinds("\n".join(lines))):
        if what == "fence":
            continue
        if what == "code":
            out.append(line.rstrip())
            continue
        if what == "rule" or _HTML.match(line):
            out.append("")
            continue
        if what == "heading":
            out.extend(["", clean_heading(markdown.atx_title(line)), ""])
            continue
        text = strip_inline_markdown(line).rstrip()
        # A bullet written with "*" reads the same as one written with "-".
        text = re.sub(r"^(\s*)\*\s+", r"\1- ", text)
        if not text.strip() and line.strip():
            continue  # an image or an empty link: nothing left to read
        if out and _LIST_ITEM.match(out[-1]) and text[:1].isspace() and text.strip() and not _BLOCK_START.match(text):
            out[-1] += " " + text.strip()  # a list item's text wrapped onto the next line
            continue
        out.append(text)
    text = "\n".join(out)
    text = re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", text)
    return replace_notation(text.strip("\n")).strip()


def clean_inline(text: str) -> str:
    """Return one-paragraph text without emphasis markers, with whitespace collapsed."""
    return re.sub(r"\s+", " ", replace_notation(strip_inline_markdown(text))).strip()


def bold_terms(lines: Iterable[str], max_words: int = 6) -> list[str]:
    """Return the distinct bold phrases of markdown lines, in order of first use."""
    seen, out = set(), []
    lines = list(lines)
    for line, what in zip(lines, markdown.line_kinds("\n".join(lines))):
        if what in ("fence", "code"):
            continue
        for m in _BOLD.finditer(line):
            # A bold line on its own ("**Goal:**", "**Pros**:") is a label, not a term.
            if re.fullmatch(r"\s*(?:[-*+]\s+)?[:\s]*", line[: m.start()] + line[m.end() :]):
                continue
            term = clean_heading(m.group(1) or m.group(2)).strip(" .,:;")
            if not term or len(term.split()) > max_words or term.lower() in seen:
                continue
            seen.add(term.lower())
            out.append(term)
    return out


def node_lines(nodes: Iterable[Node], *, with_headings: bool = True, skip: set[int] | None = None) -> list[str]:
    """Join nodes back into markdown lines, each subsection under its heading line."""
    out: list[str] = []
    for k, node in enumerate(nodes):
        if skip and node.index in skip:
            continue
        if with_headings and k and node.heading:
            out.append("#" * max(1, node.section.level) + " " + node.heading)
        out.extend(node.body)
    return out
