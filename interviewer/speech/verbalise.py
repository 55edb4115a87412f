"""Written notes → the words a candidate would say: sentences for the domain language model.

"Two-Phase Commit (2PC) blocks at 10,000 QPS, e.g. under 50ms" becomes the sentences
[two phase commit] [2pc] [blocks at ten thousand qps for example under fifty milliseconds]:
numbers and units spelled out, symbols said, hyphenated words split, parentheses their own
sentence, and terms such as "2PC", "p99" or "DynamoDB" kept as one (lowercase) word each.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator

from interviewer.speech.numbers import say_number

# Sentence breaks: end punctuation before a space, colons, semicolons, brackets, bullets, line ends.
_BREAK = re.compile(r"[.!?]+(?=\s|$)|[;:()\[\]{}|•*\"“”]|\n|\s[-–—]\s")
# A token: a number (with its unit or term letters), a word with inner apostrophes or digits, a symbol.
_TOKEN = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)*)(?P<tail>[A-Za-z][A-Za-z0-9]*)?"
    r"|(?P<word>[A-Za-z][A-Za-z0-9]*(?:['’][A-Za-z]+)?)"
    r"|(?P<symbol>->|→|[%&+=])"
)
_FENCE = re.compile(r"^\s*(```|~~~)")
# A line of code, not of prose: braces, statement ends, calls.
_CODE = re.compile(r"[{};]\s*$|\w\(\)|\w+\.\w+\(|^\s*(def|class|import|return|public|private|for|while)\b")
_LATEX = re.compile(r"\$[^$\n]*\$")
_URL = re.compile(r"https?://\S+|www\.\S+")


@dataclass(frozen=True)
class Said:
    """The sentences of a text as spoken words, and how each term was written (for display)."""

    sentences: tuple[tuple[str, ...], ...]
    written: dict[str, Counter[str]]  # spoken word → the written forms it came from
    # For each sentence: whether it comes right after the one before it in the same text (a
    # speaker goes on from one to the next without the recognizer hearing a sentence end).
    follows: tuple[bool, ...] = ()

    def joins(self, width: int) -> Iterator[tuple[str, ...]]:
        """Yield where one sentence runs into the next: up to `width` words either side."""
        for i in range(1, len(self.sentences)):
            if self.follows[i]:
                yield self.sentences[i - 1][-width:] + self.sentences[i][:width]


def prose_lines(text: str) -> Iterator[str]:
    """Yield the lines of a text that are prose: fenced code and code-like lines left out."""
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced and not _CODE.search(line):
            yield line


def verbalise(texts: Iterable[str], say: dict[str, str], units: dict[str, str]) -> Said:
    """Turn texts into spoken sentences (lists of lowercase words)."""
    phrases = sorted(((k, v) for k, v in say.items() if not _is_symbol(k)), key=lambda kv: -len(kv[0]))
    phrase_re = re.compile("|".join(r"(?<![\w.])" + re.escape(k) + r"(?![\w])" for k, _ in phrases), re.I) \
        if phrases else None
    phrase_say = {k.lower(): v for k, v in phrases}
    sentences: list[tuple[str, ...]] = []
    follows: list[bool] = []
    written: dict[str, Counter[str]] = {}
    for text in texts:
        text = _URL.sub(" ", _LATEX.sub(" ", text))
        first = True
        for line in prose_lines(text):
            if phrase_re is not None:
                line = phrase_re.sub(lambda m: " " + phrase_say[m.group(0).lower()] + " ", line)
            for piece in _BREAK.split(line):
                words = _say_piece(piece, say, units, written)
                if words:
                    sentences.append(tuple(words))
                    follows.append(not first)
                    first = False
    return Said(tuple(sentences), written, tuple(follows))


def _is_symbol(key: str) -> bool:
    return not any(c.isalpha() for c in key)


def _say_piece(piece: str, say: dict[str, str], units: dict[str, str], written: dict[str, Counter[str]]) -> list[str]:
    out: list[str] = []
    for m in _TOKEN.finditer(piece):
        if m.group("symbol"):
            out.extend(say.get(m.group("symbol"), "").split())
        elif m.group("number"):
            number, tail = m.group("number"), m.group("tail")
            if tail and tail.lower() not in units:
                _term(m.group(0), out, written)  # "2PC", "3NF": a term that starts with digits
                continue
            try:
                out.extend(say_number(number))
            except ValueError:
                continue
            if tail:
                out.extend(units[tail.lower()].split())
        else:
            word = m.group("word").replace("’", "'")
            _term(word, out, written)
    return out


def _term(token: str, out: list[str], written: dict[str, Counter[str]]) -> None:
    spoken = token.lower()
    out.append(spoken)
    if spoken != token:
        written.setdefault(spoken, Counter())[token] += 1


def display_forms(written: dict[str, Counter[str]], counts: Counter[str], min_share: float = 0.8) -> dict[str, str]:
    """Return spoken word → how to write it, for terms the notes write with inner capitals or
    digits almost every time ("cdc" → "CDC", "dynamodb" → "DynamoDB", "k8s" stays "k8s")."""
    forms: dict[str, str] = {}
    for spoken, seen in written.items():
        form, n = seen.most_common(1)[0]
        if not any(c.isupper() for c in form[1:]):
            continue  # lowercase, or capitalised at the start of a sentence or heading
        if n >= min_share * max(counts.get(spoken, 0), 1):
            forms[spoken] = form
    return forms
