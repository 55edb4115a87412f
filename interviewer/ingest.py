"""Corpus files → Documents: decode, repair, strip front matter, split into heading sections."""

from __future__ import annotations

import bisect
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from interviewer import markdown
from interviewer.config import MAX_FILE_MB
from interviewer.errors import CorpusError
from interviewer.markdown import clean_heading, strip_inline_markdown
from interviewer.records import Document, Section
from interviewer.text import repair

__all__ = ["Corpus", "clean_heading", "corpus_files", "decode", "load_corpus", "parse_document", "read_document",
           "split_sections", "strip_front_matter", "strip_inline_markdown"]

SUFFIXES = (".md", ".markdown", ".txt")

# A file whose first bytes hold a NUL or mostly control characters is not a text document.
_SNIFF_BYTES = 8192
_MAX_CONTROL_SHARE = 0.10

_FRONT_MATTER = re.compile(r"\A(?P<fence>---|\+\+\+)[ \t]*\n.*?\n(?P=fence)[ \t]*(\n|\Z)", re.S)
_TITLE = re.compile(r"^\s*title\s*[:=]\s*['\"]?(?P<title>.*?)['\"]?\s*$", re.M)


@dataclass(frozen=True)
class Corpus:
    """The documents read from a corpus directory, and what could not be read (one line each)."""

    documents: tuple[Document, ...]
    problems: tuple[str, ...]


_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
            (stat.S_ISBLK, "a device"))


def corpus_files(corpus_dir: Path) -> list[Path]:
    """List the document files of a corpus directory, sorted by name."""
    # Entries named like documents but not readable as one (a broken link, a directory called
    # notes.md) are listed too, so that they are reported rather than silently passed over. Named
    # pipes, sockets and devices are not: opening one may block forever (`special_files` has them).
    return [p for p in _named_like_documents(corpus_dir) if special_kind(p) is None]


def special_files(corpus_dir: Path) -> list[tuple[Path, str]]:
    """List the entries named like documents that are pipes, sockets or devices, with what each is."""
    return [(p, kind) for p in _named_like_documents(corpus_dir) if (kind := special_kind(p)) is not None]


def special_kind(path: Path) -> str | None:
    """Say what a path is when it is no regular file or directory but a pipe, socket or device (stat never blocks)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # a broken link: reported when it is read
    return next((what for test, what in _SPECIAL if test(mode)), None)


def _named_like_documents(corpus_dir: Path) -> list[Path]:
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist (set --corpus or INTERVIEWER_CORPUS)")
    return sorted(p for p in corpus_dir.rglob("*") if p.suffix.lower() in SUFFIXES)


def load_corpus(corpus_dir: Path, max_file_bytes: int = int(MAX_FILE_MB * 2**20)) -> Corpus:
    """Read every document of a corpus directory; skip (and report) the ones that cannot be read.

    max_file_bytes: a larger file is skipped with a warning (Settings.max_file_bytes, env
    INTERVIEWER_MAX_FILE_MB).
    """
    files = corpus_files(corpus_dir)
    documents, problems = [], []
    for path, kind in special_files(corpus_dir):
        problems.append(f"skipped {path.name}: it is {kind}, not a file")
    for path in files:
        try:
            doc, warning = read_document(path, root=Path(corpus_dir), max_bytes=max_file_bytes)
        except CorpusError as exc:
            problems.append(f"skipped {path.name}: {exc}")
            continue
        if warning:
            problems.append(f"{path.name}: {warning}")
        if not doc.sections:
            problems.append(f"skipped {path.name}: it holds no text")
            continue
        documents.append(doc)
    if not documents:
        found = f"{len(files)} file(s), none usable" if files else "no .md, .markdown or .txt files"
        if problems and not files:
            found += f" ({'; '.join(problems)})"
        raise CorpusError(f"corpus directory {corpus_dir} has {found}")
    return Corpus(tuple(documents), tuple(problems))


def decode(raw: bytes) -> tuple[str, str | None]:
    """Decode file bytes as UTF-8, falling back to cp1252 then latin-1 with a warning."""
    sniff = raw[:_SNIFF_BYTES]
    control = sum(1 for b in sniff if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sniff or (sniff and control / len(sniff) > _MAX_CONTROL_SHARE):
        raise CorpusError("it looks like a binary file, not text")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start}"
    for encoding in ("cp1252", "latin-1"):
        try:
            return raw.decode(encoding), f"not valid UTF-8 ({where}); read as {encoding}"
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def read_document(path: Path, root: Path | None = None,
                  max_bytes: int = int(MAX_FILE_MB * 2**20)) -> tuple[Document, str | None]:
    """Read one file (of at most `max_bytes`) into a Document; return it with a decoding warning, if any."""
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise CorpusError("it is a broken link")
    if path.is_dir():
        raise CorpusError("it is a directory")
    kind = special_kind(path)
    if kind is not None:
        raise CorpusError(f"it is {kind}, not a file")
    try:
        with open(path, "rb") as f:
            # Read one byte past the cap, so a file that grew since it was listed is caught too.
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise CorpusError(f"cannot read it ({exc.strerror or exc})") from exc
    if len(raw) > max_bytes:
        size = os.stat(path).st_size
        raise CorpusError(f"it is {_mb(size)}, over the {_mb(max_bytes)} a corpus file may hold "
                          "(INTERVIEWER_MAX_FILE_MB sets the limit)")
    text, warning = decode(raw)
    doc_id = Path(path).stem
    return parse_document(doc_id, repair(text), str(path)), warning


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"


def parse_document(doc_id: str, text: str, path: str = "") -> Document:
    """Split repaired text into sections; line numbers refer to the file as it is on disk."""
    body, front_title = strip_front_matter(text)
    sections = tuple(split_sections(doc_id, body))
    title = front_title or _first_heading(sections) or _first_line(body) or doc_id
    return Document(doc=doc_id, path=path, title=clean_heading(title), text=text, sections=sections)


def strip_front_matter(text: str) -> tuple[str, str | None]:
    """Blank out YAML (---) or TOML (+++) front matter, keeping line numbers; return its title."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return text, None
    block = m.group(0)
    title = _TITLE.search(block)
    blank = "\n" * block.count("\n")
    return blank + text[m.end() :], (title.group("title").strip() if title else None)


def split_sections(doc_id: str, text: str) -> list[Section]:
    """Cut markdown at every heading (markdown-it finds them, so `#` in code is not one); each section
    carries its body's blocks, from the same one parse."""
    lines = text.split("\n")
    tokens = markdown.parse(text)
    headings = [
        (tok.map[0], tok.map[1], int(tok.tag[1]), clean_heading(tokens[i + 1].content))
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open" and tok.map
    ]
    body_blocks = [b for b in markdown.walk(tokens) if b.kind != "heading"]
    starts = [b.line for b in body_blocks]
    sections: list[Section] = []
    path: list[tuple[int, str]] = []

    def add(heading_path: tuple[str, ...], level: int, first: int, last: int, line: int) -> None:
        body = "\n".join(lines[first:last]).strip("\n")
        if heading_path or body.strip():
            own = body_blocks[bisect.bisect_left(starts, first + 1) : bisect.bisect_left(starts, last + 1)]
            sections.append(Section(doc_id, heading_path, level, body, line, tuple(own)))

    first_heading = headings[0][0] if headings else len(lines)
    preamble_start = next((i for i in range(first_heading) if lines[i].strip()), first_heading)
    add((), 0, preamble_start, first_heading, preamble_start + 1)
    for n, (start, body_start, level, title) in enumerate(headings):
        end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, title or "(untitled)"))
        add(tuple(t for _, t in path), level, body_start, end, start + 1)
    return sections


def _first_heading(sections: tuple[Section, ...]) -> str | None:
    return next((s.heading_path[0] for s in sections if s.heading_path), None)


def _first_line(text: str) -> str | None:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), None)
